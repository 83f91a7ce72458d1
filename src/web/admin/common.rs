//! Small helpers every back-office page shares: the caller's address for the audit log, the
//! redirect after a write, form fields and small uploads.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::state::AppState;

/// The client's address as the audit log records it.
pub fn ip(req: &HttpRequest) -> Option<String> {
    let state = req.app_data::<web::Data<AppState>>()?;
    crate::web::client_ip::client_ip(req, &state.settings.server.trusted_proxies)
        .map(|ip| ip.to_string())
}

/// Post/redirect/get: a write answers 303 to the page that shows its result.
pub fn see_other(to: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, to.into()))
        .finish()
}

pub use crate::web::form_fields::{field, repeated};

/// The parts of a small multipart upload: text fields and at most one file, read within
/// `max_bytes` in total; the CSRF token (part `csrf`) is checked before the caller sees anything.
pub struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    pub file_name: Option<String>,
    pub file: Vec<u8>,
}

pub async fn read_upload(
    req: &HttpRequest,
    mut payload: actix_multipart::Multipart,
    max_bytes: usize,
) -> Result<Upload, crate::error::AppError> {
    use crate::error::AppError;
    use futures_util::TryStreamExt;
    let mut upload = Upload {
        fields: Default::default(),
        file_name: None,
        file: Vec::new(),
    };
    let mut total = 0usize;
    while let Some(mut part) = payload
        .try_next()
        .await
        .map_err(|e| AppError::BadRequest(format!("上传内容不正确：{e}")))?
    {
        let name = part.name().unwrap_or_default().to_string();
        let file_name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = part
            .try_next()
            .await
            .map_err(|e| AppError::BadRequest(format!("上传内容不正确：{e}")))?
        {
            total += chunk.len();
            if total > max_bytes {
                return Err(AppError::PayloadTooLarge(format!(
                    "文件太大，最大{}KB",
                    max_bytes / 1024
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        if file_name.is_some() && upload.file_name.is_none() {
            upload.file_name = file_name;
            upload.file = bytes;
        } else {
            upload
                .fields
                .insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let token = upload.fields.get("csrf").cloned().unwrap_or_default();
    crate::web::csrf::check_token(req, &token)?;
    Ok(upload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_are_all_read() {
        let body = b"name=%E5%BC%A0&perm=basic&perm=billing&csrf=x";
        assert_eq!(repeated(body, "perm"), vec!["basic", "billing"]);
        assert_eq!(field(body, "name"), "张");
        assert_eq!(field(body, "missing"), "");
    }
}
