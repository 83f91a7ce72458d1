//! The OAuth authorize page (`/connect/oauth2/authorize`, what WeCom's in-app browser shows
//! when the sidebar signs a member in) and the web-login page (`/wwlogin/sso/login`, the QR
//! login of the admin back office). Instead of a QR code or WeCom's silent sign-in they list the
//! corp's members; choosing one issues a single-use, five-minute code and redirects to
//! `redirect_uri?code=…&state=…`, exactly where WeCom would send the browser.
//!
//! Parameters are checked like WeCom checks them (unknown corp, redirect_uri not http(s) or
//! outside the app's 可信域名 → an error page with the code), and everything echoed into a
//! page is HTML-escaped; the pages also forbid scripts through their CSP.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::TimeDelta;
use url::Url;

use super::Sandbox;
use super::api::Query;
use super::errors::{INVALID_AGENTID, INVALID_CORPID, UNTRUSTED_REDIRECT};
use super::state::{CodeRec, later, random_string};
use crate::wecom::xml::escape_text;

/// OAuth codes live five minutes.
const CODE_LIFETIME: TimeDelta = TimeDelta::minutes(5);
/// WeCom limits state to 128 bytes; the sandbox is laxer but still bounded.
const MAX_STATE_LEN: usize = 512;

/// Issues a code for `userid`, dropping expired ones.
pub(crate) fn issue_code(sandbox: &Sandbox, userid: &str, private_info: bool) -> String {
    let now = sandbox.now();
    let code = random_string(43);
    let mut rt = sandbox.runtime();
    rt.codes.retain(|_, c| now < c.expires_at);
    rt.codes.insert(
        code.clone(),
        CodeRec {
            userid: userid.to_string(),
            expires_at: later(now, CODE_LIFETIME),
            private_info,
        },
    );
    code
}

/// Why a page cannot be served.
struct PageError {
    message: String,
    errcode: Option<i32>,
}

impl PageError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            errcode: None,
        }
    }

    fn code(errcode: i32, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            errcode: Some(errcode),
        }
    }
}

/// Which page: the mobile OAuth authorize page or the web (QR) login.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    OAuth,
    WebLogin,
}

/// The checked parameters of either page.
struct Params {
    appid: String,
    redirect: Url,
    state: String,
    agentid: Option<String>,
    scope: String,
}

/// A value with a stray `#wechat_redirect` removed (clients that build the URL as a string and
/// never send it through a browser pass the fragment on).
fn param<'q>(query: &'q Query, key: &str) -> Option<&'q str> {
    query
        .get(key)
        .map(|v| v.strip_suffix("#wechat_redirect").unwrap_or(v))
}

fn check_params(sandbox: &Sandbox, query: &Query, flow: Flow) -> Result<Params, PageError> {
    let (corp_id, agent_id) = {
        let corp = sandbox.corp();
        (corp.corp_id.clone(), corp.app.agent_id.clone())
    };
    if flow == Flow::WebLogin {
        match param(query, "login_type") {
            Some("CorpApp") => {}
            Some(other) => {
                return Err(PageError::new(format!(
                    "login_type 参数错误：沙箱只支持 CorpApp（收到 {other}）"
                )));
            }
            None => return Err(PageError::new("缺少 login_type 参数")),
        }
    }
    let appid = param(query, "appid").ok_or_else(|| PageError::new("缺少 appid 参数"))?;
    if appid != corp_id {
        return Err(PageError::code(
            INVALID_CORPID,
            "appid 参数错误：该企业不存在（appid 应为企业的 CorpID）",
        ));
    }
    let agentid = param(query, "agentid").map(str::to_string);
    if let Some(a) = &agentid
        && *a != agent_id
    {
        return Err(PageError::code(
            INVALID_AGENTID,
            "agentid 参数错误：该应用不存在",
        ));
    }
    let scope = match flow {
        Flow::WebLogin => {
            if agentid.is_none() {
                return Err(PageError::new("缺少 agentid 参数"));
            }
            String::new()
        }
        Flow::OAuth => {
            if param(query, "response_type") != Some("code") {
                return Err(PageError::new("response_type 参数错误：应为 code"));
            }
            let scope = param(query, "scope").unwrap_or("snsapi_base");
            match scope {
                "snsapi_base" => {}
                "snsapi_privateinfo" if agentid.is_some() => {}
                "snsapi_privateinfo" => {
                    return Err(PageError::new(
                        "scope 为 snsapi_privateinfo 时必须带 agentid",
                    ));
                }
                _ => return Err(PageError::new("scope 参数错误")),
            }
            scope.to_string()
        }
    };
    let raw =
        param(query, "redirect_uri").ok_or_else(|| PageError::new("缺少 redirect_uri 参数"))?;
    let mut redirect = Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            PageError::new("redirect_uri 参数错误：需要 http 或 https 开头的完整地址")
        })?;
    // The app's own fragment (an SPA route) survives, as in a browser; WeCom's marker does not.
    if redirect.fragment() == Some("wechat_redirect") {
        redirect.set_fragment(None);
    }
    if !trusted(&sandbox.inner.options.trusted_redirect_hosts, &redirect) {
        return Err(PageError::code(
            UNTRUSTED_REDIRECT,
            "redirect_uri 需使用应用可信域名（redirect_uri is not a trusted domain）",
        ));
    }
    let state = param(query, "state").unwrap_or_default().to_string();
    if state.len() > MAX_STATE_LEN {
        return Err(PageError::new("state 参数过长"));
    }
    Ok(Params {
        appid: appid.to_string(),
        redirect,
        state,
        agentid,
        scope,
    })
}

/// Whether the redirect's host (or host:port) is one of the trusted hosts; none configured
/// means any host.
fn trusted(hosts: &[String], url: &Url) -> bool {
    if hosts.is_empty() {
        return true;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    let with_port = url
        .port_or_known_default()
        .map(|p| format!("{host}:{p}"))
        .unwrap_or_else(|| host.clone());
    hosts.iter().any(|h| {
        let h = h.trim().to_ascii_lowercase();
        h == host || h == with_port
    })
}

/// `GET {base}/connect/oauth2/authorize`: the member picker.
pub(crate) async fn authorize_page(req: HttpRequest, sandbox: web::Data<Sandbox>) -> HttpResponse {
    picker(&req, &sandbox, Flow::OAuth)
}

/// `GET {base}/wwlogin/sso/login`: the web-login picker.
pub(crate) async fn login_page(req: HttpRequest, sandbox: web::Data<Sandbox>) -> HttpResponse {
    picker(&req, &sandbox, Flow::WebLogin)
}

/// `GET {base}/connect/oauth2/authorize/pick?…&userid=`: code + redirect.
pub(crate) async fn authorize_pick(req: HttpRequest, sandbox: web::Data<Sandbox>) -> HttpResponse {
    pick(&req, &sandbox, Flow::OAuth)
}

/// `GET {base}/wwlogin/sso/login/pick?…&userid=`: code + redirect.
pub(crate) async fn login_pick(req: HttpRequest, sandbox: web::Data<Sandbox>) -> HttpResponse {
    pick(&req, &sandbox, Flow::WebLogin)
}

fn picker(req: &HttpRequest, sandbox: &Sandbox, flow: Flow) -> HttpResponse {
    let query = Query::parse(req.query_string());
    let params = match check_params(sandbox, &query, flow) {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let base = &sandbox.inner.options.base_path;
    let pick_path = match flow {
        Flow::OAuth => format!("{base}/connect/oauth2/authorize/pick"),
        Flow::WebLogin => format!("{base}/wwlogin/sso/login/pick"),
    };
    let corp = sandbox.corp();
    let mut items = String::new();
    for m in corp.members.iter().filter(|m| m.status == 1) {
        let href = format!("{pick_path}?{}", pick_query(&params, flow, &m.userid));
        let initial: String = m.name.chars().next().map(String::from).unwrap_or_default();
        let meta = if m.position.is_empty() {
            m.userid.clone()
        } else {
            format!("{} · {}", m.position, m.userid)
        };
        items.push_str(&format!(
            "<li><a class=\"member\" href=\"{href}\"><span class=\"avatar\">{initial}</span>\
             <span class=\"who\"><span class=\"name\">{name}</span>\
             <span class=\"meta\">{meta}</span></span></a></li>",
            href = escape_text(&href),
            initial = escape_text(&initial),
            name = escape_text(&m.name),
            meta = escape_text(&meta),
        ));
    }
    if items.is_empty() {
        items.push_str("<li class=\"empty\">该企业没有可登录的成员</li>");
    }
    let target = params.redirect.host_str().unwrap_or_default().to_string();
    let (title, intro) = match flow {
        Flow::OAuth => (
            "选择你的企业微信身份",
            format!(
                "<p class=\"sub\">{corp}<span class=\"badge\">沙箱</span></p>\
                 <p class=\"sub\">{app} 请求获取你的身份，登录后返回 {target}</p>",
                corp = escape_text(&corp.corp_name),
                app = escape_text(&corp.app.name),
                target = escape_text(&target),
            ),
        ),
        Flow::WebLogin => (
            "扫码登录（沙箱）",
            format!(
                "<div class=\"qr\" aria-hidden=\"true\"></div>\
                 <p class=\"sub\">{corp} · {app}</p>\
                 <p class=\"sub\">沙箱中无需扫码，直接选择一位成员登录，登录后返回 {target}</p>",
                corp = escape_text(&corp.corp_name),
                app = escape_text(&corp.app.name),
                target = escape_text(&target),
            ),
        ),
    };
    let state_note = if params.state.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"note\">state：{}</p>",
            escape_text(&params.state)
        )
    };
    let body = format!(
        "<header><h1>{title}</h1>{intro}</header><ul>{items}</ul>\
         <footer>{state_note}<p>这是企业微信沙箱，数据均为演示数据。</p></footer>"
    );
    html(StatusCode::OK, title, &body)
}

/// The query of a member's pick link: the checked parameters plus the userid.
fn pick_query(params: &Params, flow: Flow, userid: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if flow == Flow::WebLogin {
        q.append_pair("login_type", "CorpApp");
    }
    q.append_pair("appid", &params.appid);
    q.append_pair("redirect_uri", params.redirect.as_str());
    if flow == Flow::OAuth {
        q.append_pair("response_type", "code");
        q.append_pair("scope", &params.scope);
    }
    if let Some(a) = &params.agentid {
        q.append_pair("agentid", a);
    }
    q.append_pair("state", &params.state);
    q.append_pair("userid", userid);
    q.finish()
}

fn pick(req: &HttpRequest, sandbox: &Sandbox, flow: Flow) -> HttpResponse {
    let query = Query::parse(req.query_string());
    // Every parameter is checked again: the link may have been edited.
    let params = match check_params(sandbox, &query, flow) {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let Some(userid) = query.get("userid") else {
        return error_page(&PageError::new("请选择一位成员"));
    };
    if sandbox.corp().member(userid).is_none() {
        return error_page(&PageError::new("该成员不存在"));
    }
    let code = issue_code(sandbox, userid, params.scope == "snsapi_privateinfo");
    let mut target = params.redirect;
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &params.state);
    HttpResponse::Found()
        .insert_header((header::LOCATION, target.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn error_page(e: &PageError) -> HttpResponse {
    let code = e
        .errcode
        .map(|c| format!("<p class=\"code\">错误码：{c}</p>"))
        .unwrap_or_default();
    let body = format!(
        "<div class=\"error\"><h1>无法继续</h1>{code}<p>{message}</p>\
         <p class=\"sub\">请检查发起登录的链接参数。</p></div>\
         <footer><p>这是企业微信沙箱。</p></footer>",
        message = escape_text(&e.message),
    );
    html(StatusCode::BAD_REQUEST, "参数错误", &body)
}

const STYLE: &str = "*{box-sizing:border-box}\
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,\"PingFang SC\",\"Microsoft YaHei\",sans-serif;background:#f2f3f5;color:#1d2129}\
main{max-width:480px;margin:0 auto;padding:16px}\
header{text-align:center;padding:12px 0 16px}\
h1{font-size:20px;margin:0 0 8px}\
.sub{color:#86909c;font-size:13px;margin:4px 0;overflow-wrap:anywhere}\
.badge{display:inline-block;background:#ff7d00;color:#fff;border-radius:4px;padding:0 6px;font-size:12px;margin-left:6px}\
ul{list-style:none;margin:0;padding:0;background:#fff;border-radius:8px;overflow:hidden}\
li+li{border-top:1px solid #f2f3f5}\
li.empty{padding:16px;text-align:center;color:#86909c}\
a.member{display:flex;align-items:center;gap:12px;padding:10px 16px;min-height:60px;text-decoration:none;color:inherit}\
a.member:active{background:#f2f3f5}\
.avatar{flex:none;width:40px;height:40px;border-radius:6px;background:#0082ef;color:#fff;display:flex;align-items:center;justify-content:center;font-size:18px}\
.who{flex:1;min-width:0;display:flex;flex-direction:column}\
.name{font-size:16px}\
.meta{color:#86909c;font-size:13px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}\
.qr{width:168px;height:168px;margin:4px auto 12px;border:10px solid #fff;box-shadow:0 0 0 1px #e5e6eb;background:repeating-conic-gradient(#1d2129 0 25%,#fff 0 50%) 0 0/21px 21px}\
.error{background:#fff;border-radius:8px;padding:24px 16px;text-align:center;overflow-wrap:anywhere}\
.code{color:#f53f3f;font-weight:600}\
.note{overflow-wrap:anywhere}\
footer{color:#86909c;font-size:12px;text-align:center;padding:16px 0}";

fn html(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let page = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        title = escape_text(title),
    );
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'",
        ))
        .body(page)
}
