//! Seeding the demo profile into a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL):
//! sizes, referential integrity, invoice identities, receipt numbering, idempotent demo seeding,
//! and agreement between the database and the WeCom data set the sandbox serves.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use zhangfang::seed::{self, DEMO_CORP_ID, DEMO_SEED, Profile, SeedOptions, SeedReport};

use crate::helpers::{TestApp, spawn_app};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

async fn seed_demo(app: &TestApp) -> SeedReport {
    seed::run(
        &app.state.db,
        &app.state.secrets,
        SeedOptions {
            profile: Profile::Demo,
            seed: DEMO_SEED,
            as_of: as_of(),
            progress: false,
        },
    )
    .await
    .expect("the demo profile seeds")
}

async fn strings(app: &TestApp, sql: &str) -> Vec<String> {
    app.state
        .db
        .read()
        .query_all_raw(Statement::from_string(app.backend(), sql.to_string()))
        .await
        .expect("query")
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a string"))
        .collect()
}

#[tokio::test]
async fn the_demo_profile_has_realistic_sizes() {
    let app = spawn_app().await;
    let report = seed_demo(&app).await;
    let firm = report.firm_id;
    let count = |table: &str| {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE firm_id = {firm}");
        let app = &app;
        async move { app.count(&sql).await }
    };
    let expect = [
        ("customer", 40, 40),
        ("employee", 6, 6),
        ("wecom_member", 6, 6),
        ("contact", 70, 100),
        ("wecom_external_contact", 55, 95),
        ("wecom_group_chat", 28, 40),
        ("service_contract", 40, 80),
        ("service_period", 380, 520),
        ("invoice", 3_000, 7_000),
        ("tax_filing", 1_000, 1_900),
        ("financial_report", 700, 1_200),
        ("receivable", 350, 700),
        ("follow_up", 700, 1_200),
        ("kb_article", 60, 60),
        ("tag_group", 5, 5),
    ];
    for (table, low, high) in expect {
        let n = count(table).await;
        assert!(
            (low..=high).contains(&n),
            "{table}: {n} rows, expected {low}..={high}"
        );
        assert_eq!(n as u64, report.rows_in(table), "{table} in the report");
    }
    assert_eq!(report.corp_id, DEMO_CORP_ID);
    assert!(report.to_string().contains("invoice"), "{report}");

    // Three quarters small-scale; most customers served, a few not.
    let small = app
        .count(&format!(
            "SELECT COUNT(*) FROM customer WHERE firm_id = {firm} AND taxpayer_type = 'small_scale'"
        ))
        .await;
    assert_eq!(small, 30);
    let not_serving = app
        .count(&format!(
            "SELECT COUNT(*) FROM customer WHERE firm_id = {firm} AND service_status <> 'serving'"
        ))
        .await;
    assert!((3..=8).contains(&not_serving), "{not_serving}");
    // At least two members are not bound to their employee row yet, which has a mobile.
    let unbound = app
        .count(&format!(
            "SELECT COUNT(*) FROM employee WHERE firm_id = {firm} AND wecom_userid IS NULL \
             AND mobile IS NOT NULL AND bound_at IS NULL"
        ))
        .await;
    assert!(unbound >= 2, "{unbound} unbound employees");
    // Some customers are in arrears.
    let arrears = app
        .count(&format!(
            "SELECT COUNT(DISTINCT customer_id) FROM receivable WHERE firm_id = {firm} \
             AND status IN ('open', 'partial') AND due_date < '2026-11-26'"
        ))
        .await;
    assert!(
        (1..=12).contains(&arrears),
        "{arrears} customers in arrears"
    );
}

/// (child table, child columns, parent table, parent columns) for every composite foreign key
/// the seeder fills.
const FOREIGN_KEYS: &[(&str, &str, &str)] = &[
    ("employee_permission", "employee_id", "employee"),
    ("customer", "account_manager_id", "employee"),
    ("customer", "bookkeeper_id", "employee"),
    ("customer_staff", "customer_id", "customer"),
    ("customer_staff", "employee_id", "employee"),
    ("tag", "group_id", "tag_group"),
    ("customer_tag", "customer_id", "customer"),
    ("customer_tag", "tag_id", "tag"),
    ("contact", "customer_id", "customer"),
    ("contact", "external_contact_id", "wecom_external_contact"),
    (
        "external_follow",
        "external_contact_id",
        "wecom_external_contact",
    ),
    ("group_chat_member", "group_chat_id", "wecom_group_chat"),
    ("customer_external_link", "customer_id", "customer"),
    (
        "customer_external_link",
        "external_contact_id",
        "wecom_external_contact",
    ),
    ("customer_external_link", "contact_id", "contact"),
    ("customer_group_link", "customer_id", "customer"),
    ("customer_group_link", "group_chat_id", "wecom_group_chat"),
    ("service_contract", "customer_id", "customer"),
    ("service_contract", "renewed_from_id", "service_contract"),
    ("service_period", "contract_id", "service_contract"),
    ("receivable", "contract_id", "service_contract"),
    ("payment", "customer_id", "customer"),
    ("payment_allocation", "payment_id", "payment"),
    ("payment_allocation", "receivable_id", "receivable"),
    ("receipt", "payment_id", "payment"),
    ("receipt", "handler_id", "employee"),
    ("dunning", "customer_id", "customer"),
    ("invoice", "customer_id", "customer"),
    ("tax_filing", "filed_by", "employee"),
    ("financial_report", "customer_id", "customer"),
    ("follow_up", "employee_id", "employee"),
    ("kb_article", "category_id", "kb_category"),
    ("kb_category", "parent_id", "kb_category"),
    ("missing_invoice", "marked_by", "employee"),
    ("invoice_collection", "received_by", "employee"),
];

#[tokio::test]
async fn seeded_rows_keep_every_foreign_key() {
    let app = spawn_app().await;
    seed_demo(&app).await;
    for (child, column, parent) in FOREIGN_KEYS {
        let orphans = app
            .count(&format!(
                "SELECT COUNT(*) FROM {child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM {parent} p WHERE p.firm_id = c.firm_id AND p.id = c.{column})"
            ))
            .await;
        assert_eq!(orphans, 0, "{child}.{column} → {parent}");
    }
    if app.backend() == DbBackend::Sqlite {
        let problems = app
            .state
            .db
            .read()
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA foreign_key_check".to_string(),
            ))
            .await
            .unwrap();
        assert!(
            problems.is_empty(),
            "{} foreign key problems",
            problems.len()
        );
    }
    // Allocations add up to each payment and to each receivable's paid amount.
    let unbalanced_payments = app
        .count(
            "SELECT COUNT(*) FROM payment p WHERE p.amount_fen <> \
             (SELECT COALESCE(SUM(a.amount_fen), 0) FROM payment_allocation a \
              WHERE a.firm_id = p.firm_id AND a.payment_id = p.id)",
        )
        .await;
    assert_eq!(unbalanced_payments, 0);
    let unbalanced_receivables = app
        .count(
            "SELECT COUNT(*) FROM receivable r WHERE r.paid_fen <> \
             (SELECT COALESCE(SUM(a.amount_fen), 0) FROM payment_allocation a \
              WHERE a.firm_id = r.firm_id AND a.receivable_id = r.id)",
        )
        .await;
    assert_eq!(unbalanced_receivables, 0);
    // Nothing seeded happens after the start of as_of (Beijing time).
    let future = app
        .count(
            "SELECT (SELECT COUNT(*) FROM invoice WHERE issue_date >= '2026-11-26') \
             + (SELECT COUNT(*) FROM payment WHERE paid_at >= '2026-11-25T16:00:00+00:00') \
             + (SELECT COUNT(*) FROM follow_up WHERE created_at >= '2026-11-25T16:00:00+00:00')",
        )
        .await;
    assert_eq!(future, 0);
    // Ids the seeder chose leave room for the application's own inserts (PostgreSQL identity
    // sequences were moved past them).
    app.state
        .db
        .write()
        .execute_raw(Statement::from_string(
            app.backend(),
            "INSERT INTO customer (firm_id, name, taxpayer_type, vat_period, created_at, updated_at) \
             SELECT id, '新客户有限公司', 'small_scale', 'quarter', created_at, updated_at FROM firm"
                .to_string(),
        ))
        .await
        .expect("a customer inserted after seeding gets a fresh id");
}

#[tokio::test]
async fn invoice_identities_are_unique_and_shaped_by_era() {
    let app = spawn_app().await;
    seed_demo(&app).await;
    let duplicates = app
        .count(
            "SELECT COUNT(*) FROM (SELECT firm_id, customer_id, direction, code, number \
             FROM invoice GROUP BY firm_id, customer_id, direction, code, number \
             HAVING COUNT(*) > 1) d",
        )
        .await;
    assert_eq!(duplicates, 0);
    // From 2026 every invoice is a 数电 invoice: 20 digits, no code.
    let not_digital = app
        .count(
            "SELECT COUNT(*) FROM invoice WHERE period >= '2026-01' \
             AND (code <> '' OR LENGTH(number) <> 20)",
        )
        .await;
    assert_eq!(not_digital, 0);
    let red = app
        .count("SELECT COUNT(*) FROM invoice WHERE status = 'red' AND amount_fen >= 0")
        .await;
    assert_eq!(red, 0, "red-letter invoices are negative");
    let wrong_total = app
        .count("SELECT COUNT(*) FROM invoice WHERE total_fen <> amount_fen + tax_fen")
        .await;
    assert_eq!(wrong_total, 0);
    let small_scale_rates = strings(
        &app,
        "SELECT DISTINCT CAST(i.rate_bp AS TEXT) FROM invoice i JOIN customer c \
         ON c.firm_id = i.firm_id AND c.id = i.customer_id \
         WHERE c.taxpayer_type = 'small_scale' AND i.direction = 'out' ORDER BY 1",
    )
    .await;
    assert!(
        small_scale_rates.iter().all(|r| r == "100" || r == "300"),
        "{small_scale_rates:?}"
    );
    // Balance sheets balance: row 30 (资产总计) = row 53.
    for lines in strings(
        &app,
        "SELECT CAST(lines AS TEXT) FROM financial_report WHERE report_type = 'balance_sheet'",
    )
    .await
    {
        let rows: serde_json::Value = serde_json::from_str(&lines).unwrap();
        assert_eq!(rows[29]["col1"], rows[52]["col1"]);
        assert_eq!(rows.as_array().unwrap().len(), 53);
    }
}

#[tokio::test]
async fn receipt_numbers_run_per_year_and_match_their_counters() {
    let app = spawn_app().await;
    let report = seed_demo(&app).await;
    let firm = report.firm_id;
    let counters = strings(
        &app,
        &format!(
            "SELECT CAST(year AS TEXT) || ':' || CAST(last_value AS TEXT) FROM receipt_counter \
             WHERE firm_id = {firm} ORDER BY year"
        ),
    )
    .await;
    assert!(!counters.is_empty());
    for entry in counters {
        let (year, last) = entry.split_once(':').unwrap();
        let last: i64 = last.parse().unwrap();
        let issued = app
            .count(&format!(
                "SELECT COUNT(*) FROM receipt WHERE firm_id = {firm} AND receipt_no LIKE 'SJ-{year}-%'"
            ))
            .await;
        assert_eq!(issued, last, "receipts of {year}");
        let max = strings(
            &app,
            &format!(
                "SELECT MAX(receipt_no) FROM receipt WHERE firm_id = {firm} AND receipt_no LIKE 'SJ-{year}-%'"
            ),
        )
        .await;
        assert_eq!(max[0], format!("SJ-{year}-{last:06}"));
    }
    let receipts = app
        .count(&format!(
            "SELECT COUNT(*) FROM receipt WHERE firm_id = {firm}"
        ))
        .await;
    let payments = app
        .count(&format!(
            "SELECT COUNT(*) FROM payment WHERE firm_id = {firm}"
        ))
        .await;
    assert_eq!(receipts, payments, "one receipt per payment");
    let without_upper = app
        .count("SELECT COUNT(*) FROM receipt WHERE amount_cn NOT LIKE '人民币%'")
        .await;
    assert_eq!(without_upper, 0);
}

#[tokio::test]
async fn ensure_demo_seeds_once_and_run_refuses_an_existing_firm() {
    let app = spawn_app().await;
    let db = &app.state.db;
    seed::ensure_demo(db, &app.state.secrets, &app.clock, seed::Profile::Demo)
        .await
        .expect("first ensure_demo seeds");
    let firms = app.count("SELECT COUNT(*) FROM firm").await;
    let invoices = app.count("SELECT COUNT(*) FROM invoice").await;
    assert!(invoices > 0);
    let is_demo = app
        .count(&format!(
            "SELECT COUNT(*) FROM firm WHERE corp_id = '{DEMO_CORP_ID}' AND is_demo = TRUE"
        ))
        .await;
    assert_eq!(is_demo, 1);

    seed::ensure_demo(db, &app.state.secrets, &app.clock, seed::Profile::Demo)
        .await
        .expect("second ensure_demo is a no-op");
    assert_eq!(app.count("SELECT COUNT(*) FROM firm").await, firms);
    assert_eq!(app.count("SELECT COUNT(*) FROM invoice").await, invoices);

    let err = seed::run(
        db,
        &app.state.secrets,
        SeedOptions {
            profile: Profile::Demo,
            seed: 42,
            as_of: as_of(),
            progress: false,
        },
    )
    .await
    .expect_err("the demo firm exists already");
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(app.count("SELECT COUNT(*) FROM invoice").await, invoices);
}

#[tokio::test]
async fn the_database_mirrors_the_wecom_dataset() {
    let app = spawn_app().await;
    let report = seed_demo(&app).await;
    let firm = report.firm_id;
    let data = seed::wecom_dataset(Profile::Demo, DEMO_SEED, as_of());
    let set = |v: Vec<String>| v.into_iter().collect::<BTreeSet<_>>();

    let members = set(strings(
        &app,
        &format!("SELECT userid FROM wecom_member WHERE firm_id = {firm}"),
    )
    .await);
    assert_eq!(
        members,
        data.members.iter().map(|m| m.userid.clone()).collect()
    );
    let externals = set(strings(
        &app,
        &format!("SELECT external_userid FROM wecom_external_contact WHERE firm_id = {firm}"),
    )
    .await);
    assert_eq!(
        externals,
        data.external_contacts
            .iter()
            .map(|e| e.external_userid.clone())
            .collect()
    );
    let follows = app
        .count(&format!(
            "SELECT COUNT(*) FROM external_follow WHERE firm_id = {firm}"
        ))
        .await;
    assert_eq!(
        follows as usize,
        data.external_contacts
            .iter()
            .map(|e| e.follow_users.len())
            .sum::<usize>()
    );
    let chats = set(strings(
        &app,
        &format!("SELECT chat_id FROM wecom_group_chat WHERE firm_id = {firm}"),
    )
    .await);
    assert_eq!(
        chats,
        data.group_chats.iter().map(|g| g.chat_id.clone()).collect()
    );
    let group_members = app
        .count(&format!(
            "SELECT COUNT(*) FROM group_chat_member WHERE firm_id = {firm}"
        ))
        .await;
    assert_eq!(
        group_members as usize,
        data.group_chats
            .iter()
            .map(|g| g.members.len())
            .sum::<usize>()
    );
    let tags = set(strings(
        &app,
        &format!("SELECT wecom_tag_id FROM tag WHERE firm_id = {firm}"),
    )
    .await);
    assert_eq!(
        tags,
        data.tag_groups
            .iter()
            .flat_map(|g| g.tags.iter().map(|t| t.id.clone()))
            .collect()
    );
    let tag_groups = set(strings(
        &app,
        &format!("SELECT wecom_group_id FROM tag_group WHERE firm_id = {firm}"),
    )
    .await);
    assert_eq!(
        tag_groups,
        data.tag_groups.iter().map(|g| g.group_id.clone()).collect()
    );
    // Bound employees carry their member's userid.
    let bound = set(strings(
        &app,
        &format!(
            "SELECT wecom_userid FROM employee WHERE firm_id = {firm} AND wecom_userid IS NOT NULL"
        ),
    )
    .await);
    assert!(bound.is_subset(&members));
    assert!(bound.len() + 2 <= members.len());
    // The app's credentials are the data set's, stored sealed.
    let apps = app
        .count(&format!(
            "SELECT COUNT(*) FROM wecom_app WHERE firm_id = {firm} AND agent_id = '1000002' \
             AND token_enc LIKE 'v1:%' AND encoding_aes_key_enc LIKE 'v1:%'"
        ))
        .await;
    assert_eq!(apps, 1);
}

#[tokio::test]
async fn every_seeded_customers_statements_pass_the_reports_check() {
    // Demo mode seeds the demo firm and serves it.
    let app = crate::helpers::spawn_app_with(|s| s.demo.enabled = true).await;
    let userid = crate::helpers::string_value(
        &app,
        "SELECT wecom_userid FROM employee WHERE role IN ('super_admin', 'admin') \
         AND status = 'active' AND deleted_at IS NULL AND wecom_userid IS NOT NULL ORDER BY id LIMIT 1",
    )
    .await;
    let admin = app.signed_in(&userid).await;
    let customers: Vec<i64> = {
        use sea_orm::{EntityTrait, QuerySelect};
        zhangfang::db::entities::customer::Entity::find()
            .select_only()
            .column(zhangfang::db::entities::customer::Column::Id)
            .into_tuple()
            .all(app.state.db.read())
            .await
            .unwrap()
    };
    let mut checked = 0;
    for id in customers {
        let r = admin
            .fragment(&format!("/sidebar/customers/{id}/reports"))
            .await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        if html.contains("class=\"card statement\"") {
            checked += 1;
        }
        assert!(!html.contains("id=\"imbalances\""), "customer {id}: {html}");
    }
    assert!(
        checked > 10,
        "statements were checked for {checked} customers"
    );
}

#[tokio::test]
async fn seeding_leaves_the_planner_statistics_of_the_seeded_tables() {
    let app = spawn_app().await;
    seed_demo(&app).await;
    // Without them SQLite read a chat's linked customers by walking the firm's customers.
    let analysed = match app.backend() {
        sea_orm::DbBackend::Sqlite => {
            app.count(
                "SELECT COUNT(*) FROM sqlite_stat1 \
                 WHERE tbl IN ('customer', 'customer_external_link', 'receivable')",
            )
            .await
        }
        _ => {
            app.count(
                "SELECT COUNT(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL \
                 AND relname IN ('customer', 'customer_external_link', 'receivable')",
            )
            .await
        }
    };
    assert!(analysed >= 3, "{analysed}");
}
