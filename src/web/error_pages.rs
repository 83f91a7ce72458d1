//! Browsers get an HTML page for bare errors; API clients, WeCom and the sidebar shell's fragment
//! requests keep the JSON body, and a page that rendered its own error (a form showing what went
//! wrong beside what was typed) is left exactly as it is.

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpResponse, Result};
use askama::Template;

use crate::error::ErrorInfo;

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage<'a> {
    status: u16,
    /// What kind of failure this is, in the page's language (not the HTTP reason phrase).
    heading: &'static str,
    message: &'a str,
    /// Where signing in again starts for the part of the site the person was in.
    signin: &'static str,
    /// The way back: the back office's first page for its pages, else the home page.
    back: (&'static str, &'static str),
}

pub fn middleware<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render)
}

fn wants_html(res: &ServiceResponse<impl Sized>) -> bool {
    let req = res.request();
    let path = req.path();
    if path.starts_with("/api/") || path.starts_with("/wecom/") || path == "/healthz" {
        return false;
    }
    if req.headers().contains_key("hx-request") {
        return false;
    }
    let already_html = res
        .response()
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if already_html {
        return false;
    }
    req.headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

fn render<B: 'static>(res: ServiceResponse<B>) -> Result<ErrorHandlerResponse<B>> {
    if !wants_html(&res) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = res
        .response()
        .extensions()
        .get::<ErrorInfo>()
        .map(|info| info.message.clone())
        .unwrap_or_else(|| default_message(status.as_u16()).to_string());
    let (signin, back) = if res.request().path().starts_with("/admin") {
        ("/admin/login", ("/admin", "返回管理后台"))
    } else {
        ("/sidebar", ("/", "返回首页"))
    };
    let page = ErrorPage {
        status: status.as_u16(),
        heading: heading(status.as_u16()),
        message: &message,
        signin,
        back,
    };
    let html = page.render().unwrap_or_else(|_| message.clone());
    let (req, _) = res.into_parts();
    let mut response = HttpResponse::build(status).body(html);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

fn heading(status: u16) -> &'static str {
    match status {
        401 => "需要登录",
        403 => "没有权限",
        404 => "找不到页面",
        405 => "请求方式不对",
        409 => "操作冲突",
        410 => "链接已失效",
        413 => "内容太大",
        422 => "无法完成",
        429 => "操作太频繁",
        502 => "上游服务出错",
        503 => "服务暂不可用",
        504 => "上游服务超时",
        400..=499 => "请求有误",
        _ => "服务器出错",
    }
}

fn default_message(status: u16) -> &'static str {
    match status {
        400 => "请求格式不正确",
        401 => "请先登录",
        403 => "没有权限执行此操作",
        404 => "页面不存在",
        405 => "不支持这种请求方式",
        413 => "提交的内容太大",
        429 => "操作太频繁，请稍后再试",
        _ => "服务器内部错误，请稍后再试",
    }
}
