//! Which customers an employee may see.
//!
//! Admins, and staff whose data scope is `all`, see every customer of the firm. Other staff see a
//! customer they serve (any `customer_staff` row) or one linked to a WeCom chat they are in: an
//! external contact they follow, or a customer group they own or are a member of. A customer of
//! another firm does not exist for them (404); one of their firm they may not see is 403.

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SqliteQueryBuilder};
use sea_orm::{
    ColumnTrait, ConnectionTrait, FromQueryResult, IdenStatic, Iterable, QueryResult, Value,
};

use crate::db::entities::customer;
use crate::db::statement;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::sessions::CurrentEmployee;

/// The condition a query on `customer` adds to show only what `who` may see: always the firm's
/// live customers, and for staff with their own scope only those they serve or chat with.
pub fn visible_customers(who: &CurrentEmployee) -> Condition {
    let base = Condition::all()
        .add(customer::Column::FirmId.eq(who.firm_id))
        .add(customer::Column::DeletedAt.is_null());
    if who.sees_all_customers() {
        return base;
    }
    let userid = who.wecom_userid.clone().unwrap_or_default();
    fn t(name: &'static str) -> Alias {
        Alias::new(name)
    }
    fn col(table: &'static str, column: &'static str) -> Expr {
        Expr::col((t(table), t(column)))
    }
    let same_customer = |table: &'static str| {
        Condition::all()
            .add(col(table, "firm_id").equals((t("customer"), t("firm_id"))))
            .add(col(table, "customer_id").equals((t("customer"), t("id"))))
    };
    let serves = Query::select()
        .expr(Expr::val(1))
        .from(t("customer_staff"))
        .cond_where(
            same_customer("customer_staff")
                .add(col("customer_staff", "employee_id").eq(who.employee_id)),
        )
        .to_owned();
    let follows = Query::select()
        .expr(Expr::val(1))
        .from(t("customer_external_link"))
        .inner_join(
            t("external_follow"),
            Condition::all()
                .add(
                    col("external_follow", "firm_id")
                        .equals((t("customer_external_link"), t("firm_id"))),
                )
                .add(
                    col("external_follow", "external_contact_id")
                        .equals((t("customer_external_link"), t("external_contact_id"))),
                ),
        )
        .cond_where(
            same_customer("customer_external_link")
                .add(col("external_follow", "userid").eq(userid.clone()))
                .add(col("external_follow", "deleted_at").is_null()),
        )
        .to_owned();
    let member = Query::select()
        .expr(Expr::val(1))
        .from(t("group_chat_member"))
        .cond_where(
            Condition::all()
                .add(
                    col("group_chat_member", "firm_id")
                        .equals((t("wecom_group_chat"), t("firm_id"))),
                )
                .add(
                    col("group_chat_member", "group_chat_id")
                        .equals((t("wecom_group_chat"), t("id"))),
                )
                .add(col("group_chat_member", "member_id").eq(userid.clone()))
                .add(col("group_chat_member", "member_type").eq(1))
                .add(col("group_chat_member", "left_at").is_null()),
        )
        .to_owned();
    let in_group = Query::select()
        .expr(Expr::val(1))
        .from(t("customer_group_link"))
        .inner_join(
            t("wecom_group_chat"),
            Condition::all()
                .add(
                    col("wecom_group_chat", "firm_id")
                        .equals((t("customer_group_link"), t("firm_id"))),
                )
                .add(
                    col("wecom_group_chat", "id")
                        .equals((t("customer_group_link"), t("group_chat_id"))),
                ),
        )
        .cond_where(
            same_customer("customer_group_link")
                .add(col("wecom_group_chat", "dismissed_at").is_null())
                .add(
                    Condition::any()
                        .add(col("wecom_group_chat", "owner_userid").eq(userid))
                        .add(Expr::exists(member)),
                ),
        )
        .to_owned();
    base.add(
        Condition::any()
            .add(Expr::exists(serves))
            .add(Expr::exists(follows))
            .add(Expr::exists(in_group)),
    )
}

/// The customer if `who` may see it: 404 when it is not the firm's (or is deleted), 403 when it
/// is but lies outside the employee's scope. One statement.
pub async fn customer(
    ctx: &Ctx,
    who: &CurrentEmployee,
    customer_id: i64,
) -> AppResult<customer::Model> {
    Ok(customer_with(ctx, who, customer_id, Vec::new()).await?.0)
}

/// A value a section reads in the same statement as the customer: a select-list item over the
/// `customer` row (typically a scalar subquery of the section's table), its `?` placeholders
/// bound to `values` in order, read back from the row under `alias`.
pub struct Extra {
    pub alias: &'static str,
    pub sql: String,
    pub values: Vec<Value>,
}

/// A section's list read with the customer: `sql` is a whole SELECT (its `?` bound to `values`)
/// whose rows come back in `order_by` (over the alias `r`).
pub struct Rows {
    pub sql: String,
    pub values: Vec<Value>,
    pub order_by: String,
}

/// The customer's columns as `c_<column>`, read from `table` (the table's name or its alias);
/// callers on a hot path keep the list they render.
pub fn customer_columns(table: &str) -> String {
    customer::Column::iter()
        .map(|c| format!("{table}.{0} AS c_{0}", c.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// [`customer`] with values read in the same statement: the access check costs no round trip of
/// its own. The row carries each `extra` under its alias.
pub async fn customer_with(
    ctx: &Ctx,
    who: &CurrentEmployee,
    customer_id: i64,
    extra: Vec<Extra>,
) -> AppResult<(customer::Model, QueryResult)> {
    let (customer, mut found) = read(ctx, who, customer_id, extra, None).await?;
    let row = found
        .pop()
        .ok_or_else(|| AppError::NotFound("客户不存在".into()))?;
    Ok((customer, row))
}

/// [`customer`] with a section's list read in the same statement: the access check costs no
/// round trip of its own. Only the list's rows come back (none when it is empty).
pub async fn customer_with_rows(
    ctx: &Ctx,
    who: &CurrentEmployee,
    customer_id: i64,
    rows: Rows,
) -> AppResult<(customer::Model, Vec<QueryResult>)> {
    let (customer, found) = read(ctx, who, customer_id, Vec::new(), Some(rows)).await?;
    let mut listed = Vec::with_capacity(found.len());
    for row in found {
        // The customer's row without a list row to join has the marker NULL.
        if row.try_get::<Option<i32>>("", "r_listed")?.is_some() {
            listed.push(row);
        }
    }
    Ok((customer, listed))
}

/// One statement: the customer (404 when it is not the firm's or is deleted), whether it lies in
/// the employee's scope (403 when not), the `extra` values and, left-joined, the `rows`.
async fn read(
    ctx: &Ctx,
    who: &CurrentEmployee,
    customer_id: i64,
    extra: Vec<Extra>,
    rows: Option<Rows>,
) -> AppResult<(customer::Model, Vec<QueryResult>)> {
    let mut values: Vec<Value> = Vec::new();
    // Whether the row lies in the employee's scope is a column, not a filter: a customer of the
    // firm outside it is 403, not 404.
    let visible = if who.sees_all_customers() {
        "1".to_string()
    } else {
        let (sql, bound) = Query::select()
            .expr(Expr::case(visible_customers(who), 1).finally(0))
            .build(SqliteQueryBuilder);
        values.extend(bound.0);
        sql.trim_start_matches("SELECT ").to_string()
    };
    static COLUMNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let mut sql = format!(
        "SELECT {}, {visible} AS c_visible",
        COLUMNS.get_or_init(|| customer_columns("customer"))
    );
    for e in extra {
        sql.push_str(&format!(", {} AS {}", e.sql, e.alias));
        values.extend(e.values);
    }
    let mut order = String::new();
    match rows {
        Some(r) => {
            sql.push_str(&format!(
                ", r.* FROM customer LEFT JOIN (SELECT 1 AS r_listed, l.* FROM ({}) l) r ON 1 = 1",
                r.sql
            ));
            values.extend(r.values);
            order = format!(" ORDER BY {}", r.order_by);
        }
        None => sql.push_str(" FROM customer"),
    }
    sql.push_str(" WHERE customer.id = ? AND customer.firm_id = ? AND customer.deleted_at IS NULL");
    sql.push_str(&order);
    values.push(customer_id.into());
    values.push(who.firm_id.into());
    let found = ctx
        .db
        .read()
        .query_all_raw(statement(ctx.db.backend(), &sql, values))
        .await?;
    let first = found
        .first()
        .ok_or_else(|| AppError::NotFound("客户不存在".into()))?;
    let visible: i32 = first.try_get("", "c_visible")?;
    if visible == 0 {
        return Err(AppError::Forbidden("您不负责该客户，无法查看".into()));
    }
    Ok((customer::Model::from_query_result(first, "c_")?, found))
}
