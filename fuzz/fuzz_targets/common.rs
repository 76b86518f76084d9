// Shared by the targets that need a report to read a file against: the
// reference configuration, validated once.
use std::path::Path;
use std::sync::OnceLock;

use giaoban::config::Config;

pub fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let text = include_str!("../../config/example.toml");
        Config::from_text(Path::new("/nonexistent/giaoban.toml"), text, Some("/nonexistent".into()))
            .expect("config/example.toml is valid")
    })
}
