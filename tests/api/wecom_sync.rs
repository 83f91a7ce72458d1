//! The full WeCom sync against the sandbox over HTTP: first run, unchanged rerun, resume after
//! a run cut short, throttling, and what WeCom no longer has marked gone.

use std::sync::Arc;

use actix_web::{App, HttpServer};
use chrono::{Duration, NaiveDate};
use zhangfang::config::Secret;
use zhangfang::domain::clock::Clock;
use zhangfang::sandbox::{
    ContactChangeType, ExternalContactEvent, Fault, Sandbox, SandboxEvent, SandboxOptions,
};
use zhangfang::seed::{self, Profile, WecomDataset};
use zhangfang::services::firms::{self, NewApp};
use zhangfang::services::wecom_sync::{self, What};
use zhangfang::worker::{self, Worker};

use crate::helpers::{TestApp, spawn_app_with};

pub struct SyncRig {
    pub app: TestApp,
    pub sandbox: Sandbox,
    pub dataset: WecomDataset,
    pub firm_id: i64,
    pub callback_url: String,
}

pub async fn sync_rig(profile: Profile) -> SyncRig {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let dataset = seed::wecom_dataset(profile, seed::DEMO_SEED, as_of);
    let clock_cell: Arc<std::sync::OnceLock<zhangfang::domain::clock::ManualClock>> =
        Arc::new(std::sync::OnceLock::new());
    let cell = clock_cell.clone();
    let sandbox = Sandbox::with_clock(
        dataset.clone(),
        SandboxOptions::default(),
        Arc::new(move || {
            cell.get().map(|c| c.now()).unwrap_or_else(|| {
                chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 26, 2, 0, 0).unwrap()
            })
        }),
    );
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
    })
    .await;
    let _ = clock_cell.set(app.clock.clone());
    let firm = firms::create_firm(
        app.state.db.write(),
        &dataset.corp_id,
        &dataset.corp_name,
        false,
        app.clock.now(),
    )
    .await
    .unwrap();
    firms::add_app(
        app.state.db.write(),
        &app.state.secrets,
        firm.id,
        NewApp {
            agent_id: dataset.app.agent_id.clone(),
            name: dataset.app.name.clone(),
            kind: zhangfang::db::entities::wecom_app::Kind::SelfBuilt,
            suite_id: None,
            secret: Some(Secret::new(dataset.app.secret.clone())),
            token: Secret::new(dataset.app.token.clone()),
            encoding_aes_key: Secret::new(dataset.app.encoding_aes_key.clone()),
            is_primary: true,
        },
        app.clock.now(),
    )
    .await
    .unwrap();
    let callback_url = app.url(&format!("/wecom/callback/{}", dataset.corp_id));
    SyncRig {
        app,
        sandbox,
        dataset,
        firm_id: firm.id,
        callback_url,
    }
}

impl SyncRig {
    pub fn worker(&self) -> Worker {
        worker::standard(self.app.state.ctx.clone()).build()
    }

    /// Queues a sync and runs jobs until none is due (moving the clock past retry backoff).
    pub async fn sync(&self, what: What) {
        wecom_sync::start(&self.app.state.ctx, self.firm_id, what, None)
            .await
            .unwrap();
        let worker = self.worker();
        for _ in 0..30 {
            worker.run_until_idle().await.unwrap();
            if self.live_sync_jobs().await == 0 {
                return;
            }
            self.app.clock.advance(Duration::minutes(10));
        }
        panic!("the sync did not finish");
    }

    pub async fn live_sync_jobs(&self) -> i64 {
        self.app
            .count(
                "SELECT COUNT(*) FROM background_job WHERE kind = 'wecom_sync' \
                 AND status IN ('queued', 'running')",
            )
            .await
    }

    /// What the sandbox holds, counted as our store counts it.
    pub fn expected(&self) -> Expected {
        let d = &self.dataset;
        let follows: i64 = d
            .external_contacts
            .iter()
            .map(|c| c.follow_users.len() as i64)
            .sum();
        Expected {
            members: d.members.iter().filter(|m| m.is_follow_user).count() as i64,
            contacts: d
                .external_contacts
                .iter()
                .filter(|c| !c.follow_users.is_empty())
                .count() as i64,
            follows,
            groups: d.group_chats.len() as i64,
            group_members: d.group_chats.iter().map(|g| g.members.len() as i64).sum(),
            tags: d.tag_groups.iter().map(|g| g.tags.len() as i64).sum(),
        }
    }

    pub async fn stored(&self) -> Expected {
        let a = &self.app;
        Expected {
            members: a
                .count("SELECT COUNT(*) FROM wecom_member WHERE is_follow_user = TRUE")
                .await,
            contacts: a
                .count("SELECT COUNT(*) FROM wecom_external_contact WHERE deleted_at IS NULL")
                .await,
            follows: a
                .count("SELECT COUNT(*) FROM external_follow WHERE deleted_at IS NULL")
                .await,
            groups: a
                .count("SELECT COUNT(*) FROM wecom_group_chat WHERE dismissed_at IS NULL")
                .await,
            group_members: a
                .count("SELECT COUNT(*) FROM group_chat_member WHERE left_at IS NULL")
                .await,
            tags: a
                .count(
                    "SELECT COUNT(*) FROM tag WHERE wecom_tag_id IS NOT NULL AND deleted_at IS NULL",
                )
                .await,
        }
    }

    /// Per mirror table: its row count and latest `updated_at` (any write moves one of them,
    /// since the clock moves between syncs).
    pub async fn fingerprint(&self) -> Vec<String> {
        let mut out = Vec::new();
        for table in [
            "wecom_member",
            "wecom_external_contact",
            "external_follow",
            "wecom_group_chat",
            "group_chat_member",
            "tag",
            "tag_group",
        ] {
            out.push(
                crate::helpers::string_value(
                    &self.app,
                    &format!(
                        "SELECT CAST(COUNT(*) AS TEXT) || ' ' || COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM {table}"
                    ),
                )
                .await,
            );
        }
        out
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Expected {
    pub members: i64,
    pub contacts: i64,
    pub follows: i64,
    pub groups: i64,
    pub group_members: i64,
    pub tags: i64,
}

#[tokio::test]
async fn a_first_sync_mirrors_the_sandbox_exactly_and_records_its_progress() {
    // Profile S: more than one page of customers per member and of group chunks.
    let r = sync_rig(Profile::S).await;
    r.sync(What::All).await;
    assert_eq!(r.stored().await, r.expected());
    let e = r.expected();
    assert!(e.follows > 200 && e.groups > 100 && e.tags > 0, "{e:?}");
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM sync_job WHERE status = 'done' AND done = total")
            .await,
        4
    );
    assert_eq!(r.app.count("SELECT COUNT(*) FROM wecom_sync_seen").await, 0);
    let progress = wecom_sync::progress(&r.app.state.ctx, r.firm_id)
        .await
        .unwrap();
    assert_eq!(progress.len(), 4);
    let contacts = progress
        .iter()
        .find(|p| p.kind == zhangfang::db::entities::sync_job::Kind::Contacts)
        .unwrap();
    assert_eq!(contacts.done, r.expected().follows);
    assert!(contacts.api_calls > 0);
    // Follow relations carry what WeCom says about them.
    let c = &r.dataset.external_contacts[0];
    let f = &c.follow_users[0];
    let remark = crate::helpers::string_value(
        &r.app,
        &format!(
            "SELECT COALESCE(f.remark, '') FROM external_follow f JOIN wecom_external_contact c \
             ON c.id = f.external_contact_id WHERE c.external_userid = '{}' AND f.userid = '{}'",
            c.external_userid, f.userid
        ),
    )
    .await;
    assert_eq!(remark, f.remark);
}

#[tokio::test]
async fn a_second_sync_of_an_unchanged_organisation_writes_no_rows() {
    let r = sync_rig(Profile::Demo).await;
    r.sync(What::All).await;
    let before = r.fingerprint().await;
    r.app.clock.advance(Duration::hours(1));
    r.sync(What::All).await;
    assert_eq!(r.fingerprint().await, before);
    // The check sees a write: one remark changed in WeCom is one row.
    let c = &r.dataset.external_contacts[0];
    let mut edit = ExternalContactEvent::new(
        ContactChangeType::EditExternalContact,
        &c.follow_users[0].userid,
        Some(&c.external_userid),
    );
    edit.contact = Some(zhangfang::sandbox::NewExternalContact {
        remark: Some("改过的备注".into()),
        ..Default::default()
    });
    r.sandbox
        .deliver(&r.callback_url, SandboxEvent::ChangeExternalContact(edit))
        .await
        .unwrap();
    r.app.clock.advance(Duration::hours(1));
    r.sync(What::Contacts).await;
    let after = r.fingerprint().await;
    assert_eq!(after[0], before[0], "members unchanged");
    assert_eq!(after[1], before[1], "contacts unchanged");
    assert_ne!(after[2], before[2], "the follow relation was written");
    assert_eq!(r.stored().await, r.expected());
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM sync_job WHERE status = 'done'")
            .await,
        10
    );
}

#[tokio::test]
async fn throttled_calls_back_off_and_the_sync_goes_on() {
    let r = sync_rig(Profile::Demo).await;
    r.sandbox
        .inject(Fault::error("externalcontact/batch/get_by_user", 45009, 2));
    r.sandbox
        .inject(Fault::error("externalcontact/groupchat/get", 45033, 2));
    r.sync(What::All).await;
    assert_eq!(r.stored().await, r.expected());
    assert!(
        r.app
            .count("SELECT CAST(COALESCE(SUM(errors), 0) AS BIGINT) FROM sync_job")
            .await
            >= 4
    );
    // Backed off and went on within the same run: no retry of the job was needed.
    assert_eq!(
        r.app
            .count(
                "SELECT CAST(MAX(attempts) AS BIGINT) FROM background_job WHERE kind = 'wecom_sync'"
            )
            .await,
        1
    );
}

#[tokio::test]
async fn a_sync_cut_short_resumes_where_it_was_without_duplicates() {
    let r = sync_rig(Profile::S).await;
    let expected = r.expected();
    assert!(expected.groups > 200, "{expected:?}");
    // A permanent refusal in the middle of the groups: the run stops there.
    let skip = (expected.groups / 2).max(1) as u32;
    r.sandbox
        .inject(Fault::error("externalcontact/groupchat/get", 0, skip));
    r.sandbox
        .inject(Fault::error("externalcontact/groupchat/get", 48002, 1));
    wecom_sync::start(&r.app.state.ctx, r.firm_id, What::Groups, None)
        .await
        .unwrap();
    let worker = r.worker();
    worker.run_once().await.unwrap();
    let (done, status) = {
        let done = r
            .app
            .count("SELECT CAST(done AS BIGINT) FROM sync_job WHERE kind = 'groups'")
            .await;
        let running = r
            .app
            .count("SELECT COUNT(*) FROM sync_job WHERE kind = 'groups' AND status = 'running'")
            .await;
        (done, running)
    };
    assert_eq!(status, 1, "the run is left to resume");
    assert!(done > 0 && done < expected.groups, "stopped midway: {done}");
    let gets_before = r.sandbox.calls("externalcontact/groupchat/get");
    r.sync(What::Groups).await;
    let gets_after = r.sandbox.calls("externalcontact/groupchat/get");
    assert_eq!(r.stored().await.groups, expected.groups);
    assert_eq!(r.stored().await.group_members, expected.group_members);
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM sync_job WHERE kind = 'groups'")
            .await,
        1,
        "the same run resumed"
    );
    // Only what was not applied yet was fetched again.
    assert!(
        (gets_after - gets_before) as i64 <= expected.groups - done,
        "{} calls after resuming at {done}",
        gets_after - gets_before
    );
}

#[tokio::test]
async fn contacts_and_groups_gone_from_wecom_are_marked_gone_and_keep_their_links() {
    let r = sync_rig(Profile::Demo).await;
    r.sync(What::All).await;
    // The member deletes one customer in WeCom (the follow relation ends).
    let c = r
        .dataset
        .external_contacts
        .iter()
        .find(|c| c.follow_users.len() == 1)
        .expect("a contact with one follower");
    let customer = r.app.add_customer(r.firm_id, "甲公司").await;
    let contact_id = r
        .app
        .count(&format!(
            "SELECT id FROM wecom_external_contact WHERE external_userid = '{}'",
            c.external_userid
        ))
        .await;
    {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        zhangfang::db::entities::customer_external_link::ActiveModel {
            firm_id: Set(r.firm_id),
            customer_id: Set(customer),
            external_contact_id: Set(contact_id),
            contact_id: Set(None),
            created_by: Set(None),
            created_at: Set(r.app.clock.now()),
        }
        .insert(r.app.state.db.write())
        .await
        .unwrap();
    }
    r.sandbox
        .deliver(
            &r.callback_url,
            SandboxEvent::ChangeExternalContact(ExternalContactEvent::new(
                ContactChangeType::DelExternalContact,
                &c.follow_users[0].userid,
                Some(&c.external_userid),
            )),
        )
        .await
        .unwrap();
    r.app.clock.advance(Duration::hours(1));
    r.sync(What::Contacts).await;
    let gone = r
        .app
        .count(&format!(
            "SELECT COUNT(*) FROM wecom_external_contact WHERE external_userid = '{}' \
             AND deleted_at IS NOT NULL",
            c.external_userid
        ))
        .await;
    assert_eq!(gone, 1);
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM external_follow WHERE deleted_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        r.app
            .count(&format!(
                "SELECT COUNT(*) FROM customer_external_link WHERE external_contact_id = {contact_id}"
            ))
            .await,
        1,
        "the link stays for the record"
    );
    let mut expected = r.expected();
    expected.contacts -= 1;
    expected.follows -= 1;
    assert_eq!(r.stored().await, expected);
}

#[tokio::test]
async fn the_sync_page_starts_a_sync_shows_progress_and_retries_parked_events() {
    use zhangfang::db::entities::employee::Role;
    let r = sync_rig(Profile::Demo).await;
    r.app
        .add_employee(
            r.firm_id,
            crate::helpers::NewEmployee {
                name: "管理员",
                userid: Some("boss"),
                role: Role::Admin,
                ..Default::default()
            },
        )
        .await;
    r.app
        .add_employee(
            r.firm_id,
            crate::helpers::NewEmployee {
                name: "员工",
                userid: Some("clerk"),
                ..Default::default()
            },
        )
        .await;
    let admin = r.app.signed_in_back_office("boss").await;
    let page = admin.get("/admin/wecom/sync").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("同步微信联系人") && html.contains("还没有同步过"),
        "{html}"
    );

    // Without the token nothing starts.
    let refused = admin
        .post_form("/admin/wecom/sync", &[("what", "contacts")])
        .await;
    assert_ne!(refused.status(), 303);
    assert_eq!(r.live_sync_jobs().await, 0);

    let csrf = admin.csrf_token("/admin/wecom/sync").await;
    let started = admin
        .post_form("/admin/wecom/sync", &[("csrf", &csrf), ("what", "all")])
        .await;
    assert_eq!(started.status(), 303);
    assert_eq!(r.live_sync_jobs().await, 1);
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'wecom.sync_requested'")
            .await,
        1
    );
    let worker = r.worker();
    worker.run_until_idle().await.unwrap();
    let html = admin.get("/admin/wecom/sync").await.text().await.unwrap();
    assert!(
        html.contains("已完成") && html.contains("微信联系人"),
        "{html}"
    );

    // Staff cannot see or use it.
    let staff = r.app.signed_in_back_office("clerk").await;
    assert_eq!(staff.get("/admin/wecom/sync").await.status(), 403);

    // A parked event is listed and can be queued again; an unknown id is 404.
    r.sandbox
        .inject(Fault::error("externalcontact/get", 48002, 1));
    let c = &r.dataset.external_contacts[0];
    r.sandbox
        .deliver(
            &r.callback_url,
            SandboxEvent::ChangeExternalContact(ExternalContactEvent::new(
                ContactChangeType::EditExternalContact,
                &c.follow_users[0].userid,
                Some(&c.external_userid),
            )),
        )
        .await
        .unwrap();
    zhangfang::services::wecom_events::drain(&r.app.state.ctx, 10)
        .await
        .unwrap();
    let html = admin.get("/admin/wecom/sync").await.text().await.unwrap();
    assert!(
        html.contains("无法处理 1 条") && html.contains("48002"),
        "{html}"
    );
    let id = r
        .app
        .count("SELECT MAX(id) FROM callback_inbox WHERE status = 'failed'")
        .await;
    let csrf = admin.csrf_token("/admin/wecom/sync").await;
    let missing = admin
        .post_form(
            &format!("/admin/wecom/events/{}/retry", id + 999),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(missing.status(), 404);
    // Another firm's admin cannot retry this firm's event.
    let other = r
        .app
        .add_firm(
            "wwotherfirm0000001",
            "othertoken",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        )
        .await;
    r.app
        .add_employee(
            other.firm_id,
            crate::helpers::NewEmployee {
                name: "别家管理员",
                userid: Some("otherboss"),
                role: Role::Admin,
                ..Default::default()
            },
        )
        .await;
    let outsider = r.app.signed_in_back_office("otherboss").await;
    let their_csrf = outsider.csrf_token("/admin/wecom/sync").await;
    let foreign = outsider
        .post_form(
            &format!("/admin/wecom/events/{id}/retry"),
            &[("csrf", &their_csrf)],
        )
        .await;
    assert_eq!(foreign.status(), 404);
    let retried = admin
        .post_form(
            &format!("/admin/wecom/events/{id}/retry"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(retried.status(), 303);
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM callback_inbox WHERE status = 'pending'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_home_page_shows_the_last_sync_and_the_event_backlog_to_admins() {
    use zhangfang::db::entities::employee::Role;
    let r = sync_rig(Profile::Demo).await;
    r.app
        .add_employee(
            r.firm_id,
            crate::helpers::NewEmployee {
                name: "管理员",
                userid: Some("boss"),
                role: Role::Admin,
                ..Default::default()
            },
        )
        .await;
    r.app
        .add_employee(
            r.firm_id,
            crate::helpers::NewEmployee {
                name: "员工",
                userid: Some("clerk"),
                ..Default::default()
            },
        )
        .await;
    let admin = r.app.signed_in_back_office("boss").await;
    let html = admin.get("/admin").await.text().await.unwrap();
    assert!(
        html.contains("企业微信数据") && html.contains("尚未同步"),
        "{html}"
    );
    r.sync(What::All).await;
    let html = admin.get("/admin").await.text().await.unwrap();
    assert!(
        !html.contains("尚未同步") && html.contains("待处理事件"),
        "{html}"
    );
    let staff = r.app.signed_in_back_office("clerk").await;
    let html = staff.get("/admin").await.text().await.unwrap();
    assert!(!html.contains("企业微信数据"), "{html}");
}
