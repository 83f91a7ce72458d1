//! `tax_filing`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(table_name = "tax_filing")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    pub customer_id: i64,
    #[sea_orm(column_type = "Text")]
    pub period_from: String,
    #[sea_orm(column_type = "Text")]
    pub period_to: String,
    pub tax_type: TaxType,
    #[schema(value_type = String, format = Date)]
    pub due_date: Date,
    pub due_provisional: bool,
    pub status: Status,
    pub payable_fen: i64,
    pub paid_fen: i64,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub filed_at: Option<DateTimeUtc>,
    pub filed_by: Option<i64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub notified_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub external_id: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
    #[schema(value_type = String, format = DateTime)]
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
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id"
    )]
    Customer,
    #[sea_orm(
        belongs_to = "super::employee::Entity",
        from = "Column::FiledBy",
        to = "super::employee::Column::Id"
    )]
    FiledBy,
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
        Relation::FiledBy.def()
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
pub enum TaxType {
    #[sea_orm(string_value = "vat_surcharge")]
    VatSurcharge,
    #[sea_orm(string_value = "cit_prepay")]
    CitPrepay,
    #[sea_orm(string_value = "iit_withhold")]
    IitWithhold,
    #[sea_orm(string_value = "stamp")]
    Stamp,
    #[sea_orm(string_value = "fin_report")]
    FinReport,
    #[sea_orm(string_value = "cit_annual")]
    CitAnnual,
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
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "filed")]
    Filed,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "not_required")]
    NotRequired,
    #[sea_orm(string_value = "overdue")]
    Overdue,
}
