//! WeCom calls on behalf of an app, one line each: `client.get_user(&app, "zhangsan")`.
//!
//! [`WecomApi`] takes the access token as an argument so that it stays a plain protocol layer;
//! the token rules (shared cache, replace a token WeCom rejected early and retry once, never loop
//! on a bad secret) live in [`TokenCache`]. This client joins the two, so callers neither handle
//! tokens nor build the retry closure, and every call follows the same rules.
//!
//! Methods carry the names of the [`WecomApi`] methods they wrap and take the same arguments,
//! with an [`AppHandle`] in place of the token.
//!
//! The one retry is safe for every call, even single-use OAuth codes and messages: WeCom checks
//! the token before anything else, so a call it answered with 40014/42001 did nothing.

use std::sync::Arc;

use super::api::{
    AddCorpTagRequest, AppMessage, BatchExternalContacts, ExternalContactDetail, GroupChat,
    GroupChatList, GroupChatListRequest, MarkTagRequest, MediaKind, OAuthIdentity, RemarkRequest,
    SendMessageResult, TagGroup, UploadedMedia, User, WecomApi,
};
use super::token_cache::{AppCredentials, TokenCache, TokenError};

/// An app the client acts as: the ids that key its cached tokens, and its credentials.
#[derive(Clone, Debug)]
pub struct AppHandle {
    pub tenant: i64,
    pub app: i64,
    pub creds: AppCredentials,
}

pub struct WecomClient {
    tokens: TokenCache,
}

impl WecomClient {
    pub fn new(tokens: TokenCache) -> Self {
        Self { tokens }
    }

    pub fn tokens(&self) -> &TokenCache {
        &self.tokens
    }

    pub fn api(&self) -> &Arc<dyn WecomApi> {
        self.tokens.api()
    }

    /// Forgets a remembered 40001 for this app (after an admin changed its secret).
    pub fn forget_bad_secret(&self, app: &AppHandle) {
        self.tokens.forget_bad_secret(app.tenant, app.app);
    }

    /// The corp ticket that signs `wx.config`.
    pub async fn jsapi_ticket(&self, app: &AppHandle) -> Result<String, TokenError> {
        self.tokens
            .jsapi_ticket(app.tenant, app.app, &app.creds)
            .await
    }

    /// The app ticket that signs `wx.agentConfig`.
    pub async fn agent_ticket(&self, app: &AppHandle) -> Result<String, TokenError> {
        self.tokens
            .agent_ticket(app.tenant, app.app, &app.creds)
            .await
    }

    /// The raw token, for a WeCom API this client does not wrap. Such a caller has to handle a
    /// 40014/42001 itself, which is why the wrapped methods are preferable.
    pub async fn access_token(&self, app: &AppHandle) -> Result<String, TokenError> {
        self.tokens
            .access_token(app.tenant, app.app, &app.creds)
            .await
    }

    pub async fn auth_get_user_info(
        &self,
        app: &AppHandle,
        code: &str,
    ) -> Result<OAuthIdentity, TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.auth_get_user_info(&token, code).await
            })
            .await
    }

    pub async fn get_user(&self, app: &AppHandle, userid: &str) -> Result<User, TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.get_user(&token, userid).await
            })
            .await
    }

    pub async fn get_follow_user_list(&self, app: &AppHandle) -> Result<Vec<String>, TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.get_follow_user_list(&token).await
            })
            .await
    }

    pub async fn list_external_contacts(
        &self,
        app: &AppHandle,
        userid: &str,
    ) -> Result<Vec<String>, TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.list_external_contacts(&token, userid).await
            })
            .await
    }

    pub async fn get_external_contact(
        &self,
        app: &AppHandle,
        external_userid: &str,
        cursor: Option<&str>,
    ) -> Result<ExternalContactDetail, TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.get_external_contact(&token, external_userid, cursor)
                    .await
            })
            .await
    }

    pub async fn batch_get_external_contacts(
        &self,
        app: &AppHandle,
        userid_list: &[String],
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<BatchExternalContacts, TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.batch_get_external_contacts(&token, userid_list, cursor, limit)
                    .await
            })
            .await
    }

    pub async fn list_group_chats(
        &self,
        app: &AppHandle,
        request: &GroupChatListRequest,
    ) -> Result<GroupChatList, TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.list_group_chats(&token, request).await
            })
            .await
    }

    pub async fn get_group_chat(
        &self,
        app: &AppHandle,
        chat_id: &str,
        need_name: bool,
    ) -> Result<GroupChat, TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.get_group_chat(&token, chat_id, need_name).await
            })
            .await
    }

    pub async fn get_corp_tag_list(
        &self,
        app: &AppHandle,
        tag_ids: &[String],
        group_ids: &[String],
    ) -> Result<Vec<TagGroup>, TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.get_corp_tag_list(&token, tag_ids, group_ids).await
            })
            .await
    }

    pub async fn add_corp_tag(
        &self,
        app: &AppHandle,
        request: &AddCorpTagRequest,
    ) -> Result<TagGroup, TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.add_corp_tag(&token, request).await
            })
            .await
    }

    pub async fn mark_tag(
        &self,
        app: &AppHandle,
        request: &MarkTagRequest,
    ) -> Result<(), TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.mark_tag(&token, request).await
            })
            .await
    }

    pub async fn remark_external_contact(
        &self,
        app: &AppHandle,
        request: &RemarkRequest,
    ) -> Result<(), TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.remark_external_contact(&token, request).await
            })
            .await
    }

    pub async fn upload_media(
        &self,
        app: &AppHandle,
        kind: MediaKind,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<UploadedMedia, TokenError> {
        let api = self.api();
        let bytes = &bytes;
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                // The API consumes the bytes and a retry needs them again; one copy of at most
                // 20 MB is cheap next to uploading it.
                api.upload_media(&token, kind, filename, content_type, bytes.clone())
                    .await
            })
            .await
    }

    pub async fn send_message(
        &self,
        app: &AppHandle,
        message: &AppMessage,
    ) -> Result<SendMessageResult, TokenError> {
        let api = self.api();
        self.tokens
            .with_access_token(app.tenant, app.app, &app.creds, |token| async move {
                api.send_message(&token, message).await
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, VecDeque};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use chrono::{DateTime, Duration, TimeZone as _, Utc};

    use super::*;
    use crate::wecom::api::{AccessToken, Ticket, names};
    use crate::wecom::errors::{Errcode, WecomError};
    use crate::wecom::token_cache::{StoreError, StoredToken, TokenKey, TokenKind, TokenStore};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
    }

    fn wecom_error(api: &'static str, code: i32) -> WecomError {
        WecomError::Api {
            code: Errcode::from_code(code),
            errmsg: format!("errcode {code}"),
            api,
        }
    }

    /// WeCom as a script: each API call answers with the next queued errcode (0 or an empty
    /// queue is success) and is logged with the token it carried.
    #[derive(Default)]
    struct ScriptedWecom {
        answers: Mutex<VecDeque<i32>>,
        gettoken_answers: Mutex<VecDeque<i32>>,
        gettoken_calls: AtomicUsize,
        calls: Mutex<Vec<(&'static str, String)>>,
        uploads: Mutex<Vec<Vec<u8>>>,
    }

    impl ScriptedWecom {
        fn answering(codes: &[i32]) -> Self {
            Self {
                answers: Mutex::new(codes.iter().copied().collect()),
                ..Self::default()
            }
        }

        fn answer<T: Default>(&self, api: &'static str, token: &str) -> Result<T, WecomError> {
            self.calls.lock().unwrap().push((api, token.to_owned()));
            match self.answers.lock().unwrap().pop_front() {
                Some(code) if code != 0 => Err(wecom_error(api, code)),
                _ => Ok(T::default()),
            }
        }

        fn calls(&self) -> Vec<(&'static str, String)> {
            self.calls.lock().unwrap().clone()
        }

        fn gettoken_calls(&self) -> usize {
            self.gettoken_calls.load(Ordering::SeqCst)
        }
    }

    #[async_trait]
    impl WecomApi for ScriptedWecom {
        async fn get_token(
            &self,
            _corp_id: &str,
            _secret: &str,
        ) -> Result<AccessToken, WecomError> {
            let n = self.gettoken_calls.fetch_add(1, Ordering::SeqCst) + 1;
            match self.gettoken_answers.lock().unwrap().pop_front() {
                Some(code) if code != 0 => Err(wecom_error(names::GET_TOKEN, code)),
                _ => Ok(AccessToken {
                    access_token: format!("FRESH{n}"),
                    expires_in: 7200,
                }),
            }
        }

        async fn get_jsapi_ticket(&self, access_token: &str) -> Result<Ticket, WecomError> {
            self.answer::<()>(names::GET_JSAPI_TICKET, access_token)
                .map(|()| Ticket {
                    ticket: "JSAPI-TICKET".into(),
                    expires_in: 7200,
                })
        }

        async fn get_agent_config_ticket(&self, access_token: &str) -> Result<Ticket, WecomError> {
            self.answer::<()>(names::GET_AGENT_CONFIG_TICKET, access_token)
                .map(|()| Ticket {
                    ticket: "AGENT-TICKET".into(),
                    expires_in: 7200,
                })
        }

        async fn auth_get_user_info(
            &self,
            access_token: &str,
            code: &str,
        ) -> Result<OAuthIdentity, WecomError> {
            self.answer::<()>(names::AUTH_GET_USER_INFO, access_token)
                .map(|()| OAuthIdentity::Member {
                    userid: code.to_owned(),
                    user_ticket: None,
                })
        }

        async fn get_user(&self, access_token: &str, _userid: &str) -> Result<User, WecomError> {
            self.answer(names::USER_GET, access_token)
        }

        async fn get_follow_user_list(
            &self,
            access_token: &str,
        ) -> Result<Vec<String>, WecomError> {
            self.answer(names::GET_FOLLOW_USER_LIST, access_token)
        }

        async fn list_external_contacts(
            &self,
            access_token: &str,
            _userid: &str,
        ) -> Result<Vec<String>, WecomError> {
            self.answer(names::EXTERNAL_CONTACT_LIST, access_token)
        }

        async fn get_external_contact(
            &self,
            access_token: &str,
            _external_userid: &str,
            _cursor: Option<&str>,
        ) -> Result<ExternalContactDetail, WecomError> {
            self.answer(names::EXTERNAL_CONTACT_GET, access_token)
        }

        async fn batch_get_external_contacts(
            &self,
            access_token: &str,
            _userid_list: &[String],
            _cursor: Option<&str>,
            _limit: u32,
        ) -> Result<BatchExternalContacts, WecomError> {
            self.answer(names::EXTERNAL_CONTACT_BATCH_GET, access_token)
        }

        async fn list_group_chats(
            &self,
            access_token: &str,
            _request: &GroupChatListRequest,
        ) -> Result<GroupChatList, WecomError> {
            self.answer(names::GROUP_CHAT_LIST, access_token)
        }

        async fn get_group_chat(
            &self,
            access_token: &str,
            _chat_id: &str,
            _need_name: bool,
        ) -> Result<GroupChat, WecomError> {
            self.answer(names::GROUP_CHAT_GET, access_token)
        }

        async fn get_corp_tag_list(
            &self,
            access_token: &str,
            _tag_ids: &[String],
            _group_ids: &[String],
        ) -> Result<Vec<TagGroup>, WecomError> {
            self.answer(names::GET_CORP_TAG_LIST, access_token)
        }

        async fn add_corp_tag(
            &self,
            access_token: &str,
            _request: &AddCorpTagRequest,
        ) -> Result<TagGroup, WecomError> {
            self.answer(names::ADD_CORP_TAG, access_token)
        }

        async fn mark_tag(
            &self,
            access_token: &str,
            _request: &MarkTagRequest,
        ) -> Result<(), WecomError> {
            self.answer(names::MARK_TAG, access_token)
        }

        async fn remark_external_contact(
            &self,
            access_token: &str,
            _request: &RemarkRequest,
        ) -> Result<(), WecomError> {
            self.answer(names::REMARK, access_token)
        }

        async fn upload_media(
            &self,
            access_token: &str,
            _kind: MediaKind,
            _filename: &str,
            _content_type: &str,
            bytes: Vec<u8>,
        ) -> Result<UploadedMedia, WecomError> {
            self.uploads.lock().unwrap().push(bytes);
            self.answer(names::MEDIA_UPLOAD, access_token)
        }

        async fn send_message(
            &self,
            access_token: &str,
            _message: &AppMessage,
        ) -> Result<SendMessageResult, WecomError> {
            self.answer(names::MESSAGE_SEND, access_token)
        }
    }

    /// One shared store in memory; leases are kept just faithfully enough for a single holder.
    #[derive(Default)]
    struct MemoryStore {
        tokens: Mutex<HashMap<TokenKey, StoredToken>>,
        leases: Mutex<HashMap<TokenKey, (String, DateTime<Utc>)>>,
    }

    #[async_trait]
    impl TokenStore for MemoryStore {
        async fn load(&self, key: TokenKey) -> Result<Option<StoredToken>, StoreError> {
            Ok(self.tokens.lock().unwrap().get(&key).cloned())
        }

        async fn try_lease(
            &self,
            key: TokenKey,
            holder: &str,
            now: DateTime<Utc>,
            until: DateTime<Utc>,
        ) -> Result<bool, StoreError> {
            let mut leases = self.leases.lock().unwrap();
            if let Some((other, lease_until)) = leases.get(&key)
                && other != holder
                && now < *lease_until
            {
                return Ok(false);
            }
            leases.insert(key, (holder.to_owned(), until));
            Ok(true)
        }

        async fn save(
            &self,
            key: TokenKey,
            holder: &str,
            token: &StoredToken,
            _now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            self.tokens.lock().unwrap().insert(key, token.clone());
            self.release(key, holder).await
        }

        async fn release(&self, key: TokenKey, holder: &str) -> Result<(), StoreError> {
            let mut leases = self.leases.lock().unwrap();
            if leases.get(&key).is_some_and(|(h, _)| h == holder) {
                leases.remove(&key);
            }
            Ok(())
        }

        async fn invalidate(&self, key: TokenKey, value: &str) -> Result<bool, StoreError> {
            let mut tokens = self.tokens.lock().unwrap();
            if tokens.get(&key).is_some_and(|t| t.value == value) {
                tokens.remove(&key);
                return Ok(true);
            }
            Ok(false)
        }
    }

    struct Rig {
        wecom: Arc<ScriptedWecom>,
        store: Arc<MemoryStore>,
        client: WecomClient,
        app: AppHandle,
    }

    fn rig(wecom: ScriptedWecom) -> Rig {
        let wecom = Arc::new(wecom);
        let store = Arc::new(MemoryStore::default());
        let tokens = TokenCache::new(
            wecom.clone(),
            store.clone(),
            Arc::new(now),
            "test-instance".into(),
        );
        Rig {
            wecom,
            store,
            client: WecomClient::new(tokens),
            app: AppHandle {
                tenant: 7,
                app: 70,
                creds: AppCredentials {
                    corp_id: "wwclienttest".into(),
                    secret: "app-secret".into(),
                },
            },
        }
    }

    impl Rig {
        fn key(&self) -> TokenKey {
            TokenKey::new(self.app.tenant, self.app.app, TokenKind::AccessToken)
        }

        /// Puts an access token in the shared store as if another instance had fetched it.
        fn cache(&self, value: &str) {
            self.store.tokens.lock().unwrap().insert(
                self.key(),
                StoredToken {
                    value: value.into(),
                    expires_at: now() + Duration::hours(2),
                },
            );
        }

        fn stored(&self) -> Option<String> {
            self.store
                .tokens
                .lock()
                .unwrap()
                .get(&self.key())
                .map(|t| t.value.clone())
        }
    }

    fn errcode<T: std::fmt::Debug>(result: Result<T, TokenError>) -> Option<i32> {
        result
            .expect_err("an error")
            .wecom()
            .and_then(WecomError::errcode)
    }

    #[tokio::test]
    async fn a_call_uses_the_cached_token() {
        let r = rig(ScriptedWecom::default());
        r.cache("CACHED");

        r.client.get_user(&r.app, "zhangsan").await.unwrap();

        assert_eq!(r.wecom.calls(), [(names::USER_GET, "CACHED".to_owned())]);
        assert_eq!(r.wecom.gettoken_calls(), 0);
    }

    #[tokio::test]
    async fn a_token_rejected_early_is_replaced_and_the_call_made_once_more() {
        for rejected in [40014, 42001] {
            let r = rig(ScriptedWecom::answering(&[rejected, 0]));
            r.cache("STALE");

            r.client.get_user(&r.app, "zhangsan").await.unwrap();

            assert_eq!(
                r.wecom.calls(),
                [
                    (names::USER_GET, "STALE".to_owned()),
                    (names::USER_GET, "FRESH1".to_owned()),
                ],
                "{rejected}"
            );
            assert_eq!(r.wecom.gettoken_calls(), 1);
            assert_eq!(r.stored().as_deref(), Some("FRESH1"));
        }
    }

    #[tokio::test]
    async fn a_second_rejection_is_returned_instead_of_looping() {
        let r = rig(ScriptedWecom::answering(&[40014, 40014, 0]));
        r.cache("STALE");

        let result = r.client.get_user(&r.app, "zhangsan").await;

        assert_eq!(errcode(result), Some(40014));
        assert_eq!(r.wecom.calls().len(), 2);
        assert_eq!(r.wecom.gettoken_calls(), 1);
    }

    #[tokio::test]
    async fn a_bad_secret_answer_is_not_retried() {
        let r = rig(ScriptedWecom::answering(&[40001, 0]));
        r.cache("CACHED");

        let result = r.client.get_user(&r.app, "zhangsan").await;

        assert_eq!(errcode(result), Some(40001));
        assert_eq!(r.wecom.calls().len(), 1);
        assert_eq!(r.wecom.gettoken_calls(), 0);
        assert_eq!(r.stored().as_deref(), Some("CACHED"));
    }

    #[tokio::test]
    async fn a_rejected_secret_fails_fast_until_forgotten() {
        let wecom = ScriptedWecom::default();
        wecom.gettoken_answers.lock().unwrap().push_back(40001);
        let r = rig(wecom);

        let first = r.client.get_user(&r.app, "zhangsan").await;
        let second = r.client.get_user(&r.app, "zhangsan").await;

        assert_eq!(errcode(first), Some(40001));
        assert_eq!(errcode(second), Some(40001));
        assert_eq!(r.wecom.gettoken_calls(), 1, "the remembered 40001 answers");
        assert!(r.wecom.calls().is_empty());

        r.client.forget_bad_secret(&r.app);
        r.client.get_user(&r.app, "zhangsan").await.unwrap();
        assert_eq!(r.wecom.gettoken_calls(), 2);
        assert_eq!(r.wecom.calls(), [(names::USER_GET, "FRESH2".to_owned())]);
    }

    #[tokio::test]
    async fn every_method_reaches_its_api_with_the_cached_token() {
        let r = rig(ScriptedWecom::default());
        r.cache("CACHED");
        let (c, app) = (&r.client, &r.app);
        let ids = ["a".to_owned()];

        assert_eq!(c.access_token(app).await.unwrap(), "CACHED");
        assert_eq!(c.jsapi_ticket(app).await.unwrap(), "JSAPI-TICKET");
        assert_eq!(c.agent_ticket(app).await.unwrap(), "AGENT-TICKET");
        let identity = c.auth_get_user_info(app, "CODE").await.unwrap();
        assert_eq!(identity.userid(), Some("CODE"));
        c.get_user(app, "u").await.unwrap();
        c.get_follow_user_list(app).await.unwrap();
        c.list_external_contacts(app, "u").await.unwrap();
        c.get_external_contact(app, "wm", None).await.unwrap();
        c.batch_get_external_contacts(app, &ids, None, 100)
            .await
            .unwrap();
        c.list_group_chats(app, &GroupChatListRequest::default())
            .await
            .unwrap();
        c.get_group_chat(app, "wr", true).await.unwrap();
        c.get_corp_tag_list(app, &[], &[]).await.unwrap();
        c.add_corp_tag(app, &AddCorpTagRequest::default())
            .await
            .unwrap();
        c.mark_tag(app, &MarkTagRequest::default()).await.unwrap();
        c.remark_external_contact(app, &RemarkRequest::default())
            .await
            .unwrap();
        c.upload_media(app, MediaKind::Image, "a.png", "image/png", vec![0; 8])
            .await
            .unwrap();
        c.send_message(app, &AppMessage::default()).await.unwrap();

        let apis: Vec<&str> = r.wecom.calls().iter().map(|(api, _)| *api).collect();
        assert_eq!(
            apis,
            [
                names::GET_JSAPI_TICKET,
                names::GET_AGENT_CONFIG_TICKET,
                names::AUTH_GET_USER_INFO,
                names::USER_GET,
                names::GET_FOLLOW_USER_LIST,
                names::EXTERNAL_CONTACT_LIST,
                names::EXTERNAL_CONTACT_GET,
                names::EXTERNAL_CONTACT_BATCH_GET,
                names::GROUP_CHAT_LIST,
                names::GROUP_CHAT_GET,
                names::GET_CORP_TAG_LIST,
                names::ADD_CORP_TAG,
                names::MARK_TAG,
                names::REMARK,
                names::MEDIA_UPLOAD,
                names::MESSAGE_SEND,
            ]
        );
        assert!(r.wecom.calls().iter().all(|(_, token)| token == "CACHED"));
        assert_eq!(r.wecom.gettoken_calls(), 0);
    }

    #[tokio::test]
    async fn an_upload_retried_after_a_rejected_token_sends_the_same_bytes() {
        let r = rig(ScriptedWecom::answering(&[40014, 0]));
        r.cache("STALE");

        r.client
            .upload_media(
                &r.app,
                MediaKind::File,
                "a.pdf",
                "application/pdf",
                vec![7; 8],
            )
            .await
            .unwrap();

        assert_eq!(*r.wecom.uploads.lock().unwrap(), [vec![7; 8], vec![7; 8]]);
    }

    /// Workers run these calls on spawned tasks, which need `Send` futures.
    #[test]
    fn calls_can_run_on_spawned_tasks() {
        fn spawnable<F: std::future::Future + Send>(_: F) {}
        let r = rig(ScriptedWecom::default());
        spawnable(r.client.get_user(&r.app, "u"));
        spawnable(
            r.client
                .upload_media(&r.app, MediaKind::Image, "a", "b", Vec::new()),
        );
        spawnable(r.client.jsapi_ticket(&r.app));
    }
}
