//! The domain core stays pure: no I/O crates, no clock reads.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
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

/// The store owns the database: no SQL, no sqlx and no connection type
/// outside `src/store/`, so both backends are the store's business alone.
#[test]
fn no_sql_outside_the_store() {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let store = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let mut checked = 0;
    for file in files.iter().filter(|f| !f.starts_with(&store)) {
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for word in [
                "sqlx::",
                "use sqlx",
                "SqliteConnection",
                "PgConnection",
                "SqlitePool",
                "PgPool",
            ] {
                assert!(
                    !code.contains(word),
                    "{}:{}: {word} outside src/store/",
                    file.display(),
                    n + 1
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 30, "files checked: {checked}");
}
