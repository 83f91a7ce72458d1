//! Which customers a WeCom chat belongs to: an external contact or a customer group linked to
//! one or several customers (one boss may own several companies; one group may serve several).
//! The sidebar and the back office both link and unlink through here; every change is audited.

use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::db::entities::{
    customer, customer_external_link, customer_group_link, wecom_external_contact, wecom_group_chat,
};
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::audit::{self, Object, Who};
use crate::services::sessions::CurrentEmployee;

/// A chat: one external contact (a single chat) or one customer group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chat {
    /// `wecom_external_contact.id`.
    Contact(i64),
    /// `wecom_group_chat.id`.
    Group(i64),
}

impl Chat {
    fn entity(self) -> &'static str {
        match self {
            Self::Contact(_) => "wecom_external_contact",
            Self::Group(_) => "wecom_group_chat",
        }
    }

    fn id(self) -> i64 {
        match self {
            Self::Contact(id) | Self::Group(id) => id,
        }
    }
}

/// What a person reads when the chat is not (yet) in our copy of WeCom.
pub const CONTACT_NOT_FOUND: &str = "未找到该微信联系人，请等待同步或联系管理员同步";
pub const GROUP_NOT_FOUND: &str = "未找到该客户群，请等待同步或联系管理员同步";

/// The contact with this `external_userid` in the firm (also one WeCom says is gone: its links
/// stay for the record).
pub async fn contact_by_userid(
    ctx: &Ctx,
    firm_id: i64,
    external_userid: &str,
) -> AppResult<wecom_external_contact::Model> {
    wecom_external_contact::Entity::find()
        .filter(wecom_external_contact::Column::FirmId.eq(firm_id))
        .filter(wecom_external_contact::Column::ExternalUserid.eq(external_userid))
        .one(ctx.db.read())
        .await?
        .ok_or_else(|| AppError::NotFound(CONTACT_NOT_FOUND.into()))
}

/// The customer group with this `chat_id` in the firm.
pub async fn group_by_chat_id(
    ctx: &Ctx,
    firm_id: i64,
    chat_id: &str,
) -> AppResult<wecom_group_chat::Model> {
    wecom_group_chat::Entity::find()
        .filter(wecom_group_chat::Column::FirmId.eq(firm_id))
        .filter(wecom_group_chat::Column::ChatId.eq(chat_id))
        .one(ctx.db.read())
        .await?
        .ok_or_else(|| AppError::NotFound(GROUP_NOT_FOUND.into()))
}

/// The customers a chat is linked to, by name.
pub async fn customers_of(ctx: &Ctx, firm_id: i64, chat: Chat) -> AppResult<Vec<customer::Model>> {
    // One query with the links as a subquery: the panel asks this on every view.
    let linked = match chat {
        Chat::Contact(id) => Query::select()
            .column(customer_external_link::Column::CustomerId)
            .from(customer_external_link::Entity)
            .and_where(customer_external_link::Column::FirmId.eq(firm_id))
            .and_where(customer_external_link::Column::ExternalContactId.eq(id))
            .to_owned(),
        Chat::Group(id) => Query::select()
            .column(customer_group_link::Column::CustomerId)
            .from(customer_group_link::Entity)
            .and_where(customer_group_link::Column::FirmId.eq(firm_id))
            .and_where(customer_group_link::Column::GroupChatId.eq(id))
            .to_owned(),
    };
    Ok(customer::Entity::find()
        .filter(customer::Column::FirmId.eq(firm_id))
        .filter(customer::Column::Id.in_subquery(linked))
        .filter(customer::Column::DeletedAt.is_null())
        .order_by_asc(customer::Column::Name)
        .all(ctx.db.read())
        .await?)
}

async fn linked_ids(conn: &impl ConnectionTrait, firm_id: i64, chat: Chat) -> AppResult<Vec<i64>> {
    Ok(match chat {
        Chat::Contact(id) => customer_external_link::Entity::find()
            .filter(customer_external_link::Column::FirmId.eq(firm_id))
            .filter(customer_external_link::Column::ExternalContactId.eq(id))
            .all(conn)
            .await?
            .into_iter()
            .map(|l| l.customer_id)
            .collect(),
        Chat::Group(id) => customer_group_link::Entity::find()
            .filter(customer_group_link::Column::FirmId.eq(firm_id))
            .filter(customer_group_link::Column::GroupChatId.eq(id))
            .all(conn)
            .await?
            .into_iter()
            .map(|l| l.customer_id)
            .collect(),
    })
}

/// Checks that the chat and every customer are the firm's; another firm's ids are 404.
async fn check_ids(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    chat: Chat,
    customer_ids: &[i64],
) -> AppResult<()> {
    let chat_found = match chat {
        Chat::Contact(id) => wecom_external_contact::Entity::find_by_id(id)
            .filter(wecom_external_contact::Column::FirmId.eq(firm_id))
            .one(conn)
            .await?
            .is_some(),
        Chat::Group(id) => wecom_group_chat::Entity::find_by_id(id)
            .filter(wecom_group_chat::Column::FirmId.eq(firm_id))
            .one(conn)
            .await?
            .is_some(),
    };
    if !chat_found {
        return Err(AppError::NotFound("聊天不存在".into()));
    }
    if customer_ids.is_empty() {
        return Ok(());
    }
    let found = customer::Entity::find()
        .filter(customer::Column::FirmId.eq(firm_id))
        .filter(customer::Column::Id.is_in(customer_ids.iter().copied()))
        .filter(customer::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let mut wanted = customer_ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    if found.len() != wanted.len() {
        return Err(AppError::NotFound("客户不存在".into()));
    }
    Ok(())
}

/// Links a chat to more customers (those already linked stay).
pub async fn link(
    ctx: &Ctx,
    me: &CurrentEmployee,
    who: &Who,
    chat: Chat,
    customer_ids: &[i64],
) -> AppResult<()> {
    me.require(Permission::Basic)?;
    let current = linked_ids(ctx.db.read(), me.firm_id, chat).await?;
    let mut wanted: Vec<i64> = current.clone();
    wanted.extend_from_slice(customer_ids);
    apply(ctx, me, who, chat, &wanted).await
}

/// Removes one customer from a chat's links.
pub async fn unlink(
    ctx: &Ctx,
    me: &CurrentEmployee,
    who: &Who,
    chat: Chat,
    customer_id: i64,
) -> AppResult<()> {
    me.require(Permission::Basic)?;
    let wanted: Vec<i64> = linked_ids(ctx.db.read(), me.firm_id, chat)
        .await?
        .into_iter()
        .filter(|id| *id != customer_id)
        .collect();
    apply(ctx, me, who, chat, &wanted).await
}

/// Makes the chat's linked customers exactly `customer_ids` (the back office's "set").
pub async fn set(
    ctx: &Ctx,
    me: &CurrentEmployee,
    who: &Who,
    chat: Chat,
    customer_ids: &[i64],
) -> AppResult<()> {
    me.require(Permission::Basic)?;
    apply(ctx, me, who, chat, customer_ids).await
}

async fn apply(
    ctx: &Ctx,
    me: &CurrentEmployee,
    who: &Who,
    chat: Chat,
    wanted: &[i64],
) -> AppResult<()> {
    let mut wanted = wanted.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    check_ids(&txn, me.firm_id, chat, &wanted).await?;
    let mut before = linked_ids(&txn, me.firm_id, chat).await?;
    before.sort_unstable();
    if before == wanted {
        txn.commit().await?;
        return Ok(());
    }
    let added: Vec<i64> = wanted
        .iter()
        .copied()
        .filter(|id| !before.contains(id))
        .collect();
    let removed: Vec<i64> = before
        .iter()
        .copied()
        .filter(|id| !wanted.contains(id))
        .collect();
    match chat {
        Chat::Contact(id) => {
            if !removed.is_empty() {
                customer_external_link::Entity::delete_many()
                    .filter(customer_external_link::Column::FirmId.eq(me.firm_id))
                    .filter(customer_external_link::Column::ExternalContactId.eq(id))
                    .filter(customer_external_link::Column::CustomerId.is_in(removed.clone()))
                    .exec(&txn)
                    .await?;
            }
            if !added.is_empty() {
                customer_external_link::Entity::insert_many(added.iter().map(|customer_id| {
                    customer_external_link::ActiveModel {
                        firm_id: Set(me.firm_id),
                        customer_id: Set(*customer_id),
                        external_contact_id: Set(id),
                        contact_id: Set(None),
                        created_by: Set(Some(me.employee_id)),
                        created_at: Set(now),
                    }
                }))
                .exec(&txn)
                .await?;
            }
        }
        Chat::Group(id) => {
            if !removed.is_empty() {
                customer_group_link::Entity::delete_many()
                    .filter(customer_group_link::Column::FirmId.eq(me.firm_id))
                    .filter(customer_group_link::Column::GroupChatId.eq(id))
                    .filter(customer_group_link::Column::CustomerId.is_in(removed.clone()))
                    .exec(&txn)
                    .await?;
            }
            if !added.is_empty() {
                customer_group_link::Entity::insert_many(added.iter().map(|customer_id| {
                    customer_group_link::ActiveModel {
                        firm_id: Set(me.firm_id),
                        customer_id: Set(*customer_id),
                        group_chat_id: Set(id),
                        created_by: Set(Some(me.employee_id)),
                        created_at: Set(now),
                    }
                }))
                .exec(&txn)
                .await?;
            }
        }
    }
    audit::record_in(
        &txn,
        now,
        who,
        "chat.link_customers",
        Object::new(chat.entity(), chat.id()),
        Some(json!({ "customer_ids": before })),
        Some(json!({ "customer_ids": wanted, "added": added, "removed": removed })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Customers whose name or short name contains `q`, or whose USCC contains it in any case (a
/// USCC is stored upper-case): what the sidebar's and the back office's customer searches match.
pub fn customer_named(q: &str) -> Condition {
    crate::db::any_contains(
        [
            (customer::Entity, customer::Column::Name),
            (customer::Entity, customer::Column::ShortName),
        ],
        q,
    )
    .add(
        Expr::col((customer::Entity, customer::Column::Uscc))
            .like(crate::db::contains_like(&q.to_uppercase())),
    )
}
