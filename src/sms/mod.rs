//! Sending SMS verification codes. Employees bind their WeCom account to their employee record
//! with a phone number and a code (WeCom does not give newer apps members' phone numbers).

mod log_sender;
pub mod outbox;
mod tencent;

use std::sync::Arc;

pub use log_sender::LogSmsSender;
pub use tencent::TencentSmsSender;

use crate::config::{SmsProvider, SmsSettings};
use crate::domain::clock::Clock;

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("SMS provider refused the message: {code} {message}")]
    Rejected { code: String, message: String },
    #[error("SMS provider unreachable: {0}")]
    Transport(String),
}

#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends `code`, valid for `valid_minutes`, to a mainland mobile number (11 digits).
    async fn send_code(&self, phone: &str, code: &str, valid_minutes: u32) -> Result<(), SmsError>;
}

pub fn from_settings(settings: &SmsSettings, clock: Arc<dyn Clock>) -> Arc<dyn SmsSender> {
    match settings.provider {
        SmsProvider::Log => Arc::new(LogSmsSender),
        SmsProvider::Tencent => Arc::new(TencentSmsSender::new(settings.clone(), clock)),
    }
}

/// `138****5678`: enough to tell numbers apart in a log, not enough to use.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "***".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_in_the_middle() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("123"), "***");
    }
}
