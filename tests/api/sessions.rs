//! Sessions of the two kinds: a sidebar session and a back-office session are different keys.

use zhangfang::db::entities::employee::Role;

use crate::helpers::{Browser, NewEmployee, TestApp, spawn_app};

/// An app with one firm (`corp_id`) and one employee bound to `userid`.
async fn app_with(corp_id: &str, name: &'static str, userid: &'static str, role: Role) -> TestApp {
    let app = spawn_app().await;
    let firm = app
        .add_firm(
            corp_id,
            "Token",
            "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        )
        .await;
    app.add_employee(
        firm.firm_id,
        NewEmployee {
            name,
            userid: Some(userid),
            role,
            ..NewEmployee::default()
        },
    )
    .await;
    app
}

#[tokio::test]
async fn a_back_office_session_does_not_open_the_sidebar() {
    let app = app_with("wwsessionkinds01", "老板", "boss", Role::SuperAdmin).await;
    let back_office = app.signed_in_back_office("boss").await;
    let resp = back_office.get("/sidebar").await;
    assert_eq!(resp.status(), 302, "the sidebar starts its own sign-in");
    let sidebar = app.signed_in("boss").await;
    let resp = sidebar.get("/sidebar").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("超级管理员"));
}

#[tokio::test]
async fn signing_out_ends_the_session_here_at_once_and_on_another_instance_within_the_cache_ttl() {
    let app = app_with("wwsessioncache01", "王会计", "wangkj", Role::Staff).await;
    let other = app.another_instance().await;
    let here = app.signed_in("wangkj").await;
    let there = Browser::new(&other.address, &here.cookie);
    assert_eq!(here.get("/sidebar").await.status(), 200);
    assert_eq!(there.get("/sidebar").await.status(), 200);

    let csrf = here.csrf_token("/sidebar").await;
    let out = here.post_form("/sidebar/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status(), 200);
    let replay = Browser::new(&app.address, &here.cookie);
    assert_eq!(replay.get("/sidebar").await.status(), 302, "at once here");
    // The other instance read the session a moment ago and trusts it for a few seconds more…
    assert_eq!(there.get("/sidebar").await.status(), 200);
    app.clock
        .advance(zhangfang::services::session_cache::TTL - chrono::Duration::seconds(1));
    assert_eq!(there.get("/sidebar").await.status(), 200);
    // …and no longer.
    app.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(there.get("/sidebar").await.status(), 302);
}
