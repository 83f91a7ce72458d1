//! The services behind the sidebar's 收票, 报税, 发票 and 报表 sections.

use calamine::{DataType, Reader, Xlsx};
use chrono::{Datelike, NaiveDate};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;
use zhangfang::db::entities::employee::Role;
use zhangfang::db::entities::{financial_report, invoice, missing_invoice, tax_filing};
use zhangfang::domain::money::Money;
use zhangfang::domain::period::Period;
use zhangfang::error::AppError;
use zhangfang::services::collection::{self, Line, NewCollection};
use zhangfang::services::{filings, invoices, reports};

use crate::helpers::{NewEmployee, TestApp, spawn_app, string_value};

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

async fn setup(app: &TestApp, corp: &str) -> (i64, i64) {
    let firm = app.add_firm(corp, "Token", KEY).await;
    app.add_employee(
        firm.firm_id,
        NewEmployee {
            name: "李昇",
            userid: Some(&format!("{corp}-boss")),
            role: Role::Admin,
            ..Default::default()
        },
    )
    .await;
    app.add_employee(
        firm.firm_id,
        NewEmployee {
            name: "访客",
            userid: Some(&format!("{corp}-plain")),
            role: Role::Staff,
            permissions: &["basic"],
            ..Default::default()
        },
    )
    .await;
    let customer = app
        .add_customer(firm.firm_id, "杭州淼燚堃昇科技有限公司")
        .await;
    (firm.firm_id, customer)
}

fn p(s: &str) -> Period {
    Period::parse(s).unwrap()
}

#[tokio::test]
async fn completing_a_collection_resolves_the_periods_missing_invoices() {
    let app = spawn_app().await;
    let (firm_id, customer_id) = setup(&app, "wwsec00001").await;
    let now = app.clock_now();
    missing_invoice::ActiveModel {
        firm_id: Set(firm_id),
        customer_id: Set(customer_id),
        period: Set("2026-10".into()),
        doc_type: Set("进项发票".into()),
        description: Set(Some("房租发票".into())),
        expected_fen: Set(Some(500000)),
        marked_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.state.db.write())
    .await
    .unwrap();
    let me = app.current_employee("wwsec00001-boss").await;
    let lines = vec![
        Line {
            doc_type: "进项发票".into(),
            count: 12,
            amount_fen: 800000,
        },
        Line {
            doc_type: "银行回单".into(),
            count: 5,
            amount_fen: 0,
        },
    ];
    let first = collection::record(
        &app.state,
        &me,
        None,
        NewCollection {
            customer_id,
            period: p("2026-10"),
            lines: lines.clone(),
            note: None,
            complete: false,
            files: Vec::new(),
        },
    )
    .await
    .unwrap();
    let view = collection::overview(&app.state, &me, customer_id, p("2026-10"))
        .await
        .unwrap();
    assert_eq!(view.len(), 12);
    assert_eq!(view[0].period, "2026-10");
    assert_eq!(view[0].status, "collecting");
    assert_eq!(view[0].records[0].total_count, 17);
    assert_eq!(
        view[0].records[0].received_by.as_deref(),
        Some("李昇"),
        "who received it, by name"
    );
    assert!(!view[0].missing[0].resolved);
    let detail = collection::detail(&app.state, &me, first).await.unwrap();
    assert!(
        detail.status_line.starts_with("仍缺：进项发票"),
        "{}",
        detail.status_line
    );

    collection::record(
        &app.state,
        &me,
        None,
        NewCollection {
            customer_id,
            period: p("2026-10"),
            lines: vec![Line {
                doc_type: "进项发票".into(),
                count: 1,
                amount_fen: 500000,
            }],
            note: Some("房租发票补交".into()),
            complete: true,
            files: Vec::new(),
        },
    )
    .await
    .unwrap();
    let view = collection::overview(&app.state, &me, customer_id, p("2026-10"))
        .await
        .unwrap();
    assert_eq!(view[0].status, "complete");
    assert_eq!(view[0].records.len(), 2);
    assert!(view[0].missing[0].resolved);
    let detail = collection::detail(&app.state, &me, first).await.unwrap();
    assert_eq!(detail.status_line, "本期票据已收齐");
    assert_eq!(detail.total_amount, "¥8,000.00");
    let image = zhangfang::render::collection::render(&detail).unwrap();
    assert!(image.png.starts_with(b"\x89PNG"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'collection.%'")
            .await,
        2
    );
    assert_eq!(
        string_value(
            &app,
            "SELECT collection_status FROM service_period WHERE period = '2026-10'"
        )
        .await,
        "complete"
    );

    let err = collection::record(
        &app.state,
        &me,
        None,
        NewCollection {
            customer_id,
            period: p("2026-11"),
            lines: vec![Line {
                doc_type: "彩票".into(),
                count: 1,
                amount_fen: 0,
            }],
            note: None,
            complete: false,
            files: Vec::new(),
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Validation(_)), "{err:?}");
    let plain = app.current_employee("wwsec00001-plain").await;
    let err = collection::overview(&app.state, &plain, customer_id, p("2026-10"))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
}

/// A third-quarter return.
async fn filing(
    app: &TestApp,
    firm_id: i64,
    customer_id: i64,
    tax_type: tax_filing::TaxType,
    status: tax_filing::Status,
    payable_fen: i64,
) {
    let q3 = (p("2026-07"), p("2026-09"));
    filing_for(app, firm_id, customer_id, q3, tax_type, status, payable_fen).await;
}

/// A return for the tax period `from`..=`to`, due on the 15th of the month after it.
async fn filing_for(
    app: &TestApp,
    firm_id: i64,
    customer_id: i64,
    (from, to): (Period, Period),
    tax_type: tax_filing::TaxType,
    status: tax_filing::Status,
    payable_fen: i64,
) {
    let now = app.clock_now();
    tax_filing::ActiveModel {
        firm_id: Set(firm_id),
        customer_id: Set(customer_id),
        period_from: Set(from.to_string()),
        period_to: Set(to.to_string()),
        tax_type: Set(tax_type),
        due_date: Set(to.next().first_day().with_day(15).unwrap()),
        due_provisional: Set(true),
        status: Set(status),
        payable_fen: Set(payable_fen),
        paid_fen: Set(0),
        filed_at: Set((status != tax_filing::Status::Pending).then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.state.db.write())
    .await
    .unwrap();
}

#[tokio::test]
async fn filings_show_the_calendar_deadline_with_its_postponement_and_the_notice() {
    let app = spawn_app().await;
    let (firm_id, customer_id) = setup(&app, "wwsec00002").await;
    filing(
        &app,
        firm_id,
        customer_id,
        tax_filing::TaxType::VatSurcharge,
        tax_filing::Status::Filed,
        123400,
    )
    .await;
    filing(
        &app,
        firm_id,
        customer_id,
        tax_filing::TaxType::CitPrepay,
        tax_filing::Status::Pending,
        0,
    )
    .await;
    let me = app.current_employee("wwsec00002-boss").await;
    let view = filings::view(&app.state, &me, customer_id, None)
        .await
        .unwrap();
    assert_eq!(view.period, "2026-09");
    assert_eq!(view.lines.len(), 2);
    let vat = &view.lines[0];
    assert_eq!(vat.tax_label, "增值税及附加税费");
    // October 2026: the official calendar says the 26th (国庆节, October 1–7), a 顺延 said with
    // its reason.
    assert_eq!(vat.due_date, NaiveDate::from_ymd_opt(2026, 10, 26).unwrap());
    assert!(vat.postponed && !vat.provisional);
    assert_eq!(
        vat.postponed_note.as_deref(),
        Some("法定10月15日，遇国庆节顺延")
    );
    assert!(view.notice.is_none());
    assert!(
        view.notice_blocked
            .as_deref()
            .unwrap()
            .contains("企业所得税")
    );

    app.state
        .db
        .write()
        .execute_unprepared("UPDATE tax_filing SET status = 'filed' WHERE tax_type = 'cit_prepay'")
        .await
        .unwrap();
    let view = filings::view(&app.state, &me, customer_id, Some(p("2026-09")))
        .await
        .unwrap();
    let notice = view.notice.unwrap();
    assert!(notice.contains("税款所属期2026年09月"), "{notice}");
    assert!(notice.contains("增值税及附加税费：¥1,234.00"), "{notice}");
    assert!(notice.contains("合计应缴¥1,234.00"), "{notice}");
    let plain = app.current_employee("wwsec00002-plain").await;
    assert!(matches!(
        filings::view(&app.state, &plain, customer_id, None)
            .await
            .unwrap_err(),
        AppError::Forbidden(_)
    ));
}

#[tokio::test]
async fn a_calendar_change_shows_at_once_here_and_within_a_minute_on_another_instance() {
    let app = spawn_app().await;
    let other = app.another_instance().await;
    let (firm_id, customer_id) = setup(&app, "wwsec00002").await;
    app.add_employee(
        firm_id,
        NewEmployee {
            name: "超级管理员",
            userid: Some("wwsec00002-super"),
            role: Role::SuperAdmin,
            ..Default::default()
        },
    )
    .await;
    filing(
        &app,
        firm_id,
        customer_id,
        tax_filing::TaxType::VatSurcharge,
        tax_filing::Status::Pending,
        0,
    )
    .await;
    let me = app.current_employee("wwsec00002-boss").await;
    let due = |view: filings::FilingsView| view.lines[0].due_date;
    let official = NaiveDate::from_ymd_opt(2026, 10, 26).unwrap();
    for instance in [&app, &other] {
        let view = filings::view(&instance.state, &me, customer_id, None)
            .await
            .unwrap();
        assert_eq!(due(view), official);
    }
    let moved = NaiveDate::from_ymd_opt(2026, 10, 27).unwrap();
    let boss = app.current_employee("wwsec00002-super").await;
    zhangfang::services::calendar_admin::set_deadline(
        &app.state,
        &boss,
        None,
        2026,
        10,
        Some(moved),
        "测试",
    )
    .await
    .unwrap();
    let here = filings::view(&app.state, &me, customer_id, None)
        .await
        .unwrap();
    assert_eq!(due(here), moved, "the instance that made the change");
    let there = filings::view(&other.state, &me, customer_id, None)
        .await
        .unwrap();
    assert_eq!(
        due(there),
        official,
        "another instance keeps its copy a while"
    );
    app.clock.advance(chrono::Duration::seconds(61));
    let there = filings::view(&other.state, &me, customer_id, None)
        .await
        .unwrap();
    assert_eq!(due(there), moved, "and reads it again within a minute");
}

use sea_orm::ConnectionTrait;

#[allow(clippy::too_many_arguments)]
async fn inv(
    app: &TestApp,
    firm_id: i64,
    customer_id: i64,
    period: &str,
    direction: invoice::Direction,
    kind: invoice::Kind,
    amount_fen: i64,
    rate_bp: i32,
    deductible: bool,
) {
    let now = app.clock_now();
    let tax = amount_fen * i64::from(rate_bp) / 10000;
    invoice::ActiveModel {
        firm_id: Set(firm_id),
        customer_id: Set(customer_id),
        period: Set(period.into()),
        direction: Set(direction),
        kind: Set(kind),
        code: Set(String::new()),
        number: Set(uuid::Uuid::new_v4().simple().to_string()[..20].to_string()),
        issue_date: Set(Period::parse(period).unwrap().first_day()),
        counterparty_name: Set("鑫犇公司".into()),
        amount_fen: Set(amount_fen),
        rate_bp: Set(rate_bp),
        tax_fen: Set(tax),
        total_fen: Set(amount_fen + tax),
        status: Set(invoice::Status::Normal),
        deductible: Set(deductible),
        use_confirmed_at: Set(deductible.then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.state.db.write())
    .await
    .unwrap();
}

#[tokio::test]
async fn the_vat_estimate_follows_the_taxpayer_type_and_the_threshold() {
    let app = spawn_app().await;
    let (firm_id, customer_id) = setup(&app, "wwsec00003").await;
    let me = app.current_employee("wwsec00003-boss").await;
    use invoice::{Direction::*, Kind::*};
    // Small-scale, quarterly: ¥290,000 in the quarter is under the ¥300,000 threshold ...
    inv(
        &app,
        firm_id,
        customer_id,
        "2026-07",
        Out,
        OrdinaryDigital,
        15_000_000,
        100,
        false,
    )
    .await;
    inv(
        &app,
        firm_id,
        customer_id,
        "2026-08",
        Out,
        OrdinaryDigital,
        14_000_000,
        100,
        false,
    )
    .await;
    let view = invoices::view(&app.state, &me, customer_id, p("2026-08"))
        .await
        .unwrap();
    assert_eq!(view.label, "估算，以申报为准");
    let invoices::Estimate::SmallScale(e) = &view.estimate else {
        panic!("{:?}", view.estimate)
    };
    assert!(e.exempt);
    assert_eq!(e.payable, Money::ZERO);
    assert_eq!(e.gap_to_threshold, Money::from_yuan(10_000));
    assert!(view.reminder.as_deref().unwrap().contains("尚差¥10,000.00"));
    assert_eq!(view.output_totals.len(), 1);
    assert_eq!(view.output_totals[0].amount, Money::from_yuan(140_000));
    // ... reaching it taxes the whole quarter at 1 %.
    inv(
        &app,
        firm_id,
        customer_id,
        "2026-09",
        Out,
        OrdinaryDigital,
        1_000_000,
        100,
        false,
    )
    .await;
    let view = invoices::view(&app.state, &me, customer_id, p("2026-09"))
        .await
        .unwrap();
    let invoices::Estimate::SmallScale(e) = &view.estimate else {
        panic!("{:?}", view.estimate)
    };
    assert!(!e.exempt);
    assert_eq!(e.payable, Money::from_yuan(3_000));

    // General taxpayer, monthly: input above output carries forward to the next month.
    app.state
        .db
        .write()
        .execute_unprepared(&format!(
            "UPDATE customer SET taxpayer_type = 'general', vat_period = 'month' WHERE id = {customer_id}"
        ))
        .await
        .unwrap();
    inv(
        &app,
        firm_id,
        customer_id,
        "2026-10",
        Out,
        SpecialDigital,
        10_000_000,
        1300,
        false,
    )
    .await;
    inv(
        &app,
        firm_id,
        customer_id,
        "2026-10",
        In,
        SpecialDigital,
        20_000_000,
        1300,
        true,
    )
    .await;
    inv(
        &app,
        firm_id,
        customer_id,
        "2026-11",
        Out,
        SpecialDigital,
        30_000_000,
        1300,
        false,
    )
    .await;
    let view = invoices::view(&app.state, &me, customer_id, p("2026-10"))
        .await
        .unwrap();
    let invoices::Estimate::General(e) = &view.estimate else {
        panic!("{:?}", view.estimate)
    };
    assert_eq!(
        (e.payable, e.carry_forward),
        (Money::ZERO, Money::from_yuan(13_000))
    );
    let view = invoices::view(&app.state, &me, customer_id, p("2026-11"))
        .await
        .unwrap();
    let invoices::Estimate::General(e) = &view.estimate else {
        panic!("{:?}", view.estimate)
    };
    // Output ¥39,000 less the ¥13,000 carried in (the earlier months had tax to pay, nothing to
    // carry).
    assert_eq!(e.prior_credit, Money::from_yuan(13_000));
    assert_eq!(e.payable, Money::from_yuan(26_000));
    assert!(view.reminder.unwrap().contains("估算，以申报为准"));
    let plain = app.current_employee("wwsec00003-plain").await;
    assert!(matches!(
        invoices::view(&app.state, &plain, customer_id, p("2026-10"))
            .await
            .unwrap_err(),
        AppError::Forbidden(_)
    ));
}

/// Sets an invoice's status and whether its use was confirmed, by its amount (unique in the test).
async fn mark(app: &TestApp, amount_fen: i64, status: &str, confirmed: bool) {
    let confirmed = if confirmed {
        "use_confirmed_at"
    } else {
        "NULL"
    };
    app.state
        .db
        .write()
        .execute_unprepared(&format!(
            "UPDATE invoice SET status = '{status}', use_confirmed_at = {confirmed} \
             WHERE amount_fen = {amount_fen}"
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_carry_forward_counts_earlier_months_invoice_by_invoice_rules() {
    let app = spawn_app().await;
    let (firm_id, customer_id) = setup(&app, "wwsec00003").await;
    let me = app.current_employee("wwsec00003-boss").await;
    app.state
        .db
        .write()
        .execute_unprepared(&format!(
            "UPDATE customer SET taxpayer_type = 'general', vat_period = 'month' WHERE id = {customer_id}"
        ))
        .await
        .unwrap();
    use invoice::{Direction::*, Kind::*};
    // 2026-08: output tax 1,300 + 130 (a red letter takes 260 back, a void one counts nothing);
    // deductible, confirmed input 3,900; an unconfirmed and a non-deductible one do not count.
    for (direction, amount, deductible) in [
        (Out, 1_000_000, false),
        (Out, 100_001, false),
        (Out, 200_000, false),
        (Out, 300_000, false),
        (In, 3_000_000, true),
        (In, 4_000_000, true),
        (In, 5_000_000, false),
    ] {
        inv(
            &app,
            firm_id,
            customer_id,
            "2026-08",
            direction,
            SpecialDigital,
            amount,
            1300,
            deductible,
        )
        .await;
    }
    mark(&app, 200_000, "red", false).await;
    mark(&app, 300_000, "void", false).await;
    mark(&app, 4_000_000, "normal", false).await;
    // 2026-08: 1,300 + 130 - 260 - 3,900 = -2,730 carried. 2026-09: output 650, a red-letter
    // input takes 130 back (inputs fall to -130, so the month owes 780 against the 2,730
    // carried): 1,950 carried into 2026-10.
    inv(
        &app,
        firm_id,
        customer_id,
        "2026-09",
        Out,
        Ordinary,
        500_000,
        1300,
        false,
    )
    .await;
    inv(
        &app,
        firm_id,
        customer_id,
        "2026-09",
        In,
        Special,
        100_000,
        1300,
        true,
    )
    .await;
    mark(&app, 100_000, "red", true).await;
    inv(
        &app,
        firm_id,
        customer_id,
        "2026-10",
        Out,
        Special,
        2_000_000,
        1300,
        false,
    )
    .await;
    let view = invoices::view(&app.state, &me, customer_id, p("2026-10"))
        .await
        .unwrap();
    let invoices::Estimate::General(e) = &view.estimate else {
        panic!("{:?}", view.estimate)
    };
    assert_eq!(e.prior_credit, Money::from_yuan(1_950));
    assert_eq!(e.output_tax, Money::from_yuan(2_600));
    assert_eq!(e.payable, Money::from_yuan(650));
    // Only the period's own invoices are listed.
    assert_eq!((view.outputs.len(), view.inputs.len()), (1, 0));
}

fn lines(rows: usize, values: &[(usize, i64, i64)]) -> serde_json::Value {
    json!(
        (1..=rows)
            .map(|n| {
                let (c1, c2) = values
                    .iter()
                    .find(|(l, _, _)| *l == n)
                    .map_or((0, 0), |(_, a, b)| (*a, *b));
                json!({"line": n, "item": format!("项目{n}"), "col1": c1, "col2": c2})
            })
            .collect::<Vec<_>>()
    )
}

pub async fn report(
    app: &TestApp,
    firm_id: i64,
    customer_id: i64,
    period: &str,
    t: financial_report::ReportType,
    l: serde_json::Value,
) {
    let now = app.clock_now();
    financial_report::ActiveModel {
        firm_id: Set(firm_id),
        customer_id: Set(customer_id),
        period: Set(period.into()),
        report_type: Set(t),
        standard: Set("small_enterprise".into()),
        lines: Set(l),
        generated_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.state.db.write())
    .await
    .unwrap();
}

#[tokio::test]
async fn statements_balance_before_they_are_sent_and_read_back_from_xlsx() {
    let app = spawn_app().await;
    let (firm_id, customer_id) = setup(&app, "wwsec00004").await;
    use financial_report::ReportType::*;
    for (period, revenue, profit) in [
        ("2026-09", 5_000_000, 400_000),
        ("2026-10", 6_000_000, 500_000),
    ] {
        report(
            &app,
            firm_id,
            customer_id,
            period,
            IncomeStatement,
            lines(
                32,
                &[
                    (1, revenue, revenue * 9),
                    (30, profit, 900_000),
                    (32, profit, 900_000),
                ],
            ),
        )
        .await;
    }
    report(
        &app,
        firm_id,
        customer_id,
        "2026-10",
        BalanceSheet,
        lines(
            53,
            &[
                (1, 3_000_000, 2_000_000),
                (30, 12_345_678, 10_000_000),
                (53, 12_345_678, 10_000_000),
                (51, 1_900_000, 1_000_000),
            ],
        ),
    )
    .await;
    // Two filings for the quarter ending 2026-09: the chart's tax is their sum.
    for (tax_type, fen) in [
        (tax_filing::TaxType::VatSurcharge, 1_000_000),
        (tax_filing::TaxType::CitPrepay, 234_000),
    ] {
        filing(
            &app,
            firm_id,
            customer_id,
            tax_type,
            tax_filing::Status::Filed,
            fen,
        )
        .await;
    }
    let me = app.current_employee("wwsec00004-boss").await;
    let view = reports::view(&app.state, &me, customer_id, None)
        .await
        .unwrap();
    assert_eq!(view.period, "2026-10");
    assert!(view.imbalances.is_empty(), "{:?}", view.imbalances);
    assert_eq!(view.chart_svg.matches("class=\"bar\"").count(), 2);
    // Each month's revenue and net profit (rows 1 and 32) and tax as the chart reads them.
    assert!(
        view.chart_svg
            .contains("2026-09 收入5.0万 净利润4000 税1.2万")
    );
    assert!(view.chart_svg.contains("2026-10 收入6.0万 净利润5000 税0"));
    assert!(view.message.unwrap().contains("营业收入¥60,000.00"));
    let (name, bytes) = reports::workbook(&app.state, &me, customer_id, p("2026-10"))
        .await
        .unwrap();
    assert!(name.ends_with("2026-10财务报表.xlsx"));
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let bs = book.worksheet_range("资产负债表").unwrap();
    let cell = |r: u32, c: u32| bs.get_value((r, c)).and_then(|v| v.as_f64()).unwrap();
    assert_eq!(cell(3 + 29, 2), 123_456.78);
    assert_eq!(cell(3 + 29, 2), cell(3 + 52, 2));

    // Stored data that does not balance is reported and not sent.
    app.state
        .db
        .write()
        .execute_unprepared("DELETE FROM financial_report WHERE report_type = 'balance_sheet'")
        .await
        .unwrap();
    report(
        &app,
        firm_id,
        customer_id,
        "2026-10",
        BalanceSheet,
        lines(
            53,
            &[
                (30, 12_345_678, 10_000_000),
                (53, 12_345_600, 10_000_000),
                (51, 1_900_000, 1_000_000),
            ],
        ),
    )
    .await;
    let view = reports::view(&app.state, &me, customer_id, Some(p("2026-10")))
        .await
        .unwrap();
    assert!(
        view.imbalances[0].message.contains("资产负债表不平衡"),
        "{:?}",
        view.imbalances
    );
    assert!(view.message.is_none());
    let err = reports::workbook(&app.state, &me, customer_id, p("2026-10"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("不平衡"), "{err}");
    let plain = app.current_employee("wwsec00004-plain").await;
    assert!(matches!(
        reports::view(&app.state, &plain, customer_id, None)
            .await
            .unwrap_err(),
        AppError::Forbidden(_)
    ));
}

#[tokio::test]
async fn the_statements_go_out_as_an_image_only_when_they_balance() {
    let app = spawn_app().await;
    let (firm_id, customer_id) = setup(&app, "wwsec00005").await;
    use financial_report::ReportType::*;
    report(
        &app,
        firm_id,
        customer_id,
        "2026-10",
        IncomeStatement,
        lines(
            32,
            &[
                (1, 6_000_000, 54_000_000),
                (30, 500_000, 900_000),
                (32, 500_000, 900_000),
            ],
        ),
    )
    .await;
    report(
        &app,
        firm_id,
        customer_id,
        "2026-10",
        BalanceSheet,
        lines(
            53,
            &[
                (30, 12_345_678, 10_000_000),
                (53, 12_345_678, 10_000_000),
                (51, 1_900_000, 1_000_000),
            ],
        ),
    )
    .await;
    let boss = app.signed_in("wwsec00005-boss").await;
    let page = format!("/sidebar/customers/{customer_id}/reports");
    let html = boss.fragment(&page).await.text().await.unwrap();
    assert!(
        html.contains(&format!("href=\"{page}/2026-10.png\"")),
        "the image is offered beside the workbook: {html}"
    );
    let r = boss.get(&format!("{page}/2026-10.png")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with("%2Epng"),
        "downloaded as a PNG file"
    );
    let png = r.bytes().await.unwrap();
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
    assert_eq!(
        pixmap.width(),
        (zhangfang::render::report::WIDTH * zhangfang::render::report::SCALE) as u32
    );
    assert!(pixmap.height() > pixmap.width(), "one tall image");

    // Sending needs the CSRF header.
    let send = boss.url(&format!("{page}/2026-10/image/media"));
    let r = boss.client.post(&send).send().await.unwrap();
    assert_eq!(r.status(), 403);

    // Not balancing: no image, no send, the reason instead.
    app.state
        .db
        .write()
        .execute_unprepared("DELETE FROM financial_report WHERE report_type = 'balance_sheet'")
        .await
        .unwrap();
    report(
        &app,
        firm_id,
        customer_id,
        "2026-10",
        BalanceSheet,
        lines(
            53,
            &[
                (30, 12_345_678, 10_000_000),
                (53, 12_345_600, 10_000_000),
                (51, 1_900_000, 1_000_000),
            ],
        ),
    )
    .await;
    let r = boss.get(&format!("{page}/2026-10.png")).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("不平衡"), "{body}");
    let token = boss.csrf_token("/sidebar").await;
    let r = boss
        .client
        .post(&send)
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = boss.fragment(&page).await.text().await.unwrap();
    assert!(!html.contains("2026-10.png") && html.contains("id=\"imbalances\""));

    // Another firm's customer is not found; a staff member without 报表 is refused.
    let other = app.signed_in("wwsec00005-plain").await;
    assert_eq!(
        other.get(&format!("{page}/2026-10.png")).await.status(),
        403
    );
    let (_, foreign) = setup(&app, "wwsec00006").await;
    assert_eq!(
        boss.get(&format!("/sidebar/customers/{foreign}/reports/2026-10.png"))
            .await
            .status(),
        404
    );
}

/// A customer without statements for the period: the section says so and offers nothing to
/// download or send, and the download and send endpoints refuse instead of an empty file.
#[tokio::test]
async fn a_period_without_statements_offers_nothing_to_send() {
    let app = spawn_app().await;
    let (_, customer_id) = setup(&app, "wwsec00007").await;
    let boss = app.signed_in("wwsec00007-boss").await;
    let page = format!("/sidebar/customers/{customer_id}/reports");
    let html = boss.fragment(&page).await.text().await.unwrap();
    assert!(html.contains("id=\"no-report\""), "{html}");
    assert!(
        !html.contains(".xlsx")
            && !html.contains("data-send-media")
            && !html.contains("<select")
            && !html.contains("class=\"chart\""),
        "no empty chart, period list, download or send: {html}"
    );
    let period = zhangfang::domain::period::Period::of_date(zhangfang::domain::clock::today_local(
        app.clock_now(),
    ))
    .prev();
    for path in [
        format!("{page}/{period}.xlsx"),
        format!("{page}/{period}.png"),
    ] {
        let r = boss.get(&path).await;
        assert_eq!(r.status(), 422, "{path}");
        assert!(r.text().await.unwrap().contains("没有报表数据"));
    }
    let token = boss.csrf_token("/sidebar").await;
    for path in [
        format!("{page}/{period}/media"),
        format!("{page}/{period}/image/media"),
    ] {
        let r = boss
            .client
            .post(boss.url(&path))
            .header("x-csrf-token", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{path}");
    }
}

/// On 2026-11-26 the return being filed is October's; rows already made for November (which
/// cannot be filed before it ends) are not what the section opens on, but can still be picked.
#[tokio::test]
async fn filings_open_on_the_period_being_filed_now() {
    let app = spawn_app().await;
    let (firm_id, customer_id) = setup(&app, "wwsec00008").await;
    for period in ["2026-10", "2026-11"] {
        filing_for(
            &app,
            firm_id,
            customer_id,
            (p(period), p(period)),
            tax_filing::TaxType::VatSurcharge,
            tax_filing::Status::Pending,
            0,
        )
        .await;
    }
    let me = app.current_employee("wwsec00008-boss").await;
    let view = filings::view(&app.state, &me, customer_id, None)
        .await
        .unwrap();
    assert_eq!(view.period, "2026-10");
    assert_eq!(view.periods, vec!["2026-11", "2026-10"]);
    let later = filings::view(&app.state, &me, customer_id, Some(p("2026-11")))
        .await
        .unwrap();
    assert_eq!(later.period, "2026-11");
    assert_eq!(later.lines.len(), 1);
}
