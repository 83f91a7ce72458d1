//! Receipt numbers: unique per firm, gapless per year, even when issued at once.

use zhangfang::services::receipts;

use crate::helpers::spawn_app;

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

#[tokio::test]
async fn receipt_numbers_issued_at_once_are_unique_and_gapless() {
    let app = spawn_app().await;
    let firm = app.add_firm("wwreceipts00001", "Token", KEY).await;
    let other = app.add_firm("wwreceipts00002", "Token", KEY).await;
    let now = app.clock_now();
    let takers = (0..40).map(|i| {
        let db = app.state.db.clone();
        let firm_id = firm.firm_id;
        async move {
            let txn = db.begin_write().await.unwrap();
            let no = receipts::next_number(&txn, firm_id, 2026, now)
                .await
                .unwrap();
            // Every fourth issuer fails after taking its number: the number goes back.
            if i % 4 == 3 {
                txn.rollback().await.unwrap();
                None
            } else {
                txn.commit().await.unwrap();
                Some(no)
            }
        }
    });
    let mut issued: Vec<String> = futures_util::future::join_all(takers)
        .await
        .into_iter()
        .flatten()
        .map(|n| n.to_string())
        .collect();
    issued.sort();
    let expected: Vec<String> = (1..=30).map(|n| format!("SJ-2026-{n:06}")).collect();
    assert_eq!(
        issued, expected,
        "30 committed receipts numbered 1..=30, no gaps"
    );
    // Another firm and another year count on their own.
    let txn = app.state.db.begin_write().await.unwrap();
    assert_eq!(
        receipts::next_number(&txn, other.firm_id, 2026, now)
            .await
            .unwrap()
            .to_string(),
        "SJ-2026-000001"
    );
    assert_eq!(
        receipts::next_number(&txn, firm.firm_id, 2027, now)
            .await
            .unwrap()
            .to_string(),
        "SJ-2027-000001"
    );
    txn.commit().await.unwrap();
}
