//! JS-SDK configuration for the sidebar page: signatures for `wx.config` (corp ticket) and
//! `wx.agentConfig` (app ticket) over the page's URL.

use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::wecom::jssdk::{self, JsSignature};

#[derive(Debug, Serialize)]
pub struct SignedConfig {
    pub corp_id: String,
    pub agent_id: String,
    pub config: JsSignature,
    pub agent_config: JsSignature,
}

/// Only pages of this service are signed: scheme, host and port must equal `public_url`'s and the
/// path must lie under its path. A prefix test on the text would let `https://host.evil.com` pass.
/// What is signed is the URL as parsed (WHATWG, as browsers do), without its fragment — never the
/// raw text, which could say one host to a lax parser and another to the check.
pub fn signable_url(public_url: &str, url: &str) -> AppResult<String> {
    let bad = || AppError::BadRequest("只能为本系统的页面地址签名".into());
    let public = url::Url::parse(public_url).map_err(|_| bad())?;
    let page = url::Url::parse(url).map_err(|_| bad())?;
    let same_origin = page.scheme() == public.scheme()
        && page.host_str() == public.host_str()
        && page.port_or_known_default() == public.port_or_known_default();
    let base = public.path().trim_end_matches('/');
    let path = page.path();
    let under = base.is_empty() || path == base || path.starts_with(&format!("{base}/"));
    if !same_origin || !under || !page.username().is_empty() || page.password().is_some() {
        return Err(bad());
    }
    let mut page = page;
    page.set_fragment(None);
    Ok(page.to_string())
}

pub async fn sign(ctx: &Ctx, firm_id: i64, url: &str) -> AppResult<SignedConfig> {
    let url = signable_url(&ctx.settings.server.public_url, url)?;
    let app = ctx.apps.primary(firm_id).await?;
    let handle = app.handle()?;
    let corp_ticket = ctx.wecom.jsapi_ticket(handle).await?;
    let agent_ticket = ctx.wecom.agent_ticket(handle).await?;
    let timestamp = ctx.now().timestamp();
    Ok(SignedConfig {
        corp_id: app.corp_id.clone(),
        agent_id: app.agent_id.clone(),
        config: jssdk::sign_now(&corp_ticket, &url, timestamp, jssdk::random_nonce()),
        agent_config: jssdk::sign_now(&agent_ticket, &url, timestamp, jssdk::random_nonce()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_urls_of_our_own_pages_are_signed() {
        let public = "https://zf.example.com/app";
        for ok in [
            "https://zf.example.com/app",
            "https://zf.example.com/app/sidebar?x=1",
            "https://zf.example.com:443/app/sidebar#frag",
        ] {
            assert!(signable_url(public, ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://zf.example.com.evil.com/app/sidebar",
            "https://zf.example.com/application",
            "https://zf.example.com/other",
            "http://zf.example.com/app/sidebar",
            "https://zf.example.com:8443/app/sidebar",
            "https://user@zf.example.com/app/sidebar",
            "javascript:alert(1)",
            "not a url",
        ] {
            assert!(signable_url(public, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn what_is_signed_is_the_url_as_checked_not_the_raw_text() {
        // RFC 3986 reads the authority of this text as `evil.com`; browsers (WHATWG) read a
        // backslash as a path separator. The signature must be for the URL we checked.
        let url =
            signable_url("http://127.0.0.1:8080", "http://127.0.0.1:8080\\@evil.com/").unwrap();
        assert_eq!(url, "http://127.0.0.1:8080/@evil.com/");
        let url = signable_url("http://127.0.0.1:8080", "http://127.0.0.1:8080?entry=x").unwrap();
        assert_eq!(url, "http://127.0.0.1:8080/?entry=x");
    }

    #[test]
    fn the_fragment_is_not_signed() {
        let url = signable_url(
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/sidebar?a=1#x",
        )
        .unwrap();
        assert_eq!(url, "http://127.0.0.1:8080/sidebar?a=1");
    }
}
