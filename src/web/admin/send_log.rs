//! `/admin/sends`: 沟通记录, the sidebar's sends into chats. Admins see everyone's and filter by
//! employee; staff see their own.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::message_templates::Scene;
use crate::error::{AppError, AppResult};
use crate::services::chat_admin::Paged;
use crate::services::employee_admin;
use crate::services::send_log::{self, SendFilter, SendRow};
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::csrf::CsrfToken;
use crate::web::extractors::BackOfficeEmployee;

const HERE: &str = "/admin/sends";

/// The query string as typed; parsed with Chinese messages.
#[derive(Deserialize, Default, Clone)]
pub struct SendQuery {
    #[serde(default)]
    employee: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    scene: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
}

fn date(text: &str, what: &str) -> AppResult<Option<NaiveDate>> {
    match text.trim() {
        "" => Ok(None),
        t => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::Validation(format!("{what}应为 2026-11-05 这样的日期"))),
    }
}

impl SendQuery {
    fn filter(&self) -> AppResult<SendFilter> {
        let number = |text: &str, what: &str| -> AppResult<Option<i64>> {
            match text.trim() {
                "" => Ok(None),
                t => t
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(Some)
                    .ok_or_else(|| AppError::Validation(format!("{what}不正确"))),
            }
        };
        Ok(SendFilter {
            employee_id: number(&self.employee, "员工")?,
            customer: self.customer.clone(),
            scene: match self.scene.trim() {
                "" => None,
                code => Some(
                    Scene::parse(code)
                        .ok_or_else(|| AppError::Validation("发送场景不正确".into()))?,
                ),
            },
            from: date(&self.from, "开始日期")?,
            to: date(&self.to, "结束日期")?,
            page: number(&self.page, "页码")?.map_or(1, |p| p as u64),
        })
    }

    /// This query with another page, for the pager's links.
    pub fn with_page(&self, page: u64) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("employee", &self.employee),
            ("customer", &self.customer),
            ("scene", &self.scene),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.append_pair("page", &page.to_string());
        s.finish()
    }

    fn employee_is(&self, id: &i64) -> bool {
        self.employee.trim() == id.to_string()
    }

    fn scene_is(&self, code: &str) -> bool {
        self.scene == code
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/send_log.html")]
pub struct SendLogPage {
    chrome: Chrome,
    q: SendQuery,
    list: Paged<SendRow>,
    employees: Vec<(i64, String)>,
    scenes: Vec<(&'static str, &'static str)>,
}

pub async fn show(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<SendQuery>,
) -> AppResult<SendLogPage> {
    let q = query.into_inner();
    let list = send_log::list(&state.ctx, &me, &q.filter()?).await?;
    let employees = if me.is_admin() {
        employee_admin::list(&state, &me)
            .await?
            .into_iter()
            .map(|v| (v.employee.id, v.employee.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(SendLogPage {
        chrome: Chrome::new(&me, HERE, csrf.0),
        q,
        list,
        employees,
        scenes: Scene::ALL.iter().map(|s| (s.code(), s.label())).collect(),
    })
}
