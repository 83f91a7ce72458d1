//! The sandbox description file of `zhangfang sandbox --seed FILE`: which seeded firm to
//! impersonate and how the sandbox behaves.
//!
//! The struct is plain serde, so the CLI may read it from TOML as well; [`SandboxFile::parse`]
//! reads JSON and [`SandboxFile::validate`] checks the values whichever format they came from:
//!
//! ```json
//! {"profile": "demo", "seed": 42, "as_of": "2025-06-30",
//!  "token_lifetime_seconds": 7200, "trusted_redirect_hosts": ["127.0.0.1:8080"]}
//! ```

use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::SandboxOptions;
use crate::seed::Profile;

fn default_token_lifetime() -> u64 {
    7200
}

/// What `zhangfang sandbox --seed FILE` reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxFile {
    pub profile: Profile,
    pub seed: u64,
    /// The day the data is generated "as of" (YYYY-MM-DD).
    pub as_of: NaiveDate,
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime_seconds: u64,
    /// WeCom's 可信域名 for OAuth redirects (`host` or `host:port`); empty accepts any.
    #[serde(default)]
    pub trusted_redirect_hosts: Vec<String>,
}

/// Why a sandbox file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SandboxFileError {
    #[error("无法读取沙箱文件 {path}：{source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("沙箱文件格式错误：{0}")]
    Parse(String),
    #[error("沙箱文件内容无效：{0}")]
    Invalid(String),
}

/// A token must live at least a minute (clients refresh ahead of expiry) and at most a day.
const TOKEN_LIFETIME_RANGE: std::ops::RangeInclusive<u64> = 60..=86_400;

impl SandboxFile {
    /// Parses and validates the JSON form.
    ///
    /// # Errors
    /// [`SandboxFileError::Parse`] for malformed JSON, unknown keys or a bad profile/date;
    /// [`SandboxFileError::Invalid`] as [`SandboxFile::validate`].
    pub fn parse(text: &str) -> Result<Self, SandboxFileError> {
        let file: Self =
            serde_json::from_str(text).map_err(|e| SandboxFileError::Parse(e.to_string()))?;
        file.validate()?;
        Ok(file)
    }

    /// Reads, parses and validates a file.
    ///
    /// # Errors
    /// [`SandboxFileError::Read`] when the file cannot be read, else as [`SandboxFile::parse`].
    pub fn load(path: &Path) -> Result<Self, SandboxFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| SandboxFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Checks the values: token lifetime 60..=86400 s; redirect hosts non-empty, without scheme
    /// or path.
    ///
    /// # Errors
    /// [`SandboxFileError::Invalid`] naming the first bad value.
    pub fn validate(&self) -> Result<(), SandboxFileError> {
        if !TOKEN_LIFETIME_RANGE.contains(&self.token_lifetime_seconds) {
            return Err(SandboxFileError::Invalid(format!(
                "token_lifetime_seconds 应在 60 到 86400 之间（收到 {}）",
                self.token_lifetime_seconds
            )));
        }
        for host in &self.trusted_redirect_hosts {
            let h = host.trim();
            if h.is_empty()
                || h.contains("://")
                || h.contains('/')
                || h.contains(char::is_whitespace)
            {
                return Err(SandboxFileError::Invalid(format!(
                    "trusted_redirect_hosts 只写域名或 域名:端口（收到 {host:?}）"
                )));
            }
        }
        Ok(())
    }

    /// The sandbox options this file describes, mounted under `base_path`.
    #[must_use]
    pub fn options(&self, base_path: &str) -> SandboxOptions {
        SandboxOptions {
            token_lifetime: Duration::from_secs(self.token_lifetime_seconds),
            trusted_redirect_hosts: self.trusted_redirect_hosts.clone(),
            base_path: base_path.to_string(),
            callback_targets: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_and_minimal_files() {
        let f = SandboxFile::parse(
            r#"{"profile":"L","seed":7,"as_of":"2025-06-30","token_lifetime_seconds":600,
                "trusted_redirect_hosts":["127.0.0.1:8080","zf.example.com"]}"#,
        )
        .unwrap();
        assert_eq!(f.profile, Profile::L);
        assert_eq!(f.profile.to_string(), "L");
        assert_eq!(f.as_of, NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
        let o = f.options("/sandbox");
        assert_eq!(o.token_lifetime, Duration::from_secs(600));
        assert_eq!(o.trusted_redirect_hosts.len(), 2);
        assert_eq!(o.base_path, "/sandbox");

        let f = SandboxFile::parse(r#"{"profile":"demo","seed":1,"as_of":"2024-01-31"}"#).unwrap();
        assert_eq!(f.token_lifetime_seconds, 7200);
        assert!(f.trusted_redirect_hosts.is_empty());
        assert_eq!(
            SandboxFile::parse(r#"{"profile":"s","seed":1,"as_of":"2024-01-31"}"#)
                .unwrap()
                .profile,
            Profile::S
        );
    }

    #[test]
    fn rejects_bad_files() {
        for bad in [
            "",
            "not json",
            r#"{"profile":"XL","seed":1,"as_of":"2024-01-31"}"#,
            r#"{"profile":"demo","seed":1,"as_of":"2024-02-30"}"#,
            r#"{"profile":"demo","seed":-1,"as_of":"2024-01-31"}"#,
            r#"{"profile":"demo","as_of":"2024-01-31"}"#,
            r#"{"profile":"demo","seed":1,"as_of":"2024-01-31","extra":1}"#,
        ] {
            assert!(
                matches!(SandboxFile::parse(bad), Err(SandboxFileError::Parse(_))),
                "{bad}"
            );
        }
        for bad in [
            r#"{"profile":"demo","seed":1,"as_of":"2024-01-31","token_lifetime_seconds":0}"#,
            r#"{"profile":"demo","seed":1,"as_of":"2024-01-31","trusted_redirect_hosts":["https://x.com"]}"#,
            r#"{"profile":"demo","seed":1,"as_of":"2024-01-31","trusted_redirect_hosts":[""]}"#,
        ] {
            assert!(
                matches!(SandboxFile::parse(bad), Err(SandboxFileError::Invalid(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            SandboxFile::load(Path::new("/nonexistent/sandbox.json")),
            Err(SandboxFileError::Read { .. })
        ));
    }
}
