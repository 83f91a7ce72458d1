//! The back office's WeCom pages: 我的微信联系人, 我的微信群, 已关联客户 and 匹配员工 — scope for
//! admins and staff, linking chats to several customers, binding members, CSRF and other firms.

use reqwest::StatusCode;

use crate::admin_employees::{Office, office};
use crate::helpers::{Browser, TestApp, spawn_app};

/// One firm's WeCom mirror: members, contacts, groups, tags and customers.
struct World {
    o: Office,
    corp: String,
    /// Followed by staff (remark 张总, tag VIP).
    zhang: i64,
    /// Followed by another member only.
    li: i64,
    /// Owned by staff.
    staff_group: i64,
    /// Owned by another member, staff not in it.
    other_group: i64,
    /// Served by staff.
    jia: i64,
    yi: i64,
    /// Not served by staff.
    bing: i64,
    vip: i64,
}

async fn last_id(app: &TestApp, table: &str, firm_id: i64) -> i64 {
    app.count(&format!(
        "SELECT MAX(id) FROM {table} WHERE firm_id = {firm_id}"
    ))
    .await
}

async fn member(app: &TestApp, firm_id: i64, userid: &str, name: &str) {
    let now = app.clock_now();
    app.execute(
        "INSERT INTO wecom_member (firm_id, userid, name, status, is_follow_user, created_at, updated_at) \
         VALUES (?, ?, ?, 1, TRUE, ?, ?)",
        vec![firm_id.into(), userid.into(), name.into(), now.into(), now.into()],
    )
    .await;
}

async fn contact(
    app: &TestApp,
    firm_id: i64,
    external_userid: &str,
    name: &str,
    follower: &str,
    remark: &str,
    tags: &[&str],
) -> i64 {
    let now = app.clock_now();
    app.execute(
        "INSERT INTO wecom_external_contact (firm_id, external_userid, name, contact_type, gender, created_at, updated_at) \
         VALUES (?, ?, ?, 1, 0, ?, ?)",
        vec![
            firm_id.into(),
            external_userid.into(),
            name.into(),
            now.into(),
            now.into(),
        ],
    )
    .await;
    let id = last_id(app, "wecom_external_contact", firm_id).await;
    app.execute(
        "INSERT INTO external_follow (firm_id, external_contact_id, userid, remark, add_way, tag_ids, created_at, updated_at) \
         VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
        vec![
            firm_id.into(),
            id.into(),
            follower.into(),
            remark.into(),
            serde_json::json!(tags).into(),
            now.into(),
            now.into(),
        ],
    )
    .await;
    id
}

async fn group(app: &TestApp, firm_id: i64, chat_id: &str, name: &str, owner: &str) -> i64 {
    let now = app.clock_now();
    app.execute(
        "INSERT INTO wecom_group_chat (firm_id, chat_id, name, owner_userid, member_count, status, created_at, updated_at) \
         VALUES (?, ?, ?, ?, 2, 0, ?, ?)",
        vec![
            firm_id.into(),
            chat_id.into(),
            name.into(),
            owner.into(),
            now.into(),
            now.into(),
        ],
    )
    .await;
    let id = last_id(app, "wecom_group_chat", firm_id).await;
    app.execute(
        "INSERT INTO group_chat_member (firm_id, group_chat_id, member_id, member_type, created_at, updated_at) \
         VALUES (?, ?, ?, 1, ?, ?)",
        vec![
            firm_id.into(),
            id.into(),
            owner.into(),
            now.into(),
            now.into(),
        ],
    )
    .await;
    id
}

async fn world(app: &TestApp, corp: &str) -> World {
    let o = office(app, corp).await;
    let firm_id = o.firm.firm_id;
    let now = app.clock_now();
    let staff = format!("{corp}-staff");
    let other = format!("{corp}-other");
    member(app, firm_id, &format!("{corp}-admin"), "管理员").await;
    member(app, firm_id, &staff, "小王").await;
    member(app, firm_id, &other, "小李").await;
    app.execute(
        "INSERT INTO tag_group (firm_id, name, wecom_group_id, created_at, updated_at) VALUES (?, '客户等级', ?, ?, ?)",
        vec![firm_id.into(), format!("{corp}-grp").into(), now.into(), now.into()],
    )
    .await;
    let tag_group = last_id(app, "tag_group", firm_id).await;
    app.execute(
        "INSERT INTO tag (firm_id, group_id, name, wecom_tag_id, created_at, updated_at) VALUES (?, ?, 'VIP', ?, ?, ?)",
        vec![
            firm_id.into(),
            tag_group.into(),
            format!("{corp}_vip").into(),
            now.into(),
            now.into(),
        ],
    )
    .await;
    let vip = last_id(app, "tag", firm_id).await;
    let zhang = contact(
        app,
        firm_id,
        &format!("{corp}-wm-zhang"),
        "张老板",
        &staff,
        "张总",
        &[&format!("{corp}_vip")],
    )
    .await;
    let li = contact(
        app,
        firm_id,
        &format!("{corp}-wm-li"),
        "李会计",
        &other,
        "李姐",
        &[],
    )
    .await;
    let staff_group = group(
        app,
        firm_id,
        &format!("{corp}-chat-1"),
        "张老板记账群",
        &staff,
    )
    .await;
    let other_group = group(
        app,
        firm_id,
        &format!("{corp}-chat-2"),
        "李会计服务群",
        &other,
    )
    .await;
    let jia = app.add_customer(firm_id, "甲贸易有限公司").await;
    let yi = app.add_customer(firm_id, "乙科技有限公司").await;
    let bing = app.add_customer(firm_id, "丙餐饮有限公司").await;
    for customer in [jia, yi] {
        app.execute(
            "INSERT INTO customer_staff (firm_id, customer_id, employee_id, role, created_at) VALUES (?, ?, ?, 'account_manager', ?)",
            vec![firm_id.into(), customer.into(), o.staff_id.into(), now.into()],
        )
        .await;
    }
    World {
        corp: corp.to_string(),
        o,
        zhang,
        li,
        staff_group,
        other_group,
        jia,
        yi,
        bing,
        vip,
    }
}

impl World {
    async fn admin(&self, app: &TestApp) -> Browser {
        app.signed_in_back_office(&format!("{}-admin", self.corp))
            .await
    }
    async fn staff(&self, app: &TestApp) -> Browser {
        app.signed_in_back_office(&format!("{}-staff", self.corp))
            .await
    }
}

async fn html(b: &Browser, path: &str) -> String {
    let resp = b.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    resp.text().await.unwrap()
}

async fn post(b: &Browser, page: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let csrf = b.csrf_token(page).await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &csrf));
    b.post_form(path, &fields).await
}

async fn links_of_contact(app: &TestApp, id: i64) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM customer_external_link WHERE external_contact_id = {id}"
    ))
    .await
}

#[tokio::test]
async fn admins_see_every_contact_and_staff_only_those_they_follow() {
    let app = spawn_app().await;
    let w = world(&app, "wwlinks1").await;
    let admin = html(&w.admin(&app).await, "/admin/wecom/contacts").await;
    assert!(admin.contains("张老板") && admin.contains("李会计"));
    assert!(admin.contains("我的微信联系人") && admin.contains("匹配员工"));
    assert!(admin.contains("张总") && admin.contains("VIP"));
    let staff = html(&w.staff(&app).await, "/admin/wecom/contacts").await;
    assert!(staff.contains("张老板"));
    assert!(!staff.contains("李会计"));
    // 同步微信联系人 on the page itself, for admins; staff are told whom to ask.
    assert!(admin.contains("id=\"sync-contacts\"") && !staff.contains("id=\"sync-contacts\""));
    assert!(staff.contains("请联系管理员同步"));
    let resp = post(
        &w.admin(&app).await,
        "/admin/wecom/contacts",
        "/admin/wecom/sync",
        &[("what", "contacts")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM background_job WHERE kind = 'wecom_sync' AND firm_id = {}",
            w.o.firm.firm_id
        ))
        .await,
        1
    );
    assert!(
        !staff.contains("匹配员工"),
        "the members page is for admins"
    );

    // Search by remark, filter by member and tag, linked state.
    let b = w.admin(&app).await;
    let found = html(&b, "/admin/wecom/contacts?q=%E5%BC%A0%E6%80%BB").await;
    assert!(found.contains("张老板") && !found.contains("李会计"));
    let other = html(
        &b,
        &format!("/admin/wecom/contacts?member={}-other", w.corp),
    )
    .await;
    assert!(other.contains("李会计") && !other.contains("张老板"));
    let vip = html(&b, &format!("/admin/wecom/contacts?tag={}", w.vip)).await;
    assert!(vip.contains("张老板") && !vip.contains("李会计"));
    let linked = html(&b, "/admin/wecom/contacts?linked=linked").await;
    assert!(linked.contains("没有符合条件的微信联系人"));

    // Bad filters answer a Chinese message, not a panic.
    for bad in ["linked=maybe", "tag=abc", "page=0", "tag=999999"] {
        let resp = b.get(&format!("/admin/wecom/contacts?{bad}")).await;
        assert!(resp.status().is_client_error(), "{bad}: {}", resp.status());
        let body = resp.text().await.unwrap();
        assert!(
            body.contains("不正确") || body.contains("不存在") || body.contains("关联状态"),
            "{bad}: {body}"
        );
    }
}

#[tokio::test]
async fn admins_see_every_group_and_staff_only_those_they_own_or_are_in() {
    let app = spawn_app().await;
    let w = world(&app, "wwlinks2").await;
    let admin = html(&w.admin(&app).await, "/admin/wecom/groups").await;
    assert!(admin.contains("张老板记账群") && admin.contains("李会计服务群"));
    assert!(admin.contains("小李"), "the owner's name is shown");
    let staff = w.staff(&app).await;
    let page = html(&staff, "/admin/wecom/groups").await;
    assert!(page.contains("张老板记账群") && !page.contains("李会计服务群"));
    assert!(admin.contains("id=\"sync-groups\"") && !page.contains("id=\"sync-groups\""));
    assert!(page.contains("请联系管理员同步"));
    // Staff in someone else's group see it too.
    let now = app.clock_now();
    app.execute(
        "INSERT INTO group_chat_member (firm_id, group_chat_id, member_id, member_type, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
        vec![
            w.o.firm.firm_id.into(),
            w.other_group.into(),
            format!("{}-staff", w.corp).into(),
            now.into(),
            now.into(),
        ],
    )
    .await;
    assert!(
        html(&staff, "/admin/wecom/groups")
            .await
            .contains("李会计服务群")
    );
    // Dismissed groups are not listed.
    app.execute(
        "UPDATE wecom_group_chat SET dismissed_at = ? WHERE id = ?",
        vec![now.into(), w.staff_group.into()],
    )
    .await;
    assert!(
        !html(&staff, "/admin/wecom/groups")
            .await
            .contains("张老板记账群")
    );
    let gone = staff
        .get(&format!("/admin/wecom/groups/{}", w.staff_group))
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn linking_candidates_are_found_by_short_name_or_any_case_part_of_the_uscc() {
    let app = spawn_app().await;
    let w = world(&app, "wwlinks9").await;
    app.execute(
        "UPDATE customer SET uscc = '91310000MA1FL8XQ2K', short_name = '丙丁餐饮' WHERE id = ?",
        vec![w.bing.into()],
    )
    .await;
    let b = w.admin(&app).await;
    let page = format!("/admin/wecom/contacts/{}", w.zhang);
    for q in ["ma1fl8xq", "%E4%B8%99%E4%B8%81"] {
        let found = html(&b, &format!("{page}?q={q}")).await;
        assert!(found.contains("丙餐饮有限公司"), "{q}");
        assert!(!found.contains("甲贸易有限公司"), "{q}");
    }
}

#[tokio::test]
async fn a_contact_links_to_several_customers_and_unlinks_one_with_audit() {
    let app = spawn_app().await;
    let w = world(&app, "wwlinks3").await;
    let b = w.admin(&app).await;
    let page = format!("/admin/wecom/contacts/{}", w.zhang);
    // Before a search, the customers no chat is linked to are offered.
    let offered = html(&b, &page).await;
    let form = offered
        .split("id=\"link-form\"")
        .nth(1)
        .unwrap_or_else(|| panic!("unlinked customers are offered: {offered}"));
    assert!(form.contains("甲贸易有限公司") && form.contains("乙科技有限公司"));
    assert!(offered.contains("id=\"unlinked-hint\""));
    let search = html(&b, &format!("{page}?q=%E6%9C%89%E9%99%90")).await;
    assert!(search.contains("甲贸易有限公司") && search.contains("丙餐饮有限公司"));
    let (jia, yi, bing) = (w.jia.to_string(), w.yi.to_string(), w.bing.to_string());
    let resp = post(
        &b,
        &page,
        &format!("{page}/link"),
        &[
            ("customer_id", &jia),
            ("customer_id", &yi),
            ("customer_id", &bing),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(links_of_contact(&app, w.zhang).await, 3);
    let offered = html(&b, &page).await;
    assert!(
        offered.contains("id=\"all-linked\"") && !offered.contains("id=\"link-form\""),
        "every customer has a chat: say so, and how to link more"
    );
    let shown = html(&b, &format!("{page}?saved=linked")).await;
    assert!(shown.contains("已关联。") && shown.contains("乙科技有限公司"));
    let resp = post(
        &b,
        &page,
        &format!("{page}/unlink"),
        &[("customer_id", &yi)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(links_of_contact(&app, w.zhang).await, 2);
    let offered = html(&b, &page).await;
    let form = offered.split("id=\"link-form\"").nth(1).unwrap_or_default();
    assert!(
        form.contains("乙科技有限公司") && !form.contains("甲贸易有限公司"),
        "only customers without a chat: {form}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'chat.link_customers' \
             AND entity = 'wecom_external_contact' AND entity_id = '{}'",
            w.zhang
        ))
        .await,
        2
    );
    // The list and 已关联客户 show the links.
    let list = html(&b, "/admin/wecom/contacts?linked=linked").await;
    assert!(list.contains("张老板") && list.contains("甲贸易有限公司"));
    let unlinked = html(&b, "/admin/wecom/contacts?linked=unlinked").await;
    assert!(!unlinked.contains("张老板") && unlinked.contains("李会计"));
    let customers = html(&b, "/admin/customers/links").await;
    assert!(customers.contains("甲贸易有限公司") && customers.contains("张老板"));
    assert!(
        !customers.contains("乙科技有限公司"),
        "only linked customers by default"
    );
    let all = html(&b, "/admin/customers/links?linked=unlinked").await;
    assert!(all.contains("乙科技有限公司") && !all.contains("甲贸易有限公司"));

    // Unlinking what is not linked, or linking nothing, is a clear refusal.
    let resp = post(
        &b,
        &page,
        &format!("{page}/unlink"),
        &[("customer_id", &yi)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = post(&b, &page, &format!("{page}/link"), &[]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("请至少勾选一家客户"));
    let resp = post(&b, &page, &format!("{page}/link"), &[("customer_id", "x")]).await;
    assert!(resp.status().is_client_error());
}

#[tokio::test]
async fn a_group_links_to_several_customers() {
    let app = spawn_app().await;
    let w = world(&app, "wwlinks4").await;
    let b = w.staff(&app).await;
    let page = format!("/admin/wecom/groups/{}", w.staff_group);
    let (jia, yi) = (w.jia.to_string(), w.yi.to_string());
    let resp = post(
        &b,
        &page,
        &format!("{page}/link"),
        &[("customer_id", &jia), ("customer_id", &yi)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer_group_link WHERE group_chat_id = {}",
            w.staff_group
        ))
        .await,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'chat.link_customers' AND entity = 'wecom_group_chat'")
            .await,
        1
    );
    let list = html(&b, "/admin/wecom/groups?linked=linked").await;
    assert!(list.contains("张老板记账群") && list.contains("乙科技有限公司"));
    let customers = html(&b, "/admin/customers/links").await;
    assert!(customers.contains("张老板记账群"));
}

#[tokio::test]
async fn staff_cannot_link_a_contact_they_do_not_follow_nor_a_customer_they_do_not_serve() {
    let app = spawn_app().await;
    let w = world(&app, "wwlinks5").await;
    let b = w.staff(&app).await;
    let jia = w.jia.to_string();
    let resp = b.get(&format!("/admin/wecom/contacts/{}", w.li)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let mine = format!("/admin/wecom/contacts/{}", w.zhang);
    let resp = post(
        &b,
        &mine,
        &format!("/admin/wecom/contacts/{}/link", w.li),
        &[("customer_id", &jia)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("您没有添加该微信联系人")
    );
    let resp = post(
        &b,
        &mine,
        &format!("/admin/wecom/groups/{}/link", w.other_group),
        &[("customer_id", &jia)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let bing = w.bing.to_string();
    let resp = post(
        &b,
        &mine,
        &format!("{mine}/link"),
        &[("customer_id", &bing)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(links_of_contact(&app, w.li).await, 0);
    assert_eq!(links_of_contact(&app, w.zhang).await, 0);
    // Staff see only the customers they may see on 已关联客户 and cannot open 匹配员工.
    let resp = b.get("/admin/wecom/members").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let customers = html(&b, "/admin/customers/links?linked=all").await;
    assert!(customers.contains("甲贸易有限公司") && !customers.contains("丙餐饮有限公司"));
}

#[tokio::test]
async fn writes_without_a_csrf_token_are_refused() {
    let app = spawn_app().await;
    let w = world(&app, "wwlinks6").await;
    let b = w.admin(&app).await;
    let _ = html(&b, "/admin/wecom/contacts").await;
    let jia = w.jia.to_string();
    for (path, form) in [
        (
            format!("/admin/wecom/contacts/{}/link", w.zhang),
            vec![("customer_id", jia.as_str())],
        ),
        (
            format!("/admin/wecom/groups/{}/link", w.staff_group),
            vec![("customer_id", jia.as_str())],
        ),
        (
            format!("/admin/wecom/contacts/{}/unlink", w.zhang),
            vec![("customer_id", jia.as_str())],
        ),
        (
            "/admin/wecom/members/unbind".to_string(),
            vec![("employee_id", "1")],
        ),
    ] {
        let resp = b.post_form(&path, &form).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
        let bad = b
            .post_form(&path, &[form.as_slice(), &[("csrf", "forged")]].concat())
            .await;
        assert_eq!(bad.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(links_of_contact(&app, w.zhang).await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM employee WHERE wecom_userid IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn another_firm_cannot_see_or_change_contacts_groups_or_links_by_id() {
    let app = spawn_app().await;
    let first = world(&app, "wwlinks7a").await;
    let second = world(&app, "wwlinks7b").await;
    let b = first.admin(&app).await;
    let jia = first.jia.to_string();
    let page = format!("/admin/wecom/contacts/{}", first.zhang);
    post(&b, &page, &format!("{page}/link"), &[("customer_id", &jia)]).await;
    assert_eq!(links_of_contact(&app, first.zhang).await, 1);

    let intruder = second.admin(&app).await;
    let list = html(&intruder, "/admin/wecom/contacts").await;
    assert!(list.contains("张老板"), "their own contact");
    assert!(!list.contains(&format!("/admin/wecom/contacts/{}\"", first.zhang)));
    for path in [
        format!("/admin/wecom/contacts/{}", first.zhang),
        format!("/admin/wecom/groups/{}", first.staff_group),
    ] {
        assert_eq!(
            intruder.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let own = format!("/admin/wecom/contacts/{}", second.zhang);
    // Their chat with our customer, our chat with their customer, our link: all refused.
    let resp = post(
        &intruder,
        &own,
        &format!("{own}/link"),
        &[("customer_id", &jia)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let theirs = second.jia.to_string();
    for path in [
        format!("/admin/wecom/contacts/{}/link", first.zhang),
        format!("/admin/wecom/groups/{}/link", first.staff_group),
    ] {
        let resp = post(&intruder, &own, &path, &[("customer_id", &theirs)]).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let resp = post(
        &intruder,
        &own,
        &format!("/admin/wecom/contacts/{}/unlink", first.zhang),
        &[("customer_id", &jia)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(links_of_contact(&app, first.zhang).await, 1);
    assert_eq!(links_of_contact(&app, second.zhang).await, 0);
    // 已关联客户 and 匹配员工 show only their own firm.
    let customers = html(&intruder, "/admin/customers/links?linked=all").await;
    assert!(!customers.contains(&format!("/admin/wecom/contacts/{}\"", first.zhang)));
    let members = html(&intruder, "/admin/wecom/members").await;
    assert!(members.contains("wwlinks7b-other") && !members.contains("wwlinks7a-other"));
    // Binding another firm's employee or member is refused.
    let first_staff = first.o.staff_id.to_string();
    let resp = post(
        &intruder,
        "/admin/wecom/members",
        "/admin/wecom/members/unbind",
        &[("employee_id", &first_staff)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = post(
        &intruder,
        "/admin/wecom/members",
        "/admin/wecom/members/bind",
        &[("employee_id", &first_staff), ("userid", "wwlinks7b-other")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employee WHERE id = {} AND wecom_userid = 'wwlinks7a-staff'",
            first.o.staff_id
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn admins_bind_and_cancel_member_bindings_on_the_members_page() {
    let app = spawn_app().await;
    let w = world(&app, "wwlinks8").await;
    let b = w.admin(&app).await;
    let page = html(&b, "/admin/wecom/members").await;
    assert!(page.contains("小王") && page.contains("小李"));
    assert!(page.contains("已关联") && page.contains("未关联"));
    // Cancel staff's binding, then bind the employee to the other member.
    let staff_id = w.o.staff_id.to_string();
    let resp = post(
        &b,
        "/admin/wecom/members",
        "/admin/wecom/members/unbind",
        &[("employee_id", &staff_id)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employee WHERE id = {staff_id} AND wecom_userid IS NULL"
        ))
        .await,
        1
    );
    let other = format!("{}-other", w.corp);
    let resp = post(
        &b,
        "/admin/wecom/members",
        "/admin/wecom/members/bind",
        &[("employee_id", &staff_id), ("userid", &other)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employee WHERE id = {staff_id} AND wecom_userid = '{other}'"
        ))
        .await,
        1
    );
    for action in ["employee.unbind", "employee.bind"] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND entity_id = '{staff_id}'"
            ))
            .await,
            1,
            "{action}"
        );
    }
    // A member our copy of WeCom does not hold, and a member already bound, are refused in Chinese.
    let admin_id = w.o.admin_id.to_string();
    let resp = post(
        &b,
        "/admin/wecom/members",
        "/admin/wecom/members/bind",
        &[("employee_id", &staff_id), ("userid", "nobody")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = post(
        &b,
        "/admin/wecom/members",
        "/admin/wecom/members/bind",
        &[("employee_id", &admin_id), ("userid", &other)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("已绑定"));
    let resp = post(
        &b,
        "/admin/wecom/members",
        "/admin/wecom/members/bind",
        &[("employee_id", "abc"), ("userid", &other)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn customers_page_filters_by_manager_tag_and_status() {
    let app = spawn_app().await;
    let w = world(&app, "wwlinks9").await;
    let firm_id = w.o.firm.firm_id;
    let now = app.clock_now();
    app.execute(
        "UPDATE customer SET account_manager_id = ?, service_status = 'paused' WHERE id = ?",
        vec![w.o.staff_id.into(), w.yi.into()],
    )
    .await;
    app.execute(
        "INSERT INTO customer_tag (firm_id, customer_id, tag_id, created_at) VALUES (?, ?, ?, ?)",
        vec![firm_id.into(), w.bing.into(), w.vip.into(), now.into()],
    )
    .await;
    let b = w.admin(&app).await;
    let by_manager = html(
        &b,
        &format!("/admin/customers/links?linked=all&manager={}", w.o.staff_id),
    )
    .await;
    assert!(by_manager.contains("乙科技有限公司") && !by_manager.contains("甲贸易有限公司"));
    let by_status = html(&b, "/admin/customers/links?linked=all&status=paused").await;
    assert!(by_status.contains("乙科技有限公司") && !by_status.contains("丙餐饮有限公司"));
    let by_tag = html(
        &b,
        &format!("/admin/customers/links?linked=all&tag={}", w.vip),
    )
    .await;
    assert!(by_tag.contains("丙餐饮有限公司") && !by_tag.contains("乙科技有限公司"));
    let resp = b.get("/admin/customers/links?status=gone").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("服务状态不正确"));
}

#[tokio::test]
async fn long_lists_come_a_page_at_a_time_with_their_filters_kept() {
    let app = spawn_app().await;
    let w = world(&app, "wwlinks10").await;
    let staff = format!("{}-staff", w.corp);
    for i in 1..=25 {
        contact(
            &app,
            w.o.firm.firm_id,
            &format!("wm-bulk-{i:02}"),
            &format!("批量客户{i:02}"),
            &staff,
            "",
            &[],
        )
        .await;
    }
    let rows = |html: &str| html.matches("href=\"/admin/wecom/contacts/").count();
    let b = w.staff(&app).await;
    let first = html(&b, "/admin/wecom/contacts?q=%E6%89%B9%E9%87%8F").await;
    assert_eq!(rows(&first), 20);
    assert!(first.contains("共 25 个联系人") && first.contains("第 1 / 2 页"));
    let pager = first.split("class=\"pager\"").nth(1).unwrap_or_default();
    assert!(
        pager.contains("page=2") && pager.contains("q=%E6%89%B9%E9%87%8F"),
        "the next page keeps the search: {pager}"
    );
    let second = html(&b, "/admin/wecom/contacts?q=%E6%89%B9%E9%87%8F&page=2").await;
    assert_eq!(rows(&second), 5);
    assert!(second.contains("批量客户25") && !second.contains("批量客户01"));
    // Past the end: an empty page, not an error.
    let past = html(&b, "/admin/wecom/contacts?page=9").await;
    assert_eq!(rows(&past), 0);
    let long = "字".repeat(61);
    let resp = b.get(&format!("/admin/wecom/groups?q={long}")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("搜索内容太长"));
}
