//! The WeCom protocol: callback crypto and XML, and (later) the API client, token cache and
//! JS-SDK signing. This module knows nothing of the rest of the application, so it could become
//! its own crate.

pub mod crypto;
pub mod xml;
