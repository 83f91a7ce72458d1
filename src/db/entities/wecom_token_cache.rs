//! `wecom_token_cache`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "wecom_token_cache")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub firm_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub app_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: Kind,
    #[sea_orm(column_type = "Text")]
    pub value_enc: Option<String>,
    pub expires_at: Option<DateTimeUtc>,
    pub refreshed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub lock_owner: Option<String>,
    pub lock_until: Option<DateTimeUtc>,
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
        belongs_to = "super::wecom_app::Entity",
        from = "Column::AppId",
        to = "super::wecom_app::Column::Id"
    )]
    App,
}

impl Related<super::firm::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Firm.def()
    }
}

impl Related<super::wecom_app::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::App.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[sea_orm(string_value = "access_token")]
    AccessToken,
    #[sea_orm(string_value = "jsapi_ticket")]
    JsapiTicket,
    #[sea_orm(string_value = "agent_ticket")]
    AgentTicket,
}
