#![no_main]
// The JSON reader: any bytes give a submission or a short error, never a panic.
use libfuzzer_sys::fuzz_target;

use giaoban::collect::table::Limits;
use giaoban::domain::regime::Language;

fuzz_target!(|data: &[u8]| {
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    for lang in [Language::Vi, Language::En] {
        if let Err(msg) = giaoban::collect::json::parse(data, &tz, lang, Limits::default()) {
            assert!(
                msg.chars().count() <= 2000,
                "an error of {} characters",
                msg.chars().count()
            );
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = giaoban::collect::json::parse_instant(s, &tz);
    }
});
