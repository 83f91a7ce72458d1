//! Adds `object_key` to `callback_inbox`: the WeCom object an event is about (an external
//! contact, a customer group, a member, or the firm's corp tags), written at intake, so that the
//! event worker never applies two events of one object at once, even across instances.
//!
//! No index: the claim's "is an older event of this object still open?" check walks the open rows
//! older than its candidate through `ix_callback_inbox_status_id`, which are only the few in
//! flight, in backoff or skipped; an index on a random key would slow every callback's insert.
//! Rows stored before this migration have no key and are applied unordered, as before.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000901_add_callback_inbox_object_key"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(
            manager,
            &["ALTER TABLE callback_inbox ADD COLUMN object_key TEXT"],
        )
        .await
    }
}
