//! Back-office passwords: argon2id hashes (the `argon2` crate's defaults), and generated
//! passwords for accounts created from the command line.

use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::error::{AppError, AppResult};

pub const MIN_LENGTH: usize = 8;
const MAX_LENGTH: usize = 128;

/// A hash for `password` after checking it is acceptable.
pub fn hash(password: &str) -> AppResult<String> {
    let length = password.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Err(AppError::Validation(format!(
            "密码长度应为{MIN_LENGTH}到{MAX_LENGTH}个字符"
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches `hash`; a malformed stored hash matches nothing.
pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time a real verification takes, so a phone number nobody uses cannot be told from
/// one with a wrong password by how fast the answer comes.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("a password nobody has").unwrap_or_default());
    let _ = verify(password, dummy);
}

/// 16 letters and digits, for accounts created without a chosen password.
pub fn generate() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("correct hors", &h));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused_in_chinese() {
        assert!(matches!(hash("short"), Err(AppError::Validation(m)) if m.contains("密码长度")));
        assert_eq!(generate().len(), 16);
    }
}
