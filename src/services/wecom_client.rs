//! How services talk to WeCom for a firm: the firm's primary app, its access token from the shared
//! cache, and one retry when WeCom invalidated the token early.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::db::Database;
use crate::error::{AppError, AppResult};
use crate::secrets::SecretBox;
use crate::services::firms;
use crate::wecom::api::WecomApi;
use crate::wecom::errors::WecomError;
use crate::wecom::token_cache::{AppCredentials, TokenCache, TokenError};

/// How long resolved app credentials are reused.
const APP_TTL: Duration = Duration::from_secs(30);

/// The app a firm's sidebar and API calls use.
#[derive(Debug)]
pub struct FirmApp {
    pub firm_id: i64,
    pub app_id: i64,
    pub corp_id: String,
    pub agent_id: String,
    creds: AppCredentials,
}

pub struct WecomClients {
    tokens: TokenCache,
    apps: RwLock<HashMap<i64, (Instant, Arc<FirmApp>)>>,
}

impl WecomClients {
    pub fn new(tokens: TokenCache) -> Self {
        Self {
            tokens,
            apps: RwLock::default(),
        }
    }

    pub fn api(&self) -> &Arc<dyn WecomApi> {
        self.tokens.api()
    }

    pub fn tokens(&self) -> &TokenCache {
        &self.tokens
    }

    /// The firm's primary app with its secret, or a Chinese explanation of what is missing.
    pub async fn app(
        &self,
        db: &Database,
        secrets: &SecretBox,
        firm_id: i64,
    ) -> AppResult<Arc<FirmApp>> {
        if let Some((at, app)) = self.apps.read().ok().and_then(|m| m.get(&firm_id).cloned())
            && at.elapsed() < APP_TTL
        {
            return Ok(app);
        }
        let firm = firms::find_by_id(db.read(), firm_id)
            .await?
            .ok_or_else(|| AppError::NotFound("企业不存在".into()))?;
        let app = firms::find_active_app(db.read(), firm_id, None)
            .await?
            .ok_or_else(|| {
                AppError::Validation("该企业尚未配置企业微信应用，请管理员在后台设置".into())
            })?;
        let secret = app
            .secret_enc
            .as_deref()
            .ok_or_else(|| {
                AppError::Validation("企业微信应用缺少Secret，请管理员在后台填写".into())
            })
            .and_then(|sealed| {
                secrets
                    .open(sealed)
                    .map_err(|e| AppError::Internal(format!("app {} secret: {e}", app.id)))
            })?;
        let resolved = Arc::new(FirmApp {
            firm_id,
            app_id: app.id,
            corp_id: firm.corp_id.clone(),
            agent_id: app.agent_id.clone(),
            creds: AppCredentials {
                corp_id: firm.corp_id,
                secret: secret.expose().to_string(),
            },
        });
        if let Ok(mut apps) = self.apps.write() {
            apps.insert(firm_id, (Instant::now(), resolved.clone()));
        }
        Ok(resolved)
    }

    /// Forgets cached credentials (after an admin changed the app).
    pub fn forget(&self, firm_id: i64) {
        if let Ok(mut apps) = self.apps.write()
            && let Some((_, app)) = apps.remove(&firm_id)
        {
            self.tokens.forget_bad_secret(firm_id, app.app_id);
        }
    }

    /// Calls WeCom with the app's access token (retrying once on an early-invalidated token).
    pub async fn call<T, F, Fut>(&self, app: &FirmApp, call: F) -> AppResult<T>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, WecomError>>,
    {
        self.tokens
            .with_access_token(app.firm_id, app.app_id, &app.creds, call)
            .await
            .map_err(upstream)
    }

    pub async fn jsapi_ticket(&self, app: &FirmApp) -> AppResult<String> {
        self.tokens
            .jsapi_ticket(app.firm_id, app.app_id, &app.creds)
            .await
            .map_err(upstream)
    }

    pub async fn agent_ticket(&self, app: &FirmApp) -> AppResult<String> {
        self.tokens
            .agent_ticket(app.firm_id, app.app_id, &app.creds)
            .await
            .map_err(upstream)
    }
}

/// A WeCom failure as the person using the page should read it.
pub fn upstream(e: TokenError) -> AppError {
    match &e {
        TokenError::Wecom(w) => {
            let hint = w
                .admin_hint()
                .unwrap_or("请稍后再试，如持续出现请联系管理员");
            let code = w
                .errcode()
                .map(|c| format!("（错误码 {c}）"))
                .unwrap_or_default();
            tracing::warn!(error = %w, "WeCom call failed");
            AppError::Upstream(format!("企业微信接口调用失败{code}：{hint}"))
        }
        TokenError::Store(_) => AppError::Internal(e.to_string()),
        TokenError::Timeout(_) => AppError::Unavailable(e.to_string()),
    }
}
