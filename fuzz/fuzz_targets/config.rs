#![no_main]
// The config loader: any text is a config or a list of problems naming a
// line and a key, never a panic.
use std::path::Path;

use libfuzzer_sys::fuzz_target;

use giaoban::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = Config::from_text(
        Path::new("/nonexistent/giaoban.toml"),
        text,
        Some("/nonexistent".into()),
    ) {
        let _ = e.to_string();
    }
});
