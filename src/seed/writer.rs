//! Bulk inserts: rows are buffered per table and written as multi-row `INSERT … VALUES (…), (…)`
//! statements with bound values, inside the caller's write transaction.
//!
//! Statements stay under 30,000 bound values (SQLite allows 32,766, PostgreSQL 65,535), and a
//! table's full-size statement has the same text every time, so the driver prepares it once.
//! JSON columns are bound as text; PostgreSQL casts them to `jsonb` in the statement.

use std::collections::HashMap;
use std::fmt::Write as _;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement, Value};

use super::progress::Progress;

const MAX_PARAMS: usize = 30_000;
const MAX_ROWS: usize = 2_000;

/// A table and the columns the seeder fills, in the order rows supply them.
pub(crate) struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub json: &'static [&'static str],
    /// Tables (direct and indirect parents) whose queued rows must be written before a
    /// statement of this one, because foreign keys are checked per statement.
    pub after: &'static [&'static str],
}

impl Table {
    fn rows_per_statement(&self) -> usize {
        (MAX_PARAMS / self.columns.len().max(1)).clamp(1, MAX_ROWS)
    }
}

struct Buffer {
    table: &'static Table,
    values: Vec<Value>,
    written: u64,
}

pub(crate) struct Writer<'a> {
    txn: &'a DatabaseTransaction,
    backend: DbBackend,
    buffers: Vec<Buffer>,
    sql: HashMap<(&'static str, usize), String>,
    pub progress: Progress,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(
        txn: &'a DatabaseTransaction,
        backend: DbBackend,
        tables: &[&'static Table],
        progress: Progress,
    ) -> Writer<'a> {
        Writer {
            txn,
            backend,
            buffers: tables
                .iter()
                .map(|&table| Buffer {
                    table,
                    values: Vec::new(),
                    written: 0,
                })
                .collect(),
            sql: HashMap::new(),
            progress,
        }
    }

    fn buffer(&mut self, table: &'static Table) -> &mut Buffer {
        let index = self
            .buffers
            .iter()
            .position(|b| std::ptr::eq(b.table, table))
            .unwrap_or_else(|| {
                self.buffers.push(Buffer {
                    table,
                    values: Vec::new(),
                    written: 0,
                });
                self.buffers.len() - 1
            });
        &mut self.buffers[index]
    }

    /// Queues one row; its values must follow `table.columns`.
    pub(crate) fn push<const N: usize>(&mut self, table: &'static Table, row: [Value; N]) {
        debug_assert_eq!(N, table.columns.len(), "{}", table.name);
        self.buffer(table).values.extend(row);
    }

    /// Writes everything queued (parents before children, as `tables` were listed).
    pub(crate) async fn flush_all(&mut self) -> Result<(), DbErr> {
        for i in 0..self.buffers.len() {
            let width = self.buffers[i].table.columns.len();
            let rows = self.buffers[i].values.len() / width;
            if rows > 0 {
                self.write_rows(i, rows).await?;
            }
        }
        Ok(())
    }

    /// Writes every full statement's worth of queued rows.
    pub(crate) async fn flush_ready(&mut self) -> Result<(), DbErr> {
        for i in 0..self.buffers.len() {
            let per = self.buffers[i].table.rows_per_statement();
            let width = self.buffers[i].table.columns.len();
            while self.buffers[i].values.len() >= per * width {
                self.write_rows(i, per).await?;
            }
        }
        Ok(())
    }

    /// Writes everything queued and returns the rows written per table.
    pub(crate) async fn finish(&mut self) -> Result<Vec<(&'static str, u64)>, DbErr> {
        self.flush_all().await?;
        self.progress.finish();
        Ok(self
            .buffers
            .iter()
            .map(|b| (b.table.name, b.written))
            .collect())
    }

    async fn write_rows(&mut self, index: usize, rows: usize) -> Result<(), DbErr> {
        let parents = self.buffers[index].table.after;
        for j in 0..self.buffers.len() {
            if parents.contains(&self.buffers[j].table.name) {
                let width = self.buffers[j].table.columns.len();
                let pending = self.buffers[j].values.len() / width;
                if pending > 0 {
                    self.execute(j, pending).await?;
                }
            }
        }
        self.execute(index, rows).await
    }

    /// Writes `rows` queued rows of one table, in statements of at most the table's size.
    async fn execute(&mut self, index: usize, rows: usize) -> Result<(), DbErr> {
        let per = self.buffers[index].table.rows_per_statement();
        let mut left = rows;
        while left > 0 {
            let now = left.min(per);
            self.execute_one(index, now).await?;
            left -= now;
        }
        Ok(())
    }

    async fn execute_one(&mut self, index: usize, rows: usize) -> Result<(), DbErr> {
        let table = self.buffers[index].table;
        let width = table.columns.len();
        let take = rows * width;
        let buffer = &mut self.buffers[index];
        let rest = buffer.values.split_off(take);
        let values = std::mem::replace(&mut buffer.values, rest);
        let backend = self.backend;
        let sql = self
            .sql
            .entry((table.name, rows))
            .or_insert_with(|| insert_sql(table, rows, backend))
            .clone();
        self.txn
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        let buffer = &mut self.buffers[index];
        buffer.written += rows as u64;
        let written = buffer.written;
        self.progress.set(table.name, written);
        Ok(())
    }
}

fn insert_sql(table: &Table, rows: usize, backend: DbBackend) -> String {
    let width = table.columns.len();
    let mut sql = String::with_capacity(64 + rows * width * 6);
    let _ = write!(
        sql,
        "INSERT INTO {} ({}) VALUES ",
        table.name,
        table.columns.join(", ")
    );
    let mut n = 0usize;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for (c, column) in table.columns.iter().enumerate() {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            match backend {
                DbBackend::Postgres if table.json.contains(column) => {
                    let _ = write!(sql, "CAST(${n} AS jsonb)");
                }
                DbBackend::Postgres => {
                    let _ = write!(sql, "${n}");
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// Value constructors that keep the SQL type even for NULL, which PostgreSQL needs.
pub(crate) mod v {
    use chrono::{DateTime, NaiveDate, Utc};
    use sea_orm::Value;

    pub(crate) fn id(x: i64) -> Value {
        Value::BigInt(Some(x))
    }
    pub(crate) fn big(x: i64) -> Value {
        Value::BigInt(Some(x))
    }
    pub(crate) fn opt_big(x: Option<i64>) -> Value {
        Value::BigInt(x)
    }
    pub(crate) fn int(x: i32) -> Value {
        Value::Int(Some(x))
    }
    pub(crate) fn text(x: impl Into<String>) -> Value {
        Value::String(Some(x.into()))
    }
    pub(crate) fn opt_text(x: Option<impl Into<String>>) -> Value {
        Value::String(x.map(Into::into))
    }
    pub(crate) fn boolean(x: bool) -> Value {
        Value::Bool(Some(x))
    }
    pub(crate) fn ts(x: DateTime<Utc>) -> Value {
        Value::ChronoDateTimeUtc(Some(x))
    }
    pub(crate) fn opt_ts(x: Option<DateTime<Utc>>) -> Value {
        Value::ChronoDateTimeUtc(x)
    }
    pub(crate) fn date(x: NaiveDate) -> Value {
        Value::ChronoDate(Some(x))
    }
    /// JSON text; the writer casts it on PostgreSQL.
    pub(crate) fn json(x: String) -> Value {
        Value::String(Some(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static T: Table = Table {
        name: "t",
        columns: &["a", "b", "lines"],
        json: &["lines"],
        after: &[],
    };

    #[test]
    fn placeholders_follow_the_backend() {
        assert_eq!(
            insert_sql(&T, 2, DbBackend::Sqlite),
            "INSERT INTO t (a, b, lines) VALUES (?,?,?),(?,?,?)"
        );
        assert_eq!(
            insert_sql(&T, 2, DbBackend::Postgres),
            "INSERT INTO t (a, b, lines) VALUES ($1,$2,CAST($3 AS jsonb)),($4,$5,CAST($6 AS jsonb))"
        );
    }

    #[test]
    fn statements_stay_under_the_parameter_limit() {
        assert_eq!(T.rows_per_statement(), MAX_ROWS);
        static WIDE: Table = Table {
            name: "w",
            columns: &["c"; 21],
            json: &[],
            after: &[],
        };
        assert!(WIDE.rows_per_statement() * 21 <= MAX_PARAMS);
    }
}
