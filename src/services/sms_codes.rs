//! SMS verification codes: issue, limit, verify.
//!
//! Rules: a code lives 5 minutes; one send per phone per minute and 10 per phone per day
//! (Beijing calendar day); 5 wrong attempts burn the code. Only a hash of the code is stored.
//! Limits count per phone across firms, since they protect the person holding the phone.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::db::Database;
use crate::db::entities::sms_code;
use crate::domain::clock::SHANGHAI_OFFSET;
use crate::error::{AppError, AppResult};
use crate::sms::SmsSender;

pub const CODE_LIFETIME_MINUTES: u32 = 5;
pub const RESEND_AFTER_SECONDS: i64 = 60;
pub const MAX_SENDS_PER_DAY: u64 = 10;
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

/// Creates and sends a code. Returns the code itself so demo mode can show it; callers must not
/// reveal it otherwise.
pub async fn send(
    db: &Database,
    sender: &dyn SmsSender,
    firm_id: i64,
    phone: &str,
    purpose: sms_code::Purpose,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let recent = sms_code::Entity::find()
        .filter(sms_code::Column::Phone.eq(phone))
        .filter(sms_code::Column::CreatedAt.gt(now - Duration::seconds(RESEND_AFTER_SECONDS)))
        .count(db.read())
        .await?;
    if recent > 0 {
        return Err(AppError::TooManyRequests(
            "验证码已发送，请60秒后再试".into(),
        ));
    }
    let today = sms_code::Entity::find()
        .filter(sms_code::Column::Phone.eq(phone))
        .filter(sms_code::Column::CreatedAt.gte(start_of_local_day(now)))
        .count(db.read())
        .await?;
    if today >= MAX_SENDS_PER_DAY {
        return Err(AppError::TooManyRequests(
            "该手机号今日获取验证码次数已达上限（10次），请明天再试".into(),
        ));
    }
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let salt = uuid::Uuid::new_v4().simple().to_string();
    let row = sms_code::ActiveModel {
        firm_id: Set(firm_id),
        phone: Set(phone.to_string()),
        purpose: Set(purpose),
        code_hash: Set(format!("{salt}${}", hash(&salt, phone, &code))),
        expires_at: Set(now + Duration::minutes(i64::from(CODE_LIFETIME_MINUTES))),
        attempts: Set(0),
        consumed_at: Set(None),
        burned_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db.write())
    .await?;
    if let Err(e) = sender.send_code(phone, &code, CODE_LIFETIME_MINUTES).await {
        // Not counted against the limits: the person never received it.
        sms_code::Entity::delete_by_id(row.id)
            .exec(db.write())
            .await?;
        tracing::warn!(error = %e, "sending an SMS code failed");
        return Err(AppError::Unavailable(format!("短信发送失败：{e}")));
    }
    Ok(code)
}

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
        return Err(AppError::Validation(
            "验证码错误次数过多已失效，请重新获取".into(),
        ));
    }
    if now >= latest.expires_at {
        return Err(AppError::Validation("验证码已过期，请重新获取".into()));
    }
    let code = code.trim();
    let matches = latest
        .code_hash
        .split_once('$')
        .is_some_and(|(salt, stored)| {
            bool::from(hash(salt, phone, code).as_bytes().ct_eq(stored.as_bytes()))
        });
    let attempts = latest.attempts + 1;
    let mut row = latest.into_active_model();
    if matches {
        row.consumed_at = Set(Some(now));
        row.update(db.write()).await?;
        return Ok(());
    }
    row.attempts = Set(attempts);
    if attempts >= MAX_ATTEMPTS {
        row.burned_at = Set(Some(now));
    }
    row.update(db.write()).await?;
    if attempts >= MAX_ATTEMPTS {
        Err(AppError::Validation(
            "验证码错误次数过多已失效，请重新获取".into(),
        ))
    } else {
        Err(AppError::Validation(format!(
            "验证码不正确，还可以再试{}次",
            MAX_ATTEMPTS - attempts
        )))
    }
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
