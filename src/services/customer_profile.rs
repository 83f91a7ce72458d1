//! 基础资料: the company, its contacts and its tags, and what the sidebar changes there — a new
//! contact, the customer's tags (in a single chat, tags mapped to WeCom corp tags are also
//! marked on the member's follow relation with that contact through `mark_tag`).

use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::db::entities::{contact, customer, customer_tag, tag};
use crate::db::statement;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::audit::{self, Object, Who};
use crate::services::sessions::CurrentEmployee;
use crate::services::sidebar::{self, ChatRef, Section};
use crate::wecom::api::MarkTagRequest;

/// A tag of the firm, and whether the customer carries it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct TagChoice {
    pub id: i64,
    pub name: String,
    pub group: String,
    pub selected: bool,
    /// Mapped to a WeCom corp tag.
    pub wecom: bool,
}

#[derive(Clone, Debug)]
pub struct Basic {
    pub customer: customer::Model,
    pub contacts: Vec<contact::Model>,
    pub tags: Vec<TagChoice>,
}

impl Basic {
    pub fn selected_tags(&self) -> impl Iterator<Item = &TagChoice> {
        self.tags.iter().filter(|t| t.selected)
    }
}

/// The 基础资料 section.
pub async fn basic(ctx: &Ctx, who: &CurrentEmployee, customer_id: i64) -> AppResult<Basic> {
    let customer = sidebar::customer_for(ctx, who, customer_id, Section::Basic).await?;
    let contacts = contact::Entity::find()
        .filter(contact::Column::FirmId.eq(who.firm_id))
        .filter(contact::Column::CustomerId.eq(customer.id))
        .filter(contact::Column::DeletedAt.is_null())
        .order_by_desc(contact::Column::IsPrimary)
        .order_by_asc(contact::Column::Id)
        .all(ctx.db.read())
        .await?;
    let tags = tag_choices(ctx, who.firm_id, customer.id).await?;
    Ok(Basic {
        customer,
        contacts,
        tags,
    })
}

async fn tag_choices(ctx: &Ctx, firm_id: i64, customer_id: i64) -> AppResult<Vec<TagChoice>> {
    // The firm's live tags in their groups' order, each marked when the customer carries it:
    // one statement for what the 基础资料 section shows on every view.
    Ok(TagChoice::find_by_statement(statement(
        ctx.db.backend(),
        "SELECT t.id, t.name, g.name AS \"group\", \
           EXISTS (SELECT 1 FROM customer_tag c \
             WHERE c.firm_id = t.firm_id AND c.customer_id = ? AND c.tag_id = t.id) AS selected, \
           t.wecom_tag_id IS NOT NULL AS wecom \
         FROM tag t \
         JOIN tag_group g ON g.firm_id = t.firm_id AND g.id = t.group_id AND g.deleted_at IS NULL \
         WHERE t.firm_id = ? AND t.deleted_at IS NULL \
         ORDER BY g.sort, g.id, t.sort, t.id",
        [customer_id.into(), firm_id.into()],
    ))
    .all(ctx.db.read())
    .await?)
}

/// A contact to add.
#[derive(Clone, Debug)]
pub struct NewContact {
    pub name: String,
    pub role: String,
    pub mobile: String,
}

fn contact_role(code: &str) -> AppResult<contact::Role> {
    Ok(match code {
        "boss" => contact::Role::Boss,
        "finance" => contact::Role::Finance,
        "cashier" => contact::Role::Cashier,
        "legal_rep" => contact::Role::LegalRep,
        "other" | "" => contact::Role::Other,
        _ => return Err(AppError::Validation("联系人角色不正确".into())),
    })
}

/// The Chinese name of a contact role.
pub fn role_label(role: contact::Role) -> &'static str {
    match role {
        contact::Role::Boss => "老板",
        contact::Role::Finance => "财务",
        contact::Role::Cashier => "出纳",
        contact::Role::LegalRep => "法人",
        contact::Role::Other => "其他",
    }
}

/// 添加联系人.
pub async fn add_contact(
    ctx: &Ctx,
    me: &CurrentEmployee,
    who: &Who,
    customer_id: i64,
    input: NewContact,
) -> AppResult<contact::Model> {
    let customer = sidebar::customer_for(ctx, me, customer_id, Section::Basic).await?;
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(AppError::Validation("请填写联系人姓名（50字以内）".into()));
    }
    let mobile = input.mobile.trim().to_string();
    let phone_ok = mobile.len() <= 20
        && mobile
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' ');
    if !mobile.is_empty() && !phone_ok {
        return Err(AppError::Validation("电话号码格式不正确".into()));
    }
    let role = contact_role(input.role.trim())?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let row = contact::ActiveModel {
        firm_id: Set(me.firm_id),
        customer_id: Set(customer.id),
        name: Set(name),
        role: Set(role),
        mobile: Set((!mobile.is_empty()).then_some(mobile)),
        is_primary: Set(false),
        external_contact_id: Set(None),
        note: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_in(
        &txn,
        now,
        who,
        "contact.create",
        Object::new("contact", row.id),
        None,
        Some(json!({ "customer_id": customer.id, "name": row.name, "role": row.role, "mobile": row.mobile })),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// What became of a tag change.
#[derive(Clone, Debug, Default)]
pub struct TagOutcome {
    /// WeCom refused to mark the mapped tags (our tags are saved all the same).
    pub wecom_refusal: Option<String>,
    /// How many WeCom tags were marked or removed on the contact.
    pub wecom_changed: usize,
}

/// Makes the customer's tags exactly `tag_ids`. From a single chat (`chat` is a contact), tags
/// mapped to WeCom corp tags are also marked (or removed) on the current member's follow
/// relation with that contact; in a group only our tags change.
pub async fn set_tags(
    ctx: &Ctx,
    me: &CurrentEmployee,
    who: &Who,
    customer_id: i64,
    tag_ids: &[i64],
    chat: Option<&ChatRef>,
) -> AppResult<TagOutcome> {
    let customer = sidebar::customer_for(ctx, me, customer_id, Section::Basic).await?;
    let wanted: BTreeSet<i64> = tag_ids.iter().copied().collect();
    let all = tag::Entity::find()
        .filter(tag::Column::FirmId.eq(me.firm_id))
        .filter(tag::Column::DeletedAt.is_null())
        .all(ctx.db.read())
        .await?;
    if wanted.iter().any(|id| !all.iter().any(|t| t.id == *id)) {
        return Err(AppError::NotFound("标签不存在".into()));
    }
    let contact = match chat {
        Some(c @ ChatRef::Contact(_)) => Some(sidebar::find_chat(ctx, me.firm_id, c).await?),
        _ => None,
    };
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let before: BTreeSet<i64> = customer_tag::Entity::find()
        .filter(customer_tag::Column::FirmId.eq(me.firm_id))
        .filter(customer_tag::Column::CustomerId.eq(customer.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.tag_id)
        .collect();
    if before == wanted {
        txn.commit().await?;
        return Ok(TagOutcome::default());
    }
    let added: Vec<i64> = wanted.difference(&before).copied().collect();
    let removed: Vec<i64> = before.difference(&wanted).copied().collect();
    if !removed.is_empty() {
        customer_tag::Entity::delete_many()
            .filter(customer_tag::Column::FirmId.eq(me.firm_id))
            .filter(customer_tag::Column::CustomerId.eq(customer.id))
            .filter(customer_tag::Column::TagId.is_in(removed.clone()))
            .exec(&txn)
            .await?;
    }
    if !added.is_empty() {
        customer_tag::Entity::insert_many(added.iter().map(|id| customer_tag::ActiveModel {
            firm_id: Set(me.firm_id),
            customer_id: Set(customer.id),
            tag_id: Set(*id),
            created_at: Set(now),
        }))
        .exec(&txn)
        .await?;
    }
    audit::record_in(
        &txn,
        now,
        who,
        "customer.tags",
        Object::new("customer", customer.id),
        Some(json!({ "tag_ids": before })),
        Some(json!({ "tag_ids": wanted, "added": added, "removed": removed })),
    )
    .await?;
    txn.commit().await?;

    let mut outcome = TagOutcome::default();
    let Some(contact) = contact else {
        return Ok(outcome);
    };
    let wecom_ids = |ids: &[i64]| -> Vec<String> {
        all.iter()
            .filter(|t| ids.contains(&t.id))
            .filter_map(|t| t.wecom_tag_id.clone())
            .collect()
    };
    let request = MarkTagRequest {
        userid: me.wecom_userid.clone().unwrap_or_default(),
        external_userid: contact.chat_ref.key().to_string(),
        add_tag: wecom_ids(&added),
        remove_tag: wecom_ids(&removed),
    };
    if request.add_tag.is_empty() && request.remove_tag.is_empty() {
        return Ok(outcome);
    }
    let app = ctx.apps.primary(me.firm_id).await?;
    let result = match app.handle() {
        Ok(handle) => ctx
            .wecom
            .mark_tag(handle, &request)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(()) => outcome.wecom_changed = request.add_tag.len() + request.remove_tag.len(),
        Err(e) => {
            tracing::warn!(firm_id = me.firm_id, error = %e, "mark_tag refused");
            outcome.wecom_refusal = Some(format!("企业微信未能同步标签：{e}"));
        }
    }
    Ok(outcome)
}
