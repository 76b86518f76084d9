//! Reads of many rows, packed: the database builds JSON arrays of up to
//! [`PACK`] rows and hands over one row per pack, which serde parses into
//! typed tuples.
//!
//! sqlx's SQLite driver steps a statement on its own worker thread and
//! hands every row to the caller through a channel (a thread wake-up each),
//! then copies it into a generic row and each value into an owned one: about
//! 6 µs a row, so 10,000 units' facts cost 60–90 ms and 150,000 overdue
//! cases two seconds, most of it handing over. Packed, the same rows are a
//! few hundred hand-overs and one JSON parse.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::{Conn, Query, StoreError};

/// Rows in one pack.
const PACK: usize = 1000;

/// `SELECT {columns} {from} ORDER BY {order}` (with `LIMIT limit`), each
/// row parsed as `T` (a tuple of the columns, in order; see [`Flag`]).
/// `binds` are the parameters `from` and `order` use, `$1`, `$2`, … in turn.
pub(crate) async fn fetch<T: DeserializeOwned>(
    conn: &mut Conn,
    columns: &str,
    from: &str,
    order: &str,
    limit: Option<usize>,
    binds: &[&str],
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    each(conn, columns, from, order, limit, binds, |row| {
        out.push(row);
        Ok(())
    })
    .await?;
    Ok(out)
}

/// [`fetch`], handing each row to `row` in turn: at most one pack is held.
pub(crate) async fn each<T: DeserializeOwned>(
    conn: &mut Conn,
    columns: &str,
    from: &str,
    order: &str,
    limit: Option<usize>,
    binds: &[&str],
    mut row: impl FnMut(T) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    let inner =
        format!("SELECT {columns}, row_number() OVER (ORDER BY {order}) AS packed_n {from} ORDER BY {order}{limit}");
    let sql = if conn.backend_name() == "SQLite" {
        format!(
            "SELECT json_group_array(json_array({columns}) ORDER BY packed_n) FROM ({inner}) AS packed
             GROUP BY (packed_n - 1) / {PACK} ORDER BY (packed_n - 1) / {PACK}"
        )
    } else {
        format!(
            "SELECT json_agg(json_build_array({columns}) ORDER BY packed_n)::text FROM ({inner}) AS packed
             GROUP BY (packed_n - 1) / {PACK} ORDER BY (packed_n - 1) / {PACK}"
        )
    };
    each_pack(conn, sql, binds, |rows: Vec<T>| rows.into_iter().try_for_each(&mut row)).await
}

/// Runs `sql` (built from the callers' fixed text only: every value is
/// bound, `binds` as `$1`, `$2`, …), each row one pack of rows as JSON text,
/// handing each pack, parsed, to `pack` in turn.
async fn each_pack<T: DeserializeOwned>(
    conn: &mut Conn,
    sql: String,
    binds: &[&str],
    mut pack: impl FnMut(T) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    use futures_util::TryStreamExt;
    let mut query: Query<'_> = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in binds {
        query = query.bind(value.to_string());
    }
    let mut packs = query.fetch(&mut *conn);
    while let Some(row) = packs.try_next().await? {
        let text: String = sqlx::Row::try_get(&row, 0)?;
        pack(serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("packed rows: {e}")))?)?;
    }
    Ok(())
}

/// `SELECT {columns} {from}` (which names a `unit` column), one pack per
/// unit, the units in ascending order and each unit's rows in no particular
/// order: `pack` gets each unit's rows in turn. Units are compared byte by
/// byte on both backends.
///
/// No row is numbered: the rows are grouped by unit as the statement finds
/// them (in the order of an index that leads with the unit, or with one
/// sort by unit). Numbering every row and sorting it again for packs of
/// [`PACK`] cost more than reading them (150,000 overdue cases of a million:
/// 0.52 s against 0.21 s in SQLite alone); sorting a unit's few rows is the
/// caller's, and cheap.
pub(crate) async fn each_unit<T: DeserializeOwned>(
    conn: &mut Conn,
    columns: &str,
    from: &str,
    binds: &[&str],
    pack: impl FnMut(Vec<T>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let sql = if conn.backend_name() == "SQLite" {
        format!("SELECT json_group_array(json_array({columns})) {from} GROUP BY unit ORDER BY unit")
    } else {
        // Byte order, as SQLite's and Rust's, whatever the database's collation.
        format!("SELECT json_agg(json_build_array({columns}))::text {from} GROUP BY unit ORDER BY unit COLLATE \"C\"")
    };
    each_pack(conn, sql, binds, pack).await
}

/// A boolean column: `true`/`false` on PostgreSQL, `1`/`0` on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor, not an untagged enum: that tried `bool` first and built
        // (and formatted) an error for every SQLite `1`/`0` it then read.
        struct Either;
        impl serde::de::Visitor<'_> for Either {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a boolean or an integer")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Flag, E> {
                Ok(Flag(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Flag, E> {
                Ok(Flag(i != 0))
            }
            fn visit_u64<E>(self, i: u64) -> Result<Flag, E> {
                Ok(Flag(i != 0))
            }
        }
        d.deserialize_any(Either)
    }
}

#[cfg(test)]
mod tests {
    use super::Flag;

    #[test]
    fn a_flag_reads_both_backends_booleans_and_refuses_anything_else() {
        let read = |text: &str| serde_json::from_str::<Vec<Flag>>(text);
        // PostgreSQL's `true`/`false`, SQLite's `1`/`0`.
        let flags = read("[true, false, 1, 0, 2]").expect("booleans and integers");
        assert_eq!(
            flags,
            vec![Flag(true), Flag(false), Flag(true), Flag(false), Flag(true)]
        );
        assert!(read(r#"["1"]"#).is_err(), "text is not a flag");
        assert!(read("[null]").is_err(), "null is not a flag");
    }
}
