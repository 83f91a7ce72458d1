//! Integration tests: the real application over real HTTP, one database per test.

mod callback;
mod health;
mod helpers;
mod migrations;
mod process;
mod seed;
mod signin;
mod sms;
mod tenancy;
mod token_cache;
mod wecom_fixtures;
mod wecom_http_api;
