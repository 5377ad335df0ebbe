//! Codec throughput: `cargo bench --bench codec`.
//! Encode a 1,000-character Cyrillic text (UCS-2, 15 parts) and a
//! 459-character GSM text (exactly 3 parts of 153), and decode real PDUs.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use simfleet::sms::{self, Address, SplitOptions, SubmitOptions};

fn cyrillic_1000() -> String {
    let words = "Уважаемый клиент, ваш заказ готов к выдаче в пункте самовывоза. ";
    words.chars().cycle().take(1000).collect()
}

fn gsm_459() -> String {
    let words = "Your appointment is confirmed for Monday at 10:30. Reply STOP to opt out. ";
    words.chars().cycle().take(459).collect()
}

fn encode(c: &mut Criterion) {
    let to = Address::parse_number("+79161234567").unwrap();
    let options = SubmitOptions {
        status_report: true,
        validity_minutes: Some(1440),
        ..SubmitOptions::default()
    };
    let mut group = c.benchmark_group("encode");
    for (name, text, parts) in [("cyrillic_1000", cyrillic_1000(), 15), ("gsm_459", gsm_459(), 3)] {
        let plan = sms::plan(&text, &SplitOptions::default()).unwrap();
        assert_eq!(plan.segment_count(), parts);
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| {
            b.iter(|| {
                let plan = sms::plan(black_box(&text), &SplitOptions::default()).unwrap();
                sms::encode_submit(&to, &plan, &options, 42).unwrap()
            })
        });
    }
    let national = SplitOptions {
        national: sms::NationalLanguage::ALL.to_vec(),
        ..SplitOptions::default()
    };
    let text = cyrillic_1000();
    group.bench_function("cyrillic_1000_national_enabled", |b| {
        b.iter(|| sms::plan(black_box(&text), &national).unwrap())
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let pdus = [
        (
            "deliver_gsm7_single",
            "07912104442961F4040B916171957291F800001120821105050A6AC8B2BC7C9A83C220F6DB7D2ECB41EDF27C1E3E97411BDE06754FD3D1A0F9BB5D0695F1F4B29B5C2683C6E8B03C3CA697E5F34D6AE303D1D1F2F7DD0D4ABB59A0797D8C0685E7A00028EC26832A960B28EC2683BE6050780EBA97D96C17",
        ),
        (
            "deliver_gsm7_concat_part",
            "07912160130320F5440B916171056429F5000021405291650569A00500034C0201A9E8F41C949E83C2207B599E07B1DFEE33885E9ED341E4F23C7D7697C920FA1B54C697E5E3F4BC0C6AD7D9F434081E96D341E3303C2C4EB3D3F4BC0B94A483E6E8779D4D06CDD1EF3BA80E0785E7A0B7BB0C6A97E7F3F0B9CC02B9DF7450780EA2DFDF2C50780EA2A3CBA0BA9B5C96B3F369F71954768FDFE4B4FB0C9297E1F2F2BCECA6CF41",
        ),
        (
            "deliver_ucs2_alnum",
            "07919730071111F10414D04937BD2C7797E9D3E614000811309291024061080442043504410442",
        ),
        (
            "status_report",
            "07914356060013F1065A098136397339F7219011700463802190117004638030",
        ),
    ];
    let mut group = c.benchmark_group("decode");
    for (name, hex) in pdus {
        let bytes = sms::hex::decode_hex(hex).unwrap();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| sms::decode(black_box(&bytes)).unwrap()));
    }
    let hex = pdus[1].1;
    group.bench_function("hex_then_decode_concat_part", |b| {
        b.iter(|| sms::decode_hex_pdu(black_box(hex)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
