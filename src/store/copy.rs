//! `giaoban migrate-data --from URL --to URL`: moves an office from one
//! database to another (SQLite to PostgreSQL, or back). Both are brought to
//! this build's schema first; the target must hold no data. Every table is
//! copied row by row with its ids (so outbox files, Telegram parts and case
//! versions keep pointing at their rows), in batches inside one write
//! transaction per table, then the counts of every table are compared.

use futures_util::TryStreamExt;
use sqlx::Row as _;

use super::{Backend, Conn, Row, Store, StoreError, flag};
use crate::config::Storage;

/// Every table of the schema, parents before children (outbox before
/// outbox_files). A table the source has and this list lacks refuses the
/// copy rather than leaving it behind.
pub const TABLES: &[&str] = &[
    "submissions",
    "collect_results",
    "outbox",
    "outbox_files",
    "job_runs",
    "source_cache",
    "telegram_messages",
    "telegram_chats",
    "case_versions",
    "case_marks",
    "case_counts",
    "telegram_updates",
    "telegram_strangers",
    "mutes",
    "tasks",
    "task_progress",
];

/// Tables of state a migration creates with their one row (under which
/// rules the case marks were computed): the source's row replaces it.
const REPLACED: &[&str] = &["case_marks"];

/// Tables whose `id` the database hands out: after a copy with explicit ids,
/// PostgreSQL's identity sequence is moved past the largest one.
const IDENTITY: &[&str] = &[
    "submissions",
    "outbox",
    "outbox_files",
    "case_versions",
    "mutes",
    "task_progress",
];

/// Values bound in one INSERT at most (bound by position on SQLite, see
/// [`super::placeholders`]; well under either database's limit).
const VALUES_PER_STATEMENT: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableCount {
    pub table: String,
    pub source: i64,
    pub target: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CopyReport {
    pub from: String,
    pub to: String,
    pub tables: Vec<TableCount>,
    pub rows: i64,
}

/// The kind of a column in the target, which decides how a source value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Real,
    Text,
    Blob,
}

#[derive(Debug, Clone)]
enum Value {
    Int(Option<i64>),
    Bool(Option<bool>),
    Real(Option<f64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

fn kind_of(declared: &str) -> Kind {
    let t = declared.to_ascii_lowercase();
    if t.contains("bool") {
        Kind::Bool
    } else if t.contains("int") {
        Kind::Int
    } else if t.contains("real") || t.contains("double") || t.contains("float") || t.contains("numeric") {
        Kind::Real
    } else if t.contains("blob") || t.contains("bytea") {
        Kind::Blob
    } else {
        Kind::Text
    }
}

/// The columns of `table` in the target database, in order, with their kinds.
async fn columns(conn: &mut Conn, backend: Backend, table: &str) -> Result<Vec<(String, Kind)>, StoreError> {
    let rows: Vec<Row> = match backend {
        Backend::Sqlite => {
            sqlx::query("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(&mut *conn)
                .await?
        }
        Backend::Postgres => {
            sqlx::query(
                "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    Ok(rows
        .iter()
        .map(|r| (r.get::<String, _>(0), kind_of(&r.get::<String, _>(1))))
        .collect())
}

/// The tables of a database (without sqlx's own).
async fn tables(conn: &mut Conn, backend: Backend) -> Result<Vec<String>, StoreError> {
    let rows: Vec<Row> = match backend {
        Backend::Sqlite => {
            sqlx::query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                   AND name <> '_sqlx_migrations' ORDER BY name",
            )
            .fetch_all(&mut *conn)
            .await?
        }
        Backend::Postgres => {
            sqlx::query(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                   AND table_name <> '_sqlx_migrations' ORDER BY table_name",
            )
            .fetch_all(&mut *conn)
            .await?
        }
    };
    Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
}

async fn count(conn: &mut Conn, table: &str) -> Result<i64, StoreError> {
    // `table` is one of TABLES, never outside input.
    let sql = format!("SELECT COUNT(*) FROM {table}");
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut *conn)
        .await?)
}

fn read(row: &Row, index: usize, kind: Kind) -> Result<Value, StoreError> {
    let null = sqlx::Row::try_get_raw(row, index)
        .map(|v| sqlx::ValueRef::is_null(&v))
        .unwrap_or(false);
    let corrupt = |e: sqlx::Error| StoreError::Corrupt(format!("column {index}: {e}"));
    Ok(match kind {
        Kind::Int => Value::Int(if null {
            None
        } else {
            Some(
                row.try_get::<i64, _>(index)
                    .or_else(|_| row.try_get::<bool, _>(index).map(i64::from))
                    .map_err(corrupt)?,
            )
        }),
        Kind::Bool => Value::Bool(if null { None } else { Some(flag(row, index)) }),
        Kind::Real => Value::Real(if null {
            None
        } else {
            Some(
                row.try_get::<f64, _>(index)
                    .or_else(|_| row.try_get::<i64, _>(index).map(|i| i as f64))
                    .map_err(corrupt)?,
            )
        }),
        Kind::Text => Value::Text(if null {
            None
        } else {
            Some(row.try_get::<String, _>(index).map_err(corrupt)?)
        }),
        Kind::Blob => Value::Blob(if null {
            None
        } else {
            Some(row.try_get::<Vec<u8>, _>(index).map_err(corrupt)?)
        }),
    })
}

async fn insert(conn: &mut Conn, table: &str, names: &[String], rows: &[Vec<Value>]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let width = names.len();
    let sql = format!(
        "INSERT{} INTO {table} ({}) VALUES {}",
        super::or_fail(conn),
        names.join(", "),
        super::placeholders(conn, rows.len(), width)
    );
    // Names come from the target's own schema and TABLES; every value is bound.
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for row in rows {
        for v in row {
            q = match v {
                Value::Int(x) => q.bind(*x),
                Value::Bool(x) => q.bind(*x),
                Value::Real(x) => q.bind(*x),
                Value::Text(x) => q.bind(x.clone()),
                Value::Blob(x) => q.bind(x.clone()),
            };
        }
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Copies everything from `from` into the empty database `to`.
pub async fn copy(from: &Storage, to: &Storage) -> Result<CopyReport, StoreError> {
    if let (Storage::Sqlite { path: a }, Storage::Sqlite { path: b }) = (from, to)
        && a == b
    {
        return Err(StoreError::Refused("--from and --to are the same database".into()));
    }
    if let Storage::Sqlite { path } = from
        && !path.exists()
    {
        return Err(StoreError::Missing(path.clone()));
    }
    let source = Store::connect(from).await?;
    let target = Store::connect(to).await?;
    let mut src = source.read().await?;
    let known = tables(&mut src, source.backend()).await?;
    if let Some(unknown) = known.iter().find(|t| !TABLES.contains(&t.as_str())) {
        return Err(StoreError::Refused(format!(
            "the source has a table this build does not know ({unknown}); use the giaoban that wrote it"
        )));
    }
    {
        let mut dst = target.read().await?;
        for table in TABLES.iter().filter(|t| !REPLACED.contains(t)) {
            let n = count(&mut dst, table).await?;
            if n > 0 {
                return Err(StoreError::Refused(format!(
                    "the target already holds data ({n} rows in {table}); migrate-data writes only into an empty database"
                )));
            }
        }
    }
    let mut counts = Vec::new();
    for table in TABLES {
        let mut tx = target.write().await?;
        if REPLACED.contains(table) {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await?;
        }
        let cols = columns(&mut tx, target.backend(), table).await?;
        let names: Vec<String> = cols.iter().map(|(n, _)| n.clone()).collect();
        let per_statement = (VALUES_PER_STATEMENT / names.len().max(1)).max(1);
        // Column names come from the target's schema: the same tables on both backends.
        let select = format!("SELECT {} FROM {table}", names.join(", "));
        let mut stream = sqlx::query(sqlx::AssertSqlSafe(select)).fetch(&mut *src);
        let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_statement);
        while let Some(row) = stream.try_next().await? {
            let mut values = Vec::with_capacity(cols.len());
            for (i, (_, kind)) in cols.iter().enumerate() {
                values.push(read(&row, i, *kind)?);
            }
            batch.push(values);
            if batch.len() == per_statement {
                insert(&mut tx, table, &names, &batch).await?;
                batch.clear();
            }
        }
        drop(stream);
        insert(&mut tx, table, &names, &batch).await?;
        if target.backend() == Backend::Postgres && IDENTITY.contains(table) {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        let mut dst = target.read().await?;
        counts.push(TableCount {
            table: table.to_string(),
            source: count(&mut src, table).await?,
            target: count(&mut dst, table).await?,
        });
    }
    drop(src);
    source.close().await;
    target.close().await;
    if let Some(bad) = counts.iter().find(|c| c.source != c.target) {
        return Err(StoreError::Refused(format!(
            "{}: {} rows in the source but {} in the target after the copy",
            bad.table, bad.source, bad.target
        )));
    }
    Ok(CopyReport {
        from: source.place().to_string(),
        to: target.place().to_string(),
        rows: counts.iter().map(|c| c.target).sum(),
        tables: counts,
    })
}
