//! `WecomApi` over HTTPS with reqwest.
//!
//! Secrets (access token, corp secret, OAuth code) travel only in the query
//! string, as WeCom requires. URLs are therefore never logged or formatted
//! into errors: reqwest errors are stripped of their URL, and every message
//! that could echo request data is scrubbed of the secrets of that call.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::api::{
    self, AccessToken, Ack, AddCorpTagRequest, AddCorpTagResponse, AppMessage,
    BatchExternalContacts, BatchGetByUserBody, ExternalContactDetail, ExternalContactListResponse,
    FollowUserListResponse, GetCorpTagListBody, GetCorpTagListResponse, GroupChat,
    GroupChatGetBody, GroupChatList, GroupChatListRequest, GroupChatResponse, MarkTagRequest,
    MediaKind, OAuthIdentity, RemarkRequest, SendMessageResult, TagGroup, Ticket, UploadedMedia,
    User, WecomApi, names, require_non_empty,
};
use super::errors::{Errcode, WecomError};

/// Production endpoint.
pub const DEFAULT_BASE_URL: &str = "https://qyapi.weixin.qq.com";
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const USER_AGENT: &str = concat!("zhangfang-wecom/", env!("CARGO_PKG_VERSION"));
/// Longest errmsg / decode detail we keep; WeCom's errmsg is short, and a
/// bounded message keeps a misbehaving sandbox from flooding logs.
const MAX_MESSAGE_CHARS: usize = 300;

/// HTTP implementation of [`WecomApi`] rooted at `base` (production or a
/// sandbox such as `http://127.0.0.1:8080/sandbox`; the base path is kept).
#[derive(Debug, Clone)]
pub struct HttpWecomApi {
    client: Client,
    base: Url,
}

impl HttpWecomApi {
    /// Client with the default timeouts (connect 5 s, whole request 15 s).
    pub fn new(base: Url) -> Result<Self, WecomError> {
        Self::with_timeouts(base, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// Client against production.
    pub fn production() -> Result<Self, WecomError> {
        let base = Url::parse(DEFAULT_BASE_URL).map_err(|e| WecomError::InvalidRequest {
            api: "client",
            message: format!("invalid base URL: {e}"),
        })?;
        Self::new(base)
    }

    pub fn with_timeouts(
        base: Url,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Result<Self, WecomError> {
        let client = Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| WecomError::Http {
                api: "client",
                message: format!("cannot build HTTP client: {}", e.without_url()),
            })?;
        Self::with_client(client, base)
    }

    /// Uses a caller-configured client (shared pool, proxy, custom TLS).
    pub fn with_client(client: Client, base: Url) -> Result<Self, WecomError> {
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(WecomError::InvalidRequest {
                api: "client",
                message: "base URL must be an http(s) URL".to_owned(),
            });
        }
        Ok(Self { client, base })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `{base}/cgi-bin/{path}?{query}`. Built by hand rather than with
    /// `Url::join`, which would drop a base path without a trailing slash
    /// (`/sandbox` + `cgi-bin/x` → `/cgi-bin/x`).
    fn endpoint(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        let prefix = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{prefix}/cgi-bin/{path}"));
        url.set_query(None);
        url.set_fragment(None);
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url
    }

    async fn get<T: DeserializeOwned>(
        &self,
        api: &'static str,
        query: &[(&str, &str)],
        secrets: &[&str],
    ) -> Result<T, WecomError> {
        let url = self.endpoint(api, query);
        let value = self.execute(api, self.client.get(url), secrets).await?;
        decode(api, value, secrets)
    }

    async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        api: &'static str,
        access_token: &str,
        query: &[(&str, &str)],
        body: &B,
    ) -> Result<T, WecomError> {
        let mut q = Vec::with_capacity(query.len() + 1);
        q.push(("access_token", access_token));
        q.extend_from_slice(query);
        let url = self.endpoint(api, &q);
        let secrets = [access_token];
        let request = self.client.post(url).json(body);
        let value = self.execute(api, request, &secrets).await?;
        decode(api, value, &secrets)
    }

    /// Sends, checks the HTTP status and WeCom's errcode, and returns the
    /// JSON object of a successful call.
    async fn execute(
        &self,
        api: &'static str,
        request: RequestBuilder,
        secrets: &[&str],
    ) -> Result<Value, WecomError> {
        tracing::debug!(api, "wecom request");
        let result = self.execute_inner(api, request, secrets).await;
        if let Err(err) = &result {
            // Only the API name and errcode: the message may contain
            // WeCom's hint text, the URL never appears here.
            match err.errcode() {
                Some(errcode) => tracing::warn!(api, errcode, "wecom api error"),
                None => tracing::warn!(api, kind = error_kind(err), "wecom call failed"),
            }
        }
        result
    }

    async fn execute_inner(
        &self,
        api: &'static str,
        request: RequestBuilder,
        secrets: &[&str],
    ) -> Result<Value, WecomError> {
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(api, e, secrets))?;
        let status = response.status();
        let header_error = header_errcode(response.headers(), secrets);
        if !status.is_success() {
            let mut message = format!("HTTP status {}", status.as_u16());
            if let Some((code, _)) = &header_error {
                message.push_str(&format!(" (Error-Code {code})"));
            }
            return Err(WecomError::Http { api, message });
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| transport_error(api, e, secrets))?;
        interpret_body(api, &body, header_error, secrets)
    }
}

/// Classifies a WeCom answer. Order: the body's own errcode wins; a
/// non-zero `Error-Code` header (WeCom mirrors the errcode there) turns an
/// otherwise ok-looking or undecodable body into an API error, so a failure
/// is never mistaken for success.
fn interpret_body(
    api: &'static str,
    body: &[u8],
    header_error: Option<(i32, String)>,
    secrets: &[&str],
) -> Result<Value, WecomError> {
    let header_api_error = |(code, errmsg): (i32, String)| WecomError::Api {
        code: Errcode::from_code(code),
        errmsg,
        api,
    };
    let map = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(match header_error {
                Some(h) => header_api_error(h),
                None => WecomError::Decode {
                    api,
                    message: "response is not a JSON object".to_owned(),
                },
            });
        }
        Err(e) => {
            return Err(match header_error {
                Some(h) => header_api_error(h),
                None => WecomError::Decode {
                    api,
                    message: sanitize(&format!("invalid JSON: {e}"), secrets),
                },
            });
        }
    };
    let code = match map.get("errcode") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => {
            n.as_i64()
                .and_then(|c| i32::try_from(c).ok())
                .ok_or_else(|| WecomError::Decode {
                    api,
                    message: "errcode is not a 32-bit integer".to_owned(),
                })?
        }
        Some(Value::String(s)) => s.trim().parse().map_err(|_| WecomError::Decode {
            api,
            message: "errcode is not an integer".to_owned(),
        })?,
        Some(_) => {
            return Err(WecomError::Decode {
                api,
                message: "errcode has an unexpected type".to_owned(),
            });
        }
    };
    if code != 0 {
        let errmsg = map
            .get("errmsg")
            .and_then(Value::as_str)
            .map(|m| sanitize(m, secrets))
            .unwrap_or_default();
        return Err(WecomError::Api {
            code: Errcode::from_code(code),
            errmsg,
            api,
        });
    }
    if let Some(h) = header_error {
        return Err(header_api_error(h));
    }
    Ok(Value::Object(map))
}

fn decode<T: DeserializeOwned>(
    api: &'static str,
    value: Value,
    secrets: &[&str],
) -> Result<T, WecomError> {
    serde_json::from_value(value).map_err(|e| WecomError::Decode {
        api,
        // serde messages can quote offending values; scrub them.
        message: sanitize(&e.to_string(), secrets),
    })
}

/// Non-zero `Error-Code` header with its `Error-Msg`, if present.
fn header_errcode(headers: &HeaderMap, secrets: &[&str]) -> Option<(i32, String)> {
    let code: i32 = headers
        .get("error-code")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    if code == 0 {
        return None;
    }
    let msg = headers
        .get("error-msg")
        .and_then(|v| v.to_str().ok())
        .map(|m| sanitize(m, secrets))
        .unwrap_or_default();
    Some((code, msg))
}

fn transport_error(api: &'static str, err: reqwest::Error, secrets: &[&str]) -> WecomError {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connection failed"
    } else if err.is_body() || err.is_decode() {
        "reading the response failed"
    } else {
        "request failed"
    };
    // `without_url` drops the URL (and with it the token/secret/code in the
    // query); the source chain carries the useful OS/TLS detail.
    let err = err.without_url();
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    WecomError::Http {
        api,
        message: sanitize(&format!("{kind}: {detail}"), secrets),
    }
}

/// Replaces every secret of the call by `***` and bounds the length.
fn sanitize(message: &str, secrets: &[&str]) -> String {
    let mut out = message.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret, "***");
    }
    if out.chars().count() > MAX_MESSAGE_CHARS {
        out = out.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + "…";
    }
    out
}

fn error_kind(err: &WecomError) -> &'static str {
    match err {
        WecomError::Api { .. } => "api",
        WecomError::Http { .. } => "http",
        WecomError::Decode { .. } => "decode",
        WecomError::InvalidRequest { .. } => "invalid_request",
    }
}

/// Keeps the display name WeCom shows to recipients but drops characters
/// that have no place in a Content-Disposition header or look like a path.
fn clean_filename(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, '/' | '\\' | '"') {
                '_'
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[async_trait]
impl WecomApi for HttpWecomApi {
    async fn get_token(&self, corp_id: &str, secret: &str) -> Result<AccessToken, WecomError> {
        let api = names::GET_TOKEN;
        require_non_empty(api, "corp_id", corp_id)?;
        require_non_empty(api, "secret", secret)?;
        self.get(
            api,
            &[("corpid", corp_id), ("corpsecret", secret)],
            &[secret],
        )
        .await
    }

    async fn get_jsapi_ticket(&self, access_token: &str) -> Result<Ticket, WecomError> {
        self.get(
            names::GET_JSAPI_TICKET,
            &[("access_token", access_token)],
            &[access_token],
        )
        .await
    }

    async fn get_agent_config_ticket(&self, access_token: &str) -> Result<Ticket, WecomError> {
        self.get(
            names::GET_AGENT_CONFIG_TICKET,
            &[("access_token", access_token), ("type", "agent_config")],
            &[access_token],
        )
        .await
    }

    async fn auth_get_user_info(
        &self,
        access_token: &str,
        code: &str,
    ) -> Result<OAuthIdentity, WecomError> {
        let api = names::AUTH_GET_USER_INFO;
        require_non_empty(api, "code", code)?;
        self.get(
            api,
            &[("access_token", access_token), ("code", code)],
            &[access_token, code],
        )
        .await
    }

    async fn get_user(&self, access_token: &str, userid: &str) -> Result<User, WecomError> {
        let api = names::USER_GET;
        require_non_empty(api, "userid", userid)?;
        self.get(
            api,
            &[("access_token", access_token), ("userid", userid)],
            &[access_token],
        )
        .await
    }

    async fn get_follow_user_list(&self, access_token: &str) -> Result<Vec<String>, WecomError> {
        let resp: FollowUserListResponse = self
            .get(
                names::GET_FOLLOW_USER_LIST,
                &[("access_token", access_token)],
                &[access_token],
            )
            .await?;
        Ok(resp.follow_user)
    }

    async fn list_external_contacts(
        &self,
        access_token: &str,
        userid: &str,
    ) -> Result<Vec<String>, WecomError> {
        let api = names::EXTERNAL_CONTACT_LIST;
        require_non_empty(api, "userid", userid)?;
        let result: Result<ExternalContactListResponse, _> = self
            .get(
                api,
                &[("access_token", access_token), ("userid", userid)],
                &[access_token],
            )
            .await;
        match result {
            Ok(resp) => Ok(resp.external_userid),
            // WeCom reports "this member has no customers" as 84061; for a
            // list call that is simply an empty list.
            Err(e) if e.code() == Some(Errcode::NoExternalContactRelation) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    async fn get_external_contact(
        &self,
        access_token: &str,
        external_userid: &str,
        cursor: Option<&str>,
    ) -> Result<ExternalContactDetail, WecomError> {
        let api = names::EXTERNAL_CONTACT_GET;
        require_non_empty(api, "external_userid", external_userid)?;
        let mut query = vec![
            ("access_token", access_token),
            ("external_userid", external_userid),
        ];
        if let Some(c) = cursor.filter(|c| !c.is_empty()) {
            query.push(("cursor", c));
        }
        self.get(api, &query, &[access_token]).await
    }

    async fn batch_get_external_contacts(
        &self,
        access_token: &str,
        userid_list: &[String],
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<BatchExternalContacts, WecomError> {
        api::validate_batch_get(userid_list, limit)?;
        let body = BatchGetByUserBody {
            userid_list,
            cursor: cursor.filter(|c| !c.is_empty()),
            limit,
        };
        self.post_json(names::EXTERNAL_CONTACT_BATCH_GET, access_token, &[], &body)
            .await
    }

    async fn list_group_chats(
        &self,
        access_token: &str,
        request: &GroupChatListRequest,
    ) -> Result<GroupChatList, WecomError> {
        request.validate()?;
        self.post_json(names::GROUP_CHAT_LIST, access_token, &[], request)
            .await
    }

    async fn get_group_chat(
        &self,
        access_token: &str,
        chat_id: &str,
        need_name: bool,
    ) -> Result<GroupChat, WecomError> {
        let api = names::GROUP_CHAT_GET;
        require_non_empty(api, "chat_id", chat_id)?;
        let body = GroupChatGetBody {
            chat_id,
            need_name: u8::from(need_name),
        };
        let resp: GroupChatResponse = self.post_json(api, access_token, &[], &body).await?;
        Ok(resp.group_chat)
    }

    async fn get_corp_tag_list(
        &self,
        access_token: &str,
        tag_ids: &[String],
        group_ids: &[String],
    ) -> Result<Vec<TagGroup>, WecomError> {
        let body = GetCorpTagListBody {
            tag_id: tag_ids,
            group_id: group_ids,
        };
        let resp: GetCorpTagListResponse = self
            .post_json(names::GET_CORP_TAG_LIST, access_token, &[], &body)
            .await?;
        Ok(resp.tag_group)
    }

    async fn add_corp_tag(
        &self,
        access_token: &str,
        request: &AddCorpTagRequest,
    ) -> Result<TagGroup, WecomError> {
        request.validate()?;
        let resp: AddCorpTagResponse = self
            .post_json(names::ADD_CORP_TAG, access_token, &[], request)
            .await?;
        Ok(resp.tag_group)
    }

    async fn mark_tag(
        &self,
        access_token: &str,
        request: &MarkTagRequest,
    ) -> Result<(), WecomError> {
        request.validate()?;
        let _: Ack = self
            .post_json(names::MARK_TAG, access_token, &[], request)
            .await?;
        Ok(())
    }

    async fn remark_external_contact(
        &self,
        access_token: &str,
        request: &RemarkRequest,
    ) -> Result<(), WecomError> {
        request.validate()?;
        let _: Ack = self
            .post_json(names::REMARK, access_token, &[], request)
            .await?;
        Ok(())
    }

    async fn upload_media(
        &self,
        access_token: &str,
        kind: MediaKind,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<UploadedMedia, WecomError> {
        let api = names::MEDIA_UPLOAD;
        let filename = clean_filename(filename);
        api::validate_upload(kind, &filename, bytes.len())?;
        let part = Part::bytes(bytes)
            .file_name(filename)
            .mime_str(content_type)
            .map_err(|_| WecomError::InvalidRequest {
                api,
                message: "content_type is not a valid MIME type".to_owned(),
            })?;
        let form = Form::new().part("media", part);
        let url = self.endpoint(
            api,
            &[("access_token", access_token), ("type", kind.as_str())],
        );
        let secrets = [access_token];
        let value = self
            .execute(api, self.client.post(url).multipart(form), &secrets)
            .await?;
        decode(api, value, &secrets)
    }

    async fn send_message(
        &self,
        access_token: &str,
        message: &AppMessage,
    ) -> Result<SendMessageResult, WecomError> {
        message.validate()?;
        self.post_json(names::MESSAGE_SEND, access_token, &[], message)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(base: &str) -> HttpWecomApi {
        HttpWecomApi::new(Url::parse(base).unwrap()).unwrap()
    }

    #[test]
    fn endpoint_keeps_base_path() {
        let q = [("access_token", "T")];
        assert_eq!(
            api("http://127.0.0.1:8080/sandbox")
                .endpoint("user/get", &q)
                .as_str(),
            "http://127.0.0.1:8080/sandbox/cgi-bin/user/get?access_token=T"
        );
        assert_eq!(
            api("http://127.0.0.1:8080/sandbox/")
                .endpoint("user/get", &q)
                .as_str(),
            "http://127.0.0.1:8080/sandbox/cgi-bin/user/get?access_token=T"
        );
        assert_eq!(
            api(DEFAULT_BASE_URL).endpoint("gettoken", &[]).as_str(),
            "https://qyapi.weixin.qq.com/cgi-bin/gettoken"
        );
    }

    #[test]
    fn query_values_are_encoded() {
        let url = api("http://h/").endpoint("x", &[("code", "a+b/c=&d")]);
        assert_eq!(url.query(), Some("code=a%2Bb%2Fc%3D%26d"));
    }

    #[test]
    fn rejects_non_http_base() {
        assert!(HttpWecomApi::new(Url::parse("mailto:a@b").unwrap()).is_err());
        assert!(HttpWecomApi::new(Url::parse("ftp://h/").unwrap()).is_err());
    }

    #[test]
    fn sanitize_scrubs_and_bounds() {
        assert_eq!(sanitize("bad TOKEN here", &["TOKEN", ""]), "bad *** here");
        assert!(sanitize(&"x".repeat(1000), &[]).chars().count() <= MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn clean_filename_strips_paths_and_controls() {
        assert_eq!(clean_filename("../a/b\"c\r\n.png"), ".._a_b_c.png");
        assert_eq!(clean_filename("收据 2024.png"), "收据 2024.png");
    }

    #[test]
    fn interpret_body_rules() {
        let ok = interpret_body("x", br#"{"errcode":0,"a":1}"#, None, &[]).unwrap();
        assert_eq!(ok["a"], 1);
        let ok = interpret_body("x", br#"{"a":1}"#, None, &[]).unwrap();
        assert_eq!(ok["a"], 1);
        let e = interpret_body("x", br#"{"errcode":"45009","errmsg":"m"}"#, None, &[]).unwrap_err();
        assert_eq!(e.errcode(), Some(45009));
        let e = interpret_body("x", br#"{"errcode":true}"#, None, &[]).unwrap_err();
        assert!(matches!(e, WecomError::Decode { .. }));
        let e = interpret_body("x", b"[1]", None, &[]).unwrap_err();
        assert!(matches!(e, WecomError::Decode { .. }));
        let e = interpret_body("x", b"", Some((60020, "ip".into())), &[]).unwrap_err();
        assert_eq!(e.errcode(), Some(60020));
    }
}
