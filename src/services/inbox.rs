//! The callback inbox: every accepted WeCom event is committed here before WeCom gets its ack.
//!
//! Writes go through one writer task that commits in groups: whatever requests are queued when
//! the previous commit finishes go into the next transaction, and each request is answered only
//! after the transaction holding its row has committed. Under load this turns thousands of tiny
//! transactions into a few larger ones (SQLite has one writer; PostgreSQL pays a WAL flush per
//! commit) without ever acknowledging an event that is not stored.
//!
//! Duplicates (a WeCom retry of an event we already hold) are absorbed by the unique key
//! `(firm_id, dedupe_key)`: the insert does nothing and the retry is acknowledged again.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};
use tokio::sync::{mpsc, oneshot};

use crate::db::Database;
use crate::error::AppError;

/// Requests a single transaction may carry; bounds latency and statement size.
const MAX_BATCH: usize = 1024;
/// Rows per INSERT statement (8 parameters each stays far below both databases' limits).
const ROWS_PER_STATEMENT: usize = 256;
/// Approximate bytes per INSERT statement. Keeping each statement within one TLS record (16 KiB)
/// means one write per statement: sqlx 0.9.0 does not set TCP_NODELAY, and a statement split
/// into a large and a small write waits for the server's delayed ACK (~40 ms) on TLS connections.
const BYTES_PER_STATEMENT: usize = 12 * 1024;
/// Bytes a row adds besides its payload (ids, dedupe key, time, event names, framing).
const ROW_OVERHEAD_BYTES: usize = 160;
/// Requests that may wait for the writer before senders are slowed down.
const QUEUE_DEPTH: usize = 16 * 1024;

/// One decrypted callback, ready to store.
#[derive(Clone, Debug)]
pub struct InboxRow {
    pub firm_id: i64,
    pub app_id: i64,
    pub dedupe_key: String,
    pub received_at: DateTime<Utc>,
    pub msg_type: String,
    pub event: String,
    pub change_type: String,
    pub payload: String,
}

struct Pending {
    row: InboxRow,
    done: oneshot::Sender<Result<(), String>>,
}

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct InboxWriter {
    tx: mpsc::Sender<Pending>,
}

impl InboxWriter {
    /// Starts the writer. It stops when every handle is dropped, after draining its queue.
    pub fn spawn(db: Database) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let task = tokio::spawn(write_loop(db, rx));
        (Self { tx }, task)
    }

    /// Stores `row` and returns once it is committed (or was already there).
    pub async fn store(&self, row: InboxRow) -> Result<(), AppError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Pending { row, done })
            .await
            .map_err(|_| AppError::Unavailable("inbox writer stopped".into()))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(AppError::Internal(format!("storing callback failed: {e}"))),
            Err(_) => Err(AppError::Unavailable("inbox writer stopped".into())),
        }
    }
}

async fn write_loop(db: Database, mut rx: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        commit_batch(&db, &mut batch).await;
    }
}

async fn commit_batch(db: &Database, batch: &mut Vec<Pending>) {
    let rows: Vec<&InboxRow> = batch.iter().map(|p| &p.row).collect();
    match insert_in_one_transaction(db, &rows).await {
        Ok(()) => {
            for p in batch.drain(..) {
                let _ = p.done.send(Ok(()));
            }
        }
        Err(e) => {
            // One bad row must not fail its neighbours: retry each on its own.
            tracing::warn!(error = %e, rows = batch.len(), "inbox batch failed; retrying rows one by one");
            for p in batch.drain(..) {
                let result = insert_in_one_transaction(db, &[&p.row])
                    .await
                    .map_err(|e| e.to_string());
                let _ = p.done.send(result);
            }
        }
    }
}

async fn insert_in_one_transaction(db: &Database, rows: &[&InboxRow]) -> Result<(), DbErr> {
    if rows.len() == 1 {
        // A single statement is its own transaction; skip BEGIN/COMMIT round trips.
        return db
            .write()
            .execute_raw(insert_statement(db.backend(), rows))
            .await
            .map(|_| ());
    }
    let txn = db.begin_write().await?;
    for chunk in statement_chunks(rows) {
        txn.execute_raw(insert_statement(db.backend(), chunk))
            .await?;
    }
    txn.commit().await
}

/// Splits rows into statements bounded by row count and by approximate size.
fn statement_chunks<'a, 'r>(rows: &'a [&'r InboxRow]) -> Vec<&'a [&'r InboxRow]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, row) in rows.iter().enumerate() {
        let size = row.payload.len() + ROW_OVERHEAD_BYTES;
        if i > start && (bytes + size > BYTES_PER_STATEMENT || i - start == ROWS_PER_STATEMENT) {
            chunks.push(&rows[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < rows.len() {
        chunks.push(&rows[start..]);
    }
    chunks
}

fn insert_statement(backend: DbBackend, rows: &[&InboxRow]) -> Statement {
    const COLUMNS: usize = 8;
    let mut sql = String::with_capacity(160 + rows.len() * 48);
    sql.push_str(
        "INSERT INTO callback_inbox \
         (firm_id, app_id, dedupe_key, received_at, msg_type, event, change_type, payload) VALUES ",
    );
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * COLUMNS);
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..COLUMNS {
            if c > 0 {
                sql.push(',');
            }
            match backend {
                DbBackend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(i * COLUMNS + c + 1).to_string());
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
        values.push(row.firm_id.into());
        values.push(row.app_id.into());
        values.push(row.dedupe_key.clone().into());
        values.push(row.received_at.into());
        values.push(row.msg_type.clone().into());
        values.push(row.event.clone().into());
        values.push(row.change_type.clone().into());
        values.push(row.payload.clone().into());
    }
    sql.push_str(" ON CONFLICT (firm_id, dedupe_key) DO NOTHING");
    Statement::from_sql_and_values(backend, sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str) -> InboxRow {
        InboxRow {
            firm_id: 1,
            app_id: 2,
            dedupe_key: key.into(),
            received_at: chrono::DateTime::UNIX_EPOCH,
            msg_type: "event".into(),
            event: "change_external_contact".into(),
            change_type: "add_external_contact".into(),
            payload: "<xml/>".into(),
        }
    }

    #[test]
    fn statement_numbers_postgres_parameters_across_rows() {
        let (a, b) = (row("a"), row("b"));
        let stmt = insert_statement(DbBackend::Postgres, &[&a, &b]);
        assert!(stmt.sql.contains("($1,$2,$3,$4,$5,$6,$7,$8),($9,"));
        assert!(
            stmt.sql
                .ends_with("ON CONFLICT (firm_id, dedupe_key) DO NOTHING")
        );
        assert_eq!(stmt.values.map(|v| v.0.len()), Some(16));
    }

    #[test]
    fn statements_stay_small_but_never_empty() {
        let small: Vec<InboxRow> = (0..600).map(|i| row(&i.to_string())).collect();
        let refs: Vec<&InboxRow> = small.iter().collect();
        let chunks = statement_chunks(&refs);
        assert_eq!(chunks.iter().map(|c| c.len()).sum::<usize>(), 600);
        assert!(
            chunks
                .iter()
                .all(|c| !c.is_empty() && c.len() <= ROWS_PER_STATEMENT)
        );

        let mut huge = row("big");
        huge.payload = "x".repeat(40 * 1024);
        let mixed = [&small[0], &huge, &small[1]];
        let chunks = statement_chunks(&mixed);
        assert_eq!(chunks.len(), 3, "an oversized row goes alone");
        assert!(statement_chunks(&[]).is_empty());
    }

    #[test]
    fn statement_uses_question_marks_on_sqlite() {
        let a = row("a");
        let stmt = insert_statement(DbBackend::Sqlite, &[&a]);
        assert!(stmt.sql.contains("(?,?,?,?,?,?,?,?)"));
    }
}
