//! `wecom_external_contact`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "wecom_external_contact")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    #[sea_orm(column_type = "Text")]
    pub external_userid: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    pub contact_type: i32,
    pub gender: i32,
    #[sea_orm(column_type = "Text")]
    pub corp_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub corp_full_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub unionid: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub avatar: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub position: Option<String>,
    pub synced_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
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
