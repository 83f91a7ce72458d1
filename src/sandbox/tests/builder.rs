//! Hand-built datasets for the sandbox tests (the real generator is
//! `crate::seed::wecom_dataset`; these are small, exact and independent of it).

use crate::seed::{
    WecomAppData, WecomDataset, WecomDepartment, WecomExternalContact, WecomFollowInfo,
    WecomGroupChat, WecomGroupMember, WecomMember, WecomTag, WecomTagGroup,
};

pub const CORP_ID: &str = "wwsandboxtest0001";
pub const AGENT_ID: &str = "1000002";
pub const SECRET: &str = "S3cr3t_for_the_sandbox_tests_0123456789abcd";
pub const CALLBACK_TOKEN: &str = "CallbackToken0123456789abcdefABC";
pub const AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

/// A 32-character WeCom-style id: prefix and a zero-padded number.
pub fn id(prefix: &str, n: usize) -> String {
    format!("{prefix}{n:030}")
}

pub struct DatasetBuilder {
    ds: WecomDataset,
}

impl DatasetBuilder {
    pub fn new() -> Self {
        Self {
            ds: WecomDataset {
                corp_id: CORP_ID.into(),
                corp_name: "测试代账有限公司".into(),
                corp_short_name: "测试代账".into(),
                app: WecomAppData {
                    agent_id: AGENT_ID.into(),
                    name: "账房助手".into(),
                    secret: SECRET.into(),
                    token: CALLBACK_TOKEN.into(),
                    encoding_aes_key: AES_KEY.into(),
                },
                departments: vec![
                    WecomDepartment {
                        id: 1,
                        name: "测试代账".into(),
                        parent_id: 0,
                        order: 1,
                    },
                    WecomDepartment {
                        id: 2,
                        name: "会计部".into(),
                        parent_id: 1,
                        order: 2,
                    },
                ],
                members: Vec::new(),
                external_contacts: Vec::new(),
                group_chats: Vec::new(),
                tag_groups: Vec::new(),
            },
        }
    }

    pub fn member(mut self, userid: &str, name: &str, position: &str, follow: bool) -> Self {
        self.ds.members.push(member(userid, name, position, follow));
        self
    }

    pub fn tag_group(mut self, group_id: &str, name: &str, tags: &[(&str, &str)]) -> Self {
        self.ds.tag_groups.push(WecomTagGroup {
            group_id: group_id.into(),
            group_name: name.into(),
            create_time: 1_700_000_000,
            order: 100 - self.ds.tag_groups.len() as u32,
            tags: tags
                .iter()
                .enumerate()
                .map(|(i, (id, name))| WecomTag {
                    id: (*id).into(),
                    name: (*name).into(),
                    create_time: 1_700_000_000,
                    order: 100 - i as u32,
                })
                .collect(),
        });
        self
    }

    /// A contact followed by `follows` (userid, tag ids).
    pub fn contact(
        mut self,
        external_userid: &str,
        name: &str,
        wechat: bool,
        follows: &[(&str, &[&str])],
    ) -> Self {
        self.ds.external_contacts.push(contact(
            external_userid,
            name,
            wechat,
            follows
                .iter()
                .enumerate()
                .map(|(i, (u, tags))| follow(u, external_userid, i as i64, tags))
                .collect(),
        ));
        self
    }

    pub fn group(mut self, chat_id: &str, name: &str, owner: &str, externals: &[&str]) -> Self {
        self.ds
            .group_chats
            .push(group(chat_id, name, owner, externals));
        self
    }

    pub fn build(self) -> WecomDataset {
        self.ds
    }
}

pub fn member(userid: &str, name: &str, position: &str, follow: bool) -> WecomMember {
    WecomMember {
        userid: userid.into(),
        name: name.into(),
        mobile: "13800000000".into(),
        position: position.into(),
        department_ids: vec![2],
        main_department: 2,
        avatar: format!("https://wework.qpic.cn/wwpic/{userid}/0"),
        gender: 1,
        status: 1,
        is_follow_user: follow,
    }
}

pub fn follow(userid: &str, external_userid: &str, k: i64, tags: &[&str]) -> WecomFollowInfo {
    WecomFollowInfo {
        userid: userid.into(),
        remark: format!("{userid}的客户"),
        description: "每月5日前交票".into(),
        remark_corp_name: "某贸易有限公司".into(),
        remark_mobiles: vec!["13900000001".into()],
        createtime: 1_700_000_000 + k,
        tag_ids: tags.iter().map(|t| (*t).to_string()).collect(),
        add_way: 1,
        state: if k == 0 {
            "zf_qr".into()
        } else {
            String::new()
        },
        oper_userid: external_userid.into(),
    }
}

pub fn contact(
    external_userid: &str,
    name: &str,
    wechat: bool,
    follows: Vec<WecomFollowInfo>,
) -> WecomExternalContact {
    WecomExternalContact {
        external_userid: external_userid.into(),
        name: name.into(),
        contact_type: if wechat { 1 } else { 2 },
        corp_name: (!wechat).then(|| "某科技".into()),
        corp_full_name: (!wechat).then(|| "某科技有限公司".into()),
        position: (!wechat).then(|| "财务".into()),
        unionid: wechat.then(|| format!("o{external_userid}")),
        avatar: "http://wx.qlogo.cn/mmhead/abc/0".into(),
        gender: 2,
        follow_users: follows,
    }
}

pub fn group(chat_id: &str, name: &str, owner: &str, externals: &[&str]) -> WecomGroupChat {
    let mut members = vec![WecomGroupMember {
        userid: owner.into(),
        member_type: 1,
        unionid: None,
        name: format!("{owner}的名字"),
        group_nickname: String::new(),
        join_time: 1_700_000_000,
        join_scene: 1,
        invitor: None,
    }];
    for e in externals {
        members.push(WecomGroupMember {
            userid: (*e).into(),
            member_type: 2,
            unionid: Some(format!("o{e}")),
            name: "客户".into(),
            group_nickname: "王会计".into(),
            join_time: 1_700_000_100,
            join_scene: 3,
            invitor: None,
        });
    }
    WecomGroupChat {
        chat_id: chat_id.into(),
        name: name.into(),
        owner: owner.into(),
        create_time: 1_700_000_000,
        notice: "每月5日前请把票据发到群里".into(),
        members,
        admin_list: vec!["lisi".into()],
    }
}

/// Tag ids of the small dataset.
pub const TAG_VIP: &str = "etVIP000000000000000000000000001";
pub const TAG_NORMAL: &str = "etNORMAL0000000000000000000000002";
pub const TAG_SMALL: &str = "etSMALL00000000000000000000000003";
pub const TAG_GENERAL: &str = "etGENERAL000000000000000000000004";
pub const GROUP_LEVEL: &str = "etGROUPLEVEL00000000000000000001";
pub const GROUP_TAXPAYER: &str = "etGROUPTAX0000000000000000000002";

pub const ALICE: &str = "wmAlice0000000000000000000000001";
pub const BOB: &str = "wmBob00000000000000000000000000002";
pub const CAROL: &str = "wmCarol000000000000000000000000003";
pub const CHAT_A: &str = "wrChatA00000000000000000000000001";
pub const CHAT_B: &str = "wrChatB00000000000000000000000002";

/// Three members (zhangsan and lisi do 客户联系, wangwu does not), two tag groups, three
/// contacts (Alice followed by both, Bob by zhangsan, Carol, a WeCom user, by lisi) and two
/// groups.
pub fn small() -> WecomDataset {
    DatasetBuilder::new()
        .member("zhangsan", "张三", "客户经理", true)
        .member("lisi", "李四", "会计", true)
        .member("wangwu", "王五", "行政", false)
        .tag_group(
            GROUP_LEVEL,
            "客户等级",
            &[(TAG_VIP, "重点客户"), (TAG_NORMAL, "普通客户")],
        )
        .tag_group(
            GROUP_TAXPAYER,
            "纳税人类型",
            &[(TAG_SMALL, "小规模纳税人"), (TAG_GENERAL, "一般纳税人")],
        )
        .contact(
            ALICE,
            "王老板",
            true,
            &[("zhangsan", &[TAG_VIP, TAG_SMALL]), ("lisi", &[])],
        )
        .contact(BOB, "赵会计", true, &[("zhangsan", &[TAG_NORMAL])])
        .contact(CAROL, "钱出纳", false, &[("lisi", &[TAG_GENERAL])])
        .group(CHAT_A, "某贸易财税服务群", "zhangsan", &[ALICE])
        .group(CHAT_B, "某科技代账群", "lisi", &[CAROL])
        .build()
}

/// A synthetic corp: `members` follow members, `contacts` contacts each followed by one or two
/// members (round robin), `groups` groups with round-robin owners.
pub fn large(members: usize, contacts: usize, groups: usize) -> WecomDataset {
    let mut ds = DatasetBuilder::new().build();
    ds.members = (0..members)
        .map(|i| member(&format!("m{i:04}"), &format!("成员{i}"), "会计", true))
        .collect();
    ds.tag_groups.push(WecomTagGroup {
        group_id: id("etg", 1),
        group_name: "客户等级".into(),
        create_time: 1_700_000_000,
        order: 1,
        tags: vec![WecomTag {
            id: id("et", 1),
            name: "重点客户".into(),
            create_time: 1_700_000_000,
            order: 1,
        }],
    });
    ds.external_contacts = (0..contacts)
        .map(|i| {
            let ext = id("wm", i);
            let mut follows = vec![follow(&format!("m{:04}", i % members), &ext, 0, &[])];
            if i % 3 == 0 && members > 1 {
                follows.push(follow(&format!("m{:04}", (i + 1) % members), &ext, 1, &[]));
            }
            contact(&ext, &format!("客户{i}"), i % 2 == 0, follows)
        })
        .collect();
    ds.group_chats = (0..groups)
        .map(|i| {
            group(
                &id("wr", i),
                &format!("客户群{i}"),
                &format!("m{:04}", i % members),
                &[&id("wm", i % contacts.max(1))],
            )
        })
        .collect();
    ds
}

/// One contact followed by `n` members (to page externalcontact/get's follow_user).
pub fn wide_contact(n: usize) -> WecomDataset {
    let mut ds = DatasetBuilder::new().build();
    ds.members = (0..n)
        .map(|i| member(&format!("m{i:04}"), &format!("成员{i}"), "会计", true))
        .collect();
    let ext = id("wm", 7);
    ds.external_contacts = vec![contact(
        &ext,
        "大客户",
        true,
        (0..n)
            .map(|i| follow(&format!("m{i:04}"), &ext, i as i64, &[]))
            .collect(),
    )];
    ds
}
