//! Signed-in browsers. A session is a database row; the cookie holds a random token whose
//! SHA-256 is the row id, so a stolen database gives no usable cookies. Every request checks the
//! row against the employee, so unbinding a WeCom member or disabling an employee ends their
//! sessions at once, on every instance.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use sha2::{Digest, Sha256};

use crate::db::Database;
use crate::db::entities::{employee, firm, web_session};
use crate::error::AppResult;

pub const COOKIE: &str = "zf_session";
/// How long a session lives without use.
pub const IDLE_LIFETIME: Duration = Duration::days(7);
/// `last_seen_at` is written at most this often, so reads stay reads.
const TOUCH_EVERY: Duration = Duration::minutes(5);

/// The employee behind a request.
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
}

impl CurrentEmployee {
    pub fn is_admin(&self) -> bool {
        matches!(
            self.role,
            employee::Role::SuperAdmin | employee::Role::Admin
        )
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
        expires_at: Set(now + IDLE_LIFETIME),
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

/// The signed-in employee for a cookie token, if the session and the employee are still good.
pub async fn authenticate(
    db: &Database,
    token: &str,
    kind: web_session::Kind,
    now: DateTime<Utc>,
) -> AppResult<Option<CurrentEmployee>> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let id = hash_token(token);
    let Some(session) = web_session::Entity::find_by_id(id.clone())
        .filter(web_session::Column::Kind.eq(kind))
        .filter(web_session::Column::RevokedAt.is_null())
        .filter(web_session::Column::ExpiresAt.gt(now))
        .one(db.read())
        .await?
    else {
        return Ok(None);
    };
    let Some(employee) = employee::Entity::find_by_id(session.employee_id)
        .filter(employee::Column::FirmId.eq(session.firm_id))
        .filter(employee::Column::DeletedAt.is_null())
        .filter(employee::Column::Status.eq(employee::Status::Active))
        .one(db.read())
        .await?
    else {
        return Ok(None);
    };
    // A sidebar session belongs to a WeCom member: without the binding it is over.
    if kind == web_session::Kind::Sidebar && employee.wecom_userid.is_none() {
        return Ok(None);
    }
    let Some(firm) = firm::Entity::find_by_id(session.firm_id)
        .filter(firm::Column::DeletedAt.is_null())
        .filter(firm::Column::Status.eq(firm::Status::Active))
        .one(db.read())
        .await?
    else {
        return Ok(None);
    };
    if now - session.last_seen_at > TOUCH_EVERY {
        web_session::Entity::update_many()
            .col_expr(web_session::Column::LastSeenAt, Expr::value(now))
            .col_expr(
                web_session::Column::ExpiresAt,
                Expr::value(now + IDLE_LIFETIME),
            )
            .filter(web_session::Column::Id.eq(id.clone()))
            .exec(db.write())
            .await?;
    }
    Ok(Some(CurrentEmployee {
        session_id: id,
        firm_id: firm.id,
        corp_id: firm.corp_id,
        firm_name: firm.name,
        employee_id: employee.id,
        name: employee.name,
        role: employee.role,
        wecom_userid: employee.wecom_userid,
    }))
}

/// Ends one session (sign-out).
pub async fn revoke(db: &Database, session_id: &str, now: DateTime<Utc>) -> AppResult<()> {
    web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::value(now))
        .filter(web_session::Column::Id.eq(session_id))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(db.write())
        .await?;
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
