//! Which customers an employee may see.
//!
//! Admins, and staff whose data scope is `all`, see every customer of the firm. Other staff see a
//! customer they serve (any `customer_staff` row) or one linked to a WeCom chat they are in: an
//! external contact they follow, or a customer group they own or are a member of. A customer of
//! another firm does not exist for them (404); one of their firm they may not see is 403.

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::db::entities::customer;
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
/// is but lies outside the employee's scope.
pub async fn customer(
    ctx: &Ctx,
    who: &CurrentEmployee,
    customer_id: i64,
) -> AppResult<customer::Model> {
    let not_found = || AppError::NotFound("客户不存在".into());
    let found = customer::Entity::find_by_id(customer_id)
        .filter(customer::Column::FirmId.eq(who.firm_id))
        .filter(customer::Column::DeletedAt.is_null())
        .one(ctx.db.read())
        .await?
        .ok_or_else(not_found)?;
    if who.sees_all_customers() {
        return Ok(found);
    }
    customer::Entity::find_by_id(customer_id)
        .filter(visible_customers(who))
        .one(ctx.db.read())
        .await?
        .ok_or_else(|| AppError::Forbidden("您不负责该客户，无法查看".into()))
}
