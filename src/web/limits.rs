//! Rate limits on sign-in, where every completed round trip costs the firm a WeCom API call and
//! WeCom answers too many calls from one address with 45009 for every firm served from it.
//! Limits are per instance (a token bucket in memory, from the `governor` crate).

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// Sign-in attempts a minute from one address.
pub const SIGNIN_PER_IP_PER_MINUTE: u32 = 30;
/// Sign-in attempts a minute for one firm, from everywhere.
pub const SIGNIN_PER_FIRM_PER_MINUTE: u32 = 300;
/// Keys remembered before stale ones are dropped.
const KEYS_KEPT: usize = 10_000;

pub struct SigninLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_firm: DefaultKeyedRateLimiter<i64>,
}

impl Default for SigninLimits {
    fn default() -> Self {
        Self {
            per_ip: RateLimiter::keyed(per_minute(SIGNIN_PER_IP_PER_MINUTE)),
            per_firm: RateLimiter::keyed(per_minute(SIGNIN_PER_FIRM_PER_MINUTE)),
        }
    }
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl SigninLimits {
    /// One sign-in attempt from `ip` for `firm_id` (either may be unknown yet).
    pub fn check(&self, ip: Option<IpAddr>, firm_id: Option<i64>) -> Result<(), AppError> {
        if let Some(ip) = ip {
            take(&self.per_ip, &ip)?;
        }
        if let Some(firm_id) = firm_id {
            take(&self.per_firm, &firm_id)?;
        }
        Ok(())
    }
}

fn take<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), AppError> {
    if limiter.len() > KEYS_KEPT {
        limiter.retain_recent();
    }
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        AppError::Throttled {
            retry_after: wait.as_secs().max(1),
        }
    })
}

/// Requests a second one API key may make, and the burst it may spend at once.
pub const API_PER_KEY_PER_SECOND: u32 = 20;
pub const API_BURST: u32 = 100;

/// The REST API's limit per key (per instance).
pub struct ApiLimits {
    per_key: DefaultKeyedRateLimiter<i64>,
}

impl Default for ApiLimits {
    fn default() -> Self {
        let quota =
            Quota::per_second(NonZeroU32::new(API_PER_KEY_PER_SECOND).unwrap_or(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::new(API_BURST).unwrap_or(NonZeroU32::MIN));
        Self {
            per_key: RateLimiter::keyed(quota),
        }
    }
}

impl ApiLimits {
    pub fn check(&self, key_id: i64) -> Result<(), AppError> {
        take(&self.per_key, &key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_key_spends_its_burst_then_waits() {
        let limits = ApiLimits::default();
        for _ in 0..API_BURST {
            assert!(limits.check(7).is_ok());
        }
        assert!(matches!(limits.check(7), Err(AppError::Throttled { .. })));
        assert!(limits.check(8).is_ok(), "another key has its own bucket");
    }

    #[test]
    fn the_thirty_first_attempt_in_a_minute_from_one_address_waits() {
        let limits = SigninLimits::default();
        let ip: IpAddr = "203.0.113.5".parse().unwrap();
        for _ in 0..SIGNIN_PER_IP_PER_MINUTE {
            assert!(limits.check(Some(ip), None).is_ok());
        }
        match limits.check(Some(ip), None) {
            Err(AppError::Throttled { retry_after }) => assert!((1..=60).contains(&retry_after)),
            other => panic!("{other:?}"),
        }
        // Another address is not held back.
        assert!(
            limits
                .check(Some("203.0.113.6".parse().unwrap()), None)
                .is_ok()
        );
    }

    #[test]
    fn a_firm_takes_three_hundred_a_minute_from_all_addresses() {
        let limits = SigninLimits::default();
        for i in 0..SIGNIN_PER_FIRM_PER_MINUTE {
            let ip = IpAddr::from([10, 0, (i / 256) as u8, (i % 256) as u8]);
            assert!(limits.check(Some(ip), Some(7)).is_ok());
        }
        assert!(
            limits
                .check(Some("10.9.9.9".parse().unwrap()), Some(7))
                .is_err()
        );
        assert!(
            limits
                .check(Some("10.9.9.9".parse().unwrap()), Some(8))
                .is_ok()
        );
    }
}
