//! gettoken and the JS-SDK tickets.

use actix_web::HttpResponse;
use chrono::TimeDelta;
use serde::Serialize;

use super::Query;
use crate::sandbox::Sandbox;
use crate::sandbox::errors::{self as codes, ApiError, ok};
use crate::sandbox::state::{TokenRec, earlier, later, random_string};

/// Expired tokens are remembered this long so they answer 42001 rather than 40014.
const EXPIRED_TOKEN_MEMORY: TimeDelta = TimeDelta::hours(24);
/// JS-SDK tickets live 7200 s.
const TICKET_LIFETIME_SECS: i64 = 7200;
/// get_jsapi_ticket: 400 fetches per hour per corp; ticket/get: 100 per hour per app.
const JSAPI_TICKET_HOURLY: usize = 400;
const AGENT_TICKET_HOURLY: usize = 100;

impl Sandbox {
    /// 41001 missing, 40014 unknown (or revoked), 42001 expired.
    pub(crate) fn check_token(&self, token: Option<&str>) -> Result<(), ApiError> {
        let Some(token) = token else {
            return Err(ApiError::new(codes::MISSING_ACCESS_TOKEN));
        };
        let now = self.now();
        match self.runtime().tokens.get(token) {
            None => Err(ApiError::new(codes::INVALID_ACCESS_TOKEN)),
            Some(rec) if now >= rec.expires_at => Err(ApiError::new(codes::ACCESS_TOKEN_EXPIRED)),
            Some(_) => Ok(()),
        }
    }

    /// Makes an injected token error real: 42001 expires the token now, 40014 revokes it, so
    /// the client has to fetch a new one exactly as after WeCom invalidated it early.
    pub(crate) fn fault_side_effects(&self, errcode: i32, token: Option<&str>) {
        let Some(token) = token else { return };
        let now = self.now();
        let mut rt = self.runtime();
        match errcode {
            codes::ACCESS_TOKEN_EXPIRED => {
                if let Some(rec) = rt.tokens.get_mut(token) {
                    rec.expires_at = rec.expires_at.min(now);
                }
            }
            codes::INVALID_ACCESS_TOKEN => {
                rt.tokens.remove(token);
            }
            _ => {}
        }
    }
}

#[derive(Serialize)]
struct TokenReply {
    access_token: String,
    expires_in: u64,
}

/// gettoken: every fetch issues a new token; earlier ones stay valid until their own expiry.
pub(super) fn gettoken(sandbox: &Sandbox, query: &Query) -> Result<HttpResponse, ApiError> {
    let corpid = query
        .get("corpid")
        .ok_or_else(|| ApiError::new(codes::MISSING_CORPID))?;
    let secret = query
        .get("corpsecret")
        .ok_or_else(|| ApiError::new(codes::MISSING_SECRET))?;
    {
        let corp = sandbox.corp();
        if corpid != corp.corp_id {
            return Err(ApiError::new(codes::INVALID_CORPID));
        }
        if secret != corp.app.secret {
            return Err(ApiError::new(codes::INVALID_SECRET));
        }
    }
    let lifetime = sandbox.inner.options.token_lifetime;
    let now = sandbox.now();
    let expires_at = later(now, TimeDelta::from_std(lifetime).unwrap_or(TimeDelta::MAX));
    let token = random_string(96);
    {
        let mut rt = sandbox.runtime();
        // Forget tokens long expired so a client that refetches in a loop cannot grow the map
        // forever; recently expired ones stay to answer 42001.
        rt.tokens
            .retain(|_, t| now < later(t.expires_at, EXPIRED_TOKEN_MEMORY));
        rt.tokens.insert(token.clone(), TokenRec { expires_at });
    }
    Ok(ok(TokenReply {
        access_token: token,
        expires_in: lifetime.as_secs(),
    }))
}

#[derive(Serialize)]
struct TicketReply {
    ticket: String,
    expires_in: i64,
}

/// The corp (`get_jsapi_ticket`) or app (`ticket/get?type=agent_config`) JS-SDK ticket, with
/// WeCom's hourly fetch limits (45009 beyond them), which catch a client that does not cache.
pub(super) fn ticket(sandbox: &Sandbox, agent: bool) -> Result<HttpResponse, ApiError> {
    let now = sandbox.now();
    let hour_ago = earlier(now, TimeDelta::hours(1));
    {
        let mut rt = sandbox.runtime();
        let (state, limit) = if agent {
            (&mut rt.agent_ticket, AGENT_TICKET_HOURLY)
        } else {
            (&mut rt.jsapi_ticket, JSAPI_TICKET_HOURLY)
        };
        while state.fetches.front().is_some_and(|&t| t <= hour_ago) {
            state.fetches.pop_front();
        }
        if state.fetches.len() >= limit {
            return Err(ApiError::with_hint(
                codes::FREQUENCY_LIMIT,
                "ticket fetched too often, cache it for its lifetime",
            ));
        }
        state.fetches.push_back(now);
    }
    Ok(ok(TicketReply {
        ticket: random_string(86),
        expires_in: TICKET_LIFETIME_SECS,
    }))
}

// ---------------------------------------------------------------------------------------------
