//! Creates `callback_inbox`, `background_job`, `sync_job`, `wecom_token_cache`, `web_session`.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000007_create_system_tables"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE callback_inbox (
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
    CONSTRAINT uq_callback_inbox_firm_id_dedupe_key UNIQUE (firm_id, dedupe_key),
    CONSTRAINT fk_callback_inbox_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_callback_inbox_app_id FOREIGN KEY (firm_id, app_id) REFERENCES wecom_app (firm_id, id)
)"#,
    r#"CREATE INDEX ix_callback_inbox_status_id ON callback_inbox (status, id)"#,
    r#"CREATE TABLE background_job (
    id {ID},
    firm_id BIGINT,
    kind TEXT NOT NULL,
    payload {JSON} NOT NULL,
    dedupe_key TEXT,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    run_at {TS} NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    lease_until {TS},
    locked_by TEXT,
    last_error TEXT,
    finished_at {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CONSTRAINT fk_background_job_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE UNIQUE INDEX ux_background_job_kind_dedupe_key ON background_job (kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND status IN ('queued','running')"#,
    r#"CREATE INDEX ix_background_job_status_run_at ON background_job (status, run_at)"#,
    r#"CREATE INDEX ix_background_job_firm_id_kind ON background_job (firm_id, kind)"#,
    r#"CREATE TABLE sync_job (
    id {ID},
    firm_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('members', 'contacts', 'groups', 'tags')),
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    next_cursor TEXT,
    total INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    started_by BIGINT,
    started_at {TS},
    finished_at {TS},
    last_error TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CONSTRAINT fk_sync_job_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_sync_job_started_by FOREIGN KEY (firm_id, started_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_sync_job_firm_id_kind_created_at ON sync_job (firm_id, kind, created_at)"#,
    r#"CREATE TABLE wecom_token_cache (
    firm_id BIGINT NOT NULL,
    app_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('access_token', 'jsapi_ticket', 'agent_ticket')),
    value_enc TEXT,
    expires_at {TS},
    refreshed_at {TS},
    lock_owner TEXT,
    lock_until {TS},
    updated_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, app_id, kind),
    CONSTRAINT fk_wecom_token_cache_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_wecom_token_cache_app_id FOREIGN KEY (firm_id, app_id) REFERENCES wecom_app (firm_id, id)
)"#,
    r#"CREATE TABLE web_session (
    firm_id BIGINT NOT NULL,
    id TEXT NOT NULL,
    employee_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('sidebar', 'admin')),
    expires_at {TS} NOT NULL,
    last_seen_at {TS} NOT NULL,
    ip TEXT,
    user_agent TEXT,
    revoked_at {TS},
    created_at {TS} NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_web_session_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_web_session_employee_id FOREIGN KEY (firm_id, employee_id) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_web_session_firm_id_employee_id ON web_session (firm_id, employee_id)"#,
    r#"CREATE INDEX ix_web_session_expires_at ON web_session (expires_at)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
