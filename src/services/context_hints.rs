//! The chat each employee last had the sidebar open beside, noted in memory on every panel view
//! and written to `sidebar_last_context` in batches.
//!
//! The last context is a hint for the next visit (which chat to open when the sidebar is loaded
//! outside a chat), not a record. Writing it on the request path cost a write transaction per
//! chat switch, and on SQLite every commit makes the read connections drop their page caches.
//! Now a view only notes the chat here; a task writes what changed once a second
//! ([`FLUSH_EVERY`]) in one transaction, and the instance that noted a hint answers it from
//! memory until then. Another instance sees it within that second. A crash loses at most the
//! last second's hints.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::db::{Database, statement};
use crate::services::sidebar::ChatRef;

/// How often noted hints are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Rows per INSERT statement when writing.
const ROWS_PER_STATEMENT: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Hint {
    chat: ChatRef,
    at: DateTime<Utc>,
}

/// Hints noted since the last write, one per employee (the latest wins).
#[derive(Default)]
pub struct ContextHints {
    pending: Mutex<HashMap<(i64, i64), Hint>>,
}

impl ContextHints {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, i64), Hint>> {
        // A panic while holding this lock cannot leave the map half-changed: every change is one
        // insert or one swap.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes that the employee has this chat open now.
    pub fn note(&self, firm_id: i64, employee_id: i64, chat: &ChatRef, at: DateTime<Utc>) {
        let mut pending = self.lock();
        match pending.get_mut(&(firm_id, employee_id)) {
            Some(h) if h.at > at => {}
            Some(h) => {
                if h.chat != *chat {
                    h.chat = chat.clone();
                }
                h.at = at;
            }
            None => {
                pending.insert(
                    (firm_id, employee_id),
                    Hint {
                        chat: chat.clone(),
                        at,
                    },
                );
            }
        }
    }

    /// The chat noted for the employee and not yet written, if any.
    pub fn pending(&self, firm_id: i64, employee_id: i64) -> Option<ChatRef> {
        self.lock()
            .get(&(firm_id, employee_id))
            .map(|h| h.chat.clone())
    }

    /// How many hints wait to be written.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes every noted hint and forgets it. A row changes only when its chat differs and the
    /// hint is not older than what is stored (another instance may have written a newer one), so
    /// views that stay in one chat write nothing. Hints that could not be written are kept for
    /// the next try unless a newer one was noted meanwhile.
    pub async fn flush(&self, db: &Database) -> Result<usize, DbErr> {
        let taken: Vec<((i64, i64), Hint)> =
            std::mem::take(&mut *self.lock()).into_iter().collect();
        if taken.is_empty() {
            return Ok(0);
        }
        match write(db, &taken).await {
            Ok(()) => Ok(taken.len()),
            Err(e) => {
                let mut pending = self.lock();
                for (key, hint) in taken {
                    pending.entry(key).or_insert(hint);
                }
                Err(e)
            }
        }
    }
}

async fn write(db: &Database, hints: &[((i64, i64), Hint)]) -> Result<(), DbErr> {
    // Hints need not survive a database crash (see the module comment).
    let txn = db.begin_write_without_flush().await?;
    for chunk in hints.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO sidebar_last_context (firm_id, employee_id, chat_type, chat_key, updated_at) \
             SELECT v.firm_id, v.employee_id, v.chat_type, v.chat_key, v.updated_at FROM (",
        );
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 5);
        for (i, ((firm_id, employee_id), hint)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(" UNION ALL ");
            }
            sql.push_str(
                "SELECT ? AS firm_id, ? AS employee_id, ? AS chat_type, ? AS chat_key, ? AS updated_at",
            );
            values.extend([
                (*firm_id).into(),
                (*employee_id).into(),
                hint.chat.type_code().into(),
                hint.chat.key().into(),
                hint.at.into(),
            ]);
        }
        // Only employees that still exist: one deleted since its view must not fail the batch.
        // `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint.
        sql.push_str(
            ") v JOIN employee e ON e.firm_id = v.firm_id AND e.id = v.employee_id WHERE true \
             ON CONFLICT (firm_id, employee_id) DO UPDATE SET \
               chat_type = excluded.chat_type, chat_key = excluded.chat_key, \
               updated_at = excluded.updated_at \
             WHERE (sidebar_last_context.chat_type <> excluded.chat_type \
                    OR sidebar_last_context.chat_key <> excluded.chat_key) \
               AND sidebar_last_context.updated_at <= excluded.updated_at",
        );
        txn.execute_raw(statement(db.backend(), &sql, values))
            .await?;
    }
    txn.commit().await
}

/// Writes the hints every [`FLUSH_EVERY`] until the task is aborted (shutdown writes the rest);
/// a failed write is logged and retried on the next tick.
pub async fn flush_loop(hints: std::sync::Arc<ContextHints>, db: Database) {
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = hints.flush(&db).await {
            tracing::warn!(error = %e, "writing the sidebar's last contexts failed; retrying");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap_or_default()
    }

    #[test]
    fn the_latest_hint_per_employee_wins_and_an_older_one_is_ignored() {
        let hints = ContextHints::default();
        let a = ChatRef::Contact("wmA".into());
        let b = ChatRef::Group("wrB".into());
        hints.note(1, 7, &a, at(1));
        hints.note(1, 7, &b, at(2));
        hints.note(1, 7, &a, at(0));
        hints.note(2, 7, &a, at(0));
        assert_eq!(hints.pending(1, 7), Some(b));
        assert_eq!(hints.pending(2, 7), Some(a));
        assert_eq!(hints.pending(1, 8), None);
        assert_eq!(hints.len(), 2);
    }
}
