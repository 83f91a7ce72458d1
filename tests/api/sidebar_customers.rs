//! The sidebar's customer pages: the panel for a chat, the sections, the link search and
//! linking, adding contacts, tags and follow-ups.

use sea_orm::ConnectionTrait;
use zhangfang::db::entities::employee::Role;

use crate::helpers::{Browser, NewEmployee, TestApp};

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

pub async fn exec(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) {
    app.state
        .db
        .write()
        .execute_raw(zhangfang::db::statement(app.backend(), sql, values))
        .await
        .unwrap();
}

/// An external contact followed by `userid`; returns its id.
pub async fn contact(
    app: &TestApp,
    firm_id: i64,
    external_userid: &str,
    name: &str,
    userid: &str,
) -> i64 {
    let now = app.clock_now();
    exec(
        app,
        "INSERT INTO wecom_external_contact (firm_id, external_userid, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        vec![firm_id.into(), external_userid.into(), name.into(), now.into(), now.into()],
    )
    .await;
    let id = app
        .count(&format!(
            "SELECT id FROM wecom_external_contact WHERE external_userid = '{external_userid}'"
        ))
        .await;
    exec(
        app,
        "INSERT INTO external_follow (firm_id, external_contact_id, userid, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        vec![firm_id.into(), id.into(), userid.into(), now.into(), now.into()],
    )
    .await;
    id
}

/// A customer group owned by `owner`; returns its id.
pub async fn group(app: &TestApp, firm_id: i64, chat_id: &str, name: &str, owner: &str) -> i64 {
    let now = app.clock_now();
    exec(
        app,
        "INSERT INTO wecom_group_chat (firm_id, chat_id, name, owner_userid, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        vec![firm_id.into(), chat_id.into(), name.into(), owner.into(), now.into(), now.into()],
    )
    .await;
    app.count(&format!(
        "SELECT id FROM wecom_group_chat WHERE chat_id = '{chat_id}'"
    ))
    .await
}

pub async fn link_contact(app: &TestApp, firm_id: i64, customer_id: i64, contact_id: i64) {
    exec(
        app,
        "INSERT INTO customer_external_link (firm_id, customer_id, external_contact_id, created_at) VALUES (?, ?, ?, ?)",
        vec![firm_id.into(), customer_id.into(), contact_id.into(), app.clock_now().into()],
    )
    .await;
}

pub async fn link_group(app: &TestApp, firm_id: i64, customer_id: i64, group_id: i64) {
    exec(
        app,
        "INSERT INTO customer_group_link (firm_id, customer_id, group_chat_id, created_at) VALUES (?, ?, ?, ?)",
        vec![firm_id.into(), customer_id.into(), group_id.into(), app.clock_now().into()],
    )
    .await;
}

pub async fn serve(app: &TestApp, firm_id: i64, customer_id: i64, employee_id: i64) {
    exec(
        app,
        "INSERT INTO customer_staff (firm_id, customer_id, employee_id, role, created_at) VALUES (?, ?, ?, 'account_manager', ?)",
        vec![firm_id.into(), customer_id.into(), employee_id.into(), app.clock_now().into()],
    )
    .await;
}

/// A firm with an admin (`boss`), a staff member serving 甲 (`staff`, basic/service/follow_up),
/// one serving nobody (`outsider`, every section) and one serving 甲 with no section rights
/// (`bare`); 甲 and 乙 linked to contact `wmBOSS`, 甲 to group `wrGROUP`; 丙 unlinked.
pub struct World {
    pub app: TestApp,
    pub firm_id: i64,
    pub jia: i64,
    pub yi: i64,
    pub bing: i64,
    pub other_firm_customer: i64,
}

pub async fn world() -> World {
    world_with(|_| {}).await
}

pub async fn world_with(customize: impl FnOnce(&mut zhangfang::config::Settings)) -> World {
    let app = crate::helpers::spawn_app_with(customize).await;
    let firm = app.add_firm("wwsidebar000001", "Token", KEY).await;
    let f = firm.firm_id;
    app.add_employee(
        f,
        NewEmployee {
            name: "老板",
            userid: Some("boss"),
            role: Role::Admin,
            ..NewEmployee::default()
        },
    )
    .await;
    let staff = app
        .add_employee(
            f,
            NewEmployee {
                name: "张三",
                userid: Some("staff"),
                permissions: &["basic", "service", "follow_up"],
                ..NewEmployee::default()
            },
        )
        .await;
    app.add_employee(
        f,
        NewEmployee {
            name: "外人",
            userid: Some("outsider"),
            permissions: &["basic", "service", "follow_up", "billing"],
            ..NewEmployee::default()
        },
    )
    .await;
    let bare = app
        .add_employee(
            f,
            NewEmployee {
                name: "无权",
                userid: Some("bare"),
                ..NewEmployee::default()
            },
        )
        .await;
    let jia = app.add_customer(f, "上海甲乙贸易有限公司").await;
    let yi = app.add_customer(f, "上海乙丙科技有限公司").await;
    let bing = app.add_customer(f, "杭州丙丁餐饮管理有限公司").await;
    exec(
        &app,
        "UPDATE customer SET uscc = '91310000MA1FL8XQ2K', short_name = '丙丁餐饮' WHERE id = ?",
        vec![bing.into()],
    )
    .await;
    serve(&app, f, jia, staff).await;
    serve(&app, f, jia, bare).await;
    let c = contact(&app, f, "wmBOSS", "王老板", "staff").await;
    link_contact(&app, f, jia, c).await;
    link_contact(&app, f, yi, c).await;
    let g = group(&app, f, "wrGROUP", "甲乙服务群", "staff").await;
    link_group(&app, f, jia, g).await;
    contact(&app, f, "wmNEW", "新客户", "staff").await;
    contact(&app, f, "wmFRESH", "另一位新客户", "bare").await;
    let other = app.add_firm("wwsidebar000002", "Token", KEY).await;
    let other_firm_customer = app.add_customer(other.firm_id, "别家公司").await;
    contact(&app, other.firm_id, "wmOTHER", "别家联系人", "x").await;
    World {
        app,
        firm_id: f,
        jia,
        yi,
        bing,
        other_firm_customer,
    }
}

async fn text(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn a_contact_panel_shows_the_company_switches_and_remembers_the_choice_without_writing_on_every_view()
 {
    let w = world().await;
    let boss = w.app.signed_in("boss").await;
    let (status, html) = text(boss.get("/sidebar/contact/wmBOSS").await).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<html"), "a direct load is a whole page");
    assert!(html.contains("上海甲乙贸易有限公司") && html.contains("上海乙丙科技有限公司"));
    assert!(html.contains("切换公司"), "two companies give a switcher");
    // The first by name (乙 sorts before 甲).
    assert!(html.contains(&format!("data-customer-id=\"{}\"", w.yi)));
    let (status, html) = text(
        boss.fragment(&format!("/sidebar/contact/wmBOSS?customer={}", w.jia))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!html.contains("<html"), "the shell gets the fragment only");
    assert!(html.contains(&format!("data-customer-id=\"{}\"", w.jia)));
    // Remembered for this chat.
    let (_, html) = text(boss.fragment("/sidebar/contact/wmBOSS").await).await;
    assert!(html.contains(&format!("data-customer-id=\"{}\"", w.jia)));
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM sidebar_chat_choice")
            .await,
        1
    );
    // Views that change nothing write nothing.
    w.app.flush_context_hints().await;
    let before = zhangfang_string(
        &w.app,
        "SELECT CAST(updated_at AS TEXT) FROM sidebar_last_context",
    )
    .await;
    w.app.clock.advance(chrono::Duration::minutes(5));
    boss.fragment(&format!("/sidebar/contact/wmBOSS?customer={}", w.jia))
        .await;
    boss.fragment("/sidebar/contact/wmBOSS").await;
    w.app.flush_context_hints().await;
    assert_eq!(
        zhangfang_string(
            &w.app,
            "SELECT CAST(updated_at AS TEXT) FROM sidebar_last_context"
        )
        .await,
        before
    );
    assert_eq!(
        zhangfang_string(
            &w.app,
            "SELECT CAST(updated_at AS TEXT) FROM sidebar_chat_choice"
        )
        .await,
        before
    );
    // A customer not linked to the chat is not found there.
    assert_eq!(
        boss.fragment(&format!("/sidebar/contact/wmBOSS?customer={}", w.bing))
            .await
            .status(),
        404
    );
}

async fn zhangfang_string(app: &TestApp, sql: &str) -> String {
    crate::helpers::string_value(app, sql).await
}

#[tokio::test]
async fn the_panel_counts_as_arrears_only_what_is_open_and_due_on_live_receivables() {
    let w = world().await;
    let today = w.app.clock_now().date_naive();
    let past = today - chrono::Duration::days(10);
    let future = today + chrono::Duration::days(30);
    let now = w.app.clock_now();
    // (amount, paid, due, status, deleted): only the first counts, and only its open 600 yuan;
    // an overpaid one does not reduce it.
    for (amount, paid, due, status, deleted) in [
        (100_000_i64, 40_000_i64, past, "partial", false),
        (50_000, 70_000, past, "paid", false),
        (30_000, 0, past, "void", false),
        (20_000, 0, past, "open", true),
        (80_000, 0, future, "open", false),
    ] {
        exec(
            &w.app,
            "INSERT INTO receivable (firm_id, customer_id, period_from, period_to, amount_fen, \
             paid_fen, due_date, status, created_at, updated_at, deleted_at) \
             VALUES (?, ?, '2026-10', '2026-10', ?, ?, ?, ?, ?, ?, ?)",
            vec![
                w.firm_id.into(),
                w.jia.into(),
                amount.into(),
                paid.into(),
                due.into(),
                status.into(),
                now.into(),
                now.into(),
                if deleted { Some(now) } else { None }.into(),
            ],
        )
        .await;
    }
    let boss = w.app.signed_in("boss").await;
    let (status, html) = text(
        boss.fragment(&format!("/sidebar/contact/wmBOSS?customer={}", w.jia))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("欠费：<strong class=\"bad\">¥600.00</strong>"),
        "{html}"
    );
    // The chat's other company (first by name) owes nothing: each company's own figures.
    let (_, html) = text(
        boss.fragment(&format!("/sidebar/contact/wmBOSS?customer={}", w.yi))
            .await,
    )
    .await;
    assert!(html.contains("欠费：<strong>¥0.00</strong>"), "{html}");
    let (_, html) = text(
        boss.fragment(&format!("/sidebar/contact/wmBOSS?customer={}", w.jia))
            .await,
    )
    .await;
    assert!(html.contains("¥600.00"), "{html}");
}

#[tokio::test]
async fn the_shell_paints_the_last_chat_from_the_server() {
    let w = world().await;
    let boss = w.app.signed_in("boss").await;
    let (_, html) = text(boss.get("/sidebar").await).await;
    assert!(html.contains("当前会话"), "no last chat yet");
    boss.fragment("/sidebar/group/wrGROUP").await;
    let (status, html) = text(boss.get("/sidebar").await).await;
    assert_eq!(status, 200);
    assert!(html.contains("上海甲乙贸易有限公司"), "{html}");
    assert!(html.contains("data-chat-key=\"wrGROUP\""));
}

#[tokio::test]
async fn last_contexts_are_written_in_batches_and_an_older_hint_never_replaces_a_newer_one() {
    use zhangfang::services::context_hints::ContextHints;
    use zhangfang::services::sidebar::ChatRef;
    let w = world().await;
    let boss = w.app.signed_in("boss").await;
    let boss_id = w
        .app
        .count("SELECT id FROM employee WHERE wecom_userid = 'boss'")
        .await;
    boss.fragment("/sidebar/group/wrGROUP").await;
    w.app.flush_context_hints().await;
    let stored = "SELECT chat_key FROM sidebar_last_context";
    assert_eq!(zhangfang_string(&w.app, stored).await, "wrGROUP");

    // Another instance that noted an earlier view only now writes it: the newer one stays.
    let db = &w.app.state.db;
    let other = ContextHints::default();
    let earlier = w.app.clock_now() - chrono::Duration::seconds(1);
    other.note(
        w.firm_id,
        boss_id,
        &ChatRef::Contact("wmBOSS".into()),
        earlier,
    );
    assert_eq!(other.flush(db).await.unwrap(), 1);
    assert_eq!(zhangfang_string(&w.app, stored).await, "wrGROUP");

    // A later one is written, beside a hint of an employee deleted since: it does not hold the
    // batch up. This instance, with nothing pending, reads what the other wrote.
    let later = w.app.clock_now() + chrono::Duration::seconds(1);
    other.note(
        w.firm_id,
        boss_id,
        &ChatRef::Contact("wmBOSS".into()),
        later,
    );
    other.note(
        w.firm_id,
        9_999_999,
        &ChatRef::Contact("wmBOSS".into()),
        later,
    );
    assert_eq!(other.flush(db).await.unwrap(), 2);
    assert!(other.is_empty());
    assert_eq!(zhangfang_string(&w.app, stored).await, "wmBOSS");
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM sidebar_last_context")
            .await,
        1
    );
    let (_, html) = text(boss.get("/sidebar").await).await;
    assert!(html.contains("data-chat-key=\"wmBOSS\""), "{html}");
}

#[tokio::test]
async fn panels_and_sections_need_a_session() {
    let w = world().await;
    let anon = Browser::new(&w.app.address, "zf_session=nothing");
    for path in [
        "/sidebar/contact/wmBOSS".to_string(),
        "/sidebar/group/wrGROUP".to_string(),
        format!("/sidebar/customers/{}/basic", w.jia),
        format!("/sidebar/customers/{}/service", w.jia),
        format!("/sidebar/customers/{}/followups", w.jia),
        format!("/sidebar/customers/{}/kb", w.jia),
        "/sidebar/customers/search?q=甲".to_string(),
    ] {
        let page = anon.get(&path).await;
        assert_eq!(page.status(), 302, "{path}");
        assert!(
            page.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/sidebar/signin?next=")
        );
        assert_eq!(anon.fragment(&path).await.status(), 401, "{path}");
    }
    let r = anon
        .client
        .post(anon.url("/sidebar/links"))
        .form(&[
            ("chat_type", "contact"),
            ("chat_key", "wmNEW"),
            ("customer_id", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 401 | 403), "{}", r.status());
}

#[tokio::test]
async fn another_firms_chats_and_customers_are_not_found() {
    let w = world().await;
    let boss = w.app.signed_in("boss").await;
    assert_eq!(
        boss.fragment("/sidebar/contact/wmOTHER").await.status(),
        404
    );
    assert_eq!(boss.fragment("/sidebar/group/wrNOPE").await.status(), 404);
    for section in ["basic", "service", "followups", "kb"] {
        let path = format!("/sidebar/customers/{}/{section}", w.other_firm_customer);
        assert_eq!(boss.fragment(&path).await.status(), 404, "{path}");
    }
    assert_eq!(
        boss.fragment(&format!("/sidebar/customers/{}/nosuch", w.jia))
            .await
            .status(),
        404
    );
    let (_, html) = text(boss.fragment("/sidebar/customers/search?q=别家").await).await;
    assert!(!html.contains("别家公司"));
    let token = boss.csrf_token("/sidebar").await;
    let other = w.other_firm_customer.to_string();
    let r = boss
        .post_form(
            "/sidebar/links",
            &[
                ("csrf", &token),
                ("chat_type", "contact"),
                ("chat_key", "wmNEW"),
                ("customer_id", &other),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM customer_external_link")
            .await,
        2
    );
}

#[tokio::test]
async fn staff_outside_the_customers_team_are_refused() {
    let w = world().await;
    let outsider = w.app.signed_in("outsider").await;
    assert_eq!(
        outsider.fragment("/sidebar/contact/wmBOSS").await.status(),
        403
    );
    assert_eq!(
        outsider.fragment("/sidebar/group/wrGROUP").await.status(),
        403
    );
    for section in ["basic", "service", "followups", "kb"] {
        let path = format!("/sidebar/customers/{}/{section}", w.jia);
        assert_eq!(outsider.fragment(&path).await.status(), 403, "{path}");
    }
    // The staff member who follows the contact sees only the company they may see.
    let staff = w.app.signed_in("staff").await;
    let (status, html) = text(staff.fragment("/sidebar/contact/wmBOSS").await).await;
    assert_eq!(status, 200);
    assert!(html.contains("上海甲乙贸易有限公司"));
    let (_, search) = text(
        outsider
            .fragment("/sidebar/customers/search?q=有限公司")
            .await,
    )
    .await;
    assert!(
        !search.contains("上海甲乙贸易有限公司"),
        "search keeps to the employee's customers"
    );
}

#[tokio::test]
async fn a_section_without_its_permission_is_hidden_and_refused() {
    let w = world().await;
    let bare = w.app.signed_in("bare").await;
    let (status, html) = text(bare.fragment("/sidebar/group/wrGROUP").await).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("tab-basic")
            && !html.contains("tab-service")
            && !html.contains("tab-followups")
    );
    assert!(
        html.contains("tab-kb"),
        "everyone may use the knowledge base"
    );
    for section in ["basic", "service", "followups"] {
        let path = format!("/sidebar/customers/{}/{section}", w.jia);
        assert_eq!(bare.fragment(&path).await.status(), 403, "{path}");
    }
    assert_eq!(
        bare.fragment(&format!("/sidebar/customers/{}/kb", w.jia))
            .await
            .status(),
        200
    );
    let staff = w.app.signed_in("staff").await;
    let (_, html) = text(staff.fragment("/sidebar/group/wrGROUP").await).await;
    assert!(
        html.contains("tab-basic")
            && html.contains("tab-service")
            && html.contains("tab-followups")
    );
}

#[tokio::test]
async fn sections_answer_a_whole_page_or_the_fragment() {
    let w = world().await;
    let boss = w.app.signed_in("boss").await;
    for section in ["basic", "service", "followups", "kb"] {
        let path = format!("/sidebar/customers/{}/{section}", w.jia);
        let (status, page) = text(boss.get(&path).await).await;
        assert_eq!(status, 200, "{path}: {page}");
        assert!(page.contains("<html") && page.contains(&format!("section-{section}")));
        let (status, fragment) = text(boss.fragment(&path).await).await;
        assert_eq!(status, 200);
        assert!(!fragment.contains("<html") && fragment.contains(&format!("section-{section}")));
    }
}

#[tokio::test]
async fn search_finds_customers_by_any_part_of_the_name_short_name_uscc_or_contact_phone() {
    let w = world().await;
    exec(
        &w.app,
        "INSERT INTO contact (firm_id, customer_id, name, role, mobile, created_at, updated_at) VALUES (?, ?, '李会计', 'finance', '13912345678', ?, ?)",
        vec![w.firm_id.into(), w.yi.into(), w.app.clock_now().into(), w.app.clock_now().into()],
    )
    .await;
    let boss = w.app.signed_in("boss").await;
    let cases: [(&str, i64); 5] = [
        ("丙丁", w.bing),
        ("餐饮管理", w.bing),
        ("91310000ma1fl8", w.bing),
        ("12345678", w.yi),
        ("贸易", w.jia),
    ];
    for (q, expected) in cases {
        let (status, html) = text(
            boss.fragment(&format!(
                "/sidebar/customers/search?q={q}&chat_type=contact&chat_key=wmNEW"
            ))
            .await,
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("value=\"{expected}\"")),
            "{q}: {html}"
        );
    }
    let (_, html) = text(boss.fragment("/sidebar/customers/search?q=%25").await).await;
    assert!(
        html.contains("没有找到"),
        "a % is a character, not a wildcard"
    );
    let (status, page) = text(boss.get("/sidebar/customers/search?q=丙").await).await;
    assert_eq!(status, 200);
    assert!(page.contains("<html"));
}

#[tokio::test]
async fn linking_a_chat_needs_the_token_and_shows_the_panel() {
    let w = world().await;
    let boss = w.app.signed_in("boss").await;
    let (_, html) = text(boss.fragment("/sidebar/contact/wmNEW").await).await;
    assert!(html.contains("关联客户"), "an unlinked chat offers linking");
    let bing = w.bing.to_string();
    let yi = w.yi.to_string();
    let no_token = boss
        .post_form(
            "/sidebar/links",
            &[
                ("chat_type", "contact"),
                ("chat_key", "wmNEW"),
                ("customer_id", &bing),
            ],
        )
        .await;
    assert_eq!(no_token.status(), 403);
    let token = boss.csrf_token("/sidebar").await;
    let r = boss
        .client
        .post(boss.url("/sidebar/links"))
        .header("hx-request", "true")
        .form(&[
            ("csrf", token.as_str()),
            ("chat_type", "contact"),
            ("chat_key", "wmNEW"),
            ("customer_id", &bing),
            ("customer_id", &yi),
        ])
        .send()
        .await
        .unwrap();
    let (status, html) = text(r).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("杭州丙丁餐饮管理有限公司"));
    assert_eq!(w.app.count("SELECT COUNT(*) FROM customer_external_link WHERE external_contact_id = (SELECT id FROM wecom_external_contact WHERE external_userid = 'wmNEW')").await, 2);
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'chat.link_customers'")
            .await,
        1
    );
    // Without htmx, the browser is sent to the chat's panel.
    let r = boss
        .post_form(
            "/sidebar/links",
            &[
                ("csrf", &token),
                ("chat_type", "group"),
                ("chat_key", "wrGROUP"),
                ("customer_id", &bing),
            ],
        )
        .await;
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/sidebar/group/wrGROUP");
    // Staff without 基础资料 are not offered linking and may not link.
    let bare = w.app.signed_in("bare").await;
    let (_, html) = text(bare.fragment("/sidebar/contact/wmFRESH").await).await;
    assert!(html.contains("cannot-link"), "{html}");
    assert!(!html.contains("name=\"q\""), "no search to link with");
    let token = bare.csrf_token("/sidebar").await;
    let r = bare
        .post_form(
            "/sidebar/links",
            &[
                ("csrf", &token),
                ("chat_type", "contact"),
                ("chat_key", "wmNEW"),
                ("customer_id", &bing),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn adding_a_contact_a_tag_and_a_follow_up_is_audited() {
    let w = world().await;
    let now = w.app.clock_now();
    // Without tags, the section says where tags come from.
    let staff = w.app.signed_in("staff").await;
    let (_, html) = text(
        staff
            .fragment(&format!("/sidebar/customers/{}/basic", w.jia))
            .await,
    )
    .await;
    assert!(
        html.contains("本公司还没有标签") && html.contains("「导入数据」中导入标签"),
        "{html}"
    );
    exec(&w.app, "INSERT INTO tag_group (firm_id, name, created_at, updated_at) VALUES (?, '客户等级', ?, ?)", vec![w.firm_id.into(), now.into(), now.into()]).await;
    let group_id = w.app.count("SELECT MAX(id) FROM tag_group").await;
    exec(&w.app, "INSERT INTO tag (firm_id, group_id, name, created_at, updated_at) VALUES (?, ?, '重要客户', ?, ?)", vec![w.firm_id.into(), group_id.into(), now.into(), now.into()]).await;
    let tag_id = w.app.count("SELECT MAX(id) FROM tag").await.to_string();
    let staff = w.app.signed_in("staff").await;
    let token = staff.csrf_token("/sidebar").await;
    let jia = w.jia;
    let r = staff
        .post_form(
            &format!("/sidebar/customers/{jia}/contacts"),
            &[
                ("csrf", &token),
                ("name", "赵财务"),
                ("mobile", "13800001111"),
                ("role", "finance"),
            ],
        )
        .await;
    let (status, html) = text(r).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("赵财务") && html.contains("13800001111"));
    let r = staff
        .post_form(
            &format!("/sidebar/customers/{jia}/contacts"),
            &[("csrf", &token), ("name", " "), ("role", "finance")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = staff
        .post_form(
            &format!("/sidebar/customers/{jia}/tags"),
            &[
                ("csrf", &token),
                ("tag_id", &tag_id),
                ("chat_type", "group"),
                ("chat_key", "wrGROUP"),
            ],
        )
        .await;
    let (status, html) = text(r).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("重要客户"));
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT COUNT(*) FROM customer_tag WHERE customer_id = {jia}"
            ))
            .await,
        1
    );
    let r = staff
        .post_form(
            &format!("/sidebar/customers/{jia}/followups"),
            &[
                ("csrf", &token),
                ("content", "电话确认了下月的票据"),
                ("kind", "call"),
                ("next_date", "2026-12-05"),
            ],
        )
        .await;
    let (status, html) = text(r).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("电话确认了下月的票据") && html.contains("2026-12-05"));
    for action in ["contact.create", "customer.tags", "follow_up.create"] {
        assert_eq!(
            w.app
                .count(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await,
            1,
            "{action}"
        );
    }
    // Another firm's customer is not found; a customer outside the team is refused.
    let other = w.other_firm_customer;
    let r = staff
        .post_form(
            &format!("/sidebar/customers/{other}/contacts"),
            &[("csrf", &token), ("name", "某人")],
        )
        .await;
    assert_eq!(r.status(), 404);
    let outsider = w.app.signed_in("outsider").await;
    let token = outsider.csrf_token("/sidebar").await;
    let r = outsider
        .post_form(
            &format!("/sidebar/customers/{jia}/followups"),
            &[("csrf", &token), ("content", "x")],
        )
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn tags_mapped_to_wecom_are_marked_in_a_single_chat_and_a_refusal_is_shown() {
    use wiremock::matchers::{body_partial_json, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let wecom = MockServer::start().await;
    let uri = wecom.uri();
    let w = world_with(|s| s.wecom.api_base = uri.clone()).await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"errcode": 0, "errmsg": "ok", "access_token": "T", "expires_in": 7200})))
        .mount(&wecom)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/externalcontact/mark_tag"))
        .and(body_partial_json(serde_json::json!({"userid": "staff", "external_userid": "wmBOSS", "add_tag": ["etVIP"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"errcode": 0, "errmsg": "ok"})))
        .expect(1)
        .mount(&wecom)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/externalcontact/mark_tag"))
        .and(body_partial_json(
            serde_json::json!({"remove_tag": ["etVIP"]}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"errcode": 84061, "errmsg": "not external contact"}),
            ),
        )
        .expect(1)
        .mount(&wecom)
        .await;
    let now = w.app.clock_now();
    exec(&w.app, "INSERT INTO tag_group (firm_id, name, created_at, updated_at) VALUES (?, '客户等级', ?, ?)", vec![w.firm_id.into(), now.into(), now.into()]).await;
    let group_id = w.app.count("SELECT MAX(id) FROM tag_group").await;
    exec(&w.app, "INSERT INTO tag (firm_id, group_id, name, wecom_tag_id, created_at, updated_at) VALUES (?, ?, 'VIP', 'etVIP', ?, ?)", vec![w.firm_id.into(), group_id.into(), now.into(), now.into()]).await;
    let tag_id = w.app.count("SELECT MAX(id) FROM tag").await.to_string();
    let staff = w.app.signed_in("staff").await;
    let token = staff.csrf_token("/sidebar").await;
    let jia = w.jia;
    let r = staff
        .post_form(
            &format!("/sidebar/customers/{jia}/tags"),
            &[
                ("csrf", &token),
                ("tag_id", &tag_id),
                ("chat_type", "contact"),
                ("chat_key", "wmBOSS"),
            ],
        )
        .await;
    let (status, html) = text(r).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("已同步 1 个企业微信标签"), "{html}");
    // Removing it: WeCom refuses, the page says so, our tag change stands.
    let r = staff
        .post_form(
            &format!("/sidebar/customers/{jia}/tags"),
            &[
                ("csrf", &token),
                ("chat_type", "contact"),
                ("chat_key", "wmBOSS"),
            ],
        )
        .await;
    let (status, html) = text(r).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("wecom-refusal") && html.contains("企业微信未能同步标签"),
        "{html}"
    );
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT COUNT(*) FROM customer_tag WHERE customer_id = {jia}"
            ))
            .await,
        0
    );
    // In a group only our tags change: WeCom is not called (the mocks expect one call each).
    let r = staff
        .post_form(
            &format!("/sidebar/customers/{jia}/tags"),
            &[
                ("csrf", &token),
                ("tag_id", &tag_id),
                ("chat_type", "group"),
                ("chat_key", "wrGROUP"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT COUNT(*) FROM customer_tag WHERE customer_id = {jia}"
            ))
            .await,
        1
    );
    wecom.verify().await;
}

#[tokio::test]
async fn the_money_and_bookkeeping_sections_are_tabs_of_the_panel_and_load_as_fragments() {
    let w = world().await;
    let boss = w.app.signed_in("boss").await;
    let (_, html) = text(boss.fragment("/sidebar/group/wrGROUP").await).await;
    for tab in ["billing", "collection", "filings", "reports", "invoices"] {
        assert!(html.contains(&format!("tab-{tab}")), "{tab} is a tab");
    }
    let staff = w.app.signed_in("staff").await;
    let (_, html) = text(staff.fragment("/sidebar/group/wrGROUP").await).await;
    assert!(
        !html.contains("tab-billing") && !html.contains("tab-invoices"),
        "a section without its right is no tab"
    );
    for section in ["billing", "collection", "filings", "reports", "invoices"] {
        let path = format!("/sidebar/customers/{}/{section}", w.jia);
        let (status, page) = text(boss.get(&path).await).await;
        assert_eq!(status, 200, "{path}: {page}");
        assert!(page.contains("<html") && page.contains(&format!("id=\"{section}\"")));
        let (status, fragment) = text(boss.fragment(&path).await).await;
        assert_eq!(status, 200, "{path}: {fragment}");
        assert!(
            !fragment.contains("<html") && fragment.contains(&format!("id=\"{section}\"")),
            "{path} loads into the panel without a second layout"
        );
    }
}

#[tokio::test]
async fn an_unlinked_chat_is_shown_only_to_those_in_it() {
    let w = world().await;
    // 另一位新客户 (wmFRESH) is followed by `bare` only.
    let (status, html) = text(
        w.app
            .signed_in("bare")
            .await
            .fragment("/sidebar/contact/wmFRESH")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("另一位新客户"));
    let (status, html) = text(
        w.app
            .signed_in("staff")
            .await
            .fragment("/sidebar/contact/wmFRESH")
            .await,
    )
    .await;
    assert_eq!(status, 403, "{html}");
    assert!(!html.contains("另一位新客户"), "the name stays hidden");
    let (status, _) = text(
        w.app
            .signed_in("boss")
            .await
            .fragment("/sidebar/contact/wmFRESH")
            .await,
    )
    .await;
    assert_eq!(status, 200, "an admin sees every chat");
    // The chat staff does follow opens as before.
    let (status, html) = text(
        w.app
            .signed_in("staff")
            .await
            .fragment("/sidebar/contact/wmNEW")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{html}");
}
