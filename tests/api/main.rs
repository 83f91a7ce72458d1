//! Integration tests: the real application over real HTTP, one database per test.

mod callback;
mod health;
mod helpers;
mod migrations;
mod process;
mod seed;
mod tenancy;
mod wecom_fixtures;
mod wecom_http_api;
mod token_cache;
