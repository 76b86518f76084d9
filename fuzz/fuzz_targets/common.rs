// Shared by the targets that need a report to read a file against: the
// reference configuration, validated once.
use std::path::Path;
use std::sync::OnceLock;

use giaoban::config::Config;

pub fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        // Read from its place in the repository: it names a tasks file
        // beside it.
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../config/example.toml"));
        let text = include_str!("../../config/example.toml");
        Config::from_text(path, text, Some(std::env::temp_dir())).expect("config/example.toml is valid")
    })
}
