//! One registry for the firms' WeCom apps: the callback keys a callback URL needs and the API
//! credentials a WeCom call needs come from the same cached, decrypted rows.
//!
//! Entries live [`TTL`]; an admin's change on this instance calls [`WecomApps::invalidate`], and
//! every other instance sees it once its entry has lived out its TTL — so a change reaches every
//! instance within 10 seconds. Unknown corps are remembered apart, in a bounded least-recently-used
//! set, so probing random corp ids costs one query each and never evicts a real firm.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Duration, Utc};
use lru::LruCache;

use crate::config::Secret;
use crate::db::Database;
use crate::db::entities::{firm, wecom_app};
use crate::domain::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::secrets::SecretBox;
use crate::services::firms;
use crate::wecom::client::AppHandle;
use crate::wecom::crypto::CallbackCrypto;
use crate::wecom::token_cache::AppCredentials;

/// How long a loaded firm (or the absence of one) is trusted before the database is asked again.
pub const TTL: Duration = Duration::seconds(10);
/// Bound on remembered unknown corp ids.
const MISSES_MAX: usize = 10_000;

/// One WeCom app of a firm, with its keys opened.
pub struct App {
    pub firm_id: i64,
    pub app_id: i64,
    pub corp_id: String,
    pub agent_id: String,
    pub is_primary: bool,
    crypto: CallbackCrypto,
    receive_ids: Vec<String>,
    /// None when the app has no Secret: callbacks work, API calls do not.
    handle: Option<AppHandle>,
}

impl App {
    /// An app with keys at hand (tests and the no-store benchmark baseline build them directly).
    pub fn for_callbacks(
        firm_id: i64,
        app_id: i64,
        crypto: CallbackCrypto,
        receive_ids: Vec<String>,
    ) -> Self {
        Self {
            firm_id,
            app_id,
            corp_id: receive_ids.first().cloned().unwrap_or_default(),
            agent_id: String::new(),
            is_primary: true,
            crypto,
            receive_ids,
            handle: None,
        }
    }

    pub fn crypto(&self) -> &CallbackCrypto {
        &self.crypto
    }

    /// The receive_ids a callback for this app may carry (the corp id, and a suite id).
    pub fn accepted_ids(&self) -> Vec<&str> {
        self.receive_ids.iter().map(String::as_str).collect()
    }

    /// What a WeCom API call needs, or a Chinese explanation for the admin.
    pub fn handle(&self) -> AppResult<&AppHandle> {
        self.handle.as_ref().ok_or_else(|| {
            AppError::Validation("企业微信应用缺少Secret，请管理员在后台填写".into())
        })
    }
}

/// A firm's active apps.
pub struct FirmApps {
    pub firm_id: i64,
    pub corp_id: String,
    /// Primary first, then by id.
    pub apps: Vec<Arc<App>>,
}

impl FirmApps {
    /// The named agent, or (None) the app a bare callback URL and API calls use: the primary.
    pub fn app(&self, agent_id: Option<&str>) -> Option<Arc<App>> {
        match agent_id {
            Some(agent) => self.apps.iter().find(|a| a.agent_id == agent).cloned(),
            None => self.apps.first().cloned(),
        }
    }
}

struct Entry {
    loaded_at: DateTime<Utc>,
    apps: Arc<FirmApps>,
}

pub struct WecomApps {
    db: Database,
    secrets: SecretBox,
    clock: Arc<dyn Clock>,
    /// The demo firm's keys are public seed data: outside demo mode it does not exist for us.
    serve_demo: bool,
    by_corp: RwLock<HashMap<String, Entry>>,
    corp_of_firm: RwLock<HashMap<i64, String>>,
    misses: Mutex<LruCache<String, DateTime<Utc>>>,
}

impl WecomApps {
    pub fn new(db: Database, secrets: SecretBox, clock: Arc<dyn Clock>, serve_demo: bool) -> Self {
        Self {
            db,
            secrets,
            clock,
            serve_demo,
            by_corp: RwLock::default(),
            corp_of_firm: RwLock::default(),
            misses: Mutex::new(LruCache::new(
                NonZeroUsize::new(MISSES_MAX).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// The active firm with this corp id and its apps, or None.
    pub async fn by_corp(&self, corp_id: &str) -> AppResult<Option<Arc<FirmApps>>> {
        let now = self.clock.now();
        if let Some(apps) = self.cached(corp_id, now) {
            return Ok(Some(apps));
        }
        if self.recently_missed(corp_id, now) {
            return Ok(None);
        }
        if firms::validate_corp_id(corp_id).is_err() {
            return Ok(None);
        }
        let firm = firms::find_by_corp_id(self.db.read(), corp_id)
            .await?
            .filter(|f| f.status == firm::Status::Active && (self.serve_demo || !f.is_demo));
        match firm {
            Some(firm) => Ok(Some(self.load(firm, now).await?)),
            None => {
                if let Ok(mut misses) = self.misses.lock() {
                    misses.put(corp_id.to_string(), now);
                }
                Ok(None)
            }
        }
    }

    /// The firm's apps; the firm must exist and be active.
    pub async fn by_firm(&self, firm_id: i64) -> AppResult<Arc<FirmApps>> {
        let now = self.clock.now();
        let corp = self
            .corp_of_firm
            .read()
            .ok()
            .and_then(|m| m.get(&firm_id).cloned());
        if let Some(apps) = corp.and_then(|c| self.cached(&c, now)) {
            return Ok(apps);
        }
        let firm = firms::find_by_id(self.db.read(), firm_id)
            .await?
            .filter(|f| self.serve_demo || !f.is_demo)
            .ok_or_else(|| AppError::NotFound("企业不存在".into()))?;
        self.load(firm, now).await
    }

    /// The app the firm's sidebar and API calls use, ready to call WeCom with.
    pub async fn primary(&self, firm_id: i64) -> AppResult<Arc<App>> {
        let apps = self.by_firm(firm_id).await?;
        let app = apps.app(None).ok_or_else(|| {
            AppError::Validation("该企业尚未配置企业微信应用，请管理员在后台设置".into())
        })?;
        app.handle()?;
        Ok(app)
    }

    /// Forgets the firm's cached apps here (other instances within [`TTL`]).
    pub fn invalidate(&self, firm_id: i64) {
        let corp = self
            .corp_of_firm
            .write()
            .ok()
            .and_then(|mut m| m.remove(&firm_id));
        if let Some(corp) = corp {
            if let Ok(mut map) = self.by_corp.write() {
                map.remove(&corp);
            }
            if let Ok(mut misses) = self.misses.lock() {
                misses.pop(&corp);
            }
        }
    }

    /// Forgets that a corp id was unknown (a firm was just created with it).
    pub fn forget_unknown(&self, corp_id: &str) {
        if let Ok(mut misses) = self.misses.lock() {
            misses.pop(corp_id);
        }
    }

    fn cached(&self, corp_id: &str, now: DateTime<Utc>) -> Option<Arc<FirmApps>> {
        let map = self.by_corp.read().ok()?;
        let entry = map.get(corp_id)?;
        (now - entry.loaded_at < TTL && entry.loaded_at <= now).then(|| entry.apps.clone())
    }

    fn recently_missed(&self, corp_id: &str, now: DateTime<Utc>) -> bool {
        let Ok(mut misses) = self.misses.lock() else {
            return false;
        };
        match misses.get(corp_id) {
            Some(at) if now - *at < TTL && *at <= now => true,
            Some(_) => {
                misses.pop(corp_id);
                false
            }
            None => false,
        }
    }

    async fn load(&self, firm: firm::Model, now: DateTime<Utc>) -> AppResult<Arc<FirmApps>> {
        let rows = firms::active_apps(self.db.read(), firm.id).await?;
        let mut apps = Vec::with_capacity(rows.len());
        for row in rows {
            apps.push(Arc::new(self.open(&firm, row)?));
        }
        let loaded = Arc::new(FirmApps {
            firm_id: firm.id,
            corp_id: firm.corp_id.clone(),
            apps,
        });
        if let Ok(mut map) = self.by_corp.write() {
            map.insert(
                firm.corp_id.clone(),
                Entry {
                    loaded_at: now,
                    apps: loaded.clone(),
                },
            );
        }
        if let Ok(mut index) = self.corp_of_firm.write() {
            index.insert(firm.id, firm.corp_id);
        }
        Ok(loaded)
    }

    fn open(&self, firm: &firm::Model, app: wecom_app::Model) -> AppResult<App> {
        let open = |sealed: &Option<String>, what: &str| -> AppResult<Option<Secret>> {
            sealed
                .as_deref()
                .map(|s| {
                    self.secrets
                        .open(s)
                        .map_err(|e| AppError::Internal(format!("app {} {what}: {e}", app.id)))
                })
                .transpose()
        };
        let missing = |what: &str| AppError::Internal(format!("app {} has no {what}", app.id));
        let token = open(&app.token_enc, "callback token")?.ok_or_else(|| missing("token"))?;
        let aes_key =
            open(&app.encoding_aes_key_enc, "aes key")?.ok_or_else(|| missing("aes key"))?;
        let crypto = CallbackCrypto::new(token.expose(), aes_key.expose(), firm.corp_id.clone())
            .map_err(|e| AppError::Internal(format!("app {} aes key: {e}", app.id)))?;
        let mut receive_ids = vec![firm.corp_id.clone()];
        receive_ids.extend(app.suite_id.clone().filter(|s| !s.is_empty()));
        let handle = open(&app.secret_enc, "secret")?
            .filter(|s| !s.is_empty())
            .map(|secret| AppHandle {
                tenant: firm.id,
                app: app.id,
                creds: AppCredentials {
                    corp_id: firm.corp_id.clone(),
                    secret: secret.expose().to_string(),
                },
            });
        Ok(App {
            firm_id: firm.id,
            app_id: app.id,
            corp_id: firm.corp_id.clone(),
            agent_id: app.agent_id,
            is_primary: app.is_primary,
            crypto,
            receive_ids,
            handle,
        })
    }
}
