//! The back office's employee management: list, add, edit, disable, remove, the WeCom binding,
//! the sidebar and knowledge-base permissions and the data scope (manual 三(四) 设置职员权限).
//!
//! Only admins manage employees, and only a super admin touches a super admin (or makes one).
//! The last active super admin can be neither removed, disabled nor demoted. Permissions are read
//! with the session ([`crate::services::sessions::authenticate`]), so a change applies at the
//! employee's next request on this instance and within
//! [`crate::services::session_cache::TTL`] on every other one; disabling, removing and unbinding
//! also end the employee's sessions.

use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::db::entities::{employee, employee_permission, wecom_member};
use crate::domain::permissions::{Permission, Permissions};
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Object, Who};
use crate::services::sessions::{self, CurrentEmployee};
use crate::services::{Ctx, employees, passwords};

/// The permissions an admin grants on the employee page (viewing the knowledge base is for all).
pub const GRANTABLE: [Permission; 11] = [
    Permission::Basic,
    Permission::Service,
    Permission::Billing,
    Permission::BillingConfirm,
    Permission::Collection,
    Permission::FollowUp,
    Permission::Filing,
    Permission::Report,
    Permission::Invoice,
    Permission::KbManage,
    Permission::KbAudit,
];

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_LEN: usize = 8;

/// One employee as the list and the edit page show it.
#[derive(Clone, Debug)]
pub struct EmployeeView {
    pub employee: employee::Model,
    /// Granted codes (for admins: everything).
    pub permissions: Permissions,
    pub can_sign_in: bool,
}

impl EmployeeView {
    pub fn is_admin(&self) -> bool {
        self.employee.role != employee::Role::Staff
    }

    /// Whether the permission with this code is granted.
    pub fn has(&self, code: &str) -> bool {
        code.parse::<Permission>()
            .is_ok_and(|p| self.permissions.contains(p))
    }

    /// The granted sidebar and knowledge-base rights, in Chinese.
    pub fn permission_labels(&self) -> String {
        if self.is_admin() {
            return "全部".into();
        }
        let labels: Vec<&str> = GRANTABLE
            .iter()
            .filter(|p| self.permissions.contains(**p))
            .map(|p| p.label())
            .collect();
        if labels.is_empty() {
            "—".into()
        } else {
            labels.join("、")
        }
    }
}

/// What the add and edit forms carry.
#[derive(Clone, Debug, Default)]
pub struct EmployeeInput {
    pub name: String,
    pub mobile: String,
    pub role: Option<employee::Role>,
    pub data_scope: Option<employee::DataScope>,
    pub permissions: Vec<Permission>,
    /// Empty: unchanged (on create: no back-office password).
    pub password: String,
}

fn parse_role(code: &str) -> Option<employee::Role> {
    match code {
        "super_admin" => Some(employee::Role::SuperAdmin),
        "admin" => Some(employee::Role::Admin),
        "staff" => Some(employee::Role::Staff),
        _ => None,
    }
}

fn parse_scope(code: &str) -> Option<employee::DataScope> {
    match code {
        "own" => Some(employee::DataScope::Own),
        "all" => Some(employee::DataScope::All),
        _ => None,
    }
}

impl EmployeeInput {
    /// The input from form fields: role and scope codes, permission codes.
    pub fn from_codes<'a>(
        name: &str,
        mobile: &str,
        role: &str,
        data_scope: &str,
        permissions: impl IntoIterator<Item = &'a str>,
        password: &str,
    ) -> Self {
        Self {
            name: name.to_string(),
            mobile: mobile.to_string(),
            role: parse_role(role),
            data_scope: parse_scope(data_scope),
            permissions: permissions
                .into_iter()
                .filter_map(|c| c.parse::<Permission>().ok())
                .filter(|p| GRANTABLE.contains(p))
                .collect(),
            password: password.to_string(),
        }
    }
}

fn who_of(me: &CurrentEmployee, ip: Option<String>) -> Who {
    Who::employee(me, ip)
}

async fn granted(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    employee_id: i64,
) -> AppResult<BTreeSet<String>> {
    Ok(employee_permission::Entity::find()
        .filter(employee_permission::Column::FirmId.eq(firm_id))
        .filter(employee_permission::Column::EmployeeId.eq(employee_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| p.perm_code)
        .collect())
}

fn view(e: employee::Model, codes: &BTreeSet<String>) -> EmployeeView {
    let permissions = if e.role == employee::Role::Staff {
        Permissions::from_codes(codes.iter().map(String::as_str))
    } else {
        Permissions::everything()
    };
    EmployeeView {
        can_sign_in: e.password_hash.is_some(),
        employee: e,
        permissions,
    }
}

/// Every employee of the caller's firm (not removed), admins first.
pub async fn list(ctx: &Ctx, me: &CurrentEmployee) -> AppResult<Vec<EmployeeView>> {
    me.require_admin()?;
    let rows = employee::Entity::find()
        .filter(employee::Column::FirmId.eq(me.firm_id))
        .filter(employee::Column::DeletedAt.is_null())
        .order_by_asc(employee::Column::Id)
        .all(ctx.db.read())
        .await?;
    let perms = employee_permission::Entity::find()
        .filter(employee_permission::Column::FirmId.eq(me.firm_id))
        .all(ctx.db.read())
        .await?;
    let mut out: Vec<EmployeeView> = rows
        .into_iter()
        .map(|e| {
            let codes: BTreeSet<String> = perms
                .iter()
                .filter(|p| p.employee_id == e.id)
                .map(|p| p.perm_code.clone())
                .collect();
            view(e, &codes)
        })
        .collect();
    out.sort_by_key(|v| {
        (
            match v.employee.role {
                employee::Role::SuperAdmin => 0,
                employee::Role::Admin => 1,
                employee::Role::Staff => 2,
            },
            v.employee.id,
        )
    });
    Ok(out)
}

/// One employee of the caller's firm; another firm's id is "not found".
pub async fn get(ctx: &Ctx, me: &CurrentEmployee, employee_id: i64) -> AppResult<EmployeeView> {
    me.require_admin()?;
    let e = employees::find(ctx.db.read(), me.firm_id, employee_id).await?;
    let codes = granted(ctx.db.read(), me.firm_id, e.id).await?;
    Ok(view(e, &codes))
}

/// WeCom members of the firm not bound to any employee, for the binding form.
pub async fn unbound_members(
    ctx: &Ctx,
    me: &CurrentEmployee,
) -> AppResult<Vec<wecom_member::Model>> {
    me.require_admin()?;
    let bound: BTreeSet<String> = employee::Entity::find()
        .filter(employee::Column::FirmId.eq(me.firm_id))
        .filter(employee::Column::DeletedAt.is_null())
        .filter(employee::Column::WecomUserid.is_not_null())
        .all(ctx.db.read())
        .await?
        .into_iter()
        .filter_map(|e| e.wecom_userid)
        .collect();
    Ok(wecom_member::Entity::find()
        .filter(wecom_member::Column::FirmId.eq(me.firm_id))
        .order_by_asc(wecom_member::Column::Name)
        .all(ctx.db.read())
        .await?
        .into_iter()
        .filter(|m| !bound.contains(&m.userid))
        .collect())
}

fn check_password(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_LEN || password.len() > 128 {
        return Err(AppError::Validation(format!(
            "密码至少{MIN_PASSWORD_LEN}位，最多128位"
        )));
    }
    Ok(())
}

/// Only a super admin touches a super admin or makes one.
fn check_may_manage(
    me: &CurrentEmployee,
    target: Option<employee::Role>,
    new_role: employee::Role,
) -> AppResult<()> {
    me.require_admin()?;
    let touches_super =
        target == Some(employee::Role::SuperAdmin) || new_role == employee::Role::SuperAdmin;
    if touches_super && me.role != employee::Role::SuperAdmin {
        return Err(AppError::Forbidden(
            "只有超级管理员可以设置或修改超级管理员".into(),
        ));
    }
    Ok(())
}

async fn other_super_admins(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    except: i64,
) -> AppResult<u64> {
    Ok(employee::Entity::find()
        .filter(employee::Column::FirmId.eq(firm_id))
        .filter(employee::Column::DeletedAt.is_null())
        .filter(employee::Column::Status.eq(employee::Status::Active))
        .filter(employee::Column::Role.eq(employee::Role::SuperAdmin))
        .filter(employee::Column::Id.ne(except))
        .count(conn)
        .await?)
}

async fn refuse_losing_last_super_admin(
    conn: &impl ConnectionTrait,
    e: &employee::Model,
    what: &str,
) -> AppResult<()> {
    if e.role == employee::Role::SuperAdmin
        && e.status == employee::Status::Active
        && other_super_admins(conn, e.firm_id, e.id).await? == 0
    {
        return Err(AppError::Conflict(format!(
            "“{}”是唯一的超级管理员，不能{what}；请先设置另一位超级管理员",
            e.name
        )));
    }
    Ok(())
}

async fn write_permissions(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    employee_id: i64,
    wanted: &BTreeSet<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    employee_permission::Entity::delete_many()
        .filter(employee_permission::Column::FirmId.eq(firm_id))
        .filter(employee_permission::Column::EmployeeId.eq(employee_id))
        .exec(conn)
        .await?;
    for code in wanted {
        employee_permission::ActiveModel {
            firm_id: Set(firm_id),
            employee_id: Set(employee_id),
            perm_code: Set(code.clone()),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

fn codes_of(perms: &[Permission]) -> BTreeSet<String> {
    perms.iter().map(|p| p.code().to_string()).collect()
}

fn duplicate_mobile(e: sea_orm::DbErr) -> AppError {
    if crate::db::is_unique_violation(&e) {
        AppError::Conflict("该手机号已是本公司另一位员工的手机号".into())
    } else {
        AppError::from(e)
    }
}

/// Adds an employee. Returns the new id.
pub async fn create(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    input: EmployeeInput,
) -> AppResult<i64> {
    let role = input
        .role
        .ok_or_else(|| AppError::Validation("请选择角色".into()))?;
    check_may_manage(me, None, role)?;
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(AppError::Validation("姓名不能为空，最多50个字".into()));
    }
    let mobile = employees::normalize_mobile(&input.mobile)?;
    let hash = if input.password.is_empty() {
        None
    } else {
        check_password(&input.password)?;
        Some(passwords::hash(&input.password)?)
    };
    let scope = if role == employee::Role::Staff {
        input.data_scope.unwrap_or(employee::DataScope::Own)
    } else {
        employee::DataScope::All
    };
    let wanted = if role == employee::Role::Staff {
        codes_of(&input.permissions)
    } else {
        BTreeSet::new()
    };
    let now = ctx.now();
    let who = who_of(me, ip);
    let txn = ctx.db.begin_write().await?;
    if employees::find_by_mobile(&txn, me.firm_id, &mobile)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(
            "该手机号已是本公司另一位员工的手机号".into(),
        ));
    }
    let saved = employee::ActiveModel {
        firm_id: Set(me.firm_id),
        name: Set(name),
        mobile: Set(Some(mobile)),
        role: Set(role),
        status: Set(employee::Status::Active),
        data_scope: Set(scope),
        password_hash: Set(hash),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(duplicate_mobile)?;
    write_permissions(&txn, me.firm_id, saved.id, &wanted, now).await?;
    audit::record_in(
        &txn,
        now,
        &who,
        "employee.create",
        Object::new("employee", saved.id),
        None,
        Some(json!({
            "name": saved.name, "mobile": saved.mobile, "role": saved.role,
            "data_scope": saved.data_scope, "permissions": wanted,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.id)
}

/// Saves the edit form: name, mobile, role, data scope, permissions and (if given) a new password.
pub async fn update(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    employee_id: i64,
    input: EmployeeInput,
) -> AppResult<()> {
    me.require_admin()?;
    let now = ctx.now();
    let who = who_of(me, ip);
    let txn = ctx.db.begin_write().await?;
    let e = employees::find(&txn, me.firm_id, employee_id).await?;
    let role = input.role.unwrap_or(e.role);
    check_may_manage(me, Some(e.role), role)?;
    if e.role == employee::Role::SuperAdmin && role != employee::Role::SuperAdmin {
        refuse_losing_last_super_admin(&txn, &e, "改为其他角色").await?;
    }
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(AppError::Validation("姓名不能为空，最多50个字".into()));
    }
    let mobile = employees::normalize_mobile(&input.mobile)?;
    let hash = if input.password.is_empty() {
        None
    } else {
        check_password(&input.password)?;
        Some(passwords::hash(&input.password)?)
    };
    let scope = if role == employee::Role::Staff {
        input.data_scope.unwrap_or(e.data_scope)
    } else {
        employee::DataScope::All
    };
    let wanted = if role == employee::Role::Staff {
        codes_of(&input.permissions)
    } else {
        BTreeSet::new()
    };
    let before_perms = granted(&txn, me.firm_id, e.id).await?;
    let before = json!({
        "name": e.name, "mobile": e.mobile, "role": e.role,
        "data_scope": e.data_scope, "permissions": before_perms,
    });
    let mut active = e.into_active_model();
    active.name = Set(name);
    active.mobile = Set(Some(mobile));
    active.role = Set(role);
    active.data_scope = Set(scope);
    let password_changed = hash.is_some();
    if let Some(hash) = hash {
        active.password_hash = Set(Some(hash));
        active.failed_logins = Set(0);
        active.locked_until = Set(None);
    }
    active.updated_at = Set(now);
    let saved = active.update(&txn).await.map_err(duplicate_mobile)?;
    write_permissions(&txn, me.firm_id, saved.id, &wanted, now).await?;
    audit::record_in(
        &txn,
        now,
        &who,
        "employee.update",
        Object::new("employee", saved.id),
        Some(before),
        Some(json!({
            "name": saved.name, "mobile": saved.mobile, "role": saved.role,
            "data_scope": saved.data_scope, "permissions": wanted,
            "password_changed": password_changed,
        })),
    )
    .await?;
    txn.commit().await?;
    ctx.sessions.forget_employee(me.firm_id, saved.id);
    Ok(())
}

/// Disables or re-enables an employee (disabling ends their sessions).
pub async fn set_active(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    employee_id: i64,
    active: bool,
) -> AppResult<()> {
    me.require_admin()?;
    let e = employees::find(ctx.db.read(), me.firm_id, employee_id).await?;
    check_may_manage(me, Some(e.role), e.role)?;
    if !active {
        if e.id == me.employee_id {
            return Err(AppError::Conflict("不能停用自己的账号".into()));
        }
        refuse_losing_last_super_admin(ctx.db.read(), &e, "停用").await?;
    }
    employees::set_active(ctx, &who_of(me, ip), employee_id, active).await?;
    Ok(())
}

/// Removes an employee: the row is kept (the audit log and history point at it) but marked
/// deleted, with its permissions, binding and sessions gone.
pub async fn remove(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    employee_id: i64,
) -> AppResult<()> {
    me.require_admin()?;
    let now = ctx.now();
    let who = who_of(me, ip);
    let txn = ctx.db.begin_write().await?;
    let e = employees::find(&txn, me.firm_id, employee_id).await?;
    check_may_manage(me, Some(e.role), e.role)?;
    if e.id == me.employee_id {
        return Err(AppError::Conflict("不能删除自己的账号".into()));
    }
    refuse_losing_last_super_admin(&txn, &e, "删除").await?;
    let served = crate::services::assignments::served_in(&txn, me.firm_id, e.id).await?;
    if served.customers > 0 {
        return Err(AppError::Conflict(format!(
            "{} 仍负责 {} 家客户（{}），请先在「客户交接」中把客户交给其他员工，再删除",
            e.name,
            served.customers,
            served.describe()
        )));
    }
    let before = json!({
        "name": e.name, "mobile": e.mobile, "role": e.role, "wecom_userid": e.wecom_userid,
    });
    let mut active = e.into_active_model();
    active.deleted_at = Set(Some(now));
    active.wecom_userid = Set(None);
    active.bound_at = Set(None);
    active.password_hash = Set(None);
    active.status = Set(employee::Status::Left);
    active.updated_at = Set(now);
    let saved = active.update(&txn).await?;
    write_permissions(&txn, me.firm_id, saved.id, &BTreeSet::new(), now).await?;
    sessions::revoke_all_for_employee(&txn, me.firm_id, saved.id, now).await?;
    audit::record_in(
        &txn,
        now,
        &who,
        "employee.remove",
        Object::new("employee", saved.id),
        Some(before),
        None,
    )
    .await?;
    txn.commit().await?;
    ctx.sessions.forget_employee(me.firm_id, saved.id);
    Ok(())
}

/// Binds the employee to a WeCom member (by userid) on the admin's behalf.
pub async fn bind(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    employee_id: i64,
    userid: &str,
) -> AppResult<()> {
    me.require_admin()?;
    let e = employees::find(ctx.db.read(), me.firm_id, employee_id).await?;
    check_may_manage(me, Some(e.role), e.role)?;
    employees::bind_member(ctx, &who_of(me, ip), employee_id, userid).await?;
    Ok(())
}

/// Cancels the employee's WeCom binding (ends their sessions).
pub async fn unbind(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    employee_id: i64,
) -> AppResult<()> {
    me.require_admin()?;
    let e = employees::find(ctx.db.read(), me.firm_id, employee_id).await?;
    check_may_manage(me, Some(e.role), e.role)?;
    employees::unbind_member(ctx, &who_of(me, ip), employee_id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_codes_become_input_and_unknown_or_implicit_codes_are_dropped() {
        let input = EmployeeInput::from_codes(
            "张三",
            "13800000000",
            "staff",
            "all",
            ["basic", "billing_confirm", "kb_view", "admin", "kb_audit"],
            "",
        );
        assert_eq!(input.role, Some(employee::Role::Staff));
        assert_eq!(input.data_scope, Some(employee::DataScope::All));
        assert_eq!(
            input.permissions,
            vec![
                Permission::Basic,
                Permission::BillingConfirm,
                Permission::KbAudit
            ]
        );
        assert_eq!(
            EmployeeInput::from_codes("a", "b", "root", "x", [], "").role,
            None
        );
    }
}
