//! The domain core stays pure: no I/O crates, no clock reads.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src/domain") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_domain_does_no_io_and_reads_no_clock() {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain"), &mut files);
    assert!(files.len() >= 10, "domain modules found: {files:?}");
    let forbidden = [
        "tokio::",
        "sqlx::",
        "reqwest::",
        "teloxide::",
        "std::fs",
        "std::net",
        "Utc::now",
        "Local::now",
        "SystemTime::now",
        "Instant::now",
        "crate::store",
        "crate::collect",
        "crate::notify",
        "crate::config",
        "crate::jobs",
    ];
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        for word in forbidden {
            assert!(!text.contains(word), "{} mentions {word}", file.display());
        }
    }
}
