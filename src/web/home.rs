//! `GET /`: what is running and where to go from here.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::error::AppResult;
use crate::services::overview::{self, Overview};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    o: Overview,
    started: String,
}

pub async fn show(state: web::Data<AppState>) -> AppResult<HomePage> {
    let o = overview::load(&state, state.started_at).await?;
    let started = crate::domain::clock::to_local(o.started_at)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    Ok(HomePage { o, started })
}
