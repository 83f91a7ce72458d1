//! `/admin/calendar`: official deadlines and holidays entered by a super admin; provisional
//! months marked.

use chrono::NaiveDate;
use zhangfang::domain::period::Period;
use zhangfang::services::calendar;

use crate::admin_employees::office;
use crate::helpers::{Browser, spawn_app};

async fn post(b: &Browser, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let csrf = b.csrf_token("/admin/calendar").await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &csrf));
    b.post_form(path, &fields).await
}

#[tokio::test]
async fn a_super_admin_enters_official_dates_and_holidays_and_provisional_ones_are_marked() {
    let app = spawn_app().await;
    office(&app, "wwcal1").await;
    let boss = app.signed_in_back_office("wwcal1-boss").await;
    let page = boss
        .get("/admin/calendar?year=2027")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("推算"));
    assert!(!page.contains("badge ok\">官方"));
    let resp = post(
        &boss,
        "/admin/calendar/deadline",
        &[
            ("year", "2027"),
            ("month", "3"),
            ("date", "2027-03-16"),
            ("source", "税总办征科函〔2026〕1号"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let cal = calendar::load(&app.state.db).await.unwrap();
    let march = cal.deadline(Period::new(2027, 3).unwrap());
    assert!(!march.provisional);
    assert_eq!(march.date, NaiveDate::from_ymd_opt(2027, 3, 16).unwrap());
    // A date outside its month is refused.
    let resp = post(
        &boss,
        "/admin/calendar/deadline",
        &[("year", "2027"), ("month", "4"), ("date", "2027-05-16")],
    )
    .await;
    assert_eq!(resp.status(), 422);
    // A holiday moves the provisional deadline.
    let before = cal.deadline(Period::new(2027, 4).unwrap());
    assert!(before.provisional);
    let resp = post(
        &boss,
        "/admin/calendar/day",
        &[
            ("day", &before.date.to_string()),
            ("kind", "holiday"),
            ("name", "测试假日"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let after = calendar::load(&app.state.db)
        .await
        .unwrap()
        .deadline(Period::new(2027, 4).unwrap());
    assert!(after.provisional && after.date > before.date);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('filing_calendar.set', 'holiday.set')"
        )
        .await,
        2
    );
    // Admins read but cannot change the shared calendar; staff cannot open it.
    let admin = app.signed_in_back_office("wwcal1-admin").await;
    assert_eq!(admin.get("/admin/calendar").await.status(), 200);
    let resp = post(
        &admin,
        "/admin/calendar/deadline",
        &[("year", "2027"), ("month", "5"), ("date", "2027-05-20")],
    )
    .await;
    assert_eq!(resp.status(), 403);
    let staff = app.signed_in_back_office("wwcal1-staff").await;
    assert_eq!(staff.get("/admin/calendar").await.status(), 403);
    let resp = boss
        .post_form(
            "/admin/calendar/deadline",
            &[("year", "2027"), ("month", "5"), ("date", "2027-05-20")],
        )
        .await;
    assert!(resp.status().is_client_error());
}
