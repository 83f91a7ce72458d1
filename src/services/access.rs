//! Which customers an employee may see.
//!
//! Admins, and staff whose data scope is `all`, see every customer of the firm. Other staff see a
//! customer they serve (any `customer_staff` row) or one linked to a WeCom chat they are in: an
//! external contact they follow, or a customer group they own or are a member of. A customer of
//! another firm does not exist for them (404); one of their firm they may not see is 403.

use sea_orm::sea_query::{Condition, Expr};
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
    base.add(Expr::cust_with_values(
        "(EXISTS (SELECT 1 FROM customer_staff cs \
                 WHERE cs.firm_id = customer.firm_id AND cs.customer_id = customer.id \
                   AND cs.employee_id = ?) \
          OR EXISTS (SELECT 1 FROM customer_external_link l \
                 JOIN external_follow f ON f.firm_id = l.firm_id \
                  AND f.external_contact_id = l.external_contact_id \
                 WHERE l.firm_id = customer.firm_id AND l.customer_id = customer.id \
                   AND f.userid = ? AND f.deleted_at IS NULL) \
          OR EXISTS (SELECT 1 FROM customer_group_link g \
                 JOIN wecom_group_chat gc ON gc.firm_id = g.firm_id AND gc.id = g.group_chat_id \
                 WHERE g.firm_id = customer.firm_id AND g.customer_id = customer.id \
                   AND gc.dismissed_at IS NULL \
                   AND (gc.owner_userid = ? OR EXISTS (SELECT 1 FROM group_chat_member m \
                        WHERE m.firm_id = gc.firm_id AND m.group_chat_id = gc.id \
                          AND m.member_id = ? AND m.member_type = 1 AND m.left_at IS NULL))))",
        [
            sea_orm::Value::from(who.employee_id),
            userid.clone().into(),
            userid.clone().into(),
            userid.into(),
        ],
    ))
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
