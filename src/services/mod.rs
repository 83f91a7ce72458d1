//! Use cases: one function per thing a user (or WeCom) does. Services own transactions and
//! take the caller's firm explicitly; every query they run is scoped to it.

pub mod calendar;
pub mod callbacks;
pub mod employees;
pub mod firms;
pub mod inbox;
pub mod jssdk;
pub mod overview;
pub mod sessions;
pub mod signin;
pub mod sms_codes;
pub mod token_store;
pub mod wecom_client;
