//! Demo mode end to end, as a newcomer runs it: the app seeds the demo firm and plays WeCom with
//! the in-app sandbox. /sidebar → the sandbox's OAuth page → pick a member → bind by phone and
//! code (shown on the page in demo mode) → signed in. Only HTTP, like a browser.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::{TestApp, spawn_app_with};

async fn demo_app() -> TestApp {
    spawn_app_with(|s| s.demo.enabled = true).await
}

/// Cookies set by a response, as `name=value` pairs.
fn cookies_from(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter(|pair| !pair.ends_with('='))
        .map(str::to_string)
        .collect()
}

fn unescape(html: &str) -> String {
    html.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
}

/// Follows the sidebar to the sandbox's picker, picks `userid`, and returns the response of our
/// OAuth callback plus the browser's cookies.
async fn pick_member(app: &TestApp, userid: &str) -> (reqwest::Response, Vec<String>) {
    let (resp, jar, _) = pick_member_with_callback(app, userid).await;
    (resp, jar)
}

/// As [`pick_member`], also returning the callback URL (with its one-time code) WeCom sent.
async fn pick_member_with_callback(
    app: &TestApp,
    userid: &str,
) -> (reqwest::Response, Vec<String>, String) {
    let start = app.get("/sidebar").await;
    assert_eq!(start.status(), 302);
    let mut jar = cookies_from(&start);
    let authorize = start.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(
        authorize.starts_with(&format!(
            "{}/sandbox/connect/oauth2/authorize?",
            app.address
        )),
        "demo mode sends the browser to the in-app sandbox: {authorize}"
    );
    let page = app.client.get(&authorize).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(userid), "the picker lists the member");
    let href = html
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(unescape)
        .find(|href| href.contains(&format!("userid={userid}")))
        .expect("a link for the member");
    let pick = app.client.get(app.url(&href)).send().await.unwrap();
    assert_eq!(pick.status(), 302);
    let back = pick.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(back.starts_with(&format!("{}/sidebar/oauth/callback?", app.address)));
    let resp = app
        .client
        .get(&back)
        .header(COOKIE, jar.join("; "))
        .send()
        .await
        .unwrap();
    jar.extend(cookies_from(&resp));
    (resp, jar, back)
}

#[tokio::test]
async fn a_bound_demo_member_signs_in_through_the_sandbox() {
    let app = demo_app().await;
    let userid = crate::helpers::string_value(
        &app,
        "SELECT wecom_userid FROM employee WHERE wecom_userid IS NOT NULL ORDER BY id LIMIT 1",
    )
    .await;
    let (resp, jar) = pick_member(&app, &userid).await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()[LOCATION], "/sidebar");
    let sidebar = app
        .client
        .get(app.url("/sidebar"))
        .header(COOKIE, jar.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(sidebar.status(), 200);
    let name = crate::helpers::string_value(
        &app,
        &format!("SELECT name FROM employee WHERE wecom_userid = '{userid}'"),
    )
    .await;
    assert!(sidebar.text().await.unwrap().contains(&name));
}

#[tokio::test]
async fn an_unbound_demo_member_binds_with_the_code_shown_in_demo_mode() {
    let app = demo_app().await;
    // The demo seeds employees whose WeCom member has not bound yet; the member's phone is the
    // employee's mobile.
    let mobile = crate::helpers::string_value(
        &app,
        "SELECT mobile FROM employee WHERE wecom_userid IS NULL AND mobile IS NOT NULL ORDER BY id LIMIT 1",
    )
    .await;
    let dataset = zhangfang::seed::wecom_dataset(
        zhangfang::seed::Profile::Demo,
        zhangfang::seed::DEMO_SEED,
        zhangfang::domain::clock::today_local(app.clock_now()),
    );
    let member = dataset
        .members
        .iter()
        .find(|m| m.mobile == mobile)
        .expect("an unbound employee is a sandbox member");
    let (resp, mut jar) = pick_member(&app, &member.userid).await;
    assert_eq!(resp.headers()[LOCATION], "/sidebar/bind");
    let form = app
        .client
        .get(app.url("/sidebar/bind"))
        .header(COOKIE, jar.join("; "))
        .send()
        .await
        .unwrap();
    let html = form.text().await.unwrap();
    assert!(
        html.contains("href=\"/sandbox#codes\""),
        "the demo's form points to the front desk, which lists the phones and codes"
    );
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let sent = app
        .client
        .post(app.url("/sidebar/bind/code"))
        .header(COOKIE, jar.join("; "))
        .form(&[("phone", mobile.as_str()), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let html = sent.text().await.unwrap();
    let code = html
        .split("验证码 <strong>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("demo mode shows the code")
        .to_string();
    assert!(
        !html.contains("id=\"demo-front-desk\""),
        "the code in hand needs no pointer to the list"
    );

    // A mistyped code: the code is stored only as a hash, so the refusal cannot show it again,
    // but it still points to the front desk, where the code is listed.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = app
        .client
        .post(app.url("/sidebar/bind"))
        .header(COOKIE, jar.join("; "))
        .form(&[
            ("phone", mobile.as_str()),
            ("code", wrong),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("role=\"alert\"") && !html.contains(&code));
    assert!(html.contains("href=\"/sandbox#codes\""), "{html}");
    let desk = app.get("/sandbox").await.text().await.unwrap();
    assert!(desk.contains(&format!("<strong>{code}</strong>")));
    let bound = app
        .client
        .post(app.url("/sidebar/bind"))
        .header(COOKIE, jar.join("; "))
        .form(&[
            ("phone", mobile.as_str()),
            ("code", code.as_str()),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bound.status(), 302);
    jar.extend(cookies_from(&bound));
    let sidebar = app
        .client
        .get(app.url("/sidebar"))
        .header(COOKIE, jar.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(sidebar.status(), 200);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employee WHERE mobile = '{mobile}' AND wecom_userid = '{}'",
            member.userid
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn the_demo_sandbox_signs_callbacks_the_app_accepts() {
    let app = demo_app().await;
    let dataset = zhangfang::seed::wecom_dataset(
        zhangfang::seed::Profile::Demo,
        zhangfang::seed::DEMO_SEED,
        zhangfang::domain::clock::today_local(app.clock_now()),
    );
    let event = serde_json::json!({
        "callback_url": app.url(&format!("/wecom/callback/{}", dataset.corp_id)),
        "event": {
            "event": "change_external_contact",
            "change_type": "add_external_contact",
            "userid": dataset.members[0].userid,
            "external_userid": "wmDEMOFLOW000000000000000000000A",
        }
    });
    let resp = app
        .client
        .post(app.url("/sandbox/_sandbox/callbacks"))
        .json(&event)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM callback_inbox WHERE change_type = 'add_external_contact'")
            .await,
        1,
        "{body}"
    );
}

#[tokio::test]
async fn the_home_page_lists_the_demo_firm_and_its_callback_url() {
    let app = demo_app().await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("演示模式"));
    assert!(html.contains(zhangfang::seed::DEMO_CORP_ID));
    assert!(html.contains(&format!(
        "/wecom/callback/{}",
        zhangfang::seed::DEMO_CORP_ID
    )));
}

#[tokio::test]
async fn a_used_oauth_code_asks_the_person_to_open_the_sidebar_again() {
    let app = demo_app().await;
    let userid = crate::helpers::string_value(
        &app,
        "SELECT wecom_userid FROM employee WHERE wecom_userid IS NOT NULL ORDER BY id LIMIT 1",
    )
    .await;
    let (first, _, callback) = pick_member_with_callback(&app, &userid).await;
    assert_eq!(first.status(), 302);
    // A new sign-in (its own state) comes back with the code already spent, as a reload or a
    // back button does.
    let start = app.get("/sidebar").await;
    let jar = cookies_from(&start);
    let state = url::Url::parse(start.headers()[LOCATION].to_str().unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.to_string())
        .unwrap();
    let code = url::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.to_string())
        .unwrap();
    let resp = app
        .client
        .get(app.url(&format!(
            "/sidebar/oauth/callback?code={code}&state={state}"
        )))
        .header(COOKIE, jar.join("; "))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        400,
        "the person's mistake, not WeCom's failure"
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("重新打开侧边栏"), "{html}");
    assert!(
        html.contains("href=\"/sidebar\"") && html.contains("重新登录"),
        "{html}"
    );
}

#[tokio::test]
async fn the_sandbox_page_shows_members_their_binding_and_the_last_codes() {
    let app = demo_app().await;
    let page = app.get("/sandbox").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("成员与绑定状态") && html.contains("已绑定员工"));
    assert!(
        html.contains("未绑定：用此手机号绑定员工"),
        "unbound members show the phone to use"
    );
    assert!(html.contains("/sandbox/_sandbox/faults"));
    assert!(html.contains("还没有发送过验证码"));

    // After a member asks for a code on the binding page, the code shows here too.
    let mobile = crate::helpers::string_value(
        &app,
        "SELECT mobile FROM employee WHERE wecom_userid IS NULL AND mobile IS NOT NULL ORDER BY id LIMIT 1",
    )
    .await;
    let dataset = zhangfang::seed::wecom_dataset(
        zhangfang::seed::Profile::Demo,
        zhangfang::seed::DEMO_SEED,
        zhangfang::domain::clock::today_local(app.clock_now()),
    );
    let member = dataset.members.iter().find(|m| m.mobile == mobile).unwrap();
    assert!(html.contains(&mobile));
    let (_, jar) = pick_member(&app, &member.userid).await;
    let form = app
        .client
        .get(app.url("/sidebar/bind"))
        .header(COOKIE, jar.join("; "))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = form
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let sent = app
        .client
        .post(app.url("/sidebar/bind/code"))
        .header(COOKIE, jar.join("; "))
        .form(&[("phone", mobile.as_str()), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let shown = sent.text().await.unwrap();
    let code = shown
        .split("<strong>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_string();
    let html = app.get("/sandbox").await.text().await.unwrap();
    assert!(html.contains(&format!("<strong>{code}</strong>")), "{html}");
}

#[tokio::test]
async fn there_is_no_sandbox_page_outside_demo_mode() {
    let app = crate::helpers::spawn_app().await;
    assert_eq!(app.get("/sandbox").await.status(), 404);
}

#[tokio::test]
async fn the_demo_shows_its_admin_and_the_admin_signs_in() {
    let app = demo_app().await;
    let home = app.get("/").await.text().await.unwrap();
    let login = app.get("/admin/login").await.text().await.unwrap();
    let strong = |html: &str, n: usize| -> String {
        html.split("id=\"demo-admin\"")
            .nth(1)
            .unwrap_or(html)
            .split("<strong>")
            .nth(n)
            .and_then(|r| r.split('<').next())
            .unwrap()
            .to_string()
    };
    let (phone, password) = (strong(&login, 1), strong(&login, 2));
    assert!(home.contains(&phone) && home.contains(&password));
    let b = crate::helpers::Browser::new(&app.address, "zf_nothing=1");
    let csrf = b.csrf_token("/admin/login").await;
    let resp = b
        .post_form(
            "/admin/login",
            &[("phone", &phone), ("password", &password), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert!(
        b.get("/admin")
            .await
            .text()
            .await
            .unwrap()
            .contains("系统状态")
    );
}

#[tokio::test]
async fn the_demo_can_be_seeded_at_a_larger_profile_and_is_still_the_demo() {
    use zhangfang::seed::{self, Profile, SeedOptions};
    let app = spawn_app_with(|s| {
        s.demo.enabled = true;
        s.demo.profile = Profile::S;
    })
    .await;
    let corp_id = seed::demo_corp_id(Profile::S);
    assert_ne!(corp_id, seed::DEMO_CORP_ID);
    let firm_id = app
        .count(&format!(
            "SELECT id FROM firm WHERE corp_id = '{corp_id}' AND is_demo = TRUE"
        ))
        .await;
    assert!(firm_id > 0, "the S firm is the demo firm");
    assert_eq!(app.count("SELECT COUNT(*) FROM firm").await, 1);
    let customers = app
        .count(&format!(
            "SELECT COUNT(*) FROM customer WHERE firm_id = {firm_id}"
        ))
        .await;
    assert_eq!(customers, 300);
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);

    // The home page offers that firm's admin, and the in-app sandbox plays that corp.
    let home = reqwest::get(app.url("/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let phone = crate::helpers::string_value(
        &app,
        &format!(
            "SELECT mobile FROM employee WHERE firm_id = {firm_id} AND role = 'super_admin' ORDER BY id LIMIT 1"
        ),
    )
    .await;
    assert!(home.contains(&phone), "{home}");
    let member = crate::helpers::string_value(
        &app,
        &format!(
            "SELECT wecom_userid FROM employee WHERE firm_id = {firm_id} AND wecom_userid IS NOT NULL ORDER BY id LIMIT 1"
        ),
    )
    .await;
    let (resp, _) = pick_member(&app, &member).await;
    assert!(
        resp.status().is_redirection() || resp.status().is_success(),
        "{}",
        resp.status()
    );

    // Seeding the same profile again leaves the demo as it was.
    let err = seed::run(
        &app.state.db,
        &app.state.secrets,
        SeedOptions {
            profile: Profile::S,
            seed: seed::DEMO_SEED,
            as_of: app.clock_now().date_naive(),
            progress: false,
        },
    )
    .await
    .expect_err("the demo firm exists");
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer WHERE firm_id = {firm_id}"
        ))
        .await,
        300
    );
}

/// The demo's chat picker offers first the chats the member is in, the only ones WeCom would
/// open the sidebar in; the firm's other chats follow apart, to try a refusal.
#[tokio::test]
async fn the_demo_picker_lists_the_members_own_chats_first() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = demo_app().await;
    let userid = crate::helpers::string_value(
        &app,
        "SELECT f.userid FROM external_follow f JOIN employee e ON e.wecom_userid = f.userid \
         WHERE f.deleted_at IS NULL GROUP BY f.userid ORDER BY COUNT(*) DESC, f.userid LIMIT 1",
    )
    .await;
    let ids = |sql: String| {
        let app = &app;
        async move {
            app.state
                .db
                .read()
                .query_all_raw(Statement::from_string(app.backend(), sql))
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.try_get_by_index::<String>(0).unwrap())
                .collect::<Vec<String>>()
        }
    };
    let followed = ids(format!(
        "SELECT c.external_userid FROM wecom_external_contact c JOIN external_follow f \
         ON f.external_contact_id = c.id AND f.deleted_at IS NULL AND f.userid = '{userid}' \
         WHERE c.deleted_at IS NULL"
    ))
    .await;
    let not_followed = ids(format!(
        "SELECT c.external_userid FROM wecom_external_contact c WHERE c.deleted_at IS NULL AND NOT EXISTS \
         (SELECT 1 FROM external_follow f WHERE f.external_contact_id = c.id \
          AND f.deleted_at IS NULL AND f.userid = '{userid}')"
    ))
    .await;
    assert!(!followed.is_empty() && !not_followed.is_empty());

    let html = app
        .signed_in(&userid)
        .await
        .get("/sidebar")
        .await
        .text()
        .await
        .unwrap();
    let mine = html
        .split("<optgroup label=\"我的聊天\">")
        .nth(1)
        .and_then(|r| r.split("</optgroup>").next())
        .expect("a group of the member's own chats");
    let others = html
        .split("<optgroup label=\"其他聊天")
        .nth(1)
        .expect("the other chats, apart");
    let option = |id: &String| format!("value=\"contact:{id}\"");
    for id in &followed {
        assert!(mine.contains(&option(id)), "{id} in {mine}");
    }
    for id in &not_followed {
        assert!(!mine.contains(&option(id)), "{id} is not theirs");
        assert!(others.contains(&option(id)), "{id}");
    }
}
