//! Shared helpers for the integration tests: a temporary folder with a config,
//! unit files, and the real `giaoban` binary run against them.
#![allow(dead_code)]

pub mod daemon;
pub mod district;
pub mod hostile;
pub mod telegram;
pub mod xlsx;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A small office: three units, a 9-month report due on the 18th of the
/// period's last month at 17:00, one working day of grace, reminders 3 days
/// and 1 day before, urging every working day twice.
pub const OFFICE: &str = r#"
timezone = "Asia/Ho_Chi_Minh"
language = "vi"

[storage]
url = "sqlite://state/giaoban.db"

[working_hours]
days = ["mon", "tue", "wed", "thu", "fri"]
from = "07:30"
to = "17:00"

[calendar]
holidays = ["2024-01-01", "2024-02-08..2024-02-14", "2024-04-18", "2024-04-29..2024-05-01", "2024-09-02..2024-09-03"]
working_saturdays = ["2024-05-04"]

[schedule]
tick = "0 * * * * *"

[[units]]
id = "an-phu"
name = "Huyện An Phú"
contacts = ["@anphu"]
[units.source]
kind = "file"
path = "data/{unit}/{report}-{period}.json"

[[units]]
id = "binh-minh"
name = "Huyện Bình Minh"
[units.source]
kind = "file"
path = "data/{unit}/{report}-{period}.json"

[[units]]
id = "cai-be"
name = "Huyện Cái Bè"
[units.source]
kind = "file"
path = "data/{unit}/{report}-{period}.json"

[[reports]]
id = "9m"
title = "Báo cáo giao ban 9 tháng"
period = "nine_months"
cutoff_day = 14
due = { day = 18, time = "17:00" }
grace = "1wd"
remind_before = ["3d", "1d"]
repeat_late_every = "1wd"
repeat_late_max = 2
collect = "0 0 */2 * * *"

[[reports.metrics]]
key = "cases_accepted"
label = "Số vụ án thụ lý"
aliases = ["Thụ lý"]

[[reports.metrics]]
key = "cases_resolved"
label = "Số vụ án đã giải quyết"

[[reports.rules]]
check = "cases_resolved <= cases_accepted"
message = "Số vụ giải quyết lớn hơn số vụ thụ lý"

[[reports.indicators]]
key = "resolution_rate"
label = "Tỷ lệ giải quyết"
formula = "cases_resolved / cases_accepted"
format = "percent"

[[case_rules]]
kind = "khieu_nai_lan_1"
label = "Khiếu nại lần đầu"
accept_within = "10d"
resolve_within = "30d"
resolve_within_complex = "45d"
resolve_within_remote = "45d"
resolve_within_remote_complex = "60d"
due_soon = "5d"

[[case_rules]]
kind = "to_cao"
label = "Tố cáo"
accept_within = "7wd"
resolve_within = "30d"
extension = "30d"
max_extensions = 2
due_soon = "5d"
"#;

/// The PostgreSQL server of the PostgreSQL half of the tests: set
/// `GIAOBAN_TEST_PG_URL` (a superuser's URL, e.g. the one
/// `scripts/pg-test-server start DIR` prints) and tests/postgres.rs runs every
/// integration test again with `GIAOBAN_TEST_BACKEND=postgres`, each office
/// in a database of its own.
pub fn postgres() -> Option<String> {
    if std::env::var("GIAOBAN_TEST_BACKEND").ok().as_deref() != Some("postgres") {
        return None;
    }
    Some(std::env::var("GIAOBAN_TEST_PG_URL").expect("GIAOBAN_TEST_BACKEND=postgres needs GIAOBAN_TEST_PG_URL"))
}

/// For a test of something only SQLite has (its file, `backup`): true, with
/// a note, when the tests run on PostgreSQL, and the test returns early.
pub fn sqlite_only(what: &str) -> bool {
    if postgres().is_some() {
        eprintln!("skipped on PostgreSQL: {what}");
        return true;
    }
    false
}

/// `base` (a server URL) with its database replaced by `name`.
pub fn pg_database_url(base: &str, name: &str) -> String {
    let mut url = url::Url::parse(base).expect("GIAOBAN_TEST_PG_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Runs `sql` on the server of `GIAOBAN_TEST_PG_URL` (creating or dropping a database).
pub fn pg_admin(base: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(base)
            .await
            .expect("connect to GIAOBAN_TEST_PG_URL");
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut conn)
            .await
            .expect("admin statement");
        let _ = conn.close().await;
    })
}

/// A new empty PostgreSQL database on the test server; its URL.
pub fn pg_new_database(base: &str) -> (String, String) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = format!(
        "gb_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    pg_admin(base, &format!("CREATE DATABASE {name}"));
    (name.clone(), pg_database_url(base, &name))
}

pub struct Office {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    /// The office's own database on the test server (PostgreSQL half).
    pub pg: Option<(String, String)>,
}

impl Drop for Office {
    fn drop(&mut self) {
        if let (Some((name, _)), Some(base)) = (&self.pg, postgres()) {
            pg_admin(&base, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

impl Office {
    /// An office in a temporary folder. Its `[storage]` is the folder's
    /// SQLite file, or, in the PostgreSQL half, a new database of its own.
    pub fn new(config: &str) -> Office {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("giaoban.toml");
        let default = r#"url = "sqlite://state/giaoban.db""#;
        let (config, pg) = match postgres() {
            Some(base) if config.contains(default) => {
                let (name, url) = pg_new_database(&base);
                (config.replace(default, &format!("url = \"{url}\"")), Some((name, url)))
            }
            _ => (config.to_string(), None),
        };
        std::fs::write(&path, config).expect("write config");
        Office { dir, config: path, pg }
    }

    /// The office's store, opened by the library (for tests that call it directly).
    pub async fn store(&self) -> giaoban::store::Store {
        let storage = giaoban::config::Storage::parse(&self.storage_url(), self.path()).expect("storage URL");
        giaoban::store::Store::connect(&storage).await.expect("store")
    }

    /// The office's tables (without sqlx's own), whichever the backend.
    pub fn tables(&self) -> Vec<String> {
        use sqlx::Row;
        self.sql(if self.pg.is_some() {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_name <> '_sqlx_migrations'"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> '_sqlx_migrations'"
        })
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect()
    }

    /// Every text and binary value stored in the office's database, one per
    /// line: what a test looks through for data that must never be stored.
    /// On SQLite also the raw bytes of its files (the WAL and free pages too).
    pub fn stored_text(&self) -> String {
        let mut out = String::new();
        if self.pg.is_none() {
            for entry in std::fs::read_dir(self.path().join("state")).expect("state dir") {
                let bytes = std::fs::read(entry.expect("entry").path()).expect("read db file");
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
            return out;
        }
        use sqlx::Row;
        for table in self.tables() {
            for row in self.sql(&format!("SELECT * FROM \"{table}\"")) {
                for i in 0..row.len() {
                    if let Ok(text) = row.try_get::<String, _>(i) {
                        out.push_str(&text);
                    } else if let Ok(bytes) = row.try_get::<Vec<u8>, _>(i) {
                        out.push_str(&String::from_utf8_lossy(&bytes));
                    }
                    out.push('\n');
                }
            }
        }
        out
    }

    /// The storage URL of this office's database.
    pub fn storage_url(&self) -> String {
        match &self.pg {
            Some((_, url)) => url.clone(),
            None => format!("sqlite://{}", self.db().display()),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a unit's 9-month 2024 file.
    pub fn submit(&self, unit: &str, body: &str) {
        let folder = self.dir.path().join("data").join(unit);
        std::fs::create_dir_all(&folder).expect("unit folder");
        std::fs::write(folder.join("9m-2024-9M.json"), body).expect("write submission");
    }

    /// A well-formed submission sent at `submitted_at`.
    pub fn submit_figures(&self, unit: &str, submitted_at: &str, accepted: i64, resolved: i64) {
        self.submit(
            unit,
            &format!(
                r#"{{"unit": "{unit}", "report": "9m", "period": "2024-9M", "submitted_at": "{submitted_at}",
                    "metrics": {{"cases_accepted": {accepted}, "cases_resolved": {resolved}}}}}"#
            ),
        );
    }

    /// Runs giaoban with this office's config.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    /// Runs giaoban with this office's config and extra environment variables.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_giaoban"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("STATE_DIRECTORY")
            .env_remove("GIAOBAN_CONFIG")
            .env_remove("CREDENTIALS_DIRECTORY")
            .envs(env.iter().copied())
            .output()
            .expect("run giaoban")
    }

    /// Makes an empty database file, so the read-only verbs (`status`,
    /// `cases`), which never create one, can run before anything was
    /// collected: SQLite opens an empty file and the store migrates it. A
    /// PostgreSQL database exists already.
    pub fn touch_db(&self) {
        if self.pg.is_some() {
            return;
        }
        let db = self.db();
        std::fs::create_dir_all(db.parent().expect("state folder")).expect("state folder");
        if !db.exists() {
            std::fs::write(&db, b"").expect("empty database file");
        }
    }

    /// The SQLite file, for tests that look at the file itself.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("state").join("giaoban.db")
    }

    /// Runs one SQL statement on the office's database, whichever the
    /// backend (to seed or inspect it). Flags read back as 0/1 on SQLite and
    /// booleans on PostgreSQL: compare them in SQL (`WHERE accepted`).
    pub fn sql(&self, sql: &str) -> Vec<sqlx::any::AnyRow> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&self.storage_url())
                .await
                .expect("open db");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .fetch_all(&mut conn)
                .await
                .expect("query");
            let _ = conn.close().await;
            rows
        })
    }

    /// Queues `n` plain messages `Tin số NN` for the group, planned long ago.
    pub fn queue_messages(&self, n: usize) {
        let values: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    "('test:{i:03}', 'admin', 'Tin số {i:03}', '2024-09-05T02:00:00.000Z', '2024-09-05T02:00:00.000Z')"
                )
            })
            .collect();
        self.sql(&format!(
            "INSERT INTO outbox (key, kind, text, planned_at, not_before) VALUES {}",
            values.join(", ")
        ));
    }

    /// Runs giaoban, expects success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "giaoban {args:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs giaoban with `--json` and parses its one document.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut args = args.to_vec();
        args.push("--json");
        let out = self.ok(&args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{out}"))
    }

    /// `tick --at AT --json`, reduced to (kind, key, units) triples.
    pub fn tick(&self, at: &str) -> Vec<(String, String, Vec<String>)> {
        let doc = self.json(&["tick", "--at", at]);
        doc["queued"]
            .as_array()
            .expect("queued is a list")
            .iter()
            .map(|q| {
                (
                    q["kind"].as_str().unwrap_or_default().to_string(),
                    q["key"].as_str().unwrap_or_default().to_string(),
                    q["units"]
                        .as_array()
                        .expect("units")
                        .iter()
                        .map(|u| u.as_str().unwrap_or_default().to_string())
                        .collect(),
                )
            })
            .collect()
    }

    /// The state of each unit in `status --json`.
    pub fn states(&self, at: &str) -> Vec<(String, String)> {
        let doc = self.json(&["status", "--report", "9m", "--period", "2024-9M", "--at", at]);
        doc["units"]
            .as_array()
            .expect("units")
            .iter()
            .map(|u| {
                (
                    u["unit"].as_str().unwrap_or_default().to_string(),
                    u["state"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}

pub fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}
