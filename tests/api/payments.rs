//! Confirming and reversing payments: allocation, receipts, overpayment, permissions, two
//! confirmations at once, and the dunning amount checked against what is open.

use chrono::{Duration, NaiveDate};
use zhangfang::db::entities::employee::Role;
use zhangfang::db::entities::payment::Method;
use zhangfang::domain::money::Money;
use zhangfang::domain::period::Period;
use zhangfang::error::AppError;
use zhangfang::services::payments::{self, Allocation, DunningRequest, NewPayment};

use crate::helpers::{NewEmployee, TestApp, spawn_app, string_value};

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

struct Setup {
    firm_id: i64,
    customer_id: i64,
}

async fn setup(app: &TestApp, corp: &str) -> Setup {
    let firm = app.add_firm(corp, "Token", KEY).await;
    for (userid, role, perms) in [
        ("cashier", Role::Staff, &["billing", "billing_confirm"][..]),
        ("cashier2", Role::Staff, &["billing", "billing_confirm"][..]),
        ("viewer", Role::Staff, &["billing"][..]),
        ("boss", Role::Admin, &[][..]),
    ] {
        app.add_employee(
            firm.firm_id,
            NewEmployee {
                name: userid,
                userid: Some(&format!("{corp}-{userid}")),
                role,
                permissions: perms,
                ..Default::default()
            },
        )
        .await;
    }
    let customer_id = app
        .add_customer(firm.firm_id, "杭州鑫犇淼科技有限公司")
        .await;
    // Staff with their own scope see the customers they serve.
    for userid in ["cashier", "cashier2", "viewer"] {
        let id = app
            .count(&format!(
                "SELECT id FROM employee WHERE wecom_userid = '{corp}-{userid}'"
            ))
            .await;
        app.state
            .db
            .write()
            .execute_unprepared(&format!(
                "INSERT INTO customer_staff (firm_id, customer_id, employee_id, role, created_at) \
                 VALUES ({}, {customer_id}, {id}, 'account_manager', '2026-11-01T00:00:00Z')",
                firm.firm_id
            ))
            .await
            .expect("customer_staff");
    }
    Setup {
        firm_id: firm.firm_id,
        customer_id,
    }
}

use sea_orm::ConnectionTrait;

fn pay(customer_id: i64, yuan: &str, allocation: Allocation) -> NewPayment {
    NewPayment {
        customer_id,
        amount: Money::parse(yuan).unwrap(),
        method: Method::Transfer,
        paid_on: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        payer: Some("张三".into()),
        note: None,
        allocation,
    }
}

async fn paid_fen(app: &TestApp, id: i64) -> i64 {
    app.count(&format!("SELECT paid_fen FROM receivable WHERE id = {id}"))
        .await
}

async fn status(app: &TestApp, id: i64) -> String {
    string_value(
        app,
        &format!("SELECT status FROM receivable WHERE id = {id}"),
    )
    .await
}

#[tokio::test]
async fn a_payment_settles_the_oldest_receivables_first_and_gets_a_receipt() {
    let app = spawn_app().await;
    let s = setup(&app, "wwpay00001").await;
    let r1 = app
        .add_receivable(
            s.firm_id,
            s.customer_id,
            "2026-01",
            "2026-03",
            90000,
            "2026-01-15",
        )
        .await;
    let r2 = app
        .add_receivable(
            s.firm_id,
            s.customer_id,
            "2026-04",
            "2026-06",
            90000,
            "2026-04-15",
        )
        .await;
    let me = app.current_employee("wwpay00001-cashier").await;
    let done = payments::confirm(
        &app.state,
        &me,
        None,
        pay(s.customer_id, "1200", Allocation::OldestFirst),
    )
    .await
    .unwrap();
    assert_eq!(done.allocations, vec![(r1, 90000), (r2, 30000)]);
    assert_eq!(done.receipt_no, "SJ-2026-000001");
    assert_eq!(
        (paid_fen(&app, r1).await, status(&app, r1).await.as_str()),
        (90000, "paid")
    );
    assert_eq!(
        (paid_fen(&app, r2).await, status(&app, r2).await.as_str()),
        (30000, "partial")
    );
    assert_eq!(
        string_value(
            &app,
            &format!(
                "SELECT amount_cn FROM receipt WHERE id = {}",
                done.receipt_id
            )
        )
        .await,
        "人民币壹仟贰佰元整"
    );
    assert_eq!(
        string_value(
            &app,
            &format!(
                "SELECT period_from || '~' || period_to FROM receipt WHERE id = {}",
                done.receipt_id
            )
        )
        .await,
        "2026-01~2026-06"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('payment.confirm', 'receipt.issue')"
        )
        .await,
        2
    );
    let arrears = payments::arrears(&app.state, &me, s.customer_id)
        .await
        .unwrap();
    assert_eq!(arrears.open, Money::from_fen(60000));
    assert_eq!(arrears.overdue, Money::from_fen(60000));
    assert_eq!(arrears.paid_through.as_deref(), Some("2026-03"));

    // As chosen: the rest of the second receivable.
    let done = payments::confirm(
        &app.state,
        &me,
        None,
        pay(
            s.customer_id,
            "600",
            Allocation::AsChosen(vec![(r2, Money::from_fen(60000))]),
        ),
    )
    .await
    .unwrap();
    assert_eq!(done.receipt_no, "SJ-2026-000002");
    assert_eq!(status(&app, r2).await, "paid");
    let history = payments::history(&app.state, &me, s.customer_id)
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
}

#[tokio::test]
async fn overpayment_is_refused_plainly_and_writes_nothing() {
    let app = spawn_app().await;
    let s = setup(&app, "wwpay00002").await;
    let r1 = app
        .add_receivable(
            s.firm_id,
            s.customer_id,
            "2026-01",
            "2026-03",
            90000,
            "2026-01-15",
        )
        .await;
    let me = app.current_employee("wwpay00002-cashier").await;
    let err = payments::confirm(
        &app.state,
        &me,
        None,
        pay(s.customer_id, "900.01", Allocation::OldestFirst),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Validation(_)), "{err:?}");
    assert!(err.to_string().contains("超过未结清金额"), "{err}");
    let err = payments::confirm(
        &app.state,
        &me,
        None,
        pay(
            s.customer_id,
            "100",
            Allocation::AsChosen(vec![(r1, Money::from_fen(5000))]),
        ),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("不一致"), "{err}");
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM receipt").await, 0);
    assert_eq!(paid_fen(&app, r1).await, 0);
    // No receipt number was used up.
    let done = payments::confirm(
        &app.state,
        &me,
        None,
        pay(s.customer_id, "900", Allocation::OldestFirst),
    )
    .await
    .unwrap();
    assert_eq!(done.receipt_no, "SJ-2026-000001");
}

#[tokio::test]
async fn confirming_needs_billing_confirm_and_a_visible_customer_of_the_firm() {
    let app = spawn_app().await;
    let s = setup(&app, "wwpay00003").await;
    let other = setup(&app, "wwpay00004").await;
    app.add_receivable(
        s.firm_id,
        s.customer_id,
        "2026-01",
        "2026-03",
        90000,
        "2026-01-15",
    )
    .await;
    let viewer = app.current_employee("wwpay00003-viewer").await;
    let err = payments::confirm(
        &app.state,
        &viewer,
        None,
        pay(s.customer_id, "100", Allocation::OldestFirst),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
    // The viewer still sees the arrears.
    payments::arrears(&app.state, &viewer, s.customer_id)
        .await
        .unwrap();
    let cashier = app.current_employee("wwpay00003-cashier").await;
    let err = payments::confirm(
        &app.state,
        &cashier,
        None,
        pay(other.customer_id, "100", Allocation::OldestFirst),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    let err = payments::arrears(&app.state, &cashier, other.customer_id)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 0);
}

#[tokio::test]
async fn confirmations_at_once_never_over_allocate_a_receivable() {
    let app = spawn_app().await;
    let s = setup(&app, "wwpay00005").await;
    let r1 = app
        .add_receivable(
            s.firm_id,
            s.customer_id,
            "2026-01",
            "2026-03",
            30000,
            "2026-01-15",
        )
        .await;
    let a = app.current_employee("wwpay00005-cashier").await;
    let b = app.current_employee("wwpay00005-cashier2").await;
    // Ten managers' worth of ¥50 confirmations against ¥300 open, all at once.
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let state = app.state.clone();
            let me = if i % 2 == 0 { a.clone() } else { b.clone() };
            let customer_id = s.customer_id;
            tokio::spawn(async move {
                payments::confirm(
                    &state,
                    &me,
                    None,
                    pay(customer_id, "50", Allocation::OldestFirst),
                )
                .await
            })
        })
        .collect();
    let mut ok = Vec::new();
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(done) => ok.push(done.receipt_no),
            Err(e) => {
                assert!(
                    matches!(e, AppError::Validation(_) | AppError::Conflict(_)),
                    "{e:?}"
                );
                refused += 1;
            }
        }
    }
    assert_eq!((ok.len(), refused), (6, 4));
    assert_eq!(paid_fen(&app, r1).await, 30000);
    assert_eq!(status(&app, r1).await, "paid");
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payment_allocation")
            .await,
        30000
    );
    ok.sort();
    let expected: Vec<String> = (1..=6).map(|n| format!("SJ-2026-{n:06}")).collect();
    assert_eq!(ok, expected, "receipt numbers stay gapless");

    // Two ¥200 confirmations against one ¥300 receivable: exactly one goes through.
    let r2 = app
        .add_receivable(
            s.firm_id,
            s.customer_id,
            "2026-04",
            "2026-06",
            30000,
            "2026-04-15",
        )
        .await;
    let (x, y) = tokio::join!(
        payments::confirm(
            &app.state,
            &a,
            None,
            pay(
                s.customer_id,
                "200",
                Allocation::AsChosen(vec![(r2, Money::from_fen(20000))])
            )
        ),
        payments::confirm(
            &app.state,
            &b,
            None,
            pay(
                s.customer_id,
                "200",
                Allocation::AsChosen(vec![(r2, Money::from_fen(20000))])
            )
        ),
    );
    assert_eq!([x.is_ok(), y.is_ok()].iter().filter(|ok| **ok).count(), 1);
    assert_eq!(paid_fen(&app, r2).await, 20000);
    assert_eq!(status(&app, r2).await, "partial");
}

#[tokio::test]
async fn a_confirmation_is_reversed_by_its_confirmer_within_a_day_or_an_admin_any_time() {
    let app = spawn_app().await;
    let s = setup(&app, "wwpay00006").await;
    let r1 = app
        .add_receivable(
            s.firm_id,
            s.customer_id,
            "2026-01",
            "2026-03",
            90000,
            "2026-01-15",
        )
        .await;
    let cashier = app.current_employee("wwpay00006-cashier").await;
    let other = app.current_employee("wwpay00006-cashier2").await;
    let first = payments::confirm(
        &app.state,
        &cashier,
        None,
        pay(s.customer_id, "900", Allocation::OldestFirst),
    )
    .await
    .unwrap();
    // Someone else may not.
    let err = payments::reverse(&app.state, &other, None, first.payment_id, "录错了")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
    // The confirmer may, within 24 hours.
    payments::reverse(&app.state, &cashier, None, first.payment_id, "金额录错")
        .await
        .unwrap();
    assert_eq!(
        (paid_fen(&app, r1).await, status(&app, r1).await.as_str()),
        (0, "open")
    );
    assert_eq!(
        string_value(
            &app,
            &format!("SELECT status FROM receipt WHERE id = {}", first.receipt_id)
        )
        .await,
        "void"
    );
    let err = payments::reverse(&app.state, &cashier, None, first.payment_id, "再撤一次")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    let history = payments::history(&app.state, &cashier, s.customer_id)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert!(history[0].reversed_at.is_some() && history[0].receipt_void);
    assert_eq!(history[0].receipt_no.as_deref(), Some("SJ-2026-000001"));

    // A new confirmation takes the next number; the void one is never reused.
    let second = payments::confirm(
        &app.state,
        &cashier,
        None,
        pay(s.customer_id, "450", Allocation::OldestFirst),
    )
    .await
    .unwrap();
    assert_eq!(second.receipt_no, "SJ-2026-000002");
    app.clock.advance(Duration::hours(25));
    let err = payments::reverse(&app.state, &cashier, None, second.payment_id, "晚了")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
    assert!(err.to_string().contains("24小时"), "{err}");
    let boss = app.current_employee("wwpay00006-boss").await;
    payments::reverse(&app.state, &boss, None, second.payment_id, "管理员撤销")
        .await
        .unwrap();
    assert_eq!(
        (paid_fen(&app, r1).await, status(&app, r1).await.as_str()),
        (0, "open")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM payment_allocation").await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.reverse'")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'receipt.void'")
            .await,
        2
    );
}

#[tokio::test]
async fn the_dunning_amount_is_checked_against_what_is_really_open() {
    let app = spawn_app().await;
    let s = setup(&app, "wwpay00007").await;
    app.add_receivable(
        s.firm_id,
        s.customer_id,
        "2026-01",
        "2026-03",
        90000,
        "2026-01-15",
    )
    .await;
    app.add_receivable(
        s.firm_id,
        s.customer_id,
        "2026-04",
        "2026-06",
        90000,
        "2026-04-15",
    )
    .await;
    let me = app.current_employee("wwpay00007-cashier").await;
    payments::confirm(
        &app.state,
        &me,
        None,
        pay(s.customer_id, "300", Allocation::OldestFirst),
    )
    .await
    .unwrap();
    let q1 = |amount: Option<&str>| DunningRequest {
        customer_id: s.customer_id,
        period_from: Period::parse("2026-01").ok(),
        period_to: Period::parse("2026-03").ok(),
        receivable_ids: None,
        amount: amount.map(|a| Money::parse(a).unwrap()),
    };
    let draft = payments::dunning_draft(&app.state, &me, q1(None))
        .await
        .unwrap();
    assert_eq!(draft.amount, Money::from_fen(60000));
    assert!(
        draft.message.contains("¥600.00（人民币陆佰元整）"),
        "{}",
        draft.message
    );
    let err = payments::dunning_draft(&app.state, &me, q1(Some("600.01")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("超过"), "{err}");
    let draft = payments::dunning_draft(&app.state, &me, q1(Some("500")))
        .await
        .unwrap();
    assert_eq!(draft.amount_cn, "人民币伍佰元整");
    let id = payments::record_dunning(
        &app.state,
        &me,
        None,
        q1(Some("500")),
        payments::DunningTarget::ExternalUser("wmEXT".into()),
    )
    .await
    .unwrap();
    assert!(id > 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'dunning.send'")
            .await,
        1
    );
}
