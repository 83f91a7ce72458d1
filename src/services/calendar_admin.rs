//! Entering the official filing calendar (征期日历) and the State Council's holidays and 调休
//! working days in the back office. Months without an official date use a provisional date
//! computed from the holidays, marked as such everywhere it shows.
//!
//! The calendar is national reference data shared by every firm on this installation, so only a
//! super admin changes it; each change is in the changing firm's audit log.

use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::db::entities::{employee, filing_calendar, holiday};
use crate::domain::period::Period;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Object, Who};
use crate::services::sessions::CurrentEmployee;
use crate::services::{Ctx, calendar};

pub struct MonthRow {
    pub month: u32,
    pub date: NaiveDate,
    pub provisional: bool,
    pub source: String,
}

pub struct CalendarView {
    pub year: i32,
    pub months: Vec<MonthRow>,
    pub holidays: Vec<holiday::Model>,
    pub may_edit: bool,
}

fn may_edit(me: &CurrentEmployee) -> bool {
    me.role == employee::Role::SuperAdmin
}

fn require_edit(me: &CurrentEmployee) -> AppResult<()> {
    me.require_admin()?;
    if may_edit(me) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "征期日历和节假日是所有公司共用的数据，只有超级管理员可以修改".into(),
        ))
    }
}

pub async fn view(ctx: &Ctx, me: &CurrentEmployee, year: i32) -> AppResult<CalendarView> {
    me.require_admin()?;
    if !(2000..=2100).contains(&year) {
        return Err(AppError::Validation("年份不正确".into()));
    }
    let cal = calendar::load(&ctx.db).await?;
    let sources: Vec<filing_calendar::Model> = filing_calendar::Entity::find()
        .filter(filing_calendar::Column::Year.eq(year))
        .filter(filing_calendar::Column::Region.eq(""))
        .all(ctx.db.read())
        .await?;
    let mut months = Vec::new();
    for month in 1..=12u32 {
        let period =
            Period::new(year, month).map_err(|e| AppError::internal(format!("period: {e}")))?;
        let d = cal.deadline(period);
        months.push(MonthRow {
            month,
            date: d.date,
            provisional: d.provisional,
            source: sources
                .iter()
                .find(|s| s.month == month as i32)
                .and_then(|s| s.source.clone())
                .unwrap_or_default(),
        });
    }
    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    let holidays = holiday::Entity::find()
        .filter(holiday::Column::Day.gte(start))
        .filter(holiday::Column::Day.lte(end))
        .order_by_asc(holiday::Column::Day)
        .all(ctx.db.read())
        .await?;
    Ok(CalendarView {
        year,
        months,
        holidays,
        may_edit: may_edit(me),
    })
}

/// Enters (or, with `None`, removes) the official deadline of one filing month.
pub async fn set_deadline(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    year: i32,
    month: u32,
    date: Option<NaiveDate>,
    source: &str,
) -> AppResult<()> {
    require_edit(me)?;
    if !(1..=12).contains(&month) || !(2000..=2100).contains(&year) {
        return Err(AppError::Validation("年月不正确".into()));
    }
    if let Some(d) = date
        && (d.year() != year || d.month() != month)
    {
        return Err(AppError::Validation(format!(
            "{year}年{month}月的申报截止日应在当月内"
        )));
    }
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let existing = filing_calendar::Entity::find()
        .filter(filing_calendar::Column::Year.eq(year))
        .filter(filing_calendar::Column::Month.eq(month as i32))
        .filter(filing_calendar::Column::Region.eq(""))
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(|e| json!({ "deadline": e.deadline }));
    let source =
        Some(source.trim().chars().take(100).collect::<String>()).filter(|s| !s.is_empty());
    match (existing, date) {
        (Some(e), Some(d)) => {
            let mut active = e.into_active_model();
            active.deadline = Set(d);
            active.source = Set(source);
            active.updated_at = Set(now);
            active.update(&txn).await?;
        }
        (Some(e), None) => {
            filing_calendar::Entity::delete_by_id(e.id)
                .exec(&txn)
                .await?;
        }
        (None, Some(d)) => {
            filing_calendar::ActiveModel {
                year: Set(year),
                month: Set(month as i32),
                deadline: Set(d),
                region: Set(String::new()),
                source: Set(source),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        (None, None) => {}
    }
    audit::record_in(
        &txn,
        now,
        &Who::employee(me, ip),
        "filing_calendar.set",
        Object {
            entity: "filing_calendar",
            id: Some(i64::from(year) * 100 + i64::from(month)),
        },
        before,
        date.map(|d| json!({ "deadline": d })),
    )
    .await?;
    txn.commit().await?;
    ctx.calendar.invalidate();
    Ok(())
}

/// Enters a holiday or an adjusted working day (replacing what the day was).
pub async fn set_day(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    day: NaiveDate,
    kind: Option<holiday::Kind>,
    name: &str,
) -> AppResult<()> {
    require_edit(me)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let existing = holiday::Entity::find_by_id(day).one(&txn).await?;
    let before = existing
        .as_ref()
        .map(|h| json!({ "kind": h.kind, "name": h.name }));
    if existing.is_some() {
        holiday::Entity::delete_by_id(day).exec(&txn).await?;
    }
    let name = name.trim().chars().take(30).collect::<String>();
    if let Some(kind) = kind {
        let name = if name.is_empty() {
            match kind {
                holiday::Kind::Holiday => "法定节假日".to_string(),
                holiday::Kind::Workday => "调休上班".to_string(),
            }
        } else {
            name
        };
        holiday::ActiveModel {
            day: Set(day),
            kind: Set(kind),
            name: Set(name),
        }
        .insert(&txn)
        .await?;
    }
    audit::record_in(
        &txn,
        now,
        &Who::employee(me, ip),
        "holiday.set",
        Object {
            entity: "holiday",
            id: Some(i64::from(day.num_days_from_ce())),
        },
        before,
        kind.map(|k| json!({ "day": day, "kind": k })),
    )
    .await?;
    txn.commit().await?;
    ctx.calendar.invalidate();
    Ok(())
}
