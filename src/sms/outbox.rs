//! Demo mode's outbox: codes are still handed to the configured sender, and the last few are kept
//! so the sandbox page can show a newcomer the code to type (nobody receives a text in the demo).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::{SmsError, SmsSender};
use crate::domain::clock::Clock;

/// Codes kept; older ones are dropped.
const KEPT: usize = 20;

#[derive(Clone, Debug)]
pub struct SentCode {
    pub phone: String,
    pub code: String,
    pub sent_at: DateTime<Utc>,
}

pub struct Outbox {
    inner: Arc<dyn SmsSender>,
    clock: Arc<dyn Clock>,
    sent: Mutex<VecDeque<SentCode>>,
}

impl Outbox {
    pub fn new(inner: Arc<dyn SmsSender>, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            clock,
            sent: Mutex::new(VecDeque::with_capacity(KEPT)),
        }
    }

    /// The kept codes, newest first.
    pub fn recent(&self) -> Vec<SentCode> {
        self.sent
            .lock()
            .map(|sent| sent.iter().rev().cloned().collect())
            .unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl SmsSender for Outbox {
    async fn send_code(&self, phone: &str, code: &str, valid_minutes: u32) -> Result<(), SmsError> {
        self.inner.send_code(phone, code, valid_minutes).await?;
        if let Ok(mut sent) = self.sent.lock() {
            if sent.len() == KEPT {
                sent.pop_front();
            }
            sent.push_back(SentCode {
                phone: phone.to_string(),
                code: code.to_string(),
                sent_at: self.clock.now(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::ManualClock;
    use crate::sms::LogSmsSender;

    #[tokio::test]
    async fn keeps_the_last_codes_newest_first() {
        let clock = ManualClock::new(DateTime::UNIX_EPOCH);
        let outbox = Outbox::new(Arc::new(LogSmsSender), Arc::new(clock));
        for i in 0..25 {
            outbox
                .send_code(&format!("138000000{i:02}"), &format!("{i:06}"), 5)
                .await
                .unwrap();
        }
        let recent = outbox.recent();
        assert_eq!(recent.len(), KEPT);
        assert_eq!(recent[0].code, "000024");
        assert_eq!(recent[KEPT - 1].code, "000005");
    }
}
