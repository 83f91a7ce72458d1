//! `/admin/import`: a firm's bookkeeping data from spreadsheets (admins only). An upload is read
//! at once (a file that cannot be read, or lacks a column, is answered on the spot); its rows
//! then run in the background in one transaction while the run's page shows progress, and the
//! page shows, row by row, what was (or, for a dry run, would be) created, updated or refused.
//! A clean dry run can be confirmed without uploading the file again.
//!
//! Runs live in this process's memory for an hour: a run is one transaction, so a restart loses
//! only the unfinished run (nothing of it is saved) and its page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::audit::Who;
use crate::services::data_import::{self, Kind, Progress, Report};
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::admin::common::{ip, read_upload, see_other};
use crate::web::csrf::{CsrfForm, CsrfToken, WithCsrf};
use crate::web::extractors::BackOfficeEmployee;

const HERE: &str = "/admin/import";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// How long a finished run's page stays.
const KEEP: Duration = Duration::from_secs(3600);
/// How long an upload waits for a small file's run before showing its page.
const WAIT: Duration = Duration::from_millis(1500);

/// One upload's run.
struct Run {
    firm_id: i64,
    kind: Kind,
    file_name: String,
    dry_run: bool,
    started: Instant,
    progress: Progress,
    state: Mutex<RunState>,
}

#[derive(Default)]
struct RunState {
    /// The report, or why the run failed; None while it runs.
    result: Option<Result<Report, String>>,
    finished: Option<Instant>,
    /// A clean dry run's file, kept to be confirmed.
    file: Option<Vec<u8>>,
    /// Set once a confirmation started the real run.
    confirmed: Option<String>,
}

fn runs() -> &'static Mutex<HashMap<String, Arc<Run>>> {
    static RUNS: OnceLock<Mutex<HashMap<String, Arc<Run>>>> = OnceLock::new();
    RUNS.get_or_init(Default::default)
}

fn find_run(me: &BackOfficeEmployee, id: &str) -> AppResult<Arc<Run>> {
    let found = runs()
        .lock()
        .map_err(|_| AppError::internal("import runs lock"))?
        .get(id)
        .cloned();
    match found {
        // Another firm's run is as unknown as one that never was.
        Some(run) if run.firm_id == me.firm_id => Ok(run),
        _ => Err(AppError::NotFound(
            "没有找到这次导入（导入记录保留一小时）".into(),
        )),
    }
}

fn new_run_id() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(b"abcdefghijkmnpqrstuvwxyz23456789"[rng.random_range(0..32)]))
        .collect()
}

/// Starts `bytes` (already checked to be readable) as a run in the background.
fn start(
    ctx: &Ctx,
    who: Who,
    kind: Kind,
    file_name: String,
    bytes: Vec<u8>,
    dry_run: bool,
) -> AppResult<(String, Arc<Run>)> {
    let id = new_run_id();
    let run = Arc::new(Run {
        firm_id: who.firm_id,
        kind,
        file_name,
        dry_run,
        started: Instant::now(),
        progress: Progress::default(),
        state: Mutex::new(RunState::default()),
    });
    {
        let mut all = runs()
            .lock()
            .map_err(|_| AppError::internal("import runs lock"))?;
        all.retain(|_, r| {
            r.state
                .lock()
                .map(|s| s.finished.is_none_or(|at| at.elapsed() < KEEP))
                .unwrap_or(false)
        });
        all.insert(id.clone(), run.clone());
    }
    let ctx = ctx.clone();
    let task_run = run.clone();
    tokio::spawn(async move {
        let keep = dry_run.then(|| bytes.clone());
        let result =
            data_import::import_file(&ctx, &who, kind, bytes, dry_run, &task_run.progress).await;
        let result = match result {
            Ok(report) => Ok(report),
            Err(e) => {
                tracing::error!(error = %e, "import run failed");
                Err(e.public_message())
            }
        };
        if let Ok(mut state) = task_run.state.lock() {
            if matches!(&result, Ok(r) if r.refused == 0) {
                state.file = keep;
            }
            state.result = Some(result);
            state.finished = Some(Instant::now());
        }
    });
    Ok((id, run))
}

async fn wait_a_little(run: &Run) {
    let until = Instant::now() + WAIT;
    while Instant::now() < until {
        if run
            .state
            .lock()
            .map(|s| s.finished.is_some())
            .unwrap_or(true)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub struct KindOption {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/import.html")]
pub struct ImportPage {
    chrome: Chrome,
    kinds: Vec<KindOption>,
    kind: Kind,
    columns: Vec<(String, bool)>,
    error: Option<String>,
}

fn page(me: &BackOfficeEmployee, csrf: String, kind: Kind, error: Option<String>) -> ImportPage {
    ImportPage {
        chrome: Chrome::new(me, HERE, csrf),
        kinds: Kind::ALL
            .iter()
            .map(|k| KindOption {
                code: k.code(),
                label: k.label(),
                selected: *k == kind,
            })
            .collect(),
        kind,
        columns: kind
            .fields()
            .iter()
            .map(|f| (f.header.to_string(), f.required))
            .collect(),
        error,
    }
}

#[derive(Deserialize, Default)]
pub struct KindQuery {
    #[serde(default)]
    kind: String,
}

pub async fn form(
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<KindQuery>,
) -> AppResult<ImportPage> {
    me.require_admin()?;
    let kind = Kind::parse(&query.kind).unwrap_or(Kind::Customers);
    Ok(page(&me, csrf.0, kind, None))
}

pub async fn template(me: BackOfficeEmployee, path: web::Path<String>) -> AppResult<HttpResponse> {
    me.require_admin()?;
    let code = path.into_inner();
    let kind = Kind::parse(code.trim_end_matches(".xlsx"))
        .ok_or_else(|| AppError::NotFound("没有这种导入模板".into()))?;
    let bytes = data_import::template_xlsx(kind)?;
    let name_cn = format!("{}导入模板.xlsx", kind.label());
    let encoded: String = url::form_urlencoded::byte_serialize(name_cn.as_bytes()).collect();
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, XLSX))
        .insert_header((
            CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"import-{}.xlsx\"; filename*=UTF-8''{encoded}",
                kind.code()
            ),
        ))
        .body(bytes))
}

pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    payload: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    me.require_admin()?;
    let upload = read_upload(&req, payload, data_import::MAX_BYTES + 64 * 1024).await?;
    let field = |name: &str| upload.fields.get(name).map(|v| v.trim().to_string());
    let kind = Kind::parse(&field("kind").unwrap_or_default())
        .ok_or_else(|| AppError::Validation("请选择要导入的数据类型".into()))?;
    let dry_run = field("mode").as_deref() != Some("run");
    let refuse = |message: String| -> AppResult<HttpResponse> {
        Ok(page(&me, csrf.0.clone(), kind, Some(message))
            .customize()
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .respond_to(&req)
            .map_into_boxed_body())
    };
    if upload.file.is_empty() {
        return refuse("请选择要上传的文件".into());
    }
    // Read the file now, so a file that cannot be read or lacks a column is answered at once.
    let bytes = upload.file;
    let check = bytes.clone();
    let checked = tokio::task::spawn_blocking(move || {
        crate::services::import::read_limited(&check, data_import::MAX_ROWS, data_import::MAX_BYTES)
            .and_then(|sheet| data_import::check_headers(kind, &sheet))
    })
    .await
    .map_err(|e| AppError::internal(format!("reading an upload: {e}")))?;
    match checked {
        Ok(()) => {}
        Err(e @ (AppError::Validation(_) | AppError::PayloadTooLarge(_))) => {
            return refuse(e.public_message());
        }
        Err(e) => return Err(e),
    }
    let who = Who::employee(&me, ip(&req));
    let file_name = upload.file_name.unwrap_or_default();
    let (id, run) = start(&state, who, kind, file_name, bytes, dry_run)?;
    wait_a_little(&run).await;
    Ok(see_other(format!("{HERE}/runs/{id}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/import_run.html")]
pub struct RunPage {
    chrome: Chrome,
    id: String,
    kind: Kind,
    file_name: String,
    dry_run: bool,
    done: usize,
    total: usize,
    percent: usize,
    seconds: u64,
    report: Option<Report>,
    error: Option<String>,
    can_confirm: bool,
    confirmed: Option<String>,
}

pub async fn show_run(
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    path: web::Path<String>,
) -> AppResult<RunPage> {
    me.require_admin()?;
    let id = path.into_inner();
    let run = find_run(&me, &id)?;
    let state = run
        .state
        .lock()
        .map_err(|_| AppError::internal("import run lock"))?;
    let (report, error) = match &state.result {
        Some(Ok(report)) => (Some(report.clone()), None),
        Some(Err(e)) => (None, Some(e.clone())),
        None => (None, None),
    };
    let seconds = state
        .finished
        .unwrap_or_else(Instant::now)
        .duration_since(run.started)
        .as_secs();
    Ok(RunPage {
        chrome: Chrome::new(&me, HERE, csrf.0),
        id,
        kind: run.kind,
        file_name: run.file_name.clone(),
        dry_run: run.dry_run,
        done: run.progress.done(),
        total: run.progress.total(),
        percent: run.progress.percent(),
        seconds,
        report,
        error,
        can_confirm: state.file.is_some() && state.confirmed.is_none(),
        confirmed: state.confirmed.clone(),
    })
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
}

impl WithCsrf for ConfirmForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Runs a clean dry run's file for real.
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<String>,
    _form: CsrfForm<ConfirmForm>,
) -> AppResult<HttpResponse> {
    me.require_admin()?;
    let id = path.into_inner();
    let run = find_run(&me, &id)?;
    let bytes = {
        let mut s = run
            .state
            .lock()
            .map_err(|_| AppError::internal("import run lock"))?;
        if let Some(next) = &s.confirmed {
            return Ok(see_other(format!("{HERE}/runs/{next}")));
        }
        s.file
            .take()
            .ok_or_else(|| AppError::Conflict("这次试导入不能直接确认，请重新上传文件".into()))?
    };
    let who = Who::employee(&me, ip(&req));
    let (next, new_run) = start(&state, who, run.kind, run.file_name.clone(), bytes, false)?;
    if let Ok(mut s) = run.state.lock() {
        s.confirmed = Some(next.clone());
    }
    wait_a_little(&new_run).await;
    Ok(see_other(format!("{HERE}/runs/{next}")))
}
