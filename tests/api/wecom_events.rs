//! WeCom change events: sandbox change → signed callback → inbox → worker → API fetch → store.
//! After events are applied, a full sync finds nothing to write: the store equals WeCom.

use chrono::Duration;
use zhangfang::domain::clock::Clock;
use zhangfang::sandbox::{
    ChatChangeType, ChatUpdateDetail, ContactChangeType, ExternalChatEvent, ExternalContactEvent,
    ExternalTagEvent, NewExternalContact, SandboxEvent, TagChangeType, TagType,
};
use zhangfang::seed::Profile;
use zhangfang::services::wecom_events;
use zhangfang::services::wecom_sync::What;

use crate::wecom_sync::{SyncRig, sync_rig};

async fn send(r: &SyncRig, event: SandboxEvent) {
    let d = r.sandbox.deliver(&r.callback_url, event).await.unwrap();
    assert_eq!(d.status, 200, "{}", d.body);
}

async fn drain(r: &SyncRig) -> usize {
    wecom_events::drain(&r.app.state.ctx, 10_000).await.unwrap()
}

fn contact_event(change: ContactChangeType, userid: &str, external: Option<&str>) -> SandboxEvent {
    SandboxEvent::ChangeExternalContact(ExternalContactEvent::new(change, userid, external))
}

/// The store equals WeCom: a full sync afterwards writes nothing.
async fn assert_current(r: &SyncRig) {
    let before = r.fingerprint().await;
    r.app.clock.advance(Duration::hours(1));
    r.sync(What::All).await;
    assert_eq!(
        r.fingerprint().await,
        before,
        "the events left the store behind WeCom"
    );
}

async fn pending(r: &SyncRig) -> i64 {
    r.app
        .count("SELECT COUNT(*) FROM callback_inbox WHERE status <> 'done'")
        .await
}

#[tokio::test]
async fn every_external_contact_event_reaches_the_store() {
    let r = sync_rig(Profile::Demo).await;
    r.sync(What::All).await;
    let c = r
        .dataset
        .external_contacts
        .iter()
        .find(|c| c.follow_users.len() == 1)
        .unwrap()
        .clone();
    let member = c.follow_users[0].userid.clone();
    let other = r
        .dataset
        .members
        .iter()
        .find(|m| m.is_follow_user && m.userid != member)
        .unwrap()
        .userid
        .clone();

    // A new customer, a customer adding a member without verification, an edit, a member
    // deleting a customer, a customer deleting a member, a failed transfer.
    let mut add = ExternalContactEvent::new(ContactChangeType::AddExternalContact, &member, None);
    add.contact = Some(NewExternalContact {
        name: Some("新客户".into()),
        ..Default::default()
    });
    send(&r, SandboxEvent::ChangeExternalContact(add)).await;
    send(
        &r,
        contact_event(
            ContactChangeType::AddHalfExternalContact,
            &other,
            Some(&c.external_userid),
        ),
    )
    .await;
    let mut edit = ExternalContactEvent::new(
        ContactChangeType::EditExternalContact,
        &member,
        Some(&c.external_userid),
    );
    edit.contact = Some(NewExternalContact {
        remark: Some("王总".into()),
        ..Default::default()
    });
    send(&r, SandboxEvent::ChangeExternalContact(edit)).await;
    send(
        &r,
        contact_event(
            ContactChangeType::DelFollowUser,
            &member,
            Some(&c.external_userid),
        ),
    )
    .await;
    let mut fail = ExternalContactEvent::new(
        ContactChangeType::TransferFail,
        &member,
        Some(&c.external_userid),
    );
    fail.fail_reason = Some("customer_refused".into());
    send(&r, SandboxEvent::ChangeExternalContact(fail)).await;
    assert_eq!(drain(&r).await, 5);
    assert_eq!(pending(&r).await, 0);
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM wecom_external_contact WHERE name = '新客户'")
            .await,
        1
    );
    assert_eq!(
        r.app
            .count(&format!(
                "SELECT COUNT(*) FROM external_follow f JOIN wecom_external_contact c \
                 ON c.id = f.external_contact_id WHERE c.external_userid = '{}' \
                 AND f.deleted_at IS NULL",
                c.external_userid
            ))
            .await,
        2,
        "two members follow the customer now"
    );
    assert_current(&r).await;

    // The member deletes the customer.
    send(
        &r,
        contact_event(
            ContactChangeType::DelExternalContact,
            &member,
            Some(&c.external_userid),
        ),
    )
    .await;
    assert_eq!(drain(&r).await, 1);
    assert_eq!(
        r.app
            .count(&format!(
                "SELECT COUNT(*) FROM external_follow f JOIN wecom_external_contact c \
                 ON c.id = f.external_contact_id WHERE c.external_userid = '{}' \
                 AND f.userid = '{member}' AND f.deleted_at IS NOT NULL",
                c.external_userid
            ))
            .await,
        1
    );
    assert_current(&r).await;
}

#[tokio::test]
async fn an_event_applied_twice_or_out_of_order_leaves_the_right_state() {
    let r = sync_rig(Profile::Demo).await;
    r.sync(What::All).await;
    let member = r.dataset.external_contacts[0].follow_users[0]
        .userid
        .clone();
    let id = "wmoutoforder00000000000000000001";
    send(
        &r,
        contact_event(ContactChangeType::AddExternalContact, &member, Some(id)),
    )
    .await;
    send(
        &r,
        contact_event(ContactChangeType::DelExternalContact, &member, Some(id)),
    )
    .await;
    // The delete is applied first, then the add.
    let first = r.app.count("SELECT MIN(id) FROM callback_inbox").await;
    sea_orm::ConnectionTrait::execute_unprepared(
        r.app.state.db.write(),
        &format!("UPDATE callback_inbox SET status = 'failed' WHERE id = {first}"),
    )
    .await
    .unwrap();
    assert_eq!(drain(&r).await, 1);
    assert!(
        wecom_events::retry_parked(&r.app.state.ctx, r.firm_id, first, r.app.clock.now())
            .await
            .unwrap()
    );
    assert_eq!(drain(&r).await, 1);
    let live = format!(
        "SELECT COUNT(*) FROM external_follow f JOIN wecom_external_contact c \
         ON c.id = f.external_contact_id WHERE c.external_userid = '{id}' AND f.deleted_at IS NULL"
    );
    assert_eq!(
        r.app.count(&live).await,
        0,
        "deleted in WeCom, so gone here"
    );
    // Twice: everything again, nothing changes.
    let before = r.fingerprint().await;
    r.app.clock.advance(Duration::minutes(5));
    sea_orm::ConnectionTrait::execute_unprepared(
        r.app.state.db.write(),
        "UPDATE callback_inbox SET status = 'pending'",
    )
    .await
    .unwrap();
    assert_eq!(drain(&r).await, 2);
    assert_eq!(r.fingerprint().await, before);
    assert_current(&r).await;
}

#[tokio::test]
async fn group_events_create_update_and_dismiss_reach_the_store() {
    let r = sync_rig(Profile::Demo).await;
    r.sync(What::All).await;
    let g = r.dataset.group_chats[0].clone();
    let joining = r
        .dataset
        .external_contacts
        .iter()
        .find(|c| !g.members.iter().any(|m| m.userid == c.external_userid))
        .unwrap()
        .external_userid
        .clone();
    let mut create = ExternalChatEvent::new(
        ChatChangeType::Create,
        Some("wrnewgroup0000000000000000000001"),
    );
    create.name = Some("新客户群".into());
    send(&r, SandboxEvent::ChangeExternalChat(create)).await;
    let mut rename = ExternalChatEvent::new(ChatChangeType::Update, Some(&g.chat_id));
    rename.update_detail = Some(ChatUpdateDetail::ChangeName);
    rename.name = Some("改名后的群".into());
    send(&r, SandboxEvent::ChangeExternalChat(rename)).await;
    let mut join = ExternalChatEvent::new(ChatChangeType::Update, Some(&g.chat_id));
    join.update_detail = Some(ChatUpdateDetail::AddMember);
    join.members = vec![joining.clone()];
    send(&r, SandboxEvent::ChangeExternalChat(join)).await;
    assert_eq!(drain(&r).await, 3);
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM wecom_group_chat WHERE name IN ('新客户群', '改名后的群')")
            .await,
        2
    );
    assert_current(&r).await;

    let mut leave = ExternalChatEvent::new(ChatChangeType::Update, Some(&g.chat_id));
    leave.update_detail = Some(ChatUpdateDetail::DelMember);
    leave.members = vec![joining.clone()];
    send(&r, SandboxEvent::ChangeExternalChat(leave)).await;
    send(
        &r,
        SandboxEvent::ChangeExternalChat(ExternalChatEvent::new(
            ChatChangeType::Dismiss,
            Some("wrnewgroup0000000000000000000001"),
        )),
    )
    .await;
    assert_eq!(drain(&r).await, 2);
    assert_eq!(
        r.app
            .count(&format!(
                "SELECT COUNT(*) FROM group_chat_member WHERE member_id = '{joining}' \
                 AND left_at IS NOT NULL"
            ))
            .await,
        1
    );
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM wecom_group_chat WHERE dismissed_at IS NOT NULL")
            .await,
        1
    );
    assert_current(&r).await;
}

#[tokio::test]
async fn tag_events_create_rename_and_delete_reach_the_store() {
    let r = sync_rig(Profile::Demo).await;
    r.sync(What::All).await;
    let group = r.dataset.tag_groups[0].clone();
    let mut create = ExternalTagEvent::new(TagChangeType::Create, TagType::Tag, None);
    create.name = Some("新标签".into());
    create.group_id = Some(group.group_id.clone());
    send(&r, SandboxEvent::ChangeExternalTag(create)).await;
    let mut rename =
        ExternalTagEvent::new(TagChangeType::Update, TagType::Tag, Some(&group.tags[0].id));
    rename.name = Some("改名标签".into());
    send(&r, SandboxEvent::ChangeExternalTag(rename)).await;
    send(
        &r,
        SandboxEvent::ChangeExternalTag(ExternalTagEvent::new(
            TagChangeType::Delete,
            TagType::Tag,
            Some(&group.tags[1].id),
        )),
    )
    .await;
    assert_eq!(drain(&r).await, 3);
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM tag WHERE name IN ('新标签', '改名标签') AND deleted_at IS NULL")
            .await,
        2
    );
    assert_eq!(
        r.app
            .count(&format!(
                "SELECT COUNT(*) FROM tag WHERE wecom_tag_id = '{}' AND deleted_at IS NOT NULL",
                group.tags[1].id
            ))
            .await,
        1
    );
    assert_current(&r).await;
}

#[tokio::test]
async fn a_poison_event_is_parked_with_its_reason_and_can_be_retried() {
    let r = sync_rig(Profile::Demo).await;
    // WeCom refuses the details for good (no API permission).
    r.sandbox.inject(zhangfang::sandbox::Fault::error(
        "externalcontact/get",
        48002,
        1,
    ));
    let member = r.dataset.external_contacts[0].follow_users[0]
        .userid
        .clone();
    let external = r.dataset.external_contacts[0].external_userid.clone();
    send(
        &r,
        contact_event(
            ContactChangeType::EditExternalContact,
            &member,
            Some(&external),
        ),
    )
    .await;
    assert_eq!(drain(&r).await, 1);
    let parked = wecom_events::parked(&r.app.state.ctx, r.firm_id, 10)
        .await
        .unwrap();
    assert_eq!(parked.len(), 1);
    assert!(
        parked[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("48002"),
        "{:?}",
        parked[0].last_error
    );
    assert_eq!(
        wecom_events::inbox_counts(&r.app.state.ctx, r.firm_id)
            .await
            .unwrap(),
        (0, 1)
    );
    // Another firm's id is not this firm's to retry.
    assert!(
        !wecom_events::retry_parked(
            &r.app.state.ctx,
            r.firm_id + 1000,
            parked[0].id,
            r.app.clock.now()
        )
        .await
        .unwrap()
    );
    assert!(
        wecom_events::retry_parked(&r.app.state.ctx, r.firm_id, parked[0].id, r.app.clock.now())
            .await
            .unwrap()
    );
    assert_eq!(drain(&r).await, 1);
    assert_eq!(pending(&r).await, 0);
}

#[tokio::test]
async fn a_busy_wecom_is_retried_later_with_backoff() {
    let r = sync_rig(Profile::Demo).await;
    r.sync(What::All).await;
    r.sandbox.inject(zhangfang::sandbox::Fault::error(
        "externalcontact/get",
        45009,
        1,
    ));
    let c = &r.dataset.external_contacts[0];
    send(
        &r,
        contact_event(
            ContactChangeType::EditExternalContact,
            &c.follow_users[0].userid,
            Some(&c.external_userid),
        ),
    )
    .await;
    assert_eq!(drain(&r).await, 1);
    assert_eq!(drain(&r).await, 0, "waits for its backoff");
    assert_eq!(pending(&r).await, 1);
    r.app.clock.advance(Duration::seconds(10));
    assert_eq!(drain(&r).await, 1);
    assert_eq!(pending(&r).await, 0);
}

#[tokio::test]
async fn two_workers_never_apply_one_event_twice() {
    let r = sync_rig(Profile::Demo).await;
    r.sync(What::All).await;
    let member = r.dataset.external_contacts[0].follow_users[0]
        .userid
        .clone();
    for i in 0..40 {
        send(
            &r,
            contact_event(
                ContactChangeType::AddExternalContact,
                &member,
                Some(&format!("wmtwoworkers{i:020}")),
            ),
        )
        .await;
    }
    let other = r.app.another_instance().await;
    let (a, b) = tokio::join!(
        wecom_events::drain(&r.app.state.ctx, 1000),
        wecom_events::drain(&other.state.ctx, 1000)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 40);
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM callback_inbox WHERE status = 'done' AND attempts = 1")
            .await,
        40
    );
}

/// An edit of the `i`th contact; `second` tells events of one contact apart (WeCom's
/// `CreateTime`), so they are not deduplicated as one.
fn edit(r: &SyncRig, i: usize, second: i64) -> SandboxEvent {
    let c = &r.dataset.external_contacts[i];
    let mut e = ExternalContactEvent::new(
        ContactChangeType::EditExternalContact,
        &c.follow_users[0].userid,
        Some(&c.external_userid),
    );
    e.create_time = Some(r.app.clock.now().timestamp() + second);
    SandboxEvent::ChangeExternalContact(e)
}

/// Inbox statuses in arrival order.
async fn statuses(r: &SyncRig) -> Vec<String> {
    rows(r)
        .await
        .into_iter()
        .map(|(_, status, _)| status)
        .collect()
}

/// `(firm_id, status, attempts)` of every inbox row, in arrival order.
async fn rows(r: &SyncRig) -> Vec<(i64, String, i32)> {
    use sea_orm::{EntityTrait, QueryOrder};
    use zhangfang::db::entities::callback_inbox;
    callback_inbox::Entity::find()
        .order_by_asc(callback_inbox::Column::Id)
        .all(r.app.state.db.read())
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            let status = format!("{:?}", row.status).to_lowercase();
            (row.firm_id, status, row.attempts)
        })
        .collect()
}

#[tokio::test]
async fn two_workers_apply_the_events_of_one_contact_one_after_another() {
    let r = sync_rig(Profile::Demo).await;
    r.sync(What::All).await;
    send(&r, edit(&r, 0, 1)).await;
    send(&r, edit(&r, 0, 2)).await;
    send(&r, edit(&r, 1, 3)).await;
    // Worker A's fetch for the first event is slow; while it runs, worker B must not take the
    // second event of the same contact (its fetch could finish first and be overwritten by A's
    // older state), only the other contact's.
    r.sandbox.inject(zhangfang::sandbox::Fault::latency(
        Some("externalcontact/get"),
        std::time::Duration::from_millis(600),
        1,
    ));
    let other = r.app.another_instance().await;
    let (a, b) = tokio::join!(wecom_events::drain(&r.app.state.ctx, 1), async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        wecom_events::drain(&other.state.ctx, 1).await
    });
    assert_eq!((a.unwrap(), b.unwrap()), (1, 1));
    assert_eq!(statuses(&r).await, ["done", "pending", "done"]);
    assert_eq!(drain(&r).await, 1);
    assert_eq!(statuses(&r).await, ["done", "done", "done"]);
    assert_current(&r).await;
}

#[tokio::test]
async fn a_busy_wecom_pauses_the_firm_and_a_waiting_event_holds_back_its_object_only() {
    let r = sync_rig(Profile::Demo).await;
    r.sync(What::All).await;
    r.sandbox.inject(zhangfang::sandbox::Fault::error(
        "externalcontact/get",
        45009,
        1,
    ));
    send(&r, edit(&r, 0, 1)).await;
    send(&r, edit(&r, 0, 2)).await;
    send(&r, edit(&r, 1, 3)).await;
    // The first event fails and waits for its backoff; the firm's other events wait for the next
    // run rather than meet a busy WeCom one by one.
    assert_eq!(drain(&r).await, 1);
    assert_eq!(statuses(&r).await, ["processing", "pending", "pending"]);
    // Next run: the second waits behind the first, the third (another contact) goes on.
    assert_eq!(drain(&r).await, 1);
    assert_eq!(statuses(&r).await, ["processing", "pending", "done"]);
    r.app.clock.advance(Duration::seconds(10));
    assert_eq!(drain(&r).await, 2);
    assert_eq!(statuses(&r).await, ["done", "done", "done"]);
}

#[tokio::test]
async fn the_standard_worker_drains_the_inbox_on_its_own() {
    let r = sync_rig(Profile::Demo).await;
    let c = &r.dataset.external_contacts[0];
    send(
        &r,
        contact_event(
            ContactChangeType::EditExternalContact,
            &c.follow_users[0].userid,
            Some(&c.external_userid),
        ),
    )
    .await;
    let worker = r.worker();
    worker.ensure_recurring().await.unwrap();
    worker.run_until_idle().await.unwrap();
    assert_eq!(pending(&r).await, 0);
    assert_eq!(
        r.app
            .count(&format!(
                "SELECT COUNT(*) FROM wecom_external_contact WHERE external_userid = '{}'",
                c.external_userid
            ))
            .await,
        1
    );
}

#[tokio::test]
async fn member_change_events_refresh_the_member() {
    let r = sync_rig(Profile::Demo).await;
    let m = r.dataset.members.iter().find(|m| m.is_follow_user).unwrap();
    let app_id = r
        .app
        .count(&format!(
            "SELECT id FROM wecom_app WHERE firm_id = {}",
            r.firm_id
        ))
        .await;
    let firm = crate::helpers::TestFirm {
        firm_id: r.firm_id,
        app_id,
        corp_id: r.dataset.corp_id.clone(),
        agent_id: r.dataset.app.agent_id.clone(),
        token: r.dataset.app.token.clone(),
        key: r.dataset.app.encoding_aes_key.clone(),
    };
    let xml = format!(
        "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
         <CreateTime>1764122400</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_user]]></ChangeType>\
         <UserID><![CDATA[{}]]></UserID></xml>",
        r.dataset.corp_id, m.userid
    );
    assert_eq!(r.app.post_callback(&firm, &xml).await.status(), 200);
    // A member WeCom does not know is marked as gone.
    r.sync(What::Members).await;
    let ghost = xml.replace(&m.userid, "nobody_here");
    sea_orm::ConnectionTrait::execute_unprepared(
        r.app.state.db.write(),
        &format!(
            "INSERT INTO wecom_member (firm_id, userid, name, status, is_follow_user, created_at, updated_at) \
             VALUES ({}, 'nobody_here', '离职成员', 1, TRUE, '2026-11-26T02:00:00Z', '2026-11-26T02:00:00Z')",
            r.firm_id
        ),
    )
    .await
    .unwrap();
    assert_eq!(r.app.post_callback(&firm, &ghost).await.status(), 200);
    assert!(drain(&r).await >= 1);
    assert_eq!(pending(&r).await, 0);
    assert_eq!(
        r.app
            .count(&format!(
                "SELECT COUNT(*) FROM wecom_member WHERE userid = '{}' AND name = '{}'",
                m.userid, m.name
            ))
            .await,
        1
    );
    assert_eq!(
        r.app
            .count(
                "SELECT COUNT(*) FROM wecom_member WHERE userid = 'nobody_here' AND status = 5 \
                 AND is_follow_user = FALSE"
            )
            .await,
        1
    );
}

/// A second firm whose app has no secret: every event of it fails as a transient failure (the
/// app is not usable yet), as for a firm still being set up.
async fn firm_without_secret(r: &SyncRig) -> crate::helpers::TestFirm {
    let firm = r
        .app
        .add_firm(
            "wwnosecret0000000001",
            "NoSecretToken",
            "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        )
        .await;
    r.app
        .execute(
            "UPDATE wecom_app SET secret_enc = NULL WHERE firm_id = ?",
            vec![firm.firm_id.into()],
        )
        .await;
    r.app.state.apps.invalidate(firm.firm_id);
    firm
}

/// An edit of one of the firm's contacts, as WeCom sends it.
fn edit_xml(corp_id: &str, i: usize) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>\
         <FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>\
         <ChangeType><![CDATA[edit_external_contact]]></ChangeType>\
         <UserID><![CDATA[zhangsan]]></UserID>\
         <ExternalUserID><![CDATA[wmnosecret{i:020}]]></ExternalUserID></xml>",
        1_764_000_000 + i
    )
}

#[tokio::test]
async fn firms_take_turns_and_a_firm_whose_app_fails_is_left_alone_until_the_next_run() {
    let r = sync_rig(Profile::Demo).await;
    r.sync(What::All).await;
    let broken = firm_without_secret(&r).await;
    // The broken firm's events arrive first, so they are the oldest in the inbox.
    for i in 0..4 {
        let answer = r
            .app
            .post_callback(&broken, &edit_xml(&broken.corp_id, i))
            .await;
        assert_eq!(answer.status(), 200);
    }
    for i in 0..3 {
        send(&r, edit(&r, i, i as i64 + 1)).await;
    }
    let (a, b) = (r.firm_id, broken.firm_id);
    let pending = |firm| (firm, "pending".to_string(), 0);

    // One event per run: the first firm's turn comes first, however old the other's events.
    assert_eq!(wecom_events::drain(&r.app.state.ctx, 1).await.unwrap(), 1);
    let mut expected = vec![pending(b), pending(b), pending(b), pending(b)];
    expected.extend([(a, "done".to_string(), 1), pending(a), pending(a)]);
    assert_eq!(rows(&r).await, expected);

    // Two events: one of each firm, in turn. The broken firm's oldest event fails and waits for
    // its backoff; the first firm's third event waits for the next run.
    assert_eq!(wecom_events::drain(&r.app.state.ctx, 2).await.unwrap(), 2);
    let failed = (b, "processing".to_string(), 1);
    let done = (a, "done".to_string(), 1);
    let mut expected = vec![failed.clone(), pending(b), pending(b), pending(b)];
    expected.extend([done.clone(), done.clone(), pending(a)]);
    assert_eq!(rows(&r).await, expected);

    // A full run: the first firm's last event goes through; the broken firm's next event
    // (another contact) fails, and its other events are not touched until the next run.
    assert_eq!(wecom_events::drain(&r.app.state.ctx, 100).await.unwrap(), 2);
    let mut expected = vec![failed.clone(), failed, pending(b), pending(b)];
    expected.extend([done.clone(), done.clone(), done]);
    assert_eq!(rows(&r).await, expected);
}

/// The claim holds SQLite's write lock (every callback's commit waits for it), so it must find
/// the firm's next event by index, never by walking the inbox: not another firm's backlog, not
/// the firm's own.
#[tokio::test]
async fn a_claim_reads_only_the_firms_own_index_entries() {
    use sea_orm::DbBackend;
    let r = sync_rig(Profile::Demo).await;
    let now = r.app.clock.now();
    let values = vec![
        now.into(),
        r.firm_id.into(),
        r.firm_id.into(),
        now.into(),
        now.into(),
    ];
    let sql = wecom_events::claim_sql(DbBackend::Sqlite);
    let Some(plan) = r.app.sqlite_plan(&sql, values).await else {
        return;
    };
    // Every step that reads the inbox (the other steps read a constant row or the two
    // candidates).
    let reads: Vec<&String> = plan
        .iter()
        .filter(|d| d.starts_with("SEARCH") || d.starts_with("SCAN"))
        .filter(|d| !d.ends_with(" due") && d.as_str() != "SCAN CONSTANT ROW")
        .collect();
    assert!(!reads.is_empty(), "{plan:#?}");
    for read in reads {
        assert!(
            read.contains("USING INTEGER PRIMARY KEY") || read.contains("(status=? AND firm_id=?)"),
            "a claim step reads more than the firm's own entries: {read}\n{plan:#?}"
        );
    }
}
