//! `invoice`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(table_name = "invoice")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    pub customer_id: i64,
    #[sea_orm(column_type = "Text")]
    pub period: String,
    pub direction: Direction,
    pub kind: Kind,
    #[sea_orm(column_type = "Text")]
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub number: String,
    #[schema(value_type = String, format = Date)]
    pub issue_date: Date,
    #[sea_orm(column_type = "Text")]
    pub counterparty_name: String,
    #[sea_orm(column_type = "Text")]
    pub counterparty_uscc: Option<String>,
    pub amount_fen: i64,
    pub rate_bp: i32,
    pub tax_fen: i64,
    pub total_fen: i64,
    pub status: Status,
    pub deductible: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub use_confirmed_at: Option<DateTimeUtc>,
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
pub enum Direction {
    #[sea_orm(string_value = "in")]
    In,
    #[sea_orm(string_value = "out")]
    Out,
}

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
pub enum Kind {
    #[sea_orm(string_value = "special")]
    Special,
    #[sea_orm(string_value = "ordinary")]
    Ordinary,
    #[sea_orm(string_value = "special_digital")]
    SpecialDigital,
    #[sea_orm(string_value = "ordinary_digital")]
    OrdinaryDigital,
    #[sea_orm(string_value = "customs")]
    Customs,
    #[sea_orm(string_value = "transport")]
    Transport,
    #[sea_orm(string_value = "toll")]
    Toll,
    #[sea_orm(string_value = "other")]
    Other,
}

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
pub enum Status {
    #[sea_orm(string_value = "normal")]
    Normal,
    #[sea_orm(string_value = "void")]
    Void,
    #[sea_orm(string_value = "red")]
    Red,
}
