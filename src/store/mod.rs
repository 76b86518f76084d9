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

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

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
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A write transaction that takes SQLite's write lock at once, so two
    /// processes planning on one database take turns instead of interleaving.
    pub async fn begin_immediate(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
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
