//! SMS verification codes: issue, limit, verify.
//!
//! Rules: a code lives 5 minutes; one send per phone per minute, 10 per phone, 20 per WeCom member
//! and 50 per address a day (Beijing calendar day); 5 wrong attempts burn a code. Only a salted
//! hash of the code is stored. Limits hold under concurrency: the checks and the insert run in
//! one write transaction (SQLite serialises writers; PostgreSQL takes advisory locks on the
//! phone, the member and the address), and every attempt is counted by one conditional UPDATE
//! before the code is compared, so parallel guesses cannot share an attempt.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::db::entities::sms_code;
use crate::db::{Database, statement};
use crate::domain::clock::SHANGHAI_OFFSET;
use crate::error::{AppError, AppResult};
use crate::sms::SmsSender;

pub const CODE_LIFETIME_MINUTES: u32 = 5;
pub const RESEND_AFTER_SECONDS: i64 = 60;
pub const MAX_SENDS_PER_DAY: u64 = 10;
pub const MAX_SENDS_PER_MEMBER_PER_DAY: u64 = 20;
pub const MAX_SENDS_PER_IP_PER_DAY: u64 = 50;
pub const MAX_ATTEMPTS: i32 = 5;

fn hash(id_salt: &str, phone: &str, code: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{id_salt}:{phone}:{code}").as_bytes(),
    ))
}

/// Start of the Beijing calendar day containing `now`, as UTC.
fn start_of_local_day(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&SHANGHAI_OFFSET);
    let midnight = local
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap_or(local.naive_local());
    midnight.and_utc() - Duration::hours(8)
}

/// Who asks for a code, for which phone.
pub struct CodeRequest<'a> {
    pub firm_id: i64,
    pub phone: &'a str,
    pub purpose: sms_code::Purpose,
    /// The WeCom member asking.
    pub requested_by: &'a str,
    pub ip: Option<&'a str>,
}

/// A code that was recorded and may now be delivered.
pub struct Issued {
    id: i64,
    pub code: String,
}

/// Records a new code if every limit allows it. The code is not sent yet: see [`deliver`].
pub async fn issue(db: &Database, req: &CodeRequest<'_>, now: DateTime<Utc>) -> AppResult<Issued> {
    let txn = db.begin_write().await?;
    if !db.is_sqlite() {
        lock_counters(&txn, req).await?;
    }
    check_limits(&txn, req, now).await?;
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let salt = uuid::Uuid::new_v4().simple().to_string();
    let row = sms_code::ActiveModel {
        firm_id: Set(req.firm_id),
        phone: Set(req.phone.to_string()),
        purpose: Set(req.purpose),
        code_hash: Set(format!("{salt}${}", hash(&salt, req.phone, &code))),
        expires_at: Set(now + Duration::minutes(i64::from(CODE_LIFETIME_MINUTES))),
        attempts: Set(0),
        consumed_at: Set(None),
        burned_at: Set(None),
        created_at: Set(now),
        requested_by: Set(Some(req.requested_by.to_string())),
        ip: Set(req.ip.map(str::to_string)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Issued { id: row.id, code })
}

/// Sends an issued code. A code that could not be sent is deleted, so it does not count against
/// the limits: the person never received it.
pub async fn deliver(
    db: &Database,
    sender: &dyn SmsSender,
    phone: &str,
    issued: &Issued,
) -> AppResult<()> {
    if let Err(e) = sender
        .send_code(phone, &issued.code, CODE_LIFETIME_MINUTES)
        .await
    {
        sms_code::Entity::delete_by_id(issued.id)
            .exec(db.write())
            .await?;
        tracing::warn!(error = %e, "sending an SMS code failed");
        return Err(AppError::Unavailable(format!("短信发送失败：{e}")));
    }
    Ok(())
}

/// PostgreSQL lets concurrent transactions count the same rows; these locks make senders of the
/// same phone, member or address wait for each other. Taken in ascending key order, so two
/// senders sharing two keys can never wait on each other in a circle.
async fn lock_counters(txn: &DatabaseTransaction, req: &CodeRequest<'_>) -> AppResult<()> {
    let mut keys = vec![
        lock_key("phone", req.phone),
        lock_key("member", req.requested_by),
    ];
    if let Some(ip) = req.ip {
        keys.push(lock_key("ip", ip));
    }
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        txn.execute_raw(statement(
            txn.get_database_backend(),
            "SELECT pg_advisory_xact_lock(?)",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

fn lock_key(kind: &str, value: &str) -> i64 {
    let digest = Sha256::digest(format!("sms_code:{kind}:{value}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Seconds until another code may be sent to `phone` (0 when it may be now): what the form's
/// countdown shows again after a refused attempt.
pub async fn resend_wait(db: &Database, phone: &str, now: DateTime<Utc>) -> AppResult<i64> {
    Ok(latest_within_resend(db.read(), phone, now)
        .await?
        .map_or(0, |c| {
            (RESEND_AFTER_SECONDS - (now - c.created_at).num_seconds())
                .clamp(0, RESEND_AFTER_SECONDS)
        }))
}

/// The newest code sent to `phone` less than [`RESEND_AFTER_SECONDS`] ago, if any.
async fn latest_within_resend(
    conn: &impl ConnectionTrait,
    phone: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<sms_code::Model>> {
    Ok(sms_code::Entity::find()
        .filter(sms_code::Column::Phone.eq(phone))
        .filter(sms_code::Column::CreatedAt.gt(now - Duration::seconds(RESEND_AFTER_SECONDS)))
        .order_by_desc(sms_code::Column::CreatedAt)
        .one(conn)
        .await?)
}

async fn check_limits(
    txn: &DatabaseTransaction,
    req: &CodeRequest<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let since_day = start_of_local_day(now);
    let count = |column: sms_code::Column, value: String, since: DateTime<Utc>| {
        sms_code::Entity::find()
            .filter(column.eq(value))
            .filter(sms_code::Column::CreatedAt.gte(since))
            .count(txn)
    };
    if latest_within_resend(txn, req.phone, now).await?.is_some() {
        return Err(AppError::TooManyRequests(
            "验证码已发送，请60秒后再试".into(),
        ));
    }
    if count(sms_code::Column::Phone, req.phone.to_string(), since_day).await? >= MAX_SENDS_PER_DAY
    {
        return Err(AppError::TooManyRequests(
            "该手机号今日获取验证码次数已达上限（10次），请明天再试".into(),
        ));
    }
    let member = count(
        sms_code::Column::RequestedBy,
        req.requested_by.to_string(),
        since_day,
    )
    .await?;
    if member >= MAX_SENDS_PER_MEMBER_PER_DAY {
        return Err(AppError::TooManyRequests(
            "您今日获取验证码次数已达上限，请明天再试或联系管理员".into(),
        ));
    }
    if let Some(ip) = req.ip
        && count(sms_code::Column::Ip, ip.to_string(), since_day).await? >= MAX_SENDS_PER_IP_PER_DAY
    {
        return Err(AppError::TooManyRequests(
            "当前网络今日获取验证码次数已达上限，请明天再试".into(),
        ));
    }
    Ok(())
}

const BURNED: &str = "验证码错误次数过多已失效，请重新获取";

/// Checks a code; on success it is consumed and cannot be used again.
pub async fn verify(
    db: &Database,
    firm_id: i64,
    phone: &str,
    purpose: sms_code::Purpose,
    code: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let latest = sms_code::Entity::find()
        .filter(sms_code::Column::FirmId.eq(firm_id))
        .filter(sms_code::Column::Phone.eq(phone))
        .filter(sms_code::Column::Purpose.eq(purpose))
        .filter(sms_code::Column::ConsumedAt.is_null())
        .order_by_desc(sms_code::Column::CreatedAt)
        .order_by_desc(sms_code::Column::Id)
        .one(db.read())
        .await?
        .ok_or_else(|| AppError::Validation("请先获取验证码".into()))?;
    if latest.burned_at.is_some() {
        return Err(AppError::Validation(BURNED.into()));
    }
    if now >= latest.expires_at {
        return Err(AppError::Validation("验证码已过期，请重新获取".into()));
    }
    // The attempt is counted before the code is compared, and only while attempts are left:
    // however many guesses arrive at once, at most MAX_ATTEMPTS of them are ever compared.
    let counted = db
        .write()
        .query_one_raw(statement(
            db.backend(),
            "UPDATE sms_code SET attempts = attempts + 1 \
             WHERE id = ? AND attempts < ? AND consumed_at IS NULL AND burned_at IS NULL \
             RETURNING attempts",
            [latest.id.into(), MAX_ATTEMPTS.into()],
        ))
        .await?;
    let Some(row) = counted else {
        return Err(AppError::Validation(BURNED.into()));
    };
    let attempts: i32 = row.try_get_by_index(0)?;
    let matches = latest
        .code_hash
        .split_once('$')
        .is_some_and(|(salt, stored)| {
            bool::from(
                hash(salt, phone, code.trim())
                    .as_bytes()
                    .ct_eq(stored.as_bytes()),
            )
        });
    if matches {
        // Exactly one request may consume the code, even if two guessed it at once.
        let consumed = sms_code::Entity::update_many()
            .col_expr(
                sms_code::Column::ConsumedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(sms_code::Column::Id.eq(latest.id))
            .filter(sms_code::Column::ConsumedAt.is_null())
            .filter(sms_code::Column::BurnedAt.is_null())
            .exec(db.write())
            .await?;
        return if consumed.rows_affected == 1 {
            Ok(())
        } else {
            Err(AppError::Validation("验证码已使用，请重新获取".into()))
        };
    }
    if attempts >= MAX_ATTEMPTS {
        sms_code::Entity::update_many()
            .col_expr(
                sms_code::Column::BurnedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(sms_code::Column::Id.eq(latest.id))
            .filter(sms_code::Column::BurnedAt.is_null())
            .filter(sms_code::Column::ConsumedAt.is_null())
            .exec(db.write())
            .await?;
        return Err(AppError::Validation(BURNED.into()));
    }
    Err(AppError::Validation(format!(
        "验证码不正确，还可以再试{}次",
        MAX_ATTEMPTS - attempts
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_day_starts_at_beijing_midnight() {
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 15, 30, 0).unwrap(); // 23:30 in Beijing
        assert_eq!(
            start_of_local_day(at),
            Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).unwrap()
        );
        let after_midnight = Utc.with_ymd_and_hms(2026, 11, 26, 16, 30, 0).unwrap();
        assert_eq!(
            start_of_local_day(after_midnight),
            Utc.with_ymd_and_hms(2026, 11, 26, 16, 0, 0).unwrap()
        );
    }
}
