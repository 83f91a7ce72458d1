//! WeCom (企业微信) callback encryption: signatures, AES-256-CBC message
//! encryption/decryption and the reply/envelope XML that carries them.
//!
//! Wire format (see the WeCom "回调加解密" spec):
//! - `msg_signature = lower_hex(SHA1(sort([token, timestamp, nonce, encrypt]).concat()))`
//! - `AESKey = base64(EncodingAESKey + "=")` (32 bytes), `IV = AESKey[0..16]`
//! - plaintext = `random(16) ‖ u32_be(msg_len) ‖ msg ‖ receive_id`, PKCS#7
//!   padded to a multiple of **32** bytes (not the AES block size of 16),
//!   then AES-256-CBC without further padding and standard base64.
//!
//! Everything here runs on every inbound callback, so the hot paths avoid
//! intermediate copies: the signature is hashed incrementally, the hex digest
//! lives on the stack and decryption happens in place inside the buffer that
//! base64 decoding produced.

use std::fmt;

use aes::cipher::{Block, BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, Iv, KeyInit};
use aes::{Aes256Dec, Aes256Enc};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use rand::RngCore as _;
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use super::errors::CallbackError;
use super::xml;

/// Length of the random prefix at the start of every plaintext.
const RANDOM_LEN: usize = 16;
/// Random prefix plus the big-endian `u32` message length.
const HEADER_LEN: usize = RANDOM_LEN + 4;
/// WeCom pads to multiples of 32 bytes, unlike stock PKCS#7 over AES (16).
const PAD_BLOCK: usize = 32;
/// AES block size; the ciphertext must be a whole number of these.
const AES_BLOCK: usize = 16;
/// Length of an `EncodingAESKey` as configured in the WeCom admin console.
const ENCODING_AES_KEY_LEN: usize = 43;
/// Length of a lower-hex SHA-1 digest.
const SIGNATURE_HEX_LEN: usize = 40;

/// Base64 engine for the `EncodingAESKey` only. The console generates the
/// 43rd character freely, so its two unused low bits are often non-zero; a
/// strict decoder would reject keys that every official SDK accepts.
const LENIENT_KEY_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// The 32-byte AES key derived from an `EncodingAESKey`, with both key
/// schedules expanded once so each callback only clones them.
#[derive(Clone)]
pub struct AesKey {
    raw: [u8; 32],
    iv: [u8; 16],
    enc: Aes256Enc,
    dec: Aes256Dec,
}

impl fmt::Debug for AesKey {
    // Never print key material, not even partially: Debug output ends up in
    // logs and panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesKey(<redacted>)")
    }
}

impl AesKey {
    /// Derives the key from the 43-character `EncodingAESKey`.
    ///
    /// # Errors
    /// [`CallbackError::IllegalAesKey`] unless the input is exactly 43
    /// characters of `[A-Za-z0-9]` that decode to 32 bytes.
    pub fn from_encoding_aes_key(encoding_aes_key: &str) -> Result<Self, CallbackError> {
        let src = encoding_aes_key.as_bytes();
        if src.len() != ENCODING_AES_KEY_LEN || !src.iter().all(u8::is_ascii_alphanumeric) {
            return Err(CallbackError::IllegalAesKey);
        }
        // Append the missing '=' on the stack instead of allocating a String.
        let mut padded = [b'='; ENCODING_AES_KEY_LEN + 1];
        padded
            .get_mut(..ENCODING_AES_KEY_LEN)
            .ok_or(CallbackError::IllegalAesKey)?
            .copy_from_slice(src);
        let mut raw = [0u8; 32];
        let n = LENIENT_KEY_ENGINE
            .decode_slice(padded, &mut raw)
            .map_err(|_| CallbackError::IllegalAesKey)?;
        if n != raw.len() {
            return Err(CallbackError::IllegalAesKey);
        }
        Ok(Self::from_bytes(raw))
    }

    /// Builds a key from raw bytes (e.g. for a sandbox that generates keys).
    #[must_use]
    pub fn from_bytes(raw: [u8; 32]) -> Self {
        let enc = Aes256Enc::new((&raw).into());
        let dec = Aes256Dec::new((&raw).into());
        // WeCom reuses the first half of the key as the CBC IV. `first_chunk`
        // cannot fail for a 32-byte array; the default only satisfies the type.
        let iv = raw.first_chunk::<AES_BLOCK>().copied().unwrap_or_default();
        Self { raw, iv, enc, dec }
    }

    /// The `EncodingAESKey` form of this key (43 chars, no trailing '='),
    /// as a sandbox would show it in its admin console.
    #[must_use]
    pub fn to_encoding_aes_key(&self) -> String {
        let mut s = STANDARD.encode(self.raw);
        // 32 bytes always encode to 43 chars plus exactly one '='.
        s.truncate(ENCODING_AES_KEY_LEN);
        s
    }

    /// The CBC IV in the cipher crate's array type.
    fn iv(&self) -> &Iv<cbc::Decryptor<Aes256Dec>> {
        (&self.iv).into()
    }

    /// Decrypts `encrypt` (the `<Encrypt>` text or URL-decoded `echostr`)
    /// without judging the receive_id.
    ///
    /// # Errors
    /// [`CallbackError::DecryptAes`] for bad base64 or a ciphertext that is
    /// not a non-empty multiple of 16 bytes; [`CallbackError::IllegalBuffer`]
    /// for bad padding, inconsistent lengths or non-UTF-8 content.
    pub fn decrypt(&self, encrypt: &str) -> Result<Decrypted, CallbackError> {
        // Strict standard base64 like the official Python library; any
        // failure there is reported as an AES failure (-40007) as it does.
        let mut buf = STANDARD
            .decode(encrypt)
            .map_err(|_| CallbackError::DecryptAes)?;
        self.cbc_decrypt_in_place(&mut buf)?;
        let plain_len = unpadded_len(&buf)?;
        let plain = buf.get(..plain_len).ok_or(CallbackError::IllegalBuffer)?;
        let len_field = plain
            .get(RANDOM_LEN..HEADER_LEN)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .ok_or(CallbackError::IllegalBuffer)?;
        let msg_len = usize::try_from(u32::from_be_bytes(len_field))
            .map_err(|_| CallbackError::IllegalBuffer)?;
        let msg_end = HEADER_LEN
            .checked_add(msg_len)
            .ok_or(CallbackError::IllegalBuffer)?;
        let receive_id = plain
            .get(msg_end..)
            .ok_or(CallbackError::IllegalBuffer)
            .and_then(|b| std::str::from_utf8(b).map_err(|_| CallbackError::IllegalBuffer))?
            .to_owned();
        // Reuse the decode buffer for the message: drop the padding and
        // receive_id, shift the message to the front, and validate UTF-8
        // without copying it into a fresh allocation.
        buf.truncate(msg_end);
        buf.drain(..HEADER_LEN);
        let msg = String::from_utf8(buf).map_err(|_| CallbackError::IllegalBuffer)?;
        Ok(Decrypted { msg, receive_id })
    }

    /// Encrypts `msg` for `receive_id` with a caller-chosen 16-byte random
    /// prefix. Deterministic, which tests and reproducible fixtures need;
    /// production code should use [`AesKey::encrypt`].
    ///
    /// # Errors
    /// [`CallbackError::EncryptAes`] if the message is longer than `u32::MAX`.
    pub fn encrypt_with_random(
        &self,
        msg: &str,
        receive_id: &str,
        random: [u8; 16],
    ) -> Result<String, CallbackError> {
        let buf = self.seal_raw(msg, receive_id, random)?;
        Ok(STANDARD.encode(buf))
    }

    /// Encrypts `msg` for `receive_id` with a fresh random prefix.
    ///
    /// # Errors
    /// [`CallbackError::EncryptAes`] if the message is longer than `u32::MAX`.
    pub fn encrypt(&self, msg: &str, receive_id: &str) -> Result<String, CallbackError> {
        self.encrypt_with_random(msg, receive_id, random_prefix())
    }

    /// Builds, pads and encrypts the plaintext, returning raw ciphertext.
    fn seal_raw(
        &self,
        msg: &str,
        receive_id: &str,
        random: [u8; 16],
    ) -> Result<Vec<u8>, CallbackError> {
        let msg_len = u32::try_from(msg.len()).map_err(|_| CallbackError::EncryptAes)?;
        let body_len = HEADER_LEN
            .checked_add(msg.len())
            .and_then(|n| n.checked_add(receive_id.len()))
            .ok_or(CallbackError::EncryptAes)?;
        // Always 1..=32: an aligned body gets a whole block of 0x20 bytes.
        let pad = PAD_BLOCK - body_len % PAD_BLOCK;
        let pad_byte = u8::try_from(pad).map_err(|_| CallbackError::EncryptAes)?;
        let total = body_len.checked_add(pad).ok_or(CallbackError::EncryptAes)?;
        let mut buf = Vec::with_capacity(total);
        buf.extend_from_slice(&random);
        buf.extend_from_slice(&msg_len.to_be_bytes());
        buf.extend_from_slice(msg.as_bytes());
        buf.extend_from_slice(receive_id.as_bytes());
        buf.resize(total, pad_byte);
        self.cbc_encrypt_in_place(&mut buf)?;
        Ok(buf)
    }

    /// AES-256-CBC encryption without padding; `buf` must be whole blocks.
    fn cbc_encrypt_in_place(&self, buf: &mut [u8]) -> Result<(), CallbackError> {
        let (blocks, tail) = Block::<Aes256Enc>::slice_as_chunks_mut(buf);
        if !tail.is_empty() {
            return Err(CallbackError::EncryptAes);
        }
        cbc::Encryptor::<Aes256Enc>::inner_iv_init(self.enc.clone(), self.iv())
            .encrypt_blocks(blocks);
        Ok(())
    }

    /// AES-256-CBC decryption without padding, in place.
    fn cbc_decrypt_in_place(&self, buf: &mut [u8]) -> Result<(), CallbackError> {
        if buf.is_empty() {
            return Err(CallbackError::DecryptAes);
        }
        let (blocks, tail) = Block::<Aes256Dec>::slice_as_chunks_mut(buf);
        if !tail.is_empty() {
            return Err(CallbackError::DecryptAes);
        }
        cbc::Decryptor::<Aes256Dec>::inner_iv_init(self.dec.clone(), self.iv())
            .decrypt_blocks(blocks);
        Ok(())
    }
}

/// Length of `buf` without its 32-byte-block PKCS#7 padding.
///
/// No padding oracle concern: callers check the signature (which covers the
/// ciphertext and needs the token) before decrypting.
fn unpadded_len(buf: &[u8]) -> Result<usize, CallbackError> {
    let (&last, _) = buf.split_last().ok_or(CallbackError::IllegalBuffer)?;
    let pad = usize::from(last);
    if pad == 0 || pad > PAD_BLOCK {
        return Err(CallbackError::IllegalBuffer);
    }
    let body_len = buf
        .len()
        .checked_sub(pad)
        .ok_or(CallbackError::IllegalBuffer)?;
    let padding = buf.get(body_len..).ok_or(CallbackError::IllegalBuffer)?;
    if padding.iter().any(|&b| b != last) {
        return Err(CallbackError::IllegalBuffer);
    }
    Ok(body_len)
}

/// 16 random bytes for the plaintext prefix, from the thread-local CSPRNG
/// (ChaCha, seeded and periodically reseeded from the OS). That avoids a
/// syscall per reply while staying unpredictable.
#[must_use]
pub fn random_prefix() -> [u8; 16] {
    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    random
}

/// A successfully decrypted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The message: event XML for POST callbacks, the echo string for GET.
    pub msg: String,
    /// The corpid / suite_id the sender encrypted for (see spec §1.4).
    pub receive_id: String,
}

impl Decrypted {
    /// SHA-256 of the message, usable as a dedupe key across WeCom retries:
    /// retries carry the same event XML but a new random prefix, nonce and
    /// ciphertext, and `FromUserName + CreateTime` collides for distinct
    /// external-contact events.
    #[must_use]
    pub fn dedupe_key(&self) -> [u8; 32] {
        Sha256::digest(self.msg.as_bytes()).into()
    }

    /// [`Decrypted::dedupe_key`] as lower hex, e.g. for a Redis key.
    #[must_use]
    pub fn dedupe_key_hex(&self) -> String {
        hex::encode(self.dedupe_key())
    }
}

/// Computes the SHA-1 signature into a stack buffer as lower hex.
fn signature_hex(
    token: &str,
    timestamp: &str,
    nonce: &str,
    encrypt: &str,
) -> [u8; SIGNATURE_HEX_LEN] {
    let mut parts = [
        token.as_bytes(),
        timestamp.as_bytes(),
        nonce.as_bytes(),
        encrypt.as_bytes(),
    ];
    // Byte order equals code-point order for UTF-8, which is what the
    // official libraries' string sort does on these (normally ASCII) inputs.
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut out = [0u8; SIGNATURE_HEX_LEN];
    for (pair, byte) in out.chunks_exact_mut(2).zip(digest.iter()) {
        if let [hi, lo] = pair {
            *hi = lower_hex_digit(byte >> 4);
            *lo = lower_hex_digit(byte & 0x0f);
        }
    }
    out
}

/// Maps a nibble (0..=15) to its lower-case hex digit.
const fn lower_hex_digit(nibble: u8) -> u8 {
    match nibble {
        0..=9 => b'0' + nibble,
        10..=15 => b'a' + (nibble - 10),
        _ => b'?',
    }
}

/// `msg_signature` over the four strings: lower-hex SHA-1 of the strings
/// sorted bytewise and concatenated without separator.
#[must_use]
pub fn signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    signature_hex(token, timestamp, nonce, encrypt)
        .iter()
        .map(|&b| char::from(b))
        .collect()
}

/// Checks `msg_signature` in constant time (so response timing does not
/// reveal how many leading characters of a forged signature were right).
///
/// # Errors
/// [`CallbackError::ValidateSignature`] on mismatch.
pub fn verify_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    encrypt: &str,
    msg_signature: &str,
) -> Result<(), CallbackError> {
    let expected = signature_hex(token, timestamp, nonce, encrypt);
    if bool::from(expected.as_slice().ct_eq(msg_signature.as_bytes())) {
        Ok(())
    } else {
        Err(CallbackError::ValidateSignature)
    }
}

/// Ciphertext plus signature, ready to send as a callback to an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedEvent {
    /// The `msg_signature` query parameter.
    pub msg_signature: String,
    /// The `<Encrypt>` content.
    pub encrypt: String,
}

/// Configuration of one callback URL: Token, AES key and the receive_id
/// this side encrypts for (corpid for self-built apps, suite_id for
/// third-party 指令回调).
#[derive(Clone)]
pub struct CallbackCrypto {
    token: String,
    key: AesKey,
    receive_id: String,
}

impl fmt::Debug for CallbackCrypto {
    // The token is a shared secret; only the public receive_id is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackCrypto")
            .field("token", &"<redacted>")
            .field("key", &self.key)
            .field("receive_id", &self.receive_id)
            .finish()
    }
}

impl CallbackCrypto {
    /// Builds the crypto from the console settings.
    ///
    /// # Errors
    /// [`CallbackError::IllegalAesKey`] for a malformed `EncodingAESKey`.
    pub fn new(
        token: impl Into<String>,
        encoding_aes_key: &str,
        receive_id: impl Into<String>,
    ) -> Result<Self, CallbackError> {
        Ok(Self::from_parts(
            token,
            AesKey::from_encoding_aes_key(encoding_aes_key)?,
            receive_id,
        ))
    }

    /// Builds the crypto from an already derived key.
    #[must_use]
    pub fn from_parts(
        token: impl Into<String>,
        key: AesKey,
        receive_id: impl Into<String>,
    ) -> Self {
        Self {
            token: token.into(),
            key,
            receive_id: receive_id.into(),
        }
    }

    /// The receive_id used when encrypting.
    #[must_use]
    pub fn receive_id(&self) -> &str {
        &self.receive_id
    }

    /// The AES key.
    #[must_use]
    pub fn key(&self) -> &AesKey {
        &self.key
    }

    /// `msg_signature` for this token.
    #[must_use]
    pub fn signature(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        signature(&self.token, timestamp, nonce, encrypt)
    }

    /// Constant-time check of `msg_signature` for this token.
    ///
    /// # Errors
    /// [`CallbackError::ValidateSignature`] on mismatch.
    pub fn verify_signature(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<(), CallbackError> {
        verify_signature(&self.token, timestamp, nonce, encrypt, msg_signature)
    }

    /// Decrypts without judging the receive_id; see [`AesKey::decrypt`].
    ///
    /// # Errors
    /// As [`AesKey::decrypt`].
    pub fn decrypt(&self, encrypt: &str) -> Result<Decrypted, CallbackError> {
        self.key.decrypt(encrypt)
    }

    /// Decrypts and requires the embedded receive_id to be one of
    /// `accepted` (exact match). An empty `accepted` list accepts nothing,
    /// so a misconfiguration fails closed; use [`CallbackCrypto::decrypt`]
    /// to skip the check deliberately.
    ///
    /// # Errors
    /// As [`AesKey::decrypt`], plus [`CallbackError::ValidateReceiveId`].
    pub fn decrypt_and_check(
        &self,
        encrypt: &str,
        accepted_receive_ids: &[&str],
    ) -> Result<Decrypted, CallbackError> {
        let decrypted = self.key.decrypt(encrypt)?;
        if accepted_receive_ids.contains(&decrypted.receive_id.as_str()) {
            Ok(decrypted)
        } else {
            Err(CallbackError::ValidateReceiveId)
        }
    }

    /// The full inbound check in the official order: signature, AES,
    /// padding, lengths, receive_id. Use it for both the GET `echostr`
    /// (URL-decoded exactly once) and the POST `<Encrypt>` text.
    ///
    /// # Errors
    /// [`CallbackError::ValidateSignature`] first, then as
    /// [`CallbackCrypto::decrypt_and_check`].
    pub fn verify_and_decrypt(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
        accepted_receive_ids: &[&str],
    ) -> Result<Decrypted, CallbackError> {
        self.verify_signature(msg_signature, timestamp, nonce, encrypt)?;
        self.decrypt_and_check(encrypt, accepted_receive_ids)
    }

    /// Encrypts `msg` for this receive_id with a fixed random prefix.
    ///
    /// # Errors
    /// [`CallbackError::EncryptAes`] if the message is longer than `u32::MAX`.
    pub fn encrypt_with_random(
        &self,
        msg: &str,
        random: [u8; 16],
    ) -> Result<String, CallbackError> {
        self.key.encrypt_with_random(msg, &self.receive_id, random)
    }

    /// Encrypts `msg` for this receive_id with a fresh random prefix.
    ///
    /// # Errors
    /// [`CallbackError::EncryptAes`] if the message is longer than `u32::MAX`.
    pub fn encrypt(&self, msg: &str) -> Result<String, CallbackError> {
        self.encrypt_with_random(msg, random_prefix())
    }

    /// Encrypts and signs an outgoing callback (sandbox side). Pass
    /// [`random_prefix()`] unless a reproducible result is wanted.
    ///
    /// # Errors
    /// [`CallbackError::EncryptAes`] if the message is longer than `u32::MAX`.
    pub fn seal(
        &self,
        msg_xml: &str,
        timestamp: &str,
        nonce: &str,
        random: [u8; 16],
    ) -> Result<SealedEvent, CallbackError> {
        let encrypt = self.encrypt_with_random(msg_xml, random)?;
        let msg_signature = self.signature(timestamp, nonce, &encrypt);
        Ok(SealedEvent {
            msg_signature,
            encrypt,
        })
    }

    /// The encrypted passive reply body (spec §1.7) with a fresh random
    /// prefix.
    ///
    /// # Errors
    /// [`CallbackError::EncryptAes`] if the message is longer than `u32::MAX`.
    pub fn passive_reply(
        &self,
        reply_xml: &str,
        timestamp: &str,
        nonce: &str,
    ) -> Result<String, CallbackError> {
        self.passive_reply_with_random(reply_xml, timestamp, nonce, random_prefix())
    }

    /// [`CallbackCrypto::passive_reply`] with a fixed random prefix.
    ///
    /// The bytes match the reference template used by WeCom's samples and
    /// wechatpy exactly: `<xml>` and each child on its own line, no
    /// indentation, no trailing newline.
    ///
    /// # Errors
    /// [`CallbackError::EncryptAes`] if the message is longer than `u32::MAX`.
    pub fn passive_reply_with_random(
        &self,
        reply_xml: &str,
        timestamp: &str,
        nonce: &str,
        random: [u8; 16],
    ) -> Result<String, CallbackError> {
        let ciphertext = self.key.seal_raw(reply_xml, &self.receive_id, random)?;
        let encoded_len =
            base64::encoded_len(ciphertext.len(), true).ok_or(CallbackError::GenReturnXml)?;
        let mut out = String::with_capacity(
            160_usize
                .saturating_add(encoded_len)
                .saturating_add(timestamp.len())
                .saturating_add(nonce.len()),
        );
        out.push_str("<xml>\n<Encrypt><![CDATA[");
        // Encode straight into the reply and sign the slice in place rather
        // than building a separate Encrypt string and copying it.
        let start = out.len();
        STANDARD.encode_string(&ciphertext, &mut out);
        let encrypt = out.get(start..).ok_or(CallbackError::GenReturnXml)?;
        let sig = signature_hex(&self.token, timestamp, nonce, encrypt);
        let sig = std::str::from_utf8(&sig).map_err(|_| CallbackError::GenReturnXml)?;
        out.push_str("]]></Encrypt>\n<MsgSignature><![CDATA[");
        out.push_str(sig);
        out.push_str("]]></MsgSignature>\n<TimeStamp>");
        xml::push_escaped(&mut out, timestamp);
        out.push_str("</TimeStamp>\n<Nonce>");
        xml::push_cdata(&mut out, nonce);
        out.push_str("</Nonce>\n</xml>");
        Ok(out)
    }
}

/// The passive-reply XML for an already encrypted and signed reply, in the
/// same byte form as [`CallbackCrypto::passive_reply`].
#[must_use]
pub fn reply_xml(encrypt: &str, msg_signature: &str, timestamp: &str, nonce: &str) -> String {
    let mut out = String::with_capacity(
        160_usize
            .saturating_add(encrypt.len())
            .saturating_add(msg_signature.len())
            .saturating_add(timestamp.len())
            .saturating_add(nonce.len()),
    );
    out.push_str("<xml>\n<Encrypt>");
    xml::push_cdata(&mut out, encrypt);
    out.push_str("</Encrypt>\n<MsgSignature>");
    xml::push_cdata(&mut out, msg_signature);
    out.push_str("</MsgSignature>\n<TimeStamp>");
    xml::push_escaped(&mut out, timestamp);
    out.push_str("</TimeStamp>\n<Nonce>");
    xml::push_cdata(&mut out, nonce);
    out.push_str("</Nonce>\n</xml>");
    out
}

/// The POST body WeCom sends to an app's callback URL (spec §1.6), on one
/// line like the official samples. `agent_id` is empty for third-party
/// 指令回调.
#[must_use]
pub fn envelope_xml(to_user_name: &str, encrypt: &str, agent_id: &str) -> String {
    let mut out = String::with_capacity(
        120_usize
            .saturating_add(to_user_name.len())
            .saturating_add(encrypt.len())
            .saturating_add(agent_id.len()),
    );
    out.push_str("<xml><ToUserName>");
    xml::push_cdata(&mut out, to_user_name);
    out.push_str("</ToUserName><Encrypt>");
    xml::push_cdata(&mut out, encrypt);
    out.push_str("</Encrypt><AgentID>");
    xml::push_cdata(&mut out, agent_id);
    out.push_str("</AgentID></xml>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wecom::xml::parse_envelope;
    use rand::rngs::StdRng;
    use rand::{Rng as _, SeedableRng as _};

    /// One callback vector from `shared/reference/wecom-vectors.json`,
    /// embedded so the tests do not depend on that file at run time.
    struct Vector {
        id: &'static str,
        token: &'static str,
        key: &'static str,
        rid: &'static str,
        ts: &'static str,
        nonce: &'static str,
        sig: &'static str,
        enc: &'static str,
        expect: Option<&'static str>,
    }

    const V1_TOKEN: &str = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo";
    const V1_KEY: &str = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";
    const V1_RID: &str = "ww1436e0e65a779aee";
    const V2_TOKEN: &str = "QDG6eK";
    const V2_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    const V2_RID: &str = "wx5823bf96d3bd56c7";
    const V5_TOKEN: &str = "123456";
    const V5_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
    const V5_RID: &str = "wx49f0ab532d5d035a";

    const V1A: Vector = Vector {
        id: "V1a",
        token: V1_TOKEN,
        key: V1_KEY,
        rid: V1_RID,
        ts: "1476416373",
        nonce: "47744683",
        sig: "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
        enc: "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
        expect: Some("1288432023552776189"),
    };
    const V1B: Vector = Vector {
        id: "V1b",
        token: V1_TOKEN,
        key: V1_KEY,
        rid: V1_RID,
        ts: "1476422779",
        nonce: "1597212914",
        sig: "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
        enc: "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+",
        expect: Some(
            "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>",
        ),
    };
    const V2A: Vector = Vector {
        id: "V2a",
        token: V2_TOKEN,
        key: V2_KEY,
        rid: V2_RID,
        ts: "1409659589",
        nonce: "263014780",
        sig: "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
        enc: "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
        expect: Some("1616140317555161061"),
    };
    const V2B: Vector = Vector {
        id: "V2b",
        token: V2_TOKEN,
        key: V2_KEY,
        rid: V2_RID,
        ts: "1409659813",
        nonce: "1372623149",
        sig: "477715d11cdb4164915debcba66cb864d751f3e6",
        enc: "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==",
        expect: Some(
            "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>",
        ),
    };
    const V5A: Vector = Vector {
        id: "V5a",
        token: V5_TOKEN,
        key: V5_KEY,
        rid: V5_RID,
        ts: "1411443780",
        nonce: "437374425",
        sig: "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
        enc: "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==",
        expect: None,
    };
    const V5B: Vector = Vector {
        id: "V5b",
        token: V5_TOKEN,
        key: V5_KEY,
        rid: V5_RID,
        ts: "1411525903",
        nonce: "461056294",
        sig: "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
        enc: "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=",
        expect: Some(
            "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<FromUserName><![CDATA[messense]]></FromUserName>\n<CreateTime>1411525903</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<MsgId>4363689963896700987</MsgId>\n<AgentID>1</AgentID>\n</xml>",
        ),
    };

    const CALLBACK_VECTORS: [&Vector; 6] = [&V1A, &V1B, &V2A, &V2B, &V5A, &V5B];

    /// Vector E1 (wechatpy `test_encrypt_message`).
    const E1_RANDOM: [u8; 16] = *b"1234567890123456";
    const E1_MSG: &str = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>";
    const E1_ENC: &str = "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3";
    const E1_TS: &str = "1411525903";
    const E1_NONCE: &str = "461056294";
    const E1_SIG: &str = "407518b7649e86ef23978113f92d27afa9296533";

    fn crypto_for(v: &Vector) -> CallbackCrypto {
        CallbackCrypto::new(v.token, v.key, v.rid).expect("vector key is valid")
    }

    fn v5() -> CallbackCrypto {
        crypto_for(&V5B)
    }

    /// Encrypts an arbitrary (already padded) plaintext, bypassing the
    /// well-formed layout that `encrypt` would produce.
    fn encrypt_raw_plaintext(key: &AesKey, mut plain: Vec<u8>) -> String {
        key.cbc_encrypt_in_place(&mut plain).expect("whole blocks");
        STANDARD.encode(plain)
    }

    /// Builds `random ‖ len ‖ msg ‖ rid` with a chosen length field and a
    /// chosen padding tail (which must make the total a multiple of 16).
    fn plaintext(len_field: u32, msg: &[u8], rid: &[u8], padding: &[u8]) -> Vec<u8> {
        let mut p = vec![0x5a; RANDOM_LEN];
        p.extend_from_slice(&len_field.to_be_bytes());
        p.extend_from_slice(msg);
        p.extend_from_slice(rid);
        p.extend_from_slice(padding);
        p
    }

    fn raw_decrypted_padding(key: &AesKey, enc: &str) -> u8 {
        let mut buf = STANDARD.decode(enc).expect("vector is base64");
        key.cbc_decrypt_in_place(&mut buf).expect("whole blocks");
        *buf.last().expect("non-empty")
    }

    #[test]
    fn every_callback_vector_verifies_decrypts_and_matches_its_receive_id() {
        for v in CALLBACK_VECTORS {
            assert_eq!(signature(v.token, v.ts, v.nonce, v.enc), v.sig, "{}", v.id);
            let c = crypto_for(v);
            let d = c
                .verify_and_decrypt(v.sig, v.ts, v.nonce, v.enc, &[v.rid])
                .unwrap_or_else(|e| panic!("{} failed: {e}", v.id));
            assert_eq!(d.receive_id, v.rid, "{}", v.id);
            if let Some(expect) = v.expect {
                assert_eq!(d.msg, expect, "{}", v.id);
            }
        }
    }

    #[test]
    fn vector_e1_encrypts_to_exactly_the_published_ciphertext() {
        let enc = v5()
            .encrypt_with_random(E1_MSG, E1_RANDOM)
            .expect("encrypts");
        assert_eq!(enc, E1_ENC);
        assert_eq!(signature(V5_TOKEN, E1_TS, E1_NONCE, &enc), E1_SIG);
    }

    #[test]
    fn vector_e1_passive_reply_is_byte_identical_to_wechatpy() {
        let expected = format!(
            "<xml>\n<Encrypt><![CDATA[{E1_ENC}]]></Encrypt>\n<MsgSignature><![CDATA[{E1_SIG}]]></MsgSignature>\n<TimeStamp>{E1_TS}</TimeStamp>\n<Nonce><![CDATA[{E1_NONCE}]]></Nonce>\n</xml>"
        );
        let reply = v5()
            .passive_reply_with_random(E1_MSG, E1_TS, E1_NONCE, E1_RANDOM)
            .expect("reply");
        assert_eq!(reply, expected);
        assert_eq!(reply_xml(E1_ENC, E1_SIG, E1_TS, E1_NONCE), expected);
    }

    #[test]
    fn passive_reply_with_fresh_randomness_decrypts_back_to_the_reply() {
        let c = v5();
        let reply = c.passive_reply(E1_MSG, E1_TS, E1_NONCE).expect("reply");
        let env = parse_envelope(reply.as_bytes()).expect("reply parses");
        assert_ne!(
            env.encrypt, E1_ENC,
            "a fresh random prefix changes the ciphertext"
        );
        let sig = c.signature(E1_TS, E1_NONCE, &env.encrypt);
        assert!(reply.contains(&format!("<MsgSignature><![CDATA[{sig}]]></MsgSignature>")));
        let d = c
            .verify_and_decrypt(&sig, E1_TS, E1_NONCE, &env.encrypt, &[V5_RID])
            .expect("decrypts");
        assert_eq!(d.msg, E1_MSG);
    }

    #[test]
    fn seal_with_the_e1_random_yields_the_e1_ciphertext_and_signature() {
        let sealed = v5()
            .seal(E1_MSG, E1_TS, E1_NONCE, E1_RANDOM)
            .expect("seals");
        assert_eq!(
            sealed,
            SealedEvent {
                msg_signature: E1_SIG.to_owned(),
                encrypt: E1_ENC.to_owned(),
            }
        );
    }

    #[test]
    fn a_sealed_event_in_an_envelope_round_trips_through_the_receiving_side() {
        let sender = CallbackCrypto::new("tok", V1_KEY, V1_RID).expect("key");
        let sealed = sender
            .seal(
                "<xml><Event>x</Event></xml>",
                "1700000000",
                "n0nce",
                random_prefix(),
            )
            .expect("seals");
        let body = envelope_xml(V1_RID, &sealed.encrypt, "1000002");
        assert_eq!(
            body,
            format!(
                "<xml><ToUserName><![CDATA[{V1_RID}]]></ToUserName><Encrypt><![CDATA[{}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>",
                sealed.encrypt
            )
        );
        let env = parse_envelope(body.as_bytes()).expect("parses");
        assert_eq!(env.to_user_name.as_deref(), Some(V1_RID));
        assert_eq!(env.agent_id.as_deref(), Some("1000002"));
        let d = sender
            .verify_and_decrypt(
                &sealed.msg_signature,
                "1700000000",
                "n0nce",
                &env.encrypt,
                &[V1_RID],
            )
            .expect("decrypts");
        assert_eq!(d.msg, "<xml><Event>x</Event></xml>");
    }

    #[test]
    fn the_official_v1b_post_body_parses_verifies_and_decrypts() {
        let body = format!(
            "<xml><ToUserName><![CDATA[{V1_RID}]]></ToUserName><Encrypt><![CDATA[{}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>",
            V1B.enc
        );
        let env = parse_envelope(body.as_bytes()).expect("parses");
        assert_eq!(env.encrypt, V1B.enc);
        let d = crypto_for(&V1B)
            .verify_and_decrypt(V1B.sig, V1B.ts, V1B.nonce, &env.encrypt, &[V1_RID])
            .expect("decrypts");
        assert_eq!(Some(d.msg.as_str()), V1B.expect);
    }

    #[test]
    fn a_wrong_nonce_fails_with_40001() {
        let c = crypto_for(&V5A);
        let err = c
            .verify_and_decrypt(V5A.sig, V5A.ts, "437374424", V5A.enc, &[V5_RID])
            .expect_err("must fail");
        assert_eq!(err, CallbackError::ValidateSignature);
        assert_eq!(err.code(), -40001);
    }

    #[test]
    fn decoding_the_echostr_url_twice_fails_with_40001() {
        // A second URL-decode turns every '+' of the base64 into a space.
        assert!(V1A.enc.contains('+'));
        let twice_decoded = V1A.enc.replace('+', " ");
        let err = crypto_for(&V1A)
            .verify_and_decrypt(V1A.sig, V1A.ts, V1A.nonce, &twice_decoded, &[V1_RID])
            .expect_err("must fail");
        assert_eq!(err.code(), -40001);
    }

    #[test]
    fn an_uppercase_or_truncated_signature_is_rejected() {
        let c = crypto_for(&V2A);
        let upper = V2A.sig.to_ascii_uppercase();
        assert_eq!(
            c.verify_signature(&upper, V2A.ts, V2A.nonce, V2A.enc),
            Err(CallbackError::ValidateSignature)
        );
        assert_eq!(
            c.verify_signature(&V2A.sig[..39], V2A.ts, V2A.nonce, V2A.enc),
            Err(CallbackError::ValidateSignature)
        );
        assert_eq!(
            c.verify_signature("", V2A.ts, V2A.nonce, V2A.enc),
            Err(CallbackError::ValidateSignature)
        );
        assert_eq!(
            c.verify_signature(V2A.sig, V2A.ts, V2A.nonce, V2A.enc),
            Ok(())
        );
    }

    #[test]
    fn a_wrong_receive_id_fails_with_40005_after_the_signature_passes() {
        let c = crypto_for(&V2B);
        let err = c
            .verify_and_decrypt(
                V2B.sig,
                V2B.ts,
                V2B.nonce,
                V2B.enc,
                &["ww_other_corp", "suite_x"],
            )
            .expect_err("must fail");
        assert_eq!(err.code(), -40005);
        // Any member of the accepted set is enough (corpid, suite_id, …).
        let d = c
            .verify_and_decrypt(V2B.sig, V2B.ts, V2B.nonce, V2B.enc, &["suite_x", V2_RID])
            .expect("accepted");
        assert_eq!(d.receive_id, V2_RID);
    }

    #[test]
    fn an_empty_accepted_list_fails_closed() {
        let c = crypto_for(&V2A);
        assert_eq!(
            c.decrypt_and_check(V2A.enc, &[]),
            Err(CallbackError::ValidateReceiveId)
        );
        // Plain decrypt is the deliberate way to skip the check.
        assert_eq!(c.decrypt(V2A.enc).expect("decrypts").receive_id, V2_RID);
    }

    #[test]
    fn server_paddings_of_22_and_30_decode() {
        let v1 = AesKey::from_encoding_aes_key(V1_KEY).expect("key");
        let v2 = AesKey::from_encoding_aes_key(V2_KEY).expect("key");
        assert_eq!(raw_decrypted_padding(&v1, V1B.enc), 22);
        assert_eq!(raw_decrypted_padding(&v2, V2B.enc), 30);
        assert_eq!(
            v1.decrypt(V1B.enc).expect("pad 22").msg,
            V1B.expect.unwrap_or_default()
        );
        assert_eq!(
            v2.decrypt(V2B.enc).expect("pad 30").msg,
            V2B.expect.unwrap_or_default()
        );
    }

    #[test]
    fn a_32_byte_aligned_message_round_trips_with_a_full_0x20_block() {
        let key = AesKey::from_encoding_aes_key(V5_KEY).expect("key");
        // Size the message so header + message + receive_id is exactly
        // 96 bytes (3 × 32): PKCS#7 must then add a whole 32-byte block.
        let msg = "a".repeat(96 - HEADER_LEN - V5_RID.len());
        let enc = key.encrypt(&msg, V5_RID).expect("encrypts");
        let mut raw = STANDARD.decode(&enc).expect("base64");
        assert_eq!(raw.len(), 96 + 32);
        key.cbc_decrypt_in_place(&mut raw).expect("decrypts");
        assert!(raw[96..].iter().all(|&b| b == 0x20));
        let d = key.decrypt(&enc).expect("round trips");
        assert_eq!(
            (d.msg.as_str(), d.receive_id.as_str()),
            (msg.as_str(), V5_RID)
        );
    }

    #[test]
    fn padding_bytes_of_0_or_33_fail_with_40008() {
        let key = AesKey::from_encoding_aes_key(V5_KEY).expect("key");
        // Body 20 + 4 + 2 = 26 bytes; six padding bytes make 32.
        for pad in [0u8, 33, 0xff] {
            let enc = encrypt_raw_plaintext(&key, plaintext(4, b"abcd", b"rd", &[pad; 6]));
            assert_eq!(
                key.decrypt(&enc).map_err(CallbackError::code),
                Err(-40008),
                "pad {pad}"
            );
        }
        // A pad larger than the whole buffer is just as illegal.
        let enc = encrypt_raw_plaintext(&key, vec![16; 16]);
        assert_eq!(key.decrypt(&enc), Err(CallbackError::IllegalBuffer));
    }

    #[test]
    fn padding_whose_bytes_disagree_fails_with_40008() {
        let key = AesKey::from_encoding_aes_key(V5_KEY).expect("key");
        let enc = encrypt_raw_plaintext(&key, plaintext(4, b"abcd", b"rd", &[6, 6, 6, 7, 6, 6]));
        assert_eq!(key.decrypt(&enc), Err(CallbackError::IllegalBuffer));
        let ok = encrypt_raw_plaintext(&key, plaintext(4, b"abcd", b"rd", &[6; 6]));
        assert_eq!(key.decrypt(&ok).expect("valid").receive_id, "rd");
    }

    #[test]
    fn truncated_misaligned_empty_or_bad_base64_ciphertext_fails_with_40007() {
        let key = AesKey::from_encoding_aes_key(V5_KEY).expect("key");
        let full = V5B.enc;
        let cases = [
            // Cut by 4 chars: still valid base64, but 3 bytes short of a block.
            full[..full.len() - 4].to_owned(),
            // Cut by 1 char: no longer valid base64.
            full[..full.len() - 1].to_owned(),
            // Valid base64 of 15 bytes.
            STANDARD.encode([0u8; 15]),
            String::new(),
            format!("{full}!"),
            full.replace('+', "-"),
            // Missing '=' padding is not standard base64.
            V5A.enc.trim_end_matches('=').to_owned(),
            // Whitespace inside is rejected, not skipped.
            format!(" {full}"),
        ];
        for case in &cases {
            assert_eq!(
                key.decrypt(case).map_err(CallbackError::code),
                Err(-40007),
                "{case:?}"
            );
        }
    }

    #[test]
    fn a_length_field_beyond_the_buffer_fails_with_40008() {
        let key = AesKey::from_encoding_aes_key(V5_KEY).expect("key");
        for len in [7, 1000, u32::MAX] {
            let enc = encrypt_raw_plaintext(&key, plaintext(len, b"abcd", b"rd", &[6; 6]));
            assert_eq!(
                key.decrypt(&enc),
                Err(CallbackError::IllegalBuffer),
                "len {len}"
            );
        }
        // Exactly filling the body (empty receive_id) is fine.
        let enc = encrypt_raw_plaintext(&key, plaintext(6, b"abcdrd", b"", &[6; 6]));
        let d = key.decrypt(&enc).expect("valid");
        assert_eq!((d.msg.as_str(), d.receive_id.as_str()), ("abcdrd", ""));
    }

    #[test]
    fn a_plaintext_shorter_than_its_header_fails_with_40008() {
        let key = AesKey::from_encoding_aes_key(V5_KEY).expect("key");
        let mut plain = vec![0x41; 16];
        plain.extend_from_slice(&[16; 16]);
        let enc = encrypt_raw_plaintext(&key, plain);
        assert_eq!(key.decrypt(&enc), Err(CallbackError::IllegalBuffer));
    }

    #[test]
    fn a_non_utf8_message_or_receive_id_fails_with_40008() {
        let key = AesKey::from_encoding_aes_key(V5_KEY).expect("key");
        let bad_msg = encrypt_raw_plaintext(&key, plaintext(4, b"ab\xffd", b"rd", &[6; 6]));
        assert_eq!(key.decrypt(&bad_msg), Err(CallbackError::IllegalBuffer));
        let bad_rid = encrypt_raw_plaintext(&key, plaintext(4, b"abcd", b"r\xc3", &[6; 6]));
        assert_eq!(key.decrypt(&bad_rid), Err(CallbackError::IllegalBuffer));
    }

    #[test]
    fn lenient_key_decoding_accepts_a_last_char_with_trailing_bits() {
        // The vector keys end in chars with non-zero unused low bits, which
        // a strict decoder refuses.
        for key in [V1_KEY, V2_KEY, V5_KEY] {
            assert!(
                STANDARD.decode(format!("{key}=")).is_err(),
                "{key} is strict-invalid"
            );
            assert!(AesKey::from_encoding_aes_key(key).is_ok(), "{key}");
        }
        // 'A'..'D' differ only in the two ignored bits: same key.
        let base = &V5_KEY[..42];
        let keys: Vec<[u8; 32]> = ["A", "B", "C", "D"]
            .iter()
            .map(|last| {
                AesKey::from_encoding_aes_key(&format!("{base}{last}"))
                    .expect("lenient")
                    .raw
            })
            .collect();
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
        let e = AesKey::from_encoding_aes_key(&format!("{base}E"))
            .expect("lenient")
            .raw;
        assert_ne!(keys[0], e);
    }

    #[test]
    fn keys_of_42_or_44_chars_or_with_non_alphanumerics_fail_with_40004() {
        let cases = [
            V5_KEY[..42].to_owned(),
            format!("{V5_KEY}A"),
            format!("{V5_KEY}="),
            format!("{}+", &V5_KEY[..42]),
            format!("{}/", &V5_KEY[..42]),
            format!("{}=", &V5_KEY[..42]),
            format!("{} ", &V5_KEY[..42]),
            // 43 chars but 44 bytes: a non-ASCII char must not slip through.
            format!("{}é", &V5_KEY[..41]),
            String::new(),
        ];
        for case in &cases {
            let err = AesKey::from_encoding_aes_key(case).expect_err(case);
            assert_eq!(err.code(), -40004, "{case:?}");
            assert!(CallbackCrypto::new("t", case, "r").is_err());
        }
    }

    #[test]
    fn the_encoding_aes_key_form_round_trips() {
        let key = AesKey::from_bytes([7; 32]);
        let text = key.to_encoding_aes_key();
        assert_eq!(text.len(), 43);
        assert_eq!(
            AesKey::from_encoding_aes_key(&text).expect("valid").raw,
            [7; 32]
        );
    }

    #[test]
    fn encrypt_then_decrypt_round_trips_messages_of_many_lengths() {
        let c = CallbackCrypto::new("token", V1_KEY, V1_RID).expect("key");
        let mut rng = StdRng::seed_from_u64(0x5eed);
        for len in 0..=200 {
            let msg: String = (0..len)
                .map(|_| char::from(rng.random_range(b' '..=b'~')))
                .collect();
            let enc = c.encrypt(&msg).expect("encrypts");
            let raw_len = STANDARD.decode(&enc).expect("base64").len();
            assert_eq!(raw_len % PAD_BLOCK, 0, "len {len}");
            let d = c.decrypt_and_check(&enc, &[V1_RID]).expect("decrypts");
            assert_eq!(d.msg, msg, "len {len}");
        }
        for msg in [
            "你好",
            "企业微信回调：客户「张三」添加了标签🙂",
            &"中".repeat(100),
        ] {
            let enc = c.encrypt(msg).expect("encrypts");
            assert_eq!(c.decrypt(&enc).expect("decrypts").msg, msg);
        }
        // Non-ASCII receive ids survive too.
        let key = AesKey::from_encoding_aes_key(V2_KEY).expect("key");
        let enc = key.encrypt("m", "接收方").expect("encrypts");
        assert_eq!(key.decrypt(&enc).expect("decrypts").receive_id, "接收方");
    }

    #[test]
    fn retries_of_the_same_event_share_a_dedupe_key() {
        let c = v5();
        let a = c.decrypt(&c.encrypt(E1_MSG).expect("enc")).expect("dec");
        let b = c.decrypt(&c.encrypt(E1_MSG).expect("enc")).expect("dec");
        assert_eq!(a.dedupe_key(), b.dedupe_key());
        assert_eq!(a.dedupe_key_hex().len(), 64);
        let other = c.decrypt(&c.encrypt("<xml/>").expect("enc")).expect("dec");
        assert_ne!(a.dedupe_key(), other.dedupe_key());
    }

    #[test]
    fn debug_output_never_shows_the_key_or_token() {
        let c = CallbackCrypto::new(V1_TOKEN, V1_KEY, V1_RID).expect("key");
        let shown = format!("{c:?} {:?}", c.key());
        assert!(!shown.contains(V1_TOKEN));
        assert!(!shown.contains(&V1_KEY[..8]));
        assert!(!shown.contains(&format!("{:?}", c.key().raw)));
        assert!(shown.contains("redacted"));
        assert!(shown.contains(V1_RID));
    }

    #[test]
    fn the_signature_sorts_its_inputs_bytewise() {
        // Any argument order gives the same digest, as only the sorted
        // concatenation is hashed.
        let s = signature("b", "a", "c", "A");
        assert_eq!(s, signature("A", "a", "b", "c"));
        let expected = Sha1::digest(b"Aabc");
        assert_eq!(s, hex::encode(expected));
    }

    #[test]
    fn random_bytes_never_make_decrypt_panic() {
        let key = AesKey::from_encoding_aes_key(V1_KEY).expect("key");
        let mut rng = StdRng::seed_from_u64(40007);
        for i in 0..3000 {
            let len = rng.random_range(0..200);
            let mut bytes = vec![0u8; len];
            rng.fill_bytes(&mut bytes);
            // Raw garbage as text (mostly rejected by base64) …
            let _ = key.decrypt(&String::from_utf8_lossy(&bytes));
            // … valid base64 of garbage (exercises AES, padding, lengths) …
            let _ = key.decrypt(&STANDARD.encode(&bytes));
            // … and garbage with valid padding, so the layout parser sees
            // random length fields.
            let blocks = len / 16 + 1;
            let mut plain = vec![0u8; blocks * 16];
            rng.fill_bytes(&mut plain);
            let pad = u8::try_from(i % 16 + 1).expect("small");
            let n = plain.len();
            plain[n - usize::from(pad)..].fill(pad);
            let _ = key.decrypt(&encrypt_raw_plaintext(&key, plain));
        }
    }
}
