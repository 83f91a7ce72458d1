//! Which customers an employee sees, and linking chats to customers.

use sea_orm::ConnectionTrait;
use zhangfang::db::entities::employee::Role;
use zhangfang::error::AppError;
use zhangfang::services::audit::Who;
use zhangfang::services::links::{self, Chat};
use zhangfang::services::{access, collection, payments, reports, sessions};

use crate::helpers::{NewEmployee, TestApp, spawn_app};

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

async fn exec(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) {
    app.state
        .db
        .write()
        .execute_raw(zhangfang::db::statement(app.backend(), sql, values))
        .await
        .unwrap();
}

/// An external contact followed by `userid`; returns its id.
async fn contact(app: &TestApp, firm_id: i64, external_userid: &str, userid: &str) -> i64 {
    let now = app.clock_now();
    exec(
        app,
        "INSERT INTO wecom_external_contact (firm_id, external_userid, name, created_at, updated_at) \
         VALUES (?, ?, '客户', ?, ?)",
        vec![firm_id.into(), external_userid.into(), now.into(), now.into()],
    )
    .await;
    let id = app
        .count(&format!(
            "SELECT id FROM wecom_external_contact WHERE external_userid = '{external_userid}'"
        ))
        .await;
    exec(
        app,
        "INSERT INTO external_follow (firm_id, external_contact_id, userid, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?)",
        vec![firm_id.into(), id.into(), userid.into(), now.into(), now.into()],
    )
    .await;
    id
}

/// A customer group owned by `owner` with `member` in it; returns its id.
async fn group(app: &TestApp, firm_id: i64, chat_id: &str, owner: &str, member: &str) -> i64 {
    let now = app.clock_now();
    exec(
        app,
        "INSERT INTO wecom_group_chat (firm_id, chat_id, name, owner_userid, created_at, updated_at) \
         VALUES (?, ?, '客户群', ?, ?, ?)",
        vec![firm_id.into(), chat_id.into(), owner.into(), now.into(), now.into()],
    )
    .await;
    let id = app
        .count(&format!(
            "SELECT id FROM wecom_group_chat WHERE chat_id = '{chat_id}'"
        ))
        .await;
    exec(
        app,
        "INSERT INTO group_chat_member (firm_id, group_chat_id, member_id, member_type, created_at, updated_at) \
         VALUES (?, ?, ?, 1, ?, ?)",
        vec![firm_id.into(), id.into(), member.into(), now.into(), now.into()],
    )
    .await;
    id
}

async fn me(app: &TestApp, userid: &str) -> sessions::CurrentEmployee {
    let browser = app.signed_in(userid).await;
    let token = browser.cookie.split_once('=').unwrap().1.to_string();
    sessions::authenticate(
        &app.state.ctx,
        &token,
        zhangfang::db::entities::web_session::Kind::Sidebar,
        app.clock_now(),
    )
    .await
    .unwrap()
    .unwrap()
}

#[tokio::test]
async fn staff_see_the_customers_they_serve_or_chat_with_and_admins_see_all() {
    let app = spawn_app().await;
    let firm = app.add_firm("wwaccess0000001", "Token", KEY).await;
    let staff = app
        .add_employee(
            firm.firm_id,
            NewEmployee {
                name: "孙会计",
                userid: Some("sunkj"),
                permissions: &["basic", "billing", "collection", "report"],
                ..NewEmployee::default()
            },
        )
        .await;
    app.add_employee(
        firm.firm_id,
        NewEmployee {
            name: "管理员",
            userid: Some("boss"),
            role: Role::Admin,
            ..NewEmployee::default()
        },
    )
    .await;
    let served = app.add_customer(firm.firm_id, "甲公司").await;
    let by_contact = app.add_customer(firm.firm_id, "乙公司").await;
    let by_group = app.add_customer(firm.firm_id, "丙公司").await;
    let unrelated = app.add_customer(firm.firm_id, "丁公司").await;
    let now = app.clock_now();
    exec(
        &app,
        "INSERT INTO customer_staff (firm_id, customer_id, employee_id, role, created_at) VALUES (?, ?, ?, 'bookkeeper', ?)",
        vec![firm.firm_id.into(), served.into(), staff.into(), now.into()],
    )
    .await;
    let c = contact(&app, firm.firm_id, "wmACCESS01", "sunkj").await;
    let g = group(&app, firm.firm_id, "wrACCESS01", "someoneelse", "sunkj").await;
    let admin_me = me(&app, "boss").await;
    let admin_who = Who::employee(&admin_me, None);
    links::link(
        &app.state.ctx,
        &admin_me,
        &admin_who,
        Chat::Contact(c),
        &[by_contact],
    )
    .await
    .unwrap();
    links::link(
        &app.state.ctx,
        &admin_me,
        &admin_who,
        Chat::Group(g),
        &[by_group],
    )
    .await
    .unwrap();

    let staff_me = me(&app, "sunkj").await;
    for id in [served, by_contact, by_group] {
        assert!(
            access::customer(&app.state.ctx, &staff_me, id)
                .await
                .is_ok(),
            "{id}"
        );
    }
    assert!(matches!(
        access::customer(&app.state.ctx, &staff_me, unrelated).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(
        access::customer(&app.state.ctx, &admin_me, unrelated)
            .await
            .is_ok()
    );

    // Another firm's customer, by a guessed id, does not exist for them.
    let other = app.add_firm("wwaccess0000002", "Token", KEY).await;
    let foreign = app.add_customer(other.firm_id, "外公司").await;
    assert!(matches!(
        access::customer(&app.state.ctx, &admin_me, foreign).await,
        Err(AppError::NotFound(_))
    ));

    // The sections that read their first rows with the access check decide alike: a customer
    // without rows is shown empty, one outside the scope is 403, another firm's 404.
    let ctx = &app.state.ctx;
    let through = zhangfang::domain::period::Period::parse("2026-10").unwrap();
    let (arrears, history) = payments::overview(ctx, &staff_me, served).await.unwrap();
    assert_eq!(
        (arrears.customer_name.as_str(), history.len()),
        ("甲公司", 0)
    );
    let periods = collection::overview(ctx, &staff_me, served, through)
        .await
        .unwrap();
    assert!(periods.iter().all(|p| p.records.is_empty()));
    let view = reports::view(ctx, &staff_me, served, None).await.unwrap();
    assert!(view.periods.is_empty(), "{:?}", view.periods);
    for (id, expect_found) in [(unrelated, true), (foreign, false)] {
        let results = [
            payments::overview(ctx, &staff_me, id).await.err(),
            collection::overview(ctx, &staff_me, id, through)
                .await
                .err(),
            reports::view(ctx, &staff_me, id, None).await.err(),
        ];
        for e in results {
            match (expect_found, e) {
                (true, Some(AppError::Forbidden(_))) | (false, Some(AppError::NotFound(_))) => {}
                (_, other) => panic!("customer {id}: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn chats_are_linked_to_several_customers_and_every_change_is_audited() {
    let app = spawn_app().await;
    let firm = app.add_firm("wwlinks00000001", "Token", KEY).await;
    app.add_employee(
        firm.firm_id,
        NewEmployee {
            name: "李会计",
            userid: Some("likj"),
            permissions: &["basic"],
            ..NewEmployee::default()
        },
    )
    .await;
    let a = app.add_customer(firm.firm_id, "甲公司").await;
    let b = app.add_customer(firm.firm_id, "乙公司").await;
    let c = contact(&app, firm.firm_id, "wmLINKS01", "likj").await;
    let me = me(&app, "likj").await;
    let who = Who::employee(&me, Some("127.0.0.1".into()));
    let ctx = &app.state.ctx;
    links::link(ctx, &me, &who, Chat::Contact(c), &[a, b])
        .await
        .unwrap();
    let names: Vec<String> = links::customers_of(ctx, firm.firm_id, Chat::Contact(c))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"甲公司".to_string()) && names.contains(&"乙公司".to_string()));
    links::unlink(ctx, &me, &who, Chat::Contact(c), a)
        .await
        .unwrap();
    let left = links::customers_of(ctx, firm.firm_id, Chat::Contact(c))
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, b);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'chat.link_customers'")
            .await,
        2
    );
    // Linking again what is linked changes (and records) nothing.
    links::link(ctx, &me, &who, Chat::Contact(c), &[b])
        .await
        .unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'chat.link_customers'")
            .await,
        2
    );
    // Another firm's customer cannot be linked by guessing its id; nothing changes.
    let other = app.add_firm("wwlinks00000002", "Token", KEY).await;
    let foreign = app.add_customer(other.firm_id, "外公司").await;
    let err = links::link(ctx, &me, &who, Chat::Contact(c), &[foreign])
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM customer_external_link")
            .await,
        1
    );
}
