//! Full WeCom sync progress: `sync_job.state` (the resumable cursor as JSON), `errors` (calls
//! that WeCom refused or throttled and were retried) and `api_calls`; `wecom_sync_seen`, the
//! objects a run has seen, so what WeCom no longer has is marked gone when the run completes.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000401_add_wecom_sync_progress"
    }
}

const STATEMENTS: &[&str] = &[
    r#"ALTER TABLE sync_job ADD COLUMN state TEXT"#,
    r#"ALTER TABLE sync_job ADD COLUMN errors INTEGER NOT NULL DEFAULT 0"#,
    r#"ALTER TABLE sync_job ADD COLUMN api_calls INTEGER NOT NULL DEFAULT 0"#,
    r#"CREATE TABLE wecom_sync_seen (
    sync_job_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    PRIMARY KEY (sync_job_id, kind, object_id),
    CONSTRAINT fk_wecom_sync_seen_sync_job_id FOREIGN KEY (sync_job_id) REFERENCES sync_job (id)
)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
