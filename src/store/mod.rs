//! Storage: SQLite (one file, WAL) or PostgreSQL, through sqlx's `Any`
//! driver with runtime queries in SQL both accept; each backend's migrations
//! are embedded and run at open. One module per table family; functions take
//! the store's [`Conn`] so a caller can run several in one [`Write`]
//! transaction. No SQL lives outside this module.

pub mod briefing;
pub mod cases;
pub mod copy;
pub mod jobs;
pub mod leader;
pub mod outbox;
mod packed;
pub mod stats;
pub mod submissions;
pub mod telegram;
pub mod updates;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::sync::{Arc, Mutex};

use sqlx::Any;
use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqliteConnectOptions;

use crate::config::Storage;

/// The store's handle on its database, whichever the backend. Only the
/// store's functions use it; callers get one from [`Store::read`] or
/// [`Store::write`] and pass it on.
pub type Conn = sqlx::AnyConnection;

/// A row as the store reads it.
pub(crate) type Row = sqlx::any::AnyRow;
/// A statement being bound, on either backend.
pub(crate) type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {}: {source}", path.display())]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("cannot create the state directory {}: {source}", path.display())]
    Dir { path: PathBuf, source: std::io::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("unreadable value in the database: {0}")]
    Corrupt(String),
    #[error("no database at {}: nothing to back up (is --config the daemon's config?)", .0.display())]
    Missing(PathBuf),
    #[error("cannot back up the database into {}: {source}", path.display())]
    Backup { path: PathBuf, source: sqlx::Error },
    #[error("{0}")]
    Refused(String),
}

/// Which database a store keeps its tables in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// One file on this machine (WAL); one process writes at a time.
    Sqlite,
    /// A PostgreSQL server; several processes, one active (see [`leader`]).
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The advisory lock every PostgreSQL write transaction takes first (for the
/// transaction only): writes of all processes take turns, as SQLite's
/// `BEGIN IMMEDIATE` makes them, so the same read-then-write logic holds on
/// both backends. The leader's lock is another key ([`leader::LEADER_KEY`]).
const WRITE_KEY: i64 = 0x6769_616f_6261_6e01;

/// The database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The SQLite file, or the server URL without its password.
    place: String,
    path: Option<PathBuf>,
    /// How to open a connection of our own (the leader's lock); may hold a password.
    url: Arc<str>,
    writes: Arc<WriteHealth>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("place", &self.place)
            .finish_non_exhaustive()
    }
}

/// What the store knows about its own write path: the last write that
/// failed (kept until a later write succeeds), for `/healthz` and the
/// watchdog. In memory on purpose: it must be readable when nothing can be
/// written.
#[derive(Debug, Default)]
pub struct WriteHealth {
    last_error: Mutex<Option<(DateTime<Utc>, String)>>,
}

impl WriteHealth {
    fn failed(&self, error: &str) {
        if let Ok(mut e) = self.last_error.lock() {
            *e = Some((Utc::now(), crate::config::scrub(error).into_owned()));
        }
    }

    fn succeeded(&self) {
        if let Ok(mut e) = self.last_error.lock() {
            *e = None;
        }
    }

    /// The last write error and when it happened, while no write has
    /// succeeded since.
    pub fn last_error(&self) -> Option<(DateTime<Utc>, String)> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }
}

/// A write transaction owned by the store. On SQLite it starts with `BEGIN
/// IMMEDIATE` (the write lock at once, so two processes take turns instead
/// of interleaving); on PostgreSQL with `BEGIN` and a transaction-scoped
/// advisory lock that does the same. It ends with [`Write::commit`].
/// Anything else — an error returned with `?`, a failed `COMMIT`, a
/// cancelled future — closes the connection instead of returning it to the
/// pool: the database rolls back what was open, and no connection in an
/// unknown transaction state is ever handed out again. This is what lets the
/// daemon heal after a full disk or a read-only file without a restart.
pub struct Write {
    conn: Option<PoolConnection<Any>>,
    health: Arc<WriteHealth>,
}

impl std::ops::Deref for Write {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
            .as_deref()
            .expect("a write transaction is used only before commit")
    }
}

impl std::ops::DerefMut for Write {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn
            .as_deref_mut()
            .expect("a write transaction is used only before commit")
    }
}

impl Write {
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let Some(mut conn) = self.conn.take() else {
            return Ok(());
        };
        match sqlx::query("COMMIT").execute(&mut *conn).await {
            Ok(_) => {
                self.health.succeeded();
                Ok(())
            }
            Err(e) => {
                self.health.failed(&e.to_string());
                // Whatever state the connection is in now, it is not reused.
                drop(conn.detach());
                Err(e.into())
            }
        }
    }
}

impl Drop for Write {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Not committed: closing the connection rolls back the transaction.
            drop(conn.detach());
        }
    }
}

/// How long [`Store::reads`] waits for each connection after the first.
const SIDE_BY_SIDE_WAIT: Duration = Duration::from_millis(250);

/// Up to `n` of what `get` gives: the first however long it takes, each
/// other one only within [`SIDE_BY_SIDE_WAIT`] (see [`Store::reads`]).
async fn side_by_side<T, F: std::future::Future<Output = Result<T, sqlx::Error>>>(
    n: usize,
    mut get: impl FnMut() -> F,
) -> Result<Vec<T>, StoreError> {
    let mut out = vec![get().await?];
    while out.len() < n {
        match tokio::time::timeout(SIDE_BY_SIDE_WAIT, get()).await {
            Ok(got) => out.push(got?),
            Err(_) => break,
        }
    }
    Ok(out)
}

/// A pooled connection for reads (and single statements), from [`Store::read`].
pub type Read = PoolConnection<Any>;

/// `sqlite://` + the path, percent-encoded as sqlx's SQLite driver decodes it.
fn sqlite_url(path: &Path) -> String {
    let mut url = String::from("sqlite://");
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'-' | b'~' => url.push(*b as char),
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url.push_str("?mode=rwc");
    url
}

/// A PostgreSQL URL as it may be shown: without its password.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "postgres://(unreadable URL)".to_string(),
    }
}

impl Store {
    /// Opens (creating if needed) the SQLite file at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Store::connect(&Storage::Sqlite {
            path: path.to_path_buf(),
        })
        .await
    }

    /// Opens the configured database and brings its schema up to date
    /// (`migrations/sqlite/` or `migrations/postgres/`, embedded at build time).
    pub async fn connect(storage: &Storage) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url, place, path) = match storage {
            Storage::Sqlite { path } => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                        path: dir.to_path_buf(),
                        source,
                    })?;
                }
                let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                (
                    Backend::Sqlite,
                    sqlite_url(&path),
                    path.display().to_string(),
                    Some(path),
                )
            }
            Storage::Postgres { url } => (Backend::Postgres, url.clone(), redact_url(url), None),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(|source| StoreError::Open {
            path: PathBuf::from(&place),
            source,
        })?;
        if backend == Backend::Postgres {
            // One connection first, bounded, so an unreachable server or a
            // refused login is reported as itself, not as a pool timeout.
            use sqlx::{ConnectOptions, Connection};
            let first = tokio::time::timeout(Duration::from_secs(10), options.connect())
                .await
                .map_err(|_| StoreError::Refused(format!("cannot open database {place}: no answer within 10 s")))?
                .map_err(|source| StoreError::Open {
                    path: PathBuf::from(&place),
                    source,
                })?;
            let _ = first.close().await;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // What the SQLite driver's own options would set: WAL,
                        // a writer waits up to 30 s for the lock, and foreign keys.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA busy_timeout = 30000",
                            "PRAGMA foreign_keys = ON",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: PathBuf::from(&place),
                source,
            })?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        Ok(Store {
            pool,
            backend,
            place,
            path,
            url: url.into(),
            writes: Arc::new(WriteHealth::default()),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite file (none on PostgreSQL).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Where the data is, for logs and messages: the file, or the server URL
    /// without its password.
    pub fn place(&self) -> &str {
        &self.place
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<Read, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// Up to `n` connections for reads side by side: the first as
    /// [`Store::read`] gives it, each other one only if the pool gives it
    /// within [`SIDE_BY_SIDE_WAIT`]. A reader holding one connection never
    /// waits long for another: two such readers could wait for each other
    /// for ever on a full pool.
    pub async fn reads(&self, n: usize) -> Result<Vec<Read>, StoreError> {
        side_by_side(n, || self.pool.acquire()).await
    }

    /// [`Store::reads`] as transactions (each rolled back when dropped).
    pub(crate) async fn read_transactions(&self, n: usize) -> Result<Vec<sqlx::Transaction<'static, Any>>, StoreError> {
        side_by_side(n, || self.pool.begin()).await
    }

    /// A write transaction (see [`Write`]).
    pub async fn write(&self) -> Result<Write, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let begun = match self.backend {
            Backend::Sqlite => sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map(drop),
            Backend::Postgres => match sqlx::query("BEGIN").execute(&mut *conn).await {
                Ok(_) => sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_KEY)
                    .execute(&mut *conn)
                    .await
                    .map(drop),
                Err(e) => Err(e),
            },
        };
        if let Err(e) = begun {
            self.writes.failed(&e.to_string());
            drop(conn.detach());
            return Err(e.into());
        }
        Ok(Write {
            conn: Some(conn),
            health: self.writes.clone(),
        })
    }

    /// Records a write error met outside [`Store::write`] (a single statement).
    pub fn note_write_error(&self, error: &StoreError) {
        self.writes.failed(&error.to_string());
    }

    pub fn write_health(&self) -> &WriteHealth {
        &self.writes
    }

    /// Proves the write path works: a write transaction that records the
    /// check in `job_runs`. The watchdog is fed only after this succeeds.
    pub async fn check_write(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        jobs::set_last_run(&mut tx, "write_check", now, None).await?;
        tx.commit().await
    }

    /// Whether the database answers (for health checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `INSERT`/`UPDATE` of many rows in one statement: ` OR FAIL` on SQLite,
/// nothing on PostgreSQL. A many-row statement that may stop on a
/// constraint keeps a statement journal to undo its own rows; SQLite writes
/// that journal to a temporary file page by page (half the time of storing a
/// million case versions). Every write here runs in a transaction that is
/// rolled back whole on any error, so the statement's own undo is not needed:
/// `FAIL` stops the statement without it.
pub(crate) fn or_fail(conn: &Conn) -> &'static str {
    if conn.backend_name() == "SQLite" {
        " OR FAIL"
    } else {
        ""
    }
}

/// A boolean column: PostgreSQL's `boolean`, SQLite's 0/1 integer.
/// `(…), (…)`: `rows` groups of `width` placeholders for a many-row
/// statement, bound in order (every value is bound, nothing is spliced in).
/// On SQLite they are anonymous `?`: sqlx binds a numbered `$N` by looking
/// its name up in SQLite's list of names, a scan per value, so a statement's
/// binding grew with the square of its values; `?` is bound by position.
/// On PostgreSQL `$1`, `$2`, ….
pub(crate) fn placeholders(conn: &Conn, rows: usize, width: usize) -> String {
    let anonymous = conn.backend_name() == "SQLite";
    let mut sql = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            if anonymous {
                sql.push('?');
            } else {
                sql.push_str(&format!("${}", r * width + c + 1));
            }
        }
        sql.push(')');
    }
    sql
}

pub(crate) fn flag(row: &Row, index: usize) -> bool {
    use sqlx::Row as _;
    row.try_get::<bool, _>(index)
        .unwrap_or_else(|_| row.try_get::<i64, _>(index).is_ok_and(|v| v != 0))
}

/// Writes a consistent copy of the SQLite database at `db` into the new file
/// `dest` with `VACUUM INTO`: safe while the daemon runs (it reads one
/// snapshot), and the copy is compact and self-contained (no -wal file).
/// Neither creates nor migrates `db`; SQLite refuses an existing `dest`.
pub async fn backup(db: &Path, dest: &Path) -> Result<(), StoreError> {
    use sqlx::ConnectOptions;
    if !db.exists() {
        return Err(StoreError::Missing(db.to_path_buf()));
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
        .map_err(|source| StoreError::Open {
            path: db.to_path_buf(),
            source,
        })?;
    let dest_text = dest.to_string_lossy().into_owned();
    let result = sqlx::query("VACUUM INTO $1").bind(dest_text).execute(&mut conn).await;
    let _ = sqlx::Connection::close(conn).await;
    result.map_err(|source| StoreError::Backup {
        path: dest.to_path_buf(),
        source,
    })?;
    // The copy holds everything the office reported: readable by its owner only.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o600)).map_err(|source| StoreError::Dir {
        path: dest.to_path_buf(),
        source,
    })?;
    Ok(())
}

/// Instants are stored as fixed-width UTC text so text order is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let (date, time) = (t.date_naive(), t.time());
    // Written by hand in the common case (a million case versions carry
    // millions of dates); chrono's formatter for what the fast path leaves.
    if (0..=9999).contains(&date.year()) && time.nanosecond() < 1_000_000_000 {
        let mut out = String::with_capacity(24);
        push_day(&mut out, date);
        out.push('T');
        push_digits(&mut out, time.hour(), 2);
        out.push(':');
        push_digits(&mut out, time.minute(), 2);
        out.push(':');
        push_digits(&mut out, time.second(), 2);
        out.push('.');
        push_digits(&mut out, time.nanosecond() / 1_000_000, 3);
        out.push('Z');
        return out;
    }
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Days are stored as `YYYY-MM-DD`.
pub fn day_text(d: NaiveDate) -> String {
    use chrono::Datelike;
    if (0..=9999).contains(&d.year()) {
        let mut out = String::with_capacity(10);
        push_day(&mut out, d);
        return out;
    }
    d.format("%Y-%m-%d").to_string()
}

/// A stored day; `None` when the text is not one.
pub fn parse_day_text(s: &str) -> Option<NaiveDate> {
    match ascii_day(s.as_bytes()) {
        Some(fast) => fast,
        None => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
    }
}

/// `YYYY-MM-DD` in ASCII digits: `Some` of the day (or of `None` when there
/// is no such day); `None` when the text has another shape.
fn ascii_day(b: &[u8]) -> Option<Option<NaiveDate>> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    Some(NaiveDate::from_ymd_opt(y as i32, m, d))
}

fn push_day(out: &mut String, d: NaiveDate) {
    use chrono::Datelike;
    push_digits(out, d.year() as u32, 4);
    out.push('-');
    push_digits(out, d.month(), 2);
    out.push('-');
    push_digits(out, d.day(), 2);
}

/// `n` in `width` decimal digits, zero-padded (`n` has at most `width`).
fn push_digits(out: &mut String, n: u32, width: u32) {
    for k in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10u32.pow(k) % 10) as u8));
    }
}

/// The number written in ASCII digits, none else.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter()
        .try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>, StoreError> {
    // The stored form, read by hand; anything else through chrono.
    let b = s.as_bytes();
    if b.len() == 24
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && let (Some(Some(day)), Some(h), Some(m), Some(sec), Some(ms)) = (
            ascii_day(&b[..10]),
            digits(&b[11..13]),
            digits(&b[14..16]),
            digits(&b[17..19]),
            digits(&b[20..23]),
        )
        && let Some(t) = day.and_hms_milli_opt(h, m, sec, ms)
    {
        return Ok(t.and_utc());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3fZ")
        .map(|n| n.and_utc())
        .or_else(|_| DateTime::<Utc>::from_str(s))
        .map_err(|_| StoreError::Corrupt(format!("'{s}' is not a stored instant")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone};

    #[test]
    fn stored_days_and_instants_read_and_write_as_chrono_does() {
        let mut d = NaiveDate::from_ymd_opt(1890, 1, 1).unwrap();
        let mut ms = 0u32;
        while d.year_ce().1 < 2130 {
            let text = day_text(d);
            assert_eq!(text, d.format("%Y-%m-%d").to_string());
            assert_eq!(parse_day_text(&text), Some(d));
            let t = Utc.from_utc_datetime(&d.and_hms_milli_opt(ms % 24, ms % 60, (ms * 7) % 60, ms % 1000).unwrap());
            let text = ts(t);
            assert_eq!(text, t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
            assert_eq!(parse_ts(&text).unwrap(), t);
            d = d.succ_opt().unwrap();
            ms += 37;
        }
        // Far years, sub-millisecond and leap-second instants: chrono's forms.
        for d in [
            NaiveDate::from_ymd_opt(12345, 6, 7).unwrap(),
            NaiveDate::from_ymd_opt(-44, 3, 15).unwrap(),
        ] {
            assert_eq!(day_text(d), d.format("%Y-%m-%d").to_string());
            assert_eq!(parse_day_text(&day_text(d)), Some(d));
        }
        let fine = Utc.from_utc_datetime(
            &NaiveDate::from_ymd_opt(2024, 9, 19)
                .unwrap()
                .and_hms_nano_opt(9, 5, 7, 123_456_789)
                .unwrap(),
        );
        assert_eq!(ts(fine), "2024-09-19T09:05:07.123Z");
        let leap = Utc.from_utc_datetime(
            &NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_milli_opt(23, 59, 59, 1_500)
                .unwrap(),
        );
        assert_eq!(ts(leap), leap.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        // Other shapes: what chrono reads, or an error.
        assert_eq!(parse_day_text("2024-9-1"), NaiveDate::from_ymd_opt(2024, 9, 1));
        for bad in [
            "2024-02-30",
            "2024-13-01",
            "abcd-ef-gh",
            "2024-09-1x",
            "",
            "2024-09-19T00",
        ] {
            assert_eq!(parse_day_text(bad), None, "{bad}");
        }
        assert_eq!(
            parse_ts("2024-09-19T16:30:00+07:00").unwrap(),
            Utc.with_ymd_and_hms(2024, 9, 19, 9, 30, 0).unwrap()
        );
        for bad in [
            "2024-09-19T25:00:00.000Z",
            "2024-02-30T00:00:00.000Z",
            "2024-09-19T0a:00:00.000Z",
            "now",
        ] {
            assert!(parse_ts(bad).is_err(), "{bad}");
        }
    }
}
