//! What tests and developers use to steer the sandbox: injected faults and latency, call
//! statistics, sent messages, and sending callbacks to an app, in Rust and over HTTP under
//! `{base}/_sandbox/…`.
//!
//! The HTTP control endpoints exist for developers poking a running sandbox (demo mode only
//! listens on loopback); their answers are plain JSON with Chinese error texts, not WeCom's shape.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use url::Url;

use super::Sandbox;
use super::api::{self, BodyError, read_body};
use super::errors::{SandboxError, describe};
use super::events::SandboxEvent;
use super::state::{ActiveFault, random_digits};
use crate::wecom::crypto::{CallbackCrypto, envelope_xml, random_prefix};

/// Whether a delivery may go to `url`: under one of the configured prefixes, or (none configured)
/// to a loopback address.
fn callback_allowed(targets: &[String], url: &Url) -> bool {
    if targets.is_empty() {
        return match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
    }
    targets.iter().any(|prefix| {
        Url::parse(prefix).is_ok_and(|p| {
            p.scheme() == url.scheme()
                && p.host_str() == url.host_str()
                && p.port_or_known_default() == url.port_or_known_default()
                && url.path().starts_with(p.path())
        })
    })
}

/// WeCom gives an app 5 s to answer a callback.
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(5);
/// Control requests are small JSON documents.
const CONTROL_BODY_LIMIT: usize = 256 * 1024;

/// Token errors make no sense for gettoken itself, so an "every API" fault with one of these
/// codes skips it (the client must be able to fetch the fresh token it is being pushed to get).
const TOKEN_ERRORS: [i32; 3] = [40014, 41001, 42001];

/// A fault to inject: the next `times` calls matching `api` first wait `latency` (if any) and
/// then answer `errcode`, or behave normally when `errcode` is 0.
///
/// An injected 42001 also really expires the access token the call used and 40014 revokes it,
/// so the client has to fetch a new token, exactly as when WeCom invalidates one early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// An API path like "externalcontact/list" (a leading "/cgi-bin/" is ignored), or `None`
    /// for every API.
    pub api: Option<String>,
    pub errcode: i32,
    pub times: u32,
    pub latency: Option<Duration>,
}

impl Fault {
    /// The next `times` calls of `api` answer `errcode`.
    #[must_use]
    pub fn error(api: &str, errcode: i32, times: u32) -> Self {
        Self {
            api: Some(api.to_string()),
            errcode,
            times,
            latency: None,
        }
    }

    /// The next `times` calls of any API answer `errcode`.
    #[must_use]
    pub fn everywhere(errcode: i32, times: u32) -> Self {
        Self {
            api: None,
            errcode,
            times,
            latency: None,
        }
    }

    /// The next `times` calls of `api` (every API when `None`) are slowed by `latency`.
    #[must_use]
    pub fn latency(api: Option<&str>, latency: Duration, times: u32) -> Self {
        Self {
            api: api.map(str::to_string),
            errcode: 0,
            times,
            latency: Some(latency),
        }
    }
}

impl Sandbox {
    /// Queues a fault; faults are consumed in the order they were injected.
    pub fn inject(&self, fault: Fault) {
        if fault.times == 0 {
            return;
        }
        tracing::info!(
            api = fault.api.as_deref().unwrap_or("*"),
            errcode = fault.errcode,
            times = fault.times,
            latency_ms = fault
                .latency
                .map(|l| u64::try_from(l.as_millis()).unwrap_or(u64::MAX)),
            "sandbox fault injected"
        );
        self.runtime().faults.push(ActiveFault {
            api: fault.api.as_deref().map(api::normalize_api),
            errcode: fault.errcode,
            remaining: fault.times,
            latency: fault.latency,
        });
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.runtime().faults.clear();
    }

    /// Calls still to be answered by pending faults.
    #[must_use]
    pub fn pending_faults(&self) -> u64 {
        self.runtime()
            .faults
            .iter()
            .map(|f| u64::from(f.remaining))
            .sum()
    }

    /// Consumes one call of the first fault matching `api`.
    pub(crate) fn take_fault(&self, api: &str) -> Option<ActiveFault> {
        let mut rt = self.runtime();
        let i = rt.faults.iter().position(|f| {
            f.remaining > 0
                && match &f.api {
                    Some(a) => a == api,
                    None => !(api == "gettoken" && TOKEN_ERRORS.contains(&f.errcode)),
                }
        })?;
        let fault = rt.faults.get_mut(i)?;
        fault.remaining -= 1;
        let taken = fault.clone();
        if fault.remaining == 0 {
            rt.faults.remove(i);
        }
        Some(taken)
    }

    pub(crate) fn count_call(&self, api: &str) {
        *self.runtime().stats.entry(api.to_string()).or_insert(0) += 1;
    }

    /// Sends `event` to an app's callback URL the way WeCom does and returns the app's HTTP
    /// status and body. See [`Sandbox::deliver`].
    ///
    /// # Errors
    /// As [`Sandbox::deliver`].
    pub async fn send_callback(
        &self,
        callback_url: &str,
        event: SandboxEvent,
    ) -> Result<(u16, String), SandboxError> {
        let d = self.deliver(callback_url, event).await?;
        Ok((d.status, d.body))
    }

    /// Applies `event` to the sandbox's data (a new contact, group or tag becomes visible to
    /// the API before the app hears of it, as in WeCom), builds the event XML, encrypts it with
    /// the app's Token and EncodingAESKey (receive_id = corp id) and POSTs the envelope to
    /// `callback_url?msg_signature=…&timestamp=…&nonce=…` once, within WeCom's 5 s.
    ///
    /// # Errors
    /// [`SandboxError::InvalidUrl`] for a URL that is not absolute http(s);
    /// [`SandboxError::InvalidEvent`] when the event names data the sandbox lacks;
    /// [`SandboxError::Crypto`] for a malformed EncodingAESKey in the dataset;
    /// [`SandboxError::Delivery`] when the app cannot be reached in time. The data change of
    /// a valid event stays applied even if delivery fails, as it would in WeCom.
    pub async fn deliver(
        &self,
        callback_url: &str,
        event: SandboxEvent,
    ) -> Result<Delivery, SandboxError> {
        let mut url = Url::parse(callback_url)
            .map_err(|e| SandboxError::InvalidUrl(format!("{callback_url}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(SandboxError::InvalidUrl(format!(
                "{callback_url}: 需要 http(s) 地址"
            )));
        }
        url.set_fragment(None);
        if !callback_allowed(&self.inner.options.callback_targets, &url) {
            return Err(SandboxError::InvalidUrl(format!(
                "{callback_url}: 沙箱只向本服务的回调地址发送事件"
            )));
        }
        let event_xml = self.apply_event(event)?;
        let (token, key, corp_id, agent_id) = {
            let corp = self.corp();
            (
                corp.app.token.clone(),
                corp.app.encoding_aes_key.clone(),
                corp.corp_id.clone(),
                corp.app.agent_id.clone(),
            )
        };
        let crypto = CallbackCrypto::new(token, &key, corp_id.clone())?;
        let timestamp = self.now().timestamp().to_string();
        let nonce = random_digits(10);
        let sealed = crypto.seal(&event_xml, &timestamp, &nonce, random_prefix())?;
        url.query_pairs_mut()
            .append_pair("msg_signature", &sealed.msg_signature)
            .append_pair("timestamp", &timestamp)
            .append_pair("nonce", &nonce);
        let body = envelope_xml(&corp_id, &sealed.encrypt, &agent_id);
        let response = self
            .http()?
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(body)
            .send()
            .await
            .map_err(|e| SandboxError::Delivery(e.to_string()))?;
        let status = response.status().as_u16();
        tracing::info!(
            host = url.host_str().unwrap_or_default(),
            status,
            "sandbox callback delivered"
        );
        let body = response
            .text()
            .await
            .map_err(|e| SandboxError::Delivery(e.to_string()))?;
        Ok(Delivery {
            url: url.to_string(),
            status,
            body,
            event_xml,
        })
    }

    fn http(&self) -> Result<reqwest::Client, SandboxError> {
        if let Some(client) = self.inner.http.get() {
            return Ok(client.clone());
        }
        let client = reqwest::Client::builder()
            .timeout(CALLBACK_TIMEOUT)
            // The app's own answer is what a test wants to see, redirects included.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SandboxError::Delivery(e.to_string()))?;
        Ok(self.inner.http.get_or_init(|| client).clone())
    }
}

/// The outcome of one callback delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The URL posted to, with msg_signature, timestamp and nonce.
    pub url: String,
    /// The app's HTTP status.
    pub status: u16,
    /// The app's answer body.
    pub body: String,
    /// The plaintext event XML that was encrypted.
    pub event_xml: String,
}

// ---------------------------------------------------------------------------------------------
// HTTP control endpoints

fn control_error(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({ "error": message }))
}

fn bad_request(message: &str) -> HttpResponse {
    control_error(actix_web::http::StatusCode::BAD_REQUEST, message)
}

async fn read_json<T: serde::de::DeserializeOwned>(
    payload: web::Payload,
) -> Result<T, HttpResponse> {
    let body = match read_body(payload, CONTROL_BODY_LIMIT).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return Err(control_error(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                "请求体过大",
            ));
        }
        Err(BodyError::Broken) => return Err(bad_request("请求体读取失败")),
    };
    serde_json::from_slice(&body).map_err(|e| bad_request(&format!("JSON 格式错误：{e}")))
}

/// What the corp is, never its secrets: those are for the standalone banner and the Rust API.
#[derive(Serialize)]
struct InfoReply {
    corp_id: String,
    corp_name: String,
    agent_id: String,
    app_name: String,
    base_path: String,
    members: usize,
    external_contacts: usize,
    group_chats: usize,
    tag_groups: usize,
}

/// `GET {base}/_sandbox/info`: the corp's identity and data sizes.
pub(crate) async fn info(sandbox: web::Data<Sandbox>) -> HttpResponse {
    let (members, external_contacts, group_chats, tag_groups) = {
        let corp = sandbox.corp();
        (
            corp.members.len(),
            corp.contacts
                .iter()
                .filter(|c| c.has_active_follow())
                .count(),
            corp.groups.iter().filter(|g| !g.dismissed).count(),
            corp.tag_groups.iter().filter(|g| !g.deleted).count(),
        )
    };
    let credentials = sandbox.credentials();
    HttpResponse::Ok().json(InfoReply {
        corp_id: credentials.corp_id,
        corp_name: credentials.corp_name,
        agent_id: credentials.agent_id,
        app_name: credentials.app_name,
        base_path: sandbox.options().base_path.clone(),
        members,
        external_contacts,
        group_chats,
        tag_groups,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    #[serde(default)]
    api: Option<String>,
    #[serde(default)]
    errcode: i32,
    #[serde(default = "one")]
    times: u32,
    #[serde(default)]
    latency_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

/// `POST {base}/_sandbox/faults` with `{"api", "errcode", "times", "latency_ms"}`.
pub(crate) async fn post_fault(sandbox: web::Data<Sandbox>, payload: web::Payload) -> HttpResponse {
    let req: FaultRequest = match read_json(payload).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if req.errcode == 0 && req.latency_ms.is_none_or(|l| l == 0) {
        return bad_request("需要 errcode（非 0）或 latency_ms");
    }
    if req.times == 0 {
        return bad_request("times 至少为 1");
    }
    // A minute is far beyond any client timeout; longer would only hang a worker.
    if req.latency_ms.is_some_and(|l| l > 60_000) {
        return bad_request("latency_ms 最多 60000");
    }
    let api = req.api.filter(|a| !a.trim().is_empty());
    if let Some(a) = &api
        && !api::APIS.contains(&api::normalize_api(a).as_str())
    {
        return bad_request(&format!("沙箱没有这个接口：{a}"));
    }
    sandbox.inject(Fault {
        api,
        errcode: req.errcode,
        times: req.times,
        latency: req.latency_ms.map(Duration::from_millis),
    });
    HttpResponse::Ok().json(serde_json::json!({
        "ok": true,
        "errmsg": describe(req.errcode),
        "pending": sandbox.pending_faults(),
    }))
}

/// `DELETE {base}/_sandbox/faults`.
pub(crate) async fn delete_faults(sandbox: web::Data<Sandbox>) -> HttpResponse {
    sandbox.clear_faults();
    HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
}

/// `GET {base}/_sandbox/stats`: `{"calls": {api: count}, "total": n}`.
pub(crate) async fn get_stats(sandbox: web::Data<Sandbox>) -> HttpResponse {
    let calls = sandbox.stats();
    let total: u64 = calls.values().sum();
    HttpResponse::Ok().json(serde_json::json!({ "calls": calls, "total": total }))
}

/// `DELETE {base}/_sandbox/stats`.
pub(crate) async fn delete_stats(sandbox: web::Data<Sandbox>) -> HttpResponse {
    sandbox.reset_stats();
    HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
}

/// `GET {base}/_sandbox/messages`: app messages accepted by message/send.
pub(crate) async fn get_messages(sandbox: web::Data<Sandbox>) -> HttpResponse {
    HttpResponse::Ok().json(sandbox.sent_messages())
}

/// `GET {base}/_sandbox/chat-messages`: texts the demo sidebar put into chats.
pub(crate) async fn get_chat_messages(sandbox: web::Data<Sandbox>) -> HttpResponse {
    HttpResponse::Ok().json(sandbox.chat_messages())
}

/// `POST {base}/_sandbox/chat-messages`: the demo bridge's `sendChatMessage`.
pub(crate) async fn post_chat_message(
    sandbox: web::Data<Sandbox>,
    body: web::Json<crate::sandbox::state::ChatMessage>,
) -> HttpResponse {
    let message = body.into_inner();
    if message.content.len() > 16 * 1024 || message.chat_key.len() > 128 {
        return HttpResponse::PayloadTooLarge().finish();
    }
    sandbox.record_chat_message(message);
    HttpResponse::Ok().json(serde_json::json!({ "errcode": 0, "errmsg": "ok" }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackRequest {
    callback_url: String,
    event: SandboxEvent,
}

/// `POST {base}/_sandbox/callbacks` with `{"callback_url", "event": {...}}`: the delivery, or
/// 400 (bad request or event) / 502 (app unreachable) with `{"error"}`.
pub(crate) async fn post_callback(
    sandbox: web::Data<Sandbox>,
    payload: web::Payload,
) -> HttpResponse {
    let req: CallbackRequest = match read_json(payload).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    match sandbox.deliver(&req.callback_url, req.event).await {
        Ok(d) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(d),
        Err(e @ SandboxError::Delivery(_)) => {
            control_error(actix_web::http::StatusCode::BAD_GATEWAY, &e.to_string())
        }
        Err(e) => bad_request(&e.to_string()),
    }
}
