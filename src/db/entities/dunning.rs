//! `dunning`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dunning")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    pub customer_id: i64,
    #[sea_orm(column_type = "JsonBinary")]
    pub receivable_ids: Json,
    #[sea_orm(column_type = "Text")]
    pub period_from: String,
    #[sea_orm(column_type = "Text")]
    pub period_to: String,
    pub amount_fen: i64,
    pub target_type: TargetType,
    #[sea_orm(column_type = "Text")]
    pub target_id: String,
    pub sent_by: Option<i64>,
    pub sent_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub created_at: DateTimeUtc,
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
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id"
    )]
    Customer,
    #[sea_orm(
        belongs_to = "super::employee::Entity",
        from = "Column::SentBy",
        to = "super::employee::Column::Id"
    )]
    SentBy,
}

impl Related<super::firm::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Firm.def()
    }
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::employee::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SentBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum TargetType {
    #[sea_orm(string_value = "external_user")]
    ExternalUser,
    #[sea_orm(string_value = "group_chat")]
    GroupChat,
}
