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
