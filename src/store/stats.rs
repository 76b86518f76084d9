//! Counts for `/metrics`, read from the tables so they survive a restart.
//! Each is one aggregate query over an indexed or small table.

use std::collections::BTreeMap;

use sqlx::Row as _;

use super::{Conn, StoreError};

/// What the database knows, summed up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Files stored, by `accepted` / `rejected`.
    pub submissions: BTreeMap<String, i64>,
    /// Outbox rows by (kind, state).
    pub outbox: BTreeMap<(String, String), i64>,
    /// Delivery attempts that did not deliver (retried or given up).
    pub failed_attempts: i64,
}

pub async fn stats(conn: &mut Conn) -> Result<Stats, StoreError> {
    let mut out = Stats::default();
    for row in sqlx::query("SELECT accepted, COUNT(*) FROM submissions GROUP BY accepted")
        .fetch_all(&mut *conn)
        .await?
    {
        let outcome = if super::flag(&row, 0) { "accepted" } else { "rejected" };
        out.submissions.insert(outcome.to_string(), row.get(1));
    }
    for row in sqlx::query("SELECT kind, state, COUNT(*) FROM outbox GROUP BY kind, state")
        .fetch_all(&mut *conn)
        .await?
    {
        out.outbox.insert((row.get(0), row.get(1)), row.get(2));
    }
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(attempts), 0) - COALESCE(SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM outbox WHERE attempts > 0",
    )
    .fetch_one(&mut *conn)
    .await?;
    out.failed_attempts = row.get(0);
    Ok(out)
}
