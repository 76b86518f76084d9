//! Moving an office: `giaoban migrate-data --from URL --to URL` copies every
//! table into an empty database, with its ids, verifies the counts, and
//! refuses a target that holds data. SQLite to SQLite always; SQLite to
//! PostgreSQL and back in the PostgreSQL half of the tests.

mod support;

use std::process::Command;

use support::{OFFICE, Office};

/// An office with something in every kind of table: revisions and a
/// rejected file, case history, collection results, a summary with its files
/// and the late alert in the outbox, job records.
fn busy_office(storage: &str) -> Office {
    let office = Office::new(&OFFICE.replace("sqlite://state/giaoban.db", storage));
    office.submit(
        "an-phu",
        r#"{"unit": "an-phu", "report": "9m", "period": "2024-9M", "submitted_at": "2024-09-16T10:00:00+07:00",
            "metrics": {"cases_accepted": 10, "cases_resolved": 5},
            "cases": [{"ref": "KN-2024-031", "kind": "khieu_nai_lan_1", "received_on": "2024-07-02",
                       "accepted_on": "2024-07-10", "complex": true, "extensions": 0, "status": "open"}]}"#,
    );
    office.ok(&[
        "collect",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--at",
        "2024-09-16T12:00:00+07:00",
    ]);
    office.submit_figures("an-phu", "2024-09-17T10:00:00+07:00", 12, 6);
    office.ok(&[
        "collect",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--at",
        "2024-09-17T12:00:00+07:00",
    ]);
    office.submit("binh-minh", "{ not json");
    office.ok(&[
        "collect",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--at",
        "2024-09-17T12:00:00+07:00",
    ]);
    office.ok(&["tick", "--at", "2024-09-20T09:00:00+07:00"]);
    office
}

fn migrate(from: &str, to: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_giaoban"))
        .args(["migrate-data", "--from", from, "--to", to, "--json"])
        .env_remove("RUST_LOG")
        .output()
        .expect("run giaoban")
}

/// An office whose config points at `url` (for reading a copy).
fn reader(url: &str) -> Office {
    Office::new(&OFFICE.replace("sqlite://state/giaoban.db", url))
}

fn status(office: &Office) -> serde_json::Value {
    office.json(&[
        "status",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--at",
        "2024-09-20T09:00:00+07:00",
    ])
}

fn cases(office: &Office) -> serde_json::Value {
    office.json(&["cases", "--at", "2024-09-20T09:00:00+07:00"])
}

/// Copies `from` into `to` and checks what a user would: every table's
/// count matches and is not trivially zero, and the copy reads the same.
fn copy_and_compare(source: &Office, from: &str, to: &str) -> serde_json::Value {
    let out = migrate(from, to);
    assert!(
        out.status.success(),
        "migrate-data failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let tables = doc["tables"].as_array().expect("tables");
    for t in tables {
        assert_eq!(t["source"], t["target"], "{t}");
    }
    let count = |name: &str| {
        tables
            .iter()
            .find(|t| t["table"] == name)
            .and_then(|t| t["target"].as_i64())
            .unwrap_or_else(|| panic!("no {name} in {doc}"))
    };
    assert_eq!(count("submissions"), 3, "two revisions and a rejected file");
    assert_eq!(count("case_versions"), 1);
    assert_eq!(count("outbox_files"), 2, "the summary's spreadsheet and chart");
    assert!(
        count("outbox") >= 2 && count("job_runs") >= 1 && count("collect_results") == 3,
        "{doc}"
    );
    let copy = reader(to);
    assert_eq!(status(&copy), status(source), "the copy shows the same status");
    assert_eq!(cases(&copy), cases(source), "and the same cases");
    // New rows after the copy get new ids (the sequences moved past the copied ones).
    copy.submit_figures("cai-be", "2024-09-20T10:00:00+07:00", 3, 3);
    copy.ok(&[
        "collect",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--at",
        "2024-09-20T10:30:00+07:00",
    ]);
    copy.ok(&["tick", "--at", "2024-09-23T09:00:00+07:00"]);
    doc
}

#[test]
fn sqlite_to_sqlite_copies_everything_and_refuses_a_target_with_data() {
    // A file of its own, so the source is SQLite in either half.
    let source = busy_office("sqlite://state/source.db");
    let from = format!("sqlite://{}", source.path().join("state/source.db").display());
    let target = source.path().join("copy.db");
    let to = format!("sqlite://{}", target.display());
    copy_and_compare(&source, &from, &to);

    // A second copy into the same, now non-empty, database is refused and writes nothing.
    let before = std::fs::read(&target).expect("target file");
    let out = migrate(&from, &to);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already holds data"), "{stderr}");
    assert_eq!(std::fs::read(&target).expect("target file").len(), before.len());

    // A missing source is an error naming it, and creates nothing.
    let nowhere = source.path().join("nowhere.db");
    let out = migrate(
        &format!("sqlite://{}", nowhere.display()),
        &format!("sqlite://{}", source.path().join("x.db").display()),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere.db"));
    assert!(!nowhere.exists() && !source.path().join("x.db").exists());
    // Not a storage URL.
    let out = migrate("mysql://x/y", &to);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from"));
}

#[test]
fn sqlite_to_postgres_and_back_keeps_every_row_and_the_same_views() {
    let Some(base) = support::postgres() else {
        eprintln!("skipped on SQLite: needs PostgreSQL (tests/postgres.rs runs it)");
        return;
    };
    // The source stays on SQLite whatever the half: a file of its own.
    let source = busy_office("sqlite://state/source.db");
    let from = format!("sqlite://{}", source.path().join("state/source.db").display());
    let (pg_name, pg_url) = support::pg_new_database(&base);
    let doc = copy_and_compare(&source, &from, &pg_url);
    assert!(
        doc["to"].as_str().is_some_and(|t| t.starts_with("postgres://")),
        "{doc}"
    );

    // Into the non-empty PostgreSQL database: refused.
    let out = migrate(&from, &pg_url);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));

    // And back into a new SQLite file.
    let (pg2_name, pg2_url) = support::pg_new_database(&base);
    let back = source.path().join("back.db");
    // Copy the pristine PostgreSQL copy (before copy_and_compare's later writes) again first.
    let out = migrate(&from, &pg2_url);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    copy_and_compare(&source, &pg2_url, &format!("sqlite://{}", back.display()));
    for name in [pg_name, pg2_name] {
        support::pg_admin(&base, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}
