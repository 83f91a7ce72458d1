//! `GET /`: that the service runs and where to go from here; in demo mode, what is running.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::error::AppResult;
use crate::services::overview::{self, Overview};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    version: &'static str,
    /// Demo mode only: the page is public.
    details: Option<Details>,
}

struct Details {
    o: Overview,
    started: String,
    /// The demo admin's phone and password, for the back office.
    admin: Option<(String, String)>,
}

pub async fn show(state: web::Data<AppState>) -> AppResult<HomePage> {
    let admin = crate::services::demo::admin_credentials(&state).await?;
    let details = overview::load(&state, state.started_at)
        .await?
        .map(|o| Details {
            started: crate::domain::clock::to_local(o.started_at)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            o,
            admin,
        });
    Ok(HomePage {
        version: env!("CARGO_PKG_VERSION"),
        details,
    })
}
