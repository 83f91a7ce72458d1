//! Fees in the sidebar's 收款 section: what a customer owes (per receivable and per contract),
//! confirming a payment with its receipt, reversing a mistaken confirmation, the payment history
//! and the amount a dunning message asks for.
//!
//! Money stays exact: a receivable's `paid_fen` is always the sum of the allocations of its live
//! (not reversed) payments, and its `status` follows from it (`domain::billing::status_after`).
//! A confirmation takes the customer's open receivables under a row lock (PostgreSQL `FOR
//! UPDATE`; SQLite's single writer and `BEGIN IMMEDIATE` serialise writes anyway), allocates with
//! the domain rules and writes each allocation with a conditional UPDATE that refuses to take a
//! receivable past its amount — so two managers confirming against the same receivable at once
//! cannot over-allocate it: the second one sees what the first left open.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;

use crate::db::entities::{
    customer, dunning, payment, payment_allocation, receipt, receivable, service_contract,
};
use crate::db::statement;
use crate::domain::billing::{self, Owed};
use crate::domain::clock::{SHANGHAI_OFFSET, today_local};
use crate::domain::money::Money;
use crate::domain::period::Period;
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Object, Who};
use crate::services::sessions::CurrentEmployee;
use crate::services::{Ctx, access, receipts};

/// How long the confirmer may reverse their own confirmation; admins may at any time.
pub const REVERSAL_WINDOW_HOURS: i64 = 24;

/// How a payment is spread over the open receivables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allocation {
    /// Earliest due first (the usual case).
    OldestFirst,
    /// The person chose receivables and amounts; the amounts add up to the payment.
    AsChosen(Vec<(i64, Money)>),
}

/// A payment to confirm.
#[derive(Clone, Debug)]
pub struct NewPayment {
    pub customer_id: i64,
    pub amount: Money,
    pub method: payment::Method,
    /// The day the money arrived (Beijing date).
    pub paid_on: NaiveDate,
    /// Who paid, when not the company itself (a person's name, another company).
    pub payer: Option<String>,
    pub note: Option<String>,
    pub allocation: Allocation,
}

/// What a confirmation did.
#[derive(Clone, Debug, Serialize)]
pub struct Confirmed {
    pub payment_id: i64,
    pub receipt_id: i64,
    pub receipt_no: String,
    /// `(receivable id, amount)` in allocation order.
    pub allocations: Vec<(i64, i64)>,
}

/// The label of a payment method in Chinese.
pub fn method_label(method: payment::Method) -> &'static str {
    match method {
        payment::Method::Transfer => "转账",
        payment::Method::Wechat => "微信",
        payment::Method::Alipay => "支付宝",
        payment::Method::Cash => "现金",
        payment::Method::Other => "其他",
    }
}

/// Parses a method code from a form.
pub fn parse_method(code: &str) -> AppResult<payment::Method> {
    Ok(match code {
        "transfer" => payment::Method::Transfer,
        "wechat" => payment::Method::Wechat,
        "alipay" => payment::Method::Alipay,
        "cash" => payment::Method::Cash,
        "other" => payment::Method::Other,
        _ => return Err(AppError::Validation("请选择收款方式".into())),
    })
}

fn period(s: &str) -> AppResult<Period> {
    Period::parse(s).map_err(|_| AppError::internal(format!("stored period {s:?} is not YYYY-MM")))
}

fn owed_of(r: &receivable::Model) -> AppResult<Owed> {
    Ok(Owed {
        id: r.id,
        period_from: period(&r.period_from)?,
        period_to: period(&r.period_to)?,
        due_date: r.due_date,
        amount: Money::from_fen(r.amount_fen),
        paid: Money::from_fen(r.paid_fen),
    })
}

/// The customer's live, not void receivables, locked for update on PostgreSQL.
async fn live_receivables(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    customer_id: i64,
    lock: bool,
) -> AppResult<Vec<receivable::Model>> {
    let mut query = receivable::Entity::find()
        .filter(receivable::Column::FirmId.eq(firm_id))
        .filter(receivable::Column::CustomerId.eq(customer_id))
        .filter(receivable::Column::DeletedAt.is_null())
        .filter(receivable::Column::Status.ne(receivable::Status::Void))
        .order_by_asc(receivable::Column::DueDate)
        .order_by_asc(receivable::Column::PeriodFrom)
        .order_by_asc(receivable::Column::Id);
    if lock && conn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    Ok(query.all(conn).await?)
}

/// Adds `delta` (positive: an allocation; negative: undoing one) to a receivable's `paid_fen`,
/// only while the result stays within `0..=amount_fen`, and sets the status that follows.
async fn add_paid(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    receivable_id: i64,
    delta: i64,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let result = conn
        .execute_raw(statement(
            conn.get_database_backend(),
            "UPDATE receivable SET paid_fen = paid_fen + ?, \
             status = CASE WHEN paid_fen + ? >= amount_fen THEN 'paid' \
                           WHEN paid_fen + ? > 0 THEN 'partial' ELSE 'open' END, \
             updated_at = ? \
             WHERE firm_id = ? AND id = ? AND deleted_at IS NULL AND status <> 'void' \
               AND paid_fen + ? >= 0 AND paid_fen + ? <= amount_fen",
            [
                delta.into(),
                delta.into(),
                delta.into(),
                now.into(),
                firm_id.into(),
                receivable_id.into(),
                delta.into(),
                delta.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// The instant a payment that arrived on `day` (a Beijing date) is recorded at: noon that day.
pub fn paid_at(day: NaiveDate) -> Option<DateTime<Utc>> {
    day.and_hms_opt(12, 0, 0)
        .and_then(|t| t.and_local_timezone(SHANGHAI_OFFSET).single())
        .map(|t| t.with_timezone(&Utc))
}

/// Confirms a payment: allocates it, issues its receipt (the next number of the firm's year) and
/// records both, all in one transaction. Needs `billing_confirm`.
pub async fn confirm(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    input: NewPayment,
) -> AppResult<Confirmed> {
    me.require(Permission::BillingConfirm)?;
    let customer = access::customer(ctx, me, input.customer_id).await?;
    if !input.amount.is_positive() {
        return Err(AppError::Validation("收款金额必须大于零".into()));
    }
    let payer = clean(input.payer.as_deref(), 100, "付款人")?;
    let note = clean(input.note.as_deref(), 500, "备注")?;
    let now = ctx.now();
    if input.paid_on > today_local(now) {
        return Err(AppError::Validation("收款日期不能晚于今天".into()));
    }
    let txn = ctx.db.begin_write().await?;
    let paid_at =
        paid_at(input.paid_on).ok_or_else(|| AppError::Validation("收款日期无效".into()))?;
    let pay = payment::ActiveModel {
        firm_id: Set(me.firm_id),
        customer_id: Set(customer.id),
        amount_fen: Set(input.amount.fen()),
        method: Set(input.method),
        paid_at: Set(paid_at),
        payer: Set(payer.clone()),
        note: Set(note),
        confirmed_by: Set(Some(me.employee_id)),
        confirmed_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        reversed_at: Set(None),
        reversed_by: Set(None),
        reversal_reason: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let (rows, allocations) = allocate_in(
        &txn,
        me.firm_id,
        customer.id,
        pay.id,
        input.amount,
        &input.allocation,
        now,
    )
    .await?;

    // The receipt: the item and service period of what the payment settled.
    let settled: Vec<&receivable::Model> = allocations
        .iter()
        .filter_map(|(id, _)| rows.iter().find(|r| r.id == *id))
        .collect();
    let item = match settled.first() {
        Some(first) if settled.iter().all(|r| r.fee_item == first.fee_item) => {
            first.fee_item.clone()
        }
        Some(first) => format!("{}等", first.fee_item),
        None => "代理记账服务费".to_string(),
    };
    let period_from = settled.iter().map(|r| r.period_from.clone()).min();
    let period_to = settled.iter().map(|r| r.period_to.clone()).max();
    let year = chrono::Datelike::year(&today_local(now));
    let number = receipts::next_number(&txn, me.firm_id, year, now).await?;
    let amount_cn = input
        .amount
        .to_chinese_upper_with_prefix()
        .map_err(|e| AppError::Validation(e.to_string()))?;
    let rec = receipt::ActiveModel {
        firm_id: Set(me.firm_id),
        receipt_no: Set(number.to_string()),
        payment_id: Set(pay.id),
        customer_id: Set(customer.id),
        payer: Set(customer.name.clone()),
        item: Set(item),
        period_from: Set(period_from),
        period_to: Set(period_to),
        amount_fen: Set(input.amount.fen()),
        amount_cn: Set(amount_cn),
        payee: Set(me.firm_name.clone()),
        handler_id: Set(Some(me.employee_id)),
        issued_at: Set(now),
        image_key: Set(None),
        status: Set(receipt::Status::Valid),
        voided_at: Set(None),
        void_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    let allocations: Vec<(i64, i64)> = allocations.iter().map(|(id, m)| (*id, m.fen())).collect();
    let who = Who::employee(me, ip);
    audit::record_in(
        &txn,
        now,
        &who,
        "payment.confirm",
        Object::new("payment", pay.id),
        None,
        Some(json!({
            "customer_id": customer.id,
            "amount_fen": input.amount.fen(),
            "method": input.method,
            "paid_on": input.paid_on,
            "payer": payer,
            "allocations": allocations,
            "receipt_no": rec.receipt_no,
        })),
    )
    .await?;
    audit::record_in(
        &txn,
        now,
        &who,
        "receipt.issue",
        Object::new("receipt", rec.id),
        None,
        Some(json!({"receipt_no": rec.receipt_no, "payment_id": pay.id, "amount_fen": rec.amount_fen})),
    )
    .await?;
    txn.commit().await?;
    Ok(Confirmed {
        payment_id: pay.id,
        receipt_id: rec.id,
        receipt_no: rec.receipt_no,
        allocations,
    })
}

/// Spreads a payment already written (`payment_id`) over the customer's open receivables: takes
/// them under lock, allocates by the domain rules, raises each receivable's `paid_fen` with a
/// conditional UPDATE and records the allocations. Answers the receivables it saw and what went
/// where. Used by a confirmation in the sidebar and by a payment pushed through the API.
pub async fn allocate_in(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    customer_id: i64,
    payment_id: i64,
    amount: Money,
    allocation: &Allocation,
    now: DateTime<Utc>,
) -> AppResult<(Vec<receivable::Model>, Vec<(i64, Money)>)> {
    let rows = live_receivables(conn, firm_id, customer_id, true).await?;
    let owed = rows.iter().map(owed_of).collect::<AppResult<Vec<_>>>()?;
    let allocations = match allocation {
        Allocation::OldestFirst => billing::allocate_oldest_first(amount, &owed),
        Allocation::AsChosen(chosen) => billing::allocate_as_chosen(amount, &owed, chosen),
    }
    .map_err(|e| AppError::Validation(e.to_string()))?;
    for (receivable_id, amount) in &allocations {
        if !add_paid(conn, firm_id, *receivable_id, amount.fen(), now).await? {
            // Only reachable when the lock above is not held (it always is): refuse, never
            // over-allocate.
            return Err(AppError::Conflict(
                "该应收款刚刚被其他人收款，请刷新后重试".into(),
            ));
        }
        payment_allocation::ActiveModel {
            firm_id: Set(firm_id),
            payment_id: Set(payment_id),
            receivable_id: Set(*receivable_id),
            amount_fen: Set(amount.fen()),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
    }
    Ok((rows, allocations))
}

fn clean(value: Option<&str>, max_chars: usize, what: &str) -> AppResult<Option<String>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max_chars {
        return Err(AppError::Validation(format!(
            "{what}不能超过{max_chars}个字"
        )));
    }
    Ok(Some(v.to_string()))
}

/// Reverses a mistaken confirmation: its allocations are undone (receivables reopened), its
/// receipt voided (kept, shown as void) and the payment marked reversed. The confirmer may do it
/// within 24 hours (still holding `billing_confirm`); an admin at any time.
pub async fn reverse(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    payment_id: i64,
    reason: &str,
) -> AppResult<()> {
    let reason = clean(Some(reason), 200, "撤销原因")?
        .ok_or_else(|| AppError::Validation("请填写撤销原因".into()))?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let mut query = payment::Entity::find_by_id(payment_id)
        .filter(payment::Column::FirmId.eq(me.firm_id))
        .filter(payment::Column::DeletedAt.is_null());
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let pay = query
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("收款记录不存在".into()))?;
    access::customer(ctx, me, pay.customer_id).await?;
    if !me.is_admin() {
        me.require(Permission::BillingConfirm)?;
        let own = pay.confirmed_by == Some(me.employee_id);
        let recent = pay
            .confirmed_at
            .is_some_and(|at| now - at <= Duration::hours(REVERSAL_WINDOW_HOURS));
        if !own {
            return Err(AppError::Forbidden(
                "只有确认该笔收款的人（24小时内）或管理员可以撤销".into(),
            ));
        }
        if !recent {
            return Err(AppError::Forbidden(
                "已超过24小时，请联系管理员撤销该笔收款".into(),
            ));
        }
    }
    if pay.reversed_at.is_some() {
        return Err(AppError::Conflict("该笔收款已撤销".into()));
    }
    let allocations = payment_allocation::Entity::find()
        .filter(payment_allocation::Column::FirmId.eq(me.firm_id))
        .filter(payment_allocation::Column::PaymentId.eq(pay.id))
        .all(&txn)
        .await?;
    for a in &allocations {
        if !add_paid(&txn, me.firm_id, a.receivable_id, -a.amount_fen, now).await? {
            return Err(AppError::Conflict(
                "应收款金额与收款记录不一致，无法撤销，请联系管理员".into(),
            ));
        }
    }
    payment_allocation::Entity::delete_many()
        .filter(payment_allocation::Column::FirmId.eq(me.firm_id))
        .filter(payment_allocation::Column::PaymentId.eq(pay.id))
        .exec(&txn)
        .await?;
    let mut active: payment::ActiveModel = pay.clone().into();
    active.reversed_at = Set(Some(now));
    active.reversed_by = Set(Some(me.employee_id));
    active.reversal_reason = Set(Some(reason.clone()));
    active.updated_at = Set(now);
    active.update(&txn).await?;

    let receipts = receipt::Entity::find()
        .filter(receipt::Column::FirmId.eq(me.firm_id))
        .filter(receipt::Column::PaymentId.eq(pay.id))
        .filter(receipt::Column::Status.eq(receipt::Status::Valid))
        .all(&txn)
        .await?;
    let who = Who::employee(me, ip);
    for r in receipts {
        let mut active: receipt::ActiveModel = r.clone().into();
        active.status = Set(receipt::Status::Void);
        active.voided_at = Set(Some(now));
        active.void_reason = Set(Some(reason.clone()));
        active.updated_at = Set(now);
        active.update(&txn).await?;
        audit::record_in(
            &txn,
            now,
            &who,
            "receipt.void",
            Object::new("receipt", r.id),
            Some(json!({"receipt_no": r.receipt_no, "status": "valid"})),
            Some(json!({"receipt_no": r.receipt_no, "status": "void", "reason": reason})),
        )
        .await?;
    }
    let undone: Vec<(i64, i64)> = allocations
        .iter()
        .map(|a| (a.receivable_id, a.amount_fen))
        .collect();
    audit::record_in(
        &txn,
        now,
        &who,
        "payment.reverse",
        Object::new("payment", pay.id),
        Some(json!({"amount_fen": pay.amount_fen, "allocations": undone})),
        Some(json!({"reversed": true, "reason": reason})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// One receivable as the 收款 section shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ReceivableLine {
    pub id: i64,
    pub contract_id: Option<i64>,
    pub fee_item: String,
    pub period_from: String,
    pub period_to: String,
    pub due_date: NaiveDate,
    pub amount: Money,
    pub paid: Money,
    pub open: Money,
    pub status: receivable::Status,
    /// Due on or before today and not fully paid.
    pub overdue: bool,
}

/// One contract with what is still open on it.
#[derive(Clone, Debug, Serialize)]
pub struct ContractLine {
    pub id: i64,
    pub contract_no: String,
    pub start_period: String,
    pub end_period: String,
    pub fee_per_month: Money,
    pub billing_cycle: service_contract::BillingCycle,
    pub total: Money,
    pub status: service_contract::Status,
    pub open: Money,
}

/// The customer's arrears: every receivable and contract, the overdue total (arrears as of
/// today), everything still open and the period paid through.
#[derive(Clone, Debug, Serialize)]
pub struct Arrears {
    pub customer_id: i64,
    pub customer_name: String,
    pub today: NaiveDate,
    pub receivables: Vec<ReceivableLine>,
    pub contracts: Vec<ContractLine>,
    pub overdue: Money,
    pub open: Money,
    pub paid_through: Option<String>,
}

/// The 收款 overview of a customer. Needs `billing`.
pub async fn arrears(ctx: &Ctx, me: &CurrentEmployee, customer_id: i64) -> AppResult<Arrears> {
    me.require(Permission::Billing)?;
    let customer = access::customer(ctx, me, customer_id).await?;
    arrears_of(ctx, me.firm_id, customer).await
}

/// The 收款 section: the arrears and the payment history, with one access check. Needs `billing`.
pub async fn overview(
    ctx: &Ctx,
    me: &CurrentEmployee,
    customer_id: i64,
) -> AppResult<(Arrears, Vec<PaymentLine>)> {
    me.require(Permission::Billing)?;
    let (customer, rows) = access::customer_with_rows(
        ctx,
        me,
        customer_id,
        access::Rows {
            sql: history_sql(ctx),
            values: vec![me.firm_id.into(), customer_id.into()],
            order_by: "r.paid_at DESC, r.id DESC".into(),
        },
    )
    .await?;
    let history = history_lines(&rows)?;
    Ok((arrears_of(ctx, me.firm_id, customer).await?, history))
}

async fn arrears_of(ctx: &Ctx, firm_id: i64, customer: customer::Model) -> AppResult<Arrears> {
    let today = today_local(ctx.now());
    let rows = live_receivables(ctx.db.read(), firm_id, customer.id, false).await?;
    let owed = rows.iter().map(owed_of).collect::<AppResult<Vec<_>>>()?;
    let receivables: Vec<ReceivableLine> = rows
        .iter()
        .zip(&owed)
        .map(|(r, o)| ReceivableLine {
            id: r.id,
            contract_id: r.contract_id,
            fee_item: r.fee_item.clone(),
            period_from: r.period_from.clone(),
            period_to: r.period_to.clone(),
            due_date: r.due_date,
            amount: o.amount,
            paid: o.paid,
            open: o.open(),
            status: r.status,
            overdue: r.due_date <= today && o.open().is_positive(),
        })
        .collect();
    let contracts = service_contract::Entity::find()
        .filter(service_contract::Column::FirmId.eq(firm_id))
        .filter(service_contract::Column::CustomerId.eq(customer.id))
        .filter(service_contract::Column::DeletedAt.is_null())
        .order_by_desc(service_contract::Column::StartPeriod)
        .all(ctx.db.read())
        .await?
        .into_iter()
        .map(|c| ContractLine {
            open: receivables
                .iter()
                .filter(|r| r.contract_id == Some(c.id))
                .map(|r| r.open)
                .sum(),
            id: c.id,
            contract_no: c.contract_no,
            start_period: c.start_period,
            end_period: c.end_period,
            fee_per_month: Money::from_fen(c.fee_per_month_fen),
            billing_cycle: c.billing_cycle,
            total: Money::from_fen(c.total_fen),
            status: c.status,
        })
        .collect();
    Ok(Arrears {
        customer_id: customer.id,
        customer_name: customer.name,
        today,
        overdue: billing::arrears_as_of(&owed, today),
        open: owed.iter().map(Owed::open).sum(),
        paid_through: billing::paid_through(&owed).map(|p| p.to_string()),
        receivables,
        contracts,
    })
}

/// One payment of the history.
#[derive(Clone, Debug, Serialize)]
pub struct PaymentLine {
    pub id: i64,
    pub amount: Money,
    pub method: payment::Method,
    pub method_label: &'static str,
    pub paid_at: DateTime<Utc>,
    pub payer: Option<String>,
    pub confirmed_by: Option<i64>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub reversed_at: Option<DateTime<Utc>>,
    pub reversal_reason: Option<String>,
    pub receipt_id: Option<i64>,
    pub receipt_no: Option<String>,
    pub receipt_void: bool,
    /// `(receivable id, amount)`; empty once reversed.
    pub allocations: Vec<(i64, Money)>,
}

/// The customer's payments, newest first, reversed ones included (their receipts shown void).
/// Needs `billing`.
pub async fn history(
    ctx: &Ctx,
    me: &CurrentEmployee,
    customer_id: i64,
) -> AppResult<Vec<PaymentLine>> {
    me.require(Permission::Billing)?;
    let customer = access::customer(ctx, me, customer_id).await?;
    history_of(ctx, me.firm_id, customer.id).await
}

/// How many payments the history shows, newest first.
const HISTORY_LIMIT: u64 = 200;

async fn history_of(ctx: &Ctx, firm_id: i64, customer_id: i64) -> AppResult<Vec<PaymentLine>> {
    let rows = ctx
        .db
        .read()
        .query_all_raw(statement(
            ctx.db.backend(),
            &history_sql(ctx),
            [firm_id.into(), customer_id.into()],
        ))
        .await?;
    history_lines(&rows)
}

/// The customer's latest payments, each with its receipt (one is issued per confirmation; the
/// first if ever more) and its allocations as "receivable:fen,…"; `?` are the firm and the
/// customer.
fn history_sql(ctx: &Ctx) -> String {
    let allocations = crate::db::comma_joined(
        ctx.db.backend(),
        "CAST(a.receivable_id AS TEXT) || ':' || CAST(a.amount_fen AS TEXT)",
        "a.receivable_id",
    );
    format!(
        "SELECT p.*, r.id AS receipt_id, r.receipt_no AS receipt_no, \
           r.status AS receipt_status, \
           (SELECT {allocations} FROM payment_allocation a \
             WHERE a.firm_id = p.firm_id AND a.payment_id = p.id) AS allocations \
         FROM payment p \
         LEFT JOIN receipt r ON r.firm_id = p.firm_id AND r.id = \
           (SELECT MIN(f.id) FROM receipt f \
             WHERE f.firm_id = p.firm_id AND f.payment_id = p.id) \
         WHERE p.firm_id = ? AND p.customer_id = ? AND p.deleted_at IS NULL \
         ORDER BY p.paid_at DESC, p.id DESC LIMIT {HISTORY_LIMIT}"
    )
}

/// Payment lines from rows of [`history_sql`].
fn history_lines(rows: &[QueryResult]) -> AppResult<Vec<PaymentLine>> {
    let mut payments = Vec::new();
    for row in rows {
        let receipt_id: Option<i64> = row.try_get("", "receipt_id")?;
        let receipt_no: Option<String> = row.try_get("", "receipt_no")?;
        let receipt_status: Option<receipt::Status> = row.try_get("", "receipt_status")?;
        let allocations: Option<String> = row.try_get("", "allocations")?;
        payments.push((
            payment::Model::from_query_result(row, "")?,
            receipt_id,
            receipt_no,
            receipt_status,
            parse_allocations(allocations.as_deref().unwrap_or(""))?,
        ));
    }
    Ok(payments
        .into_iter()
        .map(
            |(p, receipt_id, receipt_no, receipt_status, allocations)| PaymentLine {
                id: p.id,
                amount: Money::from_fen(p.amount_fen),
                method: p.method,
                method_label: method_label(p.method),
                paid_at: p.paid_at,
                payer: p.payer,
                confirmed_by: p.confirmed_by,
                confirmed_at: p.confirmed_at,
                reversed_at: p.reversed_at,
                reversal_reason: p.reversal_reason,
                receipt_id,
                receipt_no,
                receipt_void: receipt_status == Some(receipt::Status::Void),
                allocations,
            },
        )
        .collect())
}

/// "receivable:fen,…" as the payment history reads a payment's allocations.
fn parse_allocations(joined: &str) -> AppResult<Vec<(i64, Money)>> {
    joined
        .split(',')
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.split_once(':')
                .and_then(|(id, fen)| Some((id.parse().ok()?, Money::from_fen(fen.parse().ok()?))))
                .ok_or_else(|| AppError::internal(format!("allocation \"{part}\"")))
        })
        .collect()
}

/// What a 催款提醒 asks for: the service periods, the receivables ticked (勾选需要催款的项目) and
/// the amount the manager settled on.
#[derive(Clone, Debug)]
pub struct DunningRequest {
    pub customer_id: i64,
    /// None: from the first ticked receivable (or the first open one).
    pub period_from: Option<Period>,
    /// None: to the last ticked receivable (or the last open one).
    pub period_to: Option<Period>,
    /// None: every open receivable in the periods; Some: only these (of the customer's open
    /// ones, and within the periods when they are given).
    pub receivable_ids: Option<Vec<i64>>,
    /// None: everything open on the chosen receivables.
    pub amount: Option<Money>,
}

/// A checked dunning amount and its message (催款提醒, template 3 of the reference).
#[derive(Clone, Debug, Serialize)]
pub struct DunningDraft {
    pub customer_id: i64,
    pub customer_name: String,
    pub period_from: String,
    pub period_to: String,
    pub receivable_ids: Vec<i64>,
    pub fee_item: String,
    /// What is really open on the receivables of those periods.
    pub open: Money,
    pub amount: Money,
    pub amount_cn: String,
    pub due_date: Option<NaiveDate>,
    pub message: String,
}

/// Checks the period and amount to dun against what is really open: the amount must be more
/// than zero and at most the open rest of the receivables that overlap the periods. Needs
/// `billing`.
pub async fn dunning_draft(
    ctx: &Ctx,
    me: &CurrentEmployee,
    req: DunningRequest,
) -> AppResult<DunningDraft> {
    me.require(Permission::Billing)?;
    let customer = access::customer(ctx, me, req.customer_id).await?;
    if let (Some(from), Some(to)) = (req.period_from, req.period_to)
        && to < from
    {
        return Err(AppError::Validation("结束期间不能早于开始期间".into()));
    }
    let rows = live_receivables(ctx.db.read(), me.firm_id, customer.id, false).await?;
    let mut chosen = Vec::new();
    for r in &rows {
        let o = owed_of(r)?;
        if o.open().is_positive() {
            chosen.push((r, o));
        }
    }
    if let Some(ticked) = &req.receivable_ids {
        if ticked.is_empty() {
            return Err(AppError::Validation("请勾选需要催款的项目".into()));
        }
        if let Some(stray) = ticked
            .iter()
            .find(|id| !chosen.iter().any(|(r, _)| r.id == **id))
        {
            return Err(AppError::Validation(format!(
                "所选的应收款（编号 {stray}）不是该客户未结清的款项，请刷新后重试"
            )));
        }
        chosen.retain(|(r, _)| ticked.contains(&r.id));
    }
    let from = req
        .period_from
        .or_else(|| chosen.iter().map(|(_, o)| o.period_from).min());
    let to = req
        .period_to
        .or_else(|| chosen.iter().map(|(_, o)| o.period_to).max());
    let (Some(from), Some(to)) = (from, to) else {
        return Err(AppError::Validation("该客户没有未结清的应收款".into()));
    };
    chosen.retain(|(_, o)| o.period_to >= from && o.period_from <= to);
    let mut ids = Vec::new();
    let mut open = Money::ZERO;
    let mut items: Vec<String> = Vec::new();
    let mut due: Option<NaiveDate> = None;
    for (r, o) in &chosen {
        ids.push(r.id);
        open += o.open();
        if !items.contains(&r.fee_item) {
            items.push(r.fee_item.clone());
        }
        due = Some(due.map_or(r.due_date, |d| d.min(r.due_date)));
    }
    if !open.is_positive() {
        return Err(AppError::Validation(format!(
            "{}至{}没有未结清的应收款",
            from, to
        )));
    }
    let amount = req.amount.unwrap_or(open);
    if !amount.is_positive() {
        return Err(AppError::Validation("催款金额必须大于零".into()));
    }
    if amount > open {
        return Err(AppError::Validation(format!(
            "催款金额 {} 超过{}至{}实际未结清金额 {}",
            amount.to_yuan_string(),
            from,
            to,
            open.to_yuan_string()
        )));
    }
    let amount_cn = amount
        .to_chinese_upper_with_prefix()
        .map_err(|e| AppError::Validation(e.to_string()))?;
    let fee_item = items.join("、");
    let periods = if from == to {
        from.to_chinese()
    } else {
        format!("{}至{}", from.to_chinese(), to.to_chinese())
    };
    let message = format!(
        "您好！温馨提示：「{}」{}的{}尚有¥{}（{}）未结清，请尽快支付。如已付款请忽略并告诉我核对，谢谢！",
        customer.name, periods, fee_item, amount, amount_cn
    );
    Ok(DunningDraft {
        customer_id: customer.id,
        customer_name: customer.name,
        period_from: from.to_string(),
        period_to: to.to_string(),
        receivable_ids: ids,
        fee_item,
        open,
        amount,
        amount_cn,
        due_date: due,
        message,
    })
}

/// Where a dunning message went.
#[derive(Clone, Debug)]
pub enum DunningTarget {
    ExternalUser(String),
    GroupChat(String),
}

/// Records a dunning message that was sent (checked again against what is open), audited.
pub async fn record_dunning(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    req: DunningRequest,
    target: DunningTarget,
) -> AppResult<i64> {
    let draft = dunning_draft(ctx, me, req).await?;
    let now = ctx.now();
    let (target_type, target_id) = match target {
        DunningTarget::ExternalUser(id) => (dunning::TargetType::ExternalUser, id),
        DunningTarget::GroupChat(id) => (dunning::TargetType::GroupChat, id),
    };
    let txn = ctx.db.begin_write().await?;
    let row = dunning::ActiveModel {
        firm_id: Set(me.firm_id),
        customer_id: Set(draft.customer_id),
        receivable_ids: Set(json!(draft.receivable_ids)),
        period_from: Set(draft.period_from.clone()),
        period_to: Set(draft.period_to.clone()),
        amount_fen: Set(draft.amount.fen()),
        target_type: Set(target_type),
        target_id: Set(target_id),
        sent_by: Set(Some(me.employee_id)),
        sent_at: Set(now),
        message: Set(draft.message.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_in(
        &txn,
        now,
        &Who::employee(me, ip),
        "dunning.send",
        Object::new("dunning", row.id),
        None,
        Some(
            json!({"customer_id": draft.customer_id, "amount_fen": draft.amount.fen(),
                    "period_from": draft.period_from, "period_to": draft.period_to}),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// The customer a receipt belongs to and the receipt itself, for rendering; `billing` needed.
pub async fn receipt_for(
    ctx: &Ctx,
    me: &CurrentEmployee,
    receipt_id: i64,
) -> AppResult<(receipt::Model, payment::Model, customer::Model)> {
    me.require(Permission::Billing)?;
    let rec = receipt::Entity::find_by_id(receipt_id)
        .filter(receipt::Column::FirmId.eq(me.firm_id))
        .one(ctx.db.read())
        .await?
        .ok_or_else(|| AppError::NotFound("收据不存在".into()))?;
    let customer = access::customer(ctx, me, rec.customer_id).await?;
    let pay = payment::Entity::find_by_id(rec.payment_id)
        .filter(payment::Column::FirmId.eq(me.firm_id))
        .one(ctx.db.read())
        .await?
        .ok_or_else(|| AppError::NotFound("收款记录不存在".into()))?;
    Ok((rec, pay, customer))
}

/// What the receipt image says, from the stored receipt.
pub async fn receipt_data(
    ctx: &Ctx,
    me: &CurrentEmployee,
    receipt_id: i64,
) -> AppResult<crate::render::receipt::ReceiptData> {
    use crate::db::entities::employee;
    let (rec, pay, _customer) = receipt_for(ctx, me, receipt_id).await?;
    let handler = match rec.handler_id {
        Some(id) => employee::Entity::find_by_id(id)
            .filter(employee::Column::FirmId.eq(me.firm_id))
            .one(ctx.db.read())
            .await?
            .map(|e| e.name),
        None => None,
    };
    let chinese = |p: &Option<String>| {
        p.as_deref()
            .and_then(|s| Period::parse(s).ok())
            .map(|p| p.to_chinese())
    };
    let period = match (chinese(&rec.period_from), chinese(&rec.period_to)) {
        (Some(a), Some(b)) if a == b => Some(a),
        (Some(a), Some(b)) => Some(format!("{a}–{b}")),
        _ => None,
    };
    Ok(crate::render::receipt::ReceiptData {
        firm_name: rec.payee.clone(),
        receipt_no: rec.receipt_no.clone(),
        date: crate::domain::clock::to_local(rec.issued_at)
            .format("%Y年%m月%d日")
            .to_string(),
        payer: rec.payer.clone(),
        payer_person: pay.payer.clone().filter(|p| *p != rec.payer),
        item: rec.item.clone(),
        period,
        amount_figures: Money::from_fen(rec.amount_fen).to_yuan_string(),
        amount_cn: rec.amount_cn.clone(),
        method: method_label(pay.method).to_string(),
        handler: handler.unwrap_or_default(),
        note: rec.void_reason.clone().map(|r| format!("已作废：{r}")),
        void: rec.status == receipt::Status::Void,
        seal_png: crate::services::receipt_seal::get(ctx, me.firm_id).await?,
    })
}

/// The receipt image (PNG), kept as `receipt:{id}:{status}` so it can be sent as WeCom media and
/// downloaded again; returns its file name and bytes.
pub async fn receipt_image(
    ctx: &Ctx,
    me: &CurrentEmployee,
    receipt_id: i64,
) -> AppResult<(String, Vec<u8>)> {
    let data = receipt_data(ctx, me, receipt_id).await?;
    let image = crate::render::receipt::render(&data)?;
    let filename = format!("收据{}.png", data.receipt_no);
    let key = format!(
        "receipt:{receipt_id}:{}",
        if data.void { "void" } else { "valid" }
    );
    crate::services::media::store(
        ctx.db.write(),
        me.firm_id,
        crate::services::media::NewFile {
            ref_key: &key,
            kind: crate::db::entities::media_file::Kind::Image,
            filename: &filename,
            content_type: "image/png",
            bytes: &image.png,
        },
        ctx.now(),
    )
    .await?;
    Ok((filename, image.png))
}

/// The `media_file` key a receipt's image is kept under (a voided receipt is a new image).
pub fn receipt_media_key(rec: &receipt::Model) -> String {
    format!(
        "receipt:{}:{}",
        rec.id,
        if rec.status == receipt::Status::Void {
            "void"
        } else {
            "valid"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_read_back_as_written_and_garbage_is_an_error() {
        assert_eq!(parse_allocations("").unwrap(), Vec::new());
        assert_eq!(
            parse_allocations("7:120000,12:5").unwrap(),
            vec![(7, Money::from_fen(120_000)), (12, Money::from_fen(5))]
        );
        assert!(parse_allocations("7:12x").is_err());
        assert!(parse_allocations("7").is_err());
    }
}
