//! `GET /admin`: the back office's first page.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::domain::clock::to_local;
use crate::error::AppResult;
use crate::services::dashboard::{self, Dashboard};
use crate::services::overview::{self, SystemStatus};
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
}

impl HomePage {
    fn yuan(&self, fen: &i64) -> String {
        dashboard::yuan(*fen)
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
    Ok(HomePage {
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
