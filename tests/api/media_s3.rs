//! Attachments in S3-compatible object storage (`[media] store = "s3"`), as several instances
//! share them. CI runs moto's S3 server and sets `TEST_S3_ENDPOINT`; without it this test has
//! nothing to talk to and says so.

use crate::sidebar_attachments::{PNG, post};
use crate::sidebar_customers::world_with;

#[tokio::test]
async fn follow_up_attachments_are_kept_in_s3_and_read_back_from_it() {
    let Ok(endpoint) = std::env::var("TEST_S3_ENDPOINT") else {
        eprintln!("TEST_S3_ENDPOINT is not set: no S3 service to test against");
        return;
    };
    let endpoint = endpoint.trim_end_matches('/').to_string();
    let bucket = format!("zf-test-{}", uuid::Uuid::new_v4().simple());
    let created = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the S3 service answers");
    assert!(created.status().is_success(), "{}", created.status());

    let data_dir = tempfile::tempdir().unwrap();
    let data_path = data_dir.path().to_path_buf();
    let (endpoint_for_app, bucket_for_app) = (endpoint.clone(), bucket.clone());
    let w = world_with(move |s| {
        s.server.data_dir = data_path;
        s.media.store = "s3".into();
        s.media.s3_bucket = bucket_for_app;
        s.media.s3_endpoint = endpoint_for_app;
        s.media.s3_access_key_id = "zf-test".into();
        s.media.s3_secret_access_key = zhangfang::config::Secret::new("zf-test-secret");
        s.media.s3_allow_http = true;
        s.media.s3_path_style = true;
    })
    .await;
    let staff = w.app.signed_in("staff").await;
    let token = staff.csrf_token("/sidebar").await;
    let r = post(
        &staff,
        w.jia,
        &token,
        vec![
            ("发票.png", PNG.to_vec()),
            ("合同.pdf", b"%PDF-1.4 s3".to_vec()),
        ],
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // The objects are in the bucket, under our keys; nothing was written locally.
    let listing = reqwest::get(format!("{endpoint}/{bucket}?list-type=2"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let keys: Vec<String> = listing
        .split("<Key>")
        .skip(1)
        .filter_map(|part| part.split("</Key>").next().map(str::to_string))
        .collect();
    assert_eq!(keys.len(), 2, "{listing}");
    assert!(
        keys.iter()
            .all(|k| k.starts_with(&format!("{}/", w.firm_id)))
    );
    assert!(
        !data_dir
            .path()
            .join("media")
            .join(w.firm_id.to_string())
            .exists()
    );

    // Read back through the app, byte for byte.
    let png_id = w
        .app
        .count("SELECT id FROM attachment WHERE mime = 'image/png'")
        .await;
    let r = staff.get(&format!("/sidebar/attachments/{png_id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);

    // An object gone from the bucket is a clear 404, not a crash.
    let key = crate::helpers::string_value(
        &w.app,
        &format!("SELECT storage_key FROM attachment WHERE id = {png_id}"),
    )
    .await;
    // Deleted through the app's store (what a failed save does with its files); twice is fine.
    w.app.state.ctx.media.delete(&key).await.unwrap();
    w.app.state.ctx.media.delete(&key).await.unwrap();
    let after = reqwest::get(format!("{endpoint}/{bucket}?list-type=2"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!after.contains(&key), "{key} still listed: {after}");
    let r = staff.get(&format!("/sidebar/attachments/{png_id}")).await;
    assert_eq!(r.status(), 404);
}
