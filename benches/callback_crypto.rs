//! Callback verification and decryption, the work done for every WeCom event before it is stored.
//! Run with `cargo bench --bench callback_crypto`; results are recorded in docs/benchmarks.md.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use zhangfang::wecom::crypto::{CallbackCrypto, random_prefix};
use zhangfang::wecom::xml;

const TOKEN: &str = "QDG6eK";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const CORP: &str = "wx5823bf96d3bd56c7";

/// A change_external_contact event padded with a description to about `size` bytes.
fn event_of_size(size: usize) -> String {
    let head = format!(
        "<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
         <CreateTime>1764000000</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[edit_external_contact]]></ChangeType>\
         <UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[wmAbCdEfGhIjKlMnOpQrStUvWxYz0123]]></ExternalUserID>\
         <Description><![CDATA["
    );
    let tail = "]]></Description></xml>";
    let budget = size.saturating_sub(head.len() + tail.len());
    let mut filler = String::with_capacity(budget);
    for ch in "代账客户备注 remark ".chars().cycle() {
        if filler.len() + ch.len_utf8() > budget {
            break;
        }
        filler.push(ch);
    }
    format!("{head}{filler}{tail}")
}

fn bench(c: &mut Criterion) {
    let crypto = CallbackCrypto::new(TOKEN, KEY, CORP).expect("key");
    let mut group = c.benchmark_group("callback");
    for size in [1024usize, 16 * 1024] {
        let event = event_of_size(size);
        let sealed = crypto
            .seal(&event, "1764000000", "263014780", random_prefix())
            .expect("seal");
        let body = zhangfang::wecom::crypto::envelope_xml(CORP, &sealed.encrypt, "1000002");
        group.throughput(Throughput::Bytes(event.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("verify_decrypt", size),
            &sealed,
            |b, sealed| {
                b.iter(|| {
                    crypto
                        .verify_and_decrypt(
                            black_box(&sealed.msg_signature),
                            "1764000000",
                            "263014780",
                            black_box(&sealed.encrypt),
                            &[CORP],
                        )
                        .expect("valid")
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("full_intake", size), &body, |b, body| {
            b.iter(|| {
                let envelope = xml::parse_envelope(black_box(body.as_bytes())).expect("xml");
                let plain = crypto
                    .verify_and_decrypt(
                        &sealed.msg_signature,
                        "1764000000",
                        "263014780",
                        &envelope.encrypt,
                        &[CORP],
                    )
                    .expect("valid");
                let key = plain.dedupe_key_hex();
                let fields = xml::parse_event(&plain.msg).expect("event");
                black_box((key, fields.change_type().map(str::len)))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
