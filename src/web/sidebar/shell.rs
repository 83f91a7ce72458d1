//! `GET /sidebar`: the page WeCom's chat toolbar opens. Signed in, it is the shell that hosts the
//! customer pages; otherwise it starts WeCom sign-in and comes back here.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::db::entities::web_session;
use crate::error::AppResult;
use crate::services::sessions::CurrentEmployee;
use crate::state::AppState;
use crate::web::csrf::CsrfToken;
use crate::web::extractors;
use crate::web::labels::Label;

#[derive(Template, WebTemplate)]
#[template(path = "sidebar/shell.html")]
struct ShellPage {
    me: CurrentEmployee,
    demo: bool,
    csrf: String,
}

impl ShellPage {
    fn role(&self) -> &'static str {
        self.me.role.label()
    }
}

#[derive(Deserialize)]
pub struct ShellQuery {
    corp_id: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    query: web::Query<ShellQuery>,
) -> AppResult<HttpResponse> {
    let wanted = query.corp_id.as_deref().filter(|c| !c.is_empty());
    if let Some(me) = extractors::current(&state, &req, web_session::Kind::Sidebar).await?
        && wanted.is_none_or(|c| c == me.corp_id)
    {
        let page = ShellPage {
            me,
            demo: state.demo(),
            csrf: csrf.0,
        };
        return Ok(page.respond_to(&req).map_into_boxed_body());
    }
    let back = req
        .uri()
        .path_and_query()
        .map_or("/sidebar", |p| p.as_str());
    super::signin::start(&state, &req, wanted, back).await
}
