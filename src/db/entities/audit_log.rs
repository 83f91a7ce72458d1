//! `audit_log`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    pub actor_employee_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub actor: String,
    #[sea_orm(column_type = "Text")]
    pub action: String,
    #[sea_orm(column_type = "Text")]
    pub entity: String,
    #[sea_orm(column_type = "Text")]
    pub entity_id: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub old_value: Option<Json>,
    #[sea_orm(column_type = "JsonBinary")]
    pub new_value: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub ip: Option<String>,
    pub occurred_at: DateTimeUtc,
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
        from = "Column::ActorEmployeeId",
        to = "super::employee::Column::Id"
    )]
    ActorEmployee,
}

impl Related<super::firm::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Firm.def()
    }
}

impl Related<super::employee::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ActorEmployee.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
