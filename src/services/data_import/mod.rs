//! Importing a firm's bookkeeping data from spreadsheets (XLSX, or CSV in UTF-8 or GBK): the
//! back office's `/admin/import` and `zhangfang import`.
//!
//! A file is read by the generic engine ([`crate::services::import`]), each row becomes the very
//! input the REST API takes ([`kinds`] names the columns), and every record goes through the
//! API's upsert by the firm's own `external_id` ([`crate::services::api::upsert_as`]) — the same
//! validation, defaults and ownership rules as a push. All records run in one transaction: a dry
//! run, or a file with any refused row, rolls it back, so nothing is saved from a file with
//! errors; a clean real run commits and is audited (each row, and the run).

pub mod cells;
pub mod kinds;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelBehavior, DatabaseTransaction, EntityTrait, TransactionTrait};
use serde::Serialize;
use serde_json::{Map, Value};

pub use kinds::{Cell, Field, Kind};

use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::api::resources::{
    collections::Collections, contacts::Contacts, contracts::Contracts, customers::Customers,
    filings::Filings, invoices::Invoices, missing_invoices::MissingInvoices, payments::Payments,
    receivables::Receivables, statements::Statements, tags::Tags,
};
use crate::services::api::{self, ApiResource, Outcome};
use crate::services::audit::{self, Object, Who};
use crate::services::import::{self as engine, Column};

/// At most this many data rows per file.
pub const MAX_ROWS: usize = 100_000;
/// At most this many bytes per file.
pub const MAX_BYTES: usize = 40 * 1024 * 1024;
/// Rows a report lists one by one (the counts cover every row).
pub const MAX_LISTED: usize = 1_000;

/// One record of the file (a row, or the rows of one collection or statement), ready to upsert.
#[derive(Debug)]
pub struct Record {
    /// The spreadsheet rows it came from.
    pub rows: Vec<usize>,
    pub external_id: String,
    /// The API input, or why the rows cannot be one.
    pub input: Result<Value, String>,
}

/// A file read and turned into records, before anything touches the store.
#[derive(Debug)]
pub struct Prepared {
    pub kind: Kind,
    pub data_rows: usize,
    pub records: Vec<Record>,
}

/// What happened (or would happen) to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Unchanged,
    Refuse,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "新建",
            Action::Update => "更新",
            Action::Unchanged => "无变化",
            Action::Refuse => "拒绝",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Refuse => "refuse",
        }
    }
}

/// One line of a report.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub rows: Vec<usize>,
    pub external_id: String,
    pub action: Action,
    /// Why it was refused (Chinese), empty otherwise.
    pub message: String,
}

impl Line {
    /// "第 3 行" or "第 3–5 行".
    pub fn rows_label(&self) -> String {
        match (self.rows.first(), self.rows.last()) {
            (Some(a), Some(b)) if a != b => format!("第 {a}–{b} 行"),
            (Some(a), _) => format!("第 {a} 行"),
            _ => String::new(),
        }
    }
}

/// Spreadsheet rows as ranges, for a summary: "2–5001、5003".
#[derive(Clone, Debug, Default, Serialize)]
pub struct Rows(Vec<(usize, usize)>);

impl Rows {
    pub fn add(&mut self, row: usize) {
        match self.0.last_mut() {
            Some((_, end)) if *end + 1 == row => *end = row,
            _ => self.0.push((row, row)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn label(&self) -> String {
        const SHOWN: usize = 50;
        let mut parts: Vec<String> = self
            .0
            .iter()
            .take(SHOWN)
            .map(|(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}–{b}")
                }
            })
            .collect();
        if self.0.len() > SHOWN {
            parts.push("…".into());
        }
        parts.join("、")
    }
}

/// What a run did, or a dry run would do.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub kind: Kind,
    pub dry_run: bool,
    /// Whether the rows were saved (a real run of a file without errors).
    pub saved: bool,
    pub data_rows: usize,
    pub records: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub refused: usize,
    /// The rows of each outcome.
    pub created_rows: Rows,
    pub updated_rows: Rows,
    pub unchanged_rows: Rows,
    pub refused_rows: Rows,
    /// Refused records first, then the others, at most [`MAX_LISTED`].
    pub lines: Vec<Line>,
    /// Records not listed.
    pub more: usize,
    /// Whether the file needed the careful way (one savepoint per row, after a row broke a
    /// unique index).
    pub careful: bool,
}

impl Report {
    /// A summary line for the command and the audit log.
    pub fn summary(&self) -> String {
        format!(
            "{}：{} 行数据，{} 条记录；新建 {}，更新 {}，无变化 {}，拒绝 {}",
            self.kind.label(),
            self.data_rows,
            self.records,
            self.created,
            self.updated,
            self.unchanged,
            self.refused
        )
    }
}

/// How far a run is, for a page or a terminal to show while it works.
#[derive(Debug, Default)]
pub struct Progress {
    total: AtomicUsize,
    done: AtomicUsize,
}

impl Progress {
    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// Percent done, 0–100.
    pub fn percent(&self) -> usize {
        match self.total() {
            0 => 0,
            t => (self.done() * 100 / t).min(100),
        }
    }
}

/// The template of a kind: a header row (`*` marks required columns) and one example row.
pub fn template_xlsx(kind: Kind) -> AppResult<Vec<u8>> {
    let headers: Vec<String> = kind
        .fields()
        .iter()
        .map(|f| {
            if f.required {
                format!("*{}", f.header)
            } else {
                f.header.to_string()
            }
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let example: Vec<String> = kind
        .fields()
        .iter()
        .map(|f| f.example.to_string())
        .collect();
    engine::write_xlsx(kind.label(), &headers, &[example])
}

fn columns(kind: Kind) -> Vec<Column> {
    kind.fields()
        .iter()
        .map(|f| Column {
            key: f.key,
            header: f.header,
            aliases: f.aliases,
            required: f.required,
        })
        .collect()
}

fn cell_value(field: &Field, text: &str) -> Result<Value, String> {
    let wrap = |r: Result<Value, String>| r.map_err(|e| format!("“{}”{}", field.header, e));
    wrap(match field.cell {
        Cell::Text => Ok(Value::from(text)),
        Cell::Fen => cells::fen(text).map(Value::from),
        Cell::Date => cells::date(text).map(Value::from),
        Cell::Period => cells::period(text).map(Value::from),
        Cell::Time => cells::time(text).map(Value::from),
        Cell::Bool => cells::yes_no(text).map(Value::from),
        Cell::Int => cells::int(text).map(Value::from),
        Cell::Percent => cells::percent(text).map(Value::from),
        Cell::Rate => cells::rate_bp(text).map(Value::from),
        Cell::Choice(options) => cells::choice(text, options).map(Value::from),
    })
}

/// One row's fields: (the record's fields, the line's fields).
type RowValues = (Map<String, Value>, Map<String, Value>);

fn row_values(kind: Kind, row: &engine::Row<'_>) -> Result<RowValues, String> {
    let mut record = Map::new();
    let mut line = Map::new();
    let mut errors = Vec::new();
    for field in kind.fields() {
        let text = row.get(field.key);
        if text.is_empty() {
            if field.required {
                errors.push(format!("“{}”不能为空", field.header));
            }
            continue;
        }
        match cell_value(field, text) {
            Ok(v) if field.line => {
                line.insert(field.key.to_string(), v);
            }
            Ok(v) => {
                record.insert(field.key.to_string(), v);
            }
            Err(e) => errors.push(e),
        }
    }
    if kind == Kind::Invoices && !record.contains_key("external_id") && errors.is_empty() {
        // A register of invoices rarely has an id of its own: the customer, the direction and
        // the invoice's code and number name one invoice.
        let part = |k: &str| record.get(k).and_then(Value::as_str).unwrap_or_default();
        let id = format!(
            "{}/{}/{}{}",
            part("customer_external_id"),
            part("direction"),
            part("code"),
            part("number")
        );
        record.insert("external_id".into(), Value::from(id));
    }
    if errors.is_empty() {
        Ok((record, line))
    } else {
        Err(errors.join("；"))
    }
}

/// Refuses a sheet that lacks a required column of `kind`, or has no data rows, with the
/// engine's own words (the check an upload gets before its run starts).
pub fn check_headers(kind: Kind, sheet: &engine::Sheet) -> AppResult<()> {
    let head = engine::Sheet {
        headers: sheet.headers.clone(),
        rows: sheet.rows.iter().take(1).cloned().collect(),
    };
    engine::parse(&head, &columns(kind), |_| Ok(())).map(|_| ())
}

/// Reads a file of `kind` into records. A file that cannot be read, or lacks a required column,
/// is refused as a whole; a bad row becomes a refused record.
pub fn prepare(kind: Kind, bytes: &[u8]) -> AppResult<Prepared> {
    let sheet = engine::read_limited(bytes, MAX_ROWS, MAX_BYTES)?;
    let data_rows = sheet.rows.len();
    let cols = columns(kind);
    // Every row is kept (good or bad): errors are reported per record by the run.
    let parsed = engine::parse(&sheet, &cols, |row| Ok(row_values(kind, row)))?;
    let mut records: Vec<Record> = Vec::with_capacity(parsed.rows.len());
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for (number, values) in parsed.rows {
        let (mut record, line) = match values {
            Ok(v) => v,
            Err(message) => {
                records.push(Record {
                    rows: vec![number],
                    external_id: String::new(),
                    input: Err(message),
                });
                continue;
            }
        };
        let external_id = record
            .get("external_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string();
        match by_id.get(&external_id) {
            Some(&at) if kind.grouped() => {
                let first = &mut records[at];
                first.rows.push(number);
                if let Ok(Value::Object(input)) = &mut first.input {
                    if let Some(conflict) = kind.fields().iter().find(|f| {
                        !f.line
                            && record
                                .get(f.key)
                                .is_some_and(|v| input.get(f.key).is_some_and(|w| w != v))
                    }) {
                        first.input = Err(format!(
                            "第 {number} 行的“{}”与同一编号的第 {} 行不同",
                            conflict.header, first.rows[0]
                        ));
                    } else if let Some(Value::Array(lines)) = input.get_mut("lines") {
                        lines.push(Value::Object(line));
                    }
                }
            }
            Some(&at) => records.push(Record {
                rows: vec![number],
                external_id: external_id.clone(),
                input: Err(format!(
                    "编号“{external_id}”与第 {} 行重复",
                    records[at].rows[0]
                )),
            }),
            None => {
                by_id.insert(external_id.clone(), records.len());
                if kind.grouped() {
                    record.insert("lines".into(), Value::Array(vec![Value::Object(line)]));
                }
                records.push(Record {
                    rows: vec![number],
                    external_id,
                    input: Ok(Value::Object(record)),
                });
            }
        }
    }
    for e in parsed.errors {
        records.push(Record {
            rows: vec![e.row],
            external_id: String::new(),
            input: Err(e.message),
        });
    }
    Ok(Prepared {
        kind,
        data_rows,
        records,
    })
}

/// The header a field's error belongs to, and the row of a line's error.
fn explain(kind: Kind, record: &Record, field: &str, message: &str) -> String {
    let (line, key) = match field.strip_prefix("lines[") {
        Some(rest) => match rest.split_once("].") {
            Some((i, key)) => (i.parse::<usize>().ok(), key),
            None => (None, rest.trim_end_matches(']')),
        },
        None => (None, field),
    };
    let key = match key {
        "customer_id" => "customer_external_id",
        k => k,
    };
    let header = kind
        .fields()
        .iter()
        .find(|f| f.key == key)
        .map(|f| f.header)
        .or(match key {
            "lines" => Some("明细"),
            _ => None,
        });
    let at = match line.and_then(|i| record.rows.get(i)) {
        Some(row) if record.rows.len() > 1 => format!("第 {row} 行"),
        _ => String::new(),
    };
    match header {
        Some(h) => format!("{at}“{h}”：{message}"),
        None => format!("{at}{message}"),
    }
}

/// Runs the records as `who`: one transaction, committed only for a real run without refused
/// rows. `progress` counts records as they go.
pub async fn apply(
    ctx: &Ctx,
    who: &Who,
    prepared: Prepared,
    dry_run: bool,
    progress: &Progress,
) -> AppResult<Report> {
    match prepared.kind {
        Kind::Customers => apply_kind::<Customers>(ctx, who, prepared, dry_run, progress).await,
        Kind::Contacts => apply_kind::<Contacts>(ctx, who, prepared, dry_run, progress).await,
        Kind::Contracts => apply_kind::<Contracts>(ctx, who, prepared, dry_run, progress).await,
        Kind::Receivables => apply_kind::<Receivables>(ctx, who, prepared, dry_run, progress).await,
        Kind::Invoices => apply_kind::<Invoices>(ctx, who, prepared, dry_run, progress).await,
        Kind::Collections => apply_kind::<Collections>(ctx, who, prepared, dry_run, progress).await,
        Kind::Filings => apply_kind::<Filings>(ctx, who, prepared, dry_run, progress).await,
        Kind::Statements => apply_kind::<Statements>(ctx, who, prepared, dry_run, progress).await,
        Kind::Tags => apply_kind::<Tags>(ctx, who, prepared, dry_run, progress).await,
        Kind::Payments => apply_kind::<Payments>(ctx, who, prepared, dry_run, progress).await,
        Kind::MissingInvoices => {
            apply_kind::<MissingInvoices>(ctx, who, prepared, dry_run, progress).await
        }
    }
}

/// Upserts one record inside `txn` with the API's upsert: its outcome, or why it was refused.
/// `Err` only for a failure that is not the row's fault.
async fn upsert_record<R: ApiResource>(
    txn: &DatabaseTransaction,
    who: &Who,
    at: DateTime<Utc>,
    kind: Kind,
    record: &Record,
) -> AppResult<Result<Outcome, String>>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    let value = match &record.input {
        Err(message) => return Ok(Err(message.clone())),
        Ok(value) => value,
    };
    let input = match serde_json::from_value::<R::Input>(value.clone()) {
        Err(e) => return Ok(Err(format!("数据有误：{e}"))),
        Ok(input) => input,
    };
    match api::upsert_as::<R>(txn, who, "import", at, input).await {
        Ok((_, outcome)) => Ok(Ok(outcome)),
        // A statement failed on a unique index.
        Err(AppError::Conflict(_)) => Ok(Err(
            "与已有的记录或本文件中的另一行重复（如统一社会信用代码、合同号或发票号码相同）"
                .to_string(),
        )),
        Err(e) => Ok(Err(api::row_errors(e)?
            .iter()
            .map(|d| explain(kind, record, &d.field, &d.message))
            .collect::<Vec<_>>()
            .join("；"))),
    }
}

/// Every record's outcome, in one transaction left open for the caller.
///
/// The fast way (`careful` false) reads the rows the file names in chunks, builds and checks
/// each record with the API's rules, writes updates as it goes and inserts new rows 500 to a
/// statement. A failed statement (a unique index) cannot be pinned on a row there, and aborts a
/// PostgreSQL transaction: the answer is then None, and the caller runs again `careful` — one
/// API upsert per record, each in a savepoint, so every row's outcome is reported.
async fn run_records<R: ApiResource>(
    txn: &DatabaseTransaction,
    who: &Who,
    at: DateTime<Utc>,
    kind: Kind,
    records: &[Record],
    careful: bool,
    progress: &Progress,
) -> AppResult<Option<Vec<Result<Outcome, String>>>>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    const FLUSH: usize = 500;
    progress.done.store(0, Ordering::Relaxed);
    let mut outcomes = Vec::with_capacity(records.len());
    if careful {
        for record in records {
            let savepoint = txn.begin().await?;
            let outcome = upsert_record::<R>(&savepoint, who, at, kind, record).await?;
            if outcome.is_ok() {
                savepoint.commit().await?;
            } else {
                savepoint.rollback().await?;
            }
            outcomes.push(outcome);
            progress.done.fetch_add(1, Ordering::Relaxed);
        }
        return Ok(Some(outcomes));
    }
    let ids: Vec<String> = records
        .iter()
        .filter(|r| r.input.is_ok())
        .map(|r| r.external_id.clone())
        .collect();
    let mut existing = api::find_many_by_external_id::<R>(txn, who.firm_id, &ids).await?;
    let mut pending: Vec<(R::Model, R::Input)> = Vec::with_capacity(FLUSH);
    for record in records {
        let outcome = match &record.input {
            Err(message) => Err(message.clone()),
            Ok(value) => match serde_json::from_value::<R::Input>(value.clone()) {
                Err(e) => Err(format!("数据有误：{e}")),
                Ok(input) => {
                    let before = existing.remove(&record.external_id);
                    match api::upsert_deferred::<R>(txn, who, "import", at, before, input).await {
                        Ok((outcome, insert)) => {
                            pending.extend(insert);
                            Ok(outcome)
                        }
                        Err(e @ (AppError::Invalid { .. } | AppError::Owned { .. })) => {
                            Err(api::row_errors(e)?
                                .iter()
                                .map(|d| explain(kind, record, &d.field, &d.message))
                                .collect::<Vec<_>>()
                                .join("；"))
                        }
                        // A failed statement: run again carefully.
                        Err(_) => return Ok(None),
                    }
                }
            },
        };
        outcomes.push(outcome);
        if pending.len() >= FLUSH
            && api::insert_many_as::<R>(txn, who, "import", at, std::mem::take(&mut pending))
                .await
                .is_err()
        {
            return Ok(None);
        }
        progress.done.fetch_add(1, Ordering::Relaxed);
    }
    if !pending.is_empty()
        && api::insert_many_as::<R>(txn, who, "import", at, pending)
            .await
            .is_err()
    {
        return Ok(None);
    }
    Ok(Some(outcomes))
}

async fn apply_kind<R: ApiResource>(
    ctx: &Ctx,
    who: &Who,
    prepared: Prepared,
    dry_run: bool,
    progress: &Progress,
) -> AppResult<Report>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    let Prepared {
        kind,
        data_rows,
        mut records,
    } = prepared;
    records.sort_by_key(|r| r.rows.first().copied().unwrap_or_default());
    progress.total.store(records.len(), Ordering::Relaxed);
    let at = ctx.now();
    // The fast way first; the careful way only for a file that needs it.
    let mut txn = ctx.db.begin_write().await?;
    let mut careful = kind.row_by_row();
    let outcomes = match run_records::<R>(&txn, who, at, kind, &records, careful, progress).await? {
        Some(outcomes) => outcomes,
        None => {
            careful = true;
            tracing::info!(
                kind = kind.code(),
                "an import runs again, one row at a time"
            );
            txn.rollback().await?;
            txn = ctx.db.begin_write().await?;
            run_records::<R>(&txn, who, at, kind, &records, true, progress)
                .await?
                .ok_or_else(|| AppError::internal("an import with savepoints stopped"))?
        }
    };
    let mut report = Report {
        kind,
        dry_run,
        saved: false,
        data_rows,
        records: records.len(),
        created: 0,
        updated: 0,
        unchanged: 0,
        refused: 0,
        created_rows: Rows::default(),
        updated_rows: Rows::default(),
        unchanged_rows: Rows::default(),
        refused_rows: Rows::default(),
        lines: Vec::new(),
        more: 0,
        careful,
    };
    let mut refused_lines = Vec::new();
    let mut other_lines = Vec::new();
    for (record, outcome) in records.into_iter().zip(outcomes) {
        let (action, message) = match outcome {
            Ok(Outcome::Created) => (Action::Create, String::new()),
            Ok(Outcome::Updated) => (Action::Update, String::new()),
            Ok(Outcome::Unchanged) => (Action::Unchanged, String::new()),
            Err(message) => (Action::Refuse, message),
        };
        let (count, rows) = match action {
            Action::Create => (&mut report.created, &mut report.created_rows),
            Action::Update => (&mut report.updated, &mut report.updated_rows),
            Action::Unchanged => (&mut report.unchanged, &mut report.unchanged_rows),
            Action::Refuse => (&mut report.refused, &mut report.refused_rows),
        };
        *count += 1;
        for row in &record.rows {
            rows.add(*row);
        }
        let line = Line {
            rows: record.rows,
            external_id: record.external_id,
            action,
            message,
        };
        if action == Action::Refuse {
            if refused_lines.len() < MAX_LISTED {
                refused_lines.push(line);
            }
        } else if other_lines.len() < MAX_LISTED {
            other_lines.push(line);
        }
    }
    report.lines = refused_lines;
    let room = MAX_LISTED.saturating_sub(report.lines.len());
    report.lines.extend(other_lines.into_iter().take(room));
    report.more = report.records - report.lines.len();
    if dry_run || report.refused > 0 {
        txn.rollback().await?;
        return Ok(report);
    }
    audit::record_in(
        &txn,
        at,
        who,
        "import.run",
        Object {
            entity: R::ENTITY,
            id: None,
        },
        None,
        Some(serde_json::json!({
            "kind": kind.code(),
            "rows": report.data_rows,
            "records": report.records,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
        })),
    )
    .await?;
    txn.commit().await?;
    report.saved = true;
    // A large import changes the tables' shape: the planner's statistics should follow. The
    // import is saved either way.
    if report.created > 0
        && let Err(e) = ctx.db.refresh_statistics().await
    {
        tracing::warn!(error = %e, "refreshing planner statistics after an import failed");
    }
    Ok(report)
}

/// Reads and runs a file in one go (the command line's way).
pub async fn import_file(
    ctx: &Ctx,
    who: &Who,
    kind: Kind,
    bytes: Vec<u8>,
    dry_run: bool,
    progress: &Progress,
) -> AppResult<Report> {
    let prepared = tokio::task::spawn_blocking(move || prepare(kind, &bytes))
        .await
        .map_err(|e| AppError::internal(format!("reading the file: {e}")))??;
    apply(ctx, who, prepared, dry_run, progress).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_template_the_importer_reads_back() {
        for kind in Kind::ALL {
            let bytes = template_xlsx(kind).unwrap();
            let prepared = prepare(kind, &bytes).unwrap();
            assert_eq!(prepared.records.len(), 1, "{kind:?}");
            let input = prepared.records[0].input.as_ref().unwrap();
            assert!(input.get("external_id").is_some(), "{kind:?}");
        }
    }

    #[test]
    fn invoice_rows_become_api_inputs_with_fen_and_dates() {
        let csv = "客户编号,进销项,发票类型,发票号码,开票日期,对方名称,金额（元）,税率,税额（元）,价税合计（元）\n\
                   KH1,销项,数电普票,0001,2026/11/5,甲公司,\"1,000.00元\",1%,10,1010\n\
                   KH1,销项,数电普票,0001,2026/11/5,甲公司,1000,1%,10,1010\n\
                   KH1,出口,数电普票,0002,昨天,甲公司,1000,1%,10,1010\n";
        let prepared = prepare(Kind::Invoices, csv.as_bytes()).unwrap();
        let first = prepared.records[0].input.as_ref().unwrap();
        assert_eq!(first["amount_fen"], 100_000);
        assert_eq!(first["issue_date"], "2026-11-05");
        assert_eq!(first["rate_bp"], 100);
        assert_eq!(first["external_id"], "KH1/out/0001");
        let dup = prepared.records[1].input.as_ref().unwrap_err();
        assert!(dup.contains("重复") && dup.contains("第 2 行"), "{dup}");
        let bad = prepared.records[2].input.as_ref().unwrap_err();
        assert!(bad.contains("进销项") && bad.contains("开票日期"), "{bad}");
    }

    #[test]
    fn statement_rows_with_one_id_are_one_report() {
        let csv = "报表编号,客户编号,所属期间,报表类型,行次,项目,期末余额,年初余额\n\
                   B1,KH1,2026-10,资产负债表,1,货币资金,100,50\n\
                   B1,KH1,2026-10,资产负债表,2,应收账款,200,0\n";
        let prepared = prepare(Kind::Statements, csv.as_bytes()).unwrap();
        assert_eq!(prepared.records.len(), 1);
        let input = prepared.records[0].input.as_ref().unwrap();
        assert_eq!(input["lines"].as_array().unwrap().len(), 2);
        assert_eq!(input["lines"][1]["col1"], 20_000);
        assert_eq!(prepared.records[0].rows, vec![2, 3]);
    }
}
