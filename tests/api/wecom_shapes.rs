//! WeCom's real answer shapes (tests/fixtures/wecom-shapes, recorded by public SDKs) against
//! our client and the sandbox: for every API path, each sample decodes through `HttpWecomApi`
//! (an error sample becomes its typed errcode), and the sandbox's answer to a valid request has
//! the same shape — every key it sends is one WeCom sends (with the same JSON type), and every
//! key that all samples carry and WeCom does not send conditionally is there.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use actix_web::{App, HttpServer};
use chrono::NaiveDate;
use serde_json::{Value, json};
use url::Url;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};
use zhangfang::domain::clock::Clock;
use zhangfang::sandbox::{Sandbox, SandboxOptions};
use zhangfang::seed::{self, Profile, WecomDataset};
use zhangfang::wecom::api::{
    AddCorpTagRequest, AppMessage, GroupChatListRequest, MarkTagRequest, MediaKind, NewTag,
    RemarkRequest, WecomApi,
};
use zhangfang::wecom::errors::WecomError;
use zhangfang::wecom::http_api::HttpWecomApi;

/// One recorded answer.
struct Sample {
    id: String,
    kind: String,
    variant: Option<String>,
    body: Value,
}

/// One file of tests/fixtures/wecom-shapes.
struct Shapes {
    api: String,
    samples: Vec<Sample>,
    conditional: BTreeSet<String>,
    /// Documented keys absent from the samples, with their JSON type.
    extra: BTreeMap<String, String>,
}

fn shapes(file: &str) -> Shapes {
    let path = format!(
        "{}/tests/fixtures/wecom-shapes/{file}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("shape file");
    let v: Value = serde_json::from_str(&text).expect("shape json");
    let samples = v["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|s| Sample {
            id: s["id"].as_str().unwrap_or_default().to_string(),
            kind: s["kind"].as_str().unwrap_or_default().to_string(),
            variant: s["variant"].as_str().map(str::to_string),
            body: s["body"].clone(),
        })
        .collect();
    let conditional = v["conditional"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let extra = v["documented_extra"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, d)| (k.clone(), d["type"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    Shapes {
        api: v["api"].as_str().expect("api").to_string(),
        samples,
        conditional,
        extra,
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Every key path (`a.b[].c`) with the JSON types seen there.
fn paths(v: &Value, prefix: &str, out: &mut BTreeMap<String, BTreeSet<&'static str>>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = join(prefix, k);
                out.entry(p.clone()).or_default().insert(json_type(child));
                paths(child, &p, out);
            }
        }
        Value::Array(items) => {
            let p = format!("{prefix}[]");
            for item in items {
                if item.is_object() || item.is_array() {
                    paths(item, &p, out);
                }
            }
        }
        _ => {}
    }
}

/// Key paths present in every element of every array (what an answer always carries).
fn always(v: &Value, prefix: &str) -> BTreeSet<String> {
    match v {
        Value::Object(map) => {
            let mut out = BTreeSet::new();
            for (k, child) in map {
                let p = join(prefix, k);
                out.insert(p.clone());
                out.extend(always(child, &p));
            }
            out
        }
        Value::Array(items) => {
            let p = format!("{prefix}[]");
            let mut sets = items
                .iter()
                .filter(|i| i.is_object())
                .map(|i| always(i, &p));
            let first = sets.next().unwrap_or_default();
            sets.fold(first, |acc, s| acc.intersection(&s).cloned().collect())
        }
        _ => BTreeSet::new(),
    }
}

fn under(path: &str, conditional: &BTreeSet<String>) -> bool {
    conditional.iter().any(|c| {
        path == c || path.starts_with(&format!("{c}.")) || path.starts_with(&format!("{c}["))
    })
}

/// The sandbox's answer against the samples of `variant` (all success samples when `None`).
fn compare_shape(shapes: &Shapes, variant: Option<&str>, answer: &Value) {
    assert_eq!(answer["errcode"], 0, "{}: {answer}", shapes.api);
    let successes: Vec<&Sample> = shapes
        .samples
        .iter()
        .filter(|s| s.kind == "success")
        .filter(|s| variant.is_none() || s.variant.as_deref() == variant)
        .collect();
    assert!(!successes.is_empty(), "{}: no samples", shapes.api);

    let mut allowed: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for s in &shapes.samples {
        paths(&s.body, "", &mut allowed);
    }
    let mut required: Option<BTreeSet<String>> = None;
    for s in &successes {
        let a = always(&s.body, "");
        required = Some(match required {
            None => a,
            Some(r) => r.intersection(&a).cloned().collect(),
        });
    }
    let required = required.unwrap_or_default();

    let mut got: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    paths(answer, "", &mut got);
    for (p, types) in &got {
        if let Some(t) = shapes.extra.get(p) {
            assert!(
                types.iter().all(|ty| ty == t),
                "{}: {p} is {types:?}, documented as {t}",
                shapes.api
            );
            continue;
        }
        let Some(seen) = allowed.get(p) else {
            panic!(
                "{}: the sandbox sends {p}, which WeCom does not",
                shapes.api
            );
        };
        assert!(
            types.is_subset(seen),
            "{}: {p} is {types:?} in the sandbox, {seen:?} in WeCom's samples",
            shapes.api
        );
    }
    for p in &required {
        if under(p, &shapes.conditional) {
            continue;
        }
        // Keys inside an array are required only where the sandbox's array has elements.
        if let Some(idx) = p.rfind("[]") {
            let container = &p[..idx + 2];
            if !got.keys().any(|k| k.starts_with(container)) {
                continue;
            }
        }
        assert!(
            got.contains_key(p),
            "{}: WeCom always sends {p}, the sandbox does not: {answer}",
            shapes.api
        );
    }
}

/// Serves one sample at the API's path and calls our client for it.
async fn decode(shapes: &Shapes, sample: &Sample) -> Result<(), WecomError> {
    let server = MockServer::start().await;
    // The legacy user/getuserinfo answer is served where the client asks (auth/getuserinfo).
    let served = match shapes.api.as_str() {
        "user/getuserinfo" => "auth/getuserinfo",
        other => other,
    };
    Mock::given(path(format!("/cgi-bin/{served}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(sample.body.clone()))
        .mount(&server)
        .await;
    let api = HttpWecomApi::new(Url::parse(&server.uri()).unwrap()).unwrap();
    let t = "TOKEN";
    let users = vec!["zhangsan".to_string()];
    match shapes.api.as_str() {
        "gettoken" => api.get_token("ww1", "secret").await.map(drop),
        "get_jsapi_ticket" => api.get_jsapi_ticket(t).await.map(drop),
        "ticket/get" => api.get_agent_config_ticket(t).await.map(drop),
        "auth/getuserinfo" | "user/getuserinfo" => {
            api.auth_get_user_info(t, "CODE").await.map(drop)
        }
        "user/get" => api.get_user(t, "zhangsan").await.map(drop),
        "externalcontact/get_follow_user_list" => api.get_follow_user_list(t).await.map(drop),
        "externalcontact/list" => api.list_external_contacts(t, "zhangsan").await.map(drop),
        "externalcontact/get" => api.get_external_contact(t, "wm1", None).await.map(drop),
        "externalcontact/batch/get_by_user" => api
            .batch_get_external_contacts(t, &users, None, 100)
            .await
            .map(drop),
        "externalcontact/groupchat/list" => api
            .list_group_chats(t, &GroupChatListRequest::default())
            .await
            .map(drop),
        "externalcontact/groupchat/get" => api.get_group_chat(t, "wr1", true).await.map(drop),
        "externalcontact/get_corp_tag_list" => api.get_corp_tag_list(t, &[], &[]).await.map(drop),
        "externalcontact/add_corp_tag" => api
            .add_corp_tag(
                t,
                &AddCorpTagRequest {
                    group_name: Some("组".into()),
                    tag: vec![NewTag {
                        name: "标签".into(),
                        order: None,
                    }],
                    ..Default::default()
                },
            )
            .await
            .map(drop),
        "externalcontact/mark_tag" => {
            api.mark_tag(
                t,
                &MarkTagRequest {
                    userid: "zhangsan".into(),
                    external_userid: "wm1".into(),
                    add_tag: vec!["et1".into()],
                    remove_tag: vec![],
                },
            )
            .await
        }
        "externalcontact/remark" => {
            api.remark_external_contact(
                t,
                &RemarkRequest {
                    userid: "zhangsan".into(),
                    external_userid: "wm1".into(),
                    remark: Some("备注".into()),
                    ..Default::default()
                },
            )
            .await
        }
        "media/upload" => api
            .upload_media(t, MediaKind::Image, "a.png", "image/png", vec![7; 64])
            .await
            .map(drop),
        "message/send" => api
            .send_message(t, &AppMessage::text_to_users(1000002, &users, "你好"))
            .await
            .map(drop),
        other => panic!("no client call for {other}"),
    }
}

/// Every sample of a path decodes through the client; error samples give their errcode.
async fn samples_decode(file: &str) -> Shapes {
    let shapes = shapes(file);
    for sample in &shapes.samples {
        let result = decode(&shapes, sample).await;
        if sample.kind == "success" {
            assert!(
                result.is_ok(),
                "{} sample {}: {result:?}",
                shapes.api,
                sample.id
            );
        } else if shapes.api == "externalcontact/list" && sample.body["errcode"] == 84061 {
            // "This member has no customers" is an empty list to us, not an error.
            assert!(result.is_ok(), "{result:?}");
        } else {
            let code = sample.body["errcode"].as_i64().map(|c| c as i32);
            let got = result.expect_err("an error sample fails").errcode();
            assert_eq!(got, code, "{} sample {}", shapes.api, sample.id);
        }
    }
    shapes
}

/// The demo corp's sandbox over HTTP, with a token and raw JSON calls.
struct Live {
    base: String,
    sandbox: Sandbox,
    dataset: WecomDataset,
    token: String,
    http: reqwest::Client,
}

async fn live() -> Live {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let dataset = seed::wecom_dataset(Profile::Demo, seed::DEMO_SEED, as_of);
    let sandbox = Sandbox::with_clock(
        dataset.clone(),
        SandboxOptions::default(),
        Arc::new(|| zhangfang::domain::clock::SystemClock.now()),
    );
    let served = sandbox.clone();
    let server = HttpServer::new(move || {
        let sb = served.clone();
        App::new().configure(move |cfg| sb.configure(cfg))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    let http = reqwest::Client::new();
    let v: Value = http
        .get(format!(
            "{base}/cgi-bin/gettoken?corpid={}&corpsecret={}",
            dataset.corp_id, dataset.app.secret
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Live {
        base,
        sandbox,
        token: v["access_token"].as_str().unwrap().to_string(),
        dataset,
        http,
    }
}

impl Live {
    async fn get(&self, api: &str, query: &str) -> Value {
        self.http
            .get(format!(
                "{}/cgi-bin/{api}?access_token={}{query}",
                self.base, self.token
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn post(&self, api: &str, body: Value) -> Value {
        self.http
            .post(format!(
                "{}/cgi-bin/{api}?access_token={}",
                self.base, self.token
            ))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A follow user with customers, and one of those customers.
    fn follow(&self) -> (String, String) {
        let c = self
            .dataset
            .external_contacts
            .iter()
            .find(|c| !c.follow_users.is_empty())
            .expect("a followed contact");
        (c.follow_users[0].userid.clone(), c.external_userid.clone())
    }
}

#[tokio::test]
async fn gettoken_shape() {
    let shapes = samples_decode("gettoken").await;
    let l = live().await;
    let v: Value = l
        .http
        .get(format!(
            "{}/cgi-bin/gettoken?corpid={}&corpsecret={}",
            l.base, l.dataset.corp_id, l.dataset.app.secret
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    compare_shape(&shapes, None, &v);
}

#[tokio::test]
async fn get_jsapi_ticket_shape() {
    let shapes = samples_decode("get_jsapi_ticket").await;
    let l = live().await;
    compare_shape(&shapes, None, &l.get("get_jsapi_ticket", "").await);
}

#[tokio::test]
async fn ticket_get_shape() {
    let shapes = samples_decode("ticket_get").await;
    let l = live().await;
    compare_shape(
        &shapes,
        None,
        &l.get("ticket/get", "&type=agent_config").await,
    );
}

#[tokio::test]
async fn auth_getuserinfo_shape() {
    let shapes = samples_decode("auth_getuserinfo").await;
    let l = live().await;
    let userid = l.dataset.members[0].userid.clone();
    let code = l.sandbox.issue_code(&userid).unwrap();
    let v = l.get("auth/getuserinfo", &format!("&code={code}")).await;
    compare_shape(&shapes, Some("member"), &v);
    assert!(v.get("expires_in").is_none(), "{v}");
}

#[tokio::test]
async fn legacy_user_getuserinfo_samples_decode() {
    // The sandbox serves only auth/getuserinfo; the old capitalised spelling must still decode.
    samples_decode("user_getuserinfo").await;
}

#[tokio::test]
async fn user_get_shape() {
    let shapes = samples_decode("user_get").await;
    let l = live().await;
    let userid = l.dataset.members[0].userid.clone();
    let v = l.get("user/get", &format!("&userid={userid}")).await;
    compare_shape(&shapes, None, &v);
    // An app created after 2022-06-20 gets none of these.
    for gone in [
        "mobile",
        "email",
        "biz_mail",
        "avatar",
        "thumb_avatar",
        "gender",
        "qr_code",
        "address",
        "open_userid",
    ] {
        assert!(v.get(gone).is_none(), "user/get sends {gone}: {v}");
    }
    for present in ["extattr", "external_position", "external_profile"] {
        assert!(v.get(present).is_some(), "user/get lacks {present}: {v}");
    }
}

#[tokio::test]
async fn get_follow_user_list_shape() {
    let shapes = samples_decode("externalcontact_get_follow_user_list").await;
    let l = live().await;
    compare_shape(
        &shapes,
        None,
        &l.get("externalcontact/get_follow_user_list", "").await,
    );
}

#[tokio::test]
async fn externalcontact_list_shape() {
    let shapes = samples_decode("externalcontact_list").await;
    let l = live().await;
    let (userid, _) = l.follow();
    let v = l
        .get("externalcontact/list", &format!("&userid={userid}"))
        .await;
    compare_shape(&shapes, None, &v);
}

#[tokio::test]
async fn externalcontact_get_shape() {
    let shapes = samples_decode("externalcontact_get").await;
    let l = live().await;
    let (_, external) = l.follow();
    let v = l
        .get(
            "externalcontact/get",
            &format!("&external_userid={external}"),
        )
        .await;
    compare_shape(&shapes, None, &v);
}

#[tokio::test]
async fn batch_get_by_user_shape() {
    let shapes = samples_decode("externalcontact_batch_get_by_user").await;
    let l = live().await;
    let (userid, _) = l.follow();
    let v = l
        .post(
            "externalcontact/batch/get_by_user",
            json!({"userid_list": [userid], "limit": 100}),
        )
        .await;
    compare_shape(&shapes, None, &v);
}

#[tokio::test]
async fn groupchat_list_shape() {
    let shapes = samples_decode("externalcontact_groupchat_list").await;
    let l = live().await;
    let v = l
        .post("externalcontact/groupchat/list", json!({"limit": 10}))
        .await;
    compare_shape(&shapes, None, &v);
}

#[tokio::test]
async fn groupchat_get_shape() {
    let shapes = samples_decode("externalcontact_groupchat_get").await;
    let l = live().await;
    let chat_id = l.dataset.group_chats[0].chat_id.clone();
    let v = l
        .post(
            "externalcontact/groupchat/get",
            json!({"chat_id": chat_id, "need_name": 1}),
        )
        .await;
    compare_shape(&shapes, None, &v);
}

#[tokio::test]
async fn get_corp_tag_list_shape() {
    let shapes = samples_decode("externalcontact_get_corp_tag_list").await;
    let l = live().await;
    let v = l.post("externalcontact/get_corp_tag_list", json!({})).await;
    compare_shape(&shapes, None, &v);
}

#[tokio::test]
async fn add_corp_tag_shape() {
    let shapes = samples_decode("externalcontact_add_corp_tag").await;
    let l = live().await;
    let v = l
        .post(
            "externalcontact/add_corp_tag",
            json!({"group_name": "新标签组", "tag": [{"name": "新标签"}]}),
        )
        .await;
    compare_shape(&shapes, None, &v);
}

#[tokio::test]
async fn mark_tag_shape() {
    let shapes = samples_decode("externalcontact_mark_tag").await;
    let l = live().await;
    let (userid, external) = l.follow();
    let tag = l.dataset.tag_groups[0].tags[0].id.clone();
    let v = l
        .post(
            "externalcontact/mark_tag",
            json!({"userid": userid, "external_userid": external, "add_tag": [tag]}),
        )
        .await;
    compare_shape(&shapes, None, &v);
}

#[tokio::test]
async fn remark_shape() {
    let shapes = samples_decode("externalcontact_remark").await;
    let l = live().await;
    let (userid, external) = l.follow();
    let v = l
        .post(
            "externalcontact/remark",
            json!({"userid": userid, "external_userid": external, "remark": "老客户"}),
        )
        .await;
    compare_shape(&shapes, None, &v);
}

#[tokio::test]
async fn media_upload_shape() {
    let shapes = samples_decode("media_upload").await;
    let l = live().await;
    let part = reqwest::multipart::Part::bytes(vec![0x89, b'P', b'N', b'G', 1, 2, 3, 4, 5, 6])
        .file_name("a.png")
        .mime_str("image/png")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("media", part);
    let v: Value = l
        .http
        .post(format!(
            "{}/cgi-bin/media/upload?access_token={}&type=image",
            l.base, l.token
        ))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    compare_shape(&shapes, None, &v);
}

#[tokio::test]
async fn message_send_shape() {
    let shapes = samples_decode("message_send").await;
    let l = live().await;
    let userid = l.dataset.members[0].userid.clone();
    let v = l
        .post(
            "message/send",
            json!({"touser": userid, "msgtype": "text", "agentid": l.dataset.app.agent_id.parse::<i64>().unwrap(), "text": {"content": "你好"}}),
        )
        .await;
    compare_shape(&shapes, None, &v);
}

#[test]
fn the_shape_check_catches_unknown_wrongly_typed_and_missing_keys() {
    let shapes = shapes("user_get");
    let good = shapes.samples[0].body.clone();
    let mut stripped = good.clone();
    for key in shapes.conditional.iter() {
        stripped.as_object_mut().unwrap().remove(key);
    }
    compare_shape(&shapes, None, &stripped);

    let mut unknown = stripped.clone();
    unknown["expires_in"] = json!(1800);
    let mut wrong_type = stripped.clone();
    wrong_type["status"] = json!("1");
    let mut missing = stripped.clone();
    missing.as_object_mut().unwrap().remove("external_profile");
    for bad in [unknown, wrong_type, missing] {
        let result = std::panic::catch_unwind(|| compare_shape(&shapes, None, &bad));
        assert!(result.is_err(), "accepted {bad}");
    }
}
