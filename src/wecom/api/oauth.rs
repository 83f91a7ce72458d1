//! Web sign-in: `auth/getuserinfo` turns an OAuth code into who opened the page.

use std::fmt;

use serde::Deserialize;

/// Who opened the page, from `auth/getuserinfo`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "OAuthIdentityRaw")]
pub enum OAuthIdentity {
    /// A member of the corp. `user_ticket` is only returned for
    /// `snsapi_privateinfo` and is a credential (Debug redacts it).
    Member {
        userid: String,
        user_ticket: Option<String>,
    },
    /// Someone outside the corp; `external_userid` only when they are a
    /// customer of the corp.
    NonMember {
        openid: String,
        external_userid: Option<String>,
    },
}

impl OAuthIdentity {
    pub fn userid(&self) -> Option<&str> {
        match self {
            Self::Member { userid, .. } => Some(userid),
            Self::NonMember { .. } => None,
        }
    }
}

impl fmt::Debug for OAuthIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Member {
                userid,
                user_ticket,
            } => f
                .debug_struct("Member")
                .field("userid", userid)
                .field("user_ticket", &user_ticket.as_ref().map(|_| "<redacted>"))
                .finish(),
            Self::NonMember {
                openid,
                external_userid,
            } => f
                .debug_struct("NonMember")
                .field("openid", openid)
                .field("external_userid", external_userid)
                .finish(),
        }
    }
}

/// Wire shape. The capitalised aliases are the old `user/getuserinfo`
/// spelling, accepted so a sandbox replaying old fixtures still works.
#[derive(Deserialize)]
struct OAuthIdentityRaw {
    #[serde(default, alias = "UserId")]
    userid: Option<String>,
    #[serde(default)]
    user_ticket: Option<String>,
    #[serde(default, alias = "OpenId")]
    openid: Option<String>,
    #[serde(default)]
    external_userid: Option<String>,
}

impl TryFrom<OAuthIdentityRaw> for OAuthIdentity {
    type Error = &'static str;

    fn try_from(raw: OAuthIdentityRaw) -> Result<Self, Self::Error> {
        let non_empty = |s: Option<String>| s.filter(|v| !v.is_empty());
        if let Some(userid) = non_empty(raw.userid) {
            Ok(Self::Member {
                userid,
                user_ticket: non_empty(raw.user_ticket),
            })
        } else if let Some(openid) = non_empty(raw.openid) {
            Ok(Self::NonMember {
                openid,
                external_userid: non_empty(raw.external_userid),
            })
        } else {
            Err("response has neither userid nor openid")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_member_and_non_member() {
        let m: OAuthIdentity = serde_json::from_str(
            r#"{"errcode":0,"errmsg":"ok","userid":"zhangsan","user_ticket":"T"}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            OAuthIdentity::Member {
                userid: "zhangsan".into(),
                user_ticket: Some("T".into())
            }
        );
        assert!(!format!("{m:?}").contains("\"T\""));
        let n: OAuthIdentity =
            serde_json::from_str(r#"{"openid":"o1","external_userid":"wm1"}"#).unwrap();
        assert_eq!(
            n,
            OAuthIdentity::NonMember {
                openid: "o1".into(),
                external_userid: Some("wm1".into())
            }
        );
        let legacy: OAuthIdentity = serde_json::from_str(r#"{"UserId":"lisi"}"#).unwrap();
        assert_eq!(legacy.userid(), Some("lisi"));
        assert!(serde_json::from_str::<OAuthIdentity>(r#"{"errcode":0}"#).is_err());
    }
}
