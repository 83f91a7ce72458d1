//! Access tokens and JS-SDK tickets, shared by every instance through a [`TokenStore`].
//!
//! WeCom rate-limits `gettoken` and the ticket APIs (400 corp tickets and 100 app tickets an hour)
//! and may invalidate a token early, so:
//! - a value is reused until a few minutes before it expires, then refreshed ahead of time by one
//!   holder while everyone else keeps using the current value;
//! - a missing or expired value is fetched by exactly one caller: in-process callers queue on a
//!   per-key single-flight lock, and instances take a lease in the store (a row lease that works
//!   the same on SQLite and PostgreSQL); the others wait for the stored result;
//! - when WeCom says a token is invalid (40014/42001) the caller deletes exactly the value it used
//!   (compare-and-delete, so a fresh token stored meanwhile survives), fetches once more and retries
//!   the call once;
//! - `-1` (busy) is retried with backoff; a wrong secret (40001) is remembered for a minute and
//!   never retried in a loop, because repeated bad secrets get the server's IP blocked.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::api::WecomApi;
use super::errors::WecomError;

/// Refresh this long before WeCom's expiry.
pub const REFRESH_AHEAD: Duration = Duration::minutes(5);
/// A refresh lease outlives any sane fetch; a crashed holder's lease simply lapses.
const LEASE: Duration = Duration::seconds(15);
/// How long a caller waits for another holder's refresh before giving up.
const WAIT_FOR_HOLDER: StdDuration = StdDuration::from_secs(20);
const POLL: StdDuration = StdDuration::from_millis(25);
/// After 40001, calls fail fast for this long instead of asking WeCom again.
const BAD_SECRET_BACKOFF: Duration = Duration::seconds(60);
/// Backoff steps for `-1` (system busy).
const BUSY_RETRIES: [u64; 2] = [200, 600];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    AccessToken,
    /// The corp ticket, for `wx.config`.
    JsapiTicket,
    /// The app ticket, for `wx.agentConfig`.
    AgentTicket,
}

/// Which value: `tenant` and `app` are the caller's ids for the corp and the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenKey {
    pub tenant: i64,
    pub app: i64,
    pub kind: TokenKind,
}

impl TokenKey {
    pub fn new(tenant: i64, app: i64, kind: TokenKind) -> Self {
        Self { tenant, app, kind }
    }
}

/// What is needed to ask WeCom for an access token.
#[derive(Clone)]
pub struct AppCredentials {
    pub corp_id: String,
    pub secret: String,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("corp_id", &self.corp_id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct StoredToken {
    pub value: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
#[error("token store: {0}")]
pub struct StoreError(pub String);

/// Durable, shared storage for tokens (the database, in the service).
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    async fn load(&self, key: TokenKey) -> Result<Option<StoredToken>, StoreError>;
    /// Takes the refresh lease if nobody holds a live one; true when `holder` now holds it.
    async fn try_lease(
        &self,
        key: TokenKey,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Stores a fresh value and releases `holder`'s lease.
    async fn save(
        &self,
        key: TokenKey,
        holder: &str,
        token: &StoredToken,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn release(&self, key: TokenKey, holder: &str) -> Result<(), StoreError>;
    /// Deletes the stored value only if it is still `value`; true when it did.
    async fn invalidate(&self, key: TokenKey, value: &str) -> Result<bool, StoreError>;
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Wecom(#[from] WecomError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("timed out waiting for another instance to refresh the {0:?}")]
    Timeout(TokenKind),
}

impl TokenError {
    pub fn wecom(&self) -> Option<&WecomError> {
        match self {
            Self::Wecom(e) => Some(e),
            _ => None,
        }
    }
}

pub type Now = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Clone)]
struct Memo {
    value: String,
    expires_at: DateTime<Utc>,
}

/// (tenant, app) → until when calls fail fast, and the error WeCom gave.
type BadSecrets = HashMap<(i64, i64), (DateTime<Utc>, WecomError)>;

pub struct TokenCache {
    api: Arc<dyn WecomApi>,
    store: Arc<dyn TokenStore>,
    now: Now,
    holder: String,
    memo: RwLock<HashMap<TokenKey, Memo>>,
    flights: Mutex<HashMap<TokenKey, Arc<tokio::sync::Mutex<()>>>>,
    bad_secrets: Mutex<BadSecrets>,
}

impl TokenCache {
    /// `holder` names this instance in leases; make it unique per process.
    pub fn new(
        api: Arc<dyn WecomApi>,
        store: Arc<dyn TokenStore>,
        now: Now,
        holder: String,
    ) -> Self {
        Self {
            api,
            store,
            now,
            holder,
            memo: RwLock::default(),
            flights: Mutex::default(),
            bad_secrets: Mutex::default(),
        }
    }

    pub fn api(&self) -> &Arc<dyn WecomApi> {
        &self.api
    }

    pub async fn access_token(
        &self,
        tenant: i64,
        app: i64,
        creds: &AppCredentials,
    ) -> Result<String, TokenError> {
        self.get(TokenKey::new(tenant, app, TokenKind::AccessToken), creds)
            .await
    }

    pub async fn jsapi_ticket(
        &self,
        tenant: i64,
        app: i64,
        creds: &AppCredentials,
    ) -> Result<String, TokenError> {
        self.get(TokenKey::new(tenant, app, TokenKind::JsapiTicket), creds)
            .await
    }

    pub async fn agent_ticket(
        &self,
        tenant: i64,
        app: i64,
        creds: &AppCredentials,
    ) -> Result<String, TokenError> {
        self.get(TokenKey::new(tenant, app, TokenKind::AgentTicket), creds)
            .await
    }

    /// Runs `call` with the app's access token; when WeCom says the token is invalid, replaces
    /// exactly that token and runs `call` once more.
    pub async fn with_access_token<T, F, Fut>(
        &self,
        tenant: i64,
        app: i64,
        creds: &AppCredentials,
        call: F,
    ) -> Result<T, TokenError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, WecomError>>,
    {
        let key = TokenKey::new(tenant, app, TokenKind::AccessToken);
        let token = self.get(key, creds).await?;
        match call(token.clone()).await {
            Err(e) if e.is_token_invalid() => {
                tracing::info!(api = e.api(), errcode = ?e.errcode(), "access token rejected early; replacing it once");
                self.invalidate(key, &token).await?;
                let fresh = self.get(key, creds).await?;
                Ok(call(fresh).await?)
            }
            other => Ok(other?),
        }
    }

    /// Forgets `value` for `key` here and in the store, unless it was already replaced.
    pub async fn invalidate(&self, key: TokenKey, value: &str) -> Result<(), TokenError> {
        if let Ok(mut memo) = self.memo.write()
            && memo.get(&key).is_some_and(|m| m.value == value)
        {
            memo.remove(&key);
        }
        self.store.invalidate(key, value).await?;
        Ok(())
    }

    async fn get(&self, key: TokenKey, creds: &AppCredentials) -> Result<String, TokenError> {
        let now = (self.now)();
        if let Some(value) = self.fresh_memo(key, now) {
            return Ok(value);
        }
        if let Some(stored) = self.store.load(key).await?
            && now < stored.expires_at
        {
            self.remember(key, &stored);
            if now < stored.expires_at - REFRESH_AHEAD {
                return Ok(stored.value);
            }
            // Inside the refresh window: one holder refreshes, everyone else keeps the
            // still-valid value.
            let flight = self.flight(key);
            if let Ok(_guard) = flight.try_lock()
                && self
                    .store
                    .try_lease(key, &self.holder, now, now + LEASE)
                    .await?
            {
                // Someone else may have refreshed just before we took the lease.
                if let Some(newer) = self.store.load(key).await?
                    && newer.value != stored.value
                {
                    self.store.release(key, &self.holder).await?;
                    self.remember(key, &newer);
                    return Ok(newer.value);
                }
                match self.fetch_and_save(key, creds).await {
                    Ok(fresh) => return Ok(fresh),
                    Err(e) => {
                        tracing::warn!(error = %e, kind = ?key.kind, "refreshing ahead of expiry failed; the current value stays in use")
                    }
                }
            }
            return Ok(stored.value);
        }
        self.get_missing(key, creds).await
    }

    /// The value is missing or expired: exactly one caller fetches, the others wait for it.
    async fn get_missing(
        &self,
        key: TokenKey,
        creds: &AppCredentials,
    ) -> Result<String, TokenError> {
        let flight = self.flight(key);
        let _guard = flight.lock().await;
        let deadline = tokio::time::Instant::now() + WAIT_FOR_HOLDER;
        loop {
            let now = (self.now)();
            if let Some(value) = self.fresh_memo(key, now) {
                return Ok(value);
            }
            if let Some(stored) = self.store.load(key).await?
                && now < stored.expires_at
            {
                self.remember(key, &stored);
                return Ok(stored.value);
            }
            if self
                .store
                .try_lease(key, &self.holder, now, now + LEASE)
                .await?
            {
                // Another holder may have saved and released between our load and our lease.
                if let Some(stored) = self.store.load(key).await?
                    && now < stored.expires_at
                {
                    self.store.release(key, &self.holder).await?;
                    self.remember(key, &stored);
                    return Ok(stored.value);
                }
                return self.fetch_and_save(key, creds).await;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(TokenError::Timeout(key.kind));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Fetches from WeCom while holding the lease, stores the result, releases the lease.
    async fn fetch_and_save(
        &self,
        key: TokenKey,
        creds: &AppCredentials,
    ) -> Result<String, TokenError> {
        let fetched = self.fetch(key, creds).await;
        match fetched {
            Ok((value, expires_in)) => {
                let now = (self.now)();
                let token = StoredToken {
                    value,
                    expires_at: now + Duration::seconds(expires_in.clamp(60, 7 * 24 * 3600)),
                };
                self.store.save(key, &self.holder, &token, now).await?;
                self.remember(key, &token);
                Ok(token.value)
            }
            Err(e) => {
                if let Err(release) = self.store.release(key, &self.holder).await {
                    tracing::warn!(error = %release, "releasing a token lease failed; it will lapse");
                }
                Err(e)
            }
        }
    }

    async fn fetch(
        &self,
        key: TokenKey,
        creds: &AppCredentials,
    ) -> Result<(String, i64), TokenError> {
        match key.kind {
            TokenKind::AccessToken => {
                if let Some(e) = self.known_bad_secret(key) {
                    return Err(e.into());
                }
                let result = self
                    .retry_busy(|| self.api.get_token(&creds.corp_id, &creds.secret))
                    .await;
                match result {
                    Ok(t) => Ok((t.access_token, t.expires_in)),
                    Err(e) => {
                        if e.is_invalid_secret() {
                            tracing::error!(corp_id = %creds.corp_id, hint = e.admin_hint().unwrap_or_default(), "WeCom rejected the app secret (40001)");
                            if let Ok(mut bad) = self.bad_secrets.lock() {
                                bad.insert(
                                    (key.tenant, key.app),
                                    ((self.now)() + BAD_SECRET_BACKOFF, e.clone()),
                                );
                            }
                        }
                        Err(e.into())
                    }
                }
            }
            TokenKind::JsapiTicket | TokenKind::AgentTicket => {
                let agent = key.kind == TokenKind::AgentTicket;
                let ticket = Box::pin(self.with_access_token(
                    key.tenant,
                    key.app,
                    creds,
                    |token| async move {
                        self.retry_busy(|| async {
                            if agent {
                                self.api.get_agent_config_ticket(&token).await
                            } else {
                                self.api.get_jsapi_ticket(&token).await
                            }
                        })
                        .await
                    },
                ))
                .await?;
                Ok((ticket.ticket, ticket.expires_in))
            }
        }
    }

    async fn retry_busy<T, F, Fut>(&self, call: F) -> Result<T, WecomError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, WecomError>>,
    {
        let mut result = call().await;
        for delay in BUSY_RETRIES {
            match &result {
                Err(e) if e.is_busy() => {
                    tokio::time::sleep(StdDuration::from_millis(delay)).await;
                    result = call().await;
                }
                _ => break,
            }
        }
        result
    }

    fn known_bad_secret(&self, key: TokenKey) -> Option<WecomError> {
        let now = (self.now)();
        let mut bad = self.bad_secrets.lock().ok()?;
        match bad.get(&(key.tenant, key.app)) {
            Some((until, e)) if now < *until => Some(e.clone()),
            Some(_) => {
                bad.remove(&(key.tenant, key.app));
                None
            }
            None => None,
        }
    }

    /// Forgets a remembered bad secret (after an admin saved a new one).
    pub fn forget_bad_secret(&self, tenant: i64, app: i64) {
        if let Ok(mut bad) = self.bad_secrets.lock() {
            bad.remove(&(tenant, app));
        }
    }

    fn fresh_memo(&self, key: TokenKey, now: DateTime<Utc>) -> Option<String> {
        let memo = self.memo.read().ok()?;
        memo.get(&key)
            .filter(|m| now < m.expires_at - REFRESH_AHEAD)
            .map(|m| m.value.clone())
    }

    fn remember(&self, key: TokenKey, token: &StoredToken) {
        if let Ok(mut memo) = self.memo.write() {
            memo.insert(
                key,
                Memo {
                    value: token.value.clone(),
                    expires_at: token.expires_at,
                },
            );
        }
    }

    fn flight(&self, key: TokenKey) -> Arc<tokio::sync::Mutex<()>> {
        match self.flights.lock() {
            Ok(mut flights) => flights.entry(key).or_default().clone(),
            // A poisoned map only loses single-flight for this call; the store lease still holds.
            Err(_) => Arc::default(),
        }
    }
}
