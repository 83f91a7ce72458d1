//! `sms_code`: SMS verification codes (hashed), with the attempts that limit guessing.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sms_code")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    #[sea_orm(column_type = "Text")]
    pub phone: String,
    pub purpose: Purpose,
    #[sea_orm(column_type = "Text")]
    pub code_hash: String,
    pub expires_at: DateTimeUtc,
    pub attempts: i32,
    pub consumed_at: Option<DateTimeUtc>,
    pub burned_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The WeCom member who asked for the code.
    #[sea_orm(column_type = "Text")]
    pub requested_by: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub ip: Option<String>,
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
pub enum Purpose {
    #[sea_orm(string_value = "bind_employee")]
    BindEmployee,
}
