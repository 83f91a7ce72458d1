//! Signed-in browsers. A session is a database row; the cookie holds a random token whose
//! SHA-256 is the row id, so a stolen database gives no usable cookies. A request checks the row
//! against the employee, so unbinding a WeCom member or disabling an employee ends their sessions:
//! at once on the instance that made the change, within
//! [`crate::services::session_cache::TTL`] on every other one
//! (a session read is trusted that long, see [`crate::services::session_cache`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Set,
    sea_query::Expr,
};
use sha2::{Digest, Sha256};

use crate::db::entities::{employee, web_session};
use crate::db::statement;
use crate::domain::permissions::{Permission, Permissions};
use crate::error::{AppError, AppResult};
use crate::services::Ctx;

pub const COOKIE: &str = "zf_session";
/// The back office's own cookie: signing in there leaves the sidebar's session alone.
pub const ADMIN_COOKIE: &str = "zf_admin";
/// How long a sidebar session lives without use.
pub const IDLE_LIFETIME: Duration = Duration::days(7);
/// How long a back-office session lives without use: a working day, since admins change
/// settings and permissions from it.
pub const ADMIN_IDLE_LIFETIME: Duration = Duration::hours(12);

/// How long a session of this kind lives without use.
pub fn idle_lifetime(kind: web_session::Kind) -> Duration {
    match kind {
        web_session::Kind::Sidebar => IDLE_LIFETIME,
        web_session::Kind::Admin => ADMIN_IDLE_LIFETIME,
    }
}

/// The cookie a session of this kind travels in.
pub fn cookie_name(kind: web_session::Kind) -> &'static str {
    match kind {
        web_session::Kind::Sidebar => COOKIE,
        web_session::Kind::Admin => ADMIN_COOKIE,
    }
}
/// However active, a session ends this long after sign-in.
pub const ABSOLUTE_LIFETIME: Duration = Duration::days(30);
/// `last_seen_at` and the expiry are written at most this often, so page views stay reads.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// The employee behind a request: who, in which firm, with which rights over which customers.
#[derive(Clone, Debug)]
pub struct CurrentEmployee {
    pub session_id: String,
    pub firm_id: i64,
    pub corp_id: String,
    pub firm_name: String,
    pub employee_id: i64,
    pub name: String,
    pub role: employee::Role,
    pub wecom_userid: Option<String>,
    pub permissions: Permissions,
    /// Effective scope: admins always see all.
    pub data_scope: employee::DataScope,
    /// When this session was last extended (page views within a minute write nothing).
    pub last_seen_at: DateTime<Utc>,
}

impl CurrentEmployee {
    pub fn is_admin(&self) -> bool {
        matches!(
            self.role,
            employee::Role::SuperAdmin | employee::Role::Admin
        )
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    /// Refuses, in Chinese, what the employee has no right to.
    pub fn require(&self, permission: Permission) -> AppResult<()> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "您没有“{}”权限，请联系管理员开通",
                permission.label()
            )))
        }
    }

    /// Admin-only pages.
    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden("仅管理员可以使用此功能".into()))
        }
    }

    pub fn sees_all_customers(&self) -> bool {
        self.data_scope == employee::DataScope::All
    }
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a session and returns the cookie token (shown to nobody but the browser).
pub async fn create(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    employee_id: i64,
    kind: web_session::Kind,
    ip: Option<String>,
    user_agent: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    web_session::ActiveModel {
        id: Set(hash_token(&token)),
        firm_id: Set(firm_id),
        employee_id: Set(employee_id),
        kind: Set(kind),
        expires_at: Set(now + idle_lifetime(kind)),
        last_seen_at: Set(now),
        ip: Set(ip),
        user_agent: Set(user_agent.map(|ua| ua.chars().take(300).collect())),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

#[derive(FromQueryResult)]
struct SessionRow {
    firm_id: i64,
    employee_id: i64,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    name: String,
    role: employee::Role,
    wecom_userid: Option<String>,
    data_scope: employee::DataScope,
    corp_id: String,
    firm_name: String,
    /// A staff member's permission codes, comma-separated.
    perm_codes: Option<String>,
}

/// The signed-in employee for a cookie token, if the session, the employee and the firm are all
/// still good, with the employee's permissions: one query, or none while this instance read the
/// session less than [`crate::services::session_cache::TTL`] ago.
pub async fn authenticate(
    ctx: &Ctx,
    token: &str,
    kind: web_session::Kind,
    now: DateTime<Utc>,
) -> AppResult<Option<CurrentEmployee>> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let id = hash_token(token);
    if let Some(cached) = ctx.sessions.get(kind, &id, now) {
        return Ok(Some(cached));
    }
    let db = &ctx.db;
    let serve_demo = ctx.demo();
    let kind_code = match kind {
        web_session::Kind::Sidebar => "sidebar",
        web_session::Kind::Admin => "admin",
    };
    // Outside demo mode the demo firm (whose keys are public seed data) has no sessions.
    let demo_filter = if serve_demo {
        ""
    } else {
        " AND f.is_demo = FALSE"
    };
    let aggregate = crate::db::comma_joined(db.backend(), "p.perm_code", "p.perm_code");
    let found = SessionRow::find_by_statement(statement(
        db.backend(),
        &format!(
            "SELECT s.firm_id, s.employee_id, s.created_at, s.expires_at, s.last_seen_at, \
                e.name, e.role, e.wecom_userid, e.data_scope, \
                f.corp_id, f.name AS firm_name, \
                (SELECT {aggregate} FROM employee_permission p \
                  WHERE p.firm_id = s.firm_id AND p.employee_id = s.employee_id) AS perm_codes \
         FROM web_session s \
         JOIN employee e ON e.firm_id = s.firm_id AND e.id = s.employee_id \
         JOIN firm f ON f.id = s.firm_id \
         WHERE s.id = ? AND s.kind = ? AND s.revoked_at IS NULL AND s.expires_at > ? \
           AND e.deleted_at IS NULL AND e.status = 'active' \
           AND f.deleted_at IS NULL AND f.status = 'active'{demo_filter}"
        ),
        [id.clone().into(), kind_code.into(), now.into()],
    ))
    .one(db.read())
    .await?;
    let Some(row) = found else {
        return Ok(None);
    };
    if now - row.created_at >= ABSOLUTE_LIFETIME {
        return Ok(None);
    }
    // A sidebar session belongs to a WeCom member: without the binding it is over.
    if kind == web_session::Kind::Sidebar && row.wecom_userid.is_none() {
        return Ok(None);
    }
    let is_admin = matches!(row.role, employee::Role::SuperAdmin | employee::Role::Admin);
    let permissions = if is_admin {
        Permissions::everything()
    } else {
        Permissions::from_codes(row.perm_codes.as_deref().unwrap_or("").split(','))
    };
    let mut last_seen_at = row.last_seen_at;
    let mut expires_at = row.expires_at;
    if now - row.last_seen_at >= TOUCH_EVERY {
        let expires = (now + idle_lifetime(kind)).min(row.created_at + ABSOLUTE_LIFETIME);
        web_session::Entity::update_many()
            .col_expr(web_session::Column::LastSeenAt, Expr::value(now))
            .col_expr(web_session::Column::ExpiresAt, Expr::value(expires))
            .filter(web_session::Column::Id.eq(id.clone()))
            .exec(db.write())
            .await?;
        last_seen_at = now;
        expires_at = expires;
    }
    let employee = CurrentEmployee {
        session_id: id,
        firm_id: row.firm_id,
        corp_id: row.corp_id,
        firm_name: row.firm_name,
        employee_id: row.employee_id,
        name: row.name,
        role: row.role,
        wecom_userid: row.wecom_userid,
        permissions,
        data_scope: if is_admin {
            employee::DataScope::All
        } else {
            row.data_scope
        },
        last_seen_at,
    };
    // Read again once it expires (never later than its lifetime) or is due to be extended.
    let good_until = expires_at.min(last_seen_at + TOUCH_EVERY);
    ctx.sessions.put(kind, employee.clone(), now, good_until);
    Ok(Some(employee))
}

/// Ends one session (sign-out).
pub async fn revoke(ctx: &Ctx, session_id: &str, now: DateTime<Utc>) -> AppResult<()> {
    web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::value(now))
        .filter(web_session::Column::Id.eq(session_id))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(ctx.db.write())
        .await?;
    ctx.sessions.forget_session(session_id);
    Ok(())
}

/// Ends every session of an employee (unbinding, disabling). Returns how many were open.
pub async fn revoke_all_for_employee(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    employee_id: i64,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let result = web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::value(now))
        .filter(web_session::Column::FirmId.eq(firm_id))
        .filter(web_session::Column::EmployeeId.eq(employee_id))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}
