//! 跟进: a customer's follow-up history and 新增跟进 (text, kind, next follow-up date).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

use crate::db::entities::follow_up;
use crate::db::statement;
use crate::domain::clock::SHANGHAI_OFFSET;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::attachments::{self, Owner};
use crate::services::audit::{self, Object, Who};
use crate::services::sessions::CurrentEmployee;
use crate::services::sidebar::{self, Section};

#[derive(Clone, Debug)]
pub struct Row {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub by: String,
    pub kind: follow_up::Kind,
    pub content: String,
    pub next_at: Option<DateTime<Utc>>,
    pub attachments: Vec<AttachmentRow>,
}

pub use crate::services::attachments::AttachmentRow;

/// At most this many files per follow-up.
pub const MAX_FILES: usize = attachments::MAX_FILES;

/// The Chinese name of a follow-up kind.
pub fn kind_label(kind: follow_up::Kind) -> &'static str {
    match kind {
        follow_up::Kind::Chat => "微信沟通",
        follow_up::Kind::Call => "电话",
        follow_up::Kind::Visit => "上门拜访",
        follow_up::Kind::Other => "其他",
    }
}

/// The latest 50 follow-ups, newest first.
pub async fn list(ctx: &Ctx, who: &CurrentEmployee, customer_id: i64) -> AppResult<Vec<Row>> {
    let customer = sidebar::customer_for(ctx, who, customer_id, Section::FollowUps).await?;
    // With the name of who wrote each: a join, not a list of their ids.
    let rows: Vec<(follow_up::Model, Option<String>)> = crate::db::with_column(
        ctx.db.read(),
        statement(
            ctx.db.backend(),
            "SELECT f.*, e.name AS employee_name FROM follow_up f \
             LEFT JOIN employee e ON e.firm_id = f.firm_id AND e.id = f.employee_id \
             WHERE f.firm_id = ? AND f.customer_id = ? AND f.deleted_at IS NULL \
             ORDER BY f.created_at DESC, f.id DESC LIMIT 50",
            [who.firm_id.into(), customer.id.into()],
        ),
        "employee_name",
    )
    .await?;
    let mut files = attachments::list(
        ctx,
        who.firm_id,
        Owner::FollowUp,
        rows.iter().map(|(r, _)| r.id),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(r, name)| Row {
            id: r.id,
            at: r.created_at,
            by: name.unwrap_or_else(|| "—".into()),
            kind: r.kind,
            content: r.content,
            next_at: r.next_at,
            attachments: files.remove(&r.id).unwrap_or_default(),
        })
        .collect())
}

#[derive(Clone, Debug)]
pub struct NewFollowUp {
    pub content: String,
    pub kind: String,
    /// `YYYY-MM-DD` or empty.
    pub next_date: String,
    /// Uploaded files: the name the browser gave (shown only) and the bytes.
    pub files: Vec<(Option<String>, Vec<u8>)>,
}

fn parse_kind(code: &str) -> AppResult<follow_up::Kind> {
    Ok(match code {
        "chat" | "" => follow_up::Kind::Chat,
        "call" => follow_up::Kind::Call,
        "visit" => follow_up::Kind::Visit,
        "other" => follow_up::Kind::Other,
        _ => return Err(AppError::Validation("跟进方式不正确".into())),
    })
}

/// 新增跟进; the next follow-up date is 09:00 Beijing time that day.
pub async fn add(
    ctx: &Ctx,
    me: &CurrentEmployee,
    who: &Who,
    customer_id: i64,
    input: NewFollowUp,
) -> AppResult<follow_up::Model> {
    let customer = sidebar::customer_for(ctx, me, customer_id, Section::FollowUps).await?;
    let content = input.content.trim().to_string();
    if content.is_empty() || content.chars().count() > 2000 {
        return Err(AppError::Validation("请填写跟进内容（2000字以内）".into()));
    }
    let kind = parse_kind(input.kind.trim())?;
    let next_at = match input.next_date.trim() {
        "" => None,
        d => {
            let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| AppError::Validation("下次跟进日期不正确".into()))?;
            let local = date
                .and_hms_opt(9, 0, 0)
                .and_then(|t| SHANGHAI_OFFSET.from_local_datetime(&t).single())
                .ok_or_else(|| AppError::Validation("下次跟进日期不正确".into()))?;
            Some(local.with_timezone(&Utc))
        }
    };
    let checked = attachments::check_all(&input.files)?;
    let now = ctx.now();
    let stored = attachments::put_all(ctx, me.firm_id, checked).await?;
    let saved = async {
        let txn = ctx.db.begin_write().await?;
        let row = follow_up::ActiveModel {
            firm_id: Set(me.firm_id),
            customer_id: Set(customer.id),
            employee_id: Set(Some(me.employee_id)),
            kind: Set(kind),
            content: Set(content),
            next_at: Set(next_at),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        stored
            .attach(&txn, me, Owner::FollowUp, row.id, now)
            .await?;
        audit::record_in(
            &txn,
            now,
            who,
            "follow_up.create",
            Object::new("follow_up", row.id),
            None,
            Some(json!({ "customer_id": customer.id, "kind": row.kind, "next_at": row.next_at, "attachments": stored.len() })),
        )
        .await?;
        txn.commit().await?;
        Ok(row)
    }
    .await;
    stored.keep_if(ctx, saved).await
}
