//! The WeCom protocol: callback crypto and XML, the server API (a trait with the real HTTP
//! implementation), the access-token and ticket cache, and JS-SDK signing. This module knows
//! nothing of the rest of the application, so it could become its own crate.

pub mod api;
pub mod crypto;
pub mod errors;
pub mod http_api;
pub mod jssdk;
pub mod token_cache;
pub mod xml;
