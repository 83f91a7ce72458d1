//! `/admin/wecom`: the step-by-step WeCom setup, the sealed Secret, the domain-check file and the
//! connection test with WeCom's errcodes explained, against the sandbox and its faults.

use actix_web::{App, HttpServer};
use chrono::NaiveDate;
use zhangfang::db::entities::employee::Role;
use zhangfang::sandbox::{Fault, Sandbox, SandboxOptions};
use zhangfang::seed::{self, Profile, WecomDataset};

use crate::helpers::{Browser, NewEmployee, TestApp, csrf_in, spawn_app_with};

struct Rig {
    app: TestApp,
    sandbox: Sandbox,
    dataset: WecomDataset,
    admin: Browser,
    firm_id: i64,
}

/// The app pointed at a sandbox playing the demo corp; the firm exists (created with the
/// sandbox's corp id) but has no app yet.
async fn rig() -> Rig {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let dataset = seed::wecom_dataset(Profile::Demo, seed::DEMO_SEED, as_of);
    let sandbox = Sandbox::new(dataset.clone(), SandboxOptions::default());
    let served = sandbox.clone();
    let server = HttpServer::new(move || {
        let sb = served.clone();
        App::new().configure(move |cfg| sb.configure(cfg))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    tokio::spawn(server.run());
    let app = spawn_app_with(|s| {
        s.wecom.api_base = format!("http://{address}");
        s.wecom.login_base = format!("http://{address}");
    })
    .await;
    let firm = zhangfang::services::firms::create_firm(
        app.state.db.write(),
        "wwplaceholder",
        &dataset.corp_name,
        false,
        app.clock_now(),
    )
    .await
    .unwrap();
    app.add_employee(
        firm.id,
        NewEmployee {
            name: "管理员",
            userid: Some("setup-admin"),
            role: Role::Admin,
            ..NewEmployee::default()
        },
    )
    .await;
    app.add_employee(
        firm.id,
        NewEmployee {
            name: "职员",
            userid: Some("setup-staff"),
            role: Role::Staff,
            ..NewEmployee::default()
        },
    )
    .await;
    let admin = app.signed_in_back_office("setup-admin").await;
    Rig {
        app,
        sandbox,
        dataset,
        admin,
        firm_id: firm.id,
    }
}

async fn post(b: &Browser, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let csrf = b.csrf_token("/admin/wecom").await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &csrf));
    b.post_form(path, &fields).await
}

async fn save_app(r: &Rig, secret: &str) -> reqwest::Response {
    post(
        &r.admin,
        "/admin/wecom/app",
        &[
            ("agent_id", &r.dataset.app.agent_id),
            ("secret", secret),
            ("token", &r.dataset.app.token),
            ("encoding_aes_key", &r.dataset.app.encoding_aes_key),
        ],
    )
    .await
}

async fn test_connection(r: &Rig) -> (u16, String) {
    let resp = post(&r.admin, "/admin/wecom/test", &[]).await;
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn an_admin_sets_up_wecom_from_the_page_and_the_connection_test_passes() {
    let r = rig().await;
    let page = r.admin.get("/admin/wecom").await.text().await.unwrap();
    assert!(page.contains("/wecom/callback/wwplaceholder"));
    assert!(page.contains("/sidebar?corp_id=wwplaceholder"));
    // Token and key are generated for a firm without an app.
    assert!(
        page.contains("name=\"token\" value=\"") && !page.contains("name=\"token\" value=\"\"")
    );
    // Not configured yet: the test says so.
    let (status, body) = test_connection(&r).await;
    assert_eq!(status, 422);
    assert!(body.contains("尚未配置企业微信应用"), "{body}");

    let resp = post(
        &r.admin,
        "/admin/wecom/corp",
        &[("corp_id", &r.dataset.corp_id)],
    )
    .await;
    assert_eq!(resp.status(), 303);
    // A new app needs its Secret.
    assert_eq!(save_app(&r, "").await.status(), 422);
    assert_eq!(save_app(&r, &r.dataset.app.secret).await.status(), 303);
    let page = r.admin.get("/admin/wecom").await.text().await.unwrap();
    assert!(
        !page.contains(&r.dataset.app.secret),
        "the Secret is never shown again"
    );
    assert!(page.contains("已保存，不再显示"));
    assert!(page.contains(&format!("/wecom/callback/{}", r.dataset.corp_id)));
    let sealed = crate::helpers::string_value(
        &r.app,
        &format!(
            "SELECT secret_enc FROM wecom_app WHERE firm_id = {}",
            r.firm_id
        ),
    )
    .await;
    assert!(!sealed.contains(&r.dataset.app.secret));

    let (status, body) = test_connection(&r).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("失败"));
    assert!(body.contains("位成员开通了客户联系"));
    // The callback now works with the saved keys (the registry was invalidated).
    let firm = crate::helpers::TestFirm {
        firm_id: r.firm_id,
        app_id: 0,
        corp_id: r.dataset.corp_id.clone(),
        agent_id: r.dataset.app.agent_id.clone(),
        token: r.dataset.app.token.clone(),
        key: r.dataset.app.encoding_aes_key.clone(),
    };
    let event = format!(
        "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
         <CreateTime>1764122400</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_user]]></ChangeType>\
         <UserID><![CDATA[u1]]></UserID></xml>",
        r.dataset.corp_id
    );
    let resp = r.app.post_callback(&firm, &event).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action IN ('firm.set_corp_id', 'wecom_app.save')")
            .await,
        2
    );
}

#[tokio::test]
async fn the_connection_test_explains_wecom_errcodes_in_chinese() {
    let r = rig().await;
    post(
        &r.admin,
        "/admin/wecom/corp",
        &[("corp_id", &r.dataset.corp_id)],
    )
    .await;
    // A wrong Secret: 40001.
    assert_eq!(save_app(&r, "a-wrong-secret").await.status(), 303);
    let (status, body) = test_connection(&r).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("40001") && body.contains("Secret 不正确"),
        "{body}"
    );
    // The right one, saved over it, works at once (the remembered 40001 is forgotten).
    assert_eq!(save_app(&r, &r.dataset.app.secret).await.status(), 303);
    let (status, body) = test_connection(&r).await;
    assert_eq!(status, 200, "{body}");
    // Untrusted IP on the contact call, and no API permission.
    r.sandbox.inject(Fault::error(
        "externalcontact/get_follow_user_list",
        60020,
        1,
    ));
    let (status, body) = test_connection(&r).await;
    assert_eq!(status, 422);
    assert!(body.contains("60020") && body.contains("可信IP"), "{body}");
    r.sandbox.inject(Fault::error(
        "externalcontact/get_follow_user_list",
        48002,
        1,
    ));
    let (_, body) = test_connection(&r).await;
    assert!(
        body.contains("48002") && body.contains("可调用接口的应用"),
        "{body}"
    );
}

#[tokio::test]
async fn the_domain_check_file_is_served_at_the_site_root() {
    let r = rig().await;
    let html = r.admin.get("/admin/wecom").await.text().await.unwrap();
    let csrf = csrf_in(&html).unwrap();
    let upload = |name: &'static str, body: &'static str, csrf: Option<String>| {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(body.as_bytes().to_vec()).file_name(name),
        );
        if let Some(c) = csrf {
            form = form.text("csrf", c);
        }
        r.admin
            .client
            .post(r.admin.url("/admin/wecom/verify"))
            .header("accept", "text/html")
            .multipart(form)
            .send()
    };
    let resp = upload("WW_verify_Ab12.txt", "Ab12xyz\n", None)
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    let resp = upload("evil.html", "x", Some(csrf.clone())).await.unwrap();
    assert_eq!(resp.status(), 422);
    let resp = upload("WW_verify_Ab12.txt", "Ab12xyz\n", Some(csrf))
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let served = r.app.get("/WW_verify_Ab12.txt").await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.text().await.unwrap(), "Ab12xyz");
    assert_eq!(r.app.get("/WW_verify_Other.txt").await.status(), 404);
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'wecom_verify_file.upload'")
            .await,
        1
    );
}

#[tokio::test]
async fn staff_and_strangers_cannot_see_or_change_the_setup() {
    let r = rig().await;
    let staff = r.app.signed_in_back_office("setup-staff").await;
    assert_eq!(staff.get("/admin/wecom").await.status(), 403);
    let csrf = staff.csrf_token("/admin").await;
    let resp = staff
        .post_form(
            "/admin/wecom/corp",
            &[("corp_id", "wwstolen"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(resp.status(), 403);
    let visitor = Browser::new(&r.app.address, "zf_nothing=1");
    assert!(visitor.get("/admin/wecom").await.status().is_redirection());
    // Without the CSRF token nothing changes.
    let resp = r
        .admin
        .post_form("/admin/wecom/corp", &[("corp_id", "wwnocsrf")])
        .await;
    assert!(resp.status().is_client_error());
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM firm WHERE corp_id IN ('wwstolen', 'wwnocsrf')")
            .await,
        0
    );
}

#[tokio::test]
async fn a_bound_member_signs_in_to_the_back_office_by_scanning_the_web_login_code() {
    let r = rig().await;
    post(
        &r.admin,
        "/admin/wecom/corp",
        &[("corp_id", &r.dataset.corp_id)],
    )
    .await;
    assert_eq!(save_app(&r, &r.dataset.app.secret).await.status(), 303);
    let member = r.dataset.members[0].userid.clone();
    sea_orm::ConnectionTrait::execute_raw(
        r.app.state.db.write(),
        zhangfang::db::statement(
            r.app.backend(),
            "UPDATE employee SET wecom_userid = ? WHERE wecom_userid = 'setup-staff'",
            [member.clone().into()],
        ),
    )
    .await
    .unwrap();
    let visitor = Browser::new(&r.app.address, "zf_nothing=1");
    let login = visitor.get("/admin/login").await.text().await.unwrap();
    assert!(login.contains("id=\"wecom-login\""));
    let resp = visitor
        .get(&format!(
            "/admin/login/wecom?corp_id={}&next=%2Fadmin%2Fkb",
            r.dataset.corp_id
        ))
        .await;
    assert_eq!(resp.status(), 302);
    let to = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("/wwlogin/sso/login?login_type=CorpApp"), "{to}");
    // The member picks themself on the (sandbox) QR page.
    let pick = format!(
        "{}&userid={member}",
        to.replace("/wwlogin/sso/login?", "/wwlogin/sso/login/pick?")
    );
    let resp = r.app.client.get(&pick).send().await.unwrap();
    assert_eq!(resp.status(), 302, "{}", resp.text().await.unwrap());
    let back = resp.headers()["location"].to_str().unwrap().to_string();
    let back_path = &back[back.find("/admin/").unwrap()..];
    let resp = visitor.get(back_path).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/admin/kb");
    let page = visitor.get("/admin").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("职员"));
    // The same callback again is refused: the round trip is single-use.
    let again = visitor.get(back_path).await;
    assert!(again.status().is_client_error());
    // A member bound to nobody is refused.
    let stranger = Browser::new(&r.app.address, "zf_nothing=1");
    let to = stranger
        .get(&format!("/admin/login/wecom?corp_id={}", r.dataset.corp_id))
        .await
        .headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    let other = r.dataset.members[1].userid.clone();
    let pick = format!(
        "{}&userid={other}",
        to.replace("/wwlogin/sso/login?", "/wwlogin/sso/login/pick?")
    );
    let resp = r.app.client.get(&pick).send().await.unwrap();
    let back = resp.headers()["location"].to_str().unwrap().to_string();
    let resp = stranger.get(&back[back.find("/admin/").unwrap()..]).await;
    assert_eq!(resp.status(), 403);
}
