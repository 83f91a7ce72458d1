//! `/admin/calendar`: the official filing calendar and the holidays, by year.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::db::entities::holiday;
use crate::domain::clock::today_local;
use crate::error::{AppError, AppResult};
use crate::services::calendar_admin::{self, CalendarView};
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::admin::common::{ip, see_other};
use crate::web::csrf::{CsrfForm, CsrfToken, WithCsrf};
use crate::web::extractors::BackOfficeEmployee;

#[derive(Template, WebTemplate)]
#[template(path = "admin/calendar.html")]
pub struct CalendarPage {
    chrome: Chrome,
    v: CalendarView,
}

impl CalendarPage {
    fn is_holiday(&self, h: &holiday::Model) -> bool {
        h.kind == holiday::Kind::Holiday
    }
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<i32>,
}

pub async fn show(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<YearQuery>,
) -> AppResult<CalendarPage> {
    let year = query
        .year
        .unwrap_or_else(|| today_local(state.now()).year());
    let v = calendar_admin::view(&state, &me, year).await?;
    Ok(CalendarPage {
        chrome: Chrome::new(&me, "/admin/calendar", csrf.0),
        v,
    })
}

#[derive(Deserialize)]
pub struct CalendarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: i32,
    #[serde(default)]
    month: u32,
    #[serde(default)]
    date: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

impl WithCsrf for CalendarForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn parse_date(text: &str) -> AppResult<Option<NaiveDate>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| AppError::Validation("日期格式应为 YYYY-MM-DD".into()))
}

pub async fn set_deadline(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    form: CsrfForm<CalendarForm>,
) -> AppResult<HttpResponse> {
    let date = parse_date(&form.date)?;
    calendar_admin::set_deadline(
        &state,
        &me,
        ip(&req),
        form.year,
        form.month,
        date,
        &form.source,
    )
    .await?;
    Ok(see_other(format!("/admin/calendar?year={}", form.year)))
}

pub async fn set_day(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    form: CsrfForm<CalendarForm>,
) -> AppResult<HttpResponse> {
    let day = parse_date(&form.day)?.ok_or_else(|| AppError::Validation("请选择日期".into()))?;
    let kind = match form.kind.as_str() {
        "holiday" => Some(holiday::Kind::Holiday),
        "workday" => Some(holiday::Kind::Workday),
        _ => None,
    };
    calendar_admin::set_day(&state, &me, ip(&req), day, kind, &form.name).await?;
    Ok(see_other(format!("/admin/calendar?year={}", day.year())))
}
