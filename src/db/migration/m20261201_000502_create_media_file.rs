//! Creates `media_file`: a file the service made or received (a receipt image, a collection
//! image, a statement workbook) kept whole, with the WeCom temporary `media_id` it was last
//! uploaded as and when. A `media_id` lives three days, so the original stays here and is
//! uploaded again when its id is about to lapse.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000502_create_media_file"
    }
}

const STATEMENTS: &[&str] = &[r#"CREATE TABLE media_file (
    id {ID},
    firm_id BIGINT NOT NULL,
    ref_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'file')),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    content {BLOB} NOT NULL,
    media_id TEXT,
    media_created_at {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CONSTRAINT uq_media_file_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT uq_media_file_firm_id_ref_key UNIQUE (firm_id, ref_key),
    CONSTRAINT fk_media_file_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
