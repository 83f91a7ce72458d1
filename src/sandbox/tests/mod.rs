//! Sandbox tests: every endpoint over actix's in-process test server, callbacks and a
//! standalone-style server over real HTTP.

mod api_tests;
mod builder;
mod callback_tests;
mod fault_tests;
mod oauth_tests;
mod paging_tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Sandbox, SandboxOptions};
use crate::seed::WecomDataset;

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn new() -> Self {
        Self(Arc::new(AtomicI64::new(1_750_000_000)))
    }

    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    pub fn secs(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    pub fn clock(&self) -> super::Clock {
        let t = self.0.clone();
        Arc::new(move || {
            DateTime::<Utc>::from_timestamp(t.load(Ordering::SeqCst), 0).unwrap_or_default()
        })
    }
}

/// A sandbox on a test clock.
pub fn sandbox_with(ds: WecomDataset, options: SandboxOptions) -> (Sandbox, TestClock) {
    let clock = TestClock::new();
    (Sandbox::with_clock(ds, options, clock.clock()), clock)
}

pub fn small_sandbox() -> (Sandbox, TestClock) {
    sandbox_with(builder::small(), SandboxOptions::default())
}

/// The in-process app serving `sandbox`.
#[macro_export]
macro_rules! sandbox_app {
    ($sb:expr) => {{
        let sb = $sb.clone();
        actix_web::test::init_service(actix_web::App::new().configure(move |c| sb.configure(c)))
            .await
    }};
}
pub use crate::sandbox_app as app;

pub fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

pub fn post_json(uri: &str, body: &Value) -> TestRequest {
    TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_string())
}

pub fn post_raw(uri: &str, body: impl Into<actix_web::web::Bytes>) -> TestRequest {
    TestRequest::post().uri(uri).set_payload(body.into())
}

/// Calls the app and returns status and body.
pub async fn call<S, R, B>(app: &S, req: R) -> (StatusCode, actix_web::web::Bytes)
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let resp = test::call_service(app, req).await;
    let status = resp.status();
    (status, test::read_body(resp).await)
}

/// Calls the app and parses the JSON answer (asserting HTTP 200, as WeCom always answers).
pub async fn json<S, R, B>(app: &S, req: R) -> Value
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (status, body) = call(app, req).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)))
}

/// The errcode of an answer.
pub fn errcode(v: &Value) -> i64 {
    v["errcode"].as_i64().unwrap_or(i64::MIN)
}

/// Fetches a token with the right credentials.
#[macro_export]
macro_rules! sandbox_token {
    ($app:expr) => {{
        let v = $crate::sandbox::tests::json(
            &$app,
            $crate::sandbox::tests::get(&format!(
                "/cgi-bin/gettoken?corpid={}&corpsecret={}",
                $crate::sandbox::tests::builder::CORP_ID,
                $crate::sandbox::tests::builder::SECRET
            ))
            .to_request(),
        )
        .await;
        assert_eq!($crate::sandbox::tests::errcode(&v), 0, "{v}");
        v["access_token"].as_str().unwrap().to_string()
    }};
}
pub use crate::sandbox_token as token;
