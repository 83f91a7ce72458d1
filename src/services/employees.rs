//! Employees and their binding to WeCom members.
//!
//! A WeCom member becomes an employee of the firm by binding: once, by proving a phone number on
//! the employee record with an SMS code (the member does it in the sidebar), or by an admin. A
//! member binds to at most one employee and an employee to at most one member. Unbinding or
//! disabling ends the employee's sessions at once.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde_json::json;

use crate::db::entities::employee;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Object, Who};
use crate::services::{Ctx, sessions};

/// An employee who may sign in to the back office, as the command line creates one.
pub struct NewBackOfficeAccount<'a> {
    pub firm_id: i64,
    pub phone: &'a str,
    pub name: &'a str,
    pub role: employee::Role,
    pub password: &'a str,
}

/// Creates the employee, or gives the existing employee with that phone the role and password.
/// Returns the employee and whether it was new.
pub async fn set_up_back_office_account(
    ctx: &Ctx,
    who: &Who,
    account: NewBackOfficeAccount<'_>,
) -> AppResult<(employee::Model, bool)> {
    let phone = normalize_mobile(account.phone)?;
    let name = account.name.trim();
    if name.is_empty() {
        return Err(AppError::Validation("姓名不能为空".into()));
    }
    let hash = crate::services::passwords::hash(account.password)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let existing = find_by_mobile(&txn, account.firm_id, &phone).await?;
    let scope = match account.role {
        employee::Role::Staff => employee::DataScope::Own,
        _ => employee::DataScope::All,
    };
    let (saved, created) = match existing {
        Some(e) => {
            let before = json!({ "role": e.role, "name": e.name });
            let mut active = e.into_active_model();
            active.role = Set(account.role);
            active.name = Set(name.to_string());
            active.password_hash = Set(Some(hash));
            active.failed_logins = Set(0);
            active.locked_until = Set(None);
            active.updated_at = Set(now);
            let saved = active.update(&txn).await?;
            audit::record_in(
                &txn,
                now,
                who,
                "employee.set_password",
                Object::new("employee", saved.id),
                Some(before),
                Some(json!({ "role": saved.role, "name": saved.name })),
            )
            .await?;
            (saved, false)
        }
        None => {
            let saved = employee::ActiveModel {
                firm_id: Set(account.firm_id),
                name: Set(name.to_string()),
                mobile: Set(Some(phone)),
                role: Set(account.role),
                status: Set(employee::Status::Active),
                data_scope: Set(scope),
                password_hash: Set(Some(hash)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            audit::record_in(
                &txn,
                now,
                who,
                "employee.create",
                Object::new("employee", saved.id),
                None,
                Some(json!({ "name": saved.name, "role": saved.role, "mobile": saved.mobile })),
            )
            .await?;
            (saved, true)
        }
    };
    txn.commit().await?;
    Ok((saved, created))
}

/// Normalises a mainland mobile number: digits only, optional +86/0086 prefix removed.
pub fn normalize_mobile(input: &str) -> AppResult<String> {
    let digits: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let digits = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
        .unwrap_or(&digits)
        .to_string();
    let valid = digits.len() == 11
        && digits.starts_with('1')
        && digits
            .as_bytes()
            .get(1)
            .is_some_and(|d| (b'3'..=b'9').contains(d))
        && digits.bytes().all(|b| b.is_ascii_digit());
    if valid {
        Ok(digits)
    } else {
        Err(AppError::Validation("请输入11位手机号码".into()))
    }
}

pub async fn find_by_userid(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    userid: &str,
) -> AppResult<Option<employee::Model>> {
    Ok(employee::Entity::find()
        .filter(employee::Column::FirmId.eq(firm_id))
        .filter(employee::Column::WecomUserid.eq(userid))
        .filter(employee::Column::DeletedAt.is_null())
        .one(conn)
        .await?)
}

pub async fn find_by_mobile(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    mobile: &str,
) -> AppResult<Option<employee::Model>> {
    Ok(employee::Entity::find()
        .filter(employee::Column::FirmId.eq(firm_id))
        .filter(employee::Column::Mobile.eq(mobile))
        .filter(employee::Column::DeletedAt.is_null())
        .one(conn)
        .await?)
}

pub async fn find(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    employee_id: i64,
) -> AppResult<employee::Model> {
    employee::Entity::find_by_id(employee_id)
        .filter(employee::Column::FirmId.eq(firm_id))
        .filter(employee::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound("员工不存在".into()))
}

/// The active employee a phone number may bind, with the reasons it may not, in Chinese.
pub async fn bindable_by_mobile(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    mobile: &str,
    userid: &str,
) -> AppResult<employee::Model> {
    let employee = find_by_mobile(conn, firm_id, mobile)
        .await?
        .ok_or_else(|| {
            AppError::Validation(
                "该手机号不是本公司员工的手机号，请联系管理员在后台添加员工".into(),
            )
        })?;
    if employee.status != employee::Status::Active {
        return Err(AppError::Forbidden("该员工账号已停用，请联系管理员".into()));
    }
    match employee.wecom_userid.as_deref() {
        Some(bound) if bound == userid => Ok(employee),
        Some(_) => Err(AppError::Conflict(
            "该员工已绑定其他企业微信账号，请联系管理员解除绑定".into(),
        )),
        None => Ok(employee),
    }
}

/// Binds a WeCom member to an employee. Idempotent for the same pair.
pub async fn bind_member(
    ctx: &Ctx,
    who: &Who,
    employee_id: i64,
    userid: &str,
) -> AppResult<employee::Model> {
    let (firm_id, now) = (who.firm_id, ctx.now());
    let userid = userid.trim();
    if userid.is_empty() || userid.len() > 64 {
        return Err(AppError::Validation("企业微信账号不正确".into()));
    }
    let txn = ctx.db.begin_write().await?;
    let employee = find(&txn, firm_id, employee_id).await?;
    if employee.wecom_userid.as_deref() == Some(userid) {
        txn.commit().await?;
        return Ok(employee);
    }
    if employee.wecom_userid.is_some() {
        return Err(AppError::Conflict(
            "该员工已绑定其他企业微信账号，请先解除绑定".into(),
        ));
    }
    if let Some(other) = find_by_userid(&txn, firm_id, userid).await? {
        return Err(AppError::Conflict(format!(
            "该企业微信账号已绑定员工“{}”，请先解除绑定",
            other.name
        )));
    }
    let mut active = employee.into_active_model();
    active.wecom_userid = Set(Some(userid.to_string()));
    active.bound_at = Set(Some(now));
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    audit::record_in(
        &txn,
        now,
        who,
        "employee.bind",
        Object::new("employee", updated.id),
        Some(json!({ "wecom_userid": null })),
        Some(json!({ "wecom_userid": userid })),
    )
    .await?;
    txn.commit().await?;
    ctx.sessions.forget_employee(firm_id, employee_id);
    Ok(updated)
}

/// Removes an employee's WeCom binding and ends their sessions.
pub async fn unbind_member(ctx: &Ctx, who: &Who, employee_id: i64) -> AppResult<employee::Model> {
    let (firm_id, now) = (who.firm_id, ctx.now());
    let txn = ctx.db.begin_write().await?;
    let employee = find(&txn, firm_id, employee_id).await?;
    let Some(previous) = employee.wecom_userid.clone() else {
        txn.commit().await?;
        return Ok(employee);
    };
    let mut active = employee.into_active_model();
    active.wecom_userid = Set(None);
    active.bound_at = Set(None);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    sessions::revoke_all_for_employee(&txn, firm_id, employee_id, now).await?;
    audit::record_in(
        &txn,
        now,
        who,
        "employee.unbind",
        Object::new("employee", updated.id),
        Some(json!({ "wecom_userid": previous })),
        Some(json!({ "wecom_userid": null })),
    )
    .await?;
    txn.commit().await?;
    ctx.sessions.forget_employee(firm_id, employee_id);
    Ok(updated)
}

/// Disables (or re-enables) an employee; disabling ends their sessions.
pub async fn set_active(
    ctx: &Ctx,
    who: &Who,
    employee_id: i64,
    active_flag: bool,
) -> AppResult<employee::Model> {
    let (firm_id, now) = (who.firm_id, ctx.now());
    let txn = ctx.db.begin_write().await?;
    let employee = find(&txn, firm_id, employee_id).await?;
    let before = employee.status;
    let status = if active_flag {
        employee::Status::Active
    } else {
        employee::Status::Disabled
    };
    let mut active = employee.into_active_model();
    active.status = Set(status);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    if !active_flag {
        sessions::revoke_all_for_employee(&txn, firm_id, employee_id, now).await?;
    }
    let action = if active_flag {
        "employee.enable"
    } else {
        "employee.disable"
    };
    audit::record_in(
        &txn,
        now,
        who,
        action,
        Object::new("employee", updated.id),
        Some(json!({ "status": before })),
        Some(json!({ "status": status })),
    )
    .await?;
    txn.commit().await?;
    ctx.sessions.forget_employee(firm_id, employee_id);
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_are_normalised_or_refused_in_chinese() {
        assert_eq!(normalize_mobile("138 1234 5678").unwrap(), "13812345678");
        assert_eq!(normalize_mobile("+86 13812345678").unwrap(), "13812345678");
        assert_eq!(
            normalize_mobile("0086-138-1234-5678").unwrap(),
            "13812345678"
        );
        for bad in ["12812345678", "1381234567", "1381234567a", ""] {
            assert!(
                matches!(normalize_mobile(bad), Err(AppError::Validation(m)) if m.contains("手机号"))
            );
        }
    }
}
