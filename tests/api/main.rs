//! Integration tests: the real application over real HTTP, one database per test.

mod access_links;
mod admin_audit;
mod admin_calendar;
mod admin_employees;
mod admin_home;
mod admin_kb;
mod admin_login;
mod admin_templates;
mod admin_wecom;
mod calendar;
mod callback;
mod callback_freshness;
mod callback_outage;
mod cli;
mod demo_flow;
mod demo_guard;
mod health;
#[allow(dead_code)] // shared by every test file; each uses a part
mod helpers;
mod migrations;
mod process;
mod receipts;
mod rest_api;
mod sandbox_client;
mod seed;
mod sessions;
mod sidebar_customers;
mod sidebar_sends;
mod signin;
mod sms;
mod tenancy;
mod token_cache;
mod wecom_apps;
mod wecom_fixtures;
mod wecom_http_api;
mod worker;
