//! The part-2 sidebar section pages opened on their own: each route answers for the permission
//! it needs, 404 for another firm's customer, and its writes carry CSRF tokens.

use zhangfang::db::entities::employee::Role;

use crate::helpers::{NewEmployee, TestApp, spawn_app, string_value};

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

struct Setup {
    firm_id: i64,
    customer_id: i64,
    other_customer: i64,
    other_firm_id: i64,
}

async fn setup(app: &TestApp) -> Setup {
    let firm = app.add_firm("wwpages0001", "Token", KEY).await;
    let other = app.add_firm("wwpages0002", "Token", KEY).await;
    for (userid, role, perms) in [
        ("cashier", Role::Staff, &["billing", "billing_confirm"][..]),
        ("viewer", Role::Staff, &["billing"][..]),
        ("plain", Role::Staff, &["basic"][..]),
        ("boss", Role::Admin, &[][..]),
    ] {
        let id = app
            .add_employee(
                firm.firm_id,
                NewEmployee {
                    name: userid,
                    userid: Some(userid),
                    role,
                    permissions: perms,
                    ..Default::default()
                },
            )
            .await;
        let _ = id;
    }
    let customer_id = app.add_customer(firm.firm_id, "杭州鑫犇科技有限公司").await;
    app.state
        .db
        .write()
        .execute_unprepared(&format!(
            "UPDATE employee SET data_scope = 'all' WHERE firm_id = {}",
            firm.firm_id
        ))
        .await
        .unwrap();
    app.add_receivable(
        firm.firm_id,
        customer_id,
        "2026-01",
        "2026-03",
        90000,
        "2026-01-15",
    )
    .await;
    let other_customer = app.add_customer(other.firm_id, "别家客户").await;
    Setup {
        firm_id: firm.firm_id,
        customer_id,
        other_customer,
        other_firm_id: other.firm_id,
    }
}

use sea_orm::ConnectionTrait;

#[tokio::test]
async fn billing_needs_its_permission_and_confirming_needs_billing_confirm() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let page = format!("/sidebar/customers/{}/billing", s.customer_id);
    let cashier = app.signed_in("cashier").await;
    let r = cashier.get(&page).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("¥900.00") && html.contains("确认收款"),
        "{html}"
    );
    // Not signed in: sent to sign in.
    let anonymous = app
        .client
        .get(app.url(&page))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 302);
    // Another firm's customer does not exist; no billing permission is 403.
    let other = format!("/sidebar/customers/{}/billing", s.other_customer);
    assert_eq!(cashier.get(&other).await.status(), 404);
    let plain = app.signed_in("plain").await;
    assert_eq!(plain.get(&page).await.status(), 403);

    // A viewer sees the section but may not confirm.
    let viewer = app.signed_in("viewer").await;
    let html = viewer.get(&page).await.text().await.unwrap();
    assert!(!html.contains("id=\"confirm-form\""));
    let token = viewer.csrf_token(&page).await;
    let post = format!("{page}/payments");
    let r = viewer
        .post_form(
            &post,
            &[
                ("csrf", &token),
                ("amount", "100"),
                ("method", "cash"),
                ("paid_on", "2026-11-25"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);

    // Without a token nothing is written.
    let r = cashier
        .post_form(
            &post,
            &[
                ("amount", "100"),
                ("method", "cash"),
                ("paid_on", "2026-11-25"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 0);

    // Overpaying is refused on the page, plainly.
    let token = cashier.csrf_token(&page).await;
    let r = cashier
        .post_form(
            &post,
            &[
                ("csrf", &token),
                ("amount", "1000"),
                ("method", "transfer"),
                ("paid_on", "2026-11-25"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("超过未结清金额"));

    let r = cashier
        .post_form(
            &post,
            &[
                ("csrf", &token),
                ("amount", "300"),
                ("method", "wechat"),
                ("paid_on", "2026-11-25"),
                ("payer", "王堃"),
            ],
        )
        .await;
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.ends_with("done=SJ-2026-000001"), "{location}");
    let html = cashier.get(&location).await.text().await.unwrap();
    assert!(html.contains("SJ-2026-000001") && html.contains("¥600.00"));

    // The receipt downloads as a PNG.
    let receipt_id = app.count("SELECT id FROM receipt").await;
    let r = cashier
        .get(&format!("{page}/receipts/{receipt_id}.png"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let png = r.bytes().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));

    // Reversed by its confirmer: the receipt shows as void.
    let payment_id = app.count("SELECT id FROM payment").await;
    let r = cashier
        .post_form(
            &format!("{page}/payments/{payment_id}/reverse"),
            &[("csrf", &token), ("reason", "金额录错")],
        )
        .await;
    assert_eq!(r.status(), 302);
    let html = cashier.get(&page).await.text().await.unwrap();
    assert!(html.contains("作废") && html.contains("已撤销"));
    assert_eq!(
        string_value(&app, "SELECT status FROM receipt").await,
        "void"
    );

    // The dunning amount is checked against what is open.
    let r = cashier
        .post_form(
            &format!("{page}/dunning"),
            &[
                ("csrf", &token),
                ("period_from", "2026-01"),
                ("period_to", "2026-03"),
                ("amount", "901"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = cashier
        .post_form(
            &format!("{page}/dunning"),
            &[
                ("csrf", &token),
                ("period_from", "2026-01"),
                ("period_to", "2026-03"),
                ("amount", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("人民币玖佰元整"));
}

#[tokio::test]
async fn each_section_answers_for_its_own_permission() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let boss = app.signed_in("boss").await;
    let plain = app.signed_in("plain").await;
    for section in [
        "collection",
        "filings",
        "reports",
        "invoices?period=2026-10",
    ] {
        let page = format!("/sidebar/customers/{}/{section}", s.customer_id);
        let r = boss.get(&page).await;
        assert_eq!(r.status(), 200, "{section}");
        assert_eq!(plain.get(&page).await.status(), 403, "{section}");
        let other = format!("/sidebar/customers/{}/{section}", s.other_customer);
        assert_eq!(boss.get(&other).await.status(), 404, "{section}");
    }
    let html = boss
        .get(&format!(
            "/sidebar/customers/{}/invoices?period=2026-10",
            s.customer_id
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("估算，以申报为准"));
    let html = boss
        .get(&format!("/sidebar/customers/{}/reports", s.customer_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("<svg") && html.contains("id=\"no-report\"") && html.contains("还没有报表"),
        "a customer without statements: no empty chart, a sentence instead"
    );

    // A collection recorded and completed from the page.
    let page = format!("/sidebar/customers/{}/collection", s.customer_id);
    let token = boss.csrf_token(&page).await;
    let r = boss
        .post_form(
            &page,
            &[
                ("csrf", &token),
                ("period", "2026-10"),
                ("count_1", "12"),
                ("amount_1", "8000"),
                ("count_2", "5"),
                ("complete", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 302);
    let html = boss.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("已收齐") && html.contains("进项发票 12张"),
        "{html}"
    );
    let id = app.count("SELECT id FROM invoice_collection").await;
    let r = boss.get(&format!("{page}/{id}.png")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let r = plain
        .post_form(
            &page,
            &[("csrf", &token), ("period", "2026-10"), ("count_1", "1")],
        )
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn dunning_covers_only_the_ticked_receivables() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let firm_id = s.firm_id;
    let first = app.count("SELECT MAX(id) FROM receivable").await;
    let second = app
        .add_receivable(
            firm_id,
            s.customer_id,
            "2026-04",
            "2026-06",
            60000,
            "2026-04-15",
        )
        .await;
    app.execute(
        "UPDATE receivable SET fee_item = '工商年报代办费' WHERE id = ?",
        vec![second.into()],
    )
    .await;
    let other_firms = app
        .add_receivable(
            s.other_firm_id,
            s.other_customer,
            "2026-01",
            "2026-03",
            10000,
            "2026-01-15",
        )
        .await;
    let page = format!("/sidebar/customers/{}/billing", s.customer_id);
    let viewer = app.signed_in("viewer").await;
    let html = viewer.get(&page).await.text().await.unwrap();
    assert!(html.contains("勾选需要催款的项目"), "{html}");
    for id in [first, second] {
        assert!(
            html.contains(&format!("name=\"receivable\" value=\"{id}\" checked")),
            "overdue receivables start ticked: {html}"
        );
    }
    let token = viewer.csrf_token(&page).await;
    let dun = |form: Vec<(&'static str, String)>| {
        let viewer = &viewer;
        let path = format!("{page}/dunning");
        let token = token.clone();
        async move {
            let mut fields: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            fields.push(("csrf", &token));
            let r = viewer.post_form(&path, &fields).await;
            (r.status(), r.text().await.unwrap())
        }
    };
    // Only the second one ticked, no periods typed: its periods, its fee item, its amount.
    let (status, html) = dun(vec![
        ("picked", "1".into()),
        ("receivable", second.to_string()),
    ])
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("2026年04月至2026年06月的工商年报代办费尚有¥600.00（人民币陆佰元整）"),
        "{html}"
    );
    assert!(
        html.contains(&format!("name=\"receivable\" value=\"{first}\">")),
        "the first is left unticked"
    );
    // A single month is named once.
    app.execute(
        "UPDATE receivable SET period_to = '2026-04' WHERE id = ?",
        vec![second.into()],
    )
    .await;
    let (_, html) = dun(vec![
        ("picked", "1".into()),
        ("receivable", second.to_string()),
    ])
    .await;
    assert!(html.contains("」2026年04月的工商年报代办费尚有"), "{html}");
    app.execute(
        "UPDATE receivable SET period_to = '2026-06' WHERE id = ?",
        vec![second.into()],
    )
    .await;
    // Both ticked: one message for both fee items.
    let (_, html) = dun(vec![
        ("picked", "1".into()),
        ("receivable", first.to_string()),
        ("receivable", second.to_string()),
    ])
    .await;
    assert!(
        html.contains("2026年01月至2026年06月的代理记账服务费、工商年报代办费尚有¥1,500.00"),
        "{html}"
    );
    // Nothing ticked, or another firm's receivable: refused in Chinese.
    let (status, html) = dun(vec![("picked", "1".into())]).await;
    assert_eq!(status, 422);
    assert!(html.contains("请勾选需要催款的项目"), "{html}");
    let (status, html) = dun(vec![
        ("picked", "1".into()),
        ("receivable", other_firms.to_string()),
    ])
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("不是该客户未结清的款项"), "{html}");
    assert!(!html.contains("别家客户"));
}

#[tokio::test]
async fn the_invoices_section_lists_each_invoice_of_the_period() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let firm_id = s.firm_id;
    let now = app.clock_now();
    for (period, direction, number, party, total, status) in [
        (
            "2026-10",
            "out",
            "26312000000000000001",
            "杭州甲方有限公司",
            101000i64,
            "normal",
        ),
        (
            "2026-10",
            "out",
            "26312000000000000002",
            "杭州作废客户",
            50500,
            "void",
        ),
        (
            "2026-10",
            "in",
            "26312000000000000003",
            "杭州供应商",
            20200,
            "normal",
        ),
        (
            "2026-09",
            "out",
            "26312000000000000004",
            "上月的客户",
            30300,
            "normal",
        ),
    ] {
        app.execute(
            "INSERT INTO invoice (firm_id, customer_id, period, direction, kind, number, issue_date, \
             counterparty_name, amount_fen, rate_bp, tax_fen, total_fen, status, created_at, updated_at) \
             VALUES (?, ?, ?, ?, 'ordinary_digital', ?, ?, ?, ?, 100, ?, ?, ?, ?, ?)",
            vec![
                firm_id.into(),
                s.customer_id.into(),
                period.into(),
                direction.into(),
                number.into(),
                chrono::NaiveDate::parse_from_str(&format!("{period}-09"), "%Y-%m-%d")
                    .unwrap()
                    .into(),
                party.into(),
                (total * 100 / 101).into(),
                (total / 101).into(),
                total.into(),
                status.into(),
                now.into(),
                now.into(),
            ],
        )
        .await;
    }
    let boss = app.signed_in("boss").await;
    let html = boss
        .get(&format!(
            "/sidebar/customers/{}/invoices?period=2026-10",
            s.customer_id
        ))
        .await
        .text()
        .await
        .unwrap();
    let outputs = html
        .split("id=\"outputs-lines\"")
        .nth(1)
        .and_then(|rest| rest.split("</details>").next())
        .unwrap_or_else(|| panic!("the outputs are listed: {html}"));
    assert!(outputs.contains("查看明细（2 张）"), "{outputs}");
    assert!(outputs.contains("杭州甲方有限公司") && outputs.contains("¥1,010.00"));
    assert!(outputs.contains("杭州作废客户 <span class=\"badge bad\">作废</span>"));
    assert!(
        outputs.contains("数电普票 26312000000000000001 · 1%"),
        "{outputs}"
    );
    assert!(!outputs.contains("上月的客户"), "another period's invoice");
    let inputs = html
        .split("id=\"inputs-lines\"")
        .nth(1)
        .unwrap_or_else(|| panic!("the inputs are listed: {html}"));
    assert!(inputs.contains("查看明细（1 张）") && inputs.contains("杭州供应商"));
}
