//! Opaque paging cursors.
//!
//! A cursor records where the previous page stopped (two positions in a stable order) plus a
//! fingerprint of the query it belongs to, so a client that changes its filters mid-walk, edits a
//! cursor or passes one from another API gets 40058 instead of silently wrong pages. The bytes are
//! base64url, so cursors look like WeCom's and survive URLs and JSON unescaped.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use super::errors::ApiError;

/// Which API a cursor belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CursorKind {
    BatchGetByUser = 1,
    GroupChatList = 2,
    ExternalContactGet = 3,
}

/// Kind byte, fingerprint (8 bytes), two big-endian u32 positions.
const CURSOR_LEN: usize = 1 + 8 + 4 + 4;

/// Fingerprint of the query parts a cursor is bound to.
pub(crate) fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a str>) -> [u8; 8] {
    let mut hasher = Sha256::new();
    for part in parts {
        // Length-prefixed so ["ab","c"] and ["a","bc"] differ.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut out = [0u8; 8];
    for (o, d) in out.iter_mut().zip(digest.iter()) {
        *o = *d;
    }
    out
}

/// Encodes a resume position.
pub(crate) fn encode(kind: CursorKind, fp: [u8; 8], a: u32, b: u32) -> String {
    let mut bytes = Vec::with_capacity(CURSOR_LEN);
    bytes.push(kind as u8);
    bytes.extend_from_slice(&fp);
    bytes.extend_from_slice(&a.to_be_bytes());
    bytes.extend_from_slice(&b.to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes a cursor from a request: empty means "from the start" (0, 0).
///
/// # Errors
/// 40058 when the cursor is malformed or belongs to another API or query.
pub(crate) fn decode(cursor: &str, kind: CursorKind, fp: [u8; 8]) -> Result<(u32, u32), ApiError> {
    if cursor.is_empty() {
        return Ok((0, 0));
    }
    let bad = || ApiError::invalid("cursor");
    if cursor.len() > 64 {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    if bytes.len() != CURSOR_LEN || bytes.first() != Some(&(kind as u8)) {
        return Err(bad());
    }
    if bytes.get(1..9) != Some(&fp[..]) {
        return Err(bad());
    }
    let word = |at: usize| -> Option<u32> {
        let slice: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(u32::from_be_bytes(slice))
    };
    match (word(9), word(13)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let fp = fingerprint(["a", "b"]);
        let c = encode(CursorKind::GroupChatList, fp, 7, 42);
        assert_eq!(decode(&c, CursorKind::GroupChatList, fp), Ok((7, 42)));
        assert!(decode(&c, CursorKind::BatchGetByUser, fp).is_err());
        assert!(decode(&c, CursorKind::GroupChatList, fingerprint(["ab"])).is_err());
        assert_eq!(decode("", CursorKind::GroupChatList, fp), Ok((0, 0)));
        for junk in ["x", "!!!!", "AAAAAAAAAAAAAAAAAAAAAAAA", &"A".repeat(500)] {
            assert!(
                decode(junk, CursorKind::GroupChatList, fp).is_err(),
                "{junk}"
            );
        }
    }
}
