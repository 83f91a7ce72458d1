//! The OAuth authorize page and the web-login page.

use actix_web::http::{StatusCode, header};
use actix_web::test::{self, TestRequest};

use super::builder::{self, AGENT_ID, CORP_ID};
use super::{app, errcode, get, json, sandbox_with, small_sandbox, token};
use crate::sandbox::SandboxOptions;

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn authorize_uri(redirect: &str, state: &str) -> String {
    format!(
        "/connect/oauth2/authorize?appid={CORP_ID}&redirect_uri={}&response_type=code&scope=snsapi_base&state={}&agentid={AGENT_ID}",
        enc(redirect),
        enc(state)
    )
}

/// Status, body and Location of a page request.
async fn page<S, R, B>(app: &S, req: R) -> (StatusCode, String, Option<String>)
where
    S: actix_web::dev::Service<
            R,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let resp = test::call_service(app, req).await;
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string());
    if status == StatusCode::OK || status == StatusCode::BAD_REQUEST {
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(ct.starts_with("text/html"), "{ct}");
        assert!(
            resp.headers()
                .get(header::CONTENT_SECURITY_POLICY)
                .is_some()
        );
    }
    let body = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    (status, body, location)
}

/// The pick link of `userid` on a picker page, unescaped.
fn pick_link(html: &str, userid: &str) -> String {
    let needle = format!("userid={userid}\"");
    let end = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no link for {userid}"))
        + needle.len()
        - 1;
    let start = html[..end].rfind("href=\"").unwrap() + 6;
    html[start..end].replace("&amp;", "&")
}

fn query_param(url: &str, key: &str) -> Option<String> {
    let parsed = url::Url::parse(url).unwrap();
    parsed
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[actix_web::test]
async fn authorize_lists_members_and_code_works_once() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let redirect = "https://zf.example.com/sidebar/callback?firm=1&lang=zh";
    let (status, html, _) = page(&app, get(&authorize_uri(redirect, "s123")).to_request()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("选择你的企业微信身份"));
    assert!(html.contains("name=\"viewport\" content=\"width=device-width, initial-scale=1\""));
    assert!(html.contains("测试代账有限公司"));
    for text in ["张三", "客户经理 · zhangsan", "李四", "会计 · lisi", "王五"] {
        assert!(html.contains(text), "{text}");
    }
    assert!(html.contains("zf.example.com"));

    let link = pick_link(&html, "lisi");
    assert!(link.starts_with("/connect/oauth2/authorize/pick?"));
    let (status, _, location) = page(&app, get(&link).to_request()).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.unwrap();
    assert!(
        location.starts_with("https://zf.example.com/sidebar/callback?firm=1&lang=zh&code="),
        "{location}"
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("s123"));
    let code = query_param(&location, "code").unwrap();

    let t = token!(app);
    let uri = format!("/cgi-bin/auth/getuserinfo?access_token={t}&code={code}");
    let v = json(&app, get(&uri).to_request()).await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(v["userid"], "lisi");
    assert!(
        v.get("user_ticket").is_none(),
        "snsapi_base has no user_ticket"
    );
    let v = json(&app, get(&uri).to_request()).await;
    assert_eq!(errcode(&v), 40029, "single use");
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/auth/getuserinfo?access_token={t}&code=made-up"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 40029);
}

#[actix_web::test]
async fn codes_live_five_minutes() {
    let (sb, clock) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let (_, html, _) = page(
        &app,
        get(&authorize_uri("https://zf.example.com/cb", "")).to_request(),
    )
    .await;
    let link = pick_link(&html, "zhangsan");
    let (_, _, first) = page(&app, get(&link).to_request()).await;
    let (_, _, second) = page(&app, get(&link).to_request()).await;
    let first = query_param(&first.unwrap(), "code").unwrap();
    let second = query_param(&second.unwrap(), "code").unwrap();
    assert_ne!(first, second);
    clock.advance(299);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/auth/getuserinfo?access_token={t}&code={first}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["userid"], "zhangsan");
    clock.advance(1);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/auth/getuserinfo?access_token={t}&code={second}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 40029, "expired after 5 minutes");
}

#[actix_web::test]
async fn hostile_state_and_redirect_are_escaped() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let state = "\"><script>alert(1)</script>&x='y";
    let redirect = "https://zf.example.com/cb?q=\"><img src=x onerror=alert(2)>";
    let (status, html, _) = page(&app, get(&authorize_uri(redirect, state)).to_request()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Every attribute value is quoted and free of raw quotes from the input.
    for href in html.split("href=\"").skip(1) {
        let value = &href[..href.find('"').unwrap()];
        assert!(
            !value.contains('<') && !value.contains('>') && !value.contains('\''),
            "{value}"
        );
    }
    let link = pick_link(&html, "zhangsan");
    let (status, _, location) = page(&app, get(&link).to_request()).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.unwrap();
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(state),
        "state round-trips exactly"
    );
    assert!(
        !location.contains('<') && !location.contains('"'),
        "{location}"
    );

    // Error pages escape what they echo too.
    let (status, html, _) = page(
        &app,
        get("/wwlogin/sso/login?login_type=%3Cscript%3Ealert(3)%3C/script%3E").to_request(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!html.contains("<script>alert(3)"));
    assert!(html.contains("&lt;script&gt;alert(3)"));
}

#[actix_web::test]
async fn bad_parameters_get_an_error_page() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let good = "https://zf.example.com/cb";
    let cases = [
        (
            authorize_uri(good, "s").replace(CORP_ID, "wwunknown"),
            Some("40013"),
        ),
        (
            format!(
                "/connect/oauth2/authorize?response_type=code&redirect_uri={}",
                enc(good)
            ),
            None,
        ),
        (
            format!("/connect/oauth2/authorize?appid={CORP_ID}&response_type=code"),
            None,
        ),
        (authorize_uri("javascript:alert(1)", "s"), None),
        (authorize_uri("ftp://zf.example.com/cb", "s"), None),
        (authorize_uri("/relative/path", "s"), None),
        (
            authorize_uri(good, "s").replace("response_type=code", "response_type=token"),
            None,
        ),
        (
            authorize_uri(good, "s").replace("snsapi_base", "snsapi_userinfo"),
            None,
        ),
        (
            authorize_uri(good, "s").replace(AGENT_ID, "1000009"),
            Some("40056"),
        ),
        (authorize_uri(good, &"x".repeat(600)), None),
    ];
    for (uri, code) in cases {
        let (status, html, location) = page(&app, get(&uri).to_request()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(location.is_none());
        assert!(html.contains("无法继续"), "{uri}");
        if let Some(code) = code {
            assert!(html.contains(code), "{uri}: {html}");
        }
    }
    // Picking an unknown member, or without one.
    let link = authorize_uri(good, "s").replace("/authorize?", "/authorize/pick?");
    let (status, _, _) = page(&app, get(&format!("{link}&userid=ghost")).to_request()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = page(&app, get(&link).to_request()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn trusted_hosts_are_enforced() {
    let (sb, _) = sandbox_with(
        builder::small(),
        SandboxOptions {
            trusted_redirect_hosts: vec!["zf.example.com".into(), "127.0.0.1:8080".into()],
            ..SandboxOptions::default()
        },
    );
    let app = app!(sb);
    for ok in [
        "https://zf.example.com/cb",
        "https://ZF.example.com:443/cb",
        "http://127.0.0.1:8080/wecom/oauth",
    ] {
        let (status, _, _) = page(&app, get(&authorize_uri(ok, "s")).to_request()).await;
        assert_eq!(status, StatusCode::OK, "{ok}");
    }
    for bad in [
        "https://evil.example.com/cb",
        "https://zf.example.com.evil.com/cb",
        "http://127.0.0.1:9090/cb",
        "https://sub.zf.example.com/cb",
    ] {
        let (status, html, _) = page(&app, get(&authorize_uri(bad, "s")).to_request()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(html.contains("50001"), "{bad}");
        assert!(html.contains("可信域名"));
    }
    // A pick link edited to an untrusted host is refused too.
    let link = authorize_uri("https://evil.example.com/cb", "s")
        .replace("/authorize?", "/authorize/pick?");
    let (status, html, _) = page(&app, get(&format!("{link}&userid=lisi")).to_request()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("50001"));
}

#[actix_web::test]
async fn wechat_redirect_fragment_is_ignored() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    // A client that sent the fragment along (URL-encoded into the last parameter).
    let uri = format!(
        "{}%23wechat_redirect",
        authorize_uri("https://zf.example.com/cb#/spa-route", "st")
    );
    let (status, html, _) = page(&app, get(&uri).to_request()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, _, location) = page(&app, get(&pick_link(&html, "lisi")).to_request()).await;
    let location = location.unwrap();
    assert!(
        location.starts_with("https://zf.example.com/cb?code="),
        "{location}"
    );
    assert!(
        location.ends_with("&state=st#/spa-route"),
        "the app's own route survives: {location}"
    );
    assert!(!location.contains("wechat_redirect"));
    assert_eq!(query_param(&location, "state").as_deref(), Some("st"));

    // The marker inside redirect_uri itself is dropped as well.
    let uri = authorize_uri("https://zf.example.com/cb#wechat_redirect", "st");
    let (status, html, _) = page(&app, get(&uri).to_request()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, _, location) = page(&app, get(&pick_link(&html, "lisi")).to_request()).await;
    assert!(!location.unwrap().contains('#'));
}

#[actix_web::test]
async fn privateinfo_scope_adds_a_user_ticket() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let uri = authorize_uri("https://zf.example.com/cb", "s")
        .replace("snsapi_base", "snsapi_privateinfo");
    let (_, html, _) = page(&app, get(&uri).to_request()).await;
    let (_, _, location) = page(&app, get(&pick_link(&html, "zhangsan")).to_request()).await;
    let code = query_param(&location.unwrap(), "code").unwrap();
    let t = token!(app);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/auth/getuserinfo?access_token={t}&code={code}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["userid"], "zhangsan");
    assert!(v["user_ticket"].as_str().is_some_and(|s| !s.is_empty()));
    // WeCom's answer carries no expires_in.
    assert!(v.get("expires_in").is_none(), "{v}");
    // privateinfo without agentid is refused.
    let uri = uri.replace(&format!("&agentid={AGENT_ID}"), "");
    let (status, _, _) = page(&app, get(&uri).to_request()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn web_login_picker() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let redirect = "https://zf.example.com/admin/login/wecom";
    let uri = format!(
        "/wwlogin/sso/login?login_type=CorpApp&appid={CORP_ID}&agentid={AGENT_ID}&redirect_uri={}&state=adm1",
        enc(redirect)
    );
    let (status, html, _) = page(&app, get(&uri).to_request()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("扫码登录（沙箱）"));
    assert!(html.contains("class=\"qr\""));
    assert!(html.contains("张三") && html.contains("wangwu"));
    let link = pick_link(&html, "wangwu");
    assert!(link.starts_with("/wwlogin/sso/login/pick?"));
    let (status, _, location) = page(&app, get(&link).to_request()).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.unwrap();
    assert!(location.starts_with(&format!("{redirect}?code=")));
    assert_eq!(query_param(&location, "state").as_deref(), Some("adm1"));
    let code = query_param(&location, "code").unwrap();
    let t = token!(app);
    let uri_info = format!("/cgi-bin/auth/getuserinfo?access_token={t}&code={code}");
    assert_eq!(
        json(&app, get(&uri_info).to_request()).await["userid"],
        "wangwu"
    );
    assert_eq!(
        errcode(&json(&app, get(&uri_info).to_request()).await),
        40029
    );

    for bad in [
        uri.replace("CorpApp", "ServiceApp"),
        uri.replace("login_type=CorpApp&", ""),
        uri.replace(&format!("&agentid={AGENT_ID}"), ""),
        uri.replace(CORP_ID, "wwother"),
        uri.replace(&enc(redirect), "data%3Atext%2Fhtml%2Cx"),
    ] {
        let (status, _, _) = page(&app, get(&bad).to_request()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[actix_web::test]
async fn pages_only_answer_get() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let resp = test::call_service(
        &app,
        TestRequest::post()
            .uri(&authorize_uri("https://zf.example.com/cb", "s"))
            .to_request(),
    )
    .await;
    assert!(resp.status().is_client_error());
}
