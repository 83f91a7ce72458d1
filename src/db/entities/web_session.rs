//! `web_session`: A signed-in browser; the cookie holds a random token whose SHA-256 is the id.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "web_session")]
pub struct Model {
    pub firm_id: i64,
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    pub employee_id: i64,
    pub kind: Kind,
    pub expires_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub ip: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub user_agent: Option<String>,
    pub revoked_at: Option<DateTimeUtc>,
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
        belongs_to = "super::employee::Entity",
        from = "Column::EmployeeId",
        to = "super::employee::Column::Id"
    )]
    Employee,
}

impl Related<super::firm::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Firm.def()
    }
}

impl Related<super::employee::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Employee.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[sea_orm(string_value = "sidebar")]
    Sidebar,
    #[sea_orm(string_value = "admin")]
    Admin,
}
