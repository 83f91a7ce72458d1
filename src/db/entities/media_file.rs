//! `media_file`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "media_file")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    #[sea_orm(column_type = "Text")]
    pub ref_key: String,
    pub kind: Kind,
    #[sea_orm(column_type = "Text")]
    pub filename: String,
    #[sea_orm(column_type = "Text")]
    pub content_type: String,
    #[sea_orm(column_type = "Text")]
    pub sha256: String,
    pub size_bytes: i64,
    #[serde(skip)]
    pub content: Vec<u8>,
    #[sea_orm(column_type = "Text")]
    pub media_id: Option<String>,
    pub media_created_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[sea_orm(string_value = "image")]
    Image,
    #[sea_orm(string_value = "file")]
    File,
}
