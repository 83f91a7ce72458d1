//! Sending from the part-2 sections: the pages know the chat the panel opened them for, offer
//! their receipts, collection details and reports for the chat, keep the chat through their
//! forms, and the send log records images and files.

use crate::helpers::Browser;
use crate::sidebar_customers::world;

const CHAT: &str = "chat_type=group&chat_key=wrGROUP";
/// The chat as it appears inside an HTML attribute.
const CHAT_ATTR: &str = "chat_type=group&#38;chat_key=wrGROUP";

async fn text(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// A form post as htmx sends it from inside the panel.
async fn hx_post(b: &Browser, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    b.client
        .post(b.url(path))
        .header("hx-request", "true")
        .header("accept", "text/html")
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn billing_keeps_the_chat_offers_the_new_receipt_and_logs_the_image_sent() {
    let w = world().await;
    let jia = w.jia;
    w.app
        .add_receivable(w.firm_id, jia, "2026-07", "2026-09", 90000, "2026-07-15")
        .await;
    let boss = w.app.signed_in("boss").await;
    let page = format!("/sidebar/customers/{jia}/billing");

    // Outside a chat there is nothing to send to.
    let (status, html) = text(boss.fragment(&page).await).await;
    assert_eq!(status, 200, "{html}");
    assert!(!html.contains("data-send-media"));
    assert!(html.contains("id=\"section-billing\""));

    let (_, html) = text(boss.fragment(&format!("{page}?{CHAT}")).await).await;
    assert!(
        html.contains(&format!("hx-post=\"{page}/payments?{CHAT_ATTR}\"")),
        "{html}"
    );
    assert!(html.contains("hx-target=\"closest .section\""));
    let token = boss.csrf_token("/sidebar").await;

    // A refused confirmation answers the section with the reason, for htmx to swap in.
    let r = hx_post(
        &boss,
        &format!("{page}/payments?{CHAT}"),
        &[
            ("csrf", &token),
            ("amount", "abc"),
            ("method", "transfer"),
            ("paid_on", "2026-11-20"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("金额“abc”格式不正确") && html.contains("id=\"section-billing\""));
    assert!(!html.contains("<html"), "only the section");

    let r = hx_post(
        &boss,
        &format!("{page}/payments?{CHAT}"),
        &[
            ("csrf", &token),
            ("amount", "500"),
            ("method", "transfer"),
            ("paid_on", "2026-11-20"),
        ],
    )
    .await;
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{page}?done=")), "{location}");
    assert!(location.ends_with(CHAT), "the chat is kept: {location}");
    let r = boss.fragment(&location).await;
    assert_eq!(
        r.headers()["hx-trigger"],
        "zf-summary",
        "the panel refreshes its summary"
    );
    let (_, html) = text(r).await;
    let receipt_id = w.app.count("SELECT MAX(id) FROM receipt").await;
    assert!(html.contains("发送收据到聊天"), "{html}");
    assert!(html.contains(&format!(
        "data-send-media=\"{page}/receipts/{receipt_id}/media\" data-msgtype=\"image\" data-scene=\"receipt\""
    )));
    assert!(html.contains("data-chat-key=\"wrGROUP\""));

    // The bridge sent the image; the send is logged as one.
    let jia_s = jia.to_string();
    let r = boss
        .post_form(
            "/sidebar/sends",
            &[
                ("csrf", &token),
                ("customer_id", &jia_s),
                ("chat_type", "group"),
                ("chat_key", "wrGROUP"),
                ("scene", "receipt"),
                ("msgtype", "image"),
                ("content", "收据SJ-2026-000001.png"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM message_log WHERE scene = 'receipt' AND msg_type = 'image' AND target_id = 'wrGROUP'")
            .await,
        1
    );

    // The dunning preview is a send form for the same chat.
    let r = hx_post(
        &boss,
        &format!("{page}/dunning?{CHAT}"),
        &[
            ("csrf", &token),
            ("period_from", "2026-07"),
            ("period_to", "2026-09"),
            ("amount", ""),
        ],
    )
    .await;
    let (status, html) = text(r).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("data-send-form") && html.contains("value=\"dunning\""),
        "{html}"
    );
    assert!(html.contains("name=\"chat_key\" value=\"wrGROUP\""));
}

#[tokio::test]
async fn collection_reports_and_filings_offer_their_sends_for_the_chat() {
    let w = world().await;
    let jia = w.jia;
    let boss = w.app.signed_in("boss").await;
    let token = boss.csrf_token("/sidebar").await;
    let r = hx_post(
        &boss,
        &format!("/sidebar/customers/{jia}/collection?{CHAT}"),
        &[
            ("csrf", &token),
            ("period", "2026-10"),
            ("count_0", "3"),
            ("amount_0", "1200"),
        ],
    )
    .await;
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.ends_with(CHAT), "{location}");
    let (_, html) = text(boss.fragment(&location).await).await;
    let collection_id = w.app.count("SELECT MAX(id) FROM invoice_collection").await;
    assert!(html.contains(&format!(
        "data-send-media=\"/sidebar/customers/{jia}/collection/{collection_id}/media\" data-msgtype=\"image\" data-scene=\"collection\""
    )), "{html}");

    // A period with a statement, so there is a period to pick.
    crate::sections::report(
        &w.app,
        w.firm_id,
        jia,
        "2026-10",
        zhangfang::db::entities::financial_report::ReportType::IncomeStatement,
        serde_json::json!([]),
    )
    .await;
    let (status, html) = text(
        boss.fragment(&format!("/sidebar/customers/{jia}/reports?{CHAT}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"section-reports\""));
    assert!(
        html.contains("name=\"chat_key\" value=\"wrGROUP\""),
        "the period picker keeps the chat: {html}"
    );
    assert!(html.contains("hx-trigger=\"change\""));

    let (status, html) = text(
        boss.fragment(&format!("/sidebar/customers/{jia}/filings?{CHAT}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("name=\"chat_key\" value=\"wrGROUP\""));
    let (status, html) = text(
        boss.fragment(&format!("/sidebar/customers/{jia}/invoices?{CHAT}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"section-invoices\"") && html.contains("value=\"wrGROUP\""));

    // A chat that is not the firm's is refused, not carried along.
    let (status, _) = text(
        boss.fragment(&format!(
            "/sidebar/customers/{jia}/billing?chat_type=room&chat_key=x"
        ))
        .await,
    )
    .await;
    assert_eq!(status, 400);
}
