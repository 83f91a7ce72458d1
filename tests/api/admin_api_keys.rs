//! `/admin/api-keys`: admins create keys with scopes (shown once), see them by prefix only, and
//! revoke them; staff and other firms cannot.

use reqwest::StatusCode;
use zhangfang::services::api_keys;
use zhangfang::services::audit::Who;

use crate::sidebar_customers::world;

async fn text(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// The key the page shows once, from its `<code id="new-key-value">`.
fn shown_key(html: &str) -> String {
    let start = html.find("id=\"new-key-value\">").expect("the new key") + 19;
    let end = start + html[start..].find('<').unwrap();
    html[start..end].to_string()
}

#[tokio::test]
async fn an_admin_creates_a_scoped_key_sees_it_once_and_revokes_it() {
    let w = world().await;
    let admin = w.app.signed_in_back_office("boss").await;
    let (status, html) = text(admin.get("/admin/api-keys").await).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("还没有密钥") && html.contains("href=\"/admin/api-keys\""));
    let token = admin.csrf_token("/admin/api-keys").await;

    // No scope at all is refused with a reason, and nothing is stored.
    let r = admin
        .post_form(
            "/admin/api-keys",
            &[
                ("csrf", &token),
                ("name", "夜间同步"),
                ("scope.customers", ""),
            ],
        )
        .await;
    let (status, html) = text(r).await;
    assert_eq!(status, 422);
    assert!(html.contains("请至少为一种资源选择"), "{html}");
    assert!(
        html.contains("value=\"夜间同步\""),
        "the form keeps what was typed"
    );
    assert_eq!(w.app.count("SELECT COUNT(*) FROM api_key").await, 0);

    let r = admin
        .post_form(
            "/admin/api-keys",
            &[
                ("csrf", &token),
                ("name", "夜间同步"),
                ("scope.customers", "write"),
                ("scope.invoices", "read"),
            ],
        )
        .await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    let (status, html) = text(r).await;
    assert_eq!(status, 200, "{html}");
    let key = shown_key(&html);
    assert!(key.starts_with("zf_") && key.len() > 30, "{key}");
    assert!(html.contains("客户（读写）、发票（只读）"), "{html}");

    // The key works within its scopes.
    let api = |path: &str| w.app.client.get(w.app.url(path)).bearer_auth(&key).send();
    assert_eq!(
        api("/api/v1/customers").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        api("/api/v1/invoices").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        api("/api/v1/contracts").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let r = w
        .app
        .client
        .post(w.app.url("/api/v1/invoices"))
        .bearer_auth(&key)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "invoices are read-only");

    // Afterwards only the prefix is shown.
    let (_, html) = text(admin.get("/admin/api-keys").await).await;
    assert!(!html.contains(&key), "the full key is never shown again");
    assert!(html.contains(&format!("{}…", &key[..10])));
    assert!(html.contains("有效"));

    let id = w.app.count("SELECT MAX(id) FROM api_key").await;
    let r = admin
        .post_form(&format!("/admin/api-keys/{id}/revoke"), &[("csrf", &token)])
        .await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, html) = text(admin.get(&location).await).await;
    assert!(
        html.contains("密钥「夜间同步」已停用") && html.contains("已停用"),
        "{html}"
    );
    assert_eq!(
        api("/api/v1/customers").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action IN ('api_key.create', 'api_key.revoke')")
            .await,
        2
    );
}

#[tokio::test]
async fn staff_a_missing_token_and_another_firm_are_refused() {
    let w = world().await;
    let staff = w.app.signed_in_back_office("staff").await;
    let (status, html) = text(staff.get("/admin/api-keys").await).await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("仅管理员"));
    let token = staff.csrf_token("/admin").await;
    let r = staff
        .post_form(
            "/admin/api-keys",
            &[("csrf", &token), ("name", "x"), ("all", "1")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM api_key").await, 0);

    let admin = w.app.signed_in_back_office("boss").await;
    let r = admin
        .post_form("/admin/api-keys", &[("name", "x"), ("all", "1")])
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(w.app.count("SELECT COUNT(*) FROM api_key").await, 0);

    // Another firm's key: not listed, and not revocable by guessing its id.
    let other_firm = w
        .app
        .count("SELECT firm_id FROM customer WHERE name = '别家公司'")
        .await;
    let theirs = api_keys::create(
        &w.app.state.ctx,
        &Who::system(other_firm, "test"),
        "别家的密钥",
        "all",
    )
    .await
    .unwrap();
    let (_, html) = text(admin.get("/admin/api-keys").await).await;
    assert!(!html.contains("别家的密钥") && !html.contains(&theirs.prefix));
    let token = admin.csrf_token("/admin/api-keys").await;
    let r = admin
        .post_form(
            &format!("/admin/api-keys/{}/revoke", theirs.id),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM api_key WHERE revoked_at IS NOT NULL")
            .await,
        0
    );
    let r = w
        .app
        .client
        .get(w.app.url("/api/v1/customers"))
        .bearer_auth(&theirs.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
