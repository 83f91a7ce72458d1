//! Where uploaded files live: one `MediaStore` for every attachment, over the `object_store`
//! crate — a directory under `data_dir` (`media/`) by default, S3-compatible object storage when
//! `[media] store = "s3"` (what several instances must share). Keys are generated here
//! (`firm/yyyy/mm/uuid`), never taken from a file's name, and a file's type is decided by its
//! content, not its name.

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::error::{AppError, AppResult};

/// The largest attachment we keep.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

#[async_trait::async_trait]
pub trait MediaStore: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8]) -> AppResult<()>;
    async fn get(&self, key: &str) -> AppResult<Vec<u8>>;
    /// Removes a file; a key that holds nothing is not an error (deleting twice is fine).
    async fn delete(&self, key: &str) -> AppResult<()>;
}

/// The store `[media]` configures for this process.
pub fn from_settings(settings: &Settings) -> anyhow::Result<Arc<dyn MediaStore>> {
    let media = &settings.media;
    let inner: Arc<dyn ObjectStore> = match media.store.as_str() {
        "s3" => {
            let mut builder = AmazonS3Builder::new()
                .with_bucket_name(&media.s3_bucket)
                .with_region(&media.s3_region)
                .with_virtual_hosted_style_request(!media.s3_path_style)
                .with_allow_http(media.s3_allow_http);
            if !media.s3_endpoint.is_empty() {
                builder = builder.with_endpoint(&media.s3_endpoint);
            }
            if !media.s3_access_key_id.is_empty() {
                builder = builder
                    .with_access_key_id(&media.s3_access_key_id)
                    .with_secret_access_key(media.s3_secret_access_key.expose());
            }
            Arc::new(
                builder
                    .build()
                    .map_err(|e| anyhow::anyhow!("[media] S3 store: {e}"))?,
            )
        }
        _ => {
            let root = settings.server.data_dir.join("media");
            std::fs::create_dir_all(&root)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", root.display()))?;
            Arc::new(
                LocalFileSystem::new_with_prefix(&root)
                    .map_err(|e| anyhow::anyhow!("[media] local store: {e}"))?,
            )
        }
    };
    Ok(Arc::new(ObjectMediaStore { inner }))
}

/// A [`MediaStore`] over any `object_store` backend.
pub struct ObjectMediaStore {
    inner: Arc<dyn ObjectStore>,
}

impl ObjectMediaStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self { inner }
    }
}

/// Keys are ours, but check anyway: plain segments only.
fn path(key: &str) -> AppResult<StorePath> {
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
    Ok(StorePath::from(key))
}

#[async_trait::async_trait]
impl MediaStore for ObjectMediaStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> AppResult<()> {
        let path = path(key)?;
        self.inner
            .put(&path, PutPayload::from(bytes.to_vec()))
            .await
            .map_err(AppError::internal)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> AppResult<Vec<u8>> {
        let path = path(key)?;
        let found = match self.inner.get(&path).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(AppError::NotFound("文件不存在".into()));
            }
            Err(e) => return Err(AppError::internal(e)),
        };
        Ok(found.bytes().await.map_err(AppError::internal)?.to_vec())
    }

    async fn delete(&self, key: &str) -> AppResult<()> {
        let path = path(key)?;
        match self.inner.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(AppError::internal(e)),
        }
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
        let mut settings = Settings::defaults().unwrap();
        settings.server.data_dir = dir.path().to_path_buf();
        let store = from_settings(&settings).unwrap();
        store.put("1/2026/11/abc", b"hello").await.unwrap();
        assert_eq!(store.get("1/2026/11/abc").await.unwrap(), b"hello");
        assert_eq!(
            std::fs::read(dir.path().join("media/1/2026/11/abc")).unwrap(),
            b"hello",
            "under data_dir/media"
        );
        store.delete("1/2026/11/abc").await.unwrap();
        assert!(!dir.path().join("media/1/2026/11/abc").exists());
        assert!(matches!(
            store.get("1/2026/11/abc").await,
            Err(AppError::NotFound(_))
        ));
        store.delete("1/2026/11/abc").await.unwrap();
        assert!(store.delete("../x").await.is_err());
        assert!(store.put("../x", b"x").await.is_err());
        assert!(store.get("1/../../x").await.is_err());
        assert!(matches!(
            store.get("1/none").await,
            Err(AppError::NotFound(_))
        ));
    }
}
