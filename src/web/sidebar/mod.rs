//! The WeCom chat sidebar: sign-in through WeCom OAuth, the one-time binding by phone and SMS
//! code, and the shell that hosts the customer pages.

pub mod bind;
pub mod compose;
pub mod customers;
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
            "/customers/{customer_id}/reports/{period}/media",
            web::post().to(sections::reports_media),
        )
        .route(
            "/customers/{customer_id}/invoices",
            web::get().to(sections::invoices_view),
        )
        .route(
            "/contact/{external_userid}",
            web::get().to(customers::contact_panel),
        )
        .route("/group/{chat_id}", web::get().to(customers::group_panel))
        .route("/customers/search", web::get().to(customers::search))
        .route("/links", web::post().to(customers::link))
        .route(
            "/customers/{customer_id}/contacts",
            web::post().to(customers::add_contact),
        )
        .route(
            "/customers/{customer_id}/tags",
            web::post().to(customers::set_tags),
        )
        .route(
            "/customers/{customer_id}/followups",
            web::post().to(customers::add_follow_up),
        )
        .route(
            "/customers/{customer_id}/{section}",
            web::get().to(customers::section),
        )
        .route(
            "/customers/{customer_id}/compose/{scene}",
            web::get().to(compose::compose),
        )
        .route("/sends", web::post().to(compose::record))
        .route("/attachments/{id}", web::get().to(customers::attachment))
        .route(
            "/customers/{customer_id}/reports/{period}.png",
            web::get().to(sections::reports_png),
        )
        .route(
            "/customers/{customer_id}/reports/{period}/image/media",
            web::post().to(sections::reports_image_media),
        )
        .app_data(web::PayloadConfig::new(
            crate::services::media_store::MAX_BYTES * crate::services::follow_ups::MAX_FILES
                + 64 * 1024,
        ));
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

#[derive(askama::Template)]
#[template(path = "sidebar/page.html")]
struct WholePage<'a> {
    title: &'a str,
    csrf: &'a str,
    body: &'a str,
}

/// The fragment alone when the shell asks (`HX-Request`), otherwise the fragment inside a whole
/// sidebar page, so every page is usable and testable on its own.
pub(crate) fn page_or_fragment(
    req: &HttpRequest,
    title: &str,
    csrf: &str,
    fragment: &impl askama::Template,
) -> crate::error::AppResult<actix_web::HttpResponse> {
    use askama::Template as _;
    let body = fragment
        .render()
        .map_err(crate::error::AppError::internal)?;
    let html = if req.headers().contains_key("hx-request") {
        body
    } else {
        WholePage {
            title,
            csrf,
            body: &body,
        }
        .render()
        .map_err(crate::error::AppError::internal)?
    };
    Ok(actix_web::HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// The client's address as the audit log records it.
pub(crate) fn request_ip(req: &HttpRequest) -> Option<String> {
    client_ip(req)
}
