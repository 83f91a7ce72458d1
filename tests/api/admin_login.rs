//! Back-office sign-in: phone and password, CSRF on the form, lockout, and its own session.

use chrono::Duration;
use reqwest::header::LOCATION;
use zhangfang::db::entities::employee::Role;

use crate::helpers::{Browser, NewEmployee, TestApp, TestFirm, csrf_in, spawn_app};

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

async fn firm_with_admin(app: &TestApp, password: &str) -> TestFirm {
    let firm = app.add_firm("wwbackoffice001", "Token", KEY).await;
    app.add_employee(
        firm.firm_id,
        NewEmployee {
            name: "赵管理",
            mobile: Some("13700000001"),
            role: Role::Admin,
            ..NewEmployee::default()
        },
    )
    .await;
    set_password(app, "13700000001", password).await;
    firm
}

async fn set_password(app: &TestApp, phone: &str, password: &str) {
    let hash = zhangfang::services::passwords::hash(password).unwrap();
    sea_orm::ConnectionTrait::execute_raw(
        app.state.db.write(),
        zhangfang::db::statement(
            app.backend(),
            "UPDATE employee SET password_hash = ? WHERE mobile = ?",
            [hash.into(), phone.into()],
        ),
    )
    .await
    .unwrap();
}

/// A browser with no session yet.
fn visitor(app: &TestApp) -> Browser {
    Browser::new(&app.address, "zf_nothing=1")
}

async fn log_in(b: &Browser, phone: &str, password: &str) -> reqwest::Response {
    let csrf = b.csrf_token("/admin/login").await;
    b.post_form(
        "/admin/login",
        &[("phone", phone), ("password", password), ("csrf", &csrf)],
    )
    .await
}

#[tokio::test]
async fn the_back_office_asks_for_sign_in_and_comes_back() {
    let app = spawn_app().await;
    firm_with_admin(&app, "right-password-1").await;
    let b = visitor(&app);
    let resp = b.get("/admin").await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()[LOCATION], "/admin/login?next=%2Fadmin");
    let form = b.get("/admin/login").await.text().await.unwrap();
    assert!(form.contains("name=\"phone\"") && form.contains("type=\"password\""));
    assert!(csrf_in(&form).is_some(), "a hidden CSRF field");
    let resp = log_in(&b, "13700000001", "right-password-1").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()[LOCATION], "/admin");
    let home = b.get("/admin").await;
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(html.contains("系统状态") && html.contains("赵管理"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'session.sign_in'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_login_without_the_forms_csrf_token_is_refused() {
    let app = spawn_app().await;
    firm_with_admin(&app, "right-password-1").await;
    let b = visitor(&app);
    b.get("/admin/login").await;
    let resp = b
        .post_form(
            "/admin/login",
            &[("phone", "13700000001"), ("password", "right-password-1")],
        )
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM web_session").await, 0);
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_fifteen_minutes() {
    let app = spawn_app().await;
    firm_with_admin(&app, "right-password-1").await;
    let b = visitor(&app);
    for _ in 0..4 {
        let resp = log_in(&b, "13700000001", "wrong-password").await;
        assert_eq!(resp.status(), 422);
        let html = resp.text().await.unwrap();
        assert!(html.contains("手机号或密码不正确"));
        assert!(
            html.contains("value=\"13700000001\""),
            "the phone stays typed"
        );
    }
    let resp = log_in(&b, "13700000001", "wrong-password").await;
    assert!(resp.text().await.unwrap().contains("已锁定"));
    // Locked: even the right password is refused.
    let resp = log_in(&b, "13700000001", "right-password-1").await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("已锁定"));
    app.clock.advance(Duration::minutes(16));
    let resp = log_in(&b, "13700000001", "right-password-1").await;
    assert_eq!(resp.status(), 303, "the lock runs out");
    // A phone nobody uses reads like a wrong password.
    let resp = log_in(&visitor(&app), "13799999999", "whatever-password").await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("手机号或密码不正确"));
}

#[tokio::test]
async fn guesses_sent_at_once_still_lock_after_five() {
    let app = spawn_app().await;
    firm_with_admin(&app, "right-password-1").await;
    let b = visitor(&app);
    let csrf = b.csrf_token("/admin/login").await;
    let guesses = (0..20).map(|i| {
        let (b, csrf) = (&b, csrf.clone());
        async move {
            let pw = format!("guess-{i:04}");
            b.post_form(
                "/admin/login",
                &[
                    ("phone", "13700000001"),
                    ("password", pw.as_str()),
                    ("csrf", &csrf),
                ],
            )
            .await
            .status()
        }
    });
    futures_util::future::join_all(guesses).await;
    let resp = log_in(&b, "13700000001", "right-password-1").await;
    assert_eq!(
        resp.status(),
        422,
        "locked, whatever the order the guesses came in"
    );
}

#[tokio::test]
async fn a_sidebar_session_does_not_open_the_back_office() {
    let app = spawn_app().await;
    let firm = firm_with_admin(&app, "right-password-1").await;
    app.add_employee(
        firm.firm_id,
        NewEmployee {
            name: "侧边栏",
            userid: Some("sidebaruser"),
            role: Role::Admin,
            ..NewEmployee::default()
        },
    )
    .await;
    let sidebar = app.signed_in("sidebaruser").await;
    let resp = sidebar.get("/admin").await;
    assert_eq!(resp.status(), 302);
    assert!(
        resp.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/admin/login")
    );
}

#[tokio::test]
async fn staff_sign_in_too_but_see_no_system_details() {
    let app = spawn_app().await;
    let firm = firm_with_admin(&app, "right-password-1").await;
    app.add_employee(
        firm.firm_id,
        NewEmployee {
            name: "钱会计",
            mobile: Some("13700000002"),
            role: Role::Staff,
            permissions: &["basic", "billing"],
            ..NewEmployee::default()
        },
    )
    .await;
    set_password(&app, "13700000002", "staff-password-1").await;
    let b = visitor(&app);
    assert_eq!(
        log_in(&b, "13700000002", "staff-password-1").await.status(),
        303
    );
    let html = b.get("/admin").await.text().await.unwrap();
    assert!(html.contains("钱会计") && html.contains("基础资料"));
    assert!(!html.contains("系统状态"));
}

#[tokio::test]
async fn signing_out_ends_the_back_office_session() {
    let app = spawn_app().await;
    firm_with_admin(&app, "right-password-1").await;
    let b = visitor(&app);
    log_in(&b, "13700000001", "right-password-1").await;
    let csrf = b.csrf_token("/admin").await;
    let resp = b.post_form("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(b.get("/admin").await.status(), 302);
}
