//! Tenant isolation at the bottom layer: the schema itself refuses rows that link two firms.

use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{TestApp, spawn_app};

async fn exec(app: &TestApp, sql: &str) -> Result<(), sea_orm::DbErr> {
    app.state
        .db
        .write()
        .execute_raw(Statement::from_string(app.backend(), sql.to_string()))
        .await
        .map(|_| ())
}

const NOW: &str = "'2026-11-26T00:00:00+00:00'";

async fn two_firms_with_customers(app: &TestApp) -> (i64, i64, i64, i64) {
    let key = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";
    let a = app
        .add_firm("wwtenanta0000001", "tokenA", key)
        .await
        .firm_id;
    let b = app
        .add_firm("wwtenantb0000001", "tokenB", key)
        .await
        .firm_id;
    for (firm, name) in [(a, "甲公司"), (b, "乙公司")] {
        exec(
            app,
            &format!(
                "INSERT INTO customer (firm_id, name, taxpayer_type, vat_period, created_at, updated_at) \
                 VALUES ({firm}, '{name}', 'small_scale', 'quarter', {NOW}, {NOW})"
            ),
        )
        .await
        .unwrap();
        exec(
            app,
            &format!(
                "INSERT INTO wecom_external_contact (firm_id, external_userid, name, created_at, updated_at) \
                 VALUES ({firm}, 'wm{firm}', '客户{firm}', {NOW}, {NOW})"
            ),
        )
        .await
        .unwrap();
    }
    let id = |sql: String| async move { app.count(&sql).await };
    let customer_a = id(format!("SELECT id FROM customer WHERE firm_id = {a}")).await;
    let external_b = id(format!(
        "SELECT id FROM wecom_external_contact WHERE firm_id = {b}"
    ))
    .await;
    (a, b, customer_a, external_b)
}

#[tokio::test]
async fn the_database_refuses_a_customer_link_across_firms() {
    let app = spawn_app().await;
    let (a, b, customer_a, external_b) = two_firms_with_customers(&app).await;
    for firm in [a, b] {
        let err = exec(
            &app,
            &format!(
                "INSERT INTO customer_external_link (firm_id, customer_id, external_contact_id, created_at) \
                 VALUES ({firm}, {customer_a}, {external_b}, {NOW})"
            ),
        )
        .await
        .expect_err("a link across firms must fail");
        assert!(zhangfang::db::is_foreign_key_violation(&err), "{err}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM customer_external_link")
            .await,
        0
    );
}

#[tokio::test]
async fn a_contact_cannot_point_at_another_firms_customer() {
    let app = spawn_app().await;
    let (_, b, customer_a, _) = two_firms_with_customers(&app).await;
    let err = exec(
        &app,
        &format!(
            "INSERT INTO contact (firm_id, customer_id, name, created_at, updated_at) \
             VALUES ({b}, {customer_a}, '越界联系人', {NOW}, {NOW})"
        ),
    )
    .await
    .expect_err("a guessed customer id of another firm must fail");
    assert!(zhangfang::db::is_foreign_key_violation(&err), "{err}");
}

#[tokio::test]
async fn invoice_identity_collides_for_digital_invoices_without_a_code() {
    let app = spawn_app().await;
    let (a, _, customer_a, _) = two_firms_with_customers(&app).await;
    let insert = |number: &str| {
        format!(
            "INSERT INTO invoice (firm_id, customer_id, period, direction, kind, number, issue_date, \
             counterparty_name, amount_fen, rate_bp, tax_fen, total_fen, created_at, updated_at) \
             VALUES ({a}, {customer_a}, '2026-10', 'out', 'special_digital', '{number}', '2026-10-09', \
             '某某公司', 100000, 100, 1000, 101000, {NOW}, {NOW})"
        )
    };
    exec(&app, &insert("26312000000012345678")).await.unwrap();
    let err = exec(&app, &insert("26312000000012345678"))
        .await
        .expect_err("duplicate");
    assert!(zhangfang::db::is_unique_violation(&err), "{err}");
    // After a soft delete the number may be entered again.
    exec(
        &app,
        "UPDATE invoice SET deleted_at = '2026-11-26T01:00:00+00:00'",
    )
    .await
    .unwrap();
    exec(&app, &insert("26312000000012345678")).await.unwrap();
}

#[tokio::test]
async fn callbacks_are_stored_under_the_firm_whose_url_received_them() {
    let app = spawn_app().await;
    let v = crate::wecom_fixtures::vector("V5b");
    let own = app.add_firm(&v.rid, &v.token, &v.key).await;
    let other = app
        .add_firm(
            "wwbystander00001",
            "OtherToken",
            "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        )
        .await;
    let event = crate::wecom_fixtures::external_contact_event(&v.rid, "wmISOLATED", 1_764_000_000);
    let sealed = crate::wecom_fixtures::seal_event(&v.token, &v.key, &v.rid, &event, "1", "2");
    // Posted to the bystander's URL, the other firm's event is refused there…
    let resp = app
        .client
        .post(app.url(&format!(
            "/wecom/callback/{}?{}",
            other.corp_id, sealed.query
        )))
        .body(sealed.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // …and accepted only at its own.
    let resp = app
        .client
        .post(app.url(&format!("/wecom/callback/{}?{}", own.corp_id, sealed.query)))
        .body(sealed.body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM callback_inbox WHERE firm_id = {}",
            other.firm_id
        ))
        .await,
        0
    );
}
