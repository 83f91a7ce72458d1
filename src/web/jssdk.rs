//! `POST /wecom/jssdk/sign`: signatures for `wx.config` and `wx.agentConfig` over a page of ours,
//! for a signed-in sidebar only (the sidebar page is the only one that needs them).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::error::AppResult;
use crate::state::AppState;
use crate::web::extractors::SidebarEmployee;

/// A page URL and nothing else fits in far less.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

#[derive(Deserialize)]
pub struct SignRequest {
    url: String,
}

pub async fn sign(
    state: web::Data<AppState>,
    me: SidebarEmployee,
    body: web::Json<SignRequest>,
) -> AppResult<HttpResponse> {
    let signed = crate::services::jssdk::sign(&state, me.firm_id, &body.url).await?;
    Ok(HttpResponse::Ok().json(signed))
}
