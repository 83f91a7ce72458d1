//! The resources of the REST API, one module each: how a table is reached, what a client sends,
//! and how that becomes a row.

pub mod collections;
pub mod contacts;
pub mod contracts;
pub mod customers;
pub mod filings;
pub mod invoices;
pub mod missing_invoices;
pub mod payments;
pub mod receivables;
pub mod statements;
pub mod tags;

use chrono::NaiveDate;

use crate::domain::period::Period;
use crate::error::{AppError, AppResult, FieldError};

/// Collects what is wrong with an input, field by field, so a client hears of every mistake at
/// once.
#[derive(Default)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// A required text, trimmed, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let value = value.trim();
        if value.is_empty() {
            self.fail(field, "不能为空");
        } else if value.chars().count() > max {
            self.fail(field, format!("最长 {max} 个字符"));
        }
        value.to_string()
    }

    /// An optional text; blank counts as absent.
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        if value.chars().count() > max {
            self.fail(field, format!("最长 {max} 个字符"));
        }
        Some(value.to_string())
    }

    pub fn period(&mut self, field: &str, value: &str) -> Option<Period> {
        match Period::parse(value.trim()) {
            Ok(p) => Some(p),
            Err(_) => {
                self.fail(field, "期间格式应为 YYYY-MM");
                None
            }
        }
    }

    pub fn date(&mut self, field: &str, value: &str) -> Option<NaiveDate> {
        match NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.fail(field, "日期格式应为 YYYY-MM-DD");
                None
            }
        }
    }

    /// An amount in fen that may not be negative.
    pub fn fen(&mut self, field: &str, value: i64) -> i64 {
        if value < 0 {
            self.fail(field, "金额（分）不能为负");
        }
        value
    }

    pub fn uscc(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        match crate::domain::uscc::Uscc::parse(value) {
            Ok((uscc, _)) => Some(uscc.as_str().to_string()),
            Err(e) => {
                self.fail(field, format!("统一社会信用代码无效：{e}"));
                Some(value.to_string())
            }
        }
    }

    /// Ok when nothing was wrong.
    pub fn finish(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid {
                message: "请求数据有误".to_string(),
                details: self.errors,
            })
        }
    }
}

/// A period for a field already checked; the placeholder never reaches the store because
/// `Check::finish` refuses the input first.
pub fn period_text(p: Option<Period>) -> String {
    p.map(|p| p.to_string()).unwrap_or_default()
}

pub fn date_or_epoch(d: Option<NaiveDate>) -> NaiveDate {
    d.unwrap_or_default()
}

/// A customer with payments confirmed in zhangfang stays: those payments, their allocations
/// and receipts are zhangfang's, and a push never removes them.
pub async fn refuse_if_paid(
    txn: &sea_orm::DatabaseTransaction,
    firm_id: i64,
    customer_id: i64,
) -> AppResult<()> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    use crate::db::entities::payment;
    let ours = payment::Entity::find()
        .filter(payment::Column::FirmId.eq(firm_id))
        .filter(payment::Column::CustomerId.eq(customer_id))
        .filter(payment::Column::DeletedAt.is_null())
        .filter(payment::Column::ExternalId.is_null())
        .count(txn)
        .await?;
    if ours > 0 {
        return Err(AppError::Owned {
            message: "该客户有在账房确认的收款，不能通过 API 删除".to_string(),
            details: vec![FieldError::new(
                "payments",
                format!("{ours} 笔收款由账房确认"),
            )],
        });
    }
    Ok(())
}

/// The customer an input names, by our id or the firm's own.
pub async fn customer_of(
    txn: &sea_orm::DatabaseTransaction,
    firm_id: i64,
    customer_id: Option<i64>,
    customer_external_id: Option<&str>,
) -> AppResult<i64> {
    crate::services::api::customer_ref(
        txn,
        firm_id,
        customer_id,
        customer_external_id,
        if customer_id.is_some() {
            "customer_id"
        } else {
            "customer_external_id"
        },
    )
    .await
}
