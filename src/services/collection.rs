//! The sidebar's 收票 section: what documents were received for each period, the missing-invoice
//! marks, recording a new collection (保存, or 保存并标记完成 which completes the period and
//! resolves its missing-invoice marks) and the collection-detail image shared into the chat.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::entities::{employee, invoice_collection, missing_invoice, service_period};
use crate::domain::clock::to_local;
use crate::domain::money::Money;
use crate::domain::period::Period;
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::render::collection::{CollectionData, CollectionLine};
use crate::services::attachments::{self, AttachmentRow, Owner, Upload};
use crate::services::audit::{self, Object, Who};
use crate::services::sessions::CurrentEmployee;
use crate::services::{Ctx, access};

/// The document kinds a collection records.
pub const DOC_KINDS: [&str; 7] = [
    "销项发票",
    "进项发票",
    "银行回单",
    "工资表",
    "费用报销单据",
    "完税凭证",
    "其他",
];

/// One kind of document in a collection, as stored in `invoice_collection.lines`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub doc_type: String,
    pub count: i64,
    #[serde(default)]
    pub amount_fen: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Record {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub received_by: Option<String>,
    pub lines: Vec<Line>,
    pub total_count: i32,
    pub total: Money,
    pub note: Option<String>,
    /// Photos and scans of the documents (images and PDFs).
    pub attachments: Vec<AttachmentRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Missing {
    pub id: i64,
    pub doc_type: String,
    pub description: Option<String>,
    pub expected: Option<Money>,
    pub resolved: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct PeriodView {
    pub period: String,
    /// not_started / collecting / complete
    pub status: String,
    pub records: Vec<Record>,
    pub missing: Vec<Missing>,
}

/// The last twelve periods up to `through` (newest first). Needs `collection`.
pub async fn overview(
    ctx: &Ctx,
    me: &CurrentEmployee,
    customer_id: i64,
    through: Period,
) -> AppResult<Vec<PeriodView>> {
    me.require(Permission::Collection)?;
    let from = through.add_months(-11);
    // The records, with the name of who received each (a join, not every employee of the firm),
    // come with the access check.
    let (customer, rows) = access::customer_with_rows(
        ctx,
        me,
        customer_id,
        access::Rows {
            sql: "SELECT r.*, e.name AS received_by_name FROM invoice_collection r \
                  LEFT JOIN employee e ON e.firm_id = r.firm_id AND e.id = r.received_by \
                  WHERE r.firm_id = ? AND r.customer_id = ? AND r.deleted_at IS NULL \
                    AND r.period BETWEEN ? AND ?"
                .into(),
            values: vec![
                me.firm_id.into(),
                customer_id.into(),
                from.to_string().into(),
                through.to_string().into(),
            ],
            order_by: "r.received_at DESC".into(),
        },
    )
    .await?;
    let records = rows
        .iter()
        .map(|row| {
            Ok((
                invoice_collection::Model::from_query_result(row, "")?,
                row.try_get::<Option<String>>("", "received_by_name")?,
            ))
        })
        .collect::<AppResult<Vec<_>>>()?;
    let db = ctx.db.read();
    let missing = missing_invoice::Entity::find()
        .filter(missing_invoice::Column::FirmId.eq(me.firm_id))
        .filter(missing_invoice::Column::CustomerId.eq(customer.id))
        .filter(missing_invoice::Column::DeletedAt.is_null())
        .filter(missing_invoice::Column::Period.between(from.to_string(), through.to_string()))
        .all(db)
        .await?;
    let periods = service_period::Entity::find()
        .filter(service_period::Column::FirmId.eq(me.firm_id))
        .filter(service_period::Column::CustomerId.eq(customer.id))
        .filter(service_period::Column::Period.between(from.to_string(), through.to_string()))
        .all(db)
        .await?;
    let mut files = attachments::list(
        ctx,
        me.firm_id,
        Owner::Collection,
        records.iter().map(|(r, _)| r.id),
    )
    .await?;
    let mut out = Vec::new();
    let mut p = through;
    while p >= from {
        let key = p.to_string();
        let status = periods
            .iter()
            .find(|s| s.period == key)
            .map_or("not_started", |s| match s.collection_status {
                service_period::CollectionStatus::NotStarted => "not_started",
                service_period::CollectionStatus::Collecting => "collecting",
                service_period::CollectionStatus::Complete => "complete",
            });
        out.push(PeriodView {
            status: status.to_string(),
            records: records
                .iter()
                .filter(|(r, _)| r.period == key)
                .map(|(r, name)| Record {
                    attachments: files.remove(&r.id).unwrap_or_default(),
                    ..record_of(r, name.clone())
                })
                .collect(),
            missing: missing
                .iter()
                .filter(|m| m.period == key)
                .map(|m| Missing {
                    id: m.id,
                    doc_type: m.doc_type.clone(),
                    description: m.description.clone(),
                    expected: m.expected_fen.map(Money::from_fen),
                    resolved: m.resolved_at.is_some(),
                })
                .collect(),
            period: key,
        });
        p = p.prev();
    }
    Ok(out)
}

/// The name of the employee who received a record.
async fn employee_name(ctx: &Ctx, firm_id: i64, id: Option<i64>) -> AppResult<Option<String>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(employee::Entity::find_by_id(id)
        .filter(employee::Column::FirmId.eq(firm_id))
        .select_only()
        .column(employee::Column::Name)
        .into_tuple::<String>()
        .one(ctx.db.read())
        .await?)
}

fn record_of(r: &invoice_collection::Model, received_by: Option<String>) -> Record {
    Record {
        id: r.id,
        received_at: r.received_at,
        received_by,
        lines: Vec::<Line>::deserialize(&r.lines).unwrap_or_default(),
        total_count: r.total_count,
        total: Money::from_fen(r.total_fen),
        note: r.note.clone(),
        attachments: Vec::new(),
    }
}

/// A collection to record.
#[derive(Clone, Debug)]
pub struct NewCollection {
    pub customer_id: i64,
    pub period: Period,
    pub lines: Vec<Line>,
    pub note: Option<String>,
    /// 保存并标记完成: the period's documents are all in.
    pub complete: bool,
    /// Photos and scans of the documents received.
    pub files: Vec<Upload>,
}

/// Records a collection; with `complete`, marks the period complete and resolves its open
/// missing-invoice marks. Needs `collection`.
pub async fn record(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    input: NewCollection,
) -> AppResult<i64> {
    me.require(Permission::Collection)?;
    let customer = access::customer(ctx, me, input.customer_id).await?;
    let lines: Vec<Line> = input
        .lines
        .into_iter()
        .filter(|l| l.count != 0 || l.amount_fen != 0)
        .collect();
    if lines.is_empty() && !input.complete {
        return Err(AppError::Validation("请至少填写一类票据的张数".into()));
    }
    for l in &lines {
        if !DOC_KINDS.contains(&l.doc_type.as_str()) {
            return Err(AppError::Validation(format!(
                "未知的票据类型：{}",
                l.doc_type
            )));
        }
        if l.count < 0 || l.count > 100_000 || l.amount_fen < 0 {
            return Err(AppError::Validation(format!(
                "{}的张数或金额不正确",
                l.doc_type
            )));
        }
    }
    let note = input
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(AppError::Validation("备注不能超过500个字".into()));
    }
    let total_count = i32::try_from(lines.iter().map(|l| l.count).sum::<i64>())
        .map_err(|_| AppError::Validation("张数过大".into()))?;
    let total_fen: i64 = lines.iter().map(|l| l.amount_fen).sum();
    let checked = attachments::check_all(&input.files)?;
    let now = ctx.now();
    let period = input.period.to_string();
    let stored = attachments::put_all(ctx, me.firm_id, checked).await?;
    let saved = async {
        let txn = ctx.db.begin_write().await?;
        let who = Who::employee(me, ip);
        let row = invoice_collection::ActiveModel {
            firm_id: Set(me.firm_id),
            customer_id: Set(customer.id),
            period: Set(period.clone()),
            received_at: Set(now),
            received_by: Set(Some(me.employee_id)),
            lines: Set(json!(lines)),
            total_count: Set(total_count),
            total_fen: Set(total_fen),
            note: Set(note),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        stored
            .attach(&txn, me, Owner::Collection, row.id, now)
            .await?;
        let status = if input.complete {
            service_period::CollectionStatus::Complete
        } else {
            service_period::CollectionStatus::Collecting
        };
        service_period::Entity::insert(service_period::ActiveModel {
            firm_id: Set(me.firm_id),
            customer_id: Set(customer.id),
            period: Set(period.clone()),
            collection_status: Set(status),
            collection_completed_by: Set(input.complete.then_some(me.employee_id)),
            collection_completed_at: Set(input.complete.then_some(now)),
            has_missing_invoices: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                service_period::Column::FirmId,
                service_period::Column::CustomerId,
                service_period::Column::Period,
            ])
            .update_columns(if input.complete {
                vec![
                    service_period::Column::CollectionStatus,
                    service_period::Column::CollectionCompletedBy,
                    service_period::Column::CollectionCompletedAt,
                    service_period::Column::HasMissingInvoices,
                    service_period::Column::UpdatedAt,
                ]
            } else {
                vec![service_period::Column::UpdatedAt]
            })
            .to_owned(),
        )
        .exec(&txn)
        .await?;
        if !input.complete {
            // A period not yet started becomes "collecting"; a complete one stays complete.
            service_period::Entity::update_many()
                .col_expr(
                    service_period::Column::CollectionStatus,
                    sea_orm::sea_query::Expr::value("collecting"),
                )
                .filter(service_period::Column::FirmId.eq(me.firm_id))
                .filter(service_period::Column::CustomerId.eq(customer.id))
                .filter(service_period::Column::Period.eq(period.clone()))
                .filter(
                    service_period::Column::CollectionStatus
                        .eq(service_period::CollectionStatus::NotStarted),
                )
                .exec(&txn)
                .await?;
        }
        let mut resolved = 0;
        if input.complete {
            resolved = missing_invoice::Entity::update_many()
                .col_expr(
                    missing_invoice::Column::ResolvedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .col_expr(
                    missing_invoice::Column::ResolvedBy,
                    sea_orm::sea_query::Expr::value(me.employee_id),
                )
                .col_expr(
                    missing_invoice::Column::UpdatedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(missing_invoice::Column::FirmId.eq(me.firm_id))
                .filter(missing_invoice::Column::CustomerId.eq(customer.id))
                .filter(missing_invoice::Column::Period.eq(period.clone()))
                .filter(missing_invoice::Column::ResolvedAt.is_null())
                .filter(missing_invoice::Column::DeletedAt.is_null())
                .exec(&txn)
                .await?
                .rows_affected;
        }
        audit::record_in(
            &txn,
            now,
            &who,
            if input.complete {
                "collection.complete"
            } else {
                "collection.record"
            },
            Object::new("invoice_collection", row.id),
            None,
            Some(
                json!({"customer_id": customer.id, "period": period, "lines": lines,
                        "total_count": total_count, "total_fen": total_fen,
                        "missing_resolved": resolved, "attachments": stored.len()}),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(row.id)
    }
    .await;
    stored.keep_if(ctx, saved).await
}

/// What the collection-detail image shows (收票明细). Needs `collection`.
pub async fn detail(
    ctx: &Ctx,
    me: &CurrentEmployee,
    collection_id: i64,
) -> AppResult<CollectionData> {
    me.require(Permission::Collection)?;
    let row = invoice_collection::Entity::find_by_id(collection_id)
        .filter(invoice_collection::Column::FirmId.eq(me.firm_id))
        .filter(invoice_collection::Column::DeletedAt.is_null())
        .one(ctx.db.read())
        .await?
        .ok_or_else(|| AppError::NotFound("收票记录不存在".into()))?;
    let customer = access::customer(ctx, me, row.customer_id).await?;
    let name = employee_name(ctx, me.firm_id, row.received_by).await?;
    let record = record_of(&row, name);
    let open_missing = missing_invoice::Entity::find()
        .filter(missing_invoice::Column::FirmId.eq(me.firm_id))
        .filter(missing_invoice::Column::CustomerId.eq(customer.id))
        .filter(missing_invoice::Column::Period.eq(row.period.clone()))
        .filter(missing_invoice::Column::ResolvedAt.is_null())
        .filter(missing_invoice::Column::DeletedAt.is_null())
        .all(ctx.db.read())
        .await?;
    let status_line = if open_missing.is_empty() {
        "本期票据已收齐".to_string()
    } else {
        let items: Vec<String> = open_missing
            .iter()
            .map(|m| match m.expected_fen {
                Some(f) => format!("{} 约¥{}", m.doc_type, Money::from_fen(f)),
                None => m.doc_type.clone(),
            })
            .collect();
        format!("仍缺：{}", items.join("；"))
    };
    let period = Period::parse(&row.period)
        .map(|p| p.to_chinese())
        .unwrap_or_else(|_| row.period.clone());
    Ok(CollectionData {
        firm_name: me.firm_name.clone(),
        customer_name: customer.name,
        period,
        lines: record
            .lines
            .iter()
            .map(|l| CollectionLine {
                kind: l.doc_type.clone(),
                count: l.count,
                amount: if l.amount_fen == 0 {
                    String::new()
                } else {
                    Money::from_fen(l.amount_fen).to_yuan_string()
                },
            })
            .collect(),
        total_count: i64::from(record.total_count),
        total_amount: record.total.to_yuan_string(),
        received_at: to_local(record.received_at)
            .format("%Y年%m月%d日")
            .to_string(),
        handler: record.received_by.unwrap_or_default(),
        status_line,
    })
}
