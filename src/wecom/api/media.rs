//! Temporary media: `media/upload`.

use serde::Deserialize;

use super::{WecomError, invalid, lenient_i64, names, require_non_empty};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Image,
    File,
    Voice,
    Video,
}

impl MediaKind {
    /// The `type` query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::File => "file",
            Self::Voice => "voice",
            Self::Video => "video",
        }
    }

    /// Documented size cap; checked locally so an oversized receipt image
    /// fails fast instead of after a 20 MB upload.
    pub fn max_bytes(self) -> usize {
        const MB: usize = 1024 * 1024;
        match self {
            Self::Image | Self::Video => 10 * MB,
            Self::Voice => 2 * MB,
            Self::File => 20 * MB,
        }
    }
}

/// WeCom rejects files of 5 bytes or less ("所有文件size必须大于5个字节").
pub const MEDIA_MIN_BYTES: usize = 6;

pub fn validate_upload(kind: MediaKind, filename: &str, len: usize) -> Result<(), WecomError> {
    let api = names::MEDIA_UPLOAD;
    require_non_empty(api, "filename", filename)?;
    if len < MEDIA_MIN_BYTES {
        return Err(invalid(api, "media must be larger than 5 bytes"));
    }
    if len > kind.max_bytes() {
        return Err(invalid(
            api,
            format!(
                "media exceeds the {} limit of {} bytes",
                kind.as_str(),
                kind.max_bytes()
            ),
        ));
    }
    Ok(())
}

/// `media/upload`. The `media_id` is valid for 3 days only: callers keep the
/// original and re-upload when `created_at` is older than ~3 days − margin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UploadedMedia {
    #[serde(rename = "type")]
    pub media_type: String,
    pub media_id: String,
    /// Unix seconds; WeCom sends it as a string.
    #[serde(deserialize_with = "lenient_i64")]
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_fields() {
        let m: UploadedMedia =
            serde_json::from_str(r#"{"type":"image","media_id":"m","created_at":"1380000000"}"#)
                .unwrap();
        assert_eq!(m.created_at, 1380000000);
        let m: UploadedMedia =
            serde_json::from_str(r#"{"type":"image","media_id":"m","created_at":1380000000}"#)
                .unwrap();
        assert_eq!(m.created_at, 1380000000);
    }

    #[test]
    fn validations() {
        assert!(validate_upload(MediaKind::Image, "a.png", 5).is_err());
        assert!(validate_upload(MediaKind::Image, "a.png", 6).is_ok());
        assert!(validate_upload(MediaKind::Voice, "a.amr", 3 * 1024 * 1024).is_err());
    }
}
