//! HTTP: the whole URL map in one place, plus the middleware every response passes through.
//!
//! Handlers stay thin: parse the request, call one service function, render one template.

pub mod assets;
pub mod cookies;
pub mod error_pages;
pub mod health;
pub mod home;
pub mod sidebar;
pub mod wecom_callback;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::web;

use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::show))
        .route("/healthz", web::get().to(health::check))
        .route("/static/{path:.*}", web::get().to(assets::serve))
        .route("/sidebar", web::get().to(sidebar::show))
        .route(
            "/sidebar/oauth/callback",
            web::get().to(sidebar::oauth_callback),
        )
        .route("/sidebar/bind", web::get().to(sidebar::bind_form))
        .route("/sidebar/bind", web::post().to(sidebar::bind))
        .route("/sidebar/bind/code", web::post().to(sidebar::send_code))
        .route("/sidebar/logout", web::post().to(sidebar::logout))
        .route("/wecom/jssdk/sign", web::post().to(sidebar::jssdk_sign))
        .service(
            web::resource("/wecom/callback/{corp_id}")
                .route(web::get().to(wecom_callback::verify))
                .route(web::post().to(wecom_callback::receive)),
        )
        .service(
            web::resource("/wecom/callback/{corp_id}/{agent_id}")
                .route(web::get().to(wecom_callback::verify_agent))
                .route(web::post().to(wecom_callback::receive_agent)),
        )
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound("页面不存在".into()))
}

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
}

/// One line per request at debug level: method, path (never the query) and status.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    let response = next.call(req).await?;
    tracing::debug!(
        %method,
        %path,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    Ok(response)
}
