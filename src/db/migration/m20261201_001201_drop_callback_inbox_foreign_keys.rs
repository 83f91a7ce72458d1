//! Drops the foreign keys of `callback_inbox` (to `firm` and to `wecom_app`).
//!
//! The inbox is the intake log in front of every WeCom event, written at full speed and
//! acknowledged only after the commit. Its `firm_id` and `app_id` are never typed in: intake
//! copies them from the app row it has just read to check the callback's signature, and firms and
//! apps are never deleted (they are suspended or disabled). The foreign keys guarded nothing, and
//! cost a check per row: on PostgreSQL two referential-integrity queries per inserted row, each
//! taking a key-share lock on the firm's and the app's row — a quarter of the inserting backend's
//! time in a profile of the callback benchmark. An event whose firm or app cannot be found when it
//! is applied is retried with backoff and then parked with its reason, like any event whose app
//! cannot be used.
//!
//! PostgreSQL drops the constraints in place; SQLite cannot, so it rebuilds the table (rows, ids,
//! the unique dedupe key and the status index kept) inside the migration's transaction.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_001201_drop_callback_inbox_foreign_keys"
    }
}

const POSTGRES: &[&str] = &["ALTER TABLE callback_inbox \
     DROP CONSTRAINT fk_callback_inbox_firm_id, \
     DROP CONSTRAINT fk_callback_inbox_app_id"];

const COLUMNS: &str = "id, firm_id, app_id, dedupe_key, received_at, msg_type, event, \
     change_type, payload, status, attempts, lease_until, processed_at, last_error, object_key";

const SQLITE: &[&str] = &[
    r#"CREATE TABLE callback_inbox_rebuilt (
    id {ID},
    firm_id BIGINT NOT NULL,
    app_id BIGINT NOT NULL,
    dedupe_key TEXT NOT NULL,
    received_at {TS} NOT NULL,
    msg_type TEXT NOT NULL DEFAULT '',
    event TEXT NOT NULL DEFAULT '',
    change_type TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until {TS},
    processed_at {TS},
    last_error TEXT,
    object_key TEXT,
    CONSTRAINT uq_callback_inbox_firm_id_dedupe_key UNIQUE (firm_id, dedupe_key)
)"#,
    "INSERT INTO callback_inbox_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM callback_inbox",
    "DROP TABLE callback_inbox",
    "ALTER TABLE callback_inbox_rebuilt RENAME TO callback_inbox",
    "CREATE INDEX ix_callback_inbox_status_id ON callback_inbox (status, id)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => portable::execute_all(manager, POSTGRES).await,
            backend => {
                let conn = manager.get_connection();
                for statement in SQLITE {
                    let sql = portable::render(statement, backend).replace("{COLUMNS}", COLUMNS);
                    conn.execute_unprepared(&sql).await?;
                }
                Ok(())
            }
        }
    }
}
