//! `/api/v1/tags`: customer tags, each in a tag group (named; created when first used). Tags that
//! mirror WeCom corp tags keep their WeCom id.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use super::Check;
use crate::db::entities::tag::{Column, Entity, Model};
use crate::db::entities::tag_group;
use crate::domain::api_scopes::Resource;
use crate::error::AppResult;
use crate::services::api::{ApiResource, Table};

impl Table for Entity {
    const ID: Column = Column::Id;
    const FIRM_ID: Column = Column::FirmId;
    const EXTERNAL_ID: Column = Column::ExternalId;
    const UPDATED_AT: Column = Column::UpdatedAt;
    const CUSTOMER_ID: Option<Column> = None;
    const DELETED_AT: Option<Column> = Some(Column::DeletedAt);
    const PERIOD: Option<Column> = None;
}

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    pub external_id: String,
    /// The tag group's name (e.g. 客户等级); created when no group has it.
    pub group: String,
    pub name: String,
    /// Order within the group; default 0.
    pub sort: Option<i32>,
}

pub struct Tags;

#[async_trait]
impl ApiResource for Tags {
    const RESOURCE: Resource = Resource::Tags;
    const ENTITY: &'static str = "tag";
    type Table = Entity;
    type Model = Model;
    type Input = TagInput;

    fn external_id(input: &TagInput) -> Option<&str> {
        Some(&input.external_id)
    }

    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Model>,
        input: TagInput,
    ) -> AppResult<Model> {
        let mut c = Check::default();
        let group = c.text("group", &input.group, 30);
        let name = c.text("name", &input.name, 30);
        c.finish()?;
        let group_id = match tag_group::Entity::find()
            .filter(tag_group::Column::FirmId.eq(firm_id))
            .filter(tag_group::Column::Name.eq(group.as_str()))
            .filter(tag_group::Column::DeletedAt.is_null())
            .one(txn)
            .await?
        {
            Some(g) => g.id,
            None => {
                tag_group::ActiveModel {
                    firm_id: Set(firm_id),
                    name: Set(group),
                    sort: Set(0),
                    created_at: Set(at),
                    updated_at: Set(at),
                    ..Default::default()
                }
                .insert(txn)
                .await?
                .id
            }
        };
        Ok(Model {
            id: existing.map_or(0, |e| e.id),
            firm_id,
            group_id,
            name,
            wecom_tag_id: existing.and_then(|e| e.wecom_tag_id.clone()),
            sort: input.sort.unwrap_or(0),
            external_id: Some(input.external_id.trim().to_string()),
            created_at: existing.map_or(at, |e| e.created_at),
            updated_at: existing.map_or(at, |e| e.updated_at),
            deleted_at: None,
        })
    }
}
