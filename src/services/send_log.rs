//! 沟通记录: what the sidebar put into chats — who sent it, when, to which chat, for which
//! customer, and the text. Admins read the firm's; staff their own sends. Every query is the
//! firm's.

use std::collections::{BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::db::entities::{
    customer, employee, message_log, wecom_external_contact, wecom_group_chat,
};
use crate::domain::clock::{local_midnight, to_local};
use crate::domain::message_templates::Scene;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::chat_admin::{Paged, clean_query, page_of};
use crate::services::sessions::CurrentEmployee;

pub const PER_PAGE: u64 = 50;

#[derive(Clone, Debug, Default)]
pub struct SendFilter {
    /// Admins only; staff always see their own.
    pub employee_id: Option<i64>,
    /// Part of the customer's name or short name.
    pub customer: String,
    pub scene: Option<Scene>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// 1-based.
    pub page: u64,
}

#[derive(Clone, Debug)]
pub struct SendRow {
    /// Beijing time.
    pub at: String,
    pub employee: String,
    pub customer: String,
    pub scene: &'static str,
    /// The chat's name as we know it, or its id.
    pub chat: String,
    pub in_group: bool,
    pub kind: &'static str,
    pub content: String,
}

fn kind_label(t: message_log::MsgType) -> &'static str {
    match t {
        message_log::MsgType::Text => "文字",
        message_log::MsgType::Image => "图片",
        message_log::MsgType::File => "文件",
        message_log::MsgType::News => "图文",
    }
}

pub async fn list(
    ctx: &Ctx,
    me: &CurrentEmployee,
    filter: &SendFilter,
) -> AppResult<Paged<SendRow>> {
    let db = ctx.db.read();
    let mut query = message_log::Entity::find().filter(message_log::Column::FirmId.eq(me.firm_id));
    let sender = if me.is_admin() {
        filter.employee_id
    } else {
        Some(me.employee_id)
    };
    if let Some(id) = sender {
        query = query.filter(message_log::Column::EmployeeId.eq(id));
    }
    let q = clean_query(&filter.customer)?;
    if !q.is_empty() {
        let ids: Vec<i64> = customer::Entity::find()
            .filter(customer::Column::FirmId.eq(me.firm_id))
            .filter(crate::db::any_contains(
                [
                    (customer::Entity, customer::Column::Name),
                    (customer::Entity, customer::Column::ShortName),
                ],
                &q,
            ))
            .all(db)
            .await?
            .into_iter()
            .map(|c| c.id)
            .take(500)
            .collect();
        query = query.filter(message_log::Column::CustomerId.is_in(ids));
    }
    if let Some(scene) = filter.scene {
        query = query.filter(message_log::Column::Scene.eq(scene.code()));
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to < from
    {
        return Err(AppError::Validation("结束日期不能早于开始日期".into()));
    }
    if let Some(from) = filter.from {
        query = query.filter(message_log::Column::SentAt.gte(local_midnight(from)));
    }
    if let Some(to) = filter.to {
        query =
            query.filter(message_log::Column::SentAt.lt(local_midnight(to) + Duration::days(1)));
    }
    let paginator = query
        .order_by_desc(message_log::Column::SentAt)
        .order_by_desc(message_log::Column::Id)
        .paginate(db, PER_PAGE);
    let counts = paginator.num_items_and_pages().await?;
    let page = page_of(filter.page);
    let found = paginator.fetch_page(page - 1).await?;
    let rows = rows(ctx, me.firm_id, found).await?;
    Ok(Paged {
        rows,
        page,
        pages: Ord::max(counts.number_of_pages, 1),
        total: counts.number_of_items,
    })
}

async fn rows(ctx: &Ctx, firm_id: i64, found: Vec<message_log::Model>) -> AppResult<Vec<SendRow>> {
    let db = ctx.db.read();
    let employees: BTreeSet<i64> = found.iter().filter_map(|m| m.employee_id).collect();
    let employees: HashMap<i64, String> = employee::Entity::find()
        .filter(employee::Column::FirmId.eq(firm_id))
        .filter(employee::Column::Id.is_in(employees))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    let customers: BTreeSet<i64> = found.iter().filter_map(|m| m.customer_id).collect();
    let customers: HashMap<i64, String> = customer::Entity::find()
        .filter(customer::Column::FirmId.eq(firm_id))
        .filter(customer::Column::Id.is_in(customers))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let (groups, contacts): (Vec<&message_log::Model>, Vec<&message_log::Model>) = found
        .iter()
        .partition(|m| m.target_type == message_log::TargetType::GroupChat);
    let group_names: HashMap<String, String> = wecom_group_chat::Entity::find()
        .filter(wecom_group_chat::Column::FirmId.eq(firm_id))
        .filter(
            wecom_group_chat::Column::ChatId.is_in(
                groups
                    .iter()
                    .map(|m| m.target_id.clone())
                    .collect::<BTreeSet<_>>(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.chat_id, g.name))
        .collect();
    let contact_names: HashMap<String, String> = wecom_external_contact::Entity::find()
        .filter(wecom_external_contact::Column::FirmId.eq(firm_id))
        .filter(
            wecom_external_contact::Column::ExternalUserid.is_in(
                contacts
                    .iter()
                    .map(|m| m.target_id.clone())
                    .collect::<BTreeSet<_>>(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.external_userid, c.name))
        .collect();
    Ok(found
        .into_iter()
        .map(|m| {
            let in_group = m.target_type == message_log::TargetType::GroupChat;
            let names = if in_group {
                &group_names
            } else {
                &contact_names
            };
            SendRow {
                at: to_local(m.sent_at).format("%Y-%m-%d %H:%M").to_string(),
                employee: m
                    .employee_id
                    .and_then(|id| employees.get(&id).cloned())
                    .unwrap_or_else(|| "—".into()),
                customer: m
                    .customer_id
                    .and_then(|id| customers.get(&id).cloned())
                    .unwrap_or_else(|| "—".into()),
                scene: Scene::parse(&m.scene).map_or("其他", Scene::label),
                chat: names
                    .get(&m.target_id)
                    .filter(|n| !n.is_empty())
                    .cloned()
                    .unwrap_or_else(|| m.target_id.clone()),
                in_group,
                kind: kind_label(m.msg_type),
                content: m.content,
            }
        })
        .collect())
}
