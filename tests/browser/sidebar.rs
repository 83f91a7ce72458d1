//! The sidebar at 360×640 through the demo bridge: pick a chat, see its company, go through the
//! sections, send an expiry reminder and see the "already sent" notice, add a contact and a
//! follow-up, search the knowledge base and send an article. Screenshots of each step go to
//! `target/screenshots/`.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::helpers;
use crate::{browser, demo_app};
use sea_orm::ConnectionTrait;

const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

async fn wait(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

async fn wait_text(client: &Client, text: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&format!("//*[contains(text(), '{text}')]")))
        .await
        .unwrap_or_else(|e| panic!("text {text}: {e}"));
}

async fn shot(client: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("sidebar-{name}.png")), png).unwrap();
}

/// Waits until `sql` counts `expected`: the send log is written after the bridge reports the
/// message sent, so the page may say 已发送 a moment before the row is there.
async fn wait_count(app: &helpers::TestApp, sql: &str, expected: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let n = app.count(sql).await;
        if n == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{sql}: {n}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks like a finger would, without the sticky tab bar getting in the way of WebDriver's
/// hit test.
/// Waits until htmx has no request in flight and has settled what it swapped in: it wires new
/// content (its triggers) up only when settling, so an event sent earlier is lost.
async fn settled(client: &Client) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let busy = client
            .execute(
                "return document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added') !== null;",
                vec![],
            )
            .await
            .unwrap();
        if busy == json!(false) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "htmx did not settle within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn click(client: &Client, css: &str) {
    wait(client, css).await;
    settled(client).await;
    client
        .execute(
            "var e = document.querySelector(arguments[0]); e.scrollIntoView({block: 'center'}); e.click();",
            vec![json!(css)],
        )
        .await
        .unwrap();
}

/// Signs the demo firm's first admin in and opens the sidebar shell; returns the admin's id.
async fn open_sidebar(c: &Client, app: &helpers::TestApp) -> i64 {
    let admin_id = app
        .count("SELECT MIN(id) FROM employee WHERE role IN ('admin', 'super_admin') AND status = 'active'")
        .await;
    let userid = helpers::string_value(
        app,
        &format!("SELECT COALESCE(wecom_userid, '') FROM employee WHERE id = {admin_id}"),
    )
    .await;
    let userid = if userid.is_empty() {
        app.state
            .db
            .write()
            .execute_unprepared(&format!(
                "UPDATE employee SET wecom_userid = 'zf-browser-admin' WHERE id = {admin_id}"
            ))
            .await
            .unwrap();
        "zf-browser-admin".to_string()
    } else {
        userid
    };
    open_sidebar_as(c, app, &userid).await;
    admin_id
}

/// Status badges, buttons and amounts keep to one line at 360 px: a badge broken as "待申/报", a
/// button as "发/送" in a narrow cell, a sign-out as "退/出" beside a long firm name or an amount
/// as "¥402/.68" reads as something else.
async fn assert_no_wrapped_labels(c: &Client) {
    let wrapped = c
        .execute(
            "function lines(e) { var r = document.createRange(); r.selectNodeContents(e); \
             var tops = {}; Array.from(r.getClientRects()).forEach(function (x) { \
             if (x.width > 0) { tops[Math.round(x.top)] = 1; } }); return Object.keys(tops).length; }\
             return Array.from(document.querySelectorAll('.badge, button, td.num, .date'))\
             .filter(function (e) { return e.offsetParent !== null && e.textContent.trim() && lines(e) > 1; })\
             .map(function (e) { return e.textContent.trim(); });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(wrapped, json!([]), "labels broken over two lines");
}

/// Picks the demo picker's first chat, as WeCom's context would name it.
async fn pick_first_chat(c: &Client) {
    c.execute(
        "var s = document.getElementById('demo-chat'); s.selectedIndex = 1; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
}

/// Signs the member with WeCom user id `userid` in and opens the sidebar shell.
async fn open_sidebar_as(c: &Client, app: &helpers::TestApp, userid: &str) {
    let session = app.signed_in(userid).await;
    let (name, value) = session.cookie.split_once('=').unwrap();
    c.goto(&app.url("/healthz")).await.unwrap();
    c.execute(
        &format!("document.cookie = '{name}={value}; path=/';"),
        vec![],
    )
    .await
    .unwrap();
    c.goto(&app.url("/sidebar")).await.unwrap();
}

/// A staff member picks a chat whose customer a colleague serves: the refusal takes the panel's
/// place, in Chinese, instead of a line at the top of the page above a panel still inviting them
/// to open a chat.
#[tokio::test]
async fn a_chat_the_member_may_not_see_shows_the_refusal_in_the_panel() {
    let Some(b) = browser(360, 640).await else {
        return;
    };
    let app = demo_app().await;
    let staff = app
        .count("SELECT MIN(id) FROM employee WHERE role = 'staff' AND status = 'active'")
        .await;
    for sql in [
        format!(
            "UPDATE employee SET wecom_userid = 'zf-browser-staff', data_scope = 'own' WHERE id = {staff}"
        ),
        format!("DELETE FROM customer_staff WHERE employee_id = {staff}"),
    ] {
        app.state.db.write().execute_unprepared(&sql).await.unwrap();
    }
    let c = &b.client;
    open_sidebar_as(c, &app, "zf-browser-staff").await;
    wait(c, "#demo-chat").await;
    pick_first_chat(c).await;
    let refusal = wait(c, "#panel #context-text[role=alert]").await;
    let text = refusal.text().await.unwrap();
    assert!(text.contains("无法查看"), "{text}");
    shot(c, "refused-chat").await;
    let stray = c
        .execute(
            "return document.querySelectorAll('body > .htmx-error, #app > .htmx-error').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(stray, json!(0), "no message outside the panel");
    b.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn an_account_manager_works_a_customer_chat_in_the_demo_sidebar() {
    let Some(b) = browser(360, 640).await else {
        return;
    };
    let app = demo_app().await;
    let admin_id = open_sidebar(&b.client, &app).await;
    let c = &b.client;
    wait(c, "#demo-chat").await;
    shot(c, "shell").await;

    // The demo picker stands in for WeCom's context: the first chat is a linked one.
    pick_first_chat(c).await;
    wait(c, "#summary").await;
    wait(c, ".section").await;
    shot(c, "panel").await;
    assert_no_wrapped_labels(c).await;
    let customer_id = c
        .execute(
            "return document.getElementById('summary').getAttribute('data-customer-id');",
            vec![],
        )
        .await
        .unwrap();
    assert!(customer_id.as_str().is_some_and(|s| !s.is_empty()));

    for section in ["basic", "service", "followups", "kb"] {
        click(c, &format!("#tab-{section}")).await;
        wait(c, &format!("#section-{section}")).await;
        shot(c, section).await;
    }
    // The money and bookkeeping sections load into the same panel, without a second layout.
    for section in ["billing", "collection", "filings", "reports", "invoices"] {
        click(c, &format!("#tab-{section}")).await;
        wait(c, &format!("#section #{section}")).await;
        let layouts = c
            .find_all(Locator::Css("#section header.me, #section .top"))
            .await
            .unwrap();
        assert!(layouts.is_empty(), "{section} brought its own page chrome");
        shot(c, section).await;
    }

    // 基础资料: add a contact.
    click(c, "#tab-basic").await;
    wait(c, "#section-basic").await;
    c.execute(
        "document.querySelector('#add-contact').closest('details').open = true;",
        vec![],
    )
    .await
    .unwrap();
    wait(c, "#add-contact input[name=name]")
        .await
        .send_keys("浏览器测试联系人")
        .await
        .unwrap();
    // A wrong phone: the server's refusal is shown beside the form, and what was typed stays.
    wait(c, "#add-contact input[name=mobile]")
        .await
        .send_keys("abc")
        .await
        .unwrap();
    click(c, "#add-contact button[type=submit]").await;
    wait_text(c, "电话号码格式不正确").await;
    shot(c, "contact-refused").await;
    let mobile = wait(c, "#add-contact input[name=mobile]").await;
    mobile.clear().await.unwrap();
    mobile.send_keys("13700001234").await.unwrap();
    click(c, "#add-contact button[type=submit]").await;
    wait_text(c, "联系人已添加").await;
    wait_text(c, "浏览器测试联系人").await;

    // 服务: the expiry reminder, sent through the demo bridge, then the notice.
    click(c, "#tab-service").await;
    wait(c, "#section-service").await;
    let has_contract = c.find(Locator::Css("#compose-expiry")).await.is_ok();
    if has_contract {
        click(c, "#compose-expiry").await;
        wait(c, "#composer-expiry textarea").await;
        shot(c, "compose-expiry").await;
        click(c, "#composer-expiry [data-send]").await;
        wait(c, "#sent-notice").await;
        let to = wait(c, "#demo-sent li p.muted").await.text().await.unwrap();
        let picked = c
            .execute(
                "var s = document.getElementById('demo-chat'); return s.options[s.selectedIndex].textContent;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            json!(to),
            picked,
            "the preview names the chat as the picker does"
        );
        shot(c, "sent").await;
        click(c, "#compose-expiry").await;
        let notice = wait(c, "#already-sent").await.text().await.unwrap();
        assert!(
            notice.contains("刚刚已在") && notice.contains("到期提醒"),
            "{notice}"
        );
        shot(c, "already-sent").await;
        let log: serde_json::Value = reqwest::get(app.url("/sandbox/_sandbox/chat-messages"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(log.as_array().map(Vec::len), Some(1), "{log}");
    }

    // 跟进: a new follow-up.
    click(c, "#tab-followups").await;
    wait(c, "#section-followups").await;
    c.execute(
        "document.querySelector('#add-followup').closest('details').open = true;",
        vec![],
    )
    .await
    .unwrap();
    wait(c, "#add-followup textarea")
        .await
        .send_keys("浏览器里记下的跟进")
        .await
        .unwrap();
    let image = std::env::temp_dir().join(format!("zf-browser-{}.png", std::process::id()));
    std::fs::write(&image, PNG).unwrap();
    wait(c, "#add-followup input[name=file1]")
        .await
        .send_keys(image.to_str().unwrap())
        .await
        .unwrap();
    click(c, "#add-followup button[type=submit]").await;
    wait_text(c, "浏览器里记下的跟进").await;
    wait(c, "#section-followups img.thumb").await;
    shot(c, "followup-image").await;

    // 知识库: send the first article.
    click(c, "#tab-kb").await;
    wait(c, "#section-kb").await;
    if c.find(Locator::Css(".send-article")).await.is_ok() {
        click(c, ".send-article").await;
        wait(c, "#composer-kb textarea").await;
        shot(c, "compose-kb").await;
        click(c, "#composer-kb [data-send]").await;
        wait(c, "#sent-notice").await;
    }
    assert!(
        app.count("SELECT COUNT(*) FROM message_log").await >= i64::from(has_contract),
        "sends are logged"
    );

    // 基础资料: tick a tag and save (in a single chat a mapped tag is also marked in WeCom, here
    // the sandbox; either way our tag is saved and the page says what happened).
    click(c, "#tab-basic").await;
    wait(c, "#section-basic").await;
    if c.find(Locator::Css("#edit-tags input[name=tag_id]"))
        .await
        .is_ok()
    {
        c.execute(
            "document.querySelector('#edit-tags').closest('details').open = true;",
            vec![],
        )
        .await
        .unwrap();
        click(c, "#edit-tags input[name=tag_id]").await;
        click(c, "#edit-tags button[type=submit]").await;
        wait_text(c, "标签已保存").await;
        shot(c, "tags").await;
    }

    // A chat linked to two companies: switch between them.
    let first = app.count("SELECT MIN(id) FROM customer").await;
    let second = app.count("SELECT MAX(id) FROM customer").await;
    let contact_id = app
        .count("SELECT MIN(external_contact_id) FROM customer_external_link")
        .await;
    for customer in [first, second] {
        let _ = app
            .state
            .db
            .write()
            .execute_unprepared(&format!(
                "INSERT INTO customer_external_link (firm_id, customer_id, external_contact_id, created_at) \
                 SELECT firm_id, {customer}, {contact_id}, '2026-11-26T00:00:00+00:00' FROM customer WHERE id = {customer} \
                 AND NOT EXISTS (SELECT 1 FROM customer_external_link WHERE customer_id = {customer} AND external_contact_id = {contact_id})"
            ))
            .await
            .unwrap();
    }
    let two = helpers::string_value(
        &app,
        &format!("SELECT external_userid FROM wecom_external_contact WHERE id = {contact_id}"),
    )
    .await;
    // Opened directly, the panel is a whole page of its own.
    c.goto(&app.url(&format!("/sidebar/contact/{two}")))
        .await
        .unwrap();
    wait(c, ".switcher a").await;
    let before = wait(c, "#summary")
        .await
        .attr("data-customer-id")
        .await
        .unwrap();
    click(c, ".switcher a:not(.on)").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&format!(
            "//section[@id='summary'][not(@data-customer-id='{}')]",
            before.clone().unwrap_or_default()
        )))
        .await
        .expect("the other company is shown");
    shot(c, "switched").await;
    c.goto(&app.url("/sidebar")).await.unwrap();
    wait(c, "#demo-chat").await;

    // An unlinked chat: search a customer by part of its name and link it.
    let firm_id = app
        .count(&format!(
            "SELECT firm_id FROM employee WHERE id = {admin_id}"
        ))
        .await;
    app.state
        .db
        .write()
        .execute_unprepared(&format!(
            "INSERT INTO wecom_external_contact (firm_id, external_userid, name, created_at, updated_at) \
             VALUES ({firm_id}, 'wmBrowserNew', '新加的客户', '2026-11-26T00:00:00+00:00', '2026-11-26T00:00:00+00:00')"
        ))
        .await
        .unwrap();
    let unlinked = "wmBrowserNew";
    let customer =
        helpers::string_value(&app, "SELECT name FROM customer ORDER BY id DESC LIMIT 1").await;
    let part: String = customer.chars().skip(2).take(4).collect();
    c.execute(
        "var s = document.getElementById('demo-chat'); var o = document.createElement('option'); o.value = 'contact:' + arguments[0]; o.textContent = '未关联'; s.appendChild(o); s.value = o.value; s.dispatchEvent(new Event('change'));",
        vec![json!(unlinked)],
    )
    .await
    .unwrap();
    wait(c, "#link-customers input[name=q]")
        .await
        .send_keys(&part)
        .await
        .unwrap();
    click(c, "#link-customers button[type=submit]").await;
    wait(c, ".search-hits input[type=checkbox]").await;
    shot(c, "link-search").await;
    click(c, ".search-hits input[type=checkbox]").await;
    click(c, "#link-submit").await;
    wait(c, "#summary").await;
    shot(c, "linked").await;
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM customer_external_link l JOIN wecom_external_contact c ON c.id = l.external_contact_id WHERE c.external_userid = '{unlinked}'")).await,
        1
    );

    // Nothing scrolls sideways at 360 px.
    let fits = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, json!(true));
    b.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn a_payment_is_confirmed_in_the_panel_and_its_receipt_sent_into_the_chat() {
    let Some(b) = browser(360, 640).await else {
        return;
    };
    let app = demo_app().await;
    open_sidebar(&b.client, &app).await;
    let c = &b.client;
    wait(c, "#demo-chat").await;
    pick_first_chat(c).await;
    let customer_id: i64 = wait(c, "#summary")
        .await
        .attr("data-customer-id")
        .await
        .unwrap()
        .and_then(|id| id.parse().ok())
        .expect("the chat's customer");
    let firm_id = app
        .count(&format!(
            "SELECT firm_id FROM customer WHERE id = {customer_id}"
        ))
        .await;
    app.add_receivable(
        firm_id,
        customer_id,
        "2026-10",
        "2026-12",
        123_400,
        "2026-10-15",
    )
    .await;

    click(c, "#tab-billing").await;
    wait(c, "#section-billing #confirm-form").await;
    // A wrong amount: the section says why, in place, and keeps the panel.
    wait(c, "#confirm-form input[name=amount]")
        .await
        .send_keys("一百")
        .await
        .unwrap();
    click(c, "#confirm-form button[type=submit]").await;
    wait_text(c, "格式不正确").await;
    wait(c, "#summary").await;
    shot(c, "billing-refused").await;

    let amount = wait(c, "#confirm-form input[name=amount]").await;
    amount.clear().await.unwrap();
    amount.send_keys("100").await.unwrap();
    click(c, "#confirm-form button[type=submit]").await;
    wait_text(c, "已确认收款").await;
    // The panel's summary follows: the arrears of the receivable added above, less the payment.
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//section[@id='summary']//strong[contains(text(), '1,134.00')]",
        ))
        .await
        .expect("the summary shows the arrears after the payment");
    shot(c, "billing-confirmed").await;
    assert_no_wrapped_labels(c).await;

    // 发送收据: the receipt image goes into the chat (the preview panel here) and is logged.
    click(c, "#billing [data-send-media]").await;
    wait(c, "#demo-sent img.sent-image").await;
    wait_text(c, "已发送").await;
    shot(c, "receipt-sent").await;
    let log: serde_json::Value = reqwest::get(app.url("/sandbox/_sandbox/chat-messages"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        log.as_array()
            .is_some_and(|l| l.iter().any(|m| m["msgtype"] == "image")),
        "{log}"
    );
    wait_count(
        &app,
        "SELECT COUNT(*) FROM message_log WHERE scene = 'receipt' AND msg_type = 'image'",
        1,
    )
    .await;
    // The shown image is the receipt itself.
    let shown = wait(c, "#demo-sent img.sent-image")
        .await
        .attr("src")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        shown.ends_with(".png") && shown.contains("/billing/receipts/"),
        "{shown}"
    );

    // 收票: record documents in place with a photo of them, then share the detail image into
    // the chat.
    click(c, "#tab-collection").await;
    wait(c, "#section-collection #collection-form").await;
    wait(c, "#collection-form input[name=count_0]")
        .await
        .send_keys("4")
        .await
        .unwrap();
    let photo = std::env::temp_dir().join(format!("zf-browser-invoice-{}.png", std::process::id()));
    std::fs::write(&photo, PNG).unwrap();
    wait(c, "#collection-form input[name=file1]")
        .await
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    click(c, "#collection-form button[type=submit]").await;
    wait_text(c, "收票已保存").await;
    wait(c, "#section-collection .attachments img.thumb").await;
    c.execute(
        "document.querySelector('#section-collection .attachments').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    shot(c, "collection-photo").await;
    let _ = std::fs::remove_file(&photo);
    let before = c
        .find_all(Locator::Css("#demo-sent li"))
        .await
        .unwrap()
        .len();
    click(c, "#section-collection [data-send-media]").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while c
        .find_all(Locator::Css("#demo-sent li"))
        .await
        .unwrap()
        .len()
        <= before
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the collection detail reaches the chat"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shot(c, "collection-shared").await;

    // 报表: the period's workbook goes into the chat as a file.
    click(c, "#tab-reports").await;
    wait(c, "#section-reports").await;
    click(c, "#reports [data-send-media]").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//*[@id='demo-sent']/li/p[contains(text(), '财务报表.xlsx')]",
        ))
        .await
        .expect("the workbook reaches the chat as a file");
    shot(c, "report-sent").await;
    wait_count(
        &app,
        "SELECT COUNT(*) FROM message_log WHERE scene = 'report' AND msg_type = 'file'",
        1,
    )
    .await;
    // ... and as one image of the statements, for reading on a phone.
    let before = c
        .find_all(Locator::Css("#demo-sent li"))
        .await
        .unwrap()
        .len();
    click(c, "#report-image [data-send-media]").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while c
        .find_all(Locator::Css("#demo-sent li"))
        .await
        .unwrap()
        .len()
        <= before
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the statements image reaches the chat"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shot(c, "report-image-sent").await;
    wait_count(
        &app,
        "SELECT COUNT(*) FROM message_log WHERE scene = 'report' AND msg_type = 'image'",
        1,
    )
    .await;

    wait_count(
        &app,
        "SELECT COUNT(*) FROM message_log WHERE scene = 'collection' AND msg_type = 'image'",
        1,
    )
    .await;
}

/// Opens a composer with `button`, sends what it composed through the demo bridge, and checks
/// the message reached the preview panel and the send log.
async fn compose_and_send(c: &Client, app: &helpers::TestApp, button: &str, scene: &str) {
    click(c, button).await;
    let composer = format!("#composer-{scene}");
    let text = wait(c, &format!("{composer} textarea"))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(!text.trim().is_empty(), "{scene} composes a message");
    shot(c, &format!("compose-{scene}")).await;
    let before = c
        .find_all(Locator::Css("#demo-sent li"))
        .await
        .unwrap()
        .len();
    click(c, &format!("{composer} [data-send]")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let sent = c.find_all(Locator::Css("#demo-sent li")).await.unwrap();
        if sent.len() > before {
            let mut shown = Vec::new();
            for li in &sent {
                shown.push(li.text().await.unwrap());
            }
            let first_line = text.lines().next().unwrap_or_default().trim();
            assert!(
                shown.iter().any(|s| s.contains(first_line)),
                "the preview shows the message: {shown:?} / {first_line:?}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the {scene} message reaches the chat"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_count(
        app,
        &format!("SELECT COUNT(*) FROM message_log WHERE scene = '{scene}' AND msg_type = 'text'"),
        1,
    )
    .await;
    // The last shot shows the message in the preview panel.
    c.execute(
        "var l = document.querySelector('#demo-sent'); if (l) l.scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .unwrap();
    shot(c, &format!("{scene}-sent")).await;
}

#[tokio::test]
async fn the_filing_notice_and_the_invoicing_reminder_are_sent_from_their_sections() {
    let Some(b) = browser(360, 640).await else {
        return;
    };
    let app = demo_app().await;
    open_sidebar(&b.client, &app).await;
    let c = &b.client;
    wait(c, "#demo-chat").await;
    pick_first_chat(c).await;
    wait(c, "#summary").await;

    // 报税: the period's filings, then 报税完成通知 composed from them, offered once every return
    // of the period is filed: the newest such period is picked with the period selector.
    click(c, "#tab-filings").await;
    wait(c, "#section-filings").await;
    shot(c, "filings").await;
    assert_no_wrapped_labels(c).await;
    let periods = c
        .execute(
            "return Array.from(document.querySelectorAll('#filings select[name=period] option')).map(o => o.value);",
            vec![],
        )
        .await
        .unwrap();
    let periods: Vec<String> = serde_json::from_value(periods).unwrap();
    for p in &periods {
        if c.find(Locator::Css("#compose-filing")).await.is_ok() {
            break;
        }
        // The period on screen is the first; choosing it again would send a request whose
        // answer could replace the selector under the next choice.
        let on_screen = c
            .find(Locator::Css(&format!(
                "#filings select[name=period] option[value='{p}'][selected]"
            )))
            .await
            .is_ok();
        if on_screen {
            continue;
        }
        settled(c).await;
        c.execute(
            "var s = document.querySelector('#filings select[name=period]'); s.value = arguments[0]; s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![json!(p)],
        )
        .await
        .unwrap();
        wait(
            c,
            &format!("#filings select[name=period] option[value='{p}'][selected]"),
        )
        .await;
    }
    shot(c, "filings-filed").await;
    compose_and_send(c, &app, "#compose-filing", "filing_done").await;

    // 发票: this month's VAT estimate, then 开票数据提醒.
    click(c, "#tab-invoices").await;
    wait(c, "#section-invoices").await;
    shot(c, "invoices").await;
    assert_no_wrapped_labels(c).await;
    compose_and_send(c, &app, "#compose-invoicing", "invoicing").await;

    let log: serde_json::Value = reqwest::get(app.url("/sandbox/_sandbox/chat-messages"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        log.as_array().is_some_and(|l| l.len() >= 2),
        "both messages reached the sandbox's chat: {log}"
    );
    b.client.clone().close().await.unwrap();
}
