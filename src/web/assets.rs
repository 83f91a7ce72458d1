//! Static files compiled into the binary, so a deployment is one file plus its config.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

use crate::error::AppError;

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "css/app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/css/app.css"),
    ),
    (
        "js/bind.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/bind.js"),
    ),
    (
        "vendor/htmx/htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/vendor/htmx/htmx.min.js"),
    ),
    (
        "js/sidebar.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/sidebar.js"),
    ),
    (
        "js/wecom-bridge.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/wecom-bridge.js"),
    ),
    (
        "js/import-progress.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/import-progress.js"),
    ),
    (
        "js/select-all.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/select-all.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../../static/icon.svg"),
    ),
];

pub async fn serve(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let wanted = path.into_inner();
    let (_, mime, bytes) = ASSETS
        .iter()
        .find(|(name, _, _)| *name == wanted)
        .ok_or_else(|| AppError::NotFound("文件不存在".into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, *mime))
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(*bytes))
}
