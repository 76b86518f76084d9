//! The PostgreSQL half of the tests. With `GIAOBAN_TEST_PG_URL` set (a
//! superuser's URL of a throwaway server: `scripts/pg-test-server start DIR`
//! prints one, and `.ci/run` starts one), this runs every other integration
//! test binary again with `GIAOBAN_TEST_BACKEND=postgres`: each office then
//! keeps its data in a PostgreSQL database of its own (see
//! `support::Office::new`). Without it, it says that the half was skipped.
//! A plain `cargo test` runs both halves; `cargo test --test postgres` runs
//! the PostgreSQL half of the binaries already built.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::SystemTime;

fn main() -> ExitCode {
    let Ok(url) = std::env::var("GIAOBAN_TEST_PG_URL") else {
        println!(
            "PostgreSQL half skipped: GIAOBAN_TEST_PG_URL is not set. To run every integration test on \
             PostgreSQL too: export GIAOBAN_TEST_PG_URL=$(scripts/pg-test-server start /tmp/giaoban-pg)"
        );
        return ExitCode::SUCCESS;
    };
    if std::env::var("GIAOBAN_TEST_BACKEND").is_ok() {
        // Already inside the PostgreSQL half.
        return ExitCode::SUCCESS;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return ExitCode::SUCCESS;
    }
    let exe = std::env::current_exe().expect("own path");
    let deps = exe.parent().expect("deps folder").to_path_buf();
    let tests_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut names: Vec<String> = std::fs::read_dir(&tests_dir)
        .expect("tests folder")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let p = e.path();
            (p.extension().is_some_and(|x| x == "rs"))
                .then(|| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .flatten()
        })
        .filter(|n| n != "postgres")
        .collect();
    names.sort();
    println!(
        "PostgreSQL half: {} test binaries against {}",
        names.len(),
        giaoban::store::redact_url(&url)
    );
    let mut failed = Vec::new();
    for name in &names {
        let Some(bin) = newest_binary(&deps, name) else {
            println!("postgres · {name}: not built (run `cargo test`, which builds every test binary)");
            failed.push(name.clone());
            continue;
        };
        let started = std::time::Instant::now();
        let out = Command::new(&bin)
            .args(&args)
            .env("GIAOBAN_TEST_BACKEND", "postgres")
            .output()
            .expect("run a test binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let result = stdout
            .lines()
            .rev()
            .find(|l| l.starts_with("test result:"))
            .unwrap_or("no result line")
            .to_string();
        println!("postgres · {name}: {result} ({:.1} s)", started.elapsed().as_secs_f64());
        if !out.status.success() {
            println!("{stdout}");
            println!("{}", String::from_utf8_lossy(&out.stderr));
            failed.push(name.clone());
        }
    }
    if failed.is_empty() {
        println!("PostgreSQL half: every test binary passed");
        ExitCode::SUCCESS
    } else {
        println!("PostgreSQL half failed in: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}

/// The newest `deps/{name}-{hash}` executable: cargo builds every test
/// binary before it runs any, so the newest is this build's.
fn newest_binary(deps: &Path, name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let prefix = format!("{name}-");
    std::fs::read_dir(deps)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            file.starts_with(&prefix)
                && !file.contains('.')
                && file[prefix.len()..].chars().all(|c| c.is_ascii_hexdigit())
                && e.metadata()
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .max_by_key(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH)
        })
        .map(|e| e.path())
}
