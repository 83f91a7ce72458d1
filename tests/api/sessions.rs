//! Sessions of the two kinds: a sidebar session and a back-office session are different keys.

use zhangfang::db::entities::employee::Role;

use crate::helpers::{NewEmployee, spawn_app};

#[tokio::test]
async fn a_back_office_session_does_not_open_the_sidebar() {
    let app = spawn_app().await;
    let firm = app
        .add_firm(
            "wwsessionkinds01",
            "Token",
            "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        )
        .await;
    app.add_employee(
        firm.firm_id,
        NewEmployee {
            name: "老板",
            userid: Some("boss"),
            role: Role::SuperAdmin,
            ..NewEmployee::default()
        },
    )
    .await;
    let back_office = app.signed_in_back_office("boss").await;
    let resp = back_office.get("/sidebar").await;
    assert_eq!(resp.status(), 302, "the sidebar starts its own sign-in");
    let sidebar = app.signed_in("boss").await;
    let resp = sidebar.get("/sidebar").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("超级管理员"));
}
