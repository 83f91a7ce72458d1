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

/// What the database said of one session, and until when it may be believed.
struct Entry {
    employee: CurrentEmployee,
    read_at: DateTime<Utc>,
    trusted_until: DateTime<Utc>,
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
    pub fn get(
        &self,
        kind: web_session::Kind,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Option<CurrentEmployee> {
        let mut entries = self.entries.lock().ok()?;
        let key = (kind, session_id.to_owned());
        let entry = entries.get(&key)?;
        if entry.read_at <= now && now < entry.trusted_until {
            Some(entry.employee.clone())
        } else {
            entries.pop(&key);
            None
        }
    }

    /// Remembers a session read at `read_at`; `good_until` is when the session itself needs the
    /// database again (its idle expiry, its lifetime, the next extension of its expiry). It is
    /// trusted until then, and for [`TTL`] at most.
    pub fn put(
        &self,
        kind: web_session::Kind,
        employee: CurrentEmployee,
        read_at: DateTime<Utc>,
        good_until: DateTime<Utc>,
    ) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.put(
                (kind, employee.session_id.clone()),
                Entry {
                    employee,
                    read_at,
                    trusted_until: good_until.min(read_at + TTL),
                },
            );
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::entities::employee;
    use crate::domain::permissions::Permissions;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + seconds, 0).unwrap_or_default()
    }

    fn employee(session: &str, employee_id: i64) -> CurrentEmployee {
        CurrentEmployee {
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
            last_seen_at: at(100),
        }
    }

    const SIDEBAR: web_session::Kind = web_session::Kind::Sidebar;

    #[test]
    fn an_entry_is_trusted_for_the_ttl_only() {
        let cache = SessionCache::default();
        cache.put(SIDEBAR, employee("s1", 7), at(100), at(10_000));
        assert!(cache.get(SIDEBAR, "s1", at(100)).is_some());
        assert!(cache.get(SIDEBAR, "s1", at(104)).is_some());
        assert!(cache.get(SIDEBAR, "s1", at(105)).is_none());
        // Dropped once stale, so a later clock going back does not revive it.
        assert!(cache.get(SIDEBAR, "s1", at(101)).is_none());
        // Another kind of session with the same id is not this one.
        cache.put(SIDEBAR, employee("s1", 7), at(100), at(10_000));
        assert!(cache.get(web_session::Kind::Admin, "s1", at(100)).is_none());
        // A clock earlier than the read does not trust it either.
        assert!(cache.get(SIDEBAR, "s1", at(99)).is_none());
    }

    #[test]
    fn an_entry_is_not_trusted_once_the_session_needs_the_database() {
        let cache = SessionCache::default();
        cache.put(SIDEBAR, employee("s1", 7), at(100), at(102));
        assert!(cache.get(SIDEBAR, "s1", at(101)).is_some());
        assert!(cache.get(SIDEBAR, "s1", at(102)).is_none());
    }

    #[test]
    fn forgetting_an_employee_or_a_session_leaves_the_others() {
        let cache = SessionCache::default();
        for (kind, session, id) in [
            (SIDEBAR, "a", 7),
            (web_session::Kind::Admin, "b", 7),
            (SIDEBAR, "c", 8),
            (SIDEBAR, "d", 9),
        ] {
            cache.put(kind, employee(session, id), at(100), at(10_000));
        }
        cache.forget_employee(1, 7);
        cache.forget_session("d");
        assert!(cache.get(SIDEBAR, "a", at(100)).is_none());
        assert!(cache.get(web_session::Kind::Admin, "b", at(100)).is_none());
        assert!(cache.get(SIDEBAR, "d", at(100)).is_none());
        assert!(cache.get(SIDEBAR, "c", at(100)).is_some());
    }
}
