//! Zhangfang (账房): the WeCom chat-sidebar backend for agency bookkeeping firms.
//!
//! Layers, from the outside in: `web` (HTTP handlers and templates) calls `services` (one function
//! per thing a user does), which use `db` (entities and migrations), `domain` (pure rules) and
//! `wecom` (the WeCom protocol, which knows nothing of the rest). See docs/architecture.md.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod render;
pub mod sandbox;
pub mod secrets;
pub mod seed;
pub mod services;
pub mod sms;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
pub mod wecom;
pub mod worker;
