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
