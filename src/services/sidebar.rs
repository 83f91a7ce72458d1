//! The sidebar's customer panel: which company sits behind the chat the sidebar is open beside,
//! its summary (service status and days left, arrears, missing invoices, filings due), the
//! switcher between a chat's several companies and the search that links a chat to customers.
//!
//! A page view stays a read: the employee's last context and their last choice per chat are
//! written only when they change.

use chrono::{Duration, NaiveDate};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::db::entities::{
    contact, customer, receivable, service_contract, sidebar_chat_choice, sidebar_last_context,
};
use crate::db::statement;
use crate::domain::billing::Owed;
use crate::domain::money::Money;
use crate::domain::period::Period;
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::access;
use crate::services::links::{self, Chat};
use crate::services::sessions::CurrentEmployee;

/// A chat as WeCom names it to the sidebar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatRef {
    /// A single chat: the contact's `external_userid`.
    Contact(String),
    /// A customer group: its `chat_id`.
    Group(String),
}

impl ChatRef {
    pub fn type_code(&self) -> &'static str {
        match self {
            Self::Contact(_) => "contact",
            Self::Group(_) => "group",
        }
    }

    pub fn key(&self) -> &str {
        match self {
            Self::Contact(k) | Self::Group(k) => k,
        }
    }

    pub fn parse(type_code: &str, key: &str) -> AppResult<Self> {
        let key = key.trim();
        if key.is_empty() || key.len() > 128 {
            return Err(AppError::BadRequest("聊天标识不正确".into()));
        }
        match type_code {
            "contact" => Ok(Self::Contact(key.to_string())),
            "group" => Ok(Self::Group(key.to_string())),
            _ => Err(AppError::BadRequest("聊天类型不正确".into())),
        }
    }

    /// The panel's path for this chat.
    pub fn path(&self) -> String {
        let key =
            percent_encoding::utf8_percent_encode(self.key(), percent_encoding::NON_ALPHANUMERIC);
        format!("/sidebar/{}/{key}", self.type_code())
    }

    pub fn is_group(&self) -> bool {
        matches!(self, Self::Group(_))
    }
}

/// A chat found in the firm's WeCom mirror.
#[derive(Clone, Debug)]
pub struct ChatInfo {
    pub chat: Chat,
    pub chat_ref: ChatRef,
    pub name: String,
}

/// The chat with this reference in the firm: 404 for anything else (another firm's ids too).
pub async fn find_chat(ctx: &Ctx, firm_id: i64, chat_ref: &ChatRef) -> AppResult<ChatInfo> {
    Ok(match chat_ref {
        ChatRef::Contact(userid) => {
            let c = links::contact_by_userid(ctx, firm_id, userid).await?;
            ChatInfo {
                chat: Chat::Contact(c.id),
                chat_ref: chat_ref.clone(),
                name: c.name,
            }
        }
        ChatRef::Group(chat_id) => {
            let g = links::group_by_chat_id(ctx, firm_id, chat_id).await?;
            ChatInfo {
                chat: Chat::Group(g.id),
                chat_ref: chat_ref.clone(),
                name: group_name(g.name),
            }
        }
    })
}

/// A customer group's name as shown: WeCom lets a group have none.
fn group_name(name: String) -> String {
    if name.is_empty() {
        "未命名客户群".into()
    } else {
        name
    }
}

/// A section served by the generic `/sidebar/customers/{id}/{section}` route. The money and
/// bookkeeping sections (billing, collection, filings, reports, invoices) have routes of their
/// own; [`tabs_for`] lists both kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Basic,
    Service,
    FollowUps,
    Kb,
}

impl Section {
    pub const ALL: [Section; 4] = [Self::Basic, Self::Service, Self::FollowUps, Self::Kb];

    pub fn code(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Service => "service",
            Self::FollowUps => "followups",
            Self::Kb => "kb",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Basic => "基础资料",
            Self::Service => "服务",
            Self::FollowUps => "跟进",
            Self::Kb => "知识库",
        }
    }

    pub fn permission(self) -> Permission {
        match self {
            Self::Basic => Permission::Basic,
            Self::Service => Permission::Service,
            Self::FollowUps => Permission::FollowUp,
            Self::Kb => Permission::KbView,
        }
    }

    pub fn parse(code: &str) -> AppResult<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| AppError::NotFound("页面不存在".into()))
    }
}

/// The sections `who` may open, in tab order.
pub fn sections_for(who: &CurrentEmployee) -> Vec<Section> {
    Section::ALL
        .into_iter()
        .filter(|s| who.can(s.permission()))
        .collect()
}

/// A tab of the customer panel: a section `who` may open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tab {
    pub code: &'static str,
    pub label: &'static str,
}

/// The sections with routes of their own, in tab order, with the right each needs.
const OWN_ROUTE_SECTIONS: [(&str, &str, Permission); 5] = [
    ("billing", "收款", Permission::Billing),
    ("collection", "收票", Permission::Collection),
    ("filings", "报税", Permission::Filing),
    ("reports", "报表", Permission::Report),
    ("invoices", "发票", Permission::Invoice),
];

/// Every tab `who` may open, in order: the generic sections, then the money and bookkeeping ones.
pub fn tabs_for(who: &CurrentEmployee) -> Vec<Tab> {
    sections_for(who)
        .into_iter()
        .map(|s| Tab {
            code: s.code(),
            label: s.label(),
        })
        .chain(
            OWN_ROUTE_SECTIONS
                .into_iter()
                .filter(|(_, _, p)| who.can(*p))
                .map(|(code, label, _)| Tab { code, label }),
        )
        .collect()
}

/// One of a chat's companies in the switcher.
#[derive(Clone, Debug)]
pub struct Choice {
    pub id: i64,
    pub name: String,
}

/// What is open for a customer, at a glance.
#[derive(Clone, Debug)]
pub struct Summary {
    pub customer: customer::Model,
    /// The last day of the bookkeeping service (the latest active or expired contract).
    pub service_end: Option<NaiveDate>,
    /// Days from today (Beijing) to `service_end`; negative once it has passed.
    pub days_left: Option<i64>,
    /// The unpaid rest of every receivable due on or before today.
    pub arrears: Money,
    pub missing_invoices: u64,
    /// Filings not yet done that are overdue or due within the next 10 days.
    pub filings_due: u64,
    pub tabs: Vec<Tab>,
}

/// The customer panel for a chat.
#[derive(Clone, Debug)]
pub struct Panel {
    pub chat: ChatInfo,
    pub choices: Vec<Choice>,
    /// Linked customers the employee may not see (they are told there are some).
    pub hidden: usize,
    pub current: Option<Summary>,
    /// The employee may link this chat to customers (基础资料).
    pub can_link: bool,
}

/// Whether the employee takes part in the chat: follows the contact, or owns or is in the group.
async fn in_chat(ctx: &Ctx, who: &CurrentEmployee, chat: Chat) -> AppResult<bool> {
    use crate::db::entities::{external_follow, group_chat_member, wecom_group_chat};
    let Some(userid) = who.wecom_userid.as_deref() else {
        return Ok(false);
    };
    let db = ctx.db.read();
    Ok(match chat {
        Chat::Contact(id) => external_follow::Entity::find()
            .filter(external_follow::Column::FirmId.eq(who.firm_id))
            .filter(external_follow::Column::ExternalContactId.eq(id))
            .filter(external_follow::Column::Userid.eq(userid))
            .filter(external_follow::Column::DeletedAt.is_null())
            .one(db)
            .await?
            .is_some(),
        Chat::Group(id) => {
            wecom_group_chat::Entity::find_by_id(id)
                .filter(wecom_group_chat::Column::FirmId.eq(who.firm_id))
                .filter(wecom_group_chat::Column::OwnerUserid.eq(userid))
                .one(db)
                .await?
                .is_some()
                || group_chat_member::Entity::find()
                    .filter(group_chat_member::Column::FirmId.eq(who.firm_id))
                    .filter(group_chat_member::Column::GroupChatId.eq(id))
                    .filter(group_chat_member::Column::MemberId.eq(userid))
                    .filter(group_chat_member::Column::LeftAt.is_null())
                    .one(db)
                    .await?
                    .is_some()
        }
    })
}

/// The panel for a chat, with `wanted` (a linked customer's id) picked when given, else the
/// employee's last choice for this chat, else the first by name.
pub async fn panel(
    ctx: &Ctx,
    who: &CurrentEmployee,
    chat_ref: &ChatRef,
    wanted: Option<i64>,
) -> AppResult<Panel> {
    let today = ctx.clock.today_local();
    let (chat, with_figures, stored) = chat_with_customers(ctx, who, chat_ref, today).await?;
    let (linked, mut figures): (Vec<customer::Model>, Vec<Figures>) =
        with_figures.into_iter().unzip();
    let visible: Vec<customer::Model> = if who.sees_all_customers() || linked.is_empty() {
        linked.clone()
    } else {
        customer::Entity::find()
            .filter(access::visible_customers(who))
            .filter(customer::Column::Id.is_in(linked.iter().map(|c| c.id)))
            .order_by_asc(customer::Column::Name)
            .all(ctx.db.read())
            .await?
    };
    if !linked.is_empty() && visible.is_empty() {
        return Err(AppError::Forbidden(
            "该聊天关联的客户不由您负责，无法查看".into(),
        ));
    }
    // An unlinked chat shows no customer, but still its name: only to those in it (or who see
    // every customer), not to anyone who guesses its id.
    if linked.is_empty() && !who.sees_all_customers() && !in_chat(ctx, who, chat.chat).await? {
        return Err(AppError::Forbidden("您不在该聊天中，无法查看".into()));
    }
    let chosen = match wanted {
        Some(id) => {
            if !linked.iter().any(|c| c.id == id) {
                return Err(AppError::NotFound("该聊天未关联此客户".into()));
            }
            let found = visible
                .iter()
                .find(|c| c.id == id)
                .cloned()
                .ok_or_else(|| AppError::Forbidden("您不负责该客户，无法查看".into()))?;
            Some(found)
        }
        None => stored
            .and_then(|id| visible.iter().find(|c| c.id == id))
            .or_else(|| visible.first())
            .cloned(),
    };
    remember(ctx, who, chat_ref, wanted, stored).await?;
    let current = match chosen {
        Some(c) => {
            let at = linked
                .iter()
                .position(|l| l.id == c.id)
                .ok_or_else(|| AppError::internal("the chosen customer is not linked"))?;
            Some(summary(who, c, figures.swap_remove(at), today))
        }
        None => None,
    };
    Ok(Panel {
        choices: visible
            .iter()
            .map(|c| Choice {
                id: c.id,
                name: c.name.clone(),
            })
            .collect(),
        hidden: linked.len() - visible.len(),
        can_link: who.can(Permission::Basic),
        chat,
        current,
    })
}

/// One row of [`chat_with_customers`]: the chat, the employee's stored choice for it, and one
/// linked live customer (columns prefixed `c_`; all null when the chat has none).
#[derive(FromQueryResult)]
struct ChatRow {
    chat_id: i64,
    chat_name: String,
    stored_choice: Option<i64>,
}

/// The customer's columns as `c.col AS c_col, …`, for reading a `customer::Model` with the prefix
/// `c_` out of a joined row.
/// The chat, its live linked customers by name with each one's summary figures, and the
/// employee's stored choice for it, in one round trip (the panel asks on every view): 404 for a
/// chat the firm does not have.
async fn chat_with_customers(
    ctx: &Ctx,
    who: &CurrentEmployee,
    chat_ref: &ChatRef,
    today: NaiveDate,
) -> AppResult<(ChatInfo, Vec<(customer::Model, Figures)>, Option<i64>)> {
    let (chats, key_column, links, link_column, missing) = match chat_ref {
        ChatRef::Contact(_) => (
            "wecom_external_contact",
            "external_userid",
            "customer_external_link",
            "external_contact_id",
            links::CONTACT_NOT_FOUND,
        ),
        ChatRef::Group(_) => (
            "wecom_group_chat",
            "chat_id",
            "customer_group_link",
            "group_chat_id",
            links::GROUP_NOT_FOUND,
        ),
    };
    static COLUMNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let rows = ctx
        .db
        .read()
        .query_all_raw(statement(
            ctx.db.backend(),
            &format!(
                "SELECT x.id AS chat_id, x.name AS chat_name, \
                   (SELECT s.customer_id FROM sidebar_chat_choice s \
                     WHERE s.firm_id = x.firm_id AND s.employee_id = ? AND s.chat_type = ? \
                       AND s.chat_key = x.{key_column}) AS stored_choice, \
                   {columns}, {figures} \
                 FROM {chats} x \
                 LEFT JOIN {links} l ON l.firm_id = x.firm_id AND l.{link_column} = x.id \
                 LEFT JOIN customer c ON c.firm_id = l.firm_id AND c.id = l.customer_id \
                   AND c.deleted_at IS NULL \
                 WHERE x.firm_id = ? AND x.{key_column} = ? \
                 ORDER BY c.name, c.id",
                columns = COLUMNS.get_or_init(|| access::customer_columns("c")),
                figures = FIGURES,
            ),
            [
                who.employee_id.into(),
                chat_ref.type_code().into(),
                (today + Duration::days(FILINGS_DUE_WITHIN_DAYS)).into(),
                sea_orm::ActiveEnum::to_value(&receivable::Status::Void).into(),
                today.into(),
                who.firm_id.into(),
                chat_ref.key().into(),
            ],
        ))
        .await?;
    let Some(first) = rows.first() else {
        return Err(AppError::NotFound(missing.into()));
    };
    let head = ChatRow::from_query_result(first, "")?;
    let mut customers = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(c) = customer::Model::from_query_result_optional(row, "c_")? {
            customers.push((c, Figures::from_query_result(row, "f_")?));
        }
    }
    let (chat, name) = match chat_ref {
        ChatRef::Contact(_) => (Chat::Contact(head.chat_id), head.chat_name),
        ChatRef::Group(_) => (Chat::Group(head.chat_id), group_name(head.chat_name)),
    };
    Ok((
        ChatInfo {
            chat,
            chat_ref: chat_ref.clone(),
            name,
        },
        customers,
        head.stored_choice,
    ))
}

/// Notes the last context (written in batches, see [`crate::services::context_hints`]) and stores the choice
/// when it differs from what is stored.
async fn remember(
    ctx: &Ctx,
    who: &CurrentEmployee,
    chat_ref: &ChatRef,
    wanted: Option<i64>,
    stored: Option<i64>,
) -> AppResult<()> {
    let now = ctx.now();
    ctx.context_hints
        .note(who.firm_id, who.employee_id, chat_ref, now);
    let Some(choice) = wanted.filter(|id| stored != Some(*id)) else {
        return Ok(());
    };
    // Which company an employee picked for a chat is a preference, not a record.
    let txn = ctx.db.begin_write_without_flush().await?;
    store_choice(&txn, who, chat_ref, choice, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Upserts the customer chosen for the chat.
async fn store_choice(
    conn: &impl ConnectionTrait,
    who: &CurrentEmployee,
    chat_ref: &ChatRef,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    sidebar_chat_choice::Entity::insert(sidebar_chat_choice::ActiveModel {
        firm_id: Set(who.firm_id),
        employee_id: Set(who.employee_id),
        chat_type: Set(chat_ref.type_code().to_string()),
        chat_key: Set(chat_ref.key().to_string()),
        customer_id: Set(id),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            sidebar_chat_choice::Column::FirmId,
            sidebar_chat_choice::Column::EmployeeId,
            sidebar_chat_choice::Column::ChatType,
            sidebar_chat_choice::Column::ChatKey,
        ])
        .update_columns([
            sidebar_chat_choice::Column::CustomerId,
            sidebar_chat_choice::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

/// The chat the employee last had the sidebar open beside, if any.
pub async fn last_context(ctx: &Ctx, who: &CurrentEmployee) -> AppResult<Option<ChatRef>> {
    if let Some(noted) = ctx.context_hints.pending(who.firm_id, who.employee_id) {
        return Ok(Some(noted));
    }
    Ok(
        sidebar_last_context::Entity::find_by_id((who.firm_id, who.employee_id))
            .one(ctx.db.read())
            .await?
            .and_then(|l| ChatRef::parse(&l.chat_type, &l.chat_key).ok()),
    )
}

/// The bookkeeping contract that defines the service period: the latest active or expired one.
pub async fn bookkeeping_contract(
    ctx: &Ctx,
    firm_id: i64,
    customer_id: i64,
) -> AppResult<Option<service_contract::Model>> {
    Ok(service_contract::Entity::find()
        .filter(service_contract::Column::FirmId.eq(firm_id))
        .filter(service_contract::Column::CustomerId.eq(customer_id))
        .filter(service_contract::Column::DeletedAt.is_null())
        .filter(service_contract::Column::ServiceType.eq("bookkeeping"))
        .filter(service_contract::Column::Status.is_in([
            service_contract::Status::Active,
            service_contract::Status::Expired,
        ]))
        .order_by_desc(service_contract::Column::EndPeriod)
        .one(ctx.db.read())
        .await?)
}

/// The last day of a contract's end period.
pub fn contract_end(contract: &service_contract::Model) -> Option<NaiveDate> {
    Period::parse(&contract.end_period)
        .ok()
        .map(Period::last_day)
}

/// The customer's receivables as the billing rules see them (void and deleted ones left out).
pub async fn owed(ctx: &Ctx, firm_id: i64, customer_id: i64) -> AppResult<Vec<(Owed, String)>> {
    let rows = live_receivables(firm_id, customer_id)
        .all(ctx.db.read())
        .await?;
    Ok(as_owed(rows))
}

fn live_receivables(firm_id: i64, customer_id: i64) -> sea_orm::Select<receivable::Entity> {
    receivable::Entity::find()
        .filter(receivable::Column::FirmId.eq(firm_id))
        .filter(receivable::Column::CustomerId.eq(customer_id))
        .filter(receivable::Column::DeletedAt.is_null())
        .filter(receivable::Column::Status.ne(receivable::Status::Void))
        .order_by_asc(receivable::Column::DueDate)
}

fn as_owed(rows: Vec<receivable::Model>) -> Vec<(Owed, String)> {
    rows.into_iter()
        .filter_map(|r| {
            Some((
                Owed {
                    id: r.id,
                    period_from: Period::parse(&r.period_from).ok()?,
                    period_to: Period::parse(&r.period_to).ok()?,
                    due_date: r.due_date,
                    amount: Money::from_fen(r.amount_fen),
                    paid: Money::from_fen(r.paid_fen),
                },
                r.fee_item,
            ))
        })
        .collect()
}

/// A linked customer's summary figures, read with the chat (`f_` columns of
/// [`chat_with_customers`]).
#[derive(FromQueryResult)]
struct Figures {
    end_period: Option<String>,
    missing_invoices: i64,
    filings_due: i64,
    arrears_fen: i64,
}

/// Filings due within this many days count as due in the summary.
const FILINGS_DUE_WITHIN_DAYS: i64 = 10;

/// The summary's figures of the customer `c` as columns, taking three parameters: the last day a
/// due filing counts, the void receivable status and today. The service end is the same
/// contract as `bookkeeping_contract`; the open missing invoices; the filings due; and the
/// arrears: what is still open (never negative per item, as `Owed::open`) on the live receivables
/// due by today, as `arrears_as_of` sums them.
const FIGURES: &str = "\
    (SELECT end_period FROM service_contract k \
      WHERE k.firm_id = c.firm_id AND k.customer_id = c.id AND k.deleted_at IS NULL \
        AND k.service_type = 'bookkeeping' AND k.status IN ('active', 'expired') \
      ORDER BY k.end_period DESC LIMIT 1) AS f_end_period, \
    (SELECT COUNT(*) FROM missing_invoice m \
      WHERE m.firm_id = c.firm_id AND m.customer_id = c.id AND m.resolved_at IS NULL \
        AND m.deleted_at IS NULL) AS f_missing_invoices, \
    (SELECT COUNT(*) FROM tax_filing t \
      WHERE t.firm_id = c.firm_id AND t.customer_id = c.id \
        AND t.status IN ('pending', 'overdue') AND t.due_date <= ?) AS f_filings_due, \
    (SELECT CAST(COALESCE(SUM(r.amount_fen - r.paid_fen), 0) AS BIGINT) FROM receivable r \
      WHERE r.firm_id = c.firm_id AND r.customer_id = c.id AND r.deleted_at IS NULL \
        AND r.status <> ? AND r.due_date <= ? AND r.paid_fen < r.amount_fen) AS f_arrears_fen";

/// The at-a-glance summary of a customer the caller may see, from its figures.
fn summary(
    who: &CurrentEmployee,
    customer: customer::Model,
    figures: Figures,
    today: NaiveDate,
) -> Summary {
    let service_end = figures
        .end_period
        .as_deref()
        .and_then(|p| Period::parse(p).ok())
        .map(Period::last_day);
    Summary {
        days_left: service_end.map(|end| (end - today).num_days()),
        service_end,
        arrears: Money::from_fen(figures.arrears_fen),
        missing_invoices: u64::try_from(figures.missing_invoices).unwrap_or(0),
        filings_due: u64::try_from(figures.filings_due).unwrap_or(0),
        tabs: tabs_for(who),
        customer,
    }
}

/// 我的客户待办: the live customers `who` serves (any duty) that have something to do — arrears,
/// missing invoices, filings due, or, while still served, a service ending within 30 days or
/// ended (a renewal to ask for) — with the same figures as the panel's summary, the largest
/// arrears first.
pub async fn work_list(ctx: &Ctx, who: &CurrentEmployee) -> AppResult<(usize, Vec<Summary>)> {
    let today = ctx.clock.today_local();
    static COLUMNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let rows = ctx
        .db
        .read()
        .query_all_raw(statement(
            ctx.db.backend(),
            &format!(
                "SELECT {columns}, {figures} FROM customer c \
                 WHERE c.firm_id = ? AND c.deleted_at IS NULL AND EXISTS (SELECT 1 FROM \
                   customer_staff s WHERE s.firm_id = c.firm_id AND s.customer_id = c.id \
                   AND s.employee_id = ?) \
                 ORDER BY c.name, c.id",
                columns = COLUMNS.get_or_init(|| access::customer_columns("c")),
                figures = FIGURES,
            ),
            [
                (today + Duration::days(FILINGS_DUE_WITHIN_DAYS)).into(),
                sea_orm::ActiveEnum::to_value(&receivable::Status::Void).into(),
                today.into(),
                who.firm_id.into(),
                who.employee_id.into(),
            ],
        ))
        .await?;
    let served = rows.len();
    let mut due = Vec::new();
    for row in &rows {
        let customer = customer::Model::from_query_result(row, "c_")?;
        let s = summary(who, customer, Figures::from_query_result(row, "f_")?, today);
        if s.arrears.is_positive()
            || s.missing_invoices > 0
            || s.filings_due > 0
            || (s.customer.service_status == customer::ServiceStatus::Serving
                && s.days_left.is_some_and(|d| d <= WORK_LIST_EXPIRY_DAYS))
        {
            due.push(s);
        }
    }
    due.sort_by(|a, b| {
        b.arrears.cmp(&a.arrears).then(
            a.days_left
                .unwrap_or(i64::MAX)
                .cmp(&b.days_left.unwrap_or(i64::MAX)),
        )
    });
    Ok((served, due))
}

/// A service ending within this many days is on the work list.
const WORK_LIST_EXPIRY_DAYS: i64 = 30;

/// A customer found by the link search.
#[derive(Clone, Debug)]
pub struct Hit {
    pub id: i64,
    pub name: String,
    pub short_name: Option<String>,
    pub uscc: Option<String>,
}

/// At most this many customers answer a search.
pub const SEARCH_LIMIT: u64 = 20;

/// The firm's customers `who` may see whose name or short name contains `q` (anywhere), whose
/// USCC contains it (any case), or one of whose contacts' phones contains it; by name.
pub async fn search(ctx: &Ctx, who: &CurrentEmployee, q: &str) -> AppResult<Vec<Hit>> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    if q.chars().count() > 60 {
        return Err(AppError::BadRequest("搜索内容太长".into()));
    }
    let phones = Query::select()
        .column(contact::Column::CustomerId)
        .from(contact::Entity)
        .cond_where(
            Condition::all()
                .add(contact::Column::FirmId.eq(who.firm_id))
                .add(contact::Column::DeletedAt.is_null())
                .add(Expr::col(contact::Column::Mobile).like(crate::db::contains_like(q))),
        )
        .to_owned();
    let found = customer::Entity::find()
        .filter(access::visible_customers(who))
        .filter(
            links::customer_named(q)
                .add(Expr::col((customer::Entity, customer::Column::Id)).in_subquery(phones)),
        )
        .order_by_asc(customer::Column::Name)
        .limit(SEARCH_LIMIT)
        .all(ctx.db.read())
        .await?;
    Ok(found
        .into_iter()
        .map(|c| Hit {
            id: c.id,
            name: c.name,
            short_name: c.short_name,
            uscc: c.uscc,
        })
        .collect())
}

/// The customer behind a section page: the section's permission, then the data scope
/// (another firm's or a deleted customer is 404, one outside the employee's scope 403).
pub async fn customer_for(
    ctx: &Ctx,
    who: &CurrentEmployee,
    customer_id: i64,
    section: Section,
) -> AppResult<customer::Model> {
    who.require(section.permission())?;
    access::customer(ctx, who, customer_id).await
}

/// A chat in the demo's "current chat" picker.
pub struct DemoChat {
    pub chat: ChatRef,
    pub name: String,
    /// The member takes part in it (follows the contact, owns or is in the group): the only
    /// chats WeCom would open the sidebar in.
    pub mine: bool,
}

/// The firm's chats for the demo's "current chat" picker: the member's own first, then the
/// others (which WeCom would never show them, kept to try a refusal), linked ones first within
/// each, at most 100 contacts and 100 groups of each kind.
pub async fn demo_chats(ctx: &Ctx, who: &CurrentEmployee) -> AppResult<Vec<DemoChat>> {
    use crate::db::entities::{
        customer_external_link, customer_group_link, external_follow, group_chat_member,
        wecom_external_contact, wecom_group_chat,
    };
    let db = ctx.db.read();
    let (mut my_contacts, mut my_groups) = (Vec::new(), Vec::new());
    if let Some(userid) = who.wecom_userid.as_deref() {
        my_contacts = external_follow::Entity::find()
            .filter(external_follow::Column::FirmId.eq(who.firm_id))
            .filter(external_follow::Column::Userid.eq(userid))
            .filter(external_follow::Column::DeletedAt.is_null())
            .limit(100)
            .all(db)
            .await?
            .into_iter()
            .map(|f| f.external_contact_id)
            .collect();
        my_groups = group_chat_member::Entity::find()
            .filter(group_chat_member::Column::FirmId.eq(who.firm_id))
            .filter(group_chat_member::Column::MemberId.eq(userid))
            .filter(group_chat_member::Column::LeftAt.is_null())
            .limit(100)
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.group_chat_id)
            .collect();
        my_groups.extend(
            wecom_group_chat::Entity::find()
                .filter(wecom_group_chat::Column::FirmId.eq(who.firm_id))
                .filter(wecom_group_chat::Column::OwnerUserid.eq(userid))
                .limit(100)
                .all(db)
                .await?
                .into_iter()
                .map(|g| g.id),
        );
    }
    let linked_contacts: Vec<i64> = customer_external_link::Entity::find()
        .filter(customer_external_link::Column::FirmId.eq(who.firm_id))
        .limit(100)
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.external_contact_id)
        .collect();
    let linked_groups: Vec<i64> = customer_group_link::Entity::find()
        .filter(customer_group_link::Column::FirmId.eq(who.firm_id))
        .limit(100)
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.group_chat_id)
        .collect();

    let mut chats = Vec::new();
    for mine in [true, false] {
        let contacts = wecom_external_contact::Entity::find()
            .filter(wecom_external_contact::Column::FirmId.eq(who.firm_id))
            .filter(wecom_external_contact::Column::DeletedAt.is_null());
        let contacts = if mine {
            contacts.filter(wecom_external_contact::Column::Id.is_in(my_contacts.clone()))
        } else {
            contacts.filter(wecom_external_contact::Column::Id.is_not_in(my_contacts.clone()))
        };
        let mut contacts = contacts
            .order_by_asc(wecom_external_contact::Column::Id)
            .limit(100)
            .all(db)
            .await?;
        contacts.sort_by_key(|c| !linked_contacts.contains(&c.id));
        let groups = wecom_group_chat::Entity::find()
            .filter(wecom_group_chat::Column::FirmId.eq(who.firm_id))
            .filter(wecom_group_chat::Column::DismissedAt.is_null());
        let groups = if mine {
            groups.filter(wecom_group_chat::Column::Id.is_in(my_groups.clone()))
        } else {
            groups.filter(wecom_group_chat::Column::Id.is_not_in(my_groups.clone()))
        };
        let mut groups = groups
            .order_by_asc(wecom_group_chat::Column::Id)
            .limit(100)
            .all(db)
            .await?;
        groups.sort_by_key(|g| !linked_groups.contains(&g.id));
        chats.extend(contacts.into_iter().map(|c| DemoChat {
            chat: ChatRef::Contact(c.external_userid),
            name: c.name,
            mine,
        }));
        chats.extend(groups.into_iter().map(|g| DemoChat {
            chat: ChatRef::Group(g.chat_id),
            name: g.name,
            mine,
        }));
    }
    Ok(chats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_refs_parse_and_print_their_paths() {
        let c = ChatRef::parse("contact", " wmABC ").unwrap();
        assert_eq!(c, ChatRef::Contact("wmABC".into()));
        assert_eq!(c.path(), "/sidebar/contact/wmABC");
        assert_eq!(
            ChatRef::parse("group", "wr a/b").unwrap().path(),
            "/sidebar/group/wr%20a%2Fb"
        );
        assert!(ChatRef::parse("other", "x").is_err());
        assert!(ChatRef::parse("group", "  ").is_err());
    }

    #[test]
    fn sections_parse_by_code_and_unknown_ones_are_not_found() {
        for s in Section::ALL {
            assert_eq!(Section::parse(s.code()).unwrap(), s);
        }
        assert!(matches!(
            Section::parse("billing"),
            Err(AppError::NotFound(_))
        ));
    }
}
