//! Composing messages from the firm's templates and logging sends, with the "already sent"
//! notice.

use crate::helpers::Browser;
use crate::sidebar_customers::{exec, world};

async fn text(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn the_expiry_reminder_is_composed_from_the_contract_sent_and_then_noticed() {
    let w = world().await;
    let now = w.app.clock_now();
    exec(
        &w.app,
        "INSERT INTO service_contract (firm_id, customer_id, contract_no, service_type, start_period, end_period, fee_per_month_fen, billing_cycle, total_fen, status, created_at, updated_at) \
         VALUES (?, ?, 'HT-1', 'bookkeeping', '2026-01', '2026-12', 30000, 'quarter', 360000, 'active', ?, ?)",
        vec![w.firm_id.into(), w.jia.into(), now.into(), now.into()],
    )
    .await;
    let staff = w.app.signed_in("staff").await;
    let jia = w.jia;
    let path = format!("/sidebar/customers/{jia}/compose/expiry?chat_type=group&chat_key=wrGROUP");
    let (status, html) = text(staff.fragment(&path).await).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("2026-12-31到期（还有35天）"), "{html}");
    assert!(html.contains("续约费用¥900.00/季"));
    assert!(html.contains("——测试公司 wwsidebar000001 张三"));
    assert!(!html.contains("already-sent"));
    let (status, page) = text(staff.get(&path).await).await;
    assert_eq!(status, 200);
    assert!(page.contains("<html"));

    let token = staff.csrf_token("/sidebar").await;
    let jia_s = jia.to_string();
    let send = [
        ("csrf", token.as_str()),
        ("customer_id", jia_s.as_str()),
        ("chat_type", "group"),
        ("chat_key", "wrGROUP"),
        ("scene", "expiry"),
        ("msgtype", "text"),
        ("content", "王总您好！服务将到期"),
    ];
    let (status, html) = text(staff.post_form("/sidebar/sends", &send).await).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("已发送"));
    assert_eq!(w.app.count("SELECT COUNT(*) FROM message_log WHERE scene = 'expiry' AND target_type = 'group_chat' AND target_id = 'wrGROUP'").await, 1);
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'message.send'")
            .await,
        1
    );

    w.app.clock.advance(chrono::Duration::days(2));
    let boss = w.app.signed_in("boss").await;
    let (_, html) = text(boss.fragment(&path).await).await;
    assert!(html.contains("张三 2 天前已在群内发送到期提醒"), "{html}");

    // Staff outside the customer's team may not log a send for it; another firm's customer is
    // not found.
    let outsider = w.app.signed_in("outsider").await;
    let outsider_token = outsider.csrf_token("/sidebar").await;
    let mut theirs = send;
    theirs[0] = ("csrf", outsider_token.as_str());
    assert_eq!(
        outsider.post_form("/sidebar/sends", &theirs).await.status(),
        403
    );
    let other = w.other_firm_customer.to_string();
    let mut elsewhere = send;
    elsewhere[1] = ("customer_id", other.as_str());
    assert_eq!(
        staff.post_form("/sidebar/sends", &elsewhere).await.status(),
        404
    );

    // Without the token, nothing is logged.
    let no_token: Vec<(&str, &str)> = send.iter().copied().filter(|(k, _)| *k != "csrf").collect();
    assert_eq!(
        staff.post_form("/sidebar/sends", &no_token).await.status(),
        403
    );
    assert_eq!(w.app.count("SELECT COUNT(*) FROM message_log").await, 1);
}

#[tokio::test]
async fn dunning_composes_the_arrears_due_by_today_in_beijing() {
    let w = world().await;
    // 00:30 on 26 November in Beijing, still the 25th in UTC.
    w.app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-25T16:30:00Z")
            .unwrap()
            .to_utc(),
    );
    let now = w.app.clock_now();
    for (from, to, amount, paid, due) in [
        ("2026-07", "2026-09", 90000, 30000, "2026-11-20"),
        ("2026-10", "2026-12", 90000, 0, "2026-11-26"),
        ("2027-01", "2027-03", 90000, 0, "2026-12-01"),
    ] {
        exec(
            &w.app,
            "INSERT INTO receivable (firm_id, customer_id, period_from, period_to, amount_fen, paid_fen, due_date, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            vec![w.firm_id.into(), w.jia.into(), from.into(), to.into(), i64::from(amount).into(), i64::from(paid).into(), chrono::NaiveDate::parse_from_str(due, "%Y-%m-%d").unwrap().into(), now.into(), now.into()],
        )
        .await;
    }
    let boss = w.app.signed_in("boss").await;
    let path = format!(
        "/sidebar/customers/{}/compose/dunning?chat_type=contact&chat_key=wmBOSS",
        w.jia
    );
    let (status, html) = text(boss.fragment(&path).await).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("2026-07至2026-12的代理记账服务费尚有¥1,500.00（壹仟伍佰元整）"),
        "{html}"
    );
    // The panel's summary agrees.
    let (_, panel) = text(
        boss.fragment(&format!("/sidebar/group/wrGROUP?customer={}", w.jia))
            .await,
    )
    .await;
    assert!(panel.contains("¥1,500.00"), "{panel}");
    // Staff without 收款 may not compose it.
    let staff = w.app.signed_in("staff").await;
    assert_eq!(staff.fragment(&path).await.status(), 403);
}

#[tokio::test]
async fn every_scene_composes_and_unknown_ones_are_not_found() {
    let w = world().await;
    let boss = w.app.signed_in("boss").await;
    // Without the data a scene is about, composing says so plainly instead of leaving holes.
    for (scene, reason) in [
        ("expiry", "没有记账服务合同"),
        ("missing_invoices", "没有待补的缺票"),
        ("dunning", "没有到期未收的款项"),
        ("receipt", "还没有收款记录"),
        ("collection", "还没有收票记录"),
        ("filing_done", "还没有已申报的税种"),
        ("report", "还没有利润表"),
    ] {
        let (status, html) = text(
            boss.fragment(&format!("/sidebar/customers/{}/compose/{scene}", w.jia))
                .await,
        )
        .await;
        assert_eq!(status, 422, "{scene}: {html}");
        assert!(html.contains(reason), "{scene}: {html}");
    }
    let now = w.app.clock_now();
    exec(
        &w.app,
        "INSERT INTO service_contract (firm_id, customer_id, contract_no, service_type, start_period, end_period, fee_per_month_fen, billing_cycle, total_fen, status, created_at, updated_at) \
         VALUES (?, ?, 'HT-1', 'bookkeeping', '2026-01', '2026-12', 30000, 'quarter', 360000, 'active', ?, ?)",
        vec![w.firm_id.into(), w.jia.into(), now.into(), now.into()],
    )
    .await;
    w.app
        .add_receivable(w.firm_id, w.jia, "2026-07", "2026-09", 90000, "2026-07-15")
        .await;
    w.app
        .add_receivable(w.firm_id, w.jia, "2026-04", "2026-06", 90000, "2026-04-15")
        .await;
    let me = w.app.current_employee("boss").await;
    zhangfang::services::payments::confirm(
        &w.app.state,
        &me,
        None,
        zhangfang::services::payments::NewPayment {
            customer_id: w.jia,
            amount: zhangfang::domain::money::Money::from_yuan(900),
            method: zhangfang::db::entities::payment::Method::Wechat,
            paid_on: now.date_naive(),
            payer: None,
            note: None,
            allocation: zhangfang::services::payments::Allocation::OldestFirst,
        },
    )
    .await
    .unwrap();
    exec(
        &w.app,
        "INSERT INTO tax_filing (firm_id, customer_id, period_from, period_to, tax_type, due_date, due_provisional, status, payable_fen, paid_fen, filed_at, created_at, updated_at) \
         VALUES (?, ?, '2026-07', '2026-09', 'vat_surcharge', '2026-10-26', FALSE, 'filed', 12300, 0, ?, ?, ?)",
        vec![w.firm_id.into(), w.jia.into(), now.into(), now.into(), now.into()],
    )
    .await;
    exec(
        &w.app,
        "INSERT INTO tax_filing (firm_id, customer_id, period_from, period_to, tax_type, due_date, due_provisional, status, payable_fen, paid_fen, filed_at, created_at, updated_at) \
         VALUES (?, ?, '2026-07', '2026-09', 'fin_report', '2026-10-26', FALSE, 'filed', 0, 0, ?, ?, ?)",
        vec![w.firm_id.into(), w.jia.into(), now.into(), now.into(), now.into()],
    )
    .await;
    exec(
        &w.app,
        "INSERT INTO missing_invoice (firm_id, customer_id, period, doc_type, marked_at, created_at, updated_at) \
         VALUES (?, ?, '2026-10', '房租发票', ?, ?, ?)",
        vec![w.firm_id.into(), w.jia.into(), now.into(), now.into(), now.into()],
    )
    .await;
    exec(
        &w.app,
        "INSERT INTO invoice_collection (firm_id, customer_id, period, received_at, lines, total_count, total_fen, created_at, updated_at) \
         VALUES (?, ?, '2026-10', ?, ?, 5, 120000, ?, ?)",
        vec![
            w.firm_id.into(),
            w.jia.into(),
            now.into(),
            serde_json::json!([
                {"doc_type": "进项发票", "count": 3, "amount_fen": 120000},
                {"doc_type": "银行回单", "count": 2, "amount_fen": 0}
            ])
            .into(),
            now.into(),
            now.into(),
        ],
    )
    .await;
    let income: Vec<serde_json::Value> = (1..=32)
        .map(|n| {
            let col1 = match n {
                1 => 6_000_000,
                30 => 500_000,
                32 => 450_000,
                _ => 0,
            };
            serde_json::json!({"line": n, "item": format!("项目{n}"), "col1": col1, "col2": 0})
        })
        .collect();
    exec(
        &w.app,
        "INSERT INTO financial_report (firm_id, customer_id, period, report_type, standard, lines, generated_at, created_at, updated_at) \
         VALUES (?, ?, '2026-10', 'income_statement', 'small_enterprise', ?, ?, ?, ?)",
        vec![
            w.firm_id.into(),
            w.jia.into(),
            serde_json::Value::from(income).into(),
            now.into(),
            now.into(),
            now.into(),
        ],
    )
    .await;
    for scene in [
        "expiry",
        "missing_invoices",
        "dunning",
        "receipt",
        "collection",
        "filing_done",
        "invoicing",
        "report",
    ] {
        let (status, html) = text(
            boss.fragment(&format!("/sidebar/customers/{}/compose/{scene}", w.jia))
                .await,
        )
        .await;
        assert_eq!(status, 200, "{scene}: {html}");
        assert!(html.contains("上海甲乙贸易有限公司"), "{scene}");
        let text = html
            .split("id=\"compose-text\"")
            .nth(1)
            .and_then(|t| t.split("</textarea>").next())
            .unwrap_or_default();
        assert!(!text.contains('{'), "{scene} left a placeholder: {text}");
    }
    let (_, html) = text(
        boss.fragment(&format!("/sidebar/customers/{}/compose/collection", w.jia))
            .await,
    )
    .await;
    assert!(
        html.contains("进项发票 3张 ¥1,200.00") && html.contains("合计5张，金额¥1,200.00"),
        "{html}"
    );
    let (_, html) = text(
        boss.fragment(&format!("/sidebar/customers/{}/compose/filing_done", w.jia))
            .await,
    )
    .await;
    assert!(
        html.contains("¥123.00") && !html.contains("财务报表："),
        "the statements filed with the returns are not listed as a tax: {html}"
    );
    assert!(html.contains("2026年09月"), "the period in words: {html}");
    // The 报税 section asks for the period it shows, not the latest one filed.
    exec(
        &w.app,
        "INSERT INTO tax_filing (firm_id, customer_id, period_from, period_to, tax_type, due_date, due_provisional, status, payable_fen, paid_fen, filed_at, created_at, updated_at) \
         VALUES (?, ?, '2026-04', '2026-06', 'vat_surcharge', '2026-07-15', FALSE, 'paid', 45600, 45600, ?, ?, ?)",
        vec![w.firm_id.into(), w.jia.into(), now.into(), now.into(), now.into()],
    )
    .await;
    let (_, html) = text(
        boss.fragment(&format!(
            "/sidebar/customers/{}/compose/filing_done?period=2026-06",
            w.jia
        ))
        .await,
    )
    .await;
    assert!(
        html.contains("¥456.00") && html.contains("2026年06月") && !html.contains("¥123.00"),
        "{html}"
    );
    let (status, _) = text(
        boss.fragment(&format!(
            "/sidebar/customers/{}/compose/filing_done?period=2026-6",
            w.jia
        ))
        .await,
    )
    .await;
    assert_eq!(status, 400);
    let (_, html) = text(
        boss.fragment(&format!("/sidebar/customers/{}/compose/report", w.jia))
            .await,
    )
    .await;
    assert!(
        html.contains("2026年10月")
            && html.contains("营业收入¥60,000.00")
            && html.contains("净利润¥4,500.00"),
        "{html}"
    );
    let (_, html) = text(
        boss.fragment(&format!("/sidebar/customers/{}/compose/invoicing", w.jia))
            .await,
    )
    .await;
    assert!(
        html.contains("不含税销售额¥0.00") && html.contains("起征点"),
        "{html}"
    );
    assert_eq!(
        boss.fragment(&format!("/sidebar/customers/{}/compose/nosuch", w.jia))
            .await
            .status(),
        404
    );
    assert_eq!(
        boss.fragment(&format!(
            "/sidebar/customers/{}/compose/expiry",
            w.other_firm_customer
        ))
        .await
        .status(),
        404
    );
    let outsider = w.app.signed_in("outsider").await;
    assert_eq!(
        outsider
            .fragment(&format!("/sidebar/customers/{}/compose/expiry", w.jia))
            .await
            .status(),
        403
    );
    let anon = Browser::new(&w.app.address, "zf_session=nothing");
    assert_eq!(
        anon.fragment(&format!("/sidebar/customers/{}/compose/expiry", w.jia))
            .await
            .status(),
        401
    );
    assert_eq!(
        anon.get(&format!("/sidebar/customers/{}/compose/expiry", w.jia))
            .await
            .status(),
        302
    );
}

#[tokio::test]
async fn without_a_search_the_knowledge_base_shows_the_thirty_most_sent_articles_first() {
    let w = world().await;
    let now = w.app.clock_now();
    exec(&w.app, "INSERT INTO kb_category (firm_id, name, created_at, updated_at) VALUES (?, '常见问题', ?, ?)", vec![w.firm_id.into(), now.into(), now.into()]).await;
    let cat = w.app.count("SELECT MAX(id) FROM kb_category").await;
    for n in 1..=32 {
        exec(
            &w.app,
            "INSERT INTO kb_article (firm_id, category_id, title, content, audit_status, created_at, updated_at) VALUES (?, ?, ?, '正文', 'approved', ?, ?)",
            vec![w.firm_id.into(), cat.into(), format!("问答〔{n:02}〕").into(), now.into(), now.into()],
        )
        .await;
    }
    exec(&w.app, "INSERT INTO kb_article (firm_id, category_id, title, content, audit_status, created_at, updated_at) VALUES (?, ?, '问答〔草稿〕', '正文', 'draft', ?, ?)", vec![w.firm_id.into(), cat.into(), now.into(), now.into()]).await;
    for (n, uses) in [(32, 3i64), (5, 1)] {
        let id = w
            .app
            .count(&format!(
                "SELECT id FROM kb_article WHERE title = '问答〔{n:02}〕'"
            ))
            .await;
        exec(
            &w.app,
            "INSERT INTO kb_article_use (firm_id, article_id, uses, last_used_at) VALUES (?, ?, ?, ?)",
            vec![w.firm_id.into(), id.into(), uses.into(), now.into()],
        )
        .await;
    }
    let staff = w.app.signed_in("staff").await;
    let (status, html) = text(
        staff
            .fragment(&format!("/sidebar/customers/{}/kb", w.jia))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let at = |n: u32| html.find(&format!("问答〔{n:02}〕"));
    let order: Vec<usize> = [32, 5, 1, 2, 3, 4, 6, 29]
        .into_iter()
        .map(|n| at(n).unwrap_or_else(|| panic!("article {n} is listed: {html}")))
        .collect();
    assert!(
        order.windows(2).all(|p| p[0] < p[1]),
        "most sent first, then by age"
    );
    assert_eq!(at(30), None, "only thirty are shown");
    assert_eq!(at(31), None, "only thirty are shown");
    assert!(!html.contains("问答〔草稿〕"), "drafts are not offered");
}

#[tokio::test]
async fn the_most_sent_article_leads_the_knowledge_base_however_many_there_are() {
    let w = world().await;
    let now = w.app.clock_now();
    exec(&w.app, "INSERT INTO kb_category (firm_id, name, created_at, updated_at) VALUES (?, '常见问题', ?, ?)", vec![w.firm_id.into(), now.into(), now.into()]).await;
    let cat = w.app.count("SELECT MAX(id) FROM kb_category").await;
    // More approved articles than the search reads as candidates; the most sent is among the
    // last.
    exec(
        &w.app,
        "INSERT INTO kb_article (firm_id, category_id, title, content, audit_status, created_at, updated_at) \
         SELECT ?, ?, '批量〔' || n || '〕', '正文', 'approved', ?, ? \
         FROM (WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 600) \
               SELECT n FROM seq) s",
        vec![w.firm_id.into(), cat.into(), now.into(), now.into()],
    )
    .await;
    let id = w
        .app
        .count("SELECT id FROM kb_article WHERE title = '批量〔550〕'")
        .await;
    exec(
        &w.app,
        "INSERT INTO kb_article_use (firm_id, article_id, uses, last_used_at) VALUES (?, ?, 7, ?)",
        vec![w.firm_id.into(), id.into(), now.into()],
    )
    .await;
    let staff = w.app.signed_in("staff").await;
    let (status, html) = text(
        staff
            .fragment(&format!("/sidebar/customers/{}/kb", w.jia))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let first = html
        .find("批量〔550〕")
        .expect("the most sent article is listed");
    let next = html.find("批量〔1〕").expect("then the oldest");
    assert!(first < next, "most sent first");
    assert!(!html.contains("批量〔31〕"), "only thirty are shown");
}

#[tokio::test]
async fn a_knowledge_article_is_found_filled_for_the_customer_sent_and_counted() {
    let w = world().await;
    let now = w.app.clock_now();
    exec(&w.app, "INSERT INTO kb_category (firm_id, name, created_at, updated_at) VALUES (?, '税务常识', ?, ?)", vec![w.firm_id.into(), now.into(), now.into()]).await;
    let cat = w.app.count("SELECT MAX(id) FROM kb_category").await;
    for (title, content, status) in [
        (
            "小规模纳税人增值税起征点",
            "{contact_name}您好，「{customer_name}」{period}季度销售额不超过30万元免征增值税。",
            "approved",
        ),
        ("草稿文章起征点", "未审核", "draft"),
        (
            "发票丢失怎么办",
            "丢失发票可以用记账联复印件入账，起征点无关。",
            "approved",
        ),
    ] {
        exec(
            &w.app,
            "INSERT INTO kb_article (firm_id, category_id, title, content, audit_status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![w.firm_id.into(), cat.into(), title.into(), content.into(), status.into(), now.into(), now.into()],
        )
        .await;
    }
    let article = w.app.count("SELECT MIN(id) FROM kb_article").await;
    let staff = w.app.signed_in("staff").await;
    let (status, html) = text(
        staff
            .fragment(&format!(
                "/sidebar/customers/{}/kb?q=起征点&chat_type=group&chat_key=wrGROUP",
                w.jia
            ))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let best = html
        .find("小规模纳税人增值税起征点")
        .expect("the title match");
    let other = html.find("发票丢失怎么办").expect("the text match");
    assert!(best < other, "a title match comes first");
    assert!(!html.contains("草稿文章"), "drafts are not offered");
    let (status, html) = text(staff.fragment(&format!("/sidebar/customers/{}/compose/kb?article={article}&chat_type=group&chat_key=wrGROUP", w.jia)).await).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("「上海甲乙贸易有限公司」2026-11季度"),
        "{html}"
    );
    let token = staff.csrf_token("/sidebar").await;
    let jia = w.jia.to_string();
    let article_s = article.to_string();
    let r = staff
        .post_form(
            "/sidebar/sends",
            &[
                ("csrf", &token),
                ("customer_id", &jia),
                ("chat_type", "group"),
                ("chat_key", "wrGROUP"),
                ("scene", "kb"),
                ("content", "内容"),
                ("article_id", &article_s),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT uses FROM kb_article_use WHERE article_id = {article}"
            ))
            .await,
        1
    );
    // Another firm's chat is not found.
    let r = staff
        .post_form(
            "/sidebar/sends",
            &[
                ("csrf", &token),
                ("customer_id", &jia),
                ("chat_type", "contact"),
                ("chat_key", "wmOTHER"),
                ("scene", "kb"),
                ("content", "内容"),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_top_level_category_lists_its_sub_categories_articles() {
    let w = world().await;
    let now = w.app.clock_now();
    let category = |name: &'static str, parent: Option<i64>| {
        let app = &w.app;
        let firm_id = w.firm_id;
        async move {
            exec(
                app,
                "INSERT INTO kb_category (firm_id, parent_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                vec![firm_id.into(), parent.into(), name.into(), now.into(), now.into()],
            )
            .await;
            app.count("SELECT MAX(id) FROM kb_category").await
        }
    };
    let vat = category("增值税", None).await;
    let small = category("小规模纳税人", Some(vat)).await;
    let other = category("个税", None).await;
    for (category_id, title) in [
        (vat, "增值税总览"),
        (small, "小规模免税额度"),
        (other, "专项附加扣除"),
    ] {
        exec(
            &w.app,
            "INSERT INTO kb_article (firm_id, category_id, title, content, audit_status, created_at, updated_at) VALUES (?, ?, ?, '正文', 'approved', ?, ?)",
            vec![w.firm_id.into(), category_id.into(), title.into(), now.into(), now.into()],
        )
        .await;
    }
    let staff = w.app.signed_in("staff").await;
    let list = |c: i64| {
        let staff = &staff;
        let path = format!("/sidebar/customers/{}/kb?category={c}", w.jia);
        async move { text(staff.fragment(&path).await).await }
    };
    let (status, html) = list(vat).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("增值税总览") && html.contains("小规模免税额度"),
        "{html}"
    );
    assert!(!html.contains("专项附加扣除"), "{html}");
    let (_, html) = list(small).await;
    assert!(
        html.contains("小规模免税额度") && !html.contains("增值税总览"),
        "{html}"
    );
}
