//! Where uploaded files live: one `MediaStore` for every attachment. The default keeps files in
//! a directory under `data_dir` (`media/`); keys are generated here (`firm/yyyy/mm/uuid`), never
//! taken from a file's name, and a file's type is decided by its content, not its name.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::error::{AppError, AppResult};

/// The largest attachment we keep.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

#[async_trait::async_trait]
pub trait MediaStore: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8]) -> AppResult<()>;
    async fn get(&self, key: &str) -> AppResult<Vec<u8>>;
}

/// Files in a local directory.
pub struct LocalMediaStore {
    root: PathBuf,
}

impl LocalMediaStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The store configured for this process: `data_dir/media`.
    pub fn from_settings(settings: &Settings) -> Self {
        Self::new(settings.server.data_dir.join("media"))
    }

    fn path(&self, key: &str) -> AppResult<PathBuf> {
        // Keys are ours, but check anyway: plain segments only.
        let ok = !key.is_empty()
            && key.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if !ok {
            return Err(AppError::internal(format!("bad media key {key:?}")));
        }
        Ok(self.root.join(Path::new(key)))
    }
}

#[async_trait::async_trait]
impl MediaStore for LocalMediaStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> AppResult<()> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(AppError::internal)?;
        }
        let tmp = path.with_extension("part");
        tokio::fs::write(&tmp, bytes)
            .await
            .map_err(AppError::internal)?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(AppError::internal)
    }

    async fn get(&self, key: &str) -> AppResult<Vec<u8>> {
        let path = self.path(key)?;
        tokio::fs::read(&path).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                AppError::NotFound("文件不存在".into())
            } else {
                AppError::internal(e)
            }
        })
    }
}

/// The type of an image or PDF, from its first bytes; None for anything else.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A file accepted for storing: checked size and type, its digest and a name fit to show.
#[derive(Debug)]
pub struct Checked<'a> {
    pub bytes: &'a [u8],
    pub mime: &'static str,
    pub sha256: String,
    pub display_name: String,
}

/// Checks an upload: at most [`MAX_BYTES`], an image or a PDF by content. The name is kept only
/// to show (path parts and control characters removed).
pub fn check<'a>(name: Option<&str>, bytes: &'a [u8]) -> AppResult<Checked<'a>> {
    if bytes.len() > MAX_BYTES {
        return Err(AppError::PayloadTooLarge("附件不能超过10MB".into()));
    }
    let mime = sniff(bytes).ok_or_else(|| {
        AppError::Validation("附件只能是图片（PNG、JPEG、GIF、WebP）或PDF".into())
    })?;
    let base = name
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect::<String>();
    let display_name = if base.trim().is_empty() {
        if mime == "application/pdf" {
            "附件.pdf".to_string()
        } else {
            "图片".to_string()
        }
    } else {
        base
    };
    Ok(Checked {
        bytes,
        mime,
        sha256: hex::encode(Sha256::digest(bytes)),
        display_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content_and_names_are_only_shown() {
        assert_eq!(sniff(b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some("image/png")
        );
        assert_eq!(sniff(b"<html>"), None);
        let c = check(Some("../../etc/passwd.png"), b"%PDF-1.4").unwrap();
        assert_eq!(c.mime, "application/pdf");
        assert_eq!(c.display_name, "passwd.png");
        assert!(check(Some("a.png"), b"<script>").is_err());
        let big = vec![0u8; MAX_BYTES + 1];
        assert!(matches!(
            check(None, &big),
            Err(AppError::PayloadTooLarge(_))
        ));
    }

    #[tokio::test]
    async fn the_local_store_keeps_files_under_its_root_and_refuses_odd_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalMediaStore::new(dir.path());
        store.put("1/2026/11/abc", b"hello").await.unwrap();
        assert_eq!(store.get("1/2026/11/abc").await.unwrap(), b"hello");
        assert!(store.put("../x", b"x").await.is_err());
        assert!(store.get("1/../../x").await.is_err());
        assert!(matches!(
            store.get("1/none").await,
            Err(AppError::NotFound(_))
        ));
    }
}
