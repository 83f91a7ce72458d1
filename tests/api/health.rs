//! Health check, home page, error pages.

use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_reports_the_database() {
    let app = spawn_app().await;
    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["ok"], true);
    assert_eq!(body["database"]["pending_migrations"], 0);
    let backend = body["database"]["backend"].as_str().unwrap();
    assert!(backend == "sqlite" || backend == "postgres");
}

#[tokio::test]
async fn home_page_says_what_is_running() {
    let app = spawn_app().await;
    let resp = app.get("/").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("服务运行中"));
    assert!(html.contains("/admin/login"), "where admins sign in");
    // A public page in production says nothing about the deployment.
    for detail in [
        "数据库",
        "待处理回调事件",
        "已接入的企业",
        "sqlite",
        "postgres",
    ] {
        assert!(!html.contains(detail), "{detail} on a public page");
    }
    // Tenants are not listed on a production home page.
    app.add_firm(
        "wwhiddencorp0001",
        "tok",
        "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
    )
    .await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(!html.contains("wwhiddencorp0001"));
}

#[tokio::test]
async fn home_page_never_shows_secrets_or_database_passwords() {
    const PASSWORD: &str = "Hunter2-in-the-url";
    // On PostgreSQL the database URL carries a password (the test server trusts loopback, so
    // any password connects); SQLite URLs have none to leak.
    let app = spawn_app_with(|s| {
        if s.database.url.is_postgres() {
            let mut url = url::Url::parse(s.database.url.expose()).unwrap();
            url.set_password(Some(PASSWORD)).unwrap();
            s.database.url = zhangfang::config::DatabaseUrl::new(url.to_string());
        }
    })
    .await;
    let firm = app
        .add_firm(
            "wwsecretcheck01",
            "TokenValue123",
            "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
        )
        .await;
    for path in ["/", "/healthz", "/no-such-page"] {
        let text = app.get(path).await.text().await.unwrap();
        assert!(!text.contains(&firm.token), "{path}");
        assert!(!text.contains(&firm.key), "{path}");
        assert!(!text.contains(PASSWORD), "{path}: {text}");
    }
}

#[tokio::test]
async fn unknown_pages_are_a_chinese_html_404_for_browsers_and_json_for_clients() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/no/such/page"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("页面不存在"));
    assert!(
        html.contains("<title>找不到页面 · 账房</title>") && html.contains("错误代码 404"),
        "the page speaks Chinese, with the code for support: {html}"
    );
    assert!(!html.contains("Not Found"), "{html}");

    let resp = app.get("/no/such/page").await;
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn static_css_is_served_from_the_binary() {
    let app = spawn_app().await;
    let resp = app.get("/static/css/app.css").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(app.get("/static/../Cargo.toml").await.status(), 404);
}

#[tokio::test]
async fn pages_name_an_icon_the_binary_serves() {
    let app = spawn_app().await;
    let home = app.get("/").await.text().await.unwrap();
    let href = home
        .split("<link rel=\"icon\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the page names its icon, so browsers do not ask for /favicon.ico");
    let resp = app.get(href).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    assert!(resp.text().await.unwrap().starts_with("<svg"));
}

#[tokio::test]
async fn demo_mode_refuses_a_non_loopback_listen_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = zhangfang::config::Settings::defaults().unwrap();
    settings.server.listen = "0.0.0.0:0".into();
    settings.server.data_dir = dir.path().to_path_buf();
    settings.database.url =
        zhangfang::config::DatabaseUrl::new(format!("sqlite://{}/x.db", dir.path().display()));
    settings.demo.enabled = true;
    let err = zhangfang::startup::Application::build(settings)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("loopback"), "{err}");
}

#[tokio::test]
async fn the_wecom_config_section_registers_its_firm_once() {
    let app = spawn_app_with(|s| {
        s.wecom.corp_id = "wwconfigured00001".into();
        s.wecom.agent_id = "1000002".into();
        s.wecom.secret = zhangfang::config::Secret::new("app-secret");
        s.wecom.token = zhangfang::config::Secret::new("ConfigToken");
        s.wecom.encoding_aes_key =
            zhangfang::config::Secret::new("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C");
    })
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM firm WHERE corp_id = 'wwconfigured00001'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM wecom_app WHERE is_primary")
            .await,
        1
    );
    // Stored secrets are sealed, never plain text.
    let sealed = crate::helpers::string_value(&app, "SELECT token_enc FROM wecom_app").await;
    assert!(sealed.starts_with("v1:") && !sealed.contains("ConfigToken"));
    // Bootstrapping again (another start) changes nothing.
    zhangfang::services::firms::bootstrap_from_config(
        &app.state.db,
        &app.state.secrets,
        &app.state.settings.wecom,
        app.clock_now(),
    )
    .await
    .unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM firm").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM wecom_app").await, 1);
}

#[tokio::test]
async fn pages_refuse_to_be_framed_by_other_sites() {
    let app = spawn_app().await;
    for path in ["/", "/sidebar", "/no-such-page"] {
        let resp = app.get(path).await;
        assert_eq!(resp.headers()["x-frame-options"], "SAMEORIGIN", "{path}");
        assert_eq!(
            resp.headers()["content-security-policy"],
            "frame-ancestors 'self'",
            "{path}"
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let url = app.state.settings.database.url.clone();
    let Some(path) = url.expose().strip_prefix("sqlite://") else {
        return; // PostgreSQL: nothing on our disk.
    };
    for file in [path.to_string(), format!("{path}-wal")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file}");
    }
}
