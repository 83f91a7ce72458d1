//! The back-office home page's figures for admins: customers by service status, services ending
//! within 30 days, arrears in total and per account manager, this filing month's filing and
//! invoice-collection progress, and callback health. Every query is the caller's firm's.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::db::entities::{
    callback_inbox, customer, employee, receivable, service_contract, service_period, tax_filing,
};
use crate::domain::clock::today_local;
use crate::error::AppResult;
use crate::services::Ctx;
use crate::services::sessions::CurrentEmployee;

/// One bar of a chart: a label, a count or amount, its share of the largest (0–100), and the
/// list that shows what it counts.
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub percent: i64,
    pub href: Option<String>,
}

fn bars(items: Vec<(String, i64, Option<String>)>) -> Vec<Bar> {
    let max = items.iter().map(|(_, v, _)| *v).max().unwrap_or(0).max(1);
    items
        .into_iter()
        .map(|(label, value, href)| Bar {
            label,
            value,
            percent: value * 100 / max,
            href,
        })
        .collect()
}

/// The back office's customer list, filtered.
const CUSTOMER_LIST: &str = "/admin/customers/links?linked=all";

/// Done out of total, with the share done (0–100).
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub done: i64,
    pub total: i64,
}

impl Progress {
    pub fn percent(&self) -> i64 {
        if self.total == 0 {
            0
        } else {
            self.done * 100 / self.total
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Dashboard {
    pub today: NaiveDate,
    pub customers: Vec<Bar>,
    pub customers_total: i64,
    pub ending_soon: i64,
    pub arrears_fen: i64,
    pub arrears_by_manager: Vec<Bar>,
    /// The filing month (YYYY-MM) whose filings are counted.
    pub filing_month: String,
    pub filing: Progress,
    /// The bookkeeping period (YYYY-MM, last month) whose invoices are collected now.
    pub collection_period: String,
    pub collection: Progress,
    pub pending_events: i64,
    pub failed_events: i64,
}

fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).map(|d| d - Duration::days(1))
}

fn period_end(period: &str) -> Option<NaiveDate> {
    let (y, m) = period.split_once('-')?;
    month_end(y.parse().ok()?, m.parse().ok()?)
}

/// Yuan with two decimals, for labels.
pub fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, (fen % 100).abs())
}

pub async fn load(ctx: &Ctx, me: &CurrentEmployee) -> AppResult<Dashboard> {
    me.require_admin()?;
    let db = ctx.db.read();
    let firm = me.firm_id;
    let today = today_local(ctx.now());

    let statuses: Vec<customer::ServiceStatus> = customer::Entity::find()
        .select_only()
        .column(customer::Column::ServiceStatus)
        .filter(customer::Column::FirmId.eq(firm))
        .filter(customer::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let label = |s: customer::ServiceStatus| match s {
        customer::ServiceStatus::Serving => "服务中",
        customer::ServiceStatus::Paused => "暂停",
        customer::ServiceStatus::Expired => "已到期",
        customer::ServiceStatus::Lost => "已流失",
    };
    let mut by_status: Vec<(String, i64, Option<String>)> = [
        (customer::ServiceStatus::Serving, "serving"),
        (customer::ServiceStatus::Paused, "paused"),
        (customer::ServiceStatus::Expired, "expired"),
        (customer::ServiceStatus::Lost, "lost"),
    ]
    .into_iter()
    .map(|(s, code)| {
        (
            label(s).to_string(),
            statuses.iter().filter(|x| **x == s).count() as i64,
            Some(format!("{CUSTOMER_LIST}&status={code}")),
        )
    })
    .collect();
    by_status.retain(|(_, n, _)| *n > 0 || statuses.is_empty());

    let ends: Vec<String> = service_contract::Entity::find()
        .select_only()
        .column(service_contract::Column::EndPeriod)
        .filter(service_contract::Column::FirmId.eq(firm))
        .filter(service_contract::Column::DeletedAt.is_null())
        .filter(service_contract::Column::Status.eq(service_contract::Status::Active))
        .into_tuple()
        .all(db)
        .await?;
    let horizon = today + Duration::days(30);
    let ending_soon = ends
        .iter()
        .filter_map(|p| period_end(p))
        .filter(|end| *end >= today && *end <= horizon)
        .count() as i64;

    let open: Vec<(i64, i64, i64)> = receivable::Entity::find()
        .select_only()
        .column(receivable::Column::CustomerId)
        .column(receivable::Column::AmountFen)
        .column(receivable::Column::PaidFen)
        .filter(receivable::Column::FirmId.eq(firm))
        .filter(receivable::Column::DeletedAt.is_null())
        .filter(
            receivable::Column::Status
                .is_in([receivable::Status::Open, receivable::Status::Partial]),
        )
        .filter(receivable::Column::DueDate.lte(today))
        .into_tuple()
        .all(db)
        .await?;
    let managers: BTreeMap<i64, Option<i64>> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::AccountManagerId)
        .filter(customer::Column::FirmId.eq(firm))
        .into_tuple::<(i64, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let names: BTreeMap<i64, String> = employee::Entity::find()
        .select_only()
        .column(employee::Column::Id)
        .column(employee::Column::Name)
        .filter(employee::Column::FirmId.eq(firm))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut by_manager: BTreeMap<Option<i64>, i64> = BTreeMap::new();
    let mut arrears_fen = 0;
    for (customer_id, amount, paid) in open {
        let owed = (amount - paid).max(0);
        arrears_fen += owed;
        let who = managers
            .get(&customer_id)
            .copied()
            .flatten()
            .filter(|id| names.contains_key(id));
        *by_manager.entry(who).or_insert(0) += owed;
    }
    let mut per_manager: Vec<(String, i64, Option<String>)> = by_manager
        .into_iter()
        .map(
            |(id, owed)| match id.and_then(|id| names.get(&id).map(|n| (id, n))) {
                Some((id, name)) => (
                    name.clone(),
                    owed,
                    Some(format!("{CUSTOMER_LIST}&manager={id}")),
                ),
                None => ("未分配".to_string(), owed, None),
            },
        )
        .collect();
    per_manager.sort_by_key(|b| std::cmp::Reverse(b.1));

    let filing_month_start =
        NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let filing_month_end = month_end(today.year(), today.month()).unwrap_or(today);
    let filings: Vec<tax_filing::Status> = tax_filing::Entity::find()
        .select_only()
        .column(tax_filing::Column::Status)
        .filter(tax_filing::Column::FirmId.eq(firm))
        .filter(tax_filing::Column::DueDate.gte(filing_month_start))
        .filter(tax_filing::Column::DueDate.lte(filing_month_end))
        .filter(tax_filing::Column::Status.ne(tax_filing::Status::NotRequired))
        .into_tuple()
        .all(db)
        .await?;
    let filing = Progress {
        done: filings
            .iter()
            .filter(|s| matches!(s, tax_filing::Status::Filed | tax_filing::Status::Paid))
            .count() as i64,
        total: filings.len() as i64,
    };

    let last_month = filing_month_start - Duration::days(1);
    let collection_period = format!("{:04}-{:02}", last_month.year(), last_month.month());
    let collections: Vec<service_period::CollectionStatus> = service_period::Entity::find()
        .select_only()
        .column(service_period::Column::CollectionStatus)
        .filter(service_period::Column::FirmId.eq(firm))
        .filter(service_period::Column::Period.eq(collection_period.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let collection = Progress {
        done: collections
            .iter()
            .filter(|s| **s == service_period::CollectionStatus::Complete)
            .count() as i64,
        total: collections.len() as i64,
    };

    let events: Vec<callback_inbox::Status> = callback_inbox::Entity::find()
        .select_only()
        .column(callback_inbox::Column::Status)
        .filter(callback_inbox::Column::FirmId.eq(firm))
        .filter(callback_inbox::Column::Status.is_in([
            callback_inbox::Status::Pending,
            callback_inbox::Status::Failed,
        ]))
        .into_tuple()
        .all(db)
        .await?;

    Ok(Dashboard {
        today,
        customers_total: statuses.len() as i64,
        customers: bars(by_status),
        ending_soon,
        arrears_fen,
        arrears_by_manager: bars(per_manager.into_iter().take(10).collect()),
        filing_month: format!("{:04}-{:02}", today.year(), today.month()),
        filing,
        collection_period,
        collection,
        pending_events: events
            .iter()
            .filter(|s| **s == callback_inbox::Status::Pending)
            .count() as i64,
        failed_events: events
            .iter()
            .filter(|s| **s == callback_inbox::Status::Failed)
            .count() as i64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_to_the_largest_and_periods_end_on_their_last_day() {
        let b = bars(vec![
            ("a".into(), 5, None),
            ("b".into(), 10, None),
            ("c".into(), 0, None),
        ]);
        assert_eq!(
            b.iter().map(|x| x.percent).collect::<Vec<_>>(),
            vec![50, 100, 0]
        );
        assert_eq!(period_end("2026-02"), NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(period_end("2026-12"), NaiveDate::from_ymd_opt(2026, 12, 31));
        assert_eq!(period_end("garbage"), None);
        assert_eq!(yuan(123_456), "1234.56");
        assert_eq!(Progress { done: 1, total: 3 }.percent(), 33);
    }
}
