//! Storage: SQLite through sqlx (runtime queries, WAL), migrations embedded
//! and run at open. One module per table family; functions take a connection
//! so a caller can run several in one transaction.

pub mod briefing;
pub mod cases;
pub mod jobs;
pub mod outbox;
pub mod stats;
pub mod submissions;
pub mod telegram;
pub mod updates;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use std::sync::{Arc, Mutex};

use sqlx::Sqlite;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

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
}

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
    writes: Arc<WriteHealth>,
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
            *e = Some((Utc::now(), error.to_string()));
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

/// A write transaction owned by the store. It starts with `BEGIN IMMEDIATE`
/// (SQLite's write lock at once, so two processes take turns instead of
/// interleaving) and ends with [`Write::commit`]. Anything else — an error
/// returned with `?`, a failed `COMMIT`, a cancelled future — closes the
/// connection instead of returning it to the pool: SQLite rolls back what
/// was open, and no connection in an unknown transaction state is ever
/// handed out again. This is what lets the daemon heal after a full disk or
/// a read-only file without a restart.
pub struct Write {
    conn: Option<PoolConnection<Sqlite>>,
    health: Arc<WriteHealth>,
}

impl std::ops::Deref for Write {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn
            .as_deref()
            .expect("a write transaction is used only before commit")
    }
}

impl std::ops::DerefMut for Write {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
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

impl Store {
    /// Opens (creating if needed) the SQLite file at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store {
            pool,
            path: path.to_path_buf(),
            writes: Arc::new(WriteHealth::default()),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A write transaction (see [`Write`]).
    pub async fn write(&self) -> Result<Write, StoreError> {
        let mut conn = self.pool.acquire().await?;
        if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
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
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>, StoreError> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3fZ")
        .map(|n| n.and_utc())
        .or_else(|_| DateTime::<Utc>::from_str(s))
        .map_err(|_| StoreError::Corrupt(format!("'{s}' is not a stored instant")))
}
