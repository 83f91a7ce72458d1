//! Migrations: idempotent, and safe when several instances start at once.

use sea_orm_migration::MigratorTrait;
use zhangfang::config::{DatabaseSettings, DatabaseUrl, Settings};
use zhangfang::db::Database;
use zhangfang::db::migration::Migrator;

use crate::helpers::spawn_app;

#[tokio::test]
async fn migrating_an_up_to_date_database_changes_nothing() {
    let app = spawn_app().await;
    let before = app.count("SELECT COUNT(*) FROM seaql_migrations").await;
    app.state.db.migrate().await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM seaql_migrations").await,
        before
    );
    assert_eq!(before as usize, Migrator::migrations().len());
    assert!(app.state.db.pending_migrations().await.unwrap().is_empty());
}

#[tokio::test]
async fn reference_calendar_and_holidays_are_installed() {
    let app = spawn_app().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM filing_calendar WHERE year = 2024")
            .await,
        12
    );
    assert!(
        app.count("SELECT COUNT(*) FROM holiday WHERE kind = 'holiday'")
            .await
            > 80
    );
    assert!(
        app.count("SELECT COUNT(*) FROM holiday WHERE kind = 'workday'")
            .await
            > 10
    );
}

/// Settings for an empty database of the backend under test (never a pre-migrated template).
async fn empty_database() -> (DatabaseSettings, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::defaults().unwrap().database;
    settings.url = match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!("zf_test_{}", uuid::Uuid::new_v4().simple());
            let conn = sea_orm::Database::connect(&admin).await.unwrap();
            sea_orm::ConnectionTrait::execute_unprepared(&conn, &format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            conn.close().await.unwrap();
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&format!("/{name}"));
            DatabaseUrl::new(url.to_string())
        }
        _ => DatabaseUrl::new(format!("sqlite://{}/concurrent.db", dir.path().display())),
    };
    (settings, dir)
}

#[tokio::test]
async fn instances_starting_together_migrate_exactly_once() {
    let (settings, _dir) = empty_database().await;
    let mut starts = Vec::new();
    for _ in 0..4 {
        let settings = settings.clone();
        starts.push(tokio::spawn(async move {
            let db = Database::connect(&settings).await.unwrap();
            db.migrate().await.map(|_| db)
        }));
    }
    let mut dbs = Vec::new();
    for start in starts {
        dbs.push(start.await.unwrap().expect("every instance starts"));
    }
    let db = &dbs[0];
    let applied = sea_orm::ConnectionTrait::query_one_raw(
        db.read(),
        sea_orm::Statement::from_string(db.backend(), "SELECT COUNT(*) FROM seaql_migrations"),
    )
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index::<i64>(0)
    .unwrap();
    assert_eq!(applied as usize, Migrator::migrations().len());
    let holidays = sea_orm::ConnectionTrait::query_one_raw(
        db.read(),
        sea_orm::Statement::from_string(db.backend(), "SELECT COUNT(*) FROM holiday"),
    )
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index::<i64>(0)
    .unwrap();
    assert!(
        holidays > 0,
        "reference data inserted once, not failed or doubled"
    );
    for db in dbs {
        db.close().await;
    }
}

#[tokio::test]
async fn concurrent_read_then_write_transactions_all_commit() {
    // On SQLite a deferred transaction that reads and then writes fails with SQLITE_BUSY when
    // another connection wrote in between, whatever the busy timeout; write transactions start
    // IMMEDIATE, so none fails. Two Database handles stand for two processes on one file.
    let app = spawn_app().await;
    let mut settings = Settings::defaults().unwrap().database;
    settings.url = app.state.settings.database.url.clone();
    let other = Database::connect(&settings).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let db = if i % 2 == 0 {
            app.state.db.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            let txn = db.begin_write().await?;
            let existing =
                zhangfang::services::firms::find_by_corp_id(&txn, &format!("wwconcurrent{i:04}"))
                    .await
                    .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
            assert!(existing.is_none());
            zhangfang::services::firms::create_firm(
                &txn,
                &format!("wwconcurrent{i:04}"),
                "并发公司",
                false,
                chrono::DateTime::UNIX_EPOCH,
            )
            .await
            .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
            txn.commit().await
        }));
    }
    for task in tasks {
        task.await.unwrap().expect("every transaction commits");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM firm WHERE corp_id LIKE 'wwconcurrent%'")
            .await,
        40
    );
}

/// Statements each write connection keeps prepared.
async fn prepared_per_connection(db: &Database) -> Vec<usize> {
    use sea_orm::sqlx::Connection as _;
    if db.is_sqlite() {
        let conn = db
            .write()
            .get_sqlite_connection_pool()
            .acquire()
            .await
            .unwrap();
        return vec![conn.cached_statements_size()];
    }
    let pool = db.write().get_postgres_connection_pool();
    let mut held = Vec::new();
    // Every connection, including one still on its way back to the pool.
    while held.len() < pool.size() as usize {
        held.push(pool.acquire().await.unwrap());
    }
    held.iter().map(|c| c.cached_statements_size()).collect()
}

#[tokio::test]
async fn after_a_bulk_load_no_write_connection_keeps_its_statements() {
    let app = spawn_app().await;
    // A handle of its own: the app's worker would prepare its statements again meanwhile.
    let mut settings = Settings::defaults().unwrap().database;
    settings.url = app.state.settings.database.url.clone();
    let db = Database::connect(&settings).await.unwrap();
    // Several connections at once (PostgreSQL's pool opens more), each preparing statements.
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let txn = db.begin_write().await.unwrap();
                for n in 0..3 {
                    let sql = format!("SELECT {n} + ? AS v");
                    let stmt = zhangfang::db::statement(db.backend(), &sql, [i64::from(i).into()]);
                    sea_orm::ConnectionTrait::query_one_raw(&txn, stmt)
                        .await
                        .unwrap();
                }
                txn.commit().await.unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let before = prepared_per_connection(&db).await;
    assert!(
        before.iter().any(|&n| n >= 3),
        "statements were prepared: {before:?}"
    );
    if !db.is_sqlite() {
        assert!(
            before.len() > 1,
            "several PostgreSQL connections: {before:?}"
        );
    }

    db.release_cached_statements().await.unwrap();
    let after = prepared_per_connection(&db).await;
    assert!(
        after.iter().all(|&n| n == 0),
        "every connection cleared: {after:?}"
    );
    // The pool still serves.
    let stmt = zhangfang::db::statement(db.backend(), "SELECT COUNT(*) AS n FROM firm", []);
    assert!(
        sea_orm::ConnectionTrait::query_one_raw(db.write(), stmt)
            .await
            .unwrap()
            .is_some()
    );
    db.close().await;
}

#[tokio::test]
async fn a_pooled_connection_is_not_pinged_on_the_way_out_of_the_pool() {
    // Each ping is a round trip (PostgreSQL) or a hand-off to the connection's thread (SQLite):
    // with it, a one-statement read cost three.
    let app = spawn_app().await;
    let db = &app.state.db;
    for conn in [db.read(), db.write()] {
        let tests_before_acquire = if db.is_sqlite() {
            conn.get_sqlite_connection_pool()
                .options()
                .get_test_before_acquire()
        } else {
            conn.get_postgres_connection_pool()
                .options()
                .get_test_before_acquire()
        };
        assert!(!tests_before_acquire);
    }
}

#[tokio::test]
async fn dropping_the_inbox_foreign_keys_keeps_its_rows_and_its_dedupe_key() {
    use sea_orm::{ConnectionTrait, Statement};
    let (settings, _dir) = empty_database().await;
    let db = Database::connect(&settings).await.unwrap();
    let before_drop = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261201_001201_drop_callback_inbox_foreign_keys")
        .expect("the migration is listed");
    Migrator::up(db.write(), Some(before_drop as u32))
        .await
        .unwrap();
    let backend = db.backend();
    let run = |sql: &str| Statement::from_string(backend, sql.to_string());
    let now = "'2026-12-01T08:00:00Z'";
    for sql in [
        format!(
            "INSERT INTO firm (id, corp_id, name, created_at, updated_at) \
             VALUES (7, 'wwmigrate', '迁移公司', {now}, {now})"
        ),
        format!(
            "INSERT INTO wecom_app (id, firm_id, agent_id, created_at, updated_at) \
             VALUES (70, 7, '1000002', {now}, {now})"
        ),
        format!(
            "INSERT INTO callback_inbox (id, firm_id, app_id, dedupe_key, received_at, event, \
             payload, status, attempts, processed_at, object_key) \
             VALUES (41, 7, 70, 'k-done', {now}, 'change_external_contact', '<xml>a</xml>', \
             'done', 1, {now}, 'contact:wmA')"
        ),
        format!(
            "INSERT INTO callback_inbox (id, firm_id, app_id, dedupe_key, received_at, payload) \
             VALUES (42, 7, 70, 'k-pending', {now}, '<xml>b</xml>')"
        ),
    ] {
        db.write().execute_raw(run(&sql)).await.unwrap();
    }
    // The foreign keys hold before the migration.
    let orphan = format!(
        "INSERT INTO callback_inbox (firm_id, app_id, dedupe_key, received_at, payload) \
         VALUES (8, 80, 'k-orphan', {now}, '<xml>c</xml>')"
    );
    assert!(db.write().execute_raw(run(&orphan)).await.is_err());

    Migrator::up(db.write(), Some(1)).await.unwrap();
    // The inbox refers to its firm and app by id alone now.
    db.write().execute_raw(run(&orphan)).await.unwrap();
    db.write()
        .execute_raw(run("DELETE FROM callback_inbox WHERE firm_id = 8"))
        .await
        .unwrap();

    let rows = db
        .read()
        .query_all_raw(run(
            "SELECT id, status, dedupe_key, object_key FROM callback_inbox ORDER BY id",
        ))
        .await
        .unwrap();
    let kept: Vec<(i64, String, String, Option<String>)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
                r.try_get_by_index(2).unwrap(),
                r.try_get_by_index(3).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        vec![
            (
                41,
                "done".to_string(),
                "k-done".to_string(),
                Some("contact:wmA".to_string())
            ),
            (42, "pending".to_string(), "k-pending".to_string(), None),
        ]
    );
    // The dedupe key is still unique per firm, and new rows take the column defaults.
    let again = format!(
        "INSERT INTO callback_inbox (firm_id, app_id, dedupe_key, received_at, payload) \
         VALUES (7, 70, 'k-done', {now}, '<xml>a</xml>') ON CONFLICT (firm_id, dedupe_key) DO NOTHING"
    );
    assert_eq!(
        db.write()
            .execute_raw(run(&again))
            .await
            .unwrap()
            .rows_affected(),
        0
    );
    let duplicate = again.replace(" ON CONFLICT (firm_id, dedupe_key) DO NOTHING", "");
    assert!(db.write().execute_raw(run(&duplicate)).await.is_err());
    let fresh = format!(
        "INSERT INTO callback_inbox (firm_id, app_id, dedupe_key, received_at, payload) \
         VALUES (7, 70, 'k-new', {now}, '<xml>d</xml>')"
    );
    db.write().execute_raw(run(&fresh)).await.unwrap();
    let newest = db
        .read()
        .query_one_raw(run(
            "SELECT status FROM callback_inbox WHERE dedupe_key = 'k-new'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(newest.try_get_by_index::<String>(0).unwrap(), "pending");
    // The status index the event worker claims through is back.
    let indexes = |name: &str| match backend {
        sea_orm::DbBackend::Postgres => {
            format!("SELECT COUNT(*) FROM pg_indexes WHERE indexname = '{name}'")
        }
        _ => format!(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
             AND name = '{name}' AND tbl_name = 'callback_inbox'"
        ),
    };
    let count = |sql: String| {
        let db = &db;
        async move {
            let found = db.read().query_one_raw(run(&sql)).await.unwrap().unwrap();
            found.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(count(indexes("ix_callback_inbox_status_id")).await, 1);

    // The next migration indexes the open events by firm in its place.
    Migrator::up(db.write(), None).await.unwrap();
    assert_eq!(count(indexes("ix_callback_inbox_status_id")).await, 0);
    assert_eq!(
        count(indexes("ix_callback_inbox_status_firm_id_id")).await,
        1
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM callback_inbox WHERE status = 'pending' AND firm_id = 7".into()
        )
        .await,
        2
    );
    db.close().await;
}
