//! Files attached to a record — a follow-up (跟进) or a collection (收票): checked by content
//! (images and PDFs, at most [`media_store::MAX_BYTES`] each), kept in the one `MediaStore`
//! under keys of our own (the browser's name is only shown, never used as a path), one
//! `attachment` row per file, listed with their records and served only to those who may see the
//! record's customer in the record's section.
//!
//! Files are put into the store before the record's transaction, so the transaction stays short
//! and holds no upload; the caller inserts the rows in its transaction with [`Stored::attach`]
//! and hands the transaction's outcome to [`Stored::keep_if`], which deletes the files again when
//! it failed: a file no row names would never be shown, served or cleaned up.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::db::entities::{attachment, follow_up, invoice_collection};
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::media_store::{self, Checked};
use crate::services::sessions::CurrentEmployee;
use crate::services::sidebar::{self, Section};
use crate::services::{Ctx, access};

/// At most this many files per record.
pub const MAX_FILES: usize = 3;

/// What a file is attached to (`attachment.owner_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    FollowUp,
    Collection,
}

impl Owner {
    pub const fn code(self) -> &'static str {
        match self {
            Self::FollowUp => "follow_up",
            Self::Collection => "invoice_collection",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "follow_up" => Some(Self::FollowUp),
            "invoice_collection" => Some(Self::Collection),
            _ => None,
        }
    }
}

/// An uploaded file: the name the browser gave (shown only) and the bytes.
pub type Upload = (Option<String>, Vec<u8>);

/// A file as listed with its record.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AttachmentRow {
    pub id: i64,
    pub name: String,
    pub is_image: bool,
}

/// Checks every upload (count, size, type by content) before anything is stored.
pub fn check_all(files: &[Upload]) -> AppResult<Vec<Checked<'_>>> {
    if files.len() > MAX_FILES {
        return Err(AppError::Validation(format!("最多{MAX_FILES}个附件")));
    }
    files
        .iter()
        .map(|(name, bytes)| media_store::check(name.as_deref(), bytes))
        .collect()
}

/// Files put into the store and not yet attached to a record.
pub struct Stored<'a> {
    files: Vec<(Checked<'a>, String)>,
}

/// Puts the checked files into the store under new keys (`firm/yyyy/mm/uuid`).
pub async fn put_all<'a>(
    ctx: &Ctx,
    firm_id: i64,
    checked: Vec<Checked<'a>>,
) -> AppResult<Stored<'a>> {
    let month = crate::domain::clock::to_local(ctx.now())
        .format("%Y/%m")
        .to_string();
    let mut stored = Stored {
        files: Vec::with_capacity(checked.len()),
    };
    for c in checked {
        let key = format!("{firm_id}/{month}/{}", uuid::Uuid::new_v4().simple());
        if let Err(e) = ctx.media.put(&key, c.bytes).await {
            // The ones already stored go too (and this one, should it have been half written).
            stored.files.push((c, key));
            stored.discard(ctx).await;
            return Err(e);
        }
        stored.files.push((c, key));
    }
    Ok(stored)
}

impl Stored<'_> {
    /// The outcome of the record's transaction, after deleting the files again if it failed.
    pub async fn keep_if<T>(self, ctx: &Ctx, saved: AppResult<T>) -> AppResult<T> {
        if saved.is_err() {
            self.discard(ctx).await;
        }
        saved
    }

    /// Deletes the files. A file that cannot be deleted is logged, not raised: the caller is
    /// already answering with the error that made the files unwanted.
    async fn discard(self, ctx: &Ctx) {
        for (_, key) in self.files {
            if let Err(e) = ctx.media.delete(&key).await {
                tracing::warn!(key = %key, error = %e, "an unreferenced attachment file stays in the store");
            }
        }
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// One `attachment` row per file for the record, within the caller's transaction.
    pub async fn attach(
        &self,
        conn: &impl ConnectionTrait,
        me: &CurrentEmployee,
        owner: Owner,
        owner_id: i64,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        for (c, key) in &self.files {
            attachment::ActiveModel {
                firm_id: Set(me.firm_id),
                owner_type: Set(owner.code().to_string()),
                owner_id: Set(owner_id),
                file_name: Set(c.display_name.clone()),
                mime: Set(c.mime.to_string()),
                size_bytes: Set(i64::try_from(c.bytes.len()).map_err(AppError::internal)?),
                storage_key: Set(key.clone()),
                sha256: Set(c.sha256.clone()),
                media_id: Set(None),
                media_expires_at: Set(None),
                created_by: Set(Some(me.employee_id)),
                created_at: Set(now),
                updated_at: Set(now),
                deleted_at: Set(None),
                ..Default::default()
            }
            .insert(conn)
            .await?;
        }
        Ok(())
    }
}

/// The files of the given records of one kind, by record id, oldest first.
pub async fn list(
    ctx: &Ctx,
    firm_id: i64,
    owner: Owner,
    owner_ids: impl IntoIterator<Item = i64>,
) -> AppResult<HashMap<i64, Vec<AttachmentRow>>> {
    use sea_orm::QueryOrder;
    let mut files: HashMap<i64, Vec<AttachmentRow>> = HashMap::new();
    let mut ids: Vec<i64> = owner_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let Some(&last) = ids.last() else {
        return Ok(files);
    };
    // Every length of an IN list is a statement of its own, prepared and cached by each read
    // connection: padded (with a repeated id) to a power of two, a page's lists take a few
    // shapes instead of one per count.
    ids.resize(ids.len().next_power_of_two(), last);
    for a in attachment::Entity::find()
        .filter(attachment::Column::FirmId.eq(firm_id))
        .filter(attachment::Column::OwnerType.eq(owner.code()))
        .filter(attachment::Column::OwnerId.is_in(ids))
        .filter(attachment::Column::DeletedAt.is_null())
        .order_by_asc(attachment::Column::Id)
        .all(ctx.db.read())
        .await?
    {
        files.entry(a.owner_id).or_default().push(AttachmentRow {
            id: a.id,
            is_image: a.mime.starts_with("image/"),
            name: a.file_name,
        });
    }
    Ok(files)
}

/// A file and its bytes, for someone who may see its record's customer in the record's section
/// (跟进 for a follow-up, 收票 for a collection); 404 for anything of another firm.
pub async fn fetch(
    ctx: &Ctx,
    who: &CurrentEmployee,
    id: i64,
) -> AppResult<(attachment::Model, Vec<u8>)> {
    let not_found = || AppError::NotFound("附件不存在".into());
    let found = attachment::Entity::find_by_id(id)
        .filter(attachment::Column::FirmId.eq(who.firm_id))
        .filter(attachment::Column::DeletedAt.is_null())
        .one(ctx.db.read())
        .await?
        .ok_or_else(not_found)?;
    match Owner::from_code(&found.owner_type).ok_or_else(not_found)? {
        Owner::FollowUp => {
            let owner = follow_up::Entity::find_by_id(found.owner_id)
                .filter(follow_up::Column::FirmId.eq(who.firm_id))
                .filter(follow_up::Column::DeletedAt.is_null())
                .one(ctx.db.read())
                .await?
                .ok_or_else(not_found)?;
            sidebar::customer_for(ctx, who, owner.customer_id, Section::FollowUps).await?;
        }
        Owner::Collection => {
            let owner = invoice_collection::Entity::find_by_id(found.owner_id)
                .filter(invoice_collection::Column::FirmId.eq(who.firm_id))
                .filter(invoice_collection::Column::DeletedAt.is_null())
                .one(ctx.db.read())
                .await?
                .ok_or_else(not_found)?;
            who.require(Permission::Collection)?;
            access::customer(ctx, who, owner.customer_id).await?;
        }
    }
    let bytes = ctx.media.get(&found.storage_key).await?;
    Ok((found, bytes))
}
