//! `payment`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(table_name = "payment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    pub customer_id: i64,
    pub amount_fen: i64,
    pub method: Method,
    #[schema(value_type = String, format = DateTime)]
    pub paid_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub payer: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    pub confirmed_by: Option<i64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub confirmed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub external_id: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTimeUtc,
    #[schema(value_type = Option<String>, format = DateTime)]
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
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id"
    )]
    Customer,
    #[sea_orm(
        belongs_to = "super::employee::Entity",
        from = "Column::ConfirmedBy",
        to = "super::employee::Column::Id"
    )]
    ConfirmedBy,
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
        Relation::ConfirmedBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Method {
    #[sea_orm(string_value = "transfer")]
    Transfer,
    #[sea_orm(string_value = "wechat")]
    Wechat,
    #[sea_orm(string_value = "alipay")]
    Alipay,
    #[sea_orm(string_value = "cash")]
    Cash,
    #[sea_orm(string_value = "other")]
    Other,
}
