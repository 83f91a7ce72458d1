//! Deadlines come from the stored calendar: official where known, provisional otherwise.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, Statement};
use zhangfang::domain::period::Period;
use zhangfang::services::calendar;

use crate::helpers::spawn_app;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test]
async fn stored_official_deadlines_win_and_missing_months_are_provisional() {
    let app = spawn_app().await;
    let cal = calendar::load(&app.state.db).await.unwrap();
    let may_2024 = cal.deadline(Period::new(2024, 5).unwrap());
    assert_eq!(may_2024.date, day(2024, 5, 22));
    assert!(!may_2024.provisional);
    // 2026 is official (税总办征科函〔2025〕64号).
    let march_2026 = cal.deadline(Period::new(2026, 3).unwrap());
    assert!(!march_2026.provisional);
    assert_eq!(
        march_2026.date,
        day(2026, 3, 16),
        "15 March 2026 is a Sunday"
    );
    // 2027 is not published yet: computed, and marked so.
    let march_2027 = cal.deadline(Period::new(2027, 3).unwrap());
    assert!(march_2027.provisional);
    assert_eq!(march_2027.date, day(2027, 3, 15));

    // An admin enters the official date for that month: it becomes the truth.
    app.state
        .db
        .write()
        .execute_raw(Statement::from_string(
            app.backend(),
            "INSERT INTO filing_calendar (year, month, deadline, region, source, created_at, updated_at) \
             VALUES (2027, 3, '2027-03-17', '', 'test', '2026-11-26T00:00:00+00:00', '2026-11-26T00:00:00+00:00')",
        ))
        .await
        .unwrap();
    let cal = calendar::load(&app.state.db).await.unwrap();
    let march_2027 = cal.deadline(Period::new(2027, 3).unwrap());
    assert_eq!(march_2027.date, day(2027, 3, 17));
    assert!(!march_2027.provisional);
}
