//! `customer`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(table_name = "customer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub short_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub uscc: Option<String>,
    pub taxpayer_type: TaxpayerType,
    pub vat_period: VatPeriod,
    pub cit_period: CitPeriod,
    pub is_small_micro: bool,
    pub city_tax_level: i32,
    #[sea_orm(column_type = "Text")]
    pub accounting_standard: String,
    #[sea_orm(column_type = "Text")]
    pub industry: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub legal_rep: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub region: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub address: Option<String>,
    pub service_status: ServiceStatus,
    #[sea_orm(column_type = "Text")]
    pub service_start: Option<String>,
    pub account_manager_id: Option<i64>,
    pub bookkeeper_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
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
        belongs_to = "super::employee::Entity",
        from = "Column::AccountManagerId",
        to = "super::employee::Column::Id"
    )]
    AccountManager,
    #[sea_orm(
        belongs_to = "super::employee::Entity",
        from = "Column::BookkeeperId",
        to = "super::employee::Column::Id"
    )]
    Bookkeeper,
}

impl Related<super::firm::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Firm.def()
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
pub enum TaxpayerType {
    #[sea_orm(string_value = "small_scale")]
    SmallScale,
    #[sea_orm(string_value = "general")]
    General,
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
pub enum VatPeriod {
    #[sea_orm(string_value = "month")]
    Month,
    #[sea_orm(string_value = "quarter")]
    Quarter,
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
pub enum CitPeriod {
    #[sea_orm(string_value = "month")]
    Month,
    #[sea_orm(string_value = "quarter")]
    Quarter,
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
pub enum ServiceStatus {
    #[sea_orm(string_value = "serving")]
    Serving,
    #[sea_orm(string_value = "paused")]
    Paused,
    #[sea_orm(string_value = "expired")]
    Expired,
    #[sea_orm(string_value = "lost")]
    Lost,
}
