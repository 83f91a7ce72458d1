//! Development sender: writes the code to the log instead of sending it. Demo mode also shows
//! the code on the binding page, since nobody receives a text.

use super::{SmsError, SmsSender, mask_phone};

pub struct LogSmsSender;

#[async_trait::async_trait]
impl SmsSender for LogSmsSender {
    async fn send_code(&self, phone: &str, code: &str, valid_minutes: u32) -> Result<(), SmsError> {
        tracing::info!(
            phone = %mask_phone(phone),
            code,
            valid_minutes,
            "SMS verification code (development sender: not sent)"
        );
        Ok(())
    }
}
