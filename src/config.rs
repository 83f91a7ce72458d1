//! Configuration: defaults compiled in from `config/default.toml`, then an optional file, then
//! `ZHANGFANG_<SECTION>__<KEY>` environment variables.
//!
//! Every key must exist in the defaults, so a typo in a file or a variable is an error at
//! start-up instead of a silently ignored setting. Secrets are wrapped in [`Secret`] so that
//! printing the settings (or an error that contains them) never shows them.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");
const ENV_PREFIX: &str = "ZHANGFANG_";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Parse { path: String, message: String },
    #[error("unknown config key `{0}` (every key is listed in config/default.toml)")]
    UnknownKey(String),
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// A value that must never be printed: `Debug` and `Display` show a placeholder.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("[redacted]")
        }
    }
}

/// A database URL whose password is hidden when printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }
    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }
    /// The URL with any password replaced, safe for logs and pages.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut parsed) if parsed.password().is_some() => {
                // set_password only fails for URLs that cannot carry credentials.
                let _ = parsed.set_password(Some("***"));
                parsed.to_string()
            }
            _ => self.0.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub security: SecuritySettings,
    pub wecom: WecomSettings,
    pub sms: SmsSettings,
    pub media: MediaSettings,
    pub demo: DemoSettings,
    pub worker: WorkerSettings,
    pub log: LogSettings,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: String,
    /// Filled in from `listen` when the configuration leaves it empty.
    pub public_url: String,
    /// True when `public_url` was derived from `listen` rather than configured.
    #[serde(skip)]
    pub public_url_derived: bool,
    pub data_dir: PathBuf,
    pub workers: usize,
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub max_connections: u32,
    pub sqlite_read_connections: u32,
    /// Page cache of each SQLite read connection, in KiB.
    pub sqlite_read_cache_kib: u32,
    pub sqlite_synchronous: SqliteSynchronous,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Normal,
    Full,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    pub secret_key: Secret,
    pub master_key: Secret,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WecomSettings {
    pub corp_id: String,
    /// The console shows AgentId as a number; `agent_id = 1000002` and `"1000002"` both work.
    #[serde(deserialize_with = "string_or_integer")]
    pub agent_id: String,
    pub secret: Secret,
    pub token: Secret,
    pub encoding_aes_key: Secret,
    pub api_base: String,
    pub oauth_base: String,
    pub login_base: String,
    /// Callbacks whose signed timestamp is further than this from our clock are refused;
    /// 0 turns the check off.
    pub callback_max_skew_seconds: u64,
    /// A callback not committed to the inbox within this many milliseconds is answered 503, so
    /// WeCom retries it soon instead of timing out.
    pub callback_commit_timeout_ms: u64,
    /// Callbacks that may wait for the inbox writer; one more is answered 503 at once.
    pub callback_queue_depth: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    pub provider: SmsProvider,
    pub secret_id: String,
    pub secret_key: Secret,
    pub sdk_app_id: String,
    pub sign_name: String,
    pub template_id: String,
    pub region: String,
    pub endpoint: String,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmsProvider {
    /// Writes codes to the log; for development and demo mode.
    Log,
    /// Tencent Cloud SMS.
    Tencent,
}

/// Where attachments are kept (`services::media_store`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    /// `local` or `s3`.
    pub store: String,
    pub s3_bucket: String,
    pub s3_region: String,
    pub s3_endpoint: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: Secret,
    pub s3_path_style: bool,
    pub s3_allow_http: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    pub enabled: bool,
    /// The size of the demo firm seeded on first start: `demo` (40 customers), `S`, `M` or `L`.
    pub profile: crate::seed::Profile,
}

/// Background jobs (`src/worker`): where they run and how patiently.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    pub enabled: bool,
    pub concurrency: usize,
    pub poll_interval_ms: u64,
    pub lease_seconds: u64,
    pub retry_base_seconds: u64,
    pub shutdown_grace_seconds: u64,
    pub inbox_retention_days: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub filter: String,
}

impl Settings {
    /// Defaults, then `file` (if any), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with_env(file, std::env::vars())
    }

    /// As [`Settings::load`] with an explicit environment, so tests need not touch the process's.
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut merged = parse_table(DEFAULTS, "config/default.toml")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            let layer = parse_table(&text, &path.display().to_string())?;
            merge(&mut merged, layer, "")?;
        }
        apply_env(&mut merged, env)?;
        let mut settings: Settings = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_string()))?;
        settings.derive_public_url()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Only the compiled-in defaults (tests start from these).
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::load_with_env(None, std::iter::empty())
    }

    /// An empty `public_url` means "where `listen` serves": changing only the port then keeps
    /// sign-in working. An unspecified listen address (0.0.0.0) is reached on loopback here.
    fn derive_public_url(&mut self) -> Result<(), ConfigError> {
        if !self.server.public_url.trim().is_empty() {
            return Ok(());
        }
        let listen = self.listen_addr()?;
        let host = if listen.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else if listen.is_ipv6() {
            format!("[{}]", listen.ip())
        } else {
            listen.ip().to_string()
        };
        self.server.public_url = format!("http://{host}:{}", listen.port());
        self.server.public_url_derived = true;
        Ok(())
    }

    /// Whether `public_url` names this machine (127.0.0.1, ::1 or localhost).
    pub fn public_url_is_loopback(&self) -> bool {
        url::Url::parse(&self.server.public_url).is_ok_and(|u| match u.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        })
    }

    /// Configuration that works but is probably not what the operator meant, in plain words.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Ok(public) = url::Url::parse(&self.server.public_url) else {
            return out;
        };
        let Ok(listen) = self.listen_addr() else {
            return out;
        };
        let public_is_loopback = self.public_url_is_loopback();
        if !self.server.public_url_derived
            && public_is_loopback
            && public.port_or_known_default() != Some(listen.port())
        {
            out.push(format!(
                "server.public_url ({}) points at port {} but server.listen is {}: sign-in \
                 redirects and JS-SDK signatures will use the wrong address; set public_url to \
                 match, or leave it empty to derive it from listen",
                self.server.public_url,
                public.port_or_known_default().unwrap_or(0),
                self.server.listen
            ));
        }
        if !self.demo.enabled && public.scheme() == "http" && !public_is_loopback {
            out.push(format!(
                "server.public_url ({}) is plain http: WeCom's sidebar and OAuth need https \
                 in production, and cookies are not marked Secure",
                self.server.public_url
            ));
        }
        out
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        let public = url::Url::parse(&self.server.public_url)
            .map_err(|e| ConfigError::Invalid(format!("server.public_url is not a URL: {e}")))?;
        if !matches!(public.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid(
                "server.public_url must be http or https".into(),
            ));
        }
        if !self.database.url.is_sqlite() && !self.database.url.is_postgres() {
            return Err(ConfigError::Invalid(
                "database.url must start with sqlite:// or postgres://".into(),
            ));
        }
        let sms = &self.sms;
        let incomplete = [
            &sms.secret_id,
            &sms.sdk_app_id,
            &sms.sign_name,
            &sms.template_id,
        ]
        .iter()
        .any(|v| v.is_empty())
            || sms.secret_key.is_empty();
        if sms.provider == SmsProvider::Tencent && incomplete {
            return Err(ConfigError::Invalid(
                "[sms] provider = \"tencent\" needs secret_id, secret_key, sdk_app_id, sign_name and template_id".into(),
            ));
        }
        let worker = &self.worker;
        if worker.concurrency == 0 || worker.poll_interval_ms == 0 {
            return Err(ConfigError::Invalid(
                "[worker] concurrency and poll_interval_ms must be at least 1".into(),
            ));
        }
        // A lease is renewed every third of its length; shorter ones would be renewed faster
        // than a busy database answers.
        if worker.lease_seconds < 5 {
            return Err(ConfigError::Invalid(
                "[worker] lease_seconds must be at least 5".into(),
            ));
        }
        if worker.inbox_retention_days == 0 {
            return Err(ConfigError::Invalid(
                "[worker] inbox_retention_days must be at least 1".into(),
            ));
        }
        let media = &self.media;
        match media.store.as_str() {
            "local" => {}
            "s3" if media.s3_bucket.trim().is_empty() => {
                return Err(ConfigError::Invalid(
                    "[media] store = \"s3\" needs s3_bucket".into(),
                ));
            }
            "s3" => {}
            other => {
                return Err(ConfigError::Invalid(format!(
                    "[media] store must be \"local\" or \"s3\", not \"{other}\""
                )));
            }
        }
        let wecom = &self.wecom;
        let given = [
            !wecom.corp_id.is_empty(),
            !wecom.agent_id.is_empty(),
            !wecom.token.is_empty(),
            !wecom.encoding_aes_key.is_empty(),
        ];
        if given.iter().any(|g| *g) && !given.iter().all(|g| *g) {
            return Err(ConfigError::Invalid(
                "[wecom] needs corp_id, agent_id, token and encoding_aes_key together".into(),
            ));
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server.listen.parse().map_err(|_| {
            ConfigError::Invalid(format!(
                "server.listen `{}` is not an address like 127.0.0.1:8080",
                self.server.listen
            ))
        })
    }

    /// `public_url` without a trailing slash, for building absolute links.
    pub fn public_base(&self) -> &str {
        self.server.public_url.trim_end_matches('/')
    }
}

fn string_or_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Number(i64),
    }
    Ok(match Either::deserialize(d)? {
        Either::Text(s) => s,
        Either::Number(n) => n.to_string(),
    })
}

fn parse_table(text: &str, origin: &str) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>().map_err(|e| ConfigError::Parse {
        path: origin.to_string(),
        message: e.message().to_string(),
    })
}

/// Lays `layer` over `base`; every key of `layer` must already exist in `base`.
fn merge(base: &mut toml::Table, layer: toml::Table, prefix: &str) -> Result<(), ConfigError> {
    for (key, value) in layer {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(layer_inner)) => {
                merge(inner, layer_inner, &path)?;
            }
            (Some(slot), value) if !slot.is_table() => *slot = value,
            _ => return Err(ConfigError::UnknownKey(path)),
        }
    }
    Ok(())
}

fn apply_env(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    for (var, raw) in env {
        let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        // ZHANGFANG_CONFIG and friends have no section separator: they are not overrides.
        let Some((section, key)) = rest.split_once("__") else {
            continue;
        };
        let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
        let slot = table
            .get_mut(&section)
            .and_then(|s| s.as_table_mut())
            .and_then(|s| s.get_mut(&key))
            .ok_or_else(|| ConfigError::UnknownKey(format!("{section}.{key} (from {var})")))?;
        *slot = typed_like(slot, &raw).map_err(|message| ConfigError::Env {
            var: var.clone(),
            message,
        })?;
    }
    Ok(())
}

/// Environment values are strings; give them the type the default has.
fn typed_like(default: &toml::Value, raw: &str) -> Result<toml::Value, String> {
    Ok(match default {
        toml::Value::Integer(_) => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| format!("`{raw}` is not an integer"))?,
        ),
        toml::Value::Boolean(_) => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => toml::Value::Boolean(true),
            "false" | "0" | "no" | "off" => toml::Value::Boolean(false),
            _ => return Err(format!("`{raw}` is not a boolean")),
        },
        toml::Value::Float(_) => toml::Value::Float(
            raw.trim()
                .parse()
                .map_err(|_| format!("`{raw}` is not a number"))?,
        ),
        // A list from the environment is comma separated: "127.0.0.1/32,10.0.0.0/8".
        toml::Value::Array(_) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| toml::Value::String(v.to_string()))
                .collect(),
        ),
        _ => toml::Value::String(raw.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_listen_on_loopback_with_sqlite_under_data() {
        let s = Settings::defaults().unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:8080");
        assert!(s.database.url.is_sqlite());
        assert!(s.database.url.expose().contains("data/"));
        assert!(s.demo.enabled);
    }

    #[test]
    fn env_overrides_single_keys_with_the_default_type() {
        let s = Settings::load_with_env(
            None,
            env(&[
                ("ZHANGFANG_DATABASE__URL", "postgres://u:pw@db/zf"),
                ("ZHANGFANG_DEMO__ENABLED", "false"),
                ("ZHANGFANG_SERVER__WORKERS", "3"),
                ("ZHANGFANG_CONFIG", "ignored.toml"),
                ("OTHER__THING", "x"),
            ]),
        )
        .unwrap();
        assert!(s.database.url.is_postgres());
        assert!(!s.demo.enabled);
        assert_eq!(s.server.workers, 3);
    }

    #[test]
    fn the_media_store_is_local_unless_s3_is_configured_with_a_bucket() {
        let s = Settings::load_with_env(None, env(&[])).unwrap();
        assert_eq!(s.media.store, "local");
        let s3 = Settings::load_with_env(
            None,
            env(&[
                ("ZHANGFANG_MEDIA__STORE", "s3"),
                ("ZHANGFANG_MEDIA__S3_BUCKET", "zhangfang-files"),
                ("ZHANGFANG_MEDIA__S3_SECRET_ACCESS_KEY", "very-secret"),
            ]),
        )
        .unwrap();
        assert_eq!(s3.media.s3_bucket, "zhangfang-files");
        assert!(!format!("{:?}", s3.media).contains("very-secret"));
        let no_bucket = Settings::load_with_env(None, env(&[("ZHANGFANG_MEDIA__STORE", "s3")]));
        assert!(matches!(no_bucket, Err(ConfigError::Invalid(m)) if m.contains("s3_bucket")));
        let unknown = Settings::load_with_env(None, env(&[("ZHANGFANG_MEDIA__STORE", "ftp")]));
        assert!(matches!(unknown, Err(ConfigError::Invalid(m)) if m.contains("[media]")));
    }

    #[test]
    fn trusted_proxies_come_from_a_list_or_a_comma_separated_variable() {
        let s = Settings::load_with_env(
            None,
            env(&[(
                "ZHANGFANG_SERVER__TRUSTED_PROXIES",
                "127.0.0.1/32, 10.0.0.0/8",
            )]),
        )
        .unwrap();
        assert_eq!(s.server.trusted_proxies.len(), 2);
        assert!(
            Settings::load_with_env(
                None,
                env(&[("ZHANGFANG_SERVER__TRUSTED_PROXIES", "nonsense")])
            )
            .is_err()
        );
    }

    #[test]
    fn worker_keys_have_safe_defaults_and_env_overrides() {
        let s = Settings::defaults().unwrap();
        assert!(s.worker.enabled);
        assert_eq!(s.worker.inbox_retention_days, 30);
        let s = Settings::load_with_env(
            None,
            env(&[
                ("ZHANGFANG_WORKER__ENABLED", "false"),
                ("ZHANGFANG_WORKER__CONCURRENCY", "1"),
                ("ZHANGFANG_WORKER__INBOX_RETENTION_DAYS", "7"),
            ]),
        )
        .unwrap();
        assert!(!s.worker.enabled);
        assert_eq!(s.worker.concurrency, 1);
        assert_eq!(s.worker.inbox_retention_days, 7);
        let err = Settings::load_with_env(None, env(&[("ZHANGFANG_WORKER__LEASE_SECONDS", "1")]));
        assert!(matches!(err, Err(ConfigError::Invalid(m)) if m.contains("[worker]")));
    }

    #[test]
    fn unknown_env_key_is_an_error() {
        let err = Settings::load_with_env(None, env(&[("ZHANGFANG_SERVER__LISTN", "x")]));
        assert!(matches!(err, Err(ConfigError::UnknownKey(_))));
    }

    #[test]
    fn file_layer_overrides_defaults_and_rejects_typos() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        std::fs::write(&good, "[server]\nlisten = \"127.0.0.1:9999\"\n").unwrap();
        let s = Settings::load_with_env(Some(&good), env(&[])).unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:9999");
        assert_eq!(s.server.public_url, "http://127.0.0.1:9999");

        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[server]\nlisten_addr = \"x\"\n").unwrap();
        assert!(matches!(
            Settings::load_with_env(Some(&bad), env(&[])),
            Err(ConfigError::UnknownKey(k)) if k == "server.listen_addr"
        ));
    }

    #[test]
    fn env_wins_over_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[server]\nlisten = \"127.0.0.1:9999\"\n").unwrap();
        let s = Settings::load_with_env(
            Some(&file),
            env(&[("ZHANGFANG_SERVER__LISTEN", "127.0.0.1:7777")]),
        )
        .unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:7777");
    }

    #[test]
    fn an_agent_id_written_as_a_number_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "[wecom]\ncorp_id = \"ww1\"\nagent_id = 1000002\ntoken = \"t\"\nencoding_aes_key = \"k\"\n",
        )
        .unwrap();
        let s = Settings::load_with_env(Some(&file), env(&[])).unwrap();
        assert_eq!(s.wecom.agent_id, "1000002");
    }

    #[test]
    fn an_empty_public_url_follows_listen() {
        let s = Settings::load_with_env(
            None,
            env(&[
                ("ZHANGFANG_SERVER__LISTEN", "127.0.0.1:9191"),
                ("ZHANGFANG_SERVER__PUBLIC_URL", ""),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.public_url, "http://127.0.0.1:9191");
        assert!(s.warnings().is_empty());
        let s = Settings::load_with_env(
            None,
            env(&[
                ("ZHANGFANG_SERVER__LISTEN", "0.0.0.0:9191"),
                ("ZHANGFANG_SERVER__PUBLIC_URL", ""),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.public_url, "http://127.0.0.1:9191");
    }

    #[test]
    fn a_public_url_that_disagrees_with_listen_is_warned_about() {
        let s = Settings::load_with_env(
            None,
            env(&[
                ("ZHANGFANG_SERVER__LISTEN", "127.0.0.1:9191"),
                ("ZHANGFANG_SERVER__PUBLIC_URL", "http://127.0.0.1:8080"),
            ]),
        )
        .unwrap();
        let warnings = s.warnings();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("9191") && warnings[0].contains("8080"));
        // Behind a reverse proxy the ports differ on purpose.
        let s = Settings::load_with_env(
            None,
            env(&[
                ("ZHANGFANG_SERVER__LISTEN", "127.0.0.1:9191"),
                ("ZHANGFANG_SERVER__PUBLIC_URL", "https://zf.example.com"),
                ("ZHANGFANG_DEMO__ENABLED", "false"),
            ]),
        )
        .unwrap();
        assert!(s.warnings().is_empty());
    }

    #[test]
    fn production_on_plain_http_is_warned_about() {
        let s = Settings::load_with_env(
            None,
            env(&[
                ("ZHANGFANG_SERVER__PUBLIC_URL", "http://zf.example.com"),
                ("ZHANGFANG_DEMO__ENABLED", "false"),
            ]),
        )
        .unwrap();
        assert!(s.warnings().iter().any(|w| w.contains("https")));
    }

    #[test]
    fn partial_wecom_section_is_rejected() {
        let err = Settings::load_with_env(None, env(&[("ZHANGFANG_WECOM__CORP_ID", "ww1")]));
        assert!(matches!(err, Err(ConfigError::Invalid(_))));
    }

    #[test]
    fn the_tencent_sms_provider_needs_its_keys() {
        let err = Settings::load_with_env(None, env(&[("ZHANGFANG_SMS__PROVIDER", "tencent")]));
        assert!(matches!(err, Err(ConfigError::Invalid(m)) if m.contains("[sms]")));
        let ok = Settings::load_with_env(
            None,
            env(&[
                ("ZHANGFANG_SMS__PROVIDER", "tencent"),
                ("ZHANGFANG_SMS__SECRET_ID", "AKID"),
                ("ZHANGFANG_SMS__SECRET_KEY", "key"),
                ("ZHANGFANG_SMS__SDK_APP_ID", "1400000001"),
                ("ZHANGFANG_SMS__SIGN_NAME", "账房"),
                ("ZHANGFANG_SMS__TEMPLATE_ID", "100001"),
            ]),
        );
        assert_eq!(ok.unwrap().sms.provider, SmsProvider::Tencent);
    }

    #[test]
    fn secrets_and_database_passwords_never_print() {
        let s = Settings::load_with_env(
            None,
            env(&[
                (
                    "ZHANGFANG_DATABASE__URL",
                    "postgres://zf:hunter2@db:5432/zf",
                ),
                ("ZHANGFANG_SECURITY__MASTER_KEY", "c2VjcmV0LW1hc3Rlci1rZXk="),
                ("ZHANGFANG_WECOM__CORP_ID", "ww1"),
                ("ZHANGFANG_WECOM__AGENT_ID", "1000002"),
                ("ZHANGFANG_WECOM__SECRET", "app-secret-value"),
                ("ZHANGFANG_WECOM__TOKEN", "token-value"),
                ("ZHANGFANG_WECOM__ENCODING_AES_KEY", "aes-key-value"),
            ]),
        )
        .unwrap();
        let printed = format!("{s:?}");
        for secret in [
            "hunter2",
            "c2VjcmV0LW1hc3Rlci1rZXk=",
            "app-secret-value",
            "token-value",
            "aes-key-value",
        ] {
            assert!(!printed.contains(secret), "{secret} leaked in {printed}");
        }
        assert!(printed.contains("postgres://zf:***@db:5432/zf"));
    }
}
