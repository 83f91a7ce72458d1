//! Sidebar sign-in through WeCom OAuth, the one-time binding by phone and SMS code, sessions,
//! and the JS-SDK signing endpoint. WeCom's server side is a wiremock stand-in here; the
//! end-to-end flow against the sandbox lives in tests/api/sandbox_flow.rs.

use chrono::Duration;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zhangfang::services::audit::{Actor, Who};
use zhangfang::services::employees;

use crate::helpers::{TestApp, TestFirm, spawn_app_with};

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const CORP: &str = "wwsignin00000001";

struct World {
    app: TestApp,
    firm: TestFirm,
    wecom: MockServer,
}

async fn world_with(customize: impl FnOnce(&mut zhangfang::config::Settings)) -> World {
    let wecom = MockServer::start().await;
    let uri = wecom.uri();
    let app = spawn_app_with(|s| {
        s.wecom.api_base = uri.clone();
        s.wecom.oauth_base = "https://open.weixin.qq.com".into();
        customize(s);
    })
    .await;
    let firm = app.add_firm(CORP, "SigninToken", KEY).await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"errcode": 0, "errmsg": "ok", "access_token": "APP_TOKEN", "expires_in": 7200}),
        ))
        .mount(&wecom)
        .await;
    World { app, firm, wecom }
}

async fn world() -> World {
    world_with(|_| {}).await
}

async fn exec(app: &TestApp, sql: &str) {
    app.state
        .db
        .write()
        .execute_raw(Statement::from_string(app.backend(), sql.to_string()))
        .await
        .expect("sql");
}

const NOW: &str = "'2026-11-26T00:00:00+00:00'";

/// An employee of the firm; `userid` None means not bound yet.
async fn employee(w: &World, name: &str, mobile: &str, userid: Option<&str>) -> i64 {
    let userid = userid.map(|u| format!("'{u}'")).unwrap_or("NULL".into());
    exec(
        &w.app,
        &format!(
            "INSERT INTO employee (firm_id, name, mobile, wecom_userid, role, status, created_at, updated_at) \
             VALUES ({}, '{name}', '{mobile}', {userid}, 'staff', 'active', {NOW}, {NOW})",
            w.firm.firm_id
        ),
    )
    .await;
    w.app
        .count(&format!(
            "SELECT id FROM employee WHERE mobile = '{mobile}'"
        ))
        .await
}

async fn wecom_says_member_is(w: &World, code: &str, userid: &str) {
    Mock::given(method("GET"))
        .and(path("/cgi-bin/auth/getuserinfo"))
        .and(query_param("code", code))
        .and(query_param("access_token", "APP_TOKEN"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"errcode": 0, "errmsg": "ok", "userid": userid, "user_ticket": "UT"}),
        ))
        .mount(&w.wecom)
        .await;
}

fn cookie_value(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let text = v.to_str().ok()?;
        let (pair, _) = text.split_once(';').unwrap_or((text, ""));
        let (n, value) = pair.split_once('=')?;
        let n = n.strip_prefix("__Host-").unwrap_or(n);
        (n == name && !value.is_empty()).then(|| value.to_string())
    })
}

fn set_cookie_line(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_default()
        .to_string()
}

struct Started {
    state: String,
    cookie: String,
    location: String,
}

async fn start_signin(w: &World, path: &str) -> Started {
    let resp = w.app.get(path).await;
    assert_eq!(resp.status(), 302, "sign-in starts with a redirect");
    let location = resp.headers()[LOCATION].to_str().unwrap().to_string();
    let cookie = cookie_value(&resp, "zf_oauth").expect("state cookie");
    let https = !set_cookie_line(&resp, "__Host-zf_oauth").is_empty();
    let parsed = url::Url::parse(location.trim_end_matches("#wechat_redirect")).unwrap();
    let state = parsed
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.to_string())
        .expect("state parameter");
    Started {
        state,
        cookie: if https {
            format!("__Host-zf_oauth={cookie}")
        } else {
            format!("zf_oauth={cookie}")
        },
        location,
    }
}

async fn oauth_return(w: &World, started: &Started, code: &str, state: &str) -> reqwest::Response {
    w.app
        .client
        .get(w.app.url(&format!(
            "/sidebar/oauth/callback?code={code}&state={state}"
        )))
        .header(COOKIE, &started.cookie)
        .send()
        .await
        .unwrap()
}

/// Signs a bound member in and returns the session cookie header value.
async fn sign_in(w: &World, code: &str, userid: &str) -> String {
    wecom_says_member_is(w, code, userid).await;
    let started = start_signin(w, "/sidebar").await;
    let resp = oauth_return(w, &started, code, &started.state).await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()[LOCATION], "/sidebar");
    format!(
        "zf_session={}",
        cookie_value(&resp, "zf_session").expect("session cookie")
    )
}

async fn get_with(w: &World, path: &str, cookie: &str) -> reqwest::Response {
    w.app
        .client
        .get(w.app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_sidebar_without_a_session_sends_the_browser_to_wecom_oauth() {
    let w = world().await;
    let started = start_signin(&w, "/sidebar").await;
    let url = url::Url::parse(started.location.trim_end_matches("#wechat_redirect")).unwrap();
    assert!(started.location.ends_with("#wechat_redirect"));
    assert_eq!(url.host_str(), Some("open.weixin.qq.com"));
    assert_eq!(url.path(), "/connect/oauth2/authorize");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["appid"], CORP);
    assert_eq!(q["agentid"], "1000002");
    assert_eq!(q["scope"], "snsapi_base");
    assert_eq!(q["response_type"], "code");
    assert_eq!(
        q["redirect_uri"],
        format!(
            "{}/sidebar/oauth/callback",
            w.app.state.settings.public_base()
        )
    );
    assert!(started.state.len() >= 16);
    let resp = w.app.get("/sidebar").await;
    let line = set_cookie_line(&resp, "zf_oauth");
    assert!(
        line.contains("HttpOnly") && line.contains("SameSite=Lax"),
        "{line}"
    );
}

#[tokio::test]
async fn a_bound_member_is_signed_in_and_sees_the_sidebar() {
    let w = world().await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let session = sign_in(&w, "CODE1", "wangkj").await;
    let resp = get_with(&w, "/sidebar", &session).await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("王会计"));
    assert!(!html.contains("APP_TOKEN"), "tokens never reach the page");
}

#[tokio::test]
async fn the_session_cookie_is_httponly_lax_and_secure_behind_https() {
    let w = world_with(|s| s.server.public_url = "https://zf.example.com".into()).await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    wecom_says_member_is(&w, "CODE1", "wangkj").await;
    let started = start_signin(&w, "/sidebar").await;
    let resp = oauth_return(&w, &started, "CODE1", &started.state).await;
    // On https the name carries the __Host- prefix, which browsers accept only with Secure,
    // Path=/ and no Domain.
    let line = set_cookie_line(&resp, "__Host-zf_session");
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(line.contains(attribute), "{attribute} missing in {line}");
    }
    assert!(!line.contains("Domain"), "{line}");
    assert!(set_cookie_line(&resp, "zf_session").is_empty());
}

#[tokio::test]
async fn a_forged_or_foreign_state_is_refused() {
    let w = world().await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    wecom_says_member_is(&w, "CODE1", "wangkj").await;
    let started = start_signin(&w, "/sidebar").await;
    let resp = oauth_return(&w, &started, "CODE1", "attackerstate").await;
    assert_eq!(resp.status(), 400);
    assert!(cookie_value(&resp, "zf_session").is_none());
    // Without the browser's state cookie (a link sent to someone else) it fails too.
    let resp = w
        .app
        .client
        .get(w.app.url(&format!(
            "/sidebar/oauth/callback?code=CODE1&state={}",
            started.state
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM web_session").await, 0);
}

#[tokio::test]
async fn a_non_member_is_refused() {
    let w = world().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/auth/getuserinfo"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"errcode": 0, "errmsg": "ok", "openid": "oAbc", "external_userid": "wmX"}),
        ))
        .mount(&w.wecom)
        .await;
    let started = start_signin(&w, "/sidebar").await;
    let resp = oauth_return(&w, &started, "CODE1", &started.state).await;
    assert_eq!(resp.status(), 403);
}

struct Binding {
    cookie: String,
    csrf: String,
}

async fn reach_binding(w: &World, code: &str, userid: &str) -> Binding {
    wecom_says_member_is(w, code, userid).await;
    let started = start_signin(w, "/sidebar").await;
    let resp = oauth_return(w, &started, code, &started.state).await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()[LOCATION], "/sidebar/bind");
    let cookie = format!(
        "zf_bind={}",
        cookie_value(&resp, "zf_bind").expect("binding cookie")
    );
    let page = get_with(w, "/sidebar/bind", &cookie).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("绑定员工账号") && html.contains(userid));
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf field")
        .to_string();
    Binding { cookie, csrf }
}

async fn post_form(
    w: &World,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    w.app
        .client
        .post(w.app.url(path))
        .header(COOKIE, cookie)
        // As a browser sends it, so the HTML error pages are in play: a form that shows its own
        // refusal must keep it.
        .header("accept", "text/html,application/xhtml+xml")
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_unbound_member_binds_once_with_phone_and_code_and_is_never_asked_again() {
    let w = world().await;
    let id = employee(&w, "李会计", "13900000002", None).await;
    let b = reach_binding(&w, "CODE1", "likj").await;
    let resp = post_form(
        &w,
        "/sidebar/bind/code",
        &b.cookie,
        &[("phone", "139 0000 0002"), ("csrf", &b.csrf)],
    )
    .await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("验证码已发送"));
    assert!(
        !html.contains("演示模式"),
        "codes are shown only in demo mode"
    );
    let code = w.app.sms.last_code("13900000002").expect("a code was sent");
    let resp = post_form(
        &w,
        "/sidebar/bind",
        &b.cookie,
        &[("phone", "13900000002"), ("code", &code), ("csrf", &b.csrf)],
    )
    .await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()[LOCATION], "/sidebar");
    let session = format!("zf_session={}", cookie_value(&resp, "zf_session").unwrap());
    assert!(
        get_with(&w, "/sidebar", &session)
            .await
            .text()
            .await
            .unwrap()
            .contains("李会计")
    );
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT COUNT(*) FROM employee WHERE id = {id} AND wecom_userid = 'likj'"
            ))
            .await,
        1
    );
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'employee.bind'")
            .await,
        1
    );
    // The audit entry names who bound, from where, and the value before and after.
    let entry = crate::helpers::string_value(
        &w.app,
        &format!(
            "SELECT actor || '|' || entity || '|' || entity_id || '|' || COALESCE(ip, '') || '|' \
             || CAST(old_value AS TEXT) || '|' || CAST(new_value AS TEXT) FROM audit_log \
             WHERE action = 'employee.bind' AND firm_id = {}",
            w.firm.firm_id
        ),
    )
    .await;
    let fields: Vec<&str> = entry.split('|').collect();
    assert_eq!(
        &fields[..3],
        ["wecom:likj", "employee", id.to_string().as_str()]
    );
    assert_eq!(fields[3], "127.0.0.1");
    assert!(
        fields[4].contains("null") && fields[5].contains("likj"),
        "{entry}"
    );
    // Next time WeCom says it is likj, the sidebar opens directly.
    let again = sign_in(&w, "CODE2", "likj").await;
    assert!(
        get_with(&w, "/sidebar", &again)
            .await
            .text()
            .await
            .unwrap()
            .contains("李会计")
    );
    assert_eq!(w.app.sms.count(), 1);
}

#[tokio::test]
async fn the_binding_form_does_not_reveal_who_is_an_employee() {
    let w = world().await;
    employee(&w, "李会计", "13900000002", None).await;
    let disabled = employee(&w, "赵会计", "13900000003", None).await;
    exec(
        &w.app,
        &format!("UPDATE employee SET status = 'disabled' WHERE id = {disabled}"),
    )
    .await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let b = reach_binding(&w, "CODE1", "likj").await;
    let notice = |html: &str, masked: &str| -> String {
        let start = html.find("class=\"notice\"").expect("a notice");
        html[start..]
            .split('<')
            .next()
            .unwrap()
            .replace(masked, "PHONE")
    };
    let ask = |phone: &'static str| {
        let (cookie, csrf) = (b.cookie.clone(), b.csrf.clone());
        let w = &w;
        async move {
            post_form(
                w,
                "/sidebar/bind/code",
                &cookie,
                &[("phone", phone), ("csrf", &csrf)],
            )
            .await
        }
    };
    let real = ask("13900000002").await;
    assert_eq!(real.status(), 200);
    let real = notice(&real.text().await.unwrap(), "139****0002");
    assert_eq!(w.app.sms.count(), 1);
    // A stranger's phone, a disabled employee's and one bound to another member: the same answer,
    // and no text is sent.
    for (phone, masked) in [
        ("13700000009", "137****0009"),
        ("13900000003", "139****0003"),
        ("13800000001", "138****0001"),
    ] {
        let resp = ask(phone).await;
        assert_eq!(resp.status(), 200, "{phone}");
        let html = resp.text().await.unwrap();
        assert_eq!(notice(&html, masked), real, "{phone}");
        assert!(
            html.contains(&format!("value=\"{phone}\"")),
            "the form keeps what was typed"
        );
    }
    assert_eq!(w.app.sms.count(), 1, "only the real employee got a text");
    // Guessing at a phone that cannot bind reads exactly like guessing at a real one.
    let guess = |phone: &'static str| {
        let (cookie, csrf) = (b.cookie.clone(), b.csrf.clone());
        let w = &w;
        async move {
            let resp = post_form(
                w,
                "/sidebar/bind",
                &cookie,
                &[("phone", phone), ("code", "abcdef"), ("csrf", &csrf)],
            )
            .await;
            (resp.status(), resp.text().await.unwrap())
        }
    };
    let (status, html) = guess("13700000009").await;
    assert_eq!(status, 422);
    assert!(html.contains("验证码不正确，还可以再试4次"), "{html}");
    // The code was sent moments ago: the button still counts down instead of offering a new
    // code the server would refuse.
    let wait: i64 = html
        .split("data-resend-in=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(wait > 0 && wait <= 60, "countdown {wait}");
    // Asking again too soon is refused on the form, which counts down as well.
    let resp = ask("13700000009").await;
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(html.contains("请60秒后再试"), "{html}");
    assert!(!html.contains("data-resend-in=\"0\""), "{html}");
    // A malformed number is still a plain input error.
    let resp = ask("12345").await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("11位手机号"));
}

#[tokio::test]
async fn binding_forms_need_the_pages_csrf_token() {
    let w = world().await;
    employee(&w, "李会计", "13900000002", None).await;
    let b = reach_binding(&w, "CODE1", "likj").await;
    let resp = post_form(
        &w,
        "/sidebar/bind/code",
        &b.cookie,
        &[("phone", "13900000002"), ("csrf", "forged")],
    )
    .await;
    assert_eq!(resp.status(), 403);
    let resp = post_form(
        &w,
        "/sidebar/bind/code",
        "",
        &[("phone", "13900000002"), ("csrf", &b.csrf)],
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(w.app.sms.count(), 0);
}

#[tokio::test]
async fn codes_are_limited_to_one_a_minute_and_ten_a_day() {
    let w = world().await;
    employee(&w, "李会计", "13900000002", None).await;
    let b = reach_binding(&w, "CODE1", "likj").await;
    let form = [("phone", "13900000002"), ("csrf", b.csrf.as_str())];
    let send = || post_form(&w, "/sidebar/bind/code", &b.cookie, &form);
    assert_eq!(send().await.status(), 200);
    let resp = send().await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("60秒"));
    for _ in 0..9 {
        w.app.clock.advance(Duration::seconds(61));
        assert_eq!(send().await.status(), 200);
    }
    assert_eq!(w.app.sms.count(), 10);
    w.app.clock.advance(Duration::seconds(61));
    let resp = send().await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("上限"));
    // A new Beijing day (the clock starts at 10:00 local) lifts the limit; by then the binding
    // page has expired (30 minutes), so the member opens the sidebar again.
    w.app.clock.advance(Duration::hours(16));
    assert_eq!(
        send().await.status(),
        400,
        "the old binding page has expired"
    );
    let again = reach_binding(&w, "CODE2", "likj").await;
    let form = [("phone", "13900000002"), ("csrf", again.csrf.as_str())];
    let resp = post_form(&w, "/sidebar/bind/code", &again.cookie, &form).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_code_expires_after_five_minutes() {
    let w = world().await;
    employee(&w, "李会计", "13900000002", None).await;
    let b = reach_binding(&w, "CODE1", "likj").await;
    post_form(
        &w,
        "/sidebar/bind/code",
        &b.cookie,
        &[("phone", "13900000002"), ("csrf", &b.csrf)],
    )
    .await;
    let code = w.app.sms.last_code("13900000002").unwrap();
    w.app.clock.advance(Duration::seconds(5 * 60 + 1));
    let resp = post_form(
        &w,
        "/sidebar/bind",
        &b.cookie,
        &[("phone", "13900000002"), ("code", &code), ("csrf", &b.csrf)],
    )
    .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("已过期"));
}

#[tokio::test]
async fn five_wrong_attempts_burn_the_code() {
    let w = world().await;
    employee(&w, "李会计", "13900000002", None).await;
    let b = reach_binding(&w, "CODE1", "likj").await;
    post_form(
        &w,
        "/sidebar/bind/code",
        &b.cookie,
        &[("phone", "13900000002"), ("csrf", &b.csrf)],
    )
    .await;
    let code = w.app.sms.last_code("13900000002").unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for attempt in 1..=5 {
        let resp = post_form(
            &w,
            "/sidebar/bind",
            &b.cookie,
            &[("phone", "13900000002"), ("code", wrong), ("csrf", &b.csrf)],
        )
        .await;
        assert_eq!(resp.status(), 422);
        let text = resp.text().await.unwrap();
        if attempt < 5 {
            assert!(
                text.contains(&format!("还可以再试{}次", 5 - attempt)),
                "{attempt}"
            );
        } else {
            assert!(text.contains("错误次数过多"));
        }
    }
    let resp = post_form(
        &w,
        "/sidebar/bind",
        &b.cookie,
        &[("phone", "13900000002"), ("code", &code), ("csrf", &b.csrf)],
    )
    .await;
    assert_eq!(
        resp.status(),
        422,
        "the right code no longer works once burned"
    );
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM employee WHERE wecom_userid IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn an_employee_bound_to_another_member_cannot_be_taken_over() {
    let w = world().await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let b = reach_binding(&w, "CODE1", "impostor").await;
    let resp = post_form(
        &w,
        "/sidebar/bind/code",
        &b.cookie,
        &[("phone", "13800000001"), ("csrf", &b.csrf)],
    )
    .await;
    assert_eq!(resp.status(), 200, "the same answer as for any phone");
    assert_eq!(w.app.sms.count(), 0, "but nothing reaches the real holder");
    // Even knowing the recorded code (read here from nowhere but guessing) gets nowhere: every
    // guess is counted and the fifth burns it.
    for left in (0..5).rev() {
        let resp = post_form(
            &w,
            "/sidebar/bind",
            &b.cookie,
            &[
                ("phone", "13800000001"),
                ("code", "abcdef"),
                ("csrf", &b.csrf),
            ],
        )
        .await;
        assert_eq!(resp.status(), 422);
        let html = resp.text().await.unwrap();
        if left > 0 {
            assert!(html.contains(&format!("还可以再试{left}次")), "{html}");
        } else {
            assert!(html.contains("错误次数过多"), "{html}");
        }
    }
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM employee WHERE wecom_userid = 'impostor'")
            .await,
        0
    );
}

#[tokio::test]
async fn unbinding_or_disabling_ends_sessions_at_once() {
    let w = world().await;
    let id = employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let session = sign_in(&w, "CODE1", "wangkj").await;
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 200);
    let admin = Actor::Employee {
        id,
        name: "管理员".into(),
    };
    employees::unbind_member(
        &w.app.state.ctx,
        &Who {
            firm_id: w.firm.firm_id,
            actor: admin.clone(),
            ip: None,
        },
        id,
    )
    .await
    .unwrap();
    assert_eq!(
        get_with(&w, "/sidebar", &session).await.status(),
        302,
        "back to sign-in"
    );

    employees::bind_member(
        &w.app.state.ctx,
        &Who {
            firm_id: w.firm.firm_id,
            actor: admin.clone(),
            ip: None,
        },
        id,
        "wangkj",
    )
    .await
    .unwrap();
    let session = sign_in(&w, "CODE2", "wangkj").await;
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 200);
    employees::set_active(
        &w.app.state.ctx,
        &Who {
            firm_id: w.firm.firm_id,
            actor: admin.clone(),
            ip: None,
        },
        id,
        false,
    )
    .await
    .unwrap();
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 302);
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM web_session WHERE revoked_at IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn admins_bind_and_unbind_only_within_their_firm() {
    let w = world().await;
    let id = employee(&w, "王会计", "13800000001", None).await;
    let other = w.app.add_firm("wwotherfirm00001", "OtherToken", KEY).await;
    let admin = Actor::Employee {
        id,
        name: "管理员".into(),
    };
    // The other firm guessing this employee's id finds nothing.
    let err = employees::bind_member(
        &w.app.state.ctx,
        &Who {
            firm_id: other.firm_id,
            actor: admin.clone(),
            ip: None,
        },
        id,
        "x",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, zhangfang::error::AppError::NotFound(_)));
    employees::bind_member(
        &w.app.state.ctx,
        &Who {
            firm_id: w.firm.firm_id,
            actor: admin.clone(),
            ip: None,
        },
        id,
        "wangkj",
    )
    .await
    .unwrap();
    // One member, one employee.
    let second = employee(&w, "赵会计", "13800000002", None).await;
    let err = employees::bind_member(
        &w.app.state.ctx,
        &Who {
            firm_id: w.firm.firm_id,
            actor: admin.clone(),
            ip: None,
        },
        second,
        "wangkj",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, zhangfang::error::AppError::Conflict(_)));
    let err = employees::unbind_member(
        &w.app.state.ctx,
        &Who {
            firm_id: other.firm_id,
            actor: admin.clone(),
            ip: None,
        },
        id,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, zhangfang::error::AppError::NotFound(_)));
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT COUNT(*) FROM employee WHERE id = {id} AND wecom_userid = 'wangkj'"
            ))
            .await,
        1
    );
}

#[tokio::test]
async fn a_session_of_one_firm_does_not_open_another_firms_sidebar() {
    let w = world().await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let session = sign_in(&w, "CODE1", "wangkj").await;
    w.app.add_firm("wwotherfirm00001", "OtherToken", KEY).await;
    let resp = get_with(&w, "/sidebar?corp_id=wwotherfirm00001", &session).await;
    assert_eq!(
        resp.status(),
        302,
        "the other firm's sidebar needs its own sign-in"
    );
    assert!(
        resp.headers()[LOCATION]
            .to_str()
            .unwrap()
            .contains("appid=wwotherfirm00001")
    );
}

async fn mount_tickets(w: &World) {
    for (p, ticket) in [
        ("/cgi-bin/get_jsapi_ticket", "CORP_TICKET"),
        ("/cgi-bin/ticket/get", "AGENT_TICKET"),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"errcode": 0, "errmsg": "ok", "ticket": ticket, "expires_in": 7200}),
            ))
            .mount(&w.wecom)
            .await;
    }
}

fn sha1_hex(text: &str) -> String {
    use sha1::{Digest, Sha1};
    hex::encode(Sha1::digest(text.as_bytes()))
}

#[tokio::test]
async fn the_jssdk_endpoint_signs_our_pages_with_both_tickets() {
    let w = world().await;
    mount_tickets(&w).await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let session = sign_in(&w, "CODE1", "wangkj").await;
    let page = format!(
        "{}/sidebar?entry=single#top",
        w.app.state.settings.public_base()
    );
    let resp = w
        .app
        .client
        .post(w.app.url("/wecom/jssdk/sign"))
        .header(COOKIE, &session)
        .json(&json!({"url": page}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["corp_id"], CORP);
    assert_eq!(body["agent_id"], "1000002");
    let signed_url = page.split('#').next().unwrap();
    for (field, ticket) in [("config", "CORP_TICKET"), ("agent_config", "AGENT_TICKET")] {
        let c = &body[field];
        let expected = sha1_hex(&format!(
            "jsapi_ticket={ticket}&noncestr={}&timestamp={}&url={signed_url}",
            c["nonce_str"].as_str().unwrap(),
            c["timestamp"].as_i64().unwrap()
        ));
        assert_eq!(c["signature"], expected, "{field}");
    }
    assert!(
        !body.to_string().contains("TICKET"),
        "tickets stay on the server"
    );
}

#[tokio::test]
async fn the_jssdk_endpoint_refuses_other_sites() {
    let w = world().await;
    mount_tickets(&w).await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let session = sign_in(&w, "CODE1", "wangkj").await;
    let base = w.app.state.settings.public_base().to_string();
    let host_and_port = base.trim_start_matches("http://");
    for url in [
        format!("http://{host_and_port}.evil.com/sidebar"),
        "https://evil.example/sidebar".to_string(),
        format!("https://{host_and_port}/sidebar"),
    ] {
        let resp = w
            .app
            .client
            .post(w.app.url("/wecom/jssdk/sign"))
            .header(COOKIE, &session)
            .json(&json!({"url": url}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{url}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "bad_request");
    }
}

#[tokio::test]
async fn wecom_failures_during_sign_in_explain_what_to_fix() {
    let w = world().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/auth/getuserinfo"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"errcode": 60020, "errmsg": "not allow to access from your ip"}),
            ),
        )
        .mount(&w.wecom)
        .await;
    let started = start_signin(&w, "/sidebar").await;
    let resp = oauth_return(&w, &started, "CODE1", &started.state).await;
    assert_eq!(resp.status(), 502);
    let body: Value = resp.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("60020"));
    assert!(body["message"].as_str().unwrap().contains("可信IP"));
}

#[tokio::test]
async fn an_oauth_round_trip_older_than_ten_minutes_is_refused_without_asking_wecom() {
    let w = world().await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    wecom_says_member_is(&w, "CODE1", "wangkj").await;
    let started = start_signin(&w, "/sidebar").await;
    w.app.clock.advance(Duration::minutes(11));
    let resp = oauth_return(&w, &started, "CODE1", &started.state).await;
    assert_eq!(resp.status(), 400);
    assert!(cookie_value(&resp, "zf_session").is_none());
    let asked = w
        .wecom
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/cgi-bin/auth/getuserinfo")
        .count();
    assert_eq!(asked, 0, "an expired round trip spends no WeCom call");
}

#[tokio::test]
async fn a_declined_authorization_is_refused_in_chinese() {
    let w = world().await;
    let started = start_signin(&w, "/sidebar").await;
    // WeCom comes back without a code when the member declines.
    let resp = w
        .app
        .client
        .get(
            w.app
                .url(&format!("/sidebar/oauth/callback?state={}", started.state)),
        )
        .header(COOKIE, &started.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("未同意授权"));
    assert_eq!(w.app.count("SELECT COUNT(*) FROM web_session").await, 0);
}

#[tokio::test]
async fn logging_out_ends_the_session_and_offers_signing_in_again() {
    let w = world().await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let session = sign_in(&w, "CODE1", "wangkj").await;
    let browser = crate::helpers::Browser::new(&w.app.address, &session);
    let csrf = browser.csrf_token("/sidebar").await;
    // A cross-site form posting to our logout carries the cookies but not the page's token.
    let forged = browser.post_form("/sidebar/logout", &[]).await;
    assert_eq!(forged.status(), 403);
    let resp = browser
        .post_form("/sidebar/logout", &[("csrf", &csrf)])
        .await;
    assert_eq!(resp.status(), 200);
    assert!(
        set_cookie_line(&resp, "zf_session").contains("Max-Age=0"),
        "the browser drops the cookie"
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("已退出登录") && html.contains("href=\"/sidebar\""));
    // The old cookie, replayed, opens nothing.
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 302);
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM web_session WHERE revoked_at IS NOT NULL")
            .await,
        1
    );
}

#[tokio::test]
async fn a_session_ends_after_seven_idle_days() {
    let w = world().await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let session = sign_in(&w, "CODE1", "wangkj").await;
    w.app.clock.advance(Duration::days(6));
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 200);
    // Used on day 6, so it lives until day 13.
    w.app.clock.advance(Duration::days(6));
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 200);
    w.app
        .clock
        .advance(Duration::days(7) + Duration::minutes(1));
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 302);
}

#[tokio::test]
async fn a_session_used_every_day_still_ends_thirty_days_after_sign_in() {
    let w = world().await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let session = sign_in(&w, "CODE1", "wangkj").await;
    for _ in 0..29 {
        w.app.clock.advance(Duration::days(1));
        assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 200);
    }
    // Read (and trusted for a few seconds) just before the end, refused just after it.
    w.app
        .clock
        .advance(Duration::days(1) - Duration::seconds(2));
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 200);
    w.app.clock.advance(Duration::seconds(3));
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 302);
}

#[tokio::test]
async fn page_views_within_a_minute_write_nothing() {
    let w = world().await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let session = sign_in(&w, "CODE1", "wangkj").await;
    let seen = || {
        crate::helpers::string_value(&w.app, "SELECT CAST(last_seen_at AS TEXT) FROM web_session")
    };
    let first = seen().await;
    w.app.clock.advance(Duration::seconds(30));
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 200);
    assert_eq!(seen().await, first, "no write within the minute");
    // A view two seconds before the minute is over, then one just after it: the session read by
    // the first is not trusted past the minute.
    w.app.clock.advance(Duration::seconds(28));
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 200);
    assert_eq!(seen().await, first, "no write within the minute");
    w.app.clock.advance(Duration::seconds(3));
    assert_eq!(get_with(&w, "/sidebar", &session).await.status(), 200);
    assert_ne!(seen().await, first, "extended once the minute is over");
}

#[tokio::test]
async fn signed_in_pages_are_never_cached() {
    let w = world().await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let session = sign_in(&w, "CODE1", "wangkj").await;
    let resp = get_with(&w, "/sidebar", &session).await;
    assert_eq!(resp.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn the_jssdk_endpoint_needs_a_session_and_a_small_body() {
    let w = world().await;
    mount_tickets(&w).await;
    let page = format!("{}/sidebar", w.app.state.settings.public_base());
    // Without a session: 401 with where to sign in, and no ticket is ever fetched.
    let resp = w
        .app
        .client
        .post(w.app.url("/wecom/jssdk/sign"))
        .json(&json!({"url": page, "corp_id": CORP}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert!(
        body["signin_url"]
            .as_str()
            .unwrap()
            .starts_with("/sidebar/signin")
    );
    let tickets = w
        .wecom
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().contains("ticket"))
        .count();
    assert_eq!(tickets, 0);

    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    let session = sign_in(&w, "CODE1", "wangkj").await;
    let huge = format!("{page}?pad={}", "x".repeat(8 * 1024));
    let resp = w
        .app
        .client
        .post(w.app.url("/wecom/jssdk/sign"))
        .header(COOKIE, &session)
        .json(&json!({ "url": huge }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn two_hundred_guesses_at_once_are_counted_one_by_one() {
    let w = world().await;
    employee(&w, "李会计", "13900000002", None).await;
    let b = reach_binding(&w, "CODE1", "likj").await;
    let resp = post_form(
        &w,
        "/sidebar/bind/code",
        &b.cookie,
        &[("phone", "13900000002"), ("csrf", &b.csrf)],
    )
    .await;
    assert_eq!(resp.status(), 200);
    let code = w.app.sms.last_code("13900000002").unwrap();
    let guesses = (0..199).map(|i| {
        let (cookie, csrf) = (b.cookie.clone(), b.csrf.clone());
        let w = &w;
        let wrong = format!("x{i:05}");
        async move {
            post_form(
                w,
                "/sidebar/bind",
                &cookie,
                &[("phone", "13900000002"), ("code", &wrong), ("csrf", &csrf)],
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    assert!(statuses.iter().all(|s| *s == 422));
    let resp = post_form(
        &w,
        "/sidebar/bind",
        &b.cookie,
        &[("phone", "13900000002"), ("code", &code), ("csrf", &b.csrf)],
    )
    .await;
    assert_eq!(
        resp.status(),
        422,
        "the code was burned after five attempts"
    );
    assert!(resp.text().await.unwrap().contains("错误次数过多"));
    assert_eq!(
        w.app
            .count("SELECT CAST(MAX(attempts) AS BIGINT) FROM sms_code")
            .await,
        5,
        "no attempt beyond the fifth was ever compared"
    );
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM employee WHERE wecom_userid = 'likj'")
            .await,
        0
    );
}

#[tokio::test]
async fn twenty_sends_at_once_issue_one_code() {
    let w = world().await;
    employee(&w, "李会计", "13900000002", None).await;
    let b = reach_binding(&w, "CODE1", "likj").await;
    let sends = (0..20).map(|_| {
        let (cookie, csrf) = (b.cookie.clone(), b.csrf.clone());
        let w = &w;
        async move {
            post_form(
                w,
                "/sidebar/bind/code",
                &cookie,
                &[("phone", "13900000002"), ("csrf", &csrf)],
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1);
    assert_eq!(w.app.sms.count(), 1);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM sms_code").await, 1);
}

#[tokio::test]
async fn a_member_gets_twenty_codes_a_day_and_an_address_fifty() {
    let w = world().await;
    for i in 0..60 {
        employee(&w, &format!("员工{i}"), &format!("1390000{i:04}"), None).await;
    }
    let send_all = |b: Binding, phones: Vec<String>| {
        let w = &w;
        async move {
            let sends = phones.into_iter().map(|phone| {
                let (cookie, csrf) = (b.cookie.clone(), b.csrf.clone());
                async move {
                    post_form(
                        w,
                        "/sidebar/bind/code",
                        &cookie,
                        &[("phone", phone.as_str()), ("csrf", &csrf)],
                    )
                    .await
                    .status()
                }
            });
            futures_util::future::join_all(sends)
                .await
                .into_iter()
                .filter(|s| *s == 200)
                .count()
        }
    };
    // One member asking for 25 different phones at once: 20 go through.
    let first = reach_binding(&w, "CODE1", "member1").await;
    let phones: Vec<String> = (0..25).map(|i| format!("1390000{i:04}")).collect();
    assert_eq!(send_all(first, phones).await, 20);
    // Two more members from the same address: the address stops at 50 in all.
    let second = reach_binding(&w, "CODE2", "member2").await;
    let phones: Vec<String> = (25..45).map(|i| format!("1390000{i:04}")).collect();
    assert_eq!(send_all(second, phones).await, 20);
    let third = reach_binding(&w, "CODE3", "member3").await;
    let phones: Vec<String> = (45..60).map(|i| format!("1390000{i:04}")).collect();
    assert_eq!(send_all(third, phones).await, 10);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM sms_code").await, 50);
}

#[tokio::test]
async fn a_replayed_oauth_callback_never_reaches_wecom_again() {
    let w = world().await;
    employee(&w, "王会计", "13800000001", Some("wangkj")).await;
    wecom_says_member_is(&w, "CODE1", "wangkj").await;
    let started = start_signin(&w, "/sidebar").await;
    let first = oauth_return(&w, &started, "CODE1", &started.state).await;
    assert_eq!(first.status(), 302);
    // The same state and cookie, sent again and again (a captured request replayed).
    for _ in 0..20 {
        let again = oauth_return(&w, &started, "CODE1", &started.state).await;
        assert_eq!(again.status(), 400);
    }
    let asked = w
        .wecom
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/cgi-bin/auth/getuserinfo")
        .count();
    assert_eq!(asked, 1, "one sign-in, one WeCom call");
    assert_eq!(w.app.count("SELECT COUNT(*) FROM web_session").await, 1);
}

#[tokio::test]
async fn sign_in_from_one_address_is_limited_to_thirty_a_minute() {
    let w = world().await;
    let started = start_signin(&w, "/sidebar").await;
    let mut limited = None;
    for i in 0..40 {
        let resp = oauth_return(&w, &started, "CODE", &format!("forged{i}")).await;
        if resp.status() == 429 {
            limited = Some((i, resp));
            break;
        }
        assert_eq!(resp.status(), 400);
    }
    let (i, resp) = limited.expect("the flood is cut off");
    assert_eq!(i, 29, "the start and 29 callbacks fit in the minute");
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    let body: Value = resp.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("操作太频繁"));
}
