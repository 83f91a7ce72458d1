//! Sessions recently read from the database, so the burst of requests a sidebar visit makes (the
//! panel, then each section the manager opens, then a compose and a send) reads its session once.
//!
//! An entry is trusted for [`TTL`] at most, and never past the session's idle expiry, its absolute
//! lifetime or the minute after which its expiry must be extended in the database. Signing out
//! and every change to an employee made on this instance (permissions, role, data scope,
//! disabling, removing, unbinding) forget the entries concerned at once; another instance sees such
//! a change within [`TTL`].

use std::num::NonZeroUsize;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use lru::LruCache;

use crate::db::entities::web_session;
use crate::services::sessions::CurrentEmployee;

/// How long a session read from the database is trusted without asking again.
pub const TTL: Duration = Duration::seconds(5);
/// Bound on remembered sessions (a few hundred bytes each).
const CAPACITY: usize = 4_096;

/// What the database said of one session, and when.
#[derive(Clone, Debug)]
pub struct Entry {
    pub employee: CurrentEmployee,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub read_at: DateTime<Utc>,
}

pub struct SessionCache {
    entries: Mutex<LruCache<(web_session::Kind, String), Entry>>,
}

impl Default for SessionCache {
    fn default() -> Self {
        Self {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl SessionCache {
    /// The cached employee of this session, while the entry may still be trusted at `now`.
    /// `lifetime` is the session's absolute lifetime and `touch_every` how often its expiry is
    /// extended: an entry due for either is left to the database.
    pub fn get(
        &self,
        kind: web_session::Kind,
        session_id: &str,
        now: DateTime<Utc>,
        lifetime: Duration,
        touch_every: Duration,
    ) -> Option<CurrentEmployee> {
        let mut entries = self.entries.lock().ok()?;
        let key = (kind, session_id.to_owned());
        let entry = entries.get(&key)?;
        let fresh = entry.read_at <= now
            && now - entry.read_at < TTL
            && now < entry.expires_at
            && now - entry.created_at < lifetime
            && now - entry.employee.last_seen_at < touch_every;
        if fresh {
            Some(entry.employee.clone())
        } else {
            entries.pop(&key);
            None
        }
    }

    pub fn put(&self, kind: web_session::Kind, entry: Entry) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.put((kind, entry.employee.session_id.clone()), entry);
        }
    }

    /// Forgets one session (signed out here).
    pub fn forget_session(&self, session_id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            for kind in [web_session::Kind::Sidebar, web_session::Kind::Admin] {
                entries.pop(&(kind, session_id.to_owned()));
            }
        }
    }

    /// Forgets every session of an employee, after a change to them was committed here.
    pub fn forget_employee(&self, firm_id: i64, employee_id: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            let gone: Vec<_> = entries
                .iter()
                .filter(|(_, e)| {
                    e.employee.firm_id == firm_id && e.employee.employee_id == employee_id
                })
                .map(|(key, _)| key.clone())
                .collect();
            for key in gone {
                entries.pop(&key);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::entities::employee;
    use crate::domain::permissions::Permissions;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + seconds, 0).unwrap_or_default()
    }

    fn entry(session: &str, employee_id: i64, read_at: DateTime<Utc>) -> Entry {
        Entry {
            employee: CurrentEmployee {
                session_id: session.into(),
                firm_id: 1,
                corp_id: "ww1".into(),
                firm_name: "代账".into(),
                employee_id,
                name: "张三".into(),
                role: employee::Role::Staff,
                wecom_userid: Some("zhangsan".into()),
                permissions: Permissions::everything(),
                data_scope: employee::DataScope::Own,
                last_seen_at: read_at,
            },
            created_at: at(0),
            expires_at: read_at + Duration::days(7),
            read_at,
        }
    }

    const LIFE: Duration = Duration::days(30);
    const TOUCH: Duration = Duration::minutes(1);

    #[test]
    fn an_entry_is_trusted_for_the_ttl_only() {
        let cache = SessionCache::default();
        let kind = web_session::Kind::Sidebar;
        cache.put(kind, entry("s1", 7, at(100)));
        assert!(cache.get(kind, "s1", at(100), LIFE, TOUCH).is_some());
        assert!(cache.get(kind, "s1", at(104), LIFE, TOUCH).is_some());
        assert!(cache.get(kind, "s1", at(105), LIFE, TOUCH).is_none());
        // Dropped once stale, so a later clock going back does not revive it.
        assert!(cache.get(kind, "s1", at(101), LIFE, TOUCH).is_none());
        // Another kind of session with the same id is not this one.
        cache.put(kind, entry("s1", 7, at(100)));
        assert!(
            cache
                .get(web_session::Kind::Admin, "s1", at(100), LIFE, TOUCH)
                .is_none()
        );
        // A clock earlier than the read does not trust it either.
        assert!(cache.get(kind, "s1", at(99), LIFE, TOUCH).is_none());
    }

    #[test]
    fn an_entry_is_not_trusted_past_expiry_lifetime_or_the_touch() {
        let cache = SessionCache::default();
        let kind = web_session::Kind::Sidebar;
        let mut e = entry("s1", 7, at(100));
        e.expires_at = at(102);
        cache.put(kind, e);
        assert!(cache.get(kind, "s1", at(102), LIFE, TOUCH).is_none());

        cache.put(kind, entry("s2", 7, at(100)));
        assert!(
            cache
                .get(kind, "s2", at(101), Duration::seconds(101), TOUCH)
                .is_none()
        );

        let mut e = entry("s3", 7, at(100));
        e.employee.last_seen_at = at(41);
        cache.put(kind, e);
        assert!(cache.get(kind, "s3", at(101), LIFE, TOUCH).is_none());
    }

    #[test]
    fn forgetting_an_employee_or_a_session_leaves_the_others() {
        let cache = SessionCache::default();
        let kind = web_session::Kind::Sidebar;
        cache.put(kind, entry("a", 7, at(100)));
        cache.put(web_session::Kind::Admin, entry("b", 7, at(100)));
        cache.put(kind, entry("c", 8, at(100)));
        cache.put(kind, entry("d", 9, at(100)));
        cache.forget_employee(1, 7);
        cache.forget_session("d");
        assert_eq!(cache.len(), 1);
        assert!(cache.get(kind, "c", at(100), LIFE, TOUCH).is_some());
    }
}
