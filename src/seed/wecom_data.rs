//! The WeCom side of a seeded firm: members, external contacts with their follow infos, customer
//! group chats and corp tags, as plain data.
//!
//! The database seeder writes exactly this data into the WeCom mirror tables, and the WeCom
//! sandbox serves the same data through the API without a database, so both sides agree on
//! every id. Times are Unix seconds, as the WeCom API returns them.

use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use serde::Serialize;

use super::dates::{add_days, add_minutes, before, office_time};
use super::names::{INDUSTRIES, honorific};
use super::rng::{
    ALNUM, ID_CHARS, STREAM_SECRETS, STREAM_WECOM, SeedRng, between, chance, pick, stream, token,
    weighted,
};
use super::roster::{ContactRole, LEVEL_TAGS, Roster, SOURCES, StaffRole};
use super::{Profile, roster};

/// Everything the WeCom sandbox needs to impersonate the firm's corp.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WecomDataset {
    pub corp_id: String,
    pub corp_name: String,
    pub corp_short_name: String,
    pub app: WecomAppData,
    pub departments: Vec<WecomDepartment>,
    pub members: Vec<WecomMember>,
    pub external_contacts: Vec<WecomExternalContact>,
    pub group_chats: Vec<WecomGroupChat>,
    pub tag_groups: Vec<WecomTagGroup>,
}

/// The self-built sidebar app and its callback credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WecomAppData {
    pub agent_id: String,
    pub name: String,
    /// 43 characters of [A-Za-z0-9_-], like a real app secret.
    pub secret: String,
    /// Callback token: 32 alphanumerics.
    pub token: String,
    /// Callback EncodingAESKey: 43 alphanumerics.
    pub encoding_aes_key: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WecomDepartment {
    pub id: u32,
    pub name: String,
    pub parent_id: u32,
    pub order: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WecomMember {
    pub userid: String,
    pub name: String,
    /// The phone the member registered with (WeCom reveals it only to privileged apps); the
    /// employee row with the same mobile is the one a member binds to.
    pub mobile: String,
    pub position: String,
    pub department_ids: Vec<u32>,
    pub main_department: u32,
    pub avatar: String,
    /// 1 male, 2 female.
    pub gender: u8,
    /// 1 active (WeCom's 已激活).
    pub status: u8,
    /// Configured for 客户联系 (has external contacts).
    pub is_follow_user: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WecomExternalContact {
    /// "wm" + 30 characters of [A-Za-z0-9_-].
    pub external_userid: String,
    /// The WeChat nickname (type 1) or real name (type 2).
    pub name: String,
    /// 1 WeChat user, 2 WeCom user.
    pub contact_type: u8,
    pub corp_name: Option<String>,
    pub corp_full_name: Option<String>,
    pub position: Option<String>,
    /// Only WeChat users have a unionid.
    pub unionid: Option<String>,
    pub avatar: String,
    /// 0 unknown, 1 male, 2 female.
    pub gender: u8,
    pub follow_users: Vec<WecomFollowInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WecomFollowInfo {
    pub userid: String,
    pub remark: String,
    pub description: String,
    pub remark_corp_name: String,
    pub remark_mobiles: Vec<String>,
    pub createtime: i64,
    /// Corp tag ids ("et…") the member put on this contact.
    pub tag_ids: Vec<String>,
    /// 1 QR code, 2 mobile search, 3 name card, 4 group chat, 201 shared by a colleague,
    /// 202 assigned by an admin.
    pub add_way: i32,
    pub state: String,
    pub oper_userid: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WecomGroupChat {
    /// "wr" + 30 characters of [A-Za-z0-9_-].
    pub chat_id: String,
    pub name: String,
    pub owner: String,
    pub create_time: i64,
    pub notice: String,
    pub members: Vec<WecomGroupMember>,
    pub admin_list: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WecomGroupMember {
    /// A member's userid (type 1) or an external_userid (type 2).
    pub userid: String,
    /// 1 corp member, 2 external contact.
    pub member_type: u8,
    pub unionid: Option<String>,
    pub name: String,
    pub group_nickname: String,
    pub join_time: i64,
    /// 1 invited directly, 2 invitation link, 3 QR code.
    pub join_scene: u8,
    pub invitor: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WecomTagGroup {
    pub group_id: String,
    pub group_name: String,
    pub create_time: i64,
    pub order: u32,
    pub tags: Vec<WecomTag>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WecomTag {
    pub id: String,
    pub name: String,
    pub create_time: i64,
    pub order: u32,
}

/// The links between the roster and the WeCom data that only our database knows.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct WecomLinks {
    /// Person index → external contact index.
    pub person_external: Vec<Option<usize>>,
    /// Group chat index → customer indices it serves.
    pub group_customers: Vec<Vec<usize>>,
    /// Customer index → group chat indices.
    pub customer_groups: Vec<Vec<usize>>,
}

/// Tag group names, in the order they are created.
pub(crate) const TAG_GROUP_LEVEL: &str = "客户等级";
pub(crate) const TAG_GROUP_TAXPAYER: &str = "纳税人类型";
pub(crate) const TAG_GROUP_STATUS: &str = "服务状态";
pub(crate) const TAG_GROUP_INDUSTRY: &str = "所属行业";
pub(crate) const TAG_GROUP_SOURCE: &str = "客户来源";
pub(crate) const TAXPAYER_TAGS: [&str; 2] = ["小规模纳税人", "一般纳税人"];
pub(crate) const STATUS_TAGS: [&str; 4] = ["服务中", "已暂停", "已到期", "已流失"];

impl WecomDataset {
    /// The tag id of `name` in group `group`, if both exist.
    pub fn tag_id(&self, group: &str, name: &str) -> Option<&str> {
        self.tag_groups
            .iter()
            .find(|g| g.group_name == group)
            .and_then(|g| g.tags.iter().find(|t| t.name == name))
            .map(|t| t.id.as_str())
    }
}

fn unix(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

fn wecom_id(rng: &mut SeedRng, prefix: &str, len: usize) -> String {
    format!("{prefix}{}", token(rng, ID_CHARS, len - prefix.len()))
}

pub(crate) fn build(roster: &Roster, seed: u64) -> (WecomDataset, WecomLinks) {
    let profile: Profile = roster.profile;
    let mut rng = stream(seed, profile, STREAM_WECOM);
    let mut secrets = stream(seed, profile, STREAM_SECRETS);
    let app = WecomAppData {
        agent_id: "1000002".into(),
        name: "账房助手".into(),
        secret: token(&mut secrets, ID_CHARS, 43),
        token: token(&mut secrets, ALNUM, 32),
        encoding_aes_key: token(&mut secrets, ALNUM, 43),
    };
    let departments = roster
        .departments
        .iter()
        .map(|d| WecomDepartment {
            id: d.id,
            name: d.name.clone(),
            parent_id: d.parent_id,
            order: d.order,
        })
        .collect();

    let tag_groups = build_tags(&mut rng, roster);
    let dataset_tags = |group: &str, name: &str| -> Option<String> {
        tag_groups
            .iter()
            .find(|g| g.group_name == group)
            .and_then(|g| g.tags.iter().find(|t| t.name == name))
            .map(|t| t.id.clone())
    };

    // External contacts: one per person who added the firm on WeChat/WeCom.
    let mut person_external = vec![None; roster.people.len()];
    let mut external_contacts: Vec<WecomExternalContact> = Vec::new();
    let mut follows_of_member = vec![false; roster.staff.len()];
    for (p, person) in roster.people.iter().enumerate() {
        if !person.on_wecom {
            continue;
        }
        // The customers this person speaks for, in roster order.
        let links: Vec<(usize, ContactRole)> = roster
            .contacts
            .iter()
            .filter(|c| c.person == p)
            .map(|c| (c.customer, c.role))
            .collect();
        let Some(&(first, role)) = links.first() else {
            continue;
        };
        let customer = &roster.customers[first];
        let external_userid = wecom_id(&mut rng, "wm", 32);
        let wechat = person.contact_type == 1;
        let name = if wechat && chance(&mut rng, 0.45) {
            nickname(&mut rng, &person.name.full, &customer.short_name)
        } else {
            person.name.full.clone()
        };
        let added_base = customer
            .service_start
            .first_day()
            .max(roster.firm.wecom_since.date_naive());
        let mut follow_users = Vec::new();
        let mut followers: Vec<usize> = Vec::new();
        for &(c, _) in &links {
            let am = roster.customers[c].am;
            if !followers.contains(&am) {
                followers.push(am);
            }
        }
        if chance(&mut rng, 0.3) && !followers.contains(&customer.bk) {
            followers.push(customer.bk);
        }
        let tag_ids: Vec<String> = [
            dataset_tags(TAG_GROUP_LEVEL, LEVEL_TAGS[customer.level]),
            dataset_tags(
                TAG_GROUP_TAXPAYER,
                TAXPAYER_TAGS[usize::from(customer.general)],
            ),
            dataset_tags(TAG_GROUP_INDUSTRY, customer.industry.label),
        ]
        .into_iter()
        .flatten()
        .collect();
        for (k, &member) in followers.iter().enumerate() {
            follows_of_member[member] = true;
            let staff = &roster.staff[member];
            let day = add_days(added_base, between(&mut rng, -20, 40) + k as i64 * 3);
            let added =
                before(office_time(day, &mut rng), roster.cutoff).max(roster.firm.wecom_since);
            let add_way = if k > 0 && staff.role == StaffRole::Bookkeeper {
                201
            } else {
                *weighted(&mut rng, &[(1, 35), (2, 30), (3, 15), (4, 10), (202, 10)])
            };
            let state = if add_way == 1 && chance(&mut rng, 0.5) {
                format!("zf_qr_{}", staff.userid)
            } else {
                String::new()
            };
            let oper_userid = if matches!(add_way, 1 | 3 | 4) {
                external_userid.clone()
            } else {
                staff.userid.clone()
            };
            let remark = match role {
                ContactRole::Boss => {
                    format!("{}-{}", honorific(&person.name, true), customer.short_name)
                }
                _ => format!(
                    "{}{}-{}",
                    person.name.full,
                    role.title(),
                    customer.short_name
                ),
            };
            let description = match role {
                ContactRole::Boss if links.len() > 1 => {
                    let names: Vec<&str> = links
                        .iter()
                        .map(|(c, _)| roster.customers[*c].short_name.as_str())
                        .collect();
                    format!("老板，名下{}", names.join("、"))
                }
                ContactRole::Boss => "老板，负责付款和重要事项".into(),
                ContactRole::Finance => "公司会计，对接票据和报税".into(),
                ContactRole::Cashier => "出纳，负责银行回单和付款".into(),
                ContactRole::LegalRep => "法人，办理实名认证时联系".into(),
                ContactRole::Other => "行政，协助收发票据".into(),
            };
            follow_users.push(WecomFollowInfo {
                userid: staff.userid.clone(),
                remark,
                description,
                remark_corp_name: customer.name.clone(),
                remark_mobiles: vec![person.mobile.clone()],
                createtime: unix(added),
                tag_ids: tag_ids.clone(),
                add_way,
                state,
                oper_userid,
            });
        }
        let (corp_name, corp_full_name, position) = if wechat {
            (None, None, None)
        } else {
            (
                Some(customer.short_name.clone()),
                Some(customer.name.clone()),
                Some(role.title().to_string()),
            )
        };
        let avatar = if wechat {
            format!("http://wx.qlogo.cn/mmhead/{}/0", token(&mut rng, ALNUM, 40))
        } else {
            format!(
                "https://wework.qpic.cn/wwhead/{}/0",
                token(&mut rng, ALNUM, 36)
            )
        };
        person_external[p] = Some(external_contacts.len());
        external_contacts.push(WecomExternalContact {
            external_userid,
            name,
            contact_type: person.contact_type,
            corp_name,
            corp_full_name,
            position,
            unionid: wechat.then(|| wecom_id(&mut rng, "o", 28)),
            avatar,
            gender: person.name.gender,
            follow_users,
        });
    }

    let members = roster
        .staff
        .iter()
        .enumerate()
        .map(|(i, s)| WecomMember {
            userid: s.userid.clone(),
            name: s.name.full.clone(),
            mobile: s.mobile.clone(),
            position: s.position.to_string(),
            department_ids: s.department_ids.clone(),
            main_department: s.department_ids.first().copied().unwrap_or(1),
            avatar: format!(
                "https://wework.qpic.cn/wwpic/{}_{}/0",
                rng.random_range(100_000..1_000_000u32),
                token(&mut rng, ALNUM, 24)
            ),
            gender: s.name.gender,
            status: 1,
            is_follow_user: follows_of_member[i]
                || matches!(s.role, StaffRole::AccountManager | StaffRole::Bookkeeper),
        })
        .collect();

    let (group_chats, group_customers) =
        build_groups(&mut rng, roster, &person_external, &external_contacts);
    let mut customer_groups = vec![Vec::new(); roster.customers.len()];
    for (g, customers) in group_customers.iter().enumerate() {
        for &c in customers {
            customer_groups[c].push(g);
        }
    }

    (
        WecomDataset {
            corp_id: roster.firm.corp_id.clone(),
            corp_name: roster.firm.name.clone(),
            corp_short_name: roster.firm.short_name.clone(),
            app,
            departments,
            members,
            external_contacts,
            group_chats,
            tag_groups,
        },
        WecomLinks {
            person_external,
            group_customers,
            customer_groups,
        },
    )
}

fn nickname(rng: &mut SeedRng, real: &str, short: &str) -> String {
    const FREE: &[&str] = &[
        "阳光总在风雨后",
        "海阔天空",
        "静待花开",
        "平安喜乐",
        "一路向前",
        "知足常乐",
        "风轻云淡",
        "追梦人",
        "老顽童",
        "岁月静好",
        "向日葵",
        "笑看人生",
    ];
    let surname: String = real.chars().take(1).collect();
    match rng.random_range(0..4) {
        0 => pick(rng, FREE).to_string(),
        1 => format!("A{short}{surname}总"),
        2 => format!(
            "{surname}{}",
            ["先生", "女士", "哥", "姐"][rng.random_range(0..4)]
        ),
        _ => format!("{real}{}", rng.random_range(1..=99)),
    }
}

fn build_tags(rng: &mut SeedRng, roster: &Roster) -> Vec<WecomTagGroup> {
    let industries: Vec<&str> = INDUSTRIES.iter().map(|i| i.label).collect();
    let sources: Vec<&str> = SOURCES.iter().map(|(s, _)| *s).collect();
    let groups: [(&str, Vec<&str>); 5] = [
        (TAG_GROUP_LEVEL, LEVEL_TAGS.to_vec()),
        (TAG_GROUP_TAXPAYER, TAXPAYER_TAGS.to_vec()),
        (TAG_GROUP_STATUS, STATUS_TAGS.to_vec()),
        (TAG_GROUP_INDUSTRY, industries),
        (TAG_GROUP_SOURCE, sources),
    ];
    let base = roster.firm.wecom_since;
    groups
        .into_iter()
        .enumerate()
        .map(|(g, (name, tags))| {
            let created = add_minutes(base, 60 + g as i64 * 7);
            WecomTagGroup {
                group_id: wecom_id(rng, "et", 32),
                group_name: name.to_string(),
                create_time: unix(created),
                order: (5 - g) as u32 * 10,
                tags: tags
                    .into_iter()
                    .enumerate()
                    .map(|(t, tag)| WecomTag {
                        id: wecom_id(rng, "et", 32),
                        name: tag.to_string(),
                        create_time: unix(created),
                        order: (100 - t) as u32,
                    })
                    .collect(),
            }
        })
        .collect()
}

fn build_groups(
    rng: &mut SeedRng,
    roster: &Roster,
    person_external: &[Option<usize>],
    externals: &[WecomExternalContact],
) -> (Vec<WecomGroupChat>, Vec<Vec<usize>>) {
    let mut groups = Vec::new();
    let mut served = Vec::new();
    let mut done = vec![false; roster.customers.len()];
    for c in 0..roster.customers.len() {
        if done[c] {
            continue;
        }
        done[c] = true;
        let customer = &roster.customers[c];
        // Customers sharing this boss (the roster pairs them next to each other).
        let boss = roster.contacts[customer.contacts[0]].person;
        let sibling = (c + 1 < roster.customers.len())
            .then_some(c + 1)
            .filter(|&n| roster.contacts[roster.customers[n].contacts[0]].person == boss);
        let together = sibling.is_some() && chance(rng, 0.6);
        let mut customers = vec![c];
        if together && let Some(s) = sibling {
            customers.push(s);
            done[s] = true;
        }
        if !chance(rng, if together { 1.0 } else { 0.87 }) {
            continue;
        }
        let owner = &roster.staff[customer.am];
        let bk = &roster.staff[customer.bk];
        let day = add_days(
            customer
                .service_start
                .first_day()
                .max(roster.firm.wecom_since.date_naive()),
            between(rng, 0, 25),
        );
        let created = before(office_time(day, rng), roster.cutoff).max(roster.firm.wecom_since);
        let boss_person = &roster.people[boss];
        let name = if customers.len() > 1 {
            format!("{}名下公司财税服务群", honorific(&boss_person.name, true))
        } else {
            match rng.random_range(0..3) {
                0 => format!("{}财税服务群", customer.short_name),
                1 => format!("{}-{}代账群", customer.short_name, roster.firm.short_name),
                _ => format!(
                    "【{}】{}记账报税",
                    roster.firm.short_name, customer.short_name
                ),
            }
        };
        let notice = if chance(rng, 0.7) {
            format!(
                "本群为「{}」专属财税服务群。每月5日前请把上月的发票、银行回单发到群里；报税结果和税款提醒会在群内通知。服务时间：工作日9:00-18:00。",
                customer.short_name
            )
        } else {
            String::new()
        };
        let t0 = unix(created);
        let mut members = vec![WecomGroupMember {
            userid: owner.userid.clone(),
            member_type: 1,
            unionid: None,
            name: owner.name.full.clone(),
            group_nickname: String::new(),
            join_time: t0,
            join_scene: 1,
            invitor: None,
        }];
        let mut internal = vec![bk];
        if let Some(r) = customer.reviewer
            && chance(rng, 0.3)
        {
            internal.push(&roster.staff[r]);
        }
        for s in internal {
            if s.userid == owner.userid {
                continue;
            }
            members.push(WecomGroupMember {
                userid: s.userid.clone(),
                member_type: 1,
                unionid: None,
                name: s.name.full.clone(),
                group_nickname: format!("{}-{}", s.name.full, s.position),
                join_time: t0 + between(rng, 5, 600),
                join_scene: 1,
                invitor: Some(owner.userid.clone()),
            });
        }
        let mut seen_people = Vec::new();
        for &cc in &customers {
            for &k in &roster.customers[cc].contacts {
                let person = roster.contacts[k].person;
                if seen_people.contains(&person) {
                    continue;
                }
                seen_people.push(person);
                let Some(e) = person_external[person] else {
                    continue;
                };
                let ext = &externals[e];
                let scene = if chance(rng, 0.65) { 1 } else { 3 };
                members.push(WecomGroupMember {
                    userid: ext.external_userid.clone(),
                    member_type: 2,
                    unionid: ext.unionid.clone(),
                    name: ext.name.clone(),
                    group_nickname: if chance(rng, 0.4) {
                        format!(
                            "{}-{}",
                            roster.people[person].name.full,
                            roster.contacts[k].role.title()
                        )
                    } else {
                        String::new()
                    },
                    join_time: t0 + between(rng, 60, 3 * 24 * 3600),
                    join_scene: scene,
                    invitor: (scene == 1).then(|| owner.userid.clone()),
                });
            }
        }
        let admin_list = if bk.userid != owner.userid && chance(rng, 0.5) {
            vec![bk.userid.clone()]
        } else {
            Vec::new()
        };
        groups.push(WecomGroupChat {
            chat_id: wecom_id(rng, "wr", 32),
            name,
            owner: owner.userid.clone(),
            create_time: t0,
            notice,
            members,
            admin_list,
        });
        served.push(customers);
    }
    (groups, served)
}

/// The WeCom data set for a profile, without touching a database.
pub fn wecom_dataset(profile: Profile, seed: u64, as_of: NaiveDate) -> WecomDataset {
    let roster = roster::build(profile, seed, as_of);
    build(&roster, seed).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn same_seed_gives_the_same_dataset_and_another_seed_does_not() {
        let a = wecom_dataset(Profile::Demo, 20_261_126, day());
        let b = wecom_dataset(Profile::Demo, 20_261_126, day());
        assert_eq!(a, b);
        let c = wecom_dataset(Profile::Demo, 7, day());
        assert_ne!(a.external_contacts, c.external_contacts);
        assert_eq!(a.corp_id, "ww5f3c8a1d2e4b6079");
        assert_eq!(a.corp_id, c.corp_id);
        assert!(a.corp_name.starts_with("演示："));
        assert!(a.corp_name.ends_with("财税咨询有限公司"));
    }

    #[test]
    fn app_credentials_have_the_shapes_wecom_uses() {
        let a = wecom_dataset(Profile::Demo, 1, day());
        assert_eq!(a.app.agent_id, "1000002");
        assert_eq!(a.app.encoding_aes_key.len(), 43);
        assert!(
            a.app
                .encoding_aes_key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        );
        assert!(a.app.token.len() <= 32 && a.app.token.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(
            crate::wecom::crypto::AesKey::from_encoding_aes_key(&a.app.encoding_aes_key).is_ok()
        );
    }

    #[test]
    fn ids_have_wecom_shapes_and_are_unique() {
        let d = wecom_dataset(Profile::S, 3, day());
        let ok = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        let mut seen = HashSet::new();
        for e in &d.external_contacts {
            assert!(e.external_userid.starts_with("wm") && e.external_userid.len() == 32);
            assert!(ok(&e.external_userid));
            assert!(seen.insert(e.external_userid.clone()));
            assert!(!e.follow_users.is_empty());
            assert_eq!(e.unionid.is_some(), e.contact_type == 1);
        }
        for g in &d.group_chats {
            assert!(g.chat_id.starts_with("wr") && ok(&g.chat_id));
            assert!(seen.insert(g.chat_id.clone()));
            assert_eq!(g.members[0].userid, g.owner);
        }
        for g in &d.tag_groups {
            assert!(g.group_id.starts_with("et"));
            for t in &g.tags {
                assert!(t.id.starts_with("et") && seen.insert(t.id.clone()));
            }
        }
        let userids: HashSet<_> = d.members.iter().map(|m| &m.userid).collect();
        assert_eq!(userids.len(), d.members.len());
        for e in &d.external_contacts {
            for f in &e.follow_users {
                assert!(userids.contains(&f.userid));
            }
        }
    }

    #[test]
    fn s_profile_has_the_specified_wecom_sizes() {
        let d = wecom_dataset(Profile::S, 20_261_126, day());
        assert_eq!(d.members.len(), 12);
        let ext = d.external_contacts.len();
        assert!((540..=680).contains(&ext), "{ext} external contacts");
        let groups = d.group_chats.len();
        assert!((225..=280).contains(&groups), "{groups} groups");
        assert!(d.corp_id.starts_with("wwseeds") && d.corp_id.len() == 18);
    }
}
