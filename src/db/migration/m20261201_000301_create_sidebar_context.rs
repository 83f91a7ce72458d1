//! Creates `sidebar_last_context` (the chat each employee last had the sidebar open beside, so
//! the shell paints that customer at once) and `sidebar_chat_choice` (which of a chat's several
//! customers the employee last picked). Both are written only when they change, never on every
//! page view. `kb_article_use` counts how often each knowledge-base article was sent, so
//! search ranks the most used first among equal matches.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000301_create_sidebar_context"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE sidebar_last_context (
    firm_id BIGINT NOT NULL,
    employee_id BIGINT NOT NULL,
    chat_type TEXT NOT NULL CHECK (chat_type IN ('contact', 'group')),
    chat_key TEXT NOT NULL,
    updated_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, employee_id),
    CONSTRAINT fk_sidebar_last_context_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_sidebar_last_context_employee_id FOREIGN KEY (firm_id, employee_id) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE TABLE sidebar_chat_choice (
    firm_id BIGINT NOT NULL,
    employee_id BIGINT NOT NULL,
    chat_type TEXT NOT NULL CHECK (chat_type IN ('contact', 'group')),
    chat_key TEXT NOT NULL,
    customer_id BIGINT NOT NULL,
    updated_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, employee_id, chat_type, chat_key),
    CONSTRAINT fk_sidebar_chat_choice_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_sidebar_chat_choice_employee_id FOREIGN KEY (firm_id, employee_id) REFERENCES employee (firm_id, id),
    CONSTRAINT fk_sidebar_chat_choice_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id)
)"#,
    r#"CREATE TABLE kb_article_use (
    firm_id BIGINT NOT NULL,
    article_id BIGINT NOT NULL,
    uses BIGINT NOT NULL DEFAULT 0,
    last_used_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, article_id),
    CONSTRAINT fk_kb_article_use_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE INDEX ix_message_log_firm_id_customer_id_scene_sent_at ON message_log (firm_id, customer_id, scene, sent_at)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
