//! `GET /sidebar`: the page WeCom's chat toolbar opens. Signed in, it is the shell that hosts the
//! customer pages; otherwise it starts WeCom sign-in and comes back here.
//!
//! The shell paints the customer of the employee's last chat at once, from the server; the
//! bridge (`static/js/wecom-bridge.js`) then asks WeCom for the current chat and swaps the panel
//! only when it differs. In demo mode a picker of the sandbox's contacts and groups stands in
//! for WeCom's context, and sent messages show in a preview panel.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::db::entities::web_session;
use crate::error::AppResult;
use crate::services::sessions::CurrentEmployee;
use crate::services::sidebar::{self, ChatRef};
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
    /// The last chat and its panel, rendered here so the first paint needs no script.
    last: Option<ChatRef>,
    panel_html: Option<String>,
    /// Demo mode: the chats to pick from.
    demo_chats: Vec<sidebar::DemoChat>,
}

impl ShellPage {
    fn role(&self) -> &'static str {
        self.me.role.label()
    }
    fn last_type(&self) -> &str {
        self.last.as_ref().map_or("", |c| c.type_code())
    }
    fn last_key(&self) -> &str {
        self.last.as_ref().map_or("", |c| c.key())
    }
    fn picked(&self, c: &ChatRef) -> bool {
        self.last.as_ref() == Some(c)
    }
    fn demo_chats_where(&self, mine: &bool) -> Vec<&sidebar::DemoChat> {
        self.demo_chats.iter().filter(|c| c.mine == *mine).collect()
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
        let last = sidebar::last_context(&state.ctx, &me).await?;
        let mut panel_html = None;
        if let Some(chat) = &last {
            // A chat that is gone or out of reach since is simply not painted.
            if let Ok(panel) = sidebar::panel(&state.ctx, &me, chat, None).await {
                panel_html = Some(
                    super::customers::PanelView {
                        panel,
                        csrf: csrf.0.clone(),
                    }
                    .render()
                    .map_err(crate::error::AppError::internal)?,
                );
            }
        }
        let demo_chats = if state.demo() {
            sidebar::demo_chats(&state.ctx, &me).await?
        } else {
            Vec::new()
        };
        let page = ShellPage {
            me,
            demo: state.demo(),
            csrf: csrf.0,
            last: panel_html.as_ref().and(last),
            panel_html,
            demo_chats,
        };
        return Ok(page.respond_to(&req).map_into_boxed_body());
    }
    let back = req
        .uri()
        .path_and_query()
        .map_or("/sidebar", |p| p.as_str());
    super::signin::start(&state, &req, wanted, back).await
}
