//! Keys of our own: the session-signing key and the master key that encrypts stored secrets
//! (WeCom app secrets, callback tokens and keys, cached access tokens).
//!
//! When the configuration leaves a key empty it is generated once and kept in a file under the
//! data directory (readable by the owner only), with a warning: a multi-instance deployment must
//! configure the same keys on every instance instead.

use std::fmt;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use crate::config::Secret;

const SEALED_PREFIX: &str = "v1:";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("security.{name} must be base64 of {expected} bytes")]
    BadLength { name: String, expected: String },
    #[error("cannot use key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("stored secret cannot be decrypted (wrong master key?)")]
    Undecryptable,
}

/// Loads `configured` (base64), or the key file `data_dir/<name>`, or creates that file.
pub fn load_or_create_key(
    configured: &Secret,
    data_dir: &Path,
    name: &str,
    min_len: usize,
    max_len: usize,
) -> Result<Vec<u8>, KeyError> {
    let bad_length = || KeyError::BadLength {
        name: name.to_string(),
        expected: if min_len == max_len {
            min_len.to_string()
        } else {
            format!("at least {min_len}")
        },
    };
    let check = |bytes: Vec<u8>| {
        if bytes.len() < min_len || bytes.len() > max_len {
            Err(bad_length())
        } else {
            Ok(bytes)
        }
    };
    if !configured.is_empty() {
        let bytes = STANDARD
            .decode(configured.expose().trim())
            .map_err(|_| bad_length())?;
        return check(bytes);
    }
    let path = data_dir.join(name);
    let io_err = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(io_err)?;
        let bytes = STANDARD.decode(text.trim()).map_err(|_| bad_length())?;
        return check(bytes);
    }
    std::fs::create_dir_all(data_dir).map_err(io_err)?;
    let mut bytes = vec![0u8; min_len.max(32)];
    rand::rng().fill_bytes(&mut bytes);
    write_private(&path, &STANDARD.encode(&bytes)).map_err(io_err)?;
    tracing::warn!(
        file = %path.display(),
        "security.{name} is not configured: generated one and kept it in this file; \
         back it up, and configure it explicitly when running several instances"
    );
    Ok(bytes)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// Encrypts secrets for storage with AES-256-GCM under the master key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

impl SecretBox {
    /// The box for the configured master key (or the one kept under the data directory).
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Self, KeyError> {
        let key = load_or_create_key(
            &settings.security.master_key,
            &settings.server.data_dir,
            "master_key",
            32,
            32,
        )?;
        Self::new(&key)
    }

    pub fn new(master_key: &[u8]) -> Result<Self, KeyError> {
        let cipher = Aes256Gcm::new_from_slice(master_key).map_err(|_| KeyError::BadLength {
            name: "master_key".into(),
            expected: "32".into(),
        })?;
        Ok(Self { cipher })
    }

    /// `v1:` + base64(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and a 12-byte nonce cannot fail for inputs under 64 GiB.
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}", STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<Secret, KeyError> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(KeyError::Undecryptable)?;
        let bytes = STANDARD.decode(body).map_err(|_| KeyError::Undecryptable)?;
        if bytes.len() < 12 + 16 {
            return Err(KeyError::Undecryptable);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| KeyError::Undecryptable)?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| KeyError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_round_trip_and_differ_each_time() {
        let sb = SecretBox::new(&[7u8; 32]).unwrap();
        let a = sb.seal("corp-secret");
        let b = sb.seal("corp-secret");
        assert_ne!(a, b, "a fresh nonce per seal");
        assert!(!a.contains("corp-secret"));
        assert_eq!(sb.open(&a).unwrap().expose(), "corp-secret");
    }

    #[test]
    fn a_different_master_key_cannot_open() {
        let sealed = SecretBox::new(&[1u8; 32]).unwrap().seal("x");
        let other = SecretBox::new(&[2u8; 32]).unwrap();
        assert!(matches!(other.open(&sealed), Err(KeyError::Undecryptable)));
        assert!(matches!(
            other.open("garbage"),
            Err(KeyError::Undecryptable)
        ));
        assert!(matches!(
            other.open("v1:AAAA"),
            Err(KeyError::Undecryptable)
        ));
    }

    #[test]
    fn generated_keys_are_kept_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = Secret::default();
        let first = load_or_create_key(&empty, dir.path(), "master_key", 32, 32).unwrap();
        let second = load_or_create_key(&empty, dir.path(), "master_key", 32, 32).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 32);
    }

    #[test]
    fn configured_keys_must_have_the_right_length() {
        let dir = tempfile::tempdir().unwrap();
        let short = Secret::new(STANDARD.encode([0u8; 16]));
        assert!(load_or_create_key(&short, dir.path(), "master_key", 32, 32).is_err());
        let ok = Secret::new(STANDARD.encode([9u8; 32]));
        assert_eq!(
            load_or_create_key(&ok, dir.path(), "master_key", 32, 32).unwrap(),
            vec![9u8; 32]
        );
    }
}
