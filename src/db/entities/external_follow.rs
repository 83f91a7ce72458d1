//! `external_follow`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "external_follow")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    pub external_contact_id: i64,
    #[sea_orm(column_type = "Text")]
    pub userid: String,
    #[sea_orm(column_type = "Text")]
    pub remark: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub remark_corp_name: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub remark_mobiles: Option<Json>,
    pub add_way: i32,
    #[sea_orm(column_type = "Text")]
    pub state: Option<String>,
    pub add_time: Option<DateTimeUtc>,
    #[sea_orm(column_type = "JsonBinary")]
    pub tag_ids: Option<Json>,
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
    #[sea_orm(
        belongs_to = "super::wecom_external_contact::Entity",
        from = "Column::ExternalContactId",
        to = "super::wecom_external_contact::Column::Id"
    )]
    ExternalContact,
}

impl Related<super::firm::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Firm.def()
    }
}

impl Related<super::wecom_external_contact::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ExternalContact.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
