//! The WeCom chat sidebar: sign-in through WeCom OAuth, the one-time binding by phone and SMS
//! code, and the shell that hosts the customer pages.

pub mod bind;
pub mod sections;
pub mod shell;
pub mod signin;

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, web};
use rand::Rng;
use rand::distr::Alphanumeric;

/// The sidebar's URL map, mounted under `/sidebar`: each page module adds its own routes here.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(shell::show))
        .route("/signin", web::get().to(signin::begin))
        .route("/oauth/callback", web::get().to(signin::oauth_callback))
        .route("/logout", web::post().to(signin::logout))
        .route("/bind", web::get().to(bind::form))
        .route("/bind", web::post().to(bind::bind))
        .route("/bind/code", web::post().to(bind::send_code))
        .route(
            "/customers/{customer_id}/billing",
            web::get().to(sections::billing),
        )
        .route(
            "/customers/{customer_id}/billing/payments",
            web::post().to(sections::confirm),
        )
        .route(
            "/customers/{customer_id}/billing/payments/{payment_id}/reverse",
            web::post().to(sections::reverse),
        )
        .route(
            "/customers/{customer_id}/billing/dunning",
            web::post().to(sections::dunning),
        )
        .route(
            "/customers/{customer_id}/billing/receipts/{receipt_id}.png",
            web::get().to(sections::receipt_png),
        )
        .route(
            "/customers/{customer_id}/billing/receipts/{receipt_id}/media",
            web::post().to(sections::receipt_media),
        )
        .route(
            "/customers/{customer_id}/collection",
            web::get().to(sections::collection_view),
        )
        .route(
            "/customers/{customer_id}/collection",
            web::post().to(sections::collection_record),
        )
        .route(
            "/customers/{customer_id}/collection/{collection_id}/media",
            web::post().to(sections::collection_media),
        )
        .route(
            "/customers/{customer_id}/collection/{collection_id}.png",
            web::get().to(sections::collection_png),
        )
        .route(
            "/customers/{customer_id}/filings",
            web::get().to(sections::filings_view),
        )
        .route(
            "/customers/{customer_id}/reports",
            web::get().to(sections::reports_view),
        )
        .route(
            "/customers/{customer_id}/reports/{period}.xlsx",
            web::get().to(sections::reports_xlsx),
        )
        .route(
            "/customers/{customer_id}/invoices",
            web::get().to(sections::invoices_view),
        );
}

fn random_text(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn client_addr(req: &HttpRequest) -> Option<std::net::IpAddr> {
    let state = req.app_data::<actix_web::web::Data<crate::state::AppState>>()?;
    crate::web::client_ip::client_ip(req, &state.settings.server.trusted_proxies)
}

fn client_ip(req: &HttpRequest) -> Option<String> {
    client_addr(req).map(|ip| ip.to_string())
}

fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn redirect(to: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Found()
        .insert_header((LOCATION, to.to_string()))
        .finish()
}
