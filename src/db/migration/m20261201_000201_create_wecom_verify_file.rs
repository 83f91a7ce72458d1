//! Creates `wecom_verify_file`: the `WW_verify_*.txt` files WeCom asks a firm to serve at the
//! site root to prove it owns the domain (trusted domain, web login). Uploaded in the back office.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000201_create_wecom_verify_file"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE wecom_verify_file (
    id {ID},
    firm_id BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at {TS} NOT NULL,
    CONSTRAINT uq_wecom_verify_file_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT uq_wecom_verify_file_firm_id_file_name UNIQUE (firm_id, file_name),
    CONSTRAINT fk_wecom_verify_file_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE INDEX ix_wecom_verify_file_file_name ON wecom_verify_file (file_name)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
