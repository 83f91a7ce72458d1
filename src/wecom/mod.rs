//! The WeCom protocol: callback crypto and XML, the server API (a trait with the real HTTP
//! implementation), the access-token and ticket cache, the client that joins the two so a WeCom
//! call is one line, and JS-SDK signing. This module knows nothing of the rest of the
//! application, so it could become its own crate.

pub mod api;
pub mod client;
pub mod crypto;
pub mod errors;
pub mod http_api;
pub mod jssdk;
pub mod token_cache;
pub mod xml;
