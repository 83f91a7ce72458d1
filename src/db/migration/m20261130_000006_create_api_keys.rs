//! Creates `api_key` (per-firm keys for the REST API, stored as SHA-256 of the key, shown by
//! prefix only) and `api_idempotency` (the first answer to each `Idempotency-Key`).

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000006_create_api_keys"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE api_key (
    id {ID},
    firm_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_by BIGINT,
    created_at {TS} NOT NULL,
    last_used_at {TS},
    revoked_at {TS},
    CONSTRAINT uq_api_key_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT uq_api_key_key_hash UNIQUE (key_hash),
    CONSTRAINT fk_api_key_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_api_key_created_by FOREIGN KEY (firm_id, created_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_api_key_firm_id ON api_key (firm_id)"#,
    r#"CREATE TABLE api_idempotency (
    firm_id BIGINT NOT NULL,
    api_key_id BIGINT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, api_key_id, idem_key),
    CONSTRAINT fk_api_idempotency_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_api_idempotency_api_key_id FOREIGN KEY (firm_id, api_key_id) REFERENCES api_key (firm_id, id)
)"#,
    r#"CREATE INDEX ix_api_idempotency_created_at ON api_idempotency (created_at)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
