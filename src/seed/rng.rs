//! Deterministic random streams.
//!
//! Every part of the data set draws from its own ChaCha8 stream derived from (seed, profile,
//! stream id), so adding a field to one generator never shifts the numbers of another, and each
//! customer's books can be generated on their own, in any order, with the same result.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Profile;

pub(crate) type SeedRng = ChaCha8Rng;

/// Stream ids. Customers use `CUSTOMER_BASE + index`.
pub(crate) const STREAM_ROSTER: u64 = 1;
pub(crate) const STREAM_WECOM: u64 = 2;
pub(crate) const STREAM_KB: u64 = 3;
pub(crate) const STREAM_COUNTERPARTIES: u64 = 4;
pub(crate) const STREAM_SECRETS: u64 = 5;
pub(crate) const CUSTOMER_BASE: u64 = 1 << 32;

/// SplitMix64 finaliser: spreads neighbouring seeds (1, 2, 3…) over the whole key space.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) fn profile_salt(profile: Profile) -> u64 {
    match profile {
        Profile::Demo => 0x6465_6d6f,
        Profile::S => 0x53,
        Profile::M => 0x4d,
        Profile::L => 0x4c,
    }
}

pub(crate) fn stream(seed: u64, profile: Profile, stream: u64) -> SeedRng {
    let mut rng = ChaCha8Rng::seed_from_u64(mix64(seed ^ mix64(profile_salt(profile))));
    rng.set_stream(stream);
    rng
}

pub(crate) fn chance(rng: &mut SeedRng, p: f64) -> bool {
    rng.random_bool(p.clamp(0.0, 1.0))
}

/// Uniform pick from a non-empty pool (all pools are compile-time constants).
pub(crate) fn pick<'a, T>(rng: &mut SeedRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Weighted pick; weights need not sum to anything in particular.
pub(crate) fn weighted<'a, T>(rng: &mut SeedRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut ticket = rng.random_range(0..total.max(1));
    for (item, w) in items {
        if ticket < *w {
            return item;
        }
        ticket -= w;
    }
    &items[items.len() - 1].0
}

/// Inclusive integer range.
pub(crate) fn between(rng: &mut SeedRng, low: i64, high: i64) -> i64 {
    if high <= low {
        low
    } else {
        rng.random_range(low..=high)
    }
}

/// A factor around 1.0 (e.g. `jitter(rng, 0.2)` is in 0.8..1.2).
pub(crate) fn jitter(rng: &mut SeedRng, spread: f64) -> f64 {
    1.0 + rng.random_range(-spread..=spread)
}

pub(crate) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// The alphabet WeCom uses for opaque ids (external_userid, chat_id, tag ids).
pub(crate) const ID_CHARS: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

pub(crate) fn token(rng: &mut SeedRng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: Vec<u32> = (0..4).map(|_| stream(7, Profile::S, 1).random()).collect();
        let b: Vec<u32> = (0..4).map(|_| stream(7, Profile::S, 1).random()).collect();
        assert_eq!(a, b);
        let mut one = stream(7, Profile::S, 1);
        let mut two = stream(7, Profile::S, 2);
        let mut other_profile = stream(7, Profile::M, 1);
        let x: u64 = one.random();
        assert_ne!(x, two.random::<u64>());
        assert_ne!(x, other_profile.random::<u64>());
    }

    #[test]
    fn weighted_pick_respects_zero_weights() {
        let mut rng = stream(1, Profile::Demo, 9);
        for _ in 0..200 {
            assert_ne!(*weighted(&mut rng, &[("a", 0), ("b", 5)]), "a");
        }
    }
}
