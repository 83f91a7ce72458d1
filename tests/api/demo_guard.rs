//! The demo firm's keys follow from a public seed: outside demo mode it must not exist for us.

use chrono::NaiveDate;
use zhangfang::seed::{self, DEMO_CORP_ID, DEMO_SEED, Profile, SeedOptions};

use crate::helpers::{spawn_app, spawn_app_with};
use crate::wecom_fixtures::{external_contact_event, seal_event};

#[tokio::test]
async fn a_seeded_demo_firm_is_not_served_outside_demo_mode() {
    let app = spawn_app().await;
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    seed::run(
        &app.state.db,
        &app.state.secrets,
        SeedOptions {
            profile: Profile::Demo,
            seed: DEMO_SEED,
            as_of,
            progress: false,
        },
    )
    .await
    .unwrap();
    let dataset = seed::wecom_dataset(Profile::Demo, DEMO_SEED, as_of);

    // A callback correctly signed with the public demo keys finds no such corp.
    let sealed = seal_event(
        &dataset.app.token,
        &dataset.app.encoding_aes_key,
        DEMO_CORP_ID,
        &external_contact_event(DEMO_CORP_ID, "wmDEMO", 1_764_000_000),
        "1764122400",
        "nonce1",
    );
    let resp = app
        .client
        .post(app.url(&format!("/wecom/callback/{DEMO_CORP_ID}?{}", sealed.query)))
        .body(sealed.body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["errcode"], 40013);
    assert_eq!(app.count("SELECT COUNT(*) FROM callback_inbox").await, 0);

    // Sign-in for the demo corp is refused as unknown.
    let resp = app.get(&format!("/sidebar?corp_id={DEMO_CORP_ID}")).await;
    assert_eq!(resp.status(), 404);

    // A session of a demo employee (left over from demo mode) opens nothing.
    let employee_id = app
        .count("SELECT MIN(id) FROM employee WHERE wecom_userid IS NOT NULL")
        .await;
    let firm_id = app.count("SELECT id FROM firm WHERE is_demo = TRUE").await;
    let token = zhangfang::services::sessions::create(
        app.state.db.write(),
        firm_id,
        employee_id,
        zhangfang::db::entities::web_session::Kind::Sidebar,
        None,
        None,
        app.clock_now(),
    )
    .await
    .unwrap();
    let resp = app
        .client
        .get(app.url("/sidebar"))
        .header("cookie", format!("zf_session={token}"))
        .send()
        .await
        .unwrap();
    assert_ne!(resp.status(), 200);
}

#[tokio::test]
async fn demo_mode_stays_off_behind_a_reverse_proxy() {
    let app = spawn_app_with(|s| {
        s.demo.enabled = true;
        s.server.public_url = "https://zf.example.com".into();
    })
    .await;
    assert!(!app.state.demo());
    assert_eq!(app.get("/sandbox").await.status(), 404);
    assert_eq!(app.get("/sandbox/_sandbox/info").await.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM firm").await, 0);
}

#[tokio::test]
async fn demo_mode_stays_off_when_a_real_app_is_configured() {
    let app = spawn_app_with(|s| {
        s.demo.enabled = true;
        s.wecom.corp_id = "wwrealcorp000001".into();
        s.wecom.agent_id = "1000002".into();
        s.wecom.token = zhangfang::config::Secret::new("RealToken");
        s.wecom.encoding_aes_key =
            zhangfang::config::Secret::new("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C");
    })
    .await;
    assert!(!app.state.demo());
    assert_eq!(app.get("/sandbox").await.status(), 404);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM firm WHERE is_demo = TRUE")
            .await,
        0
    );
}

#[tokio::test]
async fn demo_mode_stays_off_when_the_database_holds_a_real_firm() {
    let first = spawn_app().await;
    first
        .add_firm(
            "wwrealcorp000002",
            "RealToken",
            "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        )
        .await;
    let url = first.state.settings.database.url.clone();
    let second = spawn_app_with(move |s| {
        s.demo.enabled = true;
        s.database.url = url;
    })
    .await;
    assert!(!second.state.demo());
    assert_eq!(second.get("/sandbox").await.status(), 404);
}

#[tokio::test]
async fn the_demo_sandbox_delivers_callbacks_only_to_this_instance() {
    let app = spawn_app_with(|s| s.demo.enabled = true).await;
    let elsewhere = wiremock::MockServer::start().await;
    for target in [
        format!("{}/wecom/callback/{DEMO_CORP_ID}", elsewhere.uri()),
        "http://169.254.169.254/latest/meta-data".to_string(),
        app.url("/admin/anything"),
    ] {
        let resp = app
            .client
            .post(app.url("/sandbox/_sandbox/callbacks"))
            .json(&serde_json::json!({
                "callback_url": target,
                "event": {
                    "event": "change_external_contact",
                    "change_type": "add_external_contact",
                    "userid": "nobody",
                    "external_userid": "wmDEMOGUARD00000000000000000000A",
                }
            }))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_client_error(), "{target}");
    }
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_demo_sandbox_redirects_only_to_this_host() {
    let app = spawn_app_with(|s| s.demo.enabled = true).await;
    let dataset = seed::wecom_dataset(
        Profile::Demo,
        DEMO_SEED,
        zhangfang::domain::clock::today_local(app.clock_now()),
    );
    let page = |redirect: &str| {
        app.url(&format!(
            "/sandbox/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state=x&agentid={}",
            dataset.corp_id,
            url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>(),
            dataset.app.agent_id
        ))
    };
    let evil = app
        .client
        .get(page("https://evil.example/steal"))
        .send()
        .await
        .unwrap();
    let html = evil.text().await.unwrap();
    assert!(html.contains("可信域名"), "{html}");
    let ours = app
        .client
        .get(page(&app.url("/sidebar/oauth/callback")))
        .send()
        .await
        .unwrap();
    assert_eq!(ours.status(), 200);
}

#[tokio::test]
async fn a_real_deployment_refuses_to_log_sms_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = zhangfang::config::Settings::defaults().unwrap();
    settings.server.listen = "127.0.0.1:0".into();
    settings.server.public_url = "https://zf.example.com".into();
    settings.server.data_dir = dir.path().to_path_buf();
    settings.demo.enabled = false;
    let (url, pg) = crate::helpers::test_database(dir.path()).await;
    settings.database.url = url;
    let result = zhangfang::startup::Application::build(settings).await;
    let err = result.err().expect("start-up is refused");
    let message = format!("{err:#}");
    assert!(
        message.contains("provider") && message.contains("tencent"),
        "{message}"
    );
    crate::helpers::drop_test_database(pg);
}
