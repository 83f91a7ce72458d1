//! Request-shape and response-decoding tests for `HttpWecomApi` against a
//! wiremock server mounted under a `/sandbox` path prefix.
//!
//! Every mock matches the *exact* query (so `access_token` is present and
//! nothing else leaks in), POST mocks match the exact JSON body and assert
//! the token is not in it, and `.expect(n)` makes wiremock verify the call
//! count when the server drops.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use url::Url;
use wiremock::matchers::{body_json, header_regex, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};
use zhangfang::wecom::api::{
    AddCorpTagRequest, AppMessage, GroupChatListRequest, MarkTagRequest, MediaKind, NewTag,
    OAuthIdentity, OwnerFilter, RemarkRequest, WecomApi,
};
use zhangfang::wecom::errors::{Errcode, WecomError};
use zhangfang::wecom::http_api::HttpWecomApi;

const TOKEN: &str = "TOKEN-sEcReT-0123456789";
const SECRET: &str = "CORPSECRET-dontleak-abcdef";
const CORP_ID: &str = "ww1436e0e65a779aee";
const PREFIX: &str = "/sandbox";

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

async fn setup() -> (MockServer, HttpWecomApi) {
    let server = MockServer::start().await;
    let base = Url::parse(&format!("{}{PREFIX}", server.uri())).unwrap();
    let api = HttpWecomApi::new(base).unwrap();
    (server, api)
}

fn fixture(name: &str) -> Vec<u8> {
    let p = format!(
        "{}/tests/fixtures/wecom/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {p}: {e}"))
}

fn ok_fixture(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(name), "application/json")
}

fn json_body(v: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(v.to_string().into_bytes(), "application/json")
}

fn cgi(p: &str) -> String {
    format!("{PREFIX}/cgi-bin/{p}")
}

/// The query must be exactly these pairs (order-insensitive, decoded).
struct ExactQuery(BTreeSet<(String, String)>);

fn exact_query(pairs: &[(&str, &str)]) -> ExactQuery {
    ExactQuery(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

impl Match for ExactQuery {
    fn matches(&self, request: &Request) -> bool {
        let got: BTreeSet<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        // A duplicated key would collapse in the set; compare counts too.
        got == self.0 && request.url.query_pairs().count() == self.0.len()
    }
}

/// The body must not contain this string (tokens go only in the query).
struct BodyLacks(&'static str);

impl Match for BodyLacks {
    fn matches(&self, request: &Request) -> bool {
        !String::from_utf8_lossy(&request.body).contains(self.0)
    }
}

fn ua() -> impl Match {
    header_regex("user-agent", "^zhangfang-wecom/")
}

/// Mounts a GET mock on `p` with an exact query.
async fn mount_get(
    server: &MockServer,
    p: &str,
    query: &[(&str, &str)],
    resp: ResponseTemplate,
    times: u64,
) {
    Mock::given(method("GET"))
        .and(path(cgi(p)))
        .and(exact_query(query))
        .and(ua())
        .respond_with(resp)
        .expect(times)
        .mount(server)
        .await;
}

/// Mounts a POST mock on `p` with `?access_token=TOKEN` and an exact JSON body.
async fn mount_post(server: &MockServer, p: &str, body: Value, resp: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(cgi(p)))
        .and(exact_query(&[("access_token", TOKEN)]))
        .and(body_json(body))
        .and(BodyLacks(TOKEN))
        .and(header_regex("content-type", "^application/json"))
        .and(ua())
        .respond_with(resp)
        .expect(1)
        .mount(server)
        .await;
}

/// Any request at all fails the test: for calls that must be rejected locally.
async fn forbid_any_request(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(server)
        .await;
}

fn assert_no_secret(err: &WecomError) {
    for s in [TOKEN, SECRET] {
        assert!(!err.to_string().contains(s), "Display leaks: {err}");
        assert!(!format!("{err:?}").contains(s), "Debug leaks: {err:?}");
    }
}

// ---------------------------------------------------------------------------
// Tokens and tickets
// ---------------------------------------------------------------------------

#[tokio::test]
async fn get_token_request_and_decode() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "gettoken",
        &[("corpid", CORP_ID), ("corpsecret", SECRET)],
        ok_fixture("gettoken"),
        1,
    )
    .await;
    let t = api.get_token(CORP_ID, SECRET).await.unwrap();
    assert_eq!(t.access_token, "accesstoken000001");
    assert_eq!(t.expires_in, 7200);
    assert!(!format!("{t:?}").contains("accesstoken000001"));
}

#[tokio::test]
async fn get_jsapi_ticket_request_and_decode() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "get_jsapi_ticket",
        &[("access_token", TOKEN)],
        ok_fixture("get_jsapi_ticket"),
        1,
    )
    .await;
    let t = api.get_jsapi_ticket(TOKEN).await.unwrap();
    assert!(t.ticket.starts_with("bxLdikRXVbTPdHSM05e5u5sUoXNKd8"));
    assert_eq!(t.expires_in, 7200);
}

#[tokio::test]
async fn get_agent_config_ticket_request_and_decode() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "ticket/get",
        &[("access_token", TOKEN), ("type", "agent_config")],
        ok_fixture("ticket_get_agent_config"),
        1,
    )
    .await;
    let t = api.get_agent_config_ticket(TOKEN).await.unwrap();
    assert!(t.ticket.starts_with("kgt8ON7yVITDhtdwci0qeZ"));
    assert_eq!(t.expires_in, 7200);
}

// ---------------------------------------------------------------------------
// OAuth and members
// ---------------------------------------------------------------------------

#[tokio::test]
async fn auth_get_user_info_member() {
    let (server, api) = setup().await;
    // A code with characters that must be percent-encoded in the query.
    let code = "CODE+/=abc";
    mount_get(
        &server,
        "auth/getuserinfo",
        &[("access_token", TOKEN), ("code", code)],
        ok_fixture("auth_getuserinfo_member"),
        1,
    )
    .await;
    let id = api.auth_get_user_info(TOKEN, code).await.unwrap();
    assert_eq!(
        id,
        OAuthIdentity::Member {
            userid: "ZhangSan".into(),
            user_ticket: Some("USER_TICKET_7f3a".into()),
        }
    );
}

#[tokio::test]
async fn auth_get_user_info_non_member() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "auth/getuserinfo",
        &[("access_token", TOKEN), ("code", "CODE2")],
        ok_fixture("auth_getuserinfo_nonmember"),
        1,
    )
    .await;
    let id = api.auth_get_user_info(TOKEN, "CODE2").await.unwrap();
    assert_eq!(
        id,
        OAuthIdentity::NonMember {
            openid: "oAAAAAAAAAAAAAAA_customer".into(),
            external_userid: Some("wmAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()),
        }
    );
}

#[tokio::test]
async fn auth_get_user_info_reused_code_is_40029_and_code_not_leaked() {
    let (server, api) = setup().await;
    let code = "ONE-TIME-CODE-xyz";
    mount_get(
        &server,
        "auth/getuserinfo",
        &[("access_token", TOKEN), ("code", code)],
        json_body(json!({"errcode": 40029, "errmsg": format!("invalid code {code}")})),
        1,
    )
    .await;
    let err = api.auth_get_user_info(TOKEN, code).await.unwrap_err();
    assert_eq!(err.code(), Some(Errcode::InvalidOauthCode));
    assert!(err.admin_hint().is_some());
    assert!(!err.to_string().contains(code), "{err}");
}

#[tokio::test]
async fn get_user_request_and_decode() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "user/get",
        &[("access_token", TOKEN), ("userid", "ZhangSan")],
        ok_fixture("user_get"),
        1,
    )
    .await;
    let u = api.get_user(TOKEN, "ZhangSan").await.unwrap();
    assert_eq!(u.userid, "ZhangSan");
    assert_eq!(u.name, "张三");
    assert_eq!(u.department, vec![1, 2]);
    assert_eq!(u.gender.as_deref(), Some("1"));
    assert_eq!(u.mobile, None, "new apps get no mobile");
    assert_eq!(u.email, None);
    assert_eq!(u.status, Some(1));
    assert_eq!(u.main_department, Some(1));
    assert_eq!(u.direct_leader, vec!["LiSi".to_string()]);
}

#[tokio::test]
async fn get_follow_user_list_request_and_decode() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "externalcontact/get_follow_user_list",
        &[("access_token", TOKEN)],
        ok_fixture("externalcontact_get_follow_user_list"),
        1,
    )
    .await;
    let list = api.get_follow_user_list(TOKEN).await.unwrap();
    assert_eq!(list, vec!["ZhangSan", "LiSi", "WangWu"]);
}

// ---------------------------------------------------------------------------
// External contacts
// ---------------------------------------------------------------------------

#[tokio::test]
async fn list_external_contacts_request_and_decode() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "externalcontact/list",
        &[("access_token", TOKEN), ("userid", "ZhangSan")],
        ok_fixture("externalcontact_list"),
        1,
    )
    .await;
    let ids = api.list_external_contacts(TOKEN, "ZhangSan").await.unwrap();
    assert_eq!(
        ids,
        vec![
            "woAJ2GCAAAXtWyujaWJHDDGi0mACAAA",
            "wmqfasd1e1927831291723123109rAAA"
        ]
    );
}

#[tokio::test]
async fn list_external_contacts_84061_is_empty() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "externalcontact/list",
        &[("access_token", TOKEN), ("userid", "NoCustomers")],
        json_body(json!({"errcode": 84061, "errmsg": "not external contact"})),
        1,
    )
    .await;
    let ids = api
        .list_external_contacts(TOKEN, "NoCustomers")
        .await
        .unwrap();
    assert!(ids.is_empty());
}

#[tokio::test]
async fn list_external_contacts_other_errors_propagate() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "externalcontact/list",
        &[("access_token", TOKEN), ("userid", "Hidden")],
        json_body(json!({"errcode": 60011, "errmsg": "no privilege to access/modify contact/party/agent"})),
        1,
    )
    .await;
    let err = api
        .list_external_contacts(TOKEN, "Hidden")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(Errcode::OutsideVisibleRange));
    assert!(err.admin_hint().is_some_and(|h| h.contains("可见范围")));
}

#[tokio::test]
async fn get_external_contact_without_cursor() {
    let (server, api) = setup().await;
    let ext = "woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA";
    mount_get(
        &server,
        "externalcontact/get",
        &[("access_token", TOKEN), ("external_userid", ext)],
        ok_fixture("externalcontact_get"),
        1,
    )
    .await;
    let d = api.get_external_contact(TOKEN, ext, None).await.unwrap();
    assert_eq!(d.external_contact.external_userid, ext);
    assert_eq!(d.external_contact.name, "李老板");
    assert_eq!(d.external_contact.contact_type, 2);
    assert_eq!(d.external_contact.gender, 1);
    assert_eq!(
        d.external_contact.corp_full_name.as_deref(),
        Some("腾讯科技有限公司")
    );
    assert!(d.external_contact.external_profile.is_some());
    assert_eq!(d.follow_user.len(), 2);
    let f = &d.follow_user[0];
    assert_eq!(f.userid, "ZhangSan");
    assert_eq!(f.createtime, 1525779812);
    assert_eq!(f.tags.len(), 2);
    assert_eq!(
        f.tags[0].tag_id.as_deref(),
        Some("etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA")
    );
    assert_eq!(f.tags[1].tag_type, 2);
    assert_eq!(f.tags[1].tag_id, None);
    assert_eq!(f.remark_mobiles, vec!["13800000001", "13000000002"]);
    assert_eq!(f.state.as_deref(), Some("sidebar-qr"));
    assert_eq!(d.follow_user[1].add_way, 3);
    assert_eq!(d.follow_user[1].remark_corp_name, None);
    assert_eq!(d.next_cursor.as_deref(), Some("NEXT_CURSOR"));
}

#[tokio::test]
async fn get_external_contact_with_cursor() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "externalcontact/get",
        &[
            ("access_token", TOKEN),
            ("external_userid", "wm1"),
            ("cursor", "NEXT_CURSOR"),
        ],
        json_body(json!({
            "errcode": 0, "errmsg": "ok",
            "external_contact": {"external_userid": "wm1", "name": "n", "type": 1},
            "follow_user": []
        })),
        1,
    )
    .await;
    let d = api
        .get_external_contact(TOKEN, "wm1", Some("NEXT_CURSOR"))
        .await
        .unwrap();
    assert_eq!(d.external_contact.contact_type, 1);
    assert!(d.follow_user.is_empty());
    assert_eq!(d.next_cursor, None, "absent cursor = last page");
}

#[tokio::test]
async fn batch_get_external_contacts_request_and_decode() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/batch/get_by_user",
        json!({"userid_list": ["ZhangSan", "LiSi", "WangWu"], "cursor": "CURSOR1", "limit": 100}),
        ok_fixture("externalcontact_batch_get_by_user"),
    )
    .await;
    let users: Vec<String> = ["ZhangSan", "LiSi", "WangWu"].map(String::from).to_vec();
    let r = api
        .batch_get_external_contacts(TOKEN, &users, Some("CURSOR1"), 100)
        .await
        .unwrap();
    assert_eq!(r.external_contact_list.len(), 2);
    let first = &r.external_contact_list[0];
    assert_eq!(first.external_contact.name, "李老板");
    assert_eq!(first.follow_info.userid, "ZhangSan");
    assert_eq!(
        first.follow_info.tag_id,
        vec!["etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA"]
    );
    assert_eq!(
        r.external_contact_list[1].follow_info.state.as_deref(),
        Some("channel-a")
    );
    assert_eq!(
        r.next_cursor.as_deref(),
        Some("r9FqSqsI8fgNbHLHE5QoCP50UIg2cFQbfma3l2QsmwI")
    );
    assert_eq!(
        r.fail_info.map(|f| f.unlicensed_userid_list),
        Some(vec!["WangWu".to_string()])
    );
}

#[tokio::test]
async fn batch_get_external_contacts_first_page_omits_cursor() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/batch/get_by_user",
        json!({"userid_list": ["ZhangSan"], "limit": 50}),
        json_body(
            json!({"errcode": 0, "errmsg": "ok", "external_contact_list": [], "next_cursor": ""}),
        ),
    )
    .await;
    let r = api
        .batch_get_external_contacts(TOKEN, &["ZhangSan".to_string()], None, 50)
        .await
        .unwrap();
    assert!(r.external_contact_list.is_empty());
    assert_eq!(r.next_cursor, None);
}

#[tokio::test]
async fn batch_get_external_contacts_bounds_are_local() {
    let (server, api) = setup().await;
    forbid_any_request(&server).await;
    let too_many = vec!["u".to_string(); 101];
    let err = api
        .batch_get_external_contacts(TOKEN, &too_many, None, 50)
        .await
        .unwrap_err();
    assert!(matches!(err, WecomError::InvalidRequest { .. }));
    let err = api
        .batch_get_external_contacts(TOKEN, &["u".to_string()], None, 101)
        .await
        .unwrap_err();
    assert!(matches!(err, WecomError::InvalidRequest { .. }));
}

// ---------------------------------------------------------------------------
// Customer groups
// ---------------------------------------------------------------------------

#[tokio::test]
async fn list_group_chats_request_and_decode() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/groupchat/list",
        json!({
            "status_filter": 0,
            "owner_filter": {"userid_list": ["ZhangSan", "LiSi"]},
            "cursor": "CURSOR",
            "limit": 10
        }),
        ok_fixture("externalcontact_groupchat_list"),
    )
    .await;
    let req = GroupChatListRequest {
        status_filter: Some(0),
        owner_filter: Some(OwnerFilter {
            userid_list: vec!["ZhangSan".into(), "LiSi".into()],
        }),
        cursor: Some("CURSOR".into()),
        limit: 10,
    };
    let r = api.list_group_chats(TOKEN, &req).await.unwrap();
    assert_eq!(r.group_chat_list.len(), 2);
    assert_eq!(
        r.group_chat_list[0].chat_id,
        "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
    );
    assert_eq!(r.group_chat_list[1].status, 1);
    assert_eq!(
        r.next_cursor.as_deref(),
        Some("tJzlB9tdqfh-g7i_J-ehOz_TWcd7dSKa39_AqCIeMFw")
    );
}

#[tokio::test]
async fn list_group_chats_default_body_is_minimal() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/groupchat/list",
        json!({"limit": 1000}),
        json_body(json!({"errcode": 0, "errmsg": "ok", "group_chat_list": []})),
    )
    .await;
    let r = api
        .list_group_chats(TOKEN, &GroupChatListRequest::default())
        .await
        .unwrap();
    assert!(r.group_chat_list.is_empty());
    assert_eq!(r.next_cursor, None);
}

#[tokio::test]
async fn list_group_chats_limit_is_checked_locally() {
    let (server, api) = setup().await;
    forbid_any_request(&server).await;
    for limit in [0, 1001] {
        let req = GroupChatListRequest {
            limit,
            ..Default::default()
        };
        let err = api.list_group_chats(TOKEN, &req).await.unwrap_err();
        assert!(matches!(err, WecomError::InvalidRequest { .. }));
    }
}

#[tokio::test]
async fn get_group_chat_request_and_decode() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/groupchat/get",
        json!({"chat_id": "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA", "need_name": 1}),
        ok_fixture("externalcontact_groupchat_get"),
    )
    .await;
    let g = api
        .get_group_chat(TOKEN, "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA", true)
        .await
        .unwrap();
    assert_eq!(g.name, "某贸易公司-代账服务群");
    assert_eq!(g.owner, "ZhangSan");
    assert_eq!(g.create_time, 1572505490);
    assert_eq!(g.notice.as_deref(), Some("每月 10 号前请上传发票"));
    assert_eq!(g.member_list.len(), 2);
    let m0 = &g.member_list[0];
    assert_eq!(m0.member_type, 1);
    assert_eq!(m0.join_scene, 1);
    assert_eq!(m0.invitor.as_ref().map(|i| i.userid.as_str()), Some("LiSi"));
    assert_eq!(m0.group_nickname.as_deref(), Some("代账张三"));
    let m1 = &g.member_list[1];
    assert_eq!(m1.member_type, 2);
    assert_eq!(
        m1.unionid.as_deref(),
        Some("ozynqsulJFCZ2z1aYeS8h-nuasdAAA")
    );
    assert_eq!(m1.invitor, None);
    assert_eq!(m1.name.as_deref(), Some("李老板"));
    assert_eq!(g.admin_list.len(), 1);
    assert_eq!(g.admin_list[0].userid, "LiSi");
    assert_eq!(
        g.member_version.as_deref(),
        Some("71217227bbd112ecfe3a49c482195cb4")
    );
}

#[tokio::test]
async fn get_group_chat_need_name_false_and_90501() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/groupchat/get",
        json!({"chat_id": "wrInternal", "need_name": 0}),
        json_body(json!({"errcode": 90501, "errmsg": "chat is not external group chat"})),
    )
    .await;
    let err = api
        .get_group_chat(TOKEN, "wrInternal", false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(Errcode::NotCustomerGroup));
}

#[tokio::test]
async fn get_group_chat_without_group_chat_is_decode_error() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/groupchat/get",
        json!({"chat_id": "wr1", "need_name": 0}),
        json_body(json!({"errcode": 0, "errmsg": "ok"})),
    )
    .await;
    let err = api.get_group_chat(TOKEN, "wr1", false).await.unwrap_err();
    assert!(matches!(err, WecomError::Decode { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------
// Tags and remarks
// ---------------------------------------------------------------------------

#[tokio::test]
async fn get_corp_tag_list_with_filters() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/get_corp_tag_list",
        json!({"tag_id": ["TAG_ID1", "TAG_ID3"], "group_id": ["TAG_GROUPID1"]}),
        ok_fixture("externalcontact_get_corp_tag_list"),
    )
    .await;
    let groups = api
        .get_corp_tag_list(
            TOKEN,
            &["TAG_ID1".to_string(), "TAG_ID3".to_string()],
            &["TAG_GROUPID1".to_string()],
        )
        .await
        .unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].group_name, "客户等级");
    assert_eq!(groups[0].tag.len(), 2);
    assert!(groups[0].tag[1].deleted);
    assert!(!groups[1].deleted, "absent deleted = false");
    assert_eq!(groups[1].tag[0].name, "小规模纳税人");
}

#[tokio::test]
async fn get_corp_tag_list_all_sends_empty_object() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/get_corp_tag_list",
        json!({}),
        ok_fixture("externalcontact_get_corp_tag_list"),
    )
    .await;
    let groups = api.get_corp_tag_list(TOKEN, &[], &[]).await.unwrap();
    assert_eq!(groups.len(), 2);
}

#[tokio::test]
async fn add_corp_tag_request_and_decode() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/add_corp_tag",
        json!({
            "group_name": "服务状态",
            "order": 1,
            "tag": [{"name": "已续费", "order": 1}, {"name": "待续费"}],
            "agentid": 1000014
        }),
        ok_fixture("externalcontact_add_corp_tag"),
    )
    .await;
    let req = AddCorpTagRequest {
        group_id: None,
        group_name: Some("服务状态".into()),
        order: Some(1),
        tag: vec![
            NewTag {
                name: "已续费".into(),
                order: Some(1),
            },
            NewTag {
                name: "待续费".into(),
                order: None,
            },
        ],
        agentid: Some(1000014),
    };
    let g = api.add_corp_tag(TOKEN, &req).await.unwrap();
    assert_eq!(g.group_id, "TAG_GROUPID3");
    assert_eq!(g.tag.len(), 2);
    assert_eq!(g.tag[1].id, "TAG_ID5");
}

#[tokio::test]
async fn add_corp_tag_limit_40126() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/add_corp_tag",
        json!({"group_id": "G1", "tag": [{"name": "x"}]}),
        json_body(json!({"errcode": 40126, "errmsg": "tag count exceed limit"})),
    )
    .await;
    let req = AddCorpTagRequest {
        group_id: Some("G1".into()),
        tag: vec![NewTag {
            name: "x".into(),
            order: None,
        }],
        ..Default::default()
    };
    let err = api.add_corp_tag(TOKEN, &req).await.unwrap_err();
    assert_eq!(err.code(), Some(Errcode::TagLimit));
}

#[tokio::test]
async fn mark_tag_request() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/mark_tag",
        json!({
            "userid": "ZhangSan",
            "external_userid": "woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA",
            "add_tag": ["TAG_ID1", "TAG_ID2"],
            "remove_tag": ["TAG_ID3"]
        }),
        ok_fixture("externalcontact_mark_tag"),
    )
    .await;
    let req = MarkTagRequest {
        userid: "ZhangSan".into(),
        external_userid: "woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA".into(),
        add_tag: vec!["TAG_ID1".into(), "TAG_ID2".into()],
        remove_tag: vec!["TAG_ID3".into()],
    };
    api.mark_tag(TOKEN, &req).await.unwrap();
}

#[tokio::test]
async fn mark_tag_only_remove_omits_add() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/mark_tag",
        json!({"userid": "u", "external_userid": "e", "remove_tag": ["T"]}),
        ok_fixture("externalcontact_mark_tag"),
    )
    .await;
    let req = MarkTagRequest {
        userid: "u".into(),
        external_userid: "e".into(),
        add_tag: vec![],
        remove_tag: vec!["T".into()],
    };
    api.mark_tag(TOKEN, &req).await.unwrap();
}

#[tokio::test]
async fn mark_tag_both_empty_is_local_error_without_http() {
    let (server, api) = setup().await;
    forbid_any_request(&server).await;
    let req = MarkTagRequest {
        userid: "u".into(),
        external_userid: "e".into(),
        ..Default::default()
    };
    let err = api.mark_tag(TOKEN, &req).await.unwrap_err();
    assert!(matches!(err, WecomError::InvalidRequest { .. }), "{err:?}");
    assert_eq!(err.errcode(), None);
}

#[tokio::test]
async fn mark_tag_invalid_tag_40068() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/mark_tag",
        json!({"userid": "u", "external_userid": "e", "add_tag": ["BAD"]}),
        json_body(json!({"errcode": 40068, "errmsg": "invalid tagid"})),
    )
    .await;
    let req = MarkTagRequest {
        userid: "u".into(),
        external_userid: "e".into(),
        add_tag: vec!["BAD".into()],
        remove_tag: vec![],
    };
    let err = api.mark_tag(TOKEN, &req).await.unwrap_err();
    assert_eq!(err.code(), Some(Errcode::InvalidTag));
}

#[tokio::test]
async fn remark_request() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/remark",
        json!({
            "userid": "ZhangSan",
            "external_userid": "woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA",
            "remark": "李总",
            "description": "每月 10 号前交票",
            "remark_company": "某贸易公司",
            "remark_mobiles": ["13800000001", "13800000002"],
            "remark_pic_mediaid": "MEDIAID"
        }),
        ok_fixture("externalcontact_remark"),
    )
    .await;
    let req = RemarkRequest {
        userid: "ZhangSan".into(),
        external_userid: "woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA".into(),
        remark: Some("李总".into()),
        description: Some("每月 10 号前交票".into()),
        remark_company: Some("某贸易公司".into()),
        remark_mobiles: Some(vec!["13800000001".into(), "13800000002".into()]),
        remark_pic_mediaid: Some("MEDIAID".into()),
    };
    api.remark_external_contact(TOKEN, &req).await.unwrap();
}

#[tokio::test]
async fn remark_partial_omits_unset_fields_and_84061() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/remark",
        json!({"userid": "u", "external_userid": "e", "remark": "r"}),
        json_body(json!({"errcode": 84061, "errmsg": "not external contact"})),
    )
    .await;
    let req = RemarkRequest {
        userid: "u".into(),
        external_userid: "e".into(),
        remark: Some("r".into()),
        ..Default::default()
    };
    let err = api.remark_external_contact(TOKEN, &req).await.unwrap_err();
    // Only `list` maps 84061 to "empty"; for a write it is a real failure.
    assert_eq!(err.code(), Some(Errcode::NoExternalContactRelation));
    assert!(err.admin_hint().is_some());
}

#[tokio::test]
async fn remark_with_nothing_to_change_is_local_error() {
    let (server, api) = setup().await;
    forbid_any_request(&server).await;
    let req = RemarkRequest {
        userid: "u".into(),
        external_userid: "e".into(),
        ..Default::default()
    };
    let err = api.remark_external_contact(TOKEN, &req).await.unwrap_err();
    assert!(matches!(err, WecomError::InvalidRequest { .. }));
}

// ---------------------------------------------------------------------------
// Media
// ---------------------------------------------------------------------------

/// Checks the multipart body: one part named `media` with the filename,
/// the content type and the bytes.
struct MediaPart {
    filename: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

impl Match for MediaPart {
    fn matches(&self, request: &Request) -> bool {
        let ct = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let Some(boundary) = ct.strip_prefix("multipart/form-data; boundary=") else {
            return false;
        };
        let body = String::from_utf8_lossy(&request.body);
        let disposition = format!(
            "Content-Disposition: form-data; name=\"media\"; filename=\"{}\"",
            self.filename
        );
        let part_ct = format!("Content-Type: {}", self.content_type);
        body.starts_with(&format!("--{boundary}\r\n"))
            && body.contains(&disposition)
            && body.contains(&part_ct)
            && body.contains(&String::from_utf8_lossy(self.bytes).into_owned())
            && body.matches("Content-Disposition").count() == 1
            && body.trim_end().ends_with(&format!("--{boundary}--"))
    }
}

#[tokio::test]
async fn upload_media_multipart() {
    let (server, api) = setup().await;
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\nfake-receipt-image";
    Mock::given(method("POST"))
        .and(path(cgi("media/upload")))
        .and(exact_query(&[("access_token", TOKEN), ("type", "image")]))
        .and(MediaPart {
            filename: "收据-2024-05.png",
            content_type: "image/png",
            bytes: PNG,
        })
        .and(BodyLacks(TOKEN))
        .and(ua())
        .respond_with(ok_fixture("media_upload"))
        .expect(1)
        .mount(&server)
        .await;
    let m = api
        .upload_media(
            TOKEN,
            MediaKind::Image,
            "收据-2024-05.png",
            "image/png",
            PNG.to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(m.media_type, "image");
    assert_eq!(m.media_id, "1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0");
    assert_eq!(m.created_at, 1380000000);
}

#[tokio::test]
async fn upload_media_file_type_query() {
    let (server, api) = setup().await;
    Mock::given(method("POST"))
        .and(path(cgi("media/upload")))
        .and(exact_query(&[("access_token", TOKEN), ("type", "file")]))
        .and(MediaPart {
            filename: "statement.pdf",
            content_type: "application/pdf",
            bytes: b"%PDF-1.7 tiny",
        })
        .respond_with(json_body(json!({
            "errcode": 0, "errmsg": "", "type": "file", "media_id": "M2", "created_at": 1380000001
        })))
        .expect(1)
        .mount(&server)
        .await;
    let m = api
        .upload_media(
            TOKEN,
            MediaKind::File,
            "statement.pdf",
            "application/pdf",
            b"%PDF-1.7 tiny".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(m.media_type, "file");
    assert_eq!(m.created_at, 1380000001);
}

#[tokio::test]
async fn upload_media_rejects_tiny_files_and_bad_mime_locally() {
    let (server, api) = setup().await;
    forbid_any_request(&server).await;
    let err = api
        .upload_media(
            TOKEN,
            MediaKind::Image,
            "a.png",
            "image/png",
            b"12345".to_vec(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, WecomError::InvalidRequest { .. }));
    let err = api
        .upload_media(
            TOKEN,
            MediaKind::Image,
            "a.png",
            "not a mime",
            b"123456".to_vec(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, WecomError::InvalidRequest { .. }));
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

#[tokio::test]
async fn send_message_request_and_decode() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "message/send",
        json!({
            "touser": "ZhangSan|LiSi",
            "msgtype": "text",
            "agentid": 1000002,
            "text": {"content": "客户「某贸易公司」本月还有 3 张发票未收到"},
            "safe": 0,
            "enable_id_trans": 0,
            "enable_duplicate_check": 1,
            "duplicate_check_interval": 1800
        }),
        ok_fixture("message_send"),
    )
    .await;
    let mut msg = AppMessage::text_to_users(
        1000002,
        &["ZhangSan".into(), "LiSi".into()],
        "客户「某贸易公司」本月还有 3 张发票未收到",
    );
    msg.safe = Some(0);
    msg.enable_id_trans = Some(0);
    msg.enable_duplicate_check = Some(1);
    msg.duplicate_check_interval = Some(1800);
    let r = api.send_message(TOKEN, &msg).await.unwrap();
    assert_eq!(r.invaliduser, "userid3");
    assert_eq!(r.unlicenseduser, "userid4");
    assert_eq!(r.msgid, "xxxx");
    assert_eq!(r.failed_users(), vec!["userid3", "userid4"]);
}

#[tokio::test]
async fn send_message_to_party_and_tag() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "message/send",
        json!({"toparty": "2|3", "totag": "7", "msgtype": "text", "agentid": 1000002, "text": {"content": "hi"}}),
        json_body(json!({"errcode": 81013, "errmsg": "user & party & tag all invalid"})),
    )
    .await;
    let msg = AppMessage {
        toparty: Some("2|3".into()),
        totag: Some("7".into()),
        msgtype: "text".into(),
        agentid: 1000002,
        text: Some(zhangfang::wecom::api::TextContent {
            content: "hi".into(),
        }),
        ..Default::default()
    };
    let err = api.send_message(TOKEN, &msg).await.unwrap_err();
    assert_eq!(err.code(), Some(Errcode::AllRecipientsInvalid));
}

#[tokio::test]
async fn send_message_agent_mismatch_hint() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "message/send",
        json!({"touser": "u", "msgtype": "text", "agentid": 1, "text": {"content": "x"}}),
        json_body(json!({"errcode": 301002, "errmsg": "not allow operate another agent with this accesstoken."})),
    )
    .await;
    let err = api
        .send_message(TOKEN, &AppMessage::text_to_users(1, &["u".into()], "x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(Errcode::AgentMismatch));
    assert!(err.admin_hint().is_some_and(|h| h.contains("agentid")));
}

// ---------------------------------------------------------------------------
// Error mapping
// ---------------------------------------------------------------------------

#[tokio::test]
async fn errcode_mapping_table() {
    struct Case {
        code: i32,
        want: Errcode,
        token_invalid: bool,
        busy: bool,
        rate_limited: bool,
        hint_contains: Option<&'static str>,
    }
    let cases = [
        Case {
            code: 40014,
            want: Errcode::InvalidAccessToken,
            token_invalid: true,
            busy: false,
            rate_limited: false,
            hint_contains: None,
        },
        Case {
            code: 42001,
            want: Errcode::AccessTokenExpired,
            token_invalid: true,
            busy: false,
            rate_limited: false,
            hint_contains: None,
        },
        Case {
            code: 45009,
            want: Errcode::RateLimited,
            token_invalid: false,
            busy: false,
            rate_limited: true,
            hint_contains: Some("频率"),
        },
        Case {
            code: -1,
            want: Errcode::Busy,
            token_invalid: false,
            busy: true,
            rate_limited: false,
            hint_contains: None,
        },
        Case {
            code: 60020,
            want: Errcode::UntrustedIp,
            token_invalid: false,
            busy: false,
            rate_limited: false,
            hint_contains: Some("企业可信IP"),
        },
        Case {
            code: 48002,
            want: Errcode::ApiNotAuthorized,
            token_invalid: false,
            busy: false,
            rate_limited: false,
            hint_contains: Some("可调用接口的应用"),
        },
    ];
    for c in cases {
        let (server, api) = setup().await;
        mount_get(
            &server,
            "externalcontact/get_follow_user_list",
            &[("access_token", TOKEN)],
            json_body(json!({"errcode": c.code, "errmsg": "from wecom, hint: [abc]"})),
            1,
        )
        .await;
        let err = api.get_follow_user_list(TOKEN).await.unwrap_err();
        assert_eq!(err.code(), Some(c.want), "code {}", c.code);
        assert_eq!(err.errcode(), Some(c.code));
        assert_eq!(err.is_token_invalid(), c.token_invalid, "code {}", c.code);
        assert_eq!(err.is_busy(), c.busy, "code {}", c.code);
        assert_eq!(err.is_rate_limited(), c.rate_limited, "code {}", c.code);
        assert!(!err.is_invalid_secret());
        match c.hint_contains {
            Some(needle) => assert!(
                err.admin_hint().is_some_and(|h| h.contains(needle)),
                "code {} hint {:?}",
                c.code,
                err.admin_hint()
            ),
            None => assert!(err.admin_hint().is_none(), "code {}", c.code),
        }
        assert!(err.to_string().contains(&c.code.to_string()));
        assert!(
            err.to_string()
                .contains("externalcontact/get_follow_user_list")
        );
        if let WecomError::Api { errmsg, .. } = &err {
            assert_eq!(errmsg, "from wecom, hint: [abc]");
        } else {
            panic!("not an Api error: {err:?}");
        }
    }
}

#[tokio::test]
async fn invalid_secret_40001_is_flagged_and_not_leaked() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "gettoken",
        &[("corpid", CORP_ID), ("corpsecret", SECRET)],
        // Simulate a server that echoes the secret back in errmsg.
        json_body(json!({"errcode": 40001, "errmsg": format!("invalid credential {SECRET}")})),
        1,
    )
    .await;
    let err = api.get_token(CORP_ID, SECRET).await.unwrap_err();
    assert!(err.is_invalid_secret());
    assert!(!err.is_token_invalid());
    assert!(err.admin_hint().is_some_and(|h| h.contains("Secret")));
    assert_no_secret(&err);
}

#[tokio::test]
async fn error_code_header_without_body_errcode() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "externalcontact/get_follow_user_list",
        &[("access_token", TOKEN)],
        json_body(json!({"follow_user": []}))
            .insert_header("Error-Code", "45009")
            .insert_header("Error-Msg", "api freq out of limit"),
        1,
    )
    .await;
    let err = api.get_follow_user_list(TOKEN).await.unwrap_err();
    assert_eq!(err.code(), Some(Errcode::RateLimited));
    assert!(err.is_rate_limited());
    match &err {
        WecomError::Api { errmsg, .. } => assert_eq!(errmsg, "api freq out of limit"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn error_code_header_with_non_json_body() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "user/get",
        &[("access_token", TOKEN), ("userid", "u")],
        ResponseTemplate::new(200)
            .set_body_string("<html>blocked</html>")
            .insert_header("Error-Code", "60020"),
        1,
    )
    .await;
    let err = api.get_user(TOKEN, "u").await.unwrap_err();
    assert_eq!(err.code(), Some(Errcode::UntrustedIp));
    assert!(err.admin_hint().is_some_and(|h| h.contains("企业可信IP")));
}

#[tokio::test]
async fn error_code_header_zero_is_ok_and_body_wins() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "externalcontact/get_follow_user_list",
        &[("access_token", TOKEN)],
        ok_fixture("externalcontact_get_follow_user_list").insert_header("Error-Code", "0"),
        1,
    )
    .await;
    assert_eq!(api.get_follow_user_list(TOKEN).await.unwrap().len(), 3);

    let (server, api) = setup().await;
    mount_get(
        &server,
        "get_jsapi_ticket",
        &[("access_token", TOKEN)],
        json_body(json!({"errcode": 42001, "errmsg": "access_token expired"}))
            .insert_header("Error-Code", "42001"),
        1,
    )
    .await;
    let err = api.get_jsapi_ticket(TOKEN).await.unwrap_err();
    assert!(err.is_token_invalid());
}

#[tokio::test]
async fn garbage_bodies_are_decode_errors() {
    let bodies: [&[u8]; 4] = [
        b"this is not json",
        b"<html><body>502 Bad Gateway</body></html>",
        b"[1,2,3]",
        b"",
    ];
    for body in bodies {
        let (server, api) = setup().await;
        mount_get(
            &server,
            "user/get",
            &[("access_token", TOKEN), ("userid", "u")],
            ResponseTemplate::new(200).set_body_raw(body.to_vec(), "text/html"),
            1,
        )
        .await;
        let err = api.get_user(TOKEN, "u").await.unwrap_err();
        assert!(matches!(err, WecomError::Decode { .. }), "{err:?}");
        assert_eq!(err.api(), "user/get");
        assert_no_secret(&err);
    }
}

#[tokio::test]
async fn wrong_shape_is_decode_error() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "gettoken",
        &[("corpid", CORP_ID), ("corpsecret", SECRET)],
        json_body(json!({"errcode": 0, "errmsg": "ok", "expires_in": 7200})),
        1,
    )
    .await;
    let err = api.get_token(CORP_ID, SECRET).await.unwrap_err();
    assert!(matches!(err, WecomError::Decode { .. }), "{err:?}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn http_500_is_http_error() {
    let (server, api) = setup().await;
    mount_get(
        &server,
        "get_jsapi_ticket",
        &[("access_token", TOKEN)],
        ResponseTemplate::new(500).set_body_string(format!("internal error for {TOKEN}")),
        1,
    )
    .await;
    let err = api.get_jsapi_ticket(TOKEN).await.unwrap_err();
    match &err {
        WecomError::Http { api, message } => {
            assert_eq!(*api, "get_jsapi_ticket");
            assert!(message.contains("500"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.errcode(), None);
    assert_no_secret(&err);
}

#[tokio::test]
async fn post_http_503_is_http_error() {
    let (server, api) = setup().await;
    Mock::given(method("POST"))
        .and(path(cgi("message/send")))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let err = api
        .send_message(TOKEN, &AppMessage::text_to_users(1, &["u".into()], "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, WecomError::Http { .. }), "{err:?}");
    assert_no_secret(&err);
}

// ---------------------------------------------------------------------------
// Transport failures never leak secrets
// ---------------------------------------------------------------------------

#[tokio::test]
async fn connection_refused_does_not_leak_secret() {
    // Bind then drop a listener to get a port with nothing listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = Url::parse(&format!("http://127.0.0.1:{port}/sandbox")).unwrap();
    let api = HttpWecomApi::new(base).unwrap();
    let err = api.get_token(CORP_ID, SECRET).await.unwrap_err();
    assert!(matches!(err, WecomError::Http { .. }), "{err:?}");
    assert_no_secret(&err);
    let err = api.get_user(TOKEN, "u").await.unwrap_err();
    assert!(matches!(err, WecomError::Http { .. }), "{err:?}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn timeout_is_http_error_without_secret() {
    let server = MockServer::start().await;
    let base = Url::parse(&format!("{}{PREFIX}", server.uri())).unwrap();
    let api = HttpWecomApi::with_timeouts(base, Duration::from_secs(1), Duration::from_millis(200))
        .unwrap();
    Mock::given(method("GET"))
        .and(path(cgi("gettoken")))
        .respond_with(ok_fixture("gettoken").set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let err = api.get_token(CORP_ID, SECRET).await.unwrap_err();
    match &err {
        WecomError::Http { message, .. } => assert!(message.contains("timed out"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_no_secret(&err);
}

#[tokio::test]
async fn api_errmsg_echoing_token_is_scrubbed() {
    let (server, api) = setup().await;
    mount_post(
        &server,
        "externalcontact/groupchat/list",
        json!({"limit": 1000}),
        json_body(json!({"errcode": 40014, "errmsg": format!("invalid access_token {TOKEN}")})),
    )
    .await;
    let err = api
        .list_group_chats(TOKEN, &GroupChatListRequest::default())
        .await
        .unwrap_err();
    assert!(err.is_token_invalid());
    assert_no_secret(&err);
}

// ---------------------------------------------------------------------------
// Base URL handling
// ---------------------------------------------------------------------------

#[tokio::test]
async fn root_base_and_trailing_slash_bases_work() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/externalcontact/get_follow_user_list"))
        .and(exact_query(&[("access_token", TOKEN)]))
        .respond_with(ok_fixture("externalcontact_get_follow_user_list"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/sandbox/cgi-bin/externalcontact/get_follow_user_list",
        ))
        .and(exact_query(&[("access_token", TOKEN)]))
        .respond_with(ok_fixture("externalcontact_get_follow_user_list"))
        .expect(1)
        .mount(&server)
        .await;
    let root = HttpWecomApi::new(Url::parse(&server.uri()).unwrap()).unwrap();
    assert_eq!(root.get_follow_user_list(TOKEN).await.unwrap().len(), 3);
    let slash =
        HttpWecomApi::new(Url::parse(&format!("{}/sandbox/", server.uri())).unwrap()).unwrap();
    assert_eq!(slash.get_follow_user_list(TOKEN).await.unwrap().len(), 3);
}

#[tokio::test]
async fn trait_object_is_usable() {
    // The token layer will hold `Arc<dyn WecomApi>`; make sure that compiles
    // and dispatches.
    let (server, api) = setup().await;
    mount_get(
        &server,
        "get_jsapi_ticket",
        &[("access_token", TOKEN)],
        ok_fixture("get_jsapi_ticket"),
        1,
    )
    .await;
    let dyn_api: std::sync::Arc<dyn WecomApi> = std::sync::Arc::new(api);
    assert_eq!(
        dyn_api.get_jsapi_ticket(TOKEN).await.unwrap().expires_in,
        7200
    );
}
