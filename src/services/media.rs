//! Files sent into chats as WeCom temporary media. The original is kept in `media_file` (one row
//! per firm and `ref_key`, e.g. `receipt:42`); `media/upload` gives a `media_id` valid for three
//! days, reused until it is within [`REUPLOAD_MARGIN`] of lapsing and then uploaded again from
//! the original. The same bytes stored again keep their `media_id`; new bytes clear it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::db::entities::media_file;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::wecom::api::MediaKind;

/// How long WeCom keeps a temporary media id.
pub const MEDIA_LIFETIME: Duration = Duration::days(3);
/// Upload again this long before the id would lapse (a message may sit in a queue a while).
pub const REUPLOAD_MARGIN: Duration = Duration::hours(6);

/// Whether a media id created at `created_at` may still be sent at `now`.
pub fn still_usable(created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < created_at + MEDIA_LIFETIME - REUPLOAD_MARGIN
}

/// A file to keep.
#[derive(Clone, Copy)]
pub struct NewFile<'a> {
    pub ref_key: &'a str,
    pub kind: media_file::Kind,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// Keeps (or replaces) the file under its key; returns its row. Within the caller's connection
/// or transaction.
pub async fn store(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    file: NewFile<'_>,
    now: DateTime<Utc>,
) -> AppResult<media_file::Model> {
    let sha = hex::encode(Sha256::digest(file.bytes));
    let existing = media_file::Entity::find()
        .filter(media_file::Column::FirmId.eq(firm_id))
        .filter(media_file::Column::RefKey.eq(file.ref_key))
        .one(conn)
        .await?;
    if let Some(row) = &existing
        && row.sha256 == sha
        && row.filename == file.filename
    {
        return Ok(row.clone());
    }
    let size = i64::try_from(file.bytes.len()).map_err(AppError::internal)?;
    media_file::Entity::insert(media_file::ActiveModel {
        firm_id: Set(firm_id),
        ref_key: Set(file.ref_key.to_string()),
        kind: Set(file.kind),
        filename: Set(file.filename.to_string()),
        content_type: Set(file.content_type.to_string()),
        sha256: Set(sha),
        size_bytes: Set(size),
        content: Set(file.bytes.to_vec()),
        media_id: Set(None),
        media_created_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([media_file::Column::FirmId, media_file::Column::RefKey])
            .update_columns([
                media_file::Column::Kind,
                media_file::Column::Filename,
                media_file::Column::ContentType,
                media_file::Column::Sha256,
                media_file::Column::SizeBytes,
                media_file::Column::Content,
                media_file::Column::MediaId,
                media_file::Column::MediaCreatedAt,
                media_file::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(conn)
    .await?;
    media_file::Entity::find()
        .filter(media_file::Column::FirmId.eq(firm_id))
        .filter(media_file::Column::RefKey.eq(file.ref_key))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal("stored media file vanished"))
}

/// The kept file of the firm by key.
pub async fn find(ctx: &Ctx, firm_id: i64, ref_key: &str) -> AppResult<Option<media_file::Model>> {
    Ok(media_file::Entity::find()
        .filter(media_file::Column::FirmId.eq(firm_id))
        .filter(media_file::Column::RefKey.eq(ref_key))
        .one(ctx.db.read())
        .await?)
}

/// A `media_id` to send the file with: the last one while it is still usable, otherwise a new
/// upload of the kept original through the firm's primary app.
pub async fn media_id(ctx: &Ctx, firm_id: i64, ref_key: &str) -> AppResult<String> {
    let file = find(ctx, firm_id, ref_key)
        .await?
        .ok_or_else(|| AppError::NotFound("文件不存在，请重新生成".into()))?;
    let now = ctx.now();
    if let (Some(id), Some(at)) = (&file.media_id, file.media_created_at)
        && still_usable(at, now)
    {
        return Ok(id.clone());
    }
    let app = ctx.apps.primary(firm_id).await?;
    let kind = match file.kind {
        media_file::Kind::Image => MediaKind::Image,
        media_file::Kind::File => MediaKind::File,
    };
    let uploaded = ctx
        .wecom
        .upload_media(
            app.handle()?,
            kind,
            &file.filename,
            &file.content_type,
            file.content.clone(),
        )
        .await?;
    // WeCom's own timestamp when it gives one (clocks differ); ours otherwise.
    let created = Utc
        .timestamp_opt(uploaded.created_at, 0)
        .single()
        .filter(|_| uploaded.created_at > 0)
        .map_or(now, |at| at.min(now));
    // Only if the file was not replaced meanwhile.
    media_file::Entity::update_many()
        .col_expr(
            media_file::Column::MediaId,
            sea_orm::sea_query::Expr::value(uploaded.media_id.clone()),
        )
        .col_expr(
            media_file::Column::MediaCreatedAt,
            sea_orm::sea_query::Expr::value(created),
        )
        .col_expr(
            media_file::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(media_file::Column::FirmId.eq(firm_id))
        .filter(media_file::Column::Id.eq(file.id))
        .filter(media_file::Column::Sha256.eq(file.sha256.clone()))
        .exec(ctx.db.write())
        .await?;
    Ok(uploaded.media_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_media_id_is_reused_until_three_days_less_the_margin() {
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
        assert!(still_usable(at, at));
        assert!(still_usable(at, at + Duration::hours(65)));
        assert!(!still_usable(at, at + Duration::hours(66)));
        assert!(!still_usable(at, at + Duration::days(3)));
    }
}
