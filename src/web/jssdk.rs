//! `POST /wecom/jssdk/sign`: signatures for `wx.config` and `wx.agentConfig` over a page of ours.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::db::entities::web_session;
use crate::error::AppResult;
use crate::services::signin;
use crate::state::AppState;
use crate::web::extractors;

#[derive(Deserialize)]
pub struct SignRequest {
    url: String,
    corp_id: Option<String>,
}

pub async fn sign(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<SignRequest>,
) -> AppResult<HttpResponse> {
    let firm_id = match extractors::current(&state, &req, web_session::Kind::Sidebar).await? {
        Some(me) => me.firm_id,
        None => {
            signin::resolve_firm(&state, body.corp_id.as_deref())
                .await?
                .id
        }
    };
    let signed = crate::services::jssdk::sign(&state, firm_id, &body.url).await?;
    Ok(HttpResponse::Ok().json(signed))
}
