//! Creates `oauth_state`: each WeCom sign-in round trip, so its `state` can be used once.
//! A replayed callback (the same state and cookie sent again) finds the state spent and never
//! reaches WeCom, whose OAuth calls spend the corp's quota.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000003_create_oauth_state"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE oauth_state (
    id TEXT NOT NULL,
    firm_id BIGINT NOT NULL,
    expires_at {TS} NOT NULL,
    used_at {TS},
    created_at {TS} NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_oauth_state_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE INDEX ix_oauth_state_firm_id_expires_at ON oauth_state (firm_id, expires_at)"#,
    r#"CREATE INDEX ix_oauth_state_expires_at ON oauth_state (expires_at)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
