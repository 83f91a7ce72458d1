//! The published WeCom test vectors (tests/fixtures/wecom-vectors.json) and helpers that play
//! WeCom's side of a callback.

use serde::Deserialize;
use zhangfang::wecom::crypto::{CallbackCrypto, random_prefix};

#[derive(Clone, Debug, Deserialize)]
pub struct CallbackVector {
    pub id: String,
    pub token: String,
    pub key: String,
    pub rid: String,
    pub ts: String,
    pub nonce: String,
    pub sig: String,
    pub enc: String,
    pub expect: Option<String>,
}

#[derive(Deserialize)]
struct Vectors {
    callback: Vec<CallbackVector>,
}

pub fn callback_vectors() -> Vec<CallbackVector> {
    let text = include_str!("../fixtures/wecom-vectors.json");
    let parsed: Vectors = serde_json::from_str(text).expect("vectors parse");
    parsed.callback
}

pub fn vector(id: &str) -> CallbackVector {
    callback_vectors()
        .into_iter()
        .find(|v| v.id == id)
        .expect("vector exists")
}

/// GET vectors carry an echostr; POST vectors an XML event.
pub fn is_get(v: &CallbackVector) -> bool {
    v.id.ends_with('a')
}

pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

pub fn envelope(to: &str, encrypt: &str, agent_id: &str) -> String {
    zhangfang::wecom::crypto::envelope_xml(to, encrypt, agent_id)
}

/// A callback request as WeCom would send it: query string and XML body.
pub struct Sealed {
    pub query: String,
    pub body: String,
}

pub fn seal_event(
    token: &str,
    key: &str,
    corp_id: &str,
    msg: &str,
    timestamp: &str,
    nonce: &str,
) -> Sealed {
    let crypto = CallbackCrypto::new(token, key, corp_id).expect("valid key");
    let sealed = crypto
        .seal(msg, timestamp, nonce, random_prefix())
        .expect("seal");
    Sealed {
        query: format!(
            "msg_signature={}&timestamp={timestamp}&nonce={nonce}",
            sealed.msg_signature
        ),
        body: envelope(corp_id, &sealed.encrypt, "1000002"),
    }
}

pub fn external_contact_event(corp_id: &str, external_userid: &str, create_time: i64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
         <CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>\
         <UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[{external_userid}]]></ExternalUserID>\
         <State><![CDATA[]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>"
    )
}
