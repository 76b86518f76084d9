//! When each scheduled job last ran, so a restart can catch up.

use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{Conn, StoreError, parse_ts, ts};

pub async fn last_run(conn: &mut Conn, job: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    let row = sqlx::query("SELECT last_at FROM job_runs WHERE job = $1")
        .bind(job)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| parse_ts(&r.get::<String, _>(0))).transpose()
}

pub async fn set_last_run(
    conn: &mut Conn,
    job: &str,
    at: DateTime<Utc>,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO job_runs (job, last_at, detail) VALUES ($1, $2, $3)
         ON CONFLICT (job) DO UPDATE SET last_at = excluded.last_at, detail = excluded.detail",
    )
    .bind(job)
    .bind(ts(at))
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
