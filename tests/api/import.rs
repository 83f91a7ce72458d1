//! `/admin/import` and `zhangfang import`: spreadsheets of bookkeeping data (XLSX, GBK and UTF-8
//! CSV) through the REST API's rules, all or nothing, with a dry run and re-imports that update.

use std::process::Command;
use std::time::Duration;

use reqwest::header::LOCATION;

use crate::admin_employees::office;
use crate::helpers::{Browser, TestApp, csrf_in, spawn_app};

const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "the text is all GBK");
    bytes.into_owned()
}

/// Customers with headers as people type them: full-width letters and brackets, spaces, a `*`.
fn customers_csv(rows: &[(&str, &str, &str)]) -> String {
    let mut csv = String::from(
        "＊客户　编号, 客户名称 ,统一社会信用代码,纳税人类型,城建税税率,开始服务期间\n",
    );
    for (id, name, uscc) in rows {
        csv.push_str(&format!("{id},{name},{uscc},一般纳税人,5%,2026年1月\n"));
    }
    csv
}

/// Uploads `bytes` as `kind` and answers the upload's response (303 to the run, or 4xx).
async fn upload(
    b: &Browser,
    kind: &str,
    mode: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let html = b
        .get(&format!("/admin/import?kind={kind}"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&html).expect("the page has a CSRF token");
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("kind", kind.to_string())
        .text("mode", mode.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    b.client
        .post(b.url("/admin/import"))
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The finished run's path and page, polled as the page itself does.
async fn finished(b: &Browser, resp: reqwest::Response) -> (String, String) {
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let run = resp.headers()[LOCATION].to_str().unwrap().to_string();
    for _ in 0..600 {
        let page = b.get(&run).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        if html.contains("id=\"import-report\"") || html.contains("id=\"import-failed\"") {
            return (run, html);
        }
        assert!(html.contains("id=\"import-running\""), "{html}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the import did not finish");
}

pub async fn import(b: &Browser, kind: &str, mode: &str, name: &str, bytes: Vec<u8>) -> String {
    let resp = upload(b, kind, mode, name, bytes).await;
    finished(b, resp).await.1
}

pub fn counts(html: &str) -> (i64, i64, i64, i64) {
    let attr = |name: &str| -> i64 {
        let key = format!("data-{name}=\"");
        let at = html
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in {html}"))
            + key.len();
        html[at..].split('"').next().unwrap().parse().unwrap()
    };
    (
        attr("created"),
        attr("updated"),
        attr("unchanged"),
        attr("refused"),
    )
}

async fn customers(app: &TestApp, firm_id: i64) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM customer WHERE firm_id = {firm_id}"
    ))
    .await
}

const USCC: &str = "91310110666007217T";

/// An XLSX of invoices as Excel saves one: real dates, amounts as numbers formatted with
/// thousands separators, a rate as a percentage, and headers in their own words.
fn invoices_xlsx(rows: &[(&str, &str, f64)]) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "客户编号",
        "进项/销项",
        "票种",
        "发票号码",
        "开票日期",
        "购买方名称",
        "金额",
        "税率",
        "税额",
        "价税合计",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy/m/d");
    let money = Format::new().set_num_format("#,##0.00");
    let percent = Format::new().set_num_format("0%");
    for (i, (customer, number, amount)) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        sheet.write_string(r, 0, *customer).unwrap();
        sheet.write_string(r, 1, "销项").unwrap();
        sheet.write_string(r, 2, "数电普票").unwrap();
        sheet.write_string(r, 3, *number).unwrap();
        let day = ExcelDateTime::from_ymd(2026, 11, 5).unwrap();
        sheet.write_datetime_with_format(r, 4, &day, &date).unwrap();
        sheet.write_string(r, 5, "宁波甲贸易有限公司").unwrap();
        sheet
            .write_number_with_format(r, 6, *amount, &money)
            .unwrap();
        sheet
            .write_number_with_format(r, 7, 0.01, &percent)
            .unwrap();
        let tax = (amount * 0.01 * 100.0).round() / 100.0;
        sheet.write_number_with_format(r, 8, tax, &money).unwrap();
        sheet
            .write_number_with_format(r, 9, amount + tax, &money)
            .unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn gbk_csv_with_odd_headers_imports_and_a_reimport_updates_instead_of_duplicating() {
    let app = spawn_app().await;
    let o = office(&app, "wwimp1").await;
    let admin = app.signed_in_back_office("wwimp1-admin").await;
    let firm = o.firm.firm_id;
    let file = gbk(&customers_csv(&[
        ("KH001", "杭州甲科技有限公司", USCC),
        ("KH002", "杭州乙商贸有限公司", ""),
    ]));

    // A dry run shows what would happen and saves nothing.
    let html = import(&admin, "customers", "dry", "客户.csv", file.clone()).await;
    assert_eq!(counts(&html), (2, 0, 0, 0), "{html}");
    assert!(html.contains("将新建") && html.contains("id=\"import-confirm\""));
    assert_eq!(customers(&app, firm).await, 0);

    // The real run saves both, with the defaults the API gives and the columns as read.
    let html = import(&admin, "customers", "run", "客户.csv", file.clone()).await;
    assert_eq!(counts(&html), (2, 0, 0, 0), "{html}");
    assert!(html.contains("data-saved=\"true\""));
    assert_eq!(customers(&app, firm).await, 2);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer WHERE firm_id = {firm} AND external_id = 'KH001' \
             AND taxpayer_type = 'general' AND city_tax_level = 5 AND service_start = '2026-01' \
             AND vat_period = 'quarter' AND uscc = '{USCC}'"
        ))
        .await,
        1
    );
    // Audited: each row, and the run.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE firm_id = {firm} AND action = 'import.create'"
        ))
        .await,
        2
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE firm_id = {firm} AND action = 'import.run'"
        ))
        .await,
        1
    );

    // The same file again changes nothing; a changed name updates the row it names.
    let html = import(&admin, "customers", "run", "客户.csv", file).await;
    assert_eq!(counts(&html), (0, 0, 2, 0), "{html}");
    let changed = gbk(&customers_csv(&[
        ("KH001", "杭州甲科技股份有限公司", USCC),
        ("KH002", "杭州乙商贸有限公司", ""),
    ]));
    let html = import(&admin, "customers", "run", "客户.csv", changed).await;
    assert_eq!(counts(&html), (0, 1, 1, 0), "{html}");
    assert_eq!(customers(&app, firm).await, 2);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer WHERE firm_id = {firm} AND name = '杭州甲科技股份有限公司'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn a_file_with_bad_rows_saves_nothing_and_says_why_row_by_row() {
    let app = spawn_app().await;
    let o = office(&app, "wwimp2").await;
    let admin = app.signed_in_back_office("wwimp2-admin").await;
    let firm = o.firm.firm_id;
    let csv = format!(
        "客户编号,客户名称,统一社会信用代码,城建税税率\n\
         KH001,好公司,{USCC},7%\n\
         KH002,坏信用代码,9131011066600,7%\n\
         KH003,,,7%\n\
         KH004,坏税率,,3%\n\
         KH001,重复,,7%\n\
         KH005,信用代码相同,{USCC},7%\n\
         KH006,又一个坏税率,,9%\n"
    );
    // UTF-8 with the BOM Excel writes.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(csv.as_bytes());
    let html = import(&admin, "customers", "run", "客户.csv", bytes).await;
    // A row that breaks a unique index (the same USCC) is reported, and so are the rows after it.
    assert_eq!(counts(&html), (1, 0, 0, 6), "{html}");
    assert!(html.contains("data-careful=\"true\""), "{html}");
    assert!(html.contains("data-saved=\"false\"") && html.contains("未保存任何内容"));
    for expected in [
        "第 3 行",
        "统一社会信用代码",
        "第 4 行",
        "“客户名称”不能为空",
        "第 5 行",
        "城建税税率",
        "第 6 行",
        "与第 2 行重复",
        "第 7 行",
        "重复（如统一社会信用代码",
        "第 8 行",
    ] {
        assert!(html.contains(expected), "{expected} in {html}");
    }
    assert!(!html.contains("id=\"import-confirm\""));
    assert_eq!(customers(&app, firm).await, 0);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE firm_id = {firm} AND action LIKE 'import.%'"
        ))
        .await,
        0
    );

    // A file without a required column is refused at once, in Chinese.
    let resp = upload(
        &admin,
        "customers",
        "run",
        "客户.csv",
        "编号,名称\nKH1,甲\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("表头缺少列") && html.contains("客户编号"),
        "{html}"
    );
}

#[tokio::test]
async fn xlsx_invoices_with_excel_dates_and_amounts_import_for_the_firms_own_customers() {
    let app = spawn_app().await;
    let o = office(&app, "wwimp3").await;
    let other = office(&app, "wwimp3b").await;
    let admin = app.signed_in_back_office("wwimp3-admin").await;
    let other_admin = app.signed_in_back_office("wwimp3b-admin").await;
    let firm = o.firm.firm_id;
    // Both firms have a customer KH001; the other firm also has KH009.
    let html = import(
        &admin,
        "customers",
        "run",
        "c.csv",
        gbk(&customers_csv(&[("KH001", "甲公司", "")])),
    )
    .await;
    assert_eq!(counts(&html).0, 1);
    let html = import(
        &other_admin,
        "customers",
        "run",
        "c.csv",
        gbk(&customers_csv(&[
            ("KH001", "别家的甲公司", ""),
            ("KH009", "别家的客户", ""),
        ])),
    )
    .await;
    assert_eq!(counts(&html).0, 2);

    let file = invoices_xlsx(&[
        ("KH001", "00000001", 12_345.6),
        ("KH001", "00000002", 800.0),
    ]);
    let resp = upload(&admin, "invoices", "dry", "发票.xlsx", file).await;
    let (run, html) = finished(&admin, resp).await;
    assert_eq!(counts(&html), (2, 0, 0, 0), "{html}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invoice").await,
        0,
        "a dry run saves nothing"
    );
    // Confirming the clean dry run imports the same file without a second upload.
    let csrf = csrf_in(&html).unwrap();
    let resp = admin
        .post_form(&format!("{run}/confirm"), &[("csrf", &csrf)])
        .await;
    let (_, html) = finished(&admin, resp).await;
    assert_eq!(counts(&html), (2, 0, 0, 0), "{html}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invoice i JOIN customer c ON c.id = i.customer_id \
             WHERE i.firm_id = {firm} AND c.firm_id = {firm} AND i.number = '00000001' \
             AND i.amount_fen = 1234560 AND i.tax_fen = 12346 AND i.total_fen = 1246906 \
             AND i.rate_bp = 100 AND i.period = '2026-11' AND i.direction = 'out' \
             AND i.external_id = 'KH001/out/00000001'"
        ))
        .await,
        1
    );
    // The issue date is the Excel date cell's day.
    assert_eq!(
        crate::helpers::string_value(
            &app,
            &format!("SELECT CAST(issue_date AS TEXT) FROM invoice WHERE firm_id = {firm} AND number = '00000002'"),
        )
        .await,
        "2026-11-05"
    );
    // Re-importing updates the rows it names; nothing is duplicated.
    let file = invoices_xlsx(&[
        ("KH001", "00000001", 12_345.6),
        ("KH001", "00000002", 900.0),
    ]);
    let html = import(&admin, "invoices", "run", "发票.xlsx", file).await;
    assert_eq!(counts(&html), (0, 1, 1, 0), "{html}");
    assert!(html.contains("data-careful=\"false\""), "{html}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invoice WHERE firm_id = {firm}"
        ))
        .await,
        2
    );

    // Another firm's customer cannot be named from this firm: the row is refused, nothing saved.
    let file = invoices_xlsx(&[("KH001", "00000003", 100.0), ("KH009", "00000004", 100.0)]);
    let html = import(&admin, "invoices", "run", "发票.xlsx", file).await;
    assert_eq!(counts(&html).3, 1, "{html}");
    assert!(
        html.contains("第 3 行") && html.contains("客户不存在"),
        "{html}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invoice WHERE firm_id = {firm}"
        ))
        .await,
        2
    );
    // The other firm's rows are untouched, and this firm's run is not theirs to see.
    let other_firm = other.firm.firm_id;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer WHERE firm_id = {other_firm} AND name = '别家的甲公司'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invoice WHERE firm_id = {other_firm}"
        ))
        .await,
        0
    );
    assert_eq!(other_admin.get(&run).await.status(), 404);
}

#[tokio::test]
async fn staff_are_refused_and_every_post_needs_csrf() {
    let app = spawn_app().await;
    let o = office(&app, "wwimp4").await;
    let staff = app.signed_in_back_office("wwimp4-staff").await;
    assert_eq!(staff.get("/admin/import").await.status(), 403);
    assert_eq!(
        staff
            .get("/admin/import/templates/invoices.xlsx")
            .await
            .status(),
        403
    );
    // Staff have a CSRF token of their own (from the home page), and are still refused.
    let home = staff.get("/admin").await.text().await.unwrap();
    let csrf = csrf_in(&home).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("kind", "customers")
        .text("mode", "run")
        .part(
            "file",
            reqwest::multipart::Part::bytes(gbk(&customers_csv(&[("KH1", "甲", "")])))
                .file_name("c.csv"),
        );
    let resp = staff
        .client
        .post(staff.url("/admin/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(customers(&app, o.firm.firm_id).await, 0);

    // An admin without the token is refused too.
    let admin = app.signed_in_back_office("wwimp4-admin").await;
    let form = reqwest::multipart::Form::new()
        .text("kind", "customers")
        .text("mode", "run")
        .part(
            "file",
            reqwest::multipart::Part::bytes(gbk(&customers_csv(&[("KH1", "甲", "")])))
                .file_name("c.csv"),
        );
    let resp = admin
        .client
        .post(admin.url("/admin/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(customers(&app, o.firm.firm_id).await, 0);

    // The admin gets every kind's template: a Chinese header row and an example row.
    let resp = admin.get("/admin/import/templates/invoices.xlsx").await;
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap().to_vec();
    let sheet = zhangfang::services::import::read(&bytes).unwrap();
    assert!(
        sheet.headers.iter().any(|h| h == "*发票号码"),
        "{:?}",
        sheet.headers
    );
    assert_eq!(sheet.rows.len(), 1);
    let page = admin.get("/admin/import").await.text().await.unwrap();
    assert!(page.contains("导入数据") && page.contains("/admin/import/templates/customers.xlsx"));
    // The run page's reloader is served.
    assert_eq!(
        admin.get("/static/js/import-progress.js").await.status(),
        200
    );
}

fn zhangfang_import(app: &TestApp, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zhangfang"))
        .arg("import")
        .args(args)
        .current_dir(dir)
        .env("ZHANGFANG_SERVER__DATA_DIR", dir)
        .env(
            "ZHANGFANG_DATABASE__URL",
            app.state.settings.database.url.expose(),
        )
        .env("ZHANGFANG_DEMO__ENABLED", "false")
        .env("ZHANGFANG_SECURITY__MASTER_KEY", MASTER_KEY)
        .env("ZHANGFANG_LOG__FILTER", "warn")
        .env_remove("RUST_LOG")
        .env_remove("ZHANGFANG_CONFIG")
        .output()
        .expect("run zhangfang import")
}

#[tokio::test]
async fn the_command_imports_a_file_and_fails_on_a_file_with_errors() {
    let app = spawn_app().await;
    let o = office(&app, "wwimp5").await;
    let firm = o.firm.firm_id;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("客户.csv");
    std::fs::write(
        &good,
        gbk(&customers_csv(&[
            ("KH001", "甲公司", USCC),
            ("KH002", "乙公司", ""),
        ])),
    )
    .unwrap();
    let path = good.to_str().unwrap();

    let out = zhangfang_import(
        &app,
        dir.path(),
        &["--firm", "wwimp5", "--kind", "customers", path, "--dry-run"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("新建：第 2–3 行"), "{stdout}");
    assert_eq!(customers(&app, firm).await, 0);

    let out = zhangfang_import(
        &app,
        dir.path(),
        &["--firm", "wwimp5", "--kind", "customers", path],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("已保存"), "{stdout}");
    assert_eq!(customers(&app, firm).await, 2);

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        gbk(&customers_csv(&[
            ("KH003", "丙公司", ""),
            ("KH004", "", ""),
        ])),
    )
    .unwrap();
    let out = zhangfang_import(
        &app,
        dir.path(),
        &[
            "--firm",
            "wwimp5",
            "--kind",
            "customers",
            bad.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("第 3 行") && stdout.contains("“客户名称”不能为空"),
        "{stdout}"
    );
    assert_eq!(customers(&app, firm).await, 2);

    let out = zhangfang_import(
        &app,
        dir.path(),
        &["--firm", "wwimp5", "--kind", "bananas", path],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kind must be one of"));
}

#[tokio::test]
async fn a_large_file_is_saved_in_batches_with_each_row_audited() {
    let app = spawn_app().await;
    let o = office(&app, "wwimp6").await;
    let admin = app.signed_in_back_office("wwimp6-admin").await;
    let firm = o.firm.firm_id;
    let rows: Vec<(String, String)> = (0..1_201)
        .map(|i| (format!("KH{i:05}"), format!("客户{i:05}有限公司")))
        .collect();
    let refs: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|(id, name)| (id.as_str(), name.as_str(), ""))
        .collect();
    let html = import(
        &admin,
        "customers",
        "run",
        "c.csv",
        gbk(&customers_csv(&refs)),
    )
    .await;
    assert_eq!(counts(&html), (1_201, 0, 0, 0));
    assert!(
        html.contains("data-careful=\"false\""),
        "the fast way: {html}"
    );
    assert!(html.contains("另有 201 条记录未列出"), "{html}");
    assert_eq!(customers(&app, firm).await, 1_201);
    // Every created row has its audit entry, naming that row.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log a JOIN customer c \
             ON a.entity = 'customer' AND a.entity_id = CAST(c.id AS TEXT) \
             WHERE a.firm_id = {firm} AND a.action = 'import.create' AND c.firm_id = {firm}"
        ))
        .await,
        1_201
    );
}

#[tokio::test]
async fn receivables_then_payments_import_and_a_payment_is_allocated_as_through_the_api() {
    let app = spawn_app().await;
    let o = office(&app, "wwimp7").await;
    let admin = app.signed_in_back_office("wwimp7-admin").await;
    let firm = o.firm.firm_id;
    let html = import(
        &admin,
        "customers",
        "run",
        "c.csv",
        gbk(&customers_csv(&[("KH001", "甲公司", "")])),
    )
    .await;
    assert_eq!(counts(&html).0, 1);
    let receivables = "应收编号,客户编号,费用项目,起始期间,结束期间,应收金额（元）,到期日\n\
                       YS1,KH001,代理记账费,2026-01,2026-06,\"1,800.00\",2026年1月31日\n";
    let html = import(&admin, "receivables", "run", "r.csv", gbk(receivables)).await;
    assert_eq!(counts(&html), (1, 0, 0, 0), "{html}");
    let payments = "收款编号,客户编号,收款金额,收款方式,到账日期\n\
                    SK1,KH001,600元,微信,2026/11/5\n\
                    SK2,KH001,\"5,000.00\",转账,2026/11/5\n";
    // The second payment is more than the customer owes: refused, so nothing is saved.
    let html = import(&admin, "payments", "run", "p.csv", gbk(payments)).await;
    assert_eq!(counts(&html).3, 1, "{html}");
    assert!(html.contains("第 3 行"), "{html}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM payment WHERE firm_id = {firm}"
        ))
        .await,
        0
    );
    // Each fits what is owed, together they do not: the later one is refused.
    let payments = "收款编号,客户编号,收款金额,收款方式,到账日期\n\
                    SK1,KH001,1000,微信,2026/11/5\n\
                    SK2,KH001,1000,微信,2026/11/5\n";
    let html = import(&admin, "payments", "dry", "p.csv", gbk(payments)).await;
    assert_eq!(counts(&html), (1, 0, 0, 1), "{html}");
    assert!(html.contains("第 3 行"), "{html}");
    let payments = "收款编号,客户编号,收款金额,收款方式,到账日期\n\
                    SK1,KH001,600元,微信,2026/11/5\n";
    let html = import(&admin, "payments", "run", "p.csv", gbk(payments)).await;
    assert_eq!(counts(&html), (1, 0, 0, 0), "{html}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM payment_allocation a JOIN payment p ON p.id = a.payment_id \
             WHERE p.firm_id = {firm} AND p.external_id = 'SK1' AND a.amount_fen = 60000"
        ))
        .await,
        1
    );
    let missing = "缺票编号,客户编号,所属期间,票据类型,缺少内容,应有金额\n\
                   QP1,KH001,2026年10月,进项发票,10月房租发票,5000\n";
    let html = import(&admin, "missing_invoices", "run", "m.csv", gbk(missing)).await;
    assert_eq!(counts(&html), (1, 0, 0, 0), "{html}");
}
