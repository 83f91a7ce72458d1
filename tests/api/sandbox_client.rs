//! Our WeCom client and token cache against the sandbox serving the demo corp over real HTTP:
//! behaviour (paging, faults, expiry, writes), where the wiremock tests check request shapes.

use std::sync::Arc;

use actix_web::{App, HttpServer};
use chrono::NaiveDate;
use zhangfang::config::Secret;
use zhangfang::domain::clock::Clock;
use zhangfang::sandbox::{Fault, Sandbox, SandboxOptions};
use zhangfang::seed::{self, Profile, WecomDataset};
use zhangfang::services::firms::{self, NewApp};
use zhangfang::services::token_store::DbTokenStore;
use zhangfang::wecom::api::{
    AppMessage, GroupChatListRequest, MarkTagRequest, MediaKind, OAuthIdentity, WecomApi,
};
use zhangfang::wecom::http_api::HttpWecomApi;
use zhangfang::wecom::token_cache::{AppCredentials, TokenCache};

use crate::helpers::{TestApp, spawn_app};

struct Rig {
    app: TestApp,
    sandbox: Sandbox,
    dataset: WecomDataset,
    cache: Arc<TokenCache>,
    firm_id: i64,
    app_id: i64,
    creds: AppCredentials,
}

async fn rig() -> Rig {
    let app = spawn_app().await;
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let dataset = seed::wecom_dataset(Profile::Demo, seed::DEMO_SEED, as_of);
    let clock = app.clock.clone();
    let sandbox = Sandbox::with_clock(
        dataset.clone(),
        SandboxOptions::default(),
        Arc::new(move || clock.now()),
    );
    let served = sandbox.clone();
    let server = HttpServer::new(move || {
        let sb = served.clone();
        App::new().configure(move |cfg| sb.configure(cfg))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    tokio::spawn(server.run());

    let firm = firms::create_firm(
        app.state.db.write(),
        &dataset.corp_id,
        &dataset.corp_name,
        false,
        app.clock.now(),
    )
    .await
    .unwrap();
    let registered = firms::add_app(
        app.state.db.write(),
        &app.state.secrets,
        firm.id,
        NewApp {
            agent_id: dataset.app.agent_id.clone(),
            name: dataset.app.name.clone(),
            kind: zhangfang::db::entities::wecom_app::Kind::SelfBuilt,
            suite_id: None,
            secret: Some(Secret::new(dataset.app.secret.clone())),
            token: Secret::new(dataset.app.token.clone()),
            encoding_aes_key: Secret::new(dataset.app.encoding_aes_key.clone()),
            is_primary: true,
        },
        app.clock.now(),
    )
    .await
    .unwrap();
    let api = HttpWecomApi::new(url::Url::parse(&format!("http://{address}")).unwrap()).unwrap();
    let clock = app.clock.clone();
    let cache = Arc::new(TokenCache::new(
        Arc::new(api),
        Arc::new(DbTokenStore::new(
            app.state.db.clone(),
            app.state.secrets.clone(),
        )),
        Arc::new(move || clock.now()),
        "rig".into(),
    ));
    Rig {
        creds: AppCredentials {
            corp_id: dataset.corp_id.clone(),
            secret: dataset.app.secret.clone(),
        },
        firm_id: firm.id,
        app_id: registered.id,
        app,
        sandbox,
        dataset,
        cache,
    }
}

impl Rig {
    async fn call<T, F, Fut>(&self, f: F) -> Result<T, zhangfang::wecom::token_cache::TokenError>
    where
        F: Fn(Arc<dyn WecomApi>, String) -> Fut,
        Fut: std::future::Future<Output = Result<T, zhangfang::wecom::errors::WecomError>>,
    {
        let api = self.cache.api().clone();
        self.cache
            .with_access_token(self.firm_id, self.app_id, &self.creds, |token| {
                f(api.clone(), token)
            })
            .await
    }
}

#[tokio::test]
async fn a_full_customer_sync_walks_every_page_exactly_once() {
    let r = rig().await;
    let followers = r
        .call(|api, t| async move { api.get_follow_user_list(&t).await })
        .await
        .unwrap();
    assert!(!followers.is_empty());
    let mut seen = std::collections::BTreeSet::new();
    for chunk in followers.chunks(100) {
        let users: Vec<String> = chunk.to_vec();
        let mut cursor: Option<String> = None;
        loop {
            let (users, c) = (users.clone(), cursor.clone());
            let page = r
                .call(move |api, t| {
                    let (users, c) = (users.clone(), c.clone());
                    async move {
                        api.batch_get_external_contacts(&t, &users, c.as_deref(), 7)
                            .await
                    }
                })
                .await
                .unwrap();
            for item in &page.external_contact_list {
                seen.insert((
                    item.external_contact.external_userid.clone(),
                    item.follow_info.userid.clone(),
                ));
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    let expected: std::collections::BTreeSet<_> = r
        .dataset
        .external_contacts
        .iter()
        .flat_map(|c| {
            c.follow_users
                .iter()
                .map(move |f| (c.external_userid.clone(), f.userid.clone()))
        })
        .collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn group_chats_page_with_real_cursors_and_details_match_the_seed() {
    let r = rig().await;
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let c = cursor.clone();
        let page = r
            .call(move |api, t| {
                let c = c.clone();
                async move {
                    let request = GroupChatListRequest {
                        cursor: c,
                        limit: 5,
                        ..Default::default()
                    };
                    api.list_group_chats(&t, &request).await
                }
            })
            .await
            .unwrap();
        ids.extend(page.group_chat_list.iter().map(|g| g.chat_id.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(ids.len(), r.dataset.group_chats.len());
    let first = &r.dataset.group_chats[0];
    let chat_id = first.chat_id.clone();
    let chat = r
        .call(move |api, t| {
            let chat_id = chat_id.clone();
            async move { api.get_group_chat(&t, &chat_id, true).await }
        })
        .await
        .unwrap();
    assert_eq!(chat.name, first.name);
    assert_eq!(chat.owner, first.owner);
    assert_eq!(chat.member_list.len(), first.members.len());
}

#[tokio::test]
async fn members_come_without_mobile_numbers_as_for_new_apps() {
    let r = rig().await;
    let member = r.dataset.members[0].clone();
    let userid = member.userid.clone();
    let user = r
        .call(move |api, t| {
            let userid = userid.clone();
            async move { api.get_user(&t, &userid).await }
        })
        .await
        .unwrap();
    assert_eq!(user.name, member.name);
    assert!(user.mobile.as_deref().unwrap_or_default().is_empty());
}

#[tokio::test]
async fn an_expiry_injected_by_wecom_costs_one_new_token_and_one_retry() {
    let r = rig().await;
    r.call(|api, t| async move { api.get_follow_user_list(&t).await })
        .await
        .unwrap();
    assert_eq!(r.sandbox.calls("gettoken"), 1);
    r.sandbox.inject(Fault::error(
        "externalcontact/get_follow_user_list",
        42001,
        1,
    ));
    let users = r
        .call(|api, t| async move { api.get_follow_user_list(&t).await })
        .await
        .unwrap();
    assert!(!users.is_empty());
    assert_eq!(r.sandbox.calls("gettoken"), 2);
    assert_eq!(r.sandbox.calls("externalcontact/get_follow_user_list"), 3);
}

#[tokio::test]
async fn two_hundred_concurrent_calls_cost_one_gettoken_at_the_sandbox() {
    let r = Arc::new(rig().await);
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let r = r.clone();
        tasks.push(tokio::spawn(async move {
            r.cache.access_token(r.firm_id, r.app_id, &r.creds).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(r.sandbox.calls("gettoken"), 1);
}

#[tokio::test]
async fn rate_limits_and_busy_answers_are_typed_and_explained() {
    let r = rig().await;
    r.sandbox
        .inject(Fault::error("externalcontact/get_corp_tag_list", 45009, 1));
    let err = r
        .call(|api, t| async move { api.get_corp_tag_list(&t, &[], &[]).await })
        .await
        .unwrap_err();
    let wecom = err.wecom().unwrap();
    assert!(wecom.is_rate_limited());
    assert!(wecom.admin_hint().is_some());
    r.sandbox.inject(Fault::error("gettoken", -1, 1));
    r.app.clock.advance(chrono::Duration::hours(3));
    let tags = r
        .call(|api, t| async move { api.get_corp_tag_list(&t, &[], &[]).await })
        .await
        .unwrap();
    assert_eq!(tags.len(), r.dataset.tag_groups.len());
}

#[tokio::test]
async fn tags_marked_through_the_api_show_on_the_contact() {
    let r = rig().await;
    let contact = r.dataset.external_contacts[0].clone();
    let follow = contact.follow_users[0].userid.clone();
    let tag = r.dataset.tag_groups[0].tags.last().unwrap().id.clone();
    let request = MarkTagRequest {
        userid: follow.clone(),
        external_userid: contact.external_userid.clone(),
        add_tag: vec![tag.clone()],
        remove_tag: vec![],
    };
    r.call(move |api, t| {
        let request = request.clone();
        async move { api.mark_tag(&t, &request).await }
    })
    .await
    .unwrap();
    let id = contact.external_userid.clone();
    let detail = r
        .call(move |api, t| {
            let id = id.clone();
            async move { api.get_external_contact(&t, &id, None).await }
        })
        .await
        .unwrap();
    let tagged = detail
        .follow_user
        .iter()
        .find(|f| f.userid == follow)
        .unwrap()
        .tags
        .iter()
        .any(|t| t.tag_id.as_deref() == Some(tag.as_str()));
    assert!(tagged);
}

#[tokio::test]
async fn media_uploads_and_app_messages_behave_like_wecom() {
    let r = rig().await;
    let media = r
        .call(|api, t| async move {
            api.upload_media(
                &t,
                MediaKind::Image,
                "收据.png",
                "image/png",
                b"\x89PNG\r\n\x1a\nfake-image-bytes".to_vec(),
            )
            .await
        })
        .await
        .unwrap();
    assert!(!media.media_id.is_empty());
    assert!(r.sandbox.media(&media.media_id).is_some());
    let agent: i64 = r.dataset.app.agent_id.parse().unwrap();
    let to = vec![
        r.dataset.members[0].userid.clone(),
        "nosuchuser".to_string(),
    ];
    let result = r
        .call(move |api, t| {
            let message = AppMessage::text_to_users(agent, &to, "测试消息");
            async move { api.send_message(&t, &message).await }
        })
        .await
        .unwrap();
    assert_eq!(result.failed_users(), vec!["nosuchuser".to_string()]);
    assert_eq!(r.sandbox.sent_messages().len(), 1);
}

#[tokio::test]
async fn oauth_codes_from_the_sandbox_identify_the_member_once() {
    let r = rig().await;
    let userid = r.dataset.members[1].userid.clone();
    let code = r.sandbox.issue_code(&userid).unwrap();
    let c = code.clone();
    let identity = r
        .call(move |api, t| {
            let c = c.clone();
            async move { api.auth_get_user_info(&t, &c).await }
        })
        .await
        .unwrap();
    assert!(matches!(identity, OAuthIdentity::Member { userid: ref u, .. } if *u == userid));
    let reused = r
        .call(move |api, t| {
            let c = code.clone();
            async move { api.auth_get_user_info(&t, &c).await }
        })
        .await
        .unwrap_err();
    assert_eq!(reused.wecom().and_then(|e| e.errcode()), Some(40029));
}
