//! Use cases: one function per thing a user (or WeCom) does. Services own transactions and
//! take the caller's firm explicitly; every query they run is scoped to it.
//!
//! Use cases take the service context [`Ctx`]; query helpers that must run inside a caller's
//! transaction take a connection instead. No service imports the web layer or builds an HTTP
//! status: `error.rs` maps [`crate::error::AppError`] to HTTP.

pub mod access;
pub mod api;
pub mod api_keys;
pub mod assignments;
pub mod attachments;
pub mod audit;
pub mod audit_log;
pub mod backoffice;
pub mod calendar;
pub mod calendar_admin;
pub mod callbacks;
pub mod chat_admin;
pub mod collection;
pub mod context_hints;
pub mod ctx;
pub mod customer_profile;
pub mod dashboard;
pub mod data_import;
pub mod demo;
pub mod employee_admin;
pub mod employees;
pub mod filings;
pub mod firms;
pub mod follow_ups;
pub mod import;
pub mod inbox;
pub mod invoices;
pub mod jssdk;
pub mod kb_admin;
pub mod knowledge;
pub mod links;
pub mod maintenance;
pub mod media;
pub mod media_store;
pub mod message_templates;
pub mod overview;
pub mod passwords;
pub mod payments;
pub mod receipt_seal;
pub mod receipts;
pub mod reports;
pub mod send_log;
pub mod sends;
pub mod service_status;
pub mod session_cache;
pub mod sessions;
pub mod sidebar;
pub mod signin;
pub mod sms_codes;
pub mod token_store;
pub mod wecom_apps;
pub mod wecom_events;
pub mod wecom_setup;
pub mod wecom_sync;

pub use ctx::{Ctx, WecomEndpoints};
