//! Operator habits through the real binary: a closed pipe, read-only verbs on
//! a missing database, log priorities for journald, the man page and shell
//! completions shipped in the package, help on every flag, `check --json`.

mod support;

use std::process::{Command, Stdio};

use support::{OFFICE, Office};

fn giaoban(office: &Office, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_giaoban"));
    cmd.args(args)
        .arg("--config")
        .arg(office.path().join("giaoban.toml"))
        .env_remove("STATE_DIRECTORY")
        .env_remove("JOURNAL_STREAM")
        .env_remove("RUST_LOG");
    cmd
}

#[test]
fn status_into_a_closed_pipe_ends_quietly_with_exit_0() {
    let office = Office::new(OFFICE);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 5000, 4200);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // `giaoban status | head -1` once head has gone: every write fails with EPIPE.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = giaoban(&office, &["status", "--report", "9m", "--period", "2024-9M"])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .expect("run giaoban");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn read_only_verbs_on_a_missing_database_exit_2_and_create_nothing() {
    if support::sqlite_only("only a SQLite file can be created by mistake; a PostgreSQL database exists") {
        return;
    }
    let office = Office::new(OFFICE);
    let db = office.db();
    for args in [
        vec!["status"],
        vec!["cases"],
        vec!["summary", "--report", "9m", "--period", "2024-9M"],
    ] {
        let out = giaoban(&office, &args).output().expect("run giaoban");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(&db.display().to_string()), "names the file: {stderr}");
        assert!(
            stderr.contains("state_dir"),
            "says how to point at the service's: {stderr}"
        );
        assert!(!db.exists(), "{args:?} created {}", db.display());
        assert!(!db.parent().expect("folder").exists(), "{args:?} created the folder");
    }
}

#[test]
fn under_journald_each_log_line_carries_its_priority() {
    let office = Office::new(OFFICE);
    office.submit("an-phu", "{ not json");
    let out = giaoban(&office, &["collect", "--report", "9m", "--period", "2024-9M"])
        .env("JOURNAL_STREAM", "8:12345")
        .output()
        .expect("run giaoban");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warning = stderr
        .lines()
        .find(|l| l.contains("an-phu"))
        .unwrap_or_else(|| panic!("a warning about an-phu: {stderr}"));
    assert!(warning.starts_with("<4>"), "{warning}");

    // Without the journal the lines are plain.
    let out = giaoban(&office, &["collect", "--report", "9m", "--period", "2024-9M"])
        .output()
        .expect("run giaoban");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("<4>"), "{stderr}");
}

fn stdout_of(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_giaoban"))
        .args(args)
        .output()
        .expect("run giaoban");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The man page and completions in deploy/ are what the binary generates, so
/// the .deb never ships a stale one. Regenerate with `deploy/generate-docs.sh`.
#[test]
fn the_shipped_man_page_and_completions_match_the_cli() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases = [
        (vec!["man"], "deploy/man/giaoban.1"),
        (vec!["completions", "bash"], "deploy/completions/giaoban.bash"),
        (vec!["completions", "zsh"], "deploy/completions/_giaoban"),
        (vec!["completions", "fish"], "deploy/completions/giaoban.fish"),
    ];
    for (args, file) in cases {
        let generated = stdout_of(&args);
        let shipped = std::fs::read_to_string(root.join(file)).unwrap_or_default();
        assert_eq!(shipped, generated, "{file} is stale: run deploy/generate-docs.sh");
    }
    let man = stdout_of(&["man"]);
    assert!(man.contains(".TH giaoban"), "{man}");
    let cargo = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    for file in [
        "deploy/man/giaoban.1",
        "deploy/completions/giaoban.bash",
        "deploy/completions/_giaoban",
        "deploy/completions/giaoban.fish",
    ] {
        assert!(
            cargo.contains(&format!("[\"{file}\"")),
            "{file} is not in [package.metadata.deb] assets"
        );
    }
}

#[test]
fn every_flag_of_every_verb_has_help_text() {
    let top = stdout_of(&["--help"]);
    let verbs: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .filter(|v| v != "help")
        .collect();
    assert!(verbs.len() >= 10, "{verbs:?}");
    for verb in &verbs {
        let help = stdout_of(&[verb, "--help"]);
        for line in help.lines().filter(|l| l.trim_start().starts_with("--")) {
            // `--flag <VALUE>  Text`: the text after two or more spaces.
            let text = line.trim().split("  ").filter(|p| !p.trim().is_empty()).nth(1);
            assert!(text.is_some(), "{verb}: no help for `{}`", line.trim());
        }
    }
}

#[test]
fn check_json_describes_the_config_or_its_problems() {
    let office = Office::new(OFFICE);
    let out = giaoban(&office, &["check", "--json"]).output().expect("run giaoban");
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["timezone"], "Asia/Ho_Chi_Minh");
    assert_eq!(doc["units"][0]["id"], "an-phu");
    assert_eq!(doc["reports"][0]["id"], "9m");
    assert_eq!(doc["reports"][0]["period_kind"], "nine_months");
    assert!(doc["schedules"]["tick"]["next"][0].is_string(), "{doc}");

    std::fs::write(
        office.path().join("giaoban.toml"),
        OFFICE.replace("tick = \"0 * * * * *\"", "tick = \"0 0 8 31 2 *\""),
    )
    .expect("write");
    let out = giaoban(&office, &["check", "--json"]).output().expect("run giaoban");
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["problems"][0]["key"], "schedule.tick");
    assert!(doc["problems"][0]["line"].as_u64().is_some_and(|l| l > 1), "{doc}");
}

#[test]
fn the_demo_into_a_pipe_closed_after_three_lines_ends_quietly_with_exit_0() {
    // `giaoban demo | head -3`: the console courier's messages come after
    // the reader has gone, and must end the run, not retry into the pipe
    // for the rest of the simulated cycle.
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_giaoban"))
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run giaoban");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    for _ in 0..3 {
        lines.next().expect("a line").expect("utf-8");
    }
    drop(lines);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the demo kept running after its reader went away");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}
