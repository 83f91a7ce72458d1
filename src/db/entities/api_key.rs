//! `api_key`: a firm's key for the REST API. Only the SHA-256 of the key is stored.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// The first characters of the key, shown to tell keys apart.
    #[sea_orm(column_type = "Text")]
    pub prefix: String,
    #[sea_orm(column_type = "Text")]
    pub key_hash: String,
    /// Comma-separated scopes: `customers:read,invoices:write` or `all`.
    #[sea_orm(column_type = "Text")]
    pub scopes: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::firm::Entity",
        from = "Column::FirmId",
        to = "super::firm::Column::Id"
    )]
    Firm,
}

impl Related<super::firm::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Firm.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
