//! Rendering a receipt image (SVG template → PNG with the bundled CJK font): the sidebar's
//! 发送收据 waits for it, so it must stay well under 50 ms at p99 on two cores.

use criterion::{Criterion, criterion_group, criterion_main};
use zhangfang::render::receipt::{ReceiptData, render};

fn receipt() -> ReceiptData {
    ReceiptData {
        firm_name: "杭州鑫犇财税咨询有限公司".into(),
        receipt_no: "SJ-2026-000123".into(),
        date: "2026年11月26日".into(),
        payer: "内蒙古自治区呼和浩特市赛罕区鑫犇淼燚堃昇商贸有限责任公司第一分公司".into(),
        payer_person: Some("王堃".into()),
        item: "代理记账服务费".into(),
        period: Some("2026年01月–2026年12月".into()),
        amount_figures: "¥3,600.00".into(),
        amount_cn: "人民币叁仟陆佰元整".into(),
        method: "转账".into(),
        handler: "李昇".into(),
        note: Some("含2026年度汇算清缴".into()),
        void: false,
        seal_png: None,
    }
}

fn bench(c: &mut Criterion) {
    let data = receipt();
    // The font database is built once per process; the first render pays for it.
    render(&data).expect("renders");
    c.bench_function("receipt_png", |b| {
        b.iter(|| render(std::hint::black_box(&data)).expect("renders"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
