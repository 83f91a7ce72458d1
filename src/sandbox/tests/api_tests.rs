//! Happy paths and error codes of every `/cgi-bin` API.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use super::builder::{
    self, AGENT_ID, ALICE, BOB, CAROL, CHAT_A, CORP_ID, GROUP_LEVEL, SECRET, TAG_GENERAL,
    TAG_NORMAL, TAG_SMALL, TAG_VIP,
};
use super::{app, call, errcode, get, json, post_json, post_raw, small_sandbox, token};
use crate::sandbox::{Sandbox, SandboxOptions};

#[actix_web::test]
async fn gettoken_checks_corp_and_secret() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret={SECRET}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0);
    assert_eq!(v["errmsg"], "ok");
    assert_eq!(v["expires_in"], 7200);
    assert!(v["access_token"].as_str().unwrap().len() >= 64);

    let cases = [
        (
            format!("/cgi-bin/gettoken?corpid=wwnope&corpsecret={SECRET}"),
            40013,
        ),
        (
            format!("/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret=wrong"),
            40001,
        ),
        (format!("/cgi-bin/gettoken?corpsecret={SECRET}"), 41002),
        (format!("/cgi-bin/gettoken?corpid={CORP_ID}"), 41004),
        (
            format!("/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret="),
            41004,
        ),
    ];
    for (uri, code) in cases {
        let v = json(&app, get(&uri).to_request()).await;
        assert_eq!(errcode(&v), code, "{uri}: {v}");
        assert!(v.get("access_token").is_none());
        assert!(v["errmsg"].as_str().unwrap().contains(&format!("e={code}")));
    }
    assert_eq!(sb.calls("gettoken"), 6);
    assert_eq!(sb.calls("/cgi-bin/gettoken"), 6);
}

#[actix_web::test]
async fn every_api_checks_the_token() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    for api in crate::sandbox::api::APIS
        .iter()
        .filter(|a| **a != "gettoken")
    {
        let v = json(&app, get(&format!("/cgi-bin/{api}")).to_request()).await;
        assert_eq!(errcode(&v), 41001, "{api}: {v}");
        let v = json(
            &app,
            get(&format!("/cgi-bin/{api}?access_token=bogus")).to_request(),
        )
        .await;
        assert_eq!(errcode(&v), 40014, "{api}: {v}");
        let v = json(
            &app,
            post_json(&format!("/cgi-bin/{api}?access_token="), &json!({})).to_request(),
        )
        .await;
        assert_eq!(errcode(&v), 41001, "{api}: {v}");
    }
}

#[actix_web::test]
async fn tokens_expire_with_the_clock_and_refetch_keeps_the_old_one() {
    let (sb, clock) = sandbox_lifetime(600);
    let app = app!(sb);
    let first = token!(app);
    let probe = |t: &str| {
        get(&format!(
            "/cgi-bin/externalcontact/get_follow_user_list?access_token={t}"
        ))
        .to_request()
    };
    assert_eq!(errcode(&json(&app, probe(&first)).await), 0);

    clock.advance(300);
    let second = token!(app);
    assert_ne!(
        first, second,
        "a fetch within the lifetime returns a new token"
    );
    assert_eq!(
        errcode(&json(&app, probe(&first)).await),
        0,
        "the old token stays valid"
    );

    clock.advance(299);
    assert_eq!(errcode(&json(&app, probe(&first)).await), 0);
    clock.advance(1);
    assert_eq!(
        errcode(&json(&app, probe(&first)).await),
        42001,
        "expired at its own expiry"
    );
    assert_eq!(errcode(&json(&app, probe(&second)).await), 0);
    clock.advance(300);
    assert_eq!(errcode(&json(&app, probe(&second)).await), 42001);

    // Long-expired tokens are eventually forgotten (40014) once new ones are fetched.
    clock.advance(25 * 3600);
    let _third = token!(app);
    assert_eq!(errcode(&json(&app, probe(&first)).await), 40014);
}

fn sandbox_lifetime(secs: u64) -> (Sandbox, super::TestClock) {
    super::sandbox_with(
        builder::small(),
        SandboxOptions {
            token_lifetime: std::time::Duration::from_secs(secs),
            ..SandboxOptions::default()
        },
    )
}

#[actix_web::test]
async fn gettoken_reports_the_configured_lifetime() {
    let (sb, _) = sandbox_lifetime(600);
    let app = app!(sb);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret={SECRET}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["expires_in"], 600);
}

#[actix_web::test]
async fn jsapi_tickets() {
    let (sb, clock) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let v = json(
        &app,
        get(&format!("/cgi-bin/get_jsapi_ticket?access_token={t}")).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0);
    assert_eq!(v["expires_in"], 7200);
    assert!(!v["ticket"].as_str().unwrap().is_empty());

    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/ticket/get?access_token={t}&type=agent_config"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0);
    assert_eq!(v["expires_in"], 7200);
    let v = json(
        &app,
        get(&format!("/cgi-bin/ticket/get?access_token={t}&type=jsapi")).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 91040);
    let v = json(
        &app,
        get(&format!("/cgi-bin/ticket/get?access_token={t}")).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 91040);

    // WeCom allows 100 agent tickets per hour per app: a client that does not cache hits 45009.
    for _ in 1..100 {
        let v = json(
            &app,
            get(&format!(
                "/cgi-bin/ticket/get?access_token={t}&type=agent_config"
            ))
            .to_request(),
        )
        .await;
        assert_eq!(errcode(&v), 0);
    }
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/ticket/get?access_token={t}&type=agent_config"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 45009);
    clock.advance(3601);
    let t = token!(app);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/ticket/get?access_token={t}&type=agent_config"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0, "the window slides");
}

#[actix_web::test]
async fn user_get_hides_mobile_and_email() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/user/get?access_token={t}&userid=zhangsan"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(v["userid"], "zhangsan");
    assert_eq!(v["name"], "张三");
    assert_eq!(v["position"], "客户经理");
    assert_eq!(v["department"], json!([2]));
    assert_eq!(v["main_department"], 2);
    assert_eq!(v["status"], 1);
    assert_eq!(v["external_position"], "客户经理");
    assert!(v["extattr"]["attrs"].is_array());
    assert!(v["external_profile"]["external_corp_name"].is_string());
    // Apps created after 2022-06-20 get no avatar, gender, mobile, email or QR code.
    for gone in ["avatar", "thumb_avatar", "gender", "qr_code", "address"] {
        assert!(v.get(gone).is_none(), "{gone}: {v}");
    }
    assert!(v.get("mobile").is_none());
    assert!(v.get("email").is_none());
    assert!(v.get("biz_mail").is_none());

    let v = json(
        &app,
        get(&format!("/cgi-bin/user/get?access_token={t}&userid=nobody")).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 60111);
    let v = json(
        &app,
        get(&format!("/cgi-bin/user/get?access_token={t}")).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 41009);
}

#[actix_web::test]
async fn follow_user_list_and_contact_list() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get_follow_user_list?access_token={t}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["follow_user"], json!(["zhangsan", "lisi"]));

    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/list?access_token={t}&userid=zhangsan"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0);
    assert_eq!(v["external_userid"], json!([ALICE, BOB]));
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/list?access_token={t}&userid=wangwu"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 84061, "a member without customers");
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/list?access_token={t}&userid=ghost"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 40003);
    let v = json(
        &app,
        get(&format!("/cgi-bin/externalcontact/list?access_token={t}")).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 41009);
}

#[actix_web::test]
async fn externalcontact_get_shapes() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={ALICE}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    let c = &v["external_contact"];
    assert_eq!(c["external_userid"], ALICE);
    assert_eq!(c["name"], "王老板");
    assert_eq!(c["type"], 1);
    assert_eq!(c["gender"], 2);
    assert_eq!(c["unionid"], format!("o{ALICE}"));
    assert!(c.get("corp_name").is_none());
    let follows = v["follow_user"].as_array().unwrap();
    assert_eq!(follows.len(), 2);
    let f = &follows[0];
    assert_eq!(f["userid"], "zhangsan");
    assert_eq!(f["remark"], "zhangsan的客户");
    assert_eq!(f["description"], "每月5日前交票");
    assert_eq!(f["createtime"], 1_700_000_000);
    assert_eq!(f["remark_corp_name"], "某贸易有限公司");
    assert_eq!(f["remark_mobiles"], json!(["13900000001"]));
    assert_eq!(f["add_way"], 1);
    assert_eq!(f["oper_userid"], ALICE);
    assert_eq!(f["state"], "zf_qr");
    assert_eq!(
        f["tags"],
        json!([
            {"group_name": "客户等级", "tag_name": "重点客户", "tag_id": TAG_VIP, "type": 1},
            {"group_name": "纳税人类型", "tag_name": "小规模纳税人", "tag_id": TAG_SMALL, "type": 1},
        ])
    );
    assert!(follows[1].get("state").is_none(), "empty state is omitted");
    assert_eq!(v["next_cursor"], "");

    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={CAROL}"
        ))
        .to_request(),
    )
    .await;
    let c = &v["external_contact"];
    assert_eq!(c["type"], 2);
    assert_eq!(c["corp_name"], "某科技");
    assert_eq!(c["corp_full_name"], "某科技有限公司");
    assert_eq!(c["position"], "财务");
    assert!(c.get("unionid").is_none());

    for (id, code) in [
        ("wmUnknown000000000000000000000001", 84061),
        ("not-an-id", 40096),
        ("wm%3Cscript%3E", 40096),
        ("", 40096),
    ] {
        let v = json(
            &app,
            get(&format!(
                "/cgi-bin/externalcontact/get?access_token={t}&external_userid={id}"
            ))
            .to_request(),
        )
        .await;
        assert_eq!(errcode(&v), code, "{id}");
    }
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={ALICE}&cursor=garbage"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 40058);
}

#[actix_web::test]
async fn batch_get_by_user_shapes_and_limits() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let uri = format!("/cgi-bin/externalcontact/batch/get_by_user?access_token={t}");
    let v = json(
        &app,
        post_json(&uri, &json!({"userid_list": ["zhangsan", "lisi"]})).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    let list = v["external_contact_list"].as_array().unwrap();
    let pairs: Vec<(String, String)> = list
        .iter()
        .map(|i| {
            (
                i["follow_info"]["userid"].as_str().unwrap().to_string(),
                i["external_contact"]["external_userid"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("zhangsan".into(), ALICE.into()),
            ("zhangsan".into(), BOB.into()),
            ("lisi".into(), ALICE.into()),
            ("lisi".into(), CAROL.into()),
        ]
    );
    let fi = &list[0]["follow_info"];
    assert_eq!(fi["tag_id"], json!([TAG_VIP, TAG_SMALL]));
    assert_eq!(fi["remark"], "zhangsan的客户");
    assert_eq!(fi["state"], "zf_qr");
    assert!(fi.get("tags").is_none());
    assert_eq!(v["next_cursor"], "");

    let hundred: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    for body in [
        json!({"userid_list": []}),
        json!({}),
        json!({"userid_list": hundred}),
        json!({"userid_list": ["zhangsan"], "limit": 0}),
        json!({"userid_list": ["zhangsan"], "limit": 101}),
        json!({"userid_list": ["zhangsan"], "limit": -1}),
        json!({"userid_list": ["zhangsan"], "cursor": "nonsense"}),
        json!({"userid_list": "zhangsan"}),
    ] {
        let v = json(&app, post_json(&uri, &body).to_request()).await;
        assert_eq!(errcode(&v), 40058, "{body}: {v}");
    }
    let v = json(
        &app,
        post_json(&uri, &json!({"userid_list": ["zhangsan", "ghost"]})).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 40003);
    let v = json(
        &app,
        post_json(&uri, &json!({"userid_list": ["wangwu"]})).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0, "no customers is an empty list here");
    assert_eq!(v["external_contact_list"], json!([]));
    // GET on a POST API has no body: 40058, as WeCom answers it.
    let v = json(&app, get(&uri).to_request()).await;
    assert_eq!(errcode(&v), 40058);
}

#[actix_web::test]
async fn groupchat_list_and_get() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let list = format!("/cgi-bin/externalcontact/groupchat/list?access_token={t}");
    let v = json(&app, post_json(&list, &json!({"limit": 10})).to_request()).await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(
        v["group_chat_list"],
        json!([{"chat_id": CHAT_A, "status": 0}, {"chat_id": builder::CHAT_B, "status": 0}])
    );
    assert_eq!(v["next_cursor"], "");
    let v = json(
        &app,
        post_json(
            &list,
            &json!({"limit": 10, "owner_filter": {"userid_list": ["lisi"]}}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(
        v["group_chat_list"],
        json!([{"chat_id": builder::CHAT_B, "status": 0}])
    );
    let v = json(
        &app,
        post_json(&list, &json!({"limit": 10, "status_filter": 1})).to_request(),
    )
    .await;
    assert_eq!(v["group_chat_list"], json!([]));
    for body in [
        json!({}),
        json!({"limit": 0}),
        json!({"limit": 1001}),
        json!({"limit": 10, "status_filter": 4}),
        json!({"limit": "ten"}),
    ] {
        let v = json(&app, post_json(&list, &body).to_request()).await;
        assert_eq!(errcode(&v), 40058, "{body}");
    }

    let get_uri = format!("/cgi-bin/externalcontact/groupchat/get?access_token={t}");
    let v = json(
        &app,
        post_json(&get_uri, &json!({"chat_id": CHAT_A})).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    let g = &v["group_chat"];
    assert_eq!(g["chat_id"], CHAT_A);
    assert_eq!(g["name"], "某贸易财税服务群");
    assert_eq!(g["owner"], "zhangsan");
    assert_eq!(g["create_time"], 1_700_000_000);
    assert_eq!(g["notice"], "每月5日前请把票据发到群里");
    assert_eq!(g["admin_list"], json!([{"userid": "lisi"}]));
    assert_eq!(g["member_version"].as_str().unwrap().len(), 32);
    let members = g["member_list"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["userid"], "zhangsan");
    assert_eq!(members[0]["type"], 1);
    assert!(
        members[0].get("name").is_none(),
        "names only with need_name=1"
    );
    assert_eq!(members[1]["type"], 2);
    assert_eq!(members[1]["unionid"], format!("o{ALICE}"));
    assert_eq!(members[1]["join_scene"], 3);
    assert_eq!(members[1]["group_nickname"], "王会计");

    let v = json(
        &app,
        post_json(&get_uri, &json!({"chat_id": CHAT_A, "need_name": 1})).to_request(),
    )
    .await;
    assert_eq!(v["group_chat"]["member_list"][0]["name"], "zhangsan的名字");
    let v = json(
        &app,
        post_json(&get_uri, &json!({"chat_id": "wrNope"})).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 90501);
    let v = json(&app, post_json(&get_uri, &json!({})).to_request()).await;
    assert_eq!(errcode(&v), 40058);
}

#[actix_web::test]
async fn corp_tags_list_filter_and_add() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let list = format!("/cgi-bin/externalcontact/get_corp_tag_list?access_token={t}");
    let v = json(&app, post_json(&list, &json!({})).to_request()).await;
    assert_eq!(errcode(&v), 0);
    let groups = v["tag_group"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["group_name"], "客户等级");
    assert_eq!(groups[0]["deleted"], false);
    assert_eq!(
        groups[0]["tag"],
        json!([
            {"id": TAG_VIP, "name": "重点客户", "create_time": 1_700_000_000, "order": 100, "deleted": false},
            {"id": TAG_NORMAL, "name": "普通客户", "create_time": 1_700_000_000, "order": 99, "deleted": false},
        ])
    );
    // An empty body asks for everything too.
    let v = json(&app, post_raw(&list, "").to_request()).await;
    assert_eq!(v["tag_group"].as_array().unwrap().len(), 2);
    // tag_id filters tags; group_id wins over tag_id.
    let v = json(
        &app,
        post_json(&list, &json!({"tag_id": [TAG_GENERAL]})).to_request(),
    )
    .await;
    assert_eq!(v["tag_group"].as_array().unwrap().len(), 1);
    assert_eq!(v["tag_group"][0]["tag"].as_array().unwrap().len(), 1);
    assert_eq!(v["tag_group"][0]["tag"][0]["id"], TAG_GENERAL);
    let v = json(
        &app,
        post_json(
            &list,
            &json!({"group_id": [GROUP_LEVEL], "tag_id": [TAG_GENERAL]}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(v["tag_group"].as_array().unwrap().len(), 1);
    assert_eq!(v["tag_group"][0]["group_id"], GROUP_LEVEL);
    assert_eq!(v["tag_group"][0]["tag"].as_array().unwrap().len(), 2);
    let v = json(
        &app,
        post_json(&list, &json!({"tag_id": ["etUnknown"]})).to_request(),
    )
    .await;
    assert_eq!(v["tag_group"], json!([]));

    let add = format!("/cgi-bin/externalcontact/add_corp_tag?access_token={t}");
    // A new group.
    let v = json(&app, post_json(&add, &json!({"group_name": "服务状态", "order": 5, "tag": [{"name": "服务中", "order": 2}, {"name": "已流失"}]})).to_request()).await;
    assert_eq!(errcode(&v), 0, "{v}");
    let g = &v["tag_group"];
    assert_eq!(g["group_name"], "服务状态");
    assert_eq!(g["order"], 5);
    let new_group = g["group_id"].as_str().unwrap().to_string();
    assert!(new_group.starts_with("et"));
    assert_eq!(g["tag"].as_array().unwrap().len(), 2);
    assert_eq!(g["tag"][0]["name"], "服务中");
    assert!(g["tag"][0]["id"].as_str().unwrap().starts_with("et"));
    // Into an existing group by id, and by name.
    let v = json(
        &app,
        post_json(
            &add,
            &json!({"group_id": GROUP_LEVEL, "tag": [{"name": "潜在客户"}]}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(v["tag_group"]["group_id"], GROUP_LEVEL);
    assert_eq!(v["tag_group"]["tag"].as_array().unwrap().len(), 1);
    let v = json(
        &app,
        post_json(
            &add,
            &json!({"group_name": "服务状态", "tag": [{"name": "已暂停"}]}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(v["tag_group"]["group_id"], new_group.as_str());
    let v = json(
        &app,
        post_json(&list, &json!({"group_id": [new_group]})).to_request(),
    )
    .await;
    assert_eq!(v["tag_group"][0]["tag"].as_array().unwrap().len(), 3);

    for (body, code) in [
        (json!({"group_id": "etNope", "tag": [{"name": "x"}]}), 40068),
        (
            json!({"group_id": GROUP_LEVEL, "tag": [{"name": "重点客户"}]}),
            40071,
        ),
        (
            json!({"group_name": "新组", "tag": [{"name": "a"}, {"name": "a"}]}),
            40071,
        ),
        (json!({"group_name": "新组", "tag": [{"name": ""}]}), 40072),
        (
            json!({"group_name": "新组", "tag": [{"name": "一".repeat(31)}]}),
            40072,
        ),
        (json!({"group_name": "新组", "tag": []}), 40058),
        (json!({"tag": [{"name": "x"}]}), 40058),
    ] {
        let v = json(&app, post_json(&add, &body).to_request()).await;
        assert_eq!(errcode(&v), code, "{body}: {v}");
    }
}

#[actix_web::test]
async fn corp_tag_limit_is_3000() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let add = format!("/cgi-bin/externalcontact/add_corp_tag?access_token={t}");
    // 4 tags exist; add 2996 in groups of 100 names.
    let mut left = 2996;
    let mut g = 0;
    while left > 0 {
        let n = left.min(100);
        let tags: Vec<Value> = (0..n)
            .map(|i| json!({"name": format!("标签{g}-{i}")}))
            .collect();
        let v = json(
            &app,
            post_json(&add, &json!({"group_name": format!("组{g}"), "tag": tags})).to_request(),
        )
        .await;
        assert_eq!(errcode(&v), 0, "{v}");
        left -= n;
        g += 1;
    }
    let v = json(
        &app,
        post_json(
            &add,
            &json!({"group_name": "多一个", "tag": [{"name": "x"}]}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 40126);
}

#[actix_web::test]
async fn mark_tag_updates_the_follow() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let mark = format!("/cgi-bin/externalcontact/mark_tag?access_token={t}");
    let v = json(&app, post_json(&mark, &json!({"userid": "zhangsan", "external_userid": ALICE, "add_tag": [TAG_NORMAL, TAG_VIP], "remove_tag": [TAG_SMALL]})).to_request()).await;
    assert_eq!(errcode(&v), 0, "{v}");
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={ALICE}"
        ))
        .to_request(),
    )
    .await;
    let ids: Vec<&str> = v["follow_user"][0]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![TAG_VIP, TAG_NORMAL]);
    // lisi's follow of the same contact is untouched.
    assert_eq!(v["follow_user"][1]["tags"], json!([]));

    for (body, code) in [
        (
            json!({"userid": "zhangsan", "external_userid": ALICE}),
            40058,
        ),
        (
            json!({"userid": "zhangsan", "external_userid": ALICE, "add_tag": [], "remove_tag": []}),
            40058,
        ),
        (
            json!({"userid": "zhangsan", "external_userid": ALICE, "add_tag": ["etNope"]}),
            40068,
        ),
        (
            json!({"userid": "zhangsan", "external_userid": ALICE, "remove_tag": ["etNope"]}),
            40068,
        ),
        (
            json!({"userid": "zhangsan", "external_userid": CAROL, "add_tag": [TAG_VIP]}),
            84061,
        ),
        (
            json!({"userid": "zhangsan", "external_userid": "bad", "add_tag": [TAG_VIP]}),
            40096,
        ),
        (
            json!({"userid": "ghost", "external_userid": ALICE, "add_tag": [TAG_VIP]}),
            40003,
        ),
        (
            json!({"external_userid": ALICE, "add_tag": [TAG_VIP]}),
            41009,
        ),
    ] {
        let v = json(&app, post_json(&mark, &body).to_request()).await;
        assert_eq!(errcode(&v), code, "{body}: {v}");
    }
}

#[actix_web::test]
async fn remark_updates_the_follow() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let uri = format!("/cgi-bin/externalcontact/remark?access_token={t}");
    let v = json(&app, post_json(&uri, &json!({
        "userid": "zhangsan", "external_userid": ALICE,
        "remark": "王总-某贸易", "description": "老板，负责付款",
        "remark_company": "某贸易有限公司（新）", "remark_mobiles": ["13911112222", "13933334444"]
    })).to_request()).await;
    assert_eq!(errcode(&v), 0, "{v}");
    let v = json(
        &app,
        post_json(
            &format!("/cgi-bin/externalcontact/batch/get_by_user?access_token={t}"),
            &json!({"userid_list": ["zhangsan"], "limit": 1}),
        )
        .to_request(),
    )
    .await;
    let fi = &v["external_contact_list"][0]["follow_info"];
    assert_eq!(fi["remark"], "王总-某贸易");
    assert_eq!(fi["description"], "老板，负责付款");
    assert_eq!(fi["remark_corp_name"], "某贸易有限公司（新）");
    assert_eq!(fi["remark_mobiles"], json!(["13911112222", "13933334444"]));

    // Absent fields stay; [""] clears the mobiles.
    let v = json(
        &app,
        post_json(
            &uri,
            &json!({"userid": "zhangsan", "external_userid": ALICE, "remark_mobiles": [""]}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={ALICE}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["follow_user"][0]["remark"], "王总-某贸易");
    assert_eq!(v["follow_user"][0]["remark_mobiles"], json!([]));

    // remark_company only applies to WeChat contacts (Carol is a WeCom user).
    let v = json(
        &app,
        post_json(
            &uri,
            &json!({"userid": "lisi", "external_userid": CAROL, "remark_company": "不生效"}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/externalcontact/get?access_token={t}&external_userid={CAROL}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["follow_user"][0]["remark_corp_name"], "某贸易有限公司");

    for (body, code) in [
        (
            json!({"userid": "zhangsan", "external_userid": ALICE}),
            40058,
        ),
        (
            json!({"userid": "zhangsan", "external_userid": ALICE, "remark": "一".repeat(21)}),
            40058,
        ),
        (
            json!({"userid": "zhangsan", "external_userid": ALICE, "description": "一".repeat(151)}),
            40058,
        ),
        (
            json!({"userid": "zhangsan", "external_userid": ALICE, "remark_pic_mediaid": "3nope"}),
            40007,
        ),
        (
            json!({"userid": "zhangsan", "external_userid": CAROL, "remark": "x"}),
            84061,
        ),
        (
            json!({"userid": "ghost", "external_userid": ALICE, "remark": "x"}),
            40003,
        ),
    ] {
        let v = json(&app, post_json(&uri, &body).to_request()).await;
        assert_eq!(errcode(&v), code, "{body}: {v}");
    }
}

/// A multipart body with one `media` part.
fn multipart(filename: Option<&str>, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----sandboxBoundary7MA4YWxk";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    match filename {
        Some(f) => body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"media\"; filename=\"{f}\"; filelength={}\r\nContent-Type: application/octet-stream\r\n\r\n", data.len()).as_bytes(),
        ),
        None => body.extend_from_slice(b"Content-Disposition: form-data; name=\"media\"\r\n\r\n"),
    }
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[actix_web::test]
async fn media_upload_and_get() {
    let (sb, clock) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let upload = |kind: &str, filename: Option<&str>, data: &[u8]| {
        let (ct, body) = multipart(filename, data);
        post_raw(
            &format!("/cgi-bin/media/upload?access_token={t}&type={kind}"),
            body,
        )
        .insert_header(("content-type", ct))
        .to_request()
    };
    let png = b"\x89PNG\r\n\x1a\n0000receipt";
    let v = json(&app, upload("image", Some("收据.png"), png)).await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(v["errmsg"], "");
    assert_eq!(v["type"], "image");
    assert_eq!(v["created_at"], clock.secs().to_string());
    let media_id = v["media_id"].as_str().unwrap().to_string();
    let kept = sb.media(&media_id).unwrap();
    assert_eq!(kept.bytes, png);
    assert_eq!(kept.filename, "收据.png");

    let (status, body) = call(
        &app,
        get(&format!(
            "/cgi-bin/media/get?access_token={t}&media_id={media_id}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&body[..], png);

    let v = json(&app, upload("file", Some("报表.pdf"), &[7u8; 1000])).await;
    assert_eq!(errcode(&v), 0);

    let cases: Vec<(String, Option<&str>, Vec<u8>, i64)> = vec![
        ("doc".into(), Some("a.png"), png.to_vec(), 40005),
        ("image".into(), Some("a.png"), b"12345".to_vec(), 40006),
        ("image".into(), Some("a.gif"), png.to_vec(), 40004),
        ("image".into(), None, png.to_vec(), 40004),
        (
            "image".into(),
            Some("big.png"),
            vec![0u8; 10 * 1024 * 1024 + 1],
            40009,
        ),
        (
            "video".into(),
            Some("big.mp4"),
            vec![0u8; 10 * 1024 * 1024 + 1],
            40011,
        ),
        (
            "voice".into(),
            Some("big.amr"),
            vec![0u8; 2 * 1024 * 1024 + 1],
            45001,
        ),
        (
            "file".into(),
            Some("big.zip"),
            vec![0u8; 20 * 1024 * 1024 + 1],
            45001,
        ),
    ];
    for (kind, filename, data, code) in cases {
        let v = json(&app, upload(&kind, filename, &data)).await;
        assert_eq!(errcode(&v), code, "{kind} {filename:?} {}", data.len());
    }
    // Not multipart, or no media field.
    let v = json(
        &app,
        post_raw(
            &format!("/cgi-bin/media/upload?access_token={t}&type=file"),
            "hello world",
        )
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 44001);

    // Kept three days.
    clock.advance(3 * 24 * 3600 - 1);
    assert!(sb.media(&media_id).is_some());
    clock.advance(1);
    assert!(sb.media(&media_id).is_none());
    let t = token!(app);
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/media/get?access_token={t}&media_id={media_id}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 40007);
}

#[actix_web::test]
async fn message_send_checks_agent_and_recipients() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let uri = format!("/cgi-bin/message/send?access_token={t}");
    let v = json(
        &app,
        post_json(
            &uri,
            &json!({
                "touser": "zhangsan|ghost|lisi|zhangsan", "msgtype": "text", "agentid": 1000002,
                "text": {"content": "王老板的发票已收到"}
            }),
        )
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(v["invaliduser"], "ghost");
    assert_eq!(v["invalidparty"], "");
    assert!(!v["msgid"].as_str().unwrap().is_empty());
    let sent = sb.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].touser, vec!["zhangsan", "lisi"]);
    assert_eq!(sent[0].msgtype, "text");
    assert_eq!(sent[0].body["text"]["content"], "王老板的发票已收到");
    assert_eq!(sent[0].msgid, v["msgid"].as_str().unwrap());

    // agentid as a string works; a department reaches its members.
    let v = json(&app, post_json(&uri, &json!({"toparty": "2|99", "msgtype": "markdown", "agentid": AGENT_ID, "markdown": {"content": "**提醒**"}})).to_request()).await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(v["invalidparty"], "99");
    assert_eq!(sb.sent_messages()[1].touser.len(), 3);

    let v = json(&app, post_json(&uri, &json!({"touser": "ghost|nobody", "msgtype": "text", "agentid": 1000002, "text": {"content": "x"}})).to_request()).await;
    assert_eq!(errcode(&v), 81013);
    assert_eq!(v["invaliduser"], "ghost|nobody");

    for (body, code) in [
        (
            json!({"touser": "zhangsan", "msgtype": "text", "agentid": 1000003, "text": {"content": "x"}}),
            301002,
        ),
        (
            json!({"touser": "zhangsan", "msgtype": "text", "text": {"content": "x"}}),
            41011,
        ),
        (
            json!({"touser": "zhangsan", "msgtype": "text", "agentid": "abc", "text": {"content": "x"}}),
            40056,
        ),
        (
            json!({"touser": "zhangsan", "msgtype": "sms", "agentid": 1000002}),
            40008,
        ),
        (json!({"touser": "zhangsan", "agentid": 1000002}), 40008),
        (
            json!({"touser": "zhangsan", "msgtype": "text", "agentid": 1000002, "text": {"content": ""}}),
            44004,
        ),
        (
            json!({"touser": "zhangsan", "msgtype": "text", "agentid": 1000002, "text": {"content": "字".repeat(700)}}),
            45002,
        ),
        (
            json!({"touser": "zhangsan", "msgtype": "image", "agentid": 1000002, "image": {"media_id": "3nope"}}),
            40007,
        ),
        (
            json!({"touser": "zhangsan", "msgtype": "textcard", "agentid": 1000002, "textcard": {"title": "t"}}),
            40058,
        ),
        (
            json!({"msgtype": "text", "agentid": 1000002, "text": {"content": "x"}}),
            81013,
        ),
        (json!([1, 2]), 40058),
    ] {
        let v = json(&app, post_json(&uri, &body).to_request()).await;
        assert_eq!(errcode(&v), code, "{body}: {v}");
    }
    assert_eq!(sb.sent_messages().len(), 2, "failed sends are not recorded");
}

#[actix_web::test]
async fn unknown_api_is_404_json() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let (status, body) = call(
        &app,
        get("/cgi-bin/department/list?access_token=x").to_request(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(errcode(&v), 48002);
}

#[actix_web::test]
async fn garbage_never_panics() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"str\"".to_vec(),
        b"12345678901234567890".to_vec(),
        b"{\"userid_list\": [null, 1, {}], \"limit\": 1e99}".to_vec(),
        b"{\"chat_id\": {\"$gt\": 1}, \"need_name\": [1]}".to_vec(),
        b"{\"limit\": 9999999999999999999999, \"cursor\": \"\xff\xfe\"}".to_vec(),
        vec![0xff, 0x00, 0xc3, 0x28],
        "{\"tag\": [{\"name\": \"\u{202e}\u{0000}\"}], \"group_name\": \"<script>\"}"
            .as_bytes()
            .to_vec(),
        b"{\"touser\": 1, \"agentid\": [], \"msgtype\": {}}".to_vec(),
        b"{\"agentid\": 1000002, \"msgtype\": \"news\", \"news\": {\"articles\": \"x\"}}".to_vec(),
    ];
    let queries = [
        "",
        "&userid=%ff%fe",
        "&external_userid=%00%00&cursor=%%%",
        "&type=%E4%BD%A0&media_id=../../etc/passwd",
        "&code=&userid[]=1",
        "&cursor=AAAAAAAAAAAAAAAAAAAAAAA",
    ];
    for api in crate::sandbox::api::APIS {
        for q in queries {
            let uri = format!("/cgi-bin/{api}?access_token={t}{q}");
            let (status, _) = call(&app, get(&uri).to_request()).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            for body in &bodies {
                let (status, resp) = call(
                    &app,
                    post_raw(&uri, body.clone())
                        .insert_header(("content-type", "multipart/form-data; boundary=x"))
                        .to_request(),
                )
                .await;
                assert_eq!(status, StatusCode::OK, "{uri}");
                let v: Value = serde_json::from_slice(&resp).unwrap_or(Value::Null);
                // media/get answers bytes on success; everything else is WeCom JSON.
                assert!(
                    v.get("errcode").is_some() || *api == "media/get",
                    "{uri}: {}",
                    String::from_utf8_lossy(&resp)
                );
            }
        }
    }
    // Malformed percent-encoding and odd paths.
    for uri in [
        "/cgi-bin/gettoken?corpid=%&corpsecret=%zz",
        "/cgi-bin//externalcontact//list",
        "/cgi-bin/%2e%2e/gettoken",
        "/cgi-bin/",
    ] {
        let (status, _) = call(&app, get(uri).to_request()).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::NOT_FOUND,
            "{uri}: {status}"
        );
    }
}

#[actix_web::test]
async fn mounted_under_a_base_path() {
    let (sb, _) = super::sandbox_with(
        builder::small(),
        SandboxOptions {
            base_path: "sandbox/".into(),
            ..SandboxOptions::default()
        },
    );
    assert_eq!(sb.options().base_path, "/sandbox");
    let app = app!(sb);
    let v = json(
        &app,
        get(&format!(
            "/sandbox/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret={SECRET}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0);
    let (status, _) = call(
        &app,
        get(&format!(
            "/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret={SECRET}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, get("/sandbox/_sandbox/stats").to_request()).await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn control_endpoints() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let _ = token!(app);
    let v = json(&app, get("/_sandbox/stats").to_request()).await;
    assert_eq!(v["calls"]["gettoken"], 1);
    assert_eq!(v["total"], 1);
    let (status, _) = call(
        &app,
        actix_web::test::TestRequest::delete()
            .uri("/_sandbox/stats")
            .to_request(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sb.calls("gettoken"), 0);

    let v = json(&app, get("/_sandbox/info").to_request()).await;
    assert_eq!(v["corp_id"], CORP_ID);
    assert_eq!(v["agent_id"], AGENT_ID);
    assert!(
        v.get("secret").is_none(),
        "secrets stay out of HTTP answers"
    );
    assert!(v.get("token").is_none() && v.get("encoding_aes_key").is_none());
    assert_eq!(v["external_contacts"], 3);
    assert_eq!(v["group_chats"], 2);

    let v = json(&app, get("/_sandbox/messages").to_request()).await;
    assert_eq!(v, json!([]));

    for body in [
        json!({}),
        json!({"errcode": 0}),
        json!({"errcode": 1, "times": 0}),
        json!({"api": "nope/x", "errcode": 1}),
        json!({"errcode": 1, "bogus": true}),
        json!({"latency_ms": 600000}),
    ] {
        let (status, _) = call(&app, post_json("/_sandbox/faults", &body).to_request()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    let (status, _) = call(&app, post_raw("/_sandbox/faults", "{{{").to_request()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(&app, post_raw("/_sandbox/callbacks", "[]").to_request()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn issue_code_shortcut() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    assert!(sb.issue_code("ghost").is_none());
    let code = sb.issue_code("lisi").unwrap();
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/auth/getuserinfo?access_token={t}&code={code}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(v["userid"], "lisi");
    let v = json(
        &app,
        get(&format!("/cgi-bin/auth/getuserinfo?access_token={t}")).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 41008);
}

#[actix_web::test]
async fn extreme_clock_and_lifetime_do_not_panic() {
    let max = chrono::DateTime::<chrono::Utc>::MAX_UTC;
    let sb = Sandbox::with_clock(
        builder::small(),
        SandboxOptions {
            token_lifetime: std::time::Duration::MAX,
            ..SandboxOptions::default()
        },
        std::sync::Arc::new(move || max),
    );
    let app = app!(sb);
    let t = token!(app);
    // At the end of chrono's time everything saturates: the token is born expired.
    let v = json(
        &app,
        get(&format!("/cgi-bin/get_jsapi_ticket?access_token={t}")).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 42001);
    assert!(sb.issue_code("lisi").is_some());
    assert!(!sb.has_media("3nope", None));
}

#[actix_web::test]
async fn uploaded_media_can_be_sent_and_used_as_remark_picture() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let upload = |kind: &str, name: &str| {
        let (ct, body) = multipart(Some(name), b"0123456789abcdef");
        post_raw(
            &format!("/cgi-bin/media/upload?access_token={t}&type={kind}"),
            body,
        )
        .insert_header(("content-type", ct))
        .to_request()
    };
    let image = json(&app, upload("image", "a.jpg")).await["media_id"]
        .as_str()
        .unwrap()
        .to_string();
    let file = json(&app, upload("file", "报表.xlsx")).await["media_id"]
        .as_str()
        .unwrap()
        .to_string();
    let send = format!("/cgi-bin/message/send?access_token={t}");
    let v = json(&app, post_json(&send, &json!({"touser": "lisi", "msgtype": "file", "agentid": 1000002, "file": {"media_id": file}})).to_request()).await;
    assert_eq!(errcode(&v), 0, "{v}");
    let v = json(&app, post_json(&send, &json!({"touser": "@all", "msgtype": "image", "agentid": 1000002, "image": {"media_id": image}})).to_request()).await;
    assert_eq!(errcode(&v), 0, "{v}");
    assert_eq!(sb.sent_messages()[1].touser.len(), 3);
    let remark = format!("/cgi-bin/externalcontact/remark?access_token={t}");
    let v = json(
        &app,
        post_json(
            &remark,
            &json!({"userid": "zhangsan", "external_userid": ALICE, "remark_pic_mediaid": image}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0);
    let v = json(
        &app,
        post_json(
            &remark,
            &json!({"userid": "zhangsan", "external_userid": ALICE, "remark_pic_mediaid": file}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 40007, "a remark picture must be an image");
}
