//! `GET /admin`: the back office's first page.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::db::entities::customer;
use crate::domain::clock::to_local;
use crate::error::AppResult;
use crate::services::dashboard::{self, Dashboard};
use crate::services::overview::{self, SystemStatus};
use crate::services::sidebar::{self, Summary};
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::csrf::CsrfToken;
use crate::web::extractors::BackOfficeEmployee;

#[derive(Template, WebTemplate)]
#[template(path = "admin/home.html")]
pub struct HomePage {
    chrome: Chrome,
    /// Admins only.
    status: Option<SystemStatus>,
    /// Admins only.
    dashboard: Option<Dashboard>,
    started: String,
    permissions: Vec<&'static str>,
    /// Admins only: the WeCom block (templates/admin/wecom_status.html).
    wecom: Option<crate::services::wecom_sync::HomeStatus>,
    /// How many customers the employee serves, and those with something to do.
    served: usize,
    work: Vec<Summary>,
}

impl HomePage {
    fn yuan(&self, fen: &i64) -> String {
        dashboard::yuan(*fen)
    }

    /// 服务到期 as the list shows it: for a customer still served, when it ends within 30 days
    /// or has ended.
    fn expiry(&self, s: &Summary) -> String {
        if s.customer.service_status != customer::ServiceStatus::Serving {
            return String::new();
        }
        match s.days_left {
            Some(d) if d < 0 => format!("已到期 {} 天", -d),
            Some(0) => "今天到期".to_string(),
            Some(d) if d <= 30 => format!("{d} 天后到期"),
            _ => String::new(),
        }
    }
}

pub async fn show(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
) -> AppResult<HomePage> {
    let (status, dashboard) = if me.is_admin() {
        (
            Some(overview::system_status(&state, &me, state.started_at).await?),
            Some(dashboard::load(&state, &me).await?),
        )
    } else {
        (None, None)
    };
    let wecom = crate::services::wecom_sync::home_status(&state, &me).await?;
    let (served, work) = sidebar::work_list(&state.ctx, &me).await?;
    Ok(HomePage {
        served,
        work,
        wecom,
        started: to_local(state.started_at)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        permissions: me.permissions.iter().map(|p| p.label()).collect(),
        chrome: Chrome::new(&me, "/admin", csrf.0),
        status,
        dashboard,
    })
}
