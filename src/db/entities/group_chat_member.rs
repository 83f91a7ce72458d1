//! `group_chat_member`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "group_chat_member")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: i64,
    pub group_chat_id: i64,
    #[sea_orm(column_type = "Text")]
    pub member_id: String,
    pub member_type: i32,
    #[sea_orm(column_type = "Text")]
    pub unionid: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub group_nickname: Option<String>,
    pub join_time: Option<DateTimeUtc>,
    pub join_scene: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub invitor_userid: Option<String>,
    pub left_at: Option<DateTimeUtc>,
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
        belongs_to = "super::wecom_group_chat::Entity",
        from = "Column::GroupChatId",
        to = "super::wecom_group_chat::Column::Id"
    )]
    GroupChat,
}

impl Related<super::firm::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Firm.def()
    }
}

impl Related<super::wecom_group_chat::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::GroupChat.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
