//! Creates `kb_category`, `kb_article`, `message_template`, `message_log`, `audit_log`.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000006_create_knowledge_and_messages"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE kb_category (
    id {ID},
    firm_id BIGINT NOT NULL,
    parent_id BIGINT,
    name TEXT NOT NULL,
    sort INTEGER NOT NULL DEFAULT 0,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_kb_category_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT fk_kb_category_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_kb_category_parent_id FOREIGN KEY (firm_id, parent_id) REFERENCES kb_category (firm_id, id)
)"#,
    r#"CREATE TABLE kb_article (
    id {ID},
    firm_id BIGINT NOT NULL,
    category_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '',
    audit_status TEXT NOT NULL DEFAULT 'draft' CHECK (audit_status IN ('draft', 'approved')),
    audited_by BIGINT,
    audited_at {TS},
    created_by BIGINT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT fk_kb_article_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_kb_article_category_id FOREIGN KEY (firm_id, category_id) REFERENCES kb_category (firm_id, id),
    CONSTRAINT fk_kb_article_audited_by FOREIGN KEY (firm_id, audited_by) REFERENCES employee (firm_id, id),
    CONSTRAINT fk_kb_article_created_by FOREIGN KEY (firm_id, created_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_kb_article_firm_id_category_id ON kb_article (firm_id, category_id)"#,
    r#"CREATE INDEX ix_kb_article_firm_id_audit_status ON kb_article (firm_id, audit_status)"#,
    r#"CREATE TABLE message_template (
    id {ID},
    firm_id BIGINT NOT NULL,
    scene TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT fk_message_template_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE UNIQUE INDEX ux_message_template_firm_id_scene_name ON message_template (firm_id, scene, name) WHERE deleted_at IS NULL"#,
    r#"CREATE TABLE message_log (
    id {ID},
    firm_id BIGINT NOT NULL,
    employee_id BIGINT,
    customer_id BIGINT,
    scene TEXT NOT NULL,
    target_type TEXT NOT NULL CHECK (target_type IN ('external_user', 'group_chat', 'employee')),
    target_id TEXT NOT NULL,
    msg_type TEXT NOT NULL CHECK (msg_type IN ('text', 'image', 'file', 'news')),
    content TEXT NOT NULL,
    attachment_id BIGINT,
    client_result TEXT,
    sent_at {TS} NOT NULL,
    created_at {TS} NOT NULL,
    CONSTRAINT fk_message_log_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_message_log_employee_id FOREIGN KEY (firm_id, employee_id) REFERENCES employee (firm_id, id),
    CONSTRAINT fk_message_log_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_message_log_attachment_id FOREIGN KEY (firm_id, attachment_id) REFERENCES attachment (firm_id, id)
)"#,
    r#"CREATE INDEX ix_message_log_firm_id_customer_id_sent_at ON message_log (firm_id, customer_id, sent_at)"#,
    r#"CREATE TABLE audit_log (
    id {ID},
    firm_id BIGINT NOT NULL,
    actor_employee_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    old_value {JSON},
    new_value {JSON},
    ip TEXT,
    occurred_at {TS} NOT NULL,
    CONSTRAINT fk_audit_log_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_audit_log_actor_employee_id FOREIGN KEY (firm_id, actor_employee_id) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_audit_log_firm_id_occurred_at ON audit_log (firm_id, occurred_at)"#,
    r#"CREATE INDEX ix_audit_log_firm_id_entity_entity_id ON audit_log (firm_id, entity, entity_id)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await?;
        // Knowledge-base search: a trigram index works for Chinese text, which has no spaces
        // between words, on both databases.
        let search: &[&str] = match manager.get_database_backend() {
            sea_orm_migration::sea_orm::DbBackend::Sqlite => SQLITE_KB_SEARCH,
            _ => POSTGRES_KB_SEARCH,
        };
        portable::execute_all(manager, search).await
    }
}

const SQLITE_KB_SEARCH: &[&str] = &[
    r#"CREATE VIRTUAL TABLE kb_article_fts USING fts5(
    title, content, keywords,
    content = 'kb_article', content_rowid = 'id', tokenize = 'trigram'
)"#,
    r#"CREATE TRIGGER kb_article_fts_insert AFTER INSERT ON kb_article BEGIN
    INSERT INTO kb_article_fts (rowid, title, content, keywords)
    VALUES (new.id, new.title, new.content, new.keywords);
END"#,
    r#"CREATE TRIGGER kb_article_fts_delete AFTER DELETE ON kb_article BEGIN
    INSERT INTO kb_article_fts (kb_article_fts, rowid, title, content, keywords)
    VALUES ('delete', old.id, old.title, old.content, old.keywords);
END"#,
    r#"CREATE TRIGGER kb_article_fts_update AFTER UPDATE OF title, content, keywords ON kb_article BEGIN
    INSERT INTO kb_article_fts (kb_article_fts, rowid, title, content, keywords)
    VALUES ('delete', old.id, old.title, old.content, old.keywords);
    INSERT INTO kb_article_fts (rowid, title, content, keywords)
    VALUES (new.id, new.title, new.content, new.keywords);
END"#,
];

const POSTGRES_KB_SEARCH: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_kb_article_search ON kb_article \
     USING gin ((title || ' ' || content || ' ' || keywords) gin_trgm_ops)",
];
