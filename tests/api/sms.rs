//! The Tencent Cloud SMS sender's requests and its reading of answers, against a stand-in.

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zhangfang::config::{Secret, Settings, SmsProvider};
use zhangfang::sms::{SmsError, SmsSender, TencentSmsSender};

fn sender(endpoint: &str) -> TencentSmsSender {
    let mut s = Settings::defaults().unwrap().sms;
    s.provider = SmsProvider::Tencent;
    s.secret_id = "AKIDTESTID".into();
    s.secret_key = Secret::new("TESTSECRETKEY");
    s.sdk_app_id = "1400000001".into();
    s.sign_name = "账房".into();
    s.template_id = "100001".into();
    s.endpoint = endpoint.into();
    TencentSmsSender::new(
        s,
        std::sync::Arc::new(zhangfang::domain::clock::SystemClock),
    )
}

#[tokio::test]
async fn send_sms_requests_are_signed_and_shaped_as_tencent_cloud_expects() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("X-TC-Action", "SendSms"))
        .and(header("X-TC-Version", "2021-01-11"))
        .and(header("X-TC-Region", "ap-guangzhou"))
        .and(header("Content-Type", "application/json; charset=utf-8"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Response": {
            "SendStatusSet": [{"SerialNo": "1", "PhoneNumber": "+8613800000000", "Fee": 1,
                               "SessionContext": "", "Code": "Ok", "Message": "send success", "IsoCode": "CN"}],
            "RequestId": "r1"}})))
        .expect(1)
        .mount(&server)
        .await;
    sender(&server.uri())
        .send_code("13800000000", "123456", 5)
        .await
        .unwrap();
    let request = &server.received_requests().await.unwrap()[0];
    let auth = request
        .headers
        .get("Authorization")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        auth.starts_with("TC3-HMAC-SHA256 Credential=AKIDTESTID/"),
        "{auth}"
    );
    assert!(auth.contains("/sms/tc3_request, SignedHeaders=content-type;host, Signature="));
    assert!(!auth.contains("TESTSECRETKEY"));
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["PhoneNumberSet"], json!(["+8613800000000"]));
    assert_eq!(body["SmsSdkAppId"], "1400000001");
    assert_eq!(body["SignName"], "账房");
    assert_eq!(body["TemplateId"], "100001");
    assert_eq!(body["TemplateParamSet"], json!(["123456", "5"]));
}

#[tokio::test]
async fn refusals_from_tencent_cloud_become_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"Response": {
            "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "signature mismatch"},
            "RequestId": "r2"}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Response": {
            "SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberDailyLimit", "Message": "daily limit"}],
            "RequestId": "r3"}})))
        .mount(&server)
        .await;
    let s = sender(&server.uri());
    assert!(matches!(
        s.send_code("13800000000", "1", 5).await,
        Err(SmsError::Rejected { code, .. }) if code == "AuthFailure.SignatureFailure"
    ));
    assert!(matches!(
        s.send_code("13800000000", "1", 5).await,
        Err(SmsError::Rejected { code, .. }) if code.starts_with("LimitExceeded")
    ));
}
