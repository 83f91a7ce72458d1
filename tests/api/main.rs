//! Integration tests: the real application over real HTTP, one database per test.

mod access_links;
mod admin_login;
mod calendar;
mod callback;
mod callback_freshness;
mod cli;
mod demo_flow;
mod demo_guard;
mod health;
#[allow(dead_code)] // shared by every test file; each uses a part
mod helpers;
mod media;
mod migrations;
mod payments;
mod process;
mod receipts;
mod sandbox_client;
mod section_pages;
mod sections;
mod seed;
mod sessions;
mod signin;
mod sms;
mod tenancy;
mod token_cache;
mod wecom_apps;
mod wecom_fixtures;
mod wecom_http_api;
mod worker;
