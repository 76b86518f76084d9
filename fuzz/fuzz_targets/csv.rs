#![no_main]
// The csv reader, against every report of the reference configuration:
// any bytes give a submission or an error message, never a panic, and an
// error message stays short (it is shown to the unit in chat).
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use giaoban::collect::table::Limits;
use giaoban::config::Format;

fuzz_target!(|data: &[u8]| {
    let config = common::config();
    for report in &config.regime.reports {
        if let Err(msg) = giaoban::collect::parse(Format::Csv, data, report, &config.regime, Limits::default()) {
            assert!(
                msg.chars().count() <= 2000,
                "an error of {} characters",
                msg.chars().count()
            );
        }
    }
});
