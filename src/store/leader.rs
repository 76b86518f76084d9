//! One active instance. On PostgreSQL two `giaoban run` processes may share
//! one database: the holder of a session-level advisory lock, taken on a
//! connection of its own (not from the pool), runs the scheduler, the
//! courier and the bot's polling; the other waits as standby and tries the
//! lock again every few seconds. PostgreSQL releases the lock with the
//! session — when the holder exits, is killed, or its connection breaks —
//! so no consensus of our own is needed. On SQLite there is one process per
//! file and it is always active.

use std::time::Duration;

use sqlx::Connection as _;

use super::{Backend, Conn, Store, StoreError};

/// The advisory lock key of the active instance ("giaoban" in ASCII).
pub const LEADER_KEY: i64 = 0x0067_6961_6f62_616e;

/// How long one look at the lock may take before the connection is given up.
const LOOK: Duration = Duration::from_secs(5);

/// This process's claim on the active role.
pub struct Leadership {
    backend: Backend,
    url: String,
    conn: Option<Conn>,
    held: bool,
}

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leadership")
            .field("backend", &self.backend)
            .field("held", &self.held)
            .finish_non_exhaustive()
    }
}

impl Leadership {
    pub fn new(store: &Store) -> Leadership {
        Leadership {
            backend: store.backend(),
            url: store.url().to_string(),
            conn: None,
            held: false,
        }
    }

    /// Whether this process holds the active role now: takes the lock when it
    /// is free, and proves a held one is still held (its session answers).
    /// An error means the lock's connection failed: the role is lost (the
    /// server releases the lock with the session) and the next call connects
    /// again.
    pub async fn poll(&mut self) -> Result<bool, StoreError> {
        if self.backend == Backend::Sqlite {
            self.held = true;
            return Ok(true);
        }
        match tokio::time::timeout(LOOK, self.look()).await {
            Ok(Ok(held)) => {
                self.held = held;
                Ok(held)
            }
            Ok(Err(e)) => {
                self.lose();
                Err(e)
            }
            Err(_) => {
                self.lose();
                Err(StoreError::Refused(format!(
                    "the database did not answer within {} s",
                    LOOK.as_secs()
                )))
            }
        }
    }

    async fn look(&mut self) -> Result<bool, StoreError> {
        if self.conn.is_none() {
            self.conn = Some(Conn::connect(&self.url).await?);
        }
        let conn = self.conn.as_mut().expect("connected above");
        if self.held {
            sqlx::query("SELECT 1").execute(&mut *conn).await?;
            return Ok(true);
        }
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LEADER_KEY)
            .fetch_one(&mut *conn)
            .await?;
        Ok(got)
    }

    /// Drops the lock's connection (the server releases the lock with it).
    fn lose(&mut self) {
        self.held = false;
        self.conn = None;
    }

    pub fn held(&self) -> bool {
        self.held
    }

    /// Gives the role up at once (a clean stop): the standby takes over on
    /// its next look instead of when the session times out.
    pub async fn release(mut self) {
        if let Some(mut conn) = self.conn.take() {
            if self.held {
                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(LEADER_KEY)
                    .execute(&mut conn)
                    .await;
            }
            let _ = tokio::time::timeout(LOOK, conn.close()).await;
        }
        self.held = false;
    }
}
