//! Who serves a customer. The 客户经理 and the 主办会计 are columns on `customer` (lists, filters
//! and the dashboard read them); every duty, those two included, is also a `customer_staff` row,
//! and that row is what lets a staff member with their own data scope see the customer. Admins
//! assign a duty for many customers at once and hand all of one employee's customers to another
//! (交接, before the employee leaves); the API and the spreadsheet import set the two named duties.
//! Every path here keeps the columns and the rows in step, bumps `customer.updated_at` so the
//! changes feed carries the new assignment, and audits each customer it changed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde_json::json;

use crate::db::entities::{customer, customer_staff, employee};
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Object, Who};
use crate::services::sessions::CurrentEmployee;
use crate::services::{Ctx, employees};

pub use customer_staff::Role as Duty;

/// The duties in the order pages list them.
pub const DUTIES: [Duty; 4] = [
    Duty::AccountManager,
    Duty::Bookkeeper,
    Duty::Reviewer,
    Duty::FieldAgent,
];

/// Customers per statement, well under SQLite's and PostgreSQL's limits on bound values.
const CHUNK: usize = 500;

pub fn duty_code(duty: Duty) -> &'static str {
    match duty {
        Duty::AccountManager => "account_manager",
        Duty::Bookkeeper => "bookkeeper",
        Duty::Reviewer => "reviewer",
        Duty::FieldAgent => "field_agent",
    }
}

pub fn duty_label(duty: Duty) -> &'static str {
    match duty {
        Duty::AccountManager => "客户经理",
        Duty::Bookkeeper => "主办会计",
        Duty::Reviewer => "审核会计",
        Duty::FieldAgent => "外勤",
    }
}

pub fn parse_duty(code: &str) -> AppResult<Duty> {
    DUTIES
        .into_iter()
        .find(|d| duty_code(*d) == code.trim())
        .ok_or_else(|| AppError::Validation("请选择要分配的职责".into()))
}

/// The column of `customer` that names the holder of `duty`, for the two duties that have one.
fn column_of(duty: Duty) -> Option<customer::Column> {
    match duty {
        Duty::AccountManager => Some(customer::Column::AccountManagerId),
        Duty::Bookkeeper => Some(customer::Column::BookkeeperId),
        Duty::Reviewer | Duty::FieldAgent => None,
    }
}

/// An employee who may take customers over: the firm's, not removed, not disabled.
async fn active_employee(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    employee_id: i64,
) -> AppResult<employee::Model> {
    let e = employees::find(conn, firm_id, employee_id).await?;
    if e.status != employee::Status::Active {
        return Err(AppError::Conflict(format!(
            "{} 的账号已停用，不能负责客户",
            e.name
        )));
    }
    Ok(e)
}

/// Sets who holds `duty` for each of `customer_ids` (the firm's live customers): `holder`, or
/// nobody. Returns the customers whose holders changed, with who held the duty before.
pub async fn set_duty_in(
    txn: &DatabaseTransaction,
    firm_id: i64,
    at: DateTime<Utc>,
    customer_ids: &[i64],
    duty: Duty,
    holder: Option<i64>,
) -> AppResult<Vec<(i64, Vec<i64>)>> {
    let mut changed = Vec::new();
    for chunk in customer_ids.chunks(CHUNK) {
        let mut rows_held: BTreeMap<i64, BTreeSet<i64>> =
            chunk.iter().map(|id| (*id, BTreeSet::new())).collect();
        let rows: Vec<(i64, i64)> = customer_staff::Entity::find()
            .select_only()
            .column(customer_staff::Column::CustomerId)
            .column(customer_staff::Column::EmployeeId)
            .filter(customer_staff::Column::FirmId.eq(firm_id))
            .filter(customer_staff::Column::Role.eq(duty))
            .filter(customer_staff::Column::CustomerId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        for (customer_id, employee_id) in rows {
            rows_held
                .entry(customer_id)
                .or_default()
                .insert(employee_id);
        }
        let mut named: BTreeMap<i64, Option<i64>> = BTreeMap::new();
        if let Some(column) = column_of(duty) {
            let found: Vec<(i64, Option<i64>)> = customer::Entity::find()
                .select_only()
                .column(customer::Column::Id)
                .column(column)
                .filter(customer::Column::FirmId.eq(firm_id))
                .filter(customer::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await?;
            named.extend(found);
        }
        let wanted: BTreeSet<i64> = holder.into_iter().collect();
        let moved: Vec<(i64, Vec<i64>)> = rows_held
            .into_iter()
            .filter_map(|(id, held)| {
                let column = named.get(&id).copied().flatten();
                let in_step = column_of(duty).is_none() || column == holder;
                if held == wanted && in_step {
                    return None;
                }
                let before: BTreeSet<i64> = held.into_iter().chain(column).collect();
                Some((id, before.into_iter().collect()))
            })
            .collect();
        if moved.is_empty() {
            continue;
        }
        let ids: Vec<i64> = moved.iter().map(|(id, _)| *id).collect();
        customer_staff::Entity::delete_many()
            .filter(customer_staff::Column::FirmId.eq(firm_id))
            .filter(customer_staff::Column::Role.eq(duty))
            .filter(customer_staff::Column::CustomerId.is_in(ids.clone()))
            .exec(txn)
            .await?;
        if let Some(employee_id) = holder {
            customer_staff::Entity::insert_many(ids.iter().map(|customer_id| {
                customer_staff::ActiveModel {
                    firm_id: Set(firm_id),
                    customer_id: Set(*customer_id),
                    employee_id: Set(employee_id),
                    role: Set(duty),
                    created_at: Set(at),
                }
            }))
            .exec_without_returning(txn)
            .await?;
        }
        let mut update = customer::Entity::update_many()
            .col_expr(customer::Column::UpdatedAt, Expr::value(at))
            .filter(customer::Column::FirmId.eq(firm_id))
            .filter(customer::Column::Id.is_in(ids));
        if let Some(column) = column_of(duty) {
            update = update.col_expr(column, Expr::value(holder));
        }
        update.exec(txn).await?;
        changed.extend(moved);
    }
    Ok(changed)
}

/// Which of `ids` are the firm's live customers.
async fn live_among(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    ids: impl IntoIterator<Item = i64>,
) -> AppResult<BTreeSet<i64>> {
    let ids: Vec<i64> = ids
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut live = BTreeSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<i64> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::FirmId.eq(firm_id))
            .filter(customer::Column::DeletedAt.is_null())
            .filter(customer::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        live.extend(rows);
    }
    Ok(live)
}

/// The firm's live customers among `ids`; any other id is "not found", as if it did not exist.
async fn live_customers(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    ids: &[i64],
) -> AppResult<Vec<i64>> {
    let wanted: BTreeSet<i64> = ids.iter().copied().collect();
    let found = live_among(conn, firm_id, wanted.iter().copied()).await?;
    if found.len() != wanted.len() {
        return Err(AppError::NotFound("所选客户不存在或已删除".into()));
    }
    Ok(found.into_iter().collect())
}

/// What an assignment did: the customers changed, out of those asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assigned {
    pub changed: usize,
    pub asked: usize,
}

/// Makes `holder` (or nobody) the `duty` of each customer in `customer_ids`. Admins only.
pub async fn assign(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    customer_ids: &[i64],
    duty: Duty,
    holder: Option<i64>,
) -> AppResult<Assigned> {
    me.require_admin()?;
    if customer_ids.is_empty() {
        return Err(AppError::Validation("请先勾选要分配的客户".into()));
    }
    let at = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let holder_name = match holder {
        Some(id) => Some(active_employee(&txn, me.firm_id, id).await?.name),
        None => None,
    };
    let ids = live_customers(&txn, me.firm_id, customer_ids).await?;
    let changed = set_duty_in(&txn, me.firm_id, at, &ids, duty, holder).await?;
    audit::record_many_in(
        &txn,
        at,
        &Who::employee(me, ip),
        "customer.assign",
        "customer",
        changed
            .iter()
            .map(|(id, before)| {
                let after = json!({
                    "duty": duty_code(duty),
                    "before": before,
                    "employee_id": holder,
                    "employee": holder_name,
                });
                (*id, Some(after))
            })
            .collect(),
    )
    .await?;
    txn.commit().await?;
    Ok(Assigned {
        changed: changed.len(),
        asked: ids.len(),
    })
}

/// Whom an employee serves: live customers in all, and per duty.
#[derive(Clone, Debug, Default)]
pub struct Served {
    pub customers: usize,
    pub by_duty: Vec<(Duty, usize)>,
}

impl Served {
    /// Whether any of the customers has this employee as 客户经理 (the list filters by it).
    pub fn manages(&self) -> bool {
        self.by_duty.iter().any(|(d, _)| *d == Duty::AccountManager)
    }

    pub fn describe(&self) -> String {
        self.by_duty
            .iter()
            .map(|(duty, n)| format!("{} {n} 家", duty_label(*duty)))
            .collect::<Vec<_>>()
            .join("，")
    }
}

/// Every customer `employee_id` holds a duty for, by duty (rows and columns together).
async fn duties_of(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    employee_id: i64,
) -> AppResult<BTreeMap<Duty, BTreeSet<i64>>> {
    let mut by_duty: BTreeMap<Duty, BTreeSet<i64>> = BTreeMap::new();
    let rows: Vec<(i64, Duty)> = customer_staff::Entity::find()
        .select_only()
        .column(customer_staff::Column::CustomerId)
        .column(customer_staff::Column::Role)
        .filter(customer_staff::Column::FirmId.eq(firm_id))
        .filter(customer_staff::Column::EmployeeId.eq(employee_id))
        .into_tuple()
        .all(conn)
        .await?;
    for (customer_id, duty) in rows {
        by_duty.entry(duty).or_default().insert(customer_id);
    }
    let named: Vec<(i64, Option<i64>, Option<i64>)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::AccountManagerId)
        .column(customer::Column::BookkeeperId)
        .filter(customer::Column::FirmId.eq(firm_id))
        .filter(
            Condition::any()
                .add(customer::Column::AccountManagerId.eq(employee_id))
                .add(customer::Column::BookkeeperId.eq(employee_id)),
        )
        .into_tuple()
        .all(conn)
        .await?;
    for (customer_id, manager, bookkeeper) in named {
        if manager == Some(employee_id) {
            by_duty
                .entry(Duty::AccountManager)
                .or_default()
                .insert(customer_id);
        }
        if bookkeeper == Some(employee_id) {
            by_duty
                .entry(Duty::Bookkeeper)
                .or_default()
                .insert(customer_id);
        }
    }
    Ok(by_duty)
}

/// The live customers among `by_duty`'s, per duty.
async fn served_of(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    by_duty: &BTreeMap<Duty, BTreeSet<i64>>,
) -> AppResult<Served> {
    let live = live_among(conn, firm_id, by_duty.values().flatten().copied()).await?;
    Ok(Served {
        customers: live.len(),
        by_duty: DUTIES
            .into_iter()
            .filter_map(|duty| {
                let n = by_duty.get(&duty)?.intersection(&live).count();
                (n > 0).then_some((duty, n))
            })
            .collect(),
    })
}

/// Whom `employee_id` serves. Admins only.
pub async fn served(ctx: &Ctx, me: &CurrentEmployee, employee_id: i64) -> AppResult<Served> {
    me.require_admin()?;
    let db = ctx.db.read();
    employees::find(db, me.firm_id, employee_id).await?;
    served_in(db, me.firm_id, employee_id).await
}

/// Whom `employee_id` serves, inside the caller's transaction.
pub async fn served_in(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    employee_id: i64,
) -> AppResult<Served> {
    let by_duty = duties_of(conn, firm_id, employee_id).await?;
    served_of(conn, firm_id, &by_duty).await
}

/// 交接: every duty `from` holds, for every customer, passes to `to`. Returns how many live
/// customers changed hands. Admins only.
pub async fn hand_over(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    from: i64,
    to: i64,
) -> AppResult<usize> {
    me.require_admin()?;
    if from == to {
        return Err(AppError::Validation(
            "请选择另一位员工来接手这些客户".into(),
        ));
    }
    let at = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let giver = employees::find(&txn, me.firm_id, from).await?;
    let taker = active_employee(&txn, me.firm_id, to).await?;
    let by_duty = duties_of(&txn, me.firm_id, from).await?;
    let served = served_of(&txn, me.firm_id, &by_duty).await?;
    let mut moved: BTreeMap<i64, Vec<&'static str>> = BTreeMap::new();
    for (duty, customers) in &by_duty {
        let ids: Vec<i64> = customers.iter().copied().collect();
        for chunk in ids.chunks(CHUNK) {
            customer_staff::Entity::delete_many()
                .filter(customer_staff::Column::FirmId.eq(me.firm_id))
                .filter(customer_staff::Column::EmployeeId.eq(from))
                .filter(customer_staff::Column::Role.eq(*duty))
                .filter(customer_staff::Column::CustomerId.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
            let already: BTreeSet<i64> = customer_staff::Entity::find()
                .select_only()
                .column(customer_staff::Column::CustomerId)
                .filter(customer_staff::Column::FirmId.eq(me.firm_id))
                .filter(customer_staff::Column::EmployeeId.eq(to))
                .filter(customer_staff::Column::Role.eq(*duty))
                .filter(customer_staff::Column::CustomerId.is_in(chunk.iter().copied()))
                .into_tuple::<i64>()
                .all(&txn)
                .await?
                .into_iter()
                .collect();
            let new: Vec<customer_staff::ActiveModel> = chunk
                .iter()
                .filter(|id| !already.contains(id))
                .map(|customer_id| customer_staff::ActiveModel {
                    firm_id: Set(me.firm_id),
                    customer_id: Set(*customer_id),
                    employee_id: Set(to),
                    role: Set(*duty),
                    created_at: Set(at),
                })
                .collect();
            if !new.is_empty() {
                customer_staff::Entity::insert_many(new)
                    .exec_without_returning(&txn)
                    .await?;
            }
        }
        if let Some(column) = column_of(*duty) {
            customer::Entity::update_many()
                .col_expr(column, Expr::value(to))
                .col_expr(customer::Column::UpdatedAt, Expr::value(at))
                .filter(customer::Column::FirmId.eq(me.firm_id))
                .filter(column.eq(from))
                .exec(&txn)
                .await?;
        }
        for id in customers {
            moved.entry(*id).or_default().push(duty_code(*duty));
        }
    }
    audit::record_in(
        &txn,
        at,
        &Who::employee(me, ip),
        "employee.hand_over",
        Object::new("employee", giver.id),
        Some(json!({ "employee": giver.name, "customers": served.customers })),
        Some(json!({
            "employee_id": taker.id,
            "employee": taker.name,
            "customers": moved
                .iter()
                .map(|(id, duties)| json!({ "customer_id": id, "duties": duties }))
                .collect::<Vec<_>>(),
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(served.customers)
}

/// The firm's employee a spreadsheet or an API client names by mobile number or by name: `Ok(None)`
/// for an empty text (nobody), `Err` with the reason in Chinese when no one or several match.
pub async fn employee_named(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    text: &str,
) -> AppResult<Result<Option<i64>, String>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Ok(None));
    }
    let found: Vec<(i64, employee::Status)> = employee::Entity::find()
        .select_only()
        .column(employee::Column::Id)
        .column(employee::Column::Status)
        .filter(employee::Column::FirmId.eq(firm_id))
        .filter(employee::Column::DeletedAt.is_null())
        .filter(
            Condition::any()
                .add(employee::Column::Mobile.eq(text))
                .add(employee::Column::Name.eq(text)),
        )
        .into_tuple()
        .all(conn)
        .await?;
    Ok(match found.as_slice() {
        [] => Err(format!("没有名为或手机号为「{text}」的员工")),
        [(id, employee::Status::Active)] => Ok(Some(*id)),
        [_] => Err(format!("员工「{text}」的账号已停用")),
        _ => Err(format!("有多位员工名为「{text}」，请填写手机号")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duties_read_back_from_their_codes_and_only_two_have_a_column() {
        for duty in DUTIES {
            assert_eq!(parse_duty(duty_code(duty)).ok(), Some(duty));
        }
        assert!(parse_duty("boss").is_err());
        assert!(parse_duty("").is_err());
        assert_eq!(
            DUTIES.iter().filter(|d| column_of(**d).is_some()).count(),
            2
        );
        let served = Served {
            customers: 3,
            by_duty: vec![(Duty::AccountManager, 2), (Duty::FieldAgent, 1)],
        };
        assert_eq!(served.describe(), "客户经理 2 家，外勤 1 家");
    }
}
