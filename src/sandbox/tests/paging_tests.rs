//! Cursors walk the whole data exactly once, in a stable order, at profile-L scale.

use std::collections::HashSet;
use std::time::Instant;

use serde_json::{Value, json};

use super::builder::{self, id};
use super::{app, errcode, get, json, post_json, sandbox_with, token};
use crate::sandbox::{ContactChangeType, ExternalContactEvent, SandboxEvent, SandboxOptions};
use crate::seed::WecomDataset;

/// Every (member, contact) follow of the dataset for `users`, in member order.
fn expected_follows(ds: &WecomDataset, users: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for u in users {
        for c in &ds.external_contacts {
            for f in &c.follow_users {
                if &f.userid == u {
                    out.push((u.clone(), c.external_userid.clone()));
                }
            }
        }
    }
    out
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v["external_contact_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["follow_info"]["userid"].as_str().unwrap().to_string(),
                i["external_contact"]["external_userid"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn batch_get_by_user_walks_everything_once() {
    let ds = builder::large(30, 2000, 0);
    let users: Vec<String> = (0..30).map(|i| format!("m{i:04}")).collect();
    let expected = expected_follows(&ds, &users);
    assert!(expected.len() > 2000);
    let (sb, _) = sandbox_with(ds, SandboxOptions::default());
    let app = app!(sb);
    let t = token!(app);
    let uri = format!("/cgi-bin/externalcontact/batch/get_by_user?access_token={t}");
    for limit in [Some(1), Some(37), Some(100), None] {
        let mut cursor = String::new();
        let mut got = Vec::new();
        let mut pages = 0;
        loop {
            let mut body = json!({"userid_list": users, "cursor": cursor});
            if let Some(l) = limit {
                body["limit"] = json!(l);
            }
            let v = json(&app, post_json(&uri, &body).to_request()).await;
            assert_eq!(errcode(&v), 0, "{v}");
            let page = pairs(&v);
            assert!(page.len() <= limit.unwrap_or(50));
            got.extend(page);
            pages += 1;
            cursor = v["next_cursor"].as_str().unwrap().to_string();
            if cursor.is_empty() {
                break;
            }
            // A cursor resumes only the query it came from.
            if pages == 1 {
                let other = json!({"userid_list": ["m0000"], "cursor": cursor});
                let v = json(&app, post_json(&uri, &other).to_request()).await;
                assert_eq!(errcode(&v), 40058);
            }
        }
        assert_eq!(got, expected, "limit {limit:?}");
        let size = limit.unwrap_or(50);
        assert_eq!(
            pages,
            expected.len().div_ceil(size),
            "no empty trailing page"
        );
    }
}

#[actix_web::test]
async fn batch_cursor_survives_new_contacts() {
    let ds = builder::large(3, 30, 0);
    let (sb, _) = sandbox_with(ds.clone(), SandboxOptions::default());
    let app = app!(sb);
    let t = token!(app);
    let users: Vec<String> = (0..3).map(|i| format!("m{i:04}")).collect();
    let before = expected_follows(&ds, &users);
    let uri = format!("/cgi-bin/externalcontact/batch/get_by_user?access_token={t}");
    let v = json(
        &app,
        post_json(&uri, &json!({"userid_list": users, "limit": 5})).to_request(),
    )
    .await;
    let mut got = pairs(&v);
    let mut cursor = v["next_cursor"].as_str().unwrap().to_string();
    // Between pages a customer adds m0000 (already walked past) and m0002 (not yet reached).
    for u in ["m0000", "m0002"] {
        let mut e = ExternalContactEvent::new(ContactChangeType::AddExternalContact, u, None);
        e.external_userid = Some(format!("wmNew{u}000000000000000000000000"));
        sb.apply_event(SandboxEvent::ChangeExternalContact(e))
            .unwrap();
    }
    while !cursor.is_empty() {
        let v = json(
            &app,
            post_json(
                &uri,
                &json!({"userid_list": users, "limit": 5, "cursor": cursor}),
            )
            .to_request(),
        )
        .await;
        got.extend(pairs(&v));
        cursor = v["next_cursor"].as_str().unwrap().to_string();
    }
    let unique: HashSet<_> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "nothing twice");
    for p in &before {
        assert!(got.contains(p), "nothing missed: {p:?}");
    }
    assert!(got.contains(&("m0002".into(), "wmNewm0002000000000000000000000000".into())));
}

#[actix_web::test]
async fn groupchat_list_walks_everything_once() {
    let ds = builder::large(7, 10, 2345);
    let all: Vec<String> = ds.group_chats.iter().map(|g| g.chat_id.clone()).collect();
    let owned_by_m3: Vec<String> = ds
        .group_chats
        .iter()
        .filter(|g| g.owner == "m0003" || g.owner == "m0005")
        .map(|g| g.chat_id.clone())
        .collect();
    let (sb, _) = sandbox_with(ds, SandboxOptions::default());
    let app = app!(sb);
    let t = token!(app);
    let uri = format!("/cgi-bin/externalcontact/groupchat/list?access_token={t}");
    let walk = |extra: Value, limit: u32| {
        let uri = uri.clone();
        let app = &app;
        async move {
            let mut cursor = String::new();
            let mut got = Vec::new();
            loop {
                let mut body = extra.clone();
                body["limit"] = json!(limit);
                body["cursor"] = json!(cursor);
                let v = json(app, post_json(&uri, &body).to_request()).await;
                assert_eq!(errcode(&v), 0, "{v}");
                let page = v["group_chat_list"].as_array().unwrap();
                assert!(page.len() <= limit as usize);
                got.extend(
                    page.iter()
                        .map(|g| g["chat_id"].as_str().unwrap().to_string()),
                );
                cursor = v["next_cursor"].as_str().unwrap().to_string();
                if cursor.is_empty() {
                    return got;
                }
            }
        }
    };
    assert_eq!(walk(json!({}), 1000).await, all);
    assert_eq!(walk(json!({}), 7).await, all);
    assert_eq!(walk(json!({"status_filter": 0}), 500).await, all);
    let filter = json!({"owner_filter": {"userid_list": ["m0005", "m0003", "m0003", "ghost"]}});
    assert_eq!(walk(filter.clone(), 11).await, owned_by_m3);
    assert_eq!(walk(filter, 1000).await, owned_by_m3);
    assert_eq!(
        walk(json!({"status_filter": 2}), 10).await,
        Vec::<String>::new()
    );

    // A cursor is bound to its filter.
    let v = json(&app, post_json(&uri, &json!({"limit": 3})).to_request()).await;
    let cursor = v["next_cursor"].as_str().unwrap();
    let v = json(
        &app,
        post_json(
            &uri,
            &json!({"limit": 3, "cursor": cursor, "owner_filter": {"userid_list": ["m0001"]}}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 40058);
}

#[actix_web::test]
async fn externalcontact_get_pages_follow_users_at_500() {
    let ds = builder::wide_contact(1234);
    let (sb, _) = sandbox_with(ds, SandboxOptions::default());
    let app = app!(sb);
    let t = token!(app);
    let ext = id("wm", 7);
    let mut cursor = String::new();
    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    loop {
        let v = json(&app, get(&format!("/cgi-bin/externalcontact/get?access_token={t}&external_userid={ext}&cursor={cursor}")).to_request()).await;
        assert_eq!(errcode(&v), 0, "{v}");
        assert_eq!(v["external_contact"]["external_userid"], ext.as_str());
        let page = v["follow_user"].as_array().unwrap();
        sizes.push(page.len());
        seen.extend(
            page.iter()
                .map(|f| f["userid"].as_str().unwrap().to_string()),
        );
        cursor = v["next_cursor"].as_str().unwrap().to_string();
        if cursor.is_empty() {
            break;
        }
        // The cursor belongs to this contact.
        let v = json(
            &app,
            get(&format!(
                "/cgi-bin/externalcontact/get?access_token={t}&external_userid={}&cursor={cursor}",
                id("wm", 8)
            ))
            .to_request(),
        )
        .await;
        assert_ne!(errcode(&v), 0);
    }
    assert_eq!(sizes, vec![500, 500, 234]);
    let expected: Vec<String> = (0..1234).map(|i| format!("m{i:04}")).collect();
    assert_eq!(seen, expected);
}

#[actix_web::test]
async fn externalcontact_get_exactly_500_has_no_next_page() {
    let ds = builder::wide_contact(500);
    let (sb, _) = sandbox_with(ds, SandboxOptions::default());
    let app = app!(sb);
    let t = token!(app);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={}",
            id("wm", 7)
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["follow_user"].as_array().unwrap().len(), 500);
    assert_eq!(v["next_cursor"], "");
}

/// Profile L: 10,000 contacts and 4,500 groups are indexed at construction and walked page by
/// page without quadratic work.
#[actix_web::test]
async fn profile_l_scale() {
    let started = Instant::now();
    let ds = builder::large(120, 10_000, 4_500);
    let users: Vec<String> = (0..100).map(|i| format!("m{i:04}")).collect();
    let expected = expected_follows(&ds, &users).len();
    let (sb, _) = sandbox_with(ds, SandboxOptions::default());
    let app = app!(sb);
    let t = token!(app);

    let uri = format!("/cgi-bin/externalcontact/batch/get_by_user?access_token={t}");
    let mut cursor = String::new();
    let mut total = 0;
    loop {
        let v = json(
            &app,
            post_json(
                &uri,
                &json!({"userid_list": users, "cursor": cursor, "limit": 100}),
            )
            .to_request(),
        )
        .await;
        total += v["external_contact_list"].as_array().unwrap().len();
        cursor = v["next_cursor"].as_str().unwrap().to_string();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(total, expected);

    let uri = format!("/cgi-bin/externalcontact/groupchat/list?access_token={t}");
    let mut cursor = String::new();
    let mut groups = 0;
    loop {
        let v = json(
            &app,
            post_json(&uri, &json!({"cursor": cursor, "limit": 100})).to_request(),
        )
        .await;
        groups += v["group_chat_list"].as_array().unwrap().len();
        cursor = v["next_cursor"].as_str().unwrap().to_string();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(groups, 4_500);

    // Point lookups stay map lookups.
    for i in (0..10_000).step_by(997) {
        let v = json(
            &app,
            get(&format!(
                "/cgi-bin/externalcontact/get?access_token={t}&external_userid={}",
                id("wm", i)
            ))
            .to_request(),
        )
        .await;
        assert_eq!(errcode(&v), 0);
    }
    // Generous bound: catches quadratic behaviour (minutes), not machine speed.
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
}
