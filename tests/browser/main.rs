//! Page tests in a real browser: headless Chromium driven through chromedriver (WebDriver).
//!
//! On a machine without chromium/chromedriver these tests report that and pass, so `cargo test`
//! works anywhere; CI sets `ZHANGFANG_BROWSER_TESTS=1` (after installing both), which turns a
//! missing browser into a failure.

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
mod sidebar;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use sea_orm::ConnectionTrait;
use serde_json::json;

use helpers::{TestApp, spawn_app_with};

struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// Kills chromedriver's whole process group: killing chromedriver alone left its Chromium
    /// running (and its profile open) whenever a test did not close its session.
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.driver.id()) {
            // SAFETY: kill(2) with a negative pid signals the group chromedriver leads (it was
            // started with its own group); it touches no memory of ours.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn required() -> bool {
    std::env::var("ZHANGFANG_BROWSER_TESTS").is_ok_and(|v| v == "1")
}

fn which(program: &str) -> Option<String> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| format!("{dir}/{program}"))
        .find(|path| std::path::Path::new(path).is_file())
}

/// Starts chromedriver and a headless Chromium with a phone-sized window, or None (and a note)
/// when they are not installed and not required.
async fn browser(width: u32, height: u32) -> Option<Browser> {
    let (Some(driver_bin), Some(chrome_bin)) = (
        which("chromedriver"),
        which("chromium").or_else(|| which("chromium-browser")),
    ) else {
        assert!(
            !required(),
            "ZHANGFANG_BROWSER_TESTS=1 but chromium/chromedriver are missing"
        );
        eprintln!("browser tests skipped: chromium and chromedriver are not installed");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let driver = Command::new(driver_bin)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chrome_bin,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.path().display()),
                format!("--window-size={width},{height}"),
            ]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut last_error = None;
    for _ in 0..100 {
        // chromedriver speaks plain HTTP on loopback: no TLS stack needed.
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                // Headless Chromium clamps `--window-size` to at least 500 px wide; a window
                // resized over WebDriver keeps the width asked for, so 360 px means 360 px.
                client
                    .set_window_size(width, height)
                    .await
                    .expect("the window takes the size asked for");
                return Some(Browser {
                    client,
                    driver,
                    _profile: profile,
                });
            }
            Err(e) => {
                last_error = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("chromedriver did not start: {last_error:?}");
}

async fn demo_app() -> TestApp {
    spawn_app_with(|s| s.demo.enabled = true).await
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_member_opens_the_sidebar_binds_and_is_signed_in() {
    let Some(b) = browser(360, 740).await else {
        return;
    };
    let app = demo_app().await;
    let mobile = helpers::string_value(
        &app,
        "SELECT mobile FROM employee WHERE wecom_userid IS NULL AND mobile IS NOT NULL ORDER BY id LIMIT 1",
    )
    .await;
    let name = helpers::string_value(
        &app,
        &format!("SELECT name FROM employee WHERE mobile = '{mobile}'"),
    )
    .await;
    let dataset = zhangfang::seed::wecom_dataset(
        zhangfang::seed::Profile::Demo,
        zhangfang::seed::DEMO_SEED,
        zhangfang::domain::clock::today_local(app.clock_now()),
    );
    let member = dataset.members.iter().find(|m| m.mobile == mobile).unwrap();

    // The sidebar sends the browser to the (sandbox) WeCom authorize page.
    b.client.goto(&app.url("/sidebar")).await.unwrap();
    let heading = text_of(&b.client, "h1").await;
    assert!(heading.contains("选择你的企业微信身份"), "{heading}");
    let link = b
        .client
        .find(Locator::XPath(&format!(
            "//a[contains(@href, 'userid={}')]",
            member.userid
        )))
        .await
        .expect("the member is listed");
    link.click().await.unwrap();

    // First visit: the binding page.
    let title = text_of(&b.client, "section.card h2").await;
    assert_eq!(title, "绑定员工账号");
    // The demo's form says where the phones and codes are: the sandbox's front desk.
    let desk = b
        .client
        .find(Locator::Css("#demo-front-desk a"))
        .await
        .expect("the demo's binding form links to the front desk");
    assert!(
        desk.attr("href")
            .await
            .unwrap()
            .is_some_and(|h| h.ends_with("/sandbox#codes"))
    );
    let phone = b
        .client
        .find(Locator::Css("input[name=phone][type=tel]"))
        .await
        .unwrap();
    phone.send_keys(&mobile).await.unwrap();
    b.client
        .find(Locator::Id("send-code"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let shown = text_of(&b.client, "#demo-code strong").await;
    assert_eq!(shown.len(), 6);
    let code = b
        .client
        .find(Locator::Css("input[name=code]"))
        .await
        .unwrap();
    code.send_keys(&shown).await.unwrap();
    b.client
        .find(Locator::Id("bind"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Signed in: the sidebar shows the employee, and its script ran (no WeCom client here).
    let me = text_of(&b.client, "#me h2").await;
    assert!(me.contains(&name), "{me}");
    let status = b
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//p[@id='wecom-status'][contains(., '未在企业微信中打开')]",
        ))
        .await;
    assert!(
        status.is_ok(),
        "sidebar.js reports that WeCom's JS-SDK is absent"
    );

    // The page fits the 360 px sidebar: nothing scrolls sideways.
    let overflow = b
        .client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, json!(true));

    // Next time the member is signed in without being asked again.
    b.client.goto(&app.url("/sidebar")).await.unwrap();
    assert!(text_of(&b.client, "#me h2").await.contains(&name));
    b.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn the_home_page_renders_in_chinese_with_its_links() {
    let Some(b) = browser(1000, 800).await else {
        return;
    };
    let app = demo_app().await;
    b.client.goto(&app.url("/")).await.unwrap();
    assert_eq!(text_of(&b.client, "section.card h2").await, "服务运行中");
    let links = b
        .client
        .find_all(Locator::Css("a[href='/sidebar'], a[href='/healthz']"))
        .await
        .unwrap();
    assert_eq!(links.len(), 2);
    b.client.clone().close().await.unwrap();
}

/// Signs in to the back office as the demo admin shown on the sign-in page.
async fn sign_in_demo_admin(b: &Browser, app: &TestApp) {
    b.client.goto(&app.url("/admin/login")).await.unwrap();
    let phone = text_of(&b.client, "#demo-admin strong:nth-of-type(1)").await;
    let password = text_of(&b.client, "#demo-admin strong:nth-of-type(2)").await;
    let field = |css: &'static str| b.client.find(Locator::Css(css));
    field("input[name=phone]")
        .await
        .unwrap()
        .send_keys(&phone)
        .await
        .unwrap();
    field("input[name=password]")
        .await
        .unwrap()
        .send_keys(&password)
        .await
        .unwrap();
    click_and_wait_for_page(b, "form button[type=submit].primary").await;
    let hello = text_of(&b.client, "main section.card h2").await;
    assert!(hello.starts_with("您好"), "{hello}");
}

async fn click(b: &Browser, css: &str) {
    b.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Clicks something that loads a new page and waits until the new page is there, so that what
/// is read next is not the old page's (a mark left on the old window is gone from the new one).
async fn click_and_wait_for_page(b: &Browser, css: &str) {
    b.client
        .execute("window.__zfOldPage = true; return null;", vec![])
        .await
        .unwrap();
    click(b, css).await;
    for _ in 0..200 {
        let gone = b
            .client
            .execute("return window.__zfOldPage === undefined;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if gone {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css}: no new page after 10 s");
}

async fn is_checked(b: &Browser, css: &str) -> bool {
    let el = b.client.find(Locator::Css(css)).await.unwrap();
    el.prop("checked").await.unwrap().as_deref() == Some("true")
}

#[tokio::test]
async fn an_admin_signs_in_and_grants_and_revokes_a_permission() {
    let Some(b) = browser(1280, 800).await else {
        return;
    };
    let app = demo_app().await;
    let staff_id = app
        .count(
            "SELECT MIN(e.id) FROM employee e JOIN firm f ON f.id = e.firm_id \
             WHERE f.is_demo = TRUE AND e.role = 'staff' AND e.deleted_at IS NULL",
        )
        .await;
    let granted = || async {
        app.count(&format!(
            "SELECT COUNT(*) FROM employee_permission WHERE employee_id = {staff_id} AND perm_code = 'billing_confirm'"
        ))
        .await
    };
    sign_in_demo_admin(&b, &app).await;
    b.client.goto(&app.url("/admin/employees")).await.unwrap();
    assert!(text_of(&b.client, "#employees").await.contains("职员"));
    b.client
        .goto(&app.url(&format!("/admin/employees/{staff_id}")))
        .await
        .unwrap();
    let before = is_checked(&b, "input[name=perm_billing_confirm]").await;
    assert_eq!(before, granted().await == 1);
    for expected in [!before, before] {
        click(&b, "input[name=perm_billing_confirm]").await;
        click_and_wait_for_page(&b, "#edit-employee button[type=submit]").await;
        assert_eq!(text_of(&b.client, "p.notice").await, "已保存。");
        assert_eq!(
            is_checked(&b, "input[name=perm_billing_confirm]").await,
            expected
        );
        assert_eq!(granted().await == 1, expected);
    }
    // Nothing scrolls sideways at 1280 px.
    let fits = b
        .client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, json!(true));

    // A section right shows in that employee's sidebar at their next request, and goes again.
    app.state
        .db
        .write()
        .execute_unprepared(&format!(
            "UPDATE employee SET data_scope = 'all', wecom_userid = COALESCE(wecom_userid, 'zf-browser-staff') WHERE id = {staff_id}"
        ))
        .await
        .unwrap();
    let staff_userid = helpers::string_value(
        &app,
        &format!("SELECT wecom_userid FROM employee WHERE id = {staff_id}"),
    )
    .await;
    let chat = helpers::string_value(
        &app,
        "SELECT c.external_userid FROM wecom_external_contact c \
         JOIN customer_external_link l ON l.external_contact_id = c.id ORDER BY c.id LIMIT 1",
    )
    .await;
    let session = app.signed_in(&staff_userid).await;
    let (name, value) = session.cookie.split_once('=').unwrap();
    b.client
        .execute(
            &format!("document.cookie = '{name}={value}; path=/';"),
            vec![],
        )
        .await
        .unwrap();
    let reports_right = || async {
        app.count(&format!(
            "SELECT COUNT(*) FROM employee_permission WHERE employee_id = {staff_id} AND perm_code = 'report'"
        ))
        .await
            == 1
    };
    let had = reports_right().await;
    for expected in [!had, had] {
        b.client
            .goto(&app.url(&format!("/admin/employees/{staff_id}")))
            .await
            .unwrap();
        click(&b, "input[name=perm_report]").await;
        click_and_wait_for_page(&b, "#edit-employee button[type=submit]").await;
        assert_eq!(text_of(&b.client, "p.notice").await, "已保存。");
        assert_eq!(reports_right().await, expected);
        b.client
            .goto(&app.url(&format!("/sidebar/contact/{chat}")))
            .await
            .unwrap();
        text_of(&b.client, "#summary").await;
        let tab = b.client.find(Locator::Css("#tab-reports")).await.is_ok();
        assert_eq!(tab, expected, "the 报表 tab follows the right");
        shot_as(&b.client, &format!("staff-sidebar-reports-{expected}")).await;
    }
    b.client.clone().close().await.unwrap();
}

async fn shot_as(client: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

#[tokio::test]
async fn an_admin_sets_up_wecom_in_the_demo_and_the_connection_test_passes() {
    let Some(b) = browser(1280, 800).await else {
        return;
    };
    let app = demo_app().await;
    sign_in_demo_admin(&b, &app).await;
    b.client.goto(&app.url("/admin/wecom")).await.unwrap();
    let callback = text_of(&b.client, "#callback-url").await;
    assert!(callback.contains("/wecom/callback/"), "{callback}");
    assert!(
        text_of(&b.client, "#sidebar-url")
            .await
            .contains("/sidebar?corp_id=")
    );
    // Save the app as it stands (the Secret stays), then test the connection.
    click_and_wait_for_page(&b, "#app-form button[type=submit]").await;
    assert_eq!(text_of(&b.client, "p.notice").await, "已保存。");
    click_and_wait_for_page(&b, "#test-form button[type=submit]").await;
    let checks = text_of(&b.client, "#checks").await;
    assert!(!checks.contains("失败"), "{checks}");
    assert!(checks.contains("位成员开通了客户联系"), "{checks}");
    b.client.clone().close().await.unwrap();
}

async fn admin_shot(client: &Client, name: &str) {
    shot_as(client, &format!("admin-{name}")).await;
}

async fn fits_the_width(b: &Browser) -> bool {
    b.client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap()
        == json!(true)
}

#[tokio::test]
async fn an_admin_walks_the_wecom_pages_and_links_a_contact_to_two_customers() {
    let Some(b) = browser(1280, 900).await else {
        return;
    };
    let app = demo_app().await;
    sign_in_demo_admin(&b, &app).await;
    let nav = text_of(&b.client, "nav.side").await;
    for label in ["我的微信联系人", "我的微信群", "已关联客户", "匹配员工"] {
        assert!(nav.contains(label), "{label} in {nav}");
    }
    click_and_wait_for_page(&b, "nav.side a[href='/admin/wecom/contacts']").await;
    assert!(
        text_of(&b.client, "main h2")
            .await
            .contains("我的微信联系人")
    );
    assert!(fits_the_width(&b).await, "contacts");
    admin_shot(&b.client, "wecom-contacts").await;

    // Open a contact, search customers, link two more.
    click_and_wait_for_page(&b, "#contacts a[href^='/admin/wecom/contacts/']").await;
    let contact_url = b.client.current_url().await.unwrap().to_string();
    let before = b
        .client
        .find_all(Locator::Css("#linked li"))
        .await
        .unwrap()
        .len();
    let search = b
        .client
        .find(Locator::Css("#customer-search input[name=q]"))
        .await
        .unwrap();
    search.send_keys("公司").await.unwrap();
    click_and_wait_for_page(&b, "#customer-search button[type=submit]").await;
    let boxes = b
        .client
        .find_all(Locator::Css("#link-form input[name=customer_id]"))
        .await
        .unwrap();
    assert!(boxes.len() >= 2, "customers found: {}", boxes.len());
    boxes[0].clone().click().await.unwrap();
    boxes[1].clone().click().await.unwrap();
    admin_shot(&b.client, "wecom-contact-search").await;
    click_and_wait_for_page(&b, "#link-form button[type=submit]").await;
    assert_eq!(text_of(&b.client, "p.notice").await, "已关联。");
    let linked = b.client.find_all(Locator::Css("#linked li")).await.unwrap();
    assert_eq!(linked.len(), before + 2);
    assert!(fits_the_width(&b).await, "contact");
    admin_shot(&b.client, "wecom-contact-linked").await;
    click_and_wait_for_page(&b, "#linked li button[type=submit]").await;
    assert_eq!(text_of(&b.client, "p.notice").await, "已取消关联。");
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(contact_url.split('?').next().unwrap())
    );

    for (path, name) in [
        ("/admin/wecom/groups", "wecom-groups"),
        ("/admin/customers/links", "customer-links"),
        ("/admin/wecom/members", "wecom-members"),
    ] {
        b.client.goto(&app.url(path)).await.unwrap();
        wait_for(&b, "main table.list").await;
        assert!(fits_the_width(&b).await, "{path}");
        admin_shot(&b.client, name).await;
    }
    b.client.clone().close().await.unwrap();
}

async fn wait_for(b: &Browser, css: &str) {
    b.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

#[tokio::test]
async fn an_admin_creates_an_api_key_sees_it_once_and_revokes_it() {
    let Some(b) = browser(1280, 800).await else {
        return;
    };
    let app = demo_app().await;
    sign_in_demo_admin(&b, &app).await;
    click_and_wait_for_page(&b, "nav.side a[href='/admin/api-keys']").await;
    // Nothing chosen: the form says why and keeps the name.
    b.client
        .find(Locator::Css("#create-key input[name=name]"))
        .await
        .unwrap()
        .send_keys("记账系统夜间同步")
        .await
        .unwrap();
    click_and_wait_for_page(&b, "#create-key button[type=submit]").await;
    assert!(
        text_of(&b.client, "p.error")
            .await
            .contains("请至少为一种资源选择")
    );
    click(&b, "input[name='scope.customers'][value=write]").await;
    click(&b, "input[name='scope.invoices'][value=read]").await;
    click_and_wait_for_page(&b, "#create-key button[type=submit]").await;
    let key = text_of(&b.client, "#new-key-value").await;
    assert!(key.starts_with("zf_"), "{key}");
    admin_shot(&b.client, "api-key-created").await;
    let listed = text_of(&b.client, "#api-keys").await;
    assert!(listed.contains("客户（读写）、发票（只读）"), "{listed}");
    let works = app
        .client
        .get(app.url("/api/v1/customers"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(works.status(), 200);

    // Revoking asks first; accepted, the key stops working.
    b.client
        .execute("window.confirm = function () { return true; };", vec![])
        .await
        .unwrap();
    click_and_wait_for_page(&b, "#api-keys form button[type=submit]").await;
    assert!(text_of(&b.client, "p.notice").await.contains("已停用"));
    assert!(
        !text_of(&b.client, "main").await.contains(&key),
        "shown only once"
    );
    admin_shot(&b.client, "api-key-revoked").await;
    let refused = app
        .client
        .get(app.url("/api/v1/customers"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    b.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn an_admin_ticks_a_page_of_customers_assigns_them_and_hands_them_over() {
    let Some(b) = browser(1280, 900).await else {
        return;
    };
    let app = demo_app().await;
    sign_in_demo_admin(&b, &app).await;
    b.client
        .goto(&app.url("/admin/customers/links?linked=all"))
        .await
        .unwrap();
    wait_for(&b, "#assign table.list").await;
    // The header box ticks the whole page; clearing one row leaves it mixed.
    click(&b, "#assign input[data-select-all]").await;
    let rows = b
        .client
        .find_all(Locator::Css("#assign input[name=customer]"))
        .await
        .unwrap();
    assert!(rows.len() >= 10, "a page of customers: {}", rows.len());
    assert!(is_checked(&b, "#assign input[name=customer]:last-of-type").await);
    let ticked = b
        .client
        .execute(
            "return document.querySelectorAll('#assign input[name=customer]:checked').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ticked, json!(rows.len()));
    rows[0].clone().click().await.unwrap();
    let mixed = b
        .client
        .execute(
            "return document.querySelector('#assign input[data-select-all]').indeterminate;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(mixed, json!(true));

    // 外勤 for the ticked rows, to the employee first in the list.
    b.client
        .find(Locator::Css(
            "#assign select[name=duty] option[value=field_agent]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let who = text_of(
        &b.client,
        "#assign select[name=employee] option:first-child",
    )
    .await;
    assert!(
        fits_the_width(&b).await,
        "customer list with the assign bar"
    );
    admin_shot(&b.client, "assign-ticked").await;
    click_and_wait_for_page(&b, "#assign button[type=submit]").await;
    let notice = text_of(&b.client, "p.notice").await;
    assert_eq!(notice, format!("已更新 {} 家客户的外勤。", rows.len() - 1));
    let holder = app
        .count(&format!(
            "SELECT id FROM employee WHERE name = '{who}' AND deleted_at IS NULL"
        ))
        .await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer_staff WHERE role = 'field_agent' AND employee_id = {holder}"
        ))
        .await,
        rows.len() as i64 - 1
    );

    // That employee's page counts them and hands them to someone else.
    b.client
        .goto(&app.url(&format!("/admin/employees/{holder}")))
        .await
        .unwrap();
    let served = text_of(&b.client, "#served").await;
    assert!(
        served.contains(&format!("外勤 {} 家", rows.len() - 1)),
        "{served}"
    );
    if !served.contains("客户经理 ") {
        assert!(!served.contains("查看作为客户经理的客户"), "{served}");
    }
    b.client
        .find(Locator::Css(
            "#hand-over select[name=to] option:nth-child(2)",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.client
        .execute("window.confirm = () => true; return null;", vec![])
        .await
        .unwrap();
    admin_shot(&b.client, "hand-over").await;
    click_and_wait_for_page(&b, "#hand-over button[type=submit]").await;
    assert!(text_of(&b.client, "p.notice").await.starts_with("已交接"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer_staff WHERE employee_id = {holder}"
        ))
        .await,
        0
    );
    b.client.clone().close().await.unwrap();
}
