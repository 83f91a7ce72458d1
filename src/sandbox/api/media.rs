//! Temporary media: media/upload and media/get.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{BodyError, MEDIA_LIFETIME, Query, read_body};
use crate::sandbox::Sandbox;
use crate::sandbox::errors::{self as codes, ApiError, ok_with_msg};
use crate::sandbox::multipart;
use crate::sandbox::state::{UploadedMedia, later, random_string};

/// The largest upload (file, 20 MB) plus room for the multipart framing.
const UPLOAD_BODY_LIMIT: usize = 20 * 1024 * 1024 + 64 * 1024;
/// Uploads kept in memory at most (the oldest are dropped beyond it).
const MEDIA_BYTES_CAP: usize = 256 * 1024 * 1024;

/// Per-type rules: size limit, the error for exceeding it, accepted extensions (empty = any).
fn media_rules(kind: &str) -> Option<(usize, i32, &'static [&'static str])> {
    match kind {
        "image" => Some((
            10 * 1024 * 1024,
            codes::INVALID_IMAGE_SIZE,
            &["jpg", "jpeg", "png"],
        )),
        "voice" => Some((2 * 1024 * 1024, codes::MEDIA_TOO_LARGE, &["amr"])),
        "video" => Some((10 * 1024 * 1024, codes::INVALID_VIDEO_SIZE, &["mp4"])),
        "file" => Some((20 * 1024 * 1024, codes::MEDIA_TOO_LARGE, &[])),
        _ => None,
    }
}

#[derive(Serialize)]
struct UploadReply {
    #[serde(rename = "type")]
    kind: String,
    media_id: String,
    /// WeCom sends created_at as a string of seconds.
    created_at: String,
}

/// media/upload?type=…: multipart field `media` with a filename; files must be larger than
/// 5 bytes; kept for three days.
pub(super) async fn media_upload(
    sandbox: &Sandbox,
    req: &HttpRequest,
    query: &Query,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let kind = query.get("type").unwrap_or_default().to_string();
    let (max, too_large, extensions) = media_rules(&kind).ok_or_else(|| {
        ApiError::with_hint(
            codes::INVALID_MEDIA_TYPE_PARAM,
            "type must be image, voice, video or file",
        )
    })?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multipart::boundary(content_type)
        .ok_or_else(|| ApiError::with_hint(codes::EMPTY_MEDIA, "POST multipart/form-data"))?;
    let body = match read_body(payload, UPLOAD_BODY_LIMIT).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return Err(ApiError::new(too_large)),
        Err(BodyError::Broken) => return Err(ApiError::new(codes::SYSTEM_BUSY)),
    };
    let part = multipart::find_part(&body, &boundary, "media")
        .ok_or_else(|| ApiError::with_hint(codes::EMPTY_MEDIA, "no form field named media"))?;
    let filename = part
        .filename
        .filter(|f| !f.is_empty())
        .ok_or_else(|| ApiError::with_hint(codes::INVALID_MEDIA_FILE_TYPE, "filename missing"))?;
    if part.data.len() <= 5 {
        return Err(ApiError::with_hint(
            codes::INVALID_FILE_SIZE,
            "files must be larger than 5 bytes",
        ));
    }
    if part.data.len() > max {
        return Err(ApiError::new(too_large));
    }
    if !extensions.is_empty() {
        let ext = filename
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        if !extensions.contains(&ext.as_str()) {
            return Err(ApiError::with_hint(
                codes::INVALID_MEDIA_FILE_TYPE,
                &format!("{kind} must be {}", extensions.join("/")),
            ));
        }
    }
    let now = sandbox.now();
    let media_id = format!("3{}", random_string(63));
    {
        let mut rt = sandbox.runtime();
        rt.media
            .retain(|_, m| now < later(m.created_at, MEDIA_LIFETIME));
        // A long-running sandbox must not grow without bound under a chatty client: past the
        // cap the oldest uploads go first (only then earlier than WeCom's three days).
        let mut total: usize = rt.media.values().map(|m| m.bytes.len()).sum();
        while total.saturating_add(part.data.len()) > MEDIA_BYTES_CAP {
            let Some(oldest) = rt
                .media
                .values()
                .min_by_key(|m| m.created_at)
                .map(|m| m.media_id.clone())
            else {
                break;
            };
            if let Some(m) = rt.media.remove(&oldest) {
                total = total.saturating_sub(m.bytes.len());
            }
        }
        rt.media.insert(
            media_id.clone(),
            UploadedMedia {
                media_id: media_id.clone(),
                kind: kind.clone(),
                filename,
                content_type: part.content_type,
                bytes: part.data.to_vec(),
                created_at: now,
            },
        );
    }
    Ok(ok_with_msg(
        UploadReply {
            kind,
            media_id,
            created_at: now.timestamp().to_string(),
        },
        "",
    ))
}

/// media/get: the bytes of a kept upload, 40007 once it expired.
pub(super) fn media_get(sandbox: &Sandbox, query: &Query) -> Result<HttpResponse, ApiError> {
    let media_id = query
        .get("media_id")
        .ok_or_else(|| ApiError::with_hint(codes::INVALID_MEDIA_ID, "media_id missing"))?;
    let media = sandbox
        .media(media_id)
        .ok_or_else(|| ApiError::new(codes::INVALID_MEDIA_ID))?;
    let content_type = media
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".to_string());
    // RFC 5987 form so Chinese file names survive.
    let encoded: String = url::form_urlencoded::byte_serialize(media.filename.as_bytes()).collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename*=UTF-8''{encoded}"),
        ))
        .body(media.bytes))
}

// ---------------------------------------------------------------------------------------------
