//! `receipt`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "receipt")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    #[sea_orm(column_type = "Text")]
    pub receipt_no: String,
    pub payment_id: i64,
    pub customer_id: i64,
    #[sea_orm(column_type = "Text")]
    pub payer: String,
    #[sea_orm(column_type = "Text")]
    pub item: String,
    #[sea_orm(column_type = "Text")]
    pub period_from: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub period_to: Option<String>,
    pub amount_fen: i64,
    #[sea_orm(column_type = "Text")]
    pub amount_cn: String,
    #[sea_orm(column_type = "Text")]
    pub payee: String,
    pub handler_id: Option<i64>,
    pub issued_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub image_key: Option<String>,
    pub status: Status,
    pub voided_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub void_reason: Option<String>,
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
    #[sea_orm(
        belongs_to = "super::payment::Entity",
        from = "Column::PaymentId",
        to = "super::payment::Column::Id"
    )]
    Payment,
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id"
    )]
    Customer,
    #[sea_orm(
        belongs_to = "super::employee::Entity",
        from = "Column::HandlerId",
        to = "super::employee::Column::Id"
    )]
    Handler,
}

impl Related<super::firm::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Firm.def()
    }
}

impl Related<super::payment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Payment.def()
    }
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::employee::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Handler.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[sea_orm(string_value = "valid")]
    Valid,
    #[sea_orm(string_value = "void")]
    Void,
}
