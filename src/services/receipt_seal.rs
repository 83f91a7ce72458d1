//! 收据设置: the firm's seal (公章 or 财务专用章) drawn on its receipt images. An admin uploads it
//! as a PNG (ideally with a transparent background, so the receipt shows through as through ink
//! on paper) and can remove it. It is kept as the firm's file `receipt-seal` in `media_file`
//! beside the other files the firm's images are made of; receipts drawn while it is there carry
//! it, the others do not.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::db::entities::media_file;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::audit::{self, Object, Who};
use crate::services::media::{self, NewFile};
use crate::services::sessions::CurrentEmployee;

/// The `media_file` key of the firm's seal.
const KEY: &str = "receipt-seal";
/// A seal is a small picture; a larger file is not one.
pub const MAX_BYTES: usize = 1024 * 1024;
/// Largest side in pixels (it is drawn 150 px wide).
const MAX_SIDE: u32 = 2000;

/// The firm's seal, when it has one.
pub async fn get(ctx: &Ctx, firm_id: i64) -> AppResult<Option<Vec<u8>>> {
    Ok(media::find(ctx, firm_id, KEY).await?.map(|f| f.content))
}

/// What makes a seal usable: a PNG (by content) that decodes, at most [`MAX_BYTES`] and
/// [`MAX_SIDE`] pixels a side; whether it has transparent pixels.
pub fn check(bytes: &[u8]) -> AppResult<bool> {
    if bytes.len() > MAX_BYTES {
        return Err(AppError::PayloadTooLarge("印章图片不能超过1MB".into()));
    }
    if crate::services::media_store::sniff(bytes) != Some("image/png") {
        return Err(AppError::Validation("印章图片应为PNG格式".into()));
    }
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(bytes)
        .map_err(|_| AppError::Validation("印章图片无法读取，请重新导出PNG".into()))?;
    if pixmap.width() > MAX_SIDE || pixmap.height() > MAX_SIDE {
        return Err(AppError::Validation(format!(
            "印章图片不能超过{MAX_SIDE}×{MAX_SIDE}像素"
        )));
    }
    Ok(pixmap.pixels().iter().any(|p| p.alpha() < 255))
}

/// Keeps the uploaded seal (admins only); returns whether it has a transparent background.
pub async fn save(ctx: &Ctx, me: &CurrentEmployee, who: &Who, bytes: &[u8]) -> AppResult<bool> {
    me.require_admin()?;
    let transparent = check(bytes)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let row = media::store(
        &txn,
        me.firm_id,
        NewFile {
            ref_key: KEY,
            kind: media_file::Kind::Image,
            filename: "收据印章.png",
            content_type: "image/png",
            bytes,
        },
        now,
    )
    .await?;
    audit::record_in(
        &txn,
        now,
        who,
        "receipt_seal.save",
        Object::new("media_file", row.id),
        None,
        Some(json!({ "sha256": row.sha256, "size_bytes": row.size_bytes, "transparent": transparent })),
    )
    .await?;
    txn.commit().await?;
    Ok(transparent)
}

/// Removes the seal (admins only); later receipt images are drawn without it.
pub async fn remove(ctx: &Ctx, me: &CurrentEmployee, who: &Who) -> AppResult<()> {
    me.require_admin()?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let existing = media_file::Entity::find()
        .filter(media_file::Column::FirmId.eq(me.firm_id))
        .filter(media_file::Column::RefKey.eq(KEY))
        .one(&txn)
        .await?;
    let Some(existing) = existing else {
        return Ok(());
    };
    media_file::Entity::delete_many()
        .filter(media_file::Column::FirmId.eq(me.firm_id))
        .filter(media_file::Column::Id.eq(existing.id))
        .exec(&txn)
        .await?;
    audit::record_in(
        &txn,
        now,
        who,
        "receipt_seal.remove",
        Object::new("media_file", existing.id),
        Some(json!({ "sha256": existing.sha256, "size_bytes": existing.size_bytes })),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use resvg::tiny_skia::{Color, Pixmap};

    #[test]
    fn a_seal_is_a_small_png_by_content() {
        let mut seal = Pixmap::new(40, 40).unwrap();
        seal.fill(Color::from_rgba8(220, 0, 0, 128));
        assert!(check(&seal.encode_png().unwrap()).unwrap(), "transparent");
        seal.fill(Color::from_rgba8(220, 0, 0, 255));
        assert!(!check(&seal.encode_png().unwrap()).unwrap(), "opaque");
        assert!(matches!(
            check(b"\xFF\xD8\xFF jpeg"),
            Err(AppError::Validation(_))
        ));
        let mut broken = b"\x89PNG\r\n\x1a\n".to_vec();
        broken.extend_from_slice(b"not really");
        assert!(matches!(check(&broken), Err(AppError::Validation(_))));
        let big = Pixmap::new(2001, 10).unwrap();
        assert!(matches!(
            check(&big.encode_png().unwrap()),
            Err(AppError::Validation(_))
        ));
        let mut huge = seal.encode_png().unwrap();
        huge.resize(MAX_BYTES + 1, 0);
        assert!(matches!(check(&huge), Err(AppError::PayloadTooLarge(_))));
    }
}
