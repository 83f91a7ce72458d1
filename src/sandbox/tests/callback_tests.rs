//! Callbacks sent to a tiny receiving app over real HTTP, verified and decrypted with our own
//! crypto; plus the sandbox served by a real HTTP server.

use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use super::builder::{
    self, AES_KEY, AGENT_ID, ALICE, BOB, CALLBACK_TOKEN, CHAT_A, CORP_ID, GROUP_LEVEL, SECRET,
    TAG_VIP,
};
use super::{app, errcode, get, json, post_json, small_sandbox, token};
use crate::sandbox::{
    ChatChangeType, ChatUpdateDetail, ContactChangeType, ExternalChatEvent, ExternalContactEvent,
    ExternalTagEvent, NewExternalContact, Sandbox, SandboxError, SandboxEvent, SandboxOptions,
    TagChangeType, TagType,
};
use crate::wecom::crypto::CallbackCrypto;
use crate::wecom::xml::{parse_envelope, parse_event};

/// What the receiving app got: query string and body.
type Received = Arc<Mutex<Vec<(String, String)>>>;

struct Receiver {
    url: String,
    got: Received,
    handle: ServerHandle,
}

impl Receiver {
    /// Starts an app on a random loopback port that records each callback and answers
    /// `status` with `answer`.
    async fn start(status: u16, answer: &'static str) -> Self {
        let got: Received = Arc::default();
        let recorded = got.clone();
        let server = HttpServer::new(move || {
            let recorded = recorded.clone();
            App::new().route(
                "/wecom/callback/{corp}",
                web::post().to(move |req: HttpRequest, body: web::Bytes| {
                    let recorded = recorded.clone();
                    async move {
                        recorded.lock().unwrap().push((
                            req.query_string().to_string(),
                            String::from_utf8_lossy(&body).into_owned(),
                        ));
                        HttpResponse::build(StatusCode::from_u16(status).unwrap()).body(answer)
                    }
                }),
            )
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/wecom/callback/{CORP_ID}?firm=1"),
            got,
            handle,
        }
    }

    /// The last callback, verified and decrypted: (plaintext XML, query pairs).
    fn last_decrypted(&self) -> (String, Vec<(String, String)>) {
        let (query, body) = self
            .got
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a callback");
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let q = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let envelope = parse_envelope(body.as_bytes()).expect("envelope XML");
        assert_eq!(envelope.to_user_name.as_deref(), Some(CORP_ID));
        assert_eq!(envelope.agent_id.as_deref(), Some(AGENT_ID));
        let crypto = CallbackCrypto::new(CALLBACK_TOKEN, AES_KEY, CORP_ID).unwrap();
        let decrypted = crypto
            .verify_and_decrypt(
                &q("msg_signature"),
                &q("timestamp"),
                &q("nonce"),
                &envelope.encrypt,
                &[CORP_ID],
            )
            .expect("signature and ciphertext verify");
        assert_eq!(decrypted.receive_id, CORP_ID);
        // A wrong token must not verify.
        let wrong = CallbackCrypto::new("WrongToken", AES_KEY, CORP_ID).unwrap();
        assert!(
            wrong
                .verify_and_decrypt(
                    &q("msg_signature"),
                    &q("timestamp"),
                    &q("nonce"),
                    &envelope.encrypt,
                    &[CORP_ID]
                )
                .is_err()
        );
        (decrypted.msg, pairs)
    }

    async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// Field names and values of an event, in document order.
fn fields(xml: &str) -> Vec<(String, String)> {
    parse_event(xml).expect("event XML parses").to_owned_pairs()
}

fn field<'a>(f: &'a [(String, String)], name: &str) -> Option<&'a str> {
    f.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn names(f: &[(String, String)]) -> Vec<&str> {
    f.iter().map(|(n, _)| n.as_str()).collect()
}

#[actix_web::test]
async fn add_external_contact_is_sealed_like_wecom_and_creates_the_contact() {
    let (sb, clock) = small_sandbox();
    let rx = Receiver::start(200, "").await;
    let new_id = "wmNewCustomer00000000000000000001";
    let mut event = ExternalContactEvent::new(
        ContactChangeType::AddExternalContact,
        "zhangsan",
        Some(new_id),
    );
    event.state = Some("zf_qr_zhangsan".into());
    event.welcome_code = Some("WELCOMECODE123".into());
    event.contact = Some(NewExternalContact {
        name: Some("孙老板".into()),
        remark: Some("孙总-新公司".into()),
        tag_ids: Some(vec![TAG_VIP.into()]),
        ..NewExternalContact::default()
    });
    let (status, body) = sb
        .send_callback(&rx.url, SandboxEvent::ChangeExternalContact(event))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (200, ""));

    let (xml, query) = rx.last_decrypted();
    assert_eq!(
        query.first().map(|(k, v)| (k.as_str(), v.as_str())),
        Some(("firm", "1")),
        "the app's own query stays"
    );
    let timestamp = &query.iter().find(|(k, _)| k == "timestamp").unwrap().1;
    assert_eq!(timestamp, &clock.secs().to_string());
    assert!(xml.starts_with("<xml><ToUserName><![CDATA["), "{xml}");
    let f = fields(&xml);
    assert_eq!(
        names(&f),
        vec![
            "ToUserName",
            "FromUserName",
            "CreateTime",
            "MsgType",
            "Event",
            "ChangeType",
            "UserID",
            "ExternalUserID",
            "State",
            "WelcomeCode"
        ]
    );
    assert_eq!(field(&f, "ToUserName"), Some(CORP_ID));
    assert_eq!(field(&f, "FromUserName"), Some("sys"));
    assert_eq!(
        field(&f, "CreateTime"),
        Some(clock.secs().to_string().as_str())
    );
    assert!(
        xml.contains(&format!("<CreateTime>{}</CreateTime>", clock.secs())),
        "numbers are bare"
    );
    assert_eq!(field(&f, "MsgType"), Some("event"));
    assert_eq!(field(&f, "Event"), Some("change_external_contact"));
    assert_eq!(field(&f, "ChangeType"), Some("add_external_contact"));
    assert_eq!(field(&f, "UserID"), Some("zhangsan"));
    assert_eq!(field(&f, "ExternalUserID"), Some(new_id));
    assert_eq!(field(&f, "State"), Some("zf_qr_zhangsan"));
    assert_eq!(field(&f, "WelcomeCode"), Some("WELCOMECODE123"));

    // The API finds the new customer right away.
    let app = app!(sb);
    let t = token!(app);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={new_id}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(v["external_contact"]["name"], "孙老板");
    assert_eq!(v["external_contact"]["type"], 1);
    assert_eq!(v["follow_user"][0]["userid"], "zhangsan");
    assert_eq!(v["follow_user"][0]["remark"], "孙总-新公司");
    assert_eq!(v["follow_user"][0]["state"], "zf_qr_zhangsan");
    assert_eq!(v["follow_user"][0]["createtime"], clock.secs());
    assert_eq!(v["follow_user"][0]["tags"][0]["tag_id"], TAG_VIP);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/list?access_token={t}&userid=zhangsan"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["external_userid"], json!([ALICE, BOB, new_id]));
    rx.stop().await;
}

#[actix_web::test]
async fn contact_events_change_follows() {
    let (sb, _) = small_sandbox();
    let rx = Receiver::start(200, "success").await;
    let app = app!(sb);
    let t = token!(app);

    // A generated id for a brand-new customer (no State when none was given).
    let e = ExternalContactEvent::new(ContactChangeType::AddHalfExternalContact, "wangwu", None);
    let (status, body) = sb
        .send_callback(&rx.url, SandboxEvent::ChangeExternalContact(e))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (200, "success"));
    let (xml, _) = rx.last_decrypted();
    let f = fields(&xml);
    assert_eq!(field(&f, "ChangeType"), Some("add_half_external_contact"));
    assert!(field(&f, "State").is_none());
    assert!(field(&f, "WelcomeCode").is_some_and(|c| !c.is_empty()));
    let generated = field(&f, "ExternalUserID").unwrap().to_string();
    assert!(generated.starts_with("wm") && generated.len() == 32);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/list?access_token={t}&userid=wangwu"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["external_userid"], json!([generated]));

    // An existing customer added by another member gets a second follow.
    let e = ExternalContactEvent::new(ContactChangeType::AddExternalContact, "lisi", Some(BOB));
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalContact(e))
        .await
        .unwrap();
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={BOB}"
        ))
        .to_request(),
    )
    .await;
    let followers: Vec<&str> = v["follow_user"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["userid"].as_str().unwrap())
        .collect();
    assert_eq!(followers, vec!["zhangsan", "lisi"]);

    // Edit changes the remark.
    let mut e =
        ExternalContactEvent::new(ContactChangeType::EditExternalContact, "lisi", Some(BOB));
    e.contact = Some(NewExternalContact {
        remark: Some("赵会计-改".into()),
        ..NewExternalContact::default()
    });
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalContact(e))
        .await
        .unwrap();
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={BOB}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["follow_user"][1]["remark"], "赵会计-改");

    // The member deletes the customer: the follow disappears; the last one makes it 84061.
    let e = ExternalContactEvent::new(ContactChangeType::DelExternalContact, "zhangsan", Some(BOB));
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalContact(e))
        .await
        .unwrap();
    let (xml, _) = rx.last_decrypted();
    assert_eq!(
        names(&fields(&xml))[5..],
        ["ChangeType", "UserID", "ExternalUserID"]
    );
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/list?access_token={t}&userid=zhangsan"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["external_userid"], json!([ALICE]));
    let e = ExternalContactEvent::new(ContactChangeType::DelExternalContact, "lisi", Some(BOB));
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalContact(e))
        .await
        .unwrap();
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={BOB}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 84061);

    // The customer deletes the member: no data change; transfer_fail carries FailReason.
    let e = ExternalContactEvent::new(ContactChangeType::DelFollowUser, "zhangsan", Some(ALICE));
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalContact(e))
        .await
        .unwrap();
    let mut e = ExternalContactEvent::new(ContactChangeType::TransferFail, "zhangsan", Some(ALICE));
    e.fail_reason = Some("customer_limit_exceed".into());
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalContact(e))
        .await
        .unwrap();
    let (xml, _) = rx.last_decrypted();
    let f = fields(&xml);
    assert_eq!(field(&f, "FailReason"), Some("customer_limit_exceed"));
    assert_eq!(
        names(&f)[5..],
        ["ChangeType", "FailReason", "UserID", "ExternalUserID"]
    );
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/list?access_token={t}&userid=zhangsan"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["external_userid"], json!([ALICE]));
    rx.stop().await;
}

#[actix_web::test]
async fn chat_events_create_update_dismiss() {
    let (sb, _) = small_sandbox();
    let rx = Receiver::start(200, "").await;
    let app = app!(sb);
    let t = token!(app);
    let get_chat = |id: &str| {
        post_json(
            &format!("/cgi-bin/externalcontact/groupchat/get?access_token={t}"),
            &json!({"chat_id": id, "need_name": 1}),
        )
        .to_request()
    };

    let mut e = ExternalChatEvent::new(
        ChatChangeType::Create,
        Some("wrNewChat000000000000000000000001"),
    );
    e.owner = Some("lisi".into());
    e.name = Some("新公司财税服务群".into());
    e.members = vec![BOB.into()];
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalChat(e))
        .await
        .unwrap();
    let (xml, _) = rx.last_decrypted();
    let f = fields(&xml);
    assert_eq!(
        names(&f),
        vec![
            "ToUserName",
            "FromUserName",
            "CreateTime",
            "MsgType",
            "Event",
            "ChatId",
            "ChangeType"
        ]
    );
    assert_eq!(field(&f, "Event"), Some("change_external_chat"));
    assert_eq!(field(&f, "ChangeType"), Some("create"));
    let chat = "wrNewChat000000000000000000000001";
    let v = json(&app, get_chat(chat)).await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(v["group_chat"]["owner"], "lisi");
    assert_eq!(v["group_chat"]["name"], "新公司财税服务群");
    let members = v["group_chat"]["member_list"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[1]["userid"], BOB);
    assert_eq!(members[1]["type"], 2);
    assert_eq!(members[1]["name"], "赵会计");
    assert_eq!(members[1]["invitor"]["userid"], "lisi");
    let v = json(
        &app,
        post_json(
            &format!("/cgi-bin/externalcontact/groupchat/list?access_token={t}"),
            &json!({"limit": 100, "owner_filter": {"userid_list": ["lisi"]}}),
        )
        .to_request(),
    )
    .await;
    let ids: Vec<&str> = v["group_chat_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["chat_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![builder::CHAT_B, chat]);

    // add_member.
    let before = json(&app, get_chat(chat)).await["group_chat"]["member_version"]
        .as_str()
        .unwrap()
        .to_string();
    let mut e = ExternalChatEvent::new(ChatChangeType::Update, Some(chat));
    e.update_detail = Some(ChatUpdateDetail::AddMember);
    e.join_scene = Some(3);
    e.members = vec![ALICE.into(), "zhangsan".into()];
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalChat(e))
        .await
        .unwrap();
    let (xml, _) = rx.last_decrypted();
    let f = fields(&xml);
    assert_eq!(
        names(&f)[5..],
        [
            "ChatId",
            "ChangeType",
            "UpdateDetail",
            "JoinScene",
            "MemChangeCnt",
            "MemChangeList",
            "LastMemVer",
            "CurMemVer"
        ]
    );
    assert_eq!(field(&f, "UpdateDetail"), Some("add_member"));
    assert_eq!(field(&f, "JoinScene"), Some("3"));
    assert_eq!(field(&f, "MemChangeCnt"), Some("2"));
    assert_eq!(
        field(&f, "MemChangeList"),
        Some(format!("<Item><![CDATA[{ALICE}]]></Item><Item><![CDATA[zhangsan]]></Item>").as_str())
    );
    let after = json(&app, get_chat(chat)).await;
    assert_eq!(field(&f, "LastMemVer"), Some(before.as_str()));
    assert_eq!(
        field(&f, "CurMemVer"),
        after["group_chat"]["member_version"].as_str()
    );
    assert_eq!(
        after["group_chat"]["member_list"].as_array().unwrap().len(),
        4
    );
    assert_eq!(after["group_chat"]["member_list"][3]["type"], 1);

    // del_member, change_name, change_notice, change_owner.
    let mut e = ExternalChatEvent::new(ChatChangeType::Update, Some(chat));
    e.update_detail = Some(ChatUpdateDetail::DelMember);
    e.quit_scene = Some(1);
    e.members = vec![BOB.into()];
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalChat(e))
        .await
        .unwrap();
    let (xml, _) = rx.last_decrypted();
    assert_eq!(field(&fields(&xml), "QuitScene"), Some("1"));
    for (detail, set) in [
        (ChatUpdateDetail::ChangeName, ("name", "改名后的群")),
        (ChatUpdateDetail::ChangeNotice, ("notice", "新公告")),
        (ChatUpdateDetail::ChangeOwner, ("owner", "zhangsan")),
    ] {
        let mut e = ExternalChatEvent::new(ChatChangeType::Update, Some(chat));
        e.update_detail = Some(detail);
        match set.0 {
            "name" => e.name = Some(set.1.into()),
            "notice" => e.notice = Some(set.1.into()),
            _ => e.owner = Some(set.1.into()),
        }
        sb.send_callback(&rx.url, SandboxEvent::ChangeExternalChat(e))
            .await
            .unwrap();
        let (xml, _) = rx.last_decrypted();
        let f = fields(&xml);
        assert_eq!(field(&f, "UpdateDetail"), Some(detail.as_str()));
        assert!(field(&f, "MemChangeCnt").is_none());
        let v = json(&app, get_chat(chat)).await;
        assert_eq!(v["group_chat"][set.0], set.1);
    }
    let v = json(&app, get_chat(chat)).await;
    let ids: Vec<&str> = v["group_chat"]["member_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userid"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["lisi", ALICE, "zhangsan"]);
    // The owner index follows the change.
    let v = json(
        &app,
        post_json(
            &format!("/cgi-bin/externalcontact/groupchat/list?access_token={t}"),
            &json!({"limit": 100, "owner_filter": {"userid_list": ["zhangsan"]}}),
        )
        .to_request(),
    )
    .await;
    let ids: Vec<&str> = v["group_chat_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["chat_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![CHAT_A, chat]);

    // Dismiss: gone from the API.
    let e = ExternalChatEvent::new(ChatChangeType::Dismiss, Some(chat));
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalChat(e))
        .await
        .unwrap();
    let (xml, _) = rx.last_decrypted();
    assert_eq!(field(&fields(&xml), "ChangeType"), Some("dismiss"));
    assert_eq!(errcode(&json(&app, get_chat(chat)).await), 90501);
    let v = json(
        &app,
        post_json(
            &format!("/cgi-bin/externalcontact/groupchat/list?access_token={t}"),
            &json!({"limit": 100}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(v["group_chat_list"].as_array().unwrap().len(), 2);
    // A dismissed group's id is not reused.
    let e = ExternalChatEvent::new(ChatChangeType::Create, Some(chat));
    let r = sb
        .send_callback(&rx.url, SandboxEvent::ChangeExternalChat(e))
        .await;
    assert!(matches!(r, Err(SandboxError::InvalidEvent(_))), "{r:?}");
    rx.stop().await;
}

#[actix_web::test]
async fn tag_events_change_the_tag_list() {
    let (sb, _) = small_sandbox();
    let rx = Receiver::start(200, "").await;
    let app = app!(sb);
    let t = token!(app);
    let list = || {
        post_json(
            &format!("/cgi-bin/externalcontact/get_corp_tag_list?access_token={t}"),
            &json!({}),
        )
        .to_request()
    };

    let mut e = ExternalTagEvent::new(TagChangeType::Create, TagType::TagGroup, None);
    e.name = Some("服务状态".into());
    e.tag_names = vec!["服务中".into(), "已暂停".into()];
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalTag(e))
        .await
        .unwrap();
    let (xml, _) = rx.last_decrypted();
    let f = fields(&xml);
    assert_eq!(
        names(&f),
        vec![
            "ToUserName",
            "FromUserName",
            "CreateTime",
            "MsgType",
            "Event",
            "Id",
            "TagType",
            "ChangeType"
        ]
    );
    assert_eq!(field(&f, "Event"), Some("change_external_tag"));
    assert_eq!(field(&f, "TagType"), Some("tag_group"));
    assert_eq!(field(&f, "ChangeType"), Some("create"));
    let group_id = field(&f, "Id").unwrap().to_string();
    let v = json(&app, list()).await;
    let g = v["tag_group"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group_id"] == group_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(g["group_name"], "服务状态");
    assert_eq!(g["tag"].as_array().unwrap().len(), 2);

    let mut e = ExternalTagEvent::new(
        TagChangeType::Create,
        TagType::Tag,
        Some("etCreatedByEvent0000000000000001"),
    );
    e.group_id = Some(GROUP_LEVEL.into());
    e.name = Some("战略客户".into());
    e.strategy_id = Some(7);
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalTag(e))
        .await
        .unwrap();
    let (xml, _) = rx.last_decrypted();
    let f = fields(&xml);
    assert_eq!(field(&f, "Id"), Some("etCreatedByEvent0000000000000001"));
    assert_eq!(field(&f, "StrategyId"), Some("7"));

    let mut e = ExternalTagEvent::new(TagChangeType::Update, TagType::Tag, Some(TAG_VIP));
    e.name = Some("VIP客户".into());
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalTag(e))
        .await
        .unwrap();
    let v = json(
        &app,
        post_json(
            &format!("/cgi-bin/externalcontact/get_corp_tag_list?access_token={t}"),
            &json!({"tag_id": [TAG_VIP]}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(v["tag_group"][0]["tag"][0]["name"], "VIP客户");

    // Deleting a tag removes it from the customers too.
    let e = ExternalTagEvent::new(TagChangeType::Delete, TagType::Tag, Some(TAG_VIP));
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalTag(e))
        .await
        .unwrap();
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={ALICE}"
        ))
        .to_request(),
    )
    .await;
    let tags: Vec<&str> = v["follow_user"][0]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag_id"].as_str().unwrap())
        .collect();
    assert_eq!(tags, vec![builder::TAG_SMALL]);
    let v = json(
        &app,
        post_json(
            &format!("/cgi-bin/externalcontact/mark_tag?access_token={t}"),
            &json!({"userid": "zhangsan", "external_userid": ALICE, "add_tag": [TAG_VIP]}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 40068, "a deleted tag is unknown");

    let e = ExternalTagEvent::new(TagChangeType::Delete, TagType::TagGroup, Some(&group_id));
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalTag(e))
        .await
        .unwrap();
    let v = json(&app, list()).await;
    assert!(
        v["tag_group"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["group_id"] != group_id.as_str())
    );
    let e = ExternalTagEvent::new(TagChangeType::Shuffle, TagType::TagGroup, None);
    sb.send_callback(&rx.url, SandboxEvent::ChangeExternalTag(e))
        .await
        .unwrap();
    let (xml, _) = rx.last_decrypted();
    assert_eq!(field(&fields(&xml), "ChangeType"), Some("shuffle"));
    rx.stop().await;
}

#[actix_web::test]
async fn bad_events_and_urls_are_refused() {
    let (sb, _) = small_sandbox();
    let rx = Receiver::start(200, "").await;
    let bad_events = vec![
        SandboxEvent::ChangeExternalContact(ExternalContactEvent::new(
            ContactChangeType::AddExternalContact,
            "ghost",
            None,
        )),
        SandboxEvent::ChangeExternalContact(ExternalContactEvent::new(
            ContactChangeType::DelExternalContact,
            "zhangsan",
            Some(builder::CAROL),
        )),
        SandboxEvent::ChangeExternalContact(ExternalContactEvent::new(
            ContactChangeType::EditExternalContact,
            "zhangsan",
            None,
        )),
        SandboxEvent::ChangeExternalChat(ExternalChatEvent::new(
            ChatChangeType::Update,
            Some("wrNope"),
        )),
        SandboxEvent::ChangeExternalChat(ExternalChatEvent::new(
            ChatChangeType::Update,
            Some(CHAT_A),
        )),
        SandboxEvent::ChangeExternalChat(ExternalChatEvent::new(
            ChatChangeType::Create,
            Some(CHAT_A),
        )),
        SandboxEvent::ChangeExternalTag(ExternalTagEvent::new(
            TagChangeType::Create,
            TagType::Tag,
            None,
        )),
        SandboxEvent::ChangeExternalTag(ExternalTagEvent::new(
            TagChangeType::Delete,
            TagType::Tag,
            Some("etNope"),
        )),
        SandboxEvent::ChangeExternalTag(ExternalTagEvent::new(
            TagChangeType::Create,
            TagType::TagGroup,
            Some(TAG_VIP),
        )),
    ];
    for event in bad_events {
        let r = sb.send_callback(&rx.url, event.clone()).await;
        assert!(
            matches!(r, Err(SandboxError::InvalidEvent(_))),
            "{event:?}: {r:?}"
        );
    }
    let mut e = ExternalChatEvent::new(ChatChangeType::Update, Some(CHAT_A));
    e.update_detail = Some(ChatUpdateDetail::DelMember);
    e.members = vec!["zhangsan".into()];
    assert!(
        matches!(
            sb.send_callback(&rx.url, SandboxEvent::ChangeExternalChat(e))
                .await,
            Err(SandboxError::InvalidEvent(_))
        ),
        "the owner cannot leave"
    );
    assert!(rx.got.lock().unwrap().is_empty(), "nothing was sent");

    let ok = || {
        SandboxEvent::ChangeExternalContact(ExternalContactEvent::new(
            ContactChangeType::DelFollowUser,
            "zhangsan",
            Some(ALICE),
        ))
    };
    for url in [
        "not a url",
        "ftp://127.0.0.1/x",
        "file:///etc/passwd",
        "/relative",
    ] {
        assert!(
            matches!(
                sb.send_callback(url, ok()).await,
                Err(SandboxError::InvalidUrl(_))
            ),
            "{url}"
        );
    }
    // Nobody listens on the receiver's port once it stopped.
    let url = rx.url.clone();
    rx.stop().await;
    assert!(matches!(
        sb.send_callback(&url, ok()).await,
        Err(SandboxError::Delivery(_))
    ));
}

#[actix_web::test]
async fn the_apps_answer_is_returned() {
    let (sb, _) = small_sandbox();
    let rx = Receiver::start(500, "boom").await;
    let e = ExternalContactEvent::new(ContactChangeType::DelFollowUser, "lisi", Some(ALICE));
    let (status, body) = sb
        .send_callback(&rx.url, SandboxEvent::ChangeExternalContact(e))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (500, "boom"));
    rx.stop().await;
}

#[actix_web::test]
async fn callbacks_over_http() {
    let (sb, _) = small_sandbox();
    let rx = Receiver::start(200, "").await;
    let app = app!(sb);
    let body = json!({
        "callback_url": rx.url,
        "event": {"event": "change_external_contact", "change_type": "add_external_contact",
                  "userid": "lisi", "external_userid": "wmHttp0000000000000000000000000001",
                  "state": "from_http", "contact": {"name": "周会计", "contact_type": 2, "corp_name": "周氏"}}
    });
    let v = json(&app, post_json("/_sandbox/callbacks", &body).to_request()).await;
    assert_eq!(v["status"], 200);
    assert_eq!(v["body"], "");
    assert!(v["url"].as_str().unwrap().contains("msg_signature="));
    assert!(
        v["event_xml"]
            .as_str()
            .unwrap()
            .contains("<State><![CDATA[from_http]]></State>")
    );
    let (xml, _) = rx.last_decrypted();
    assert_eq!(xml, v["event_xml"].as_str().unwrap());
    let t = token!(app);
    let v = json(&app, get(&format!("/cgi-bin/externalcontact/get?access_token={t}&external_userid=wmHttp0000000000000000000000000001")).to_request()).await;
    assert_eq!(v["external_contact"]["corp_name"], "周氏");

    for bad in [
        json!({"callback_url": rx.url, "event": {"event": "change_external_contact"}}),
        json!({"callback_url": rx.url, "event": {"event": "nope"}}),
        json!({"callback_url": rx.url, "event": {"event": "change_external_tag", "change_type": "delete", "tag_type": "tag", "id": "etNope"}}),
        json!({"callback_url": "gopher://x", "event": {"event": "change_external_tag", "change_type": "shuffle", "tag_type": "tag_group"}}),
    ] {
        let (status, _) =
            super::call(&app, post_json("/_sandbox/callbacks", &bad).to_request()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    rx.stop().await;
}

/// The sandbox behind a real HTTP server, driven by reqwest like a real WeCom client would.
#[actix_web::test]
async fn real_http_server() {
    let sb = Sandbox::new(builder::small(), SandboxOptions::default());
    let served = sb.clone();
    let server = HttpServer::new(move || {
        let served = served.clone();
        App::new().configure(move |c| served.configure(c))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let banner = crate::sandbox::standalone_banner(&sb, addr);
    assert!(
        banner.contains(CORP_ID)
            && banner.contains(SECRET)
            && banner.contains(AES_KEY)
            && banner.contains(CALLBACK_TOKEN)
    );

    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let v: Value = client
        .get(format!("{base}/cgi-bin/gettoken"))
        .query(&[("corpid", CORP_ID), ("corpsecret", SECRET)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let t = v["access_token"].as_str().unwrap().to_string();

    // A real multipart upload.
    let part = reqwest::multipart::Part::bytes(b"\x89PNG\r\n\x1a\nreal".to_vec())
        .file_name("收据.png")
        .mime_str("image/png")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("media", part);
    let v: Value = client
        .post(format!(
            "{base}/cgi-bin/media/upload?access_token={t}&type=image"
        ))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(errcode(&v), 0, "{v}");
    let media = sb.media(v["media_id"].as_str().unwrap()).unwrap();
    assert_eq!(media.filename, "收据.png");
    assert_eq!(media.content_type.as_deref(), Some("image/png"));

    // JSON POST with a real client.
    let v: Value = client
        .post(format!(
            "{base}/cgi-bin/externalcontact/batch/get_by_user?access_token={t}"
        ))
        .json(&json!({"userid_list": ["zhangsan"], "limit": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["external_contact_list"].as_array().unwrap().len(), 1);
    assert!(!v["next_cursor"].as_str().unwrap().is_empty());

    // The OAuth pick answers a real 302.
    let resp = client
        .get(format!("{base}/connect/oauth2/authorize/pick"))
        .query(&[
            ("appid", CORP_ID),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
            ("response_type", "code"),
            ("scope", "snsapi_base"),
            ("state", "x"),
            ("userid", "lisi"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("http://127.0.0.1:9/cb?code=")
    );
    handle.stop(false).await;
}
