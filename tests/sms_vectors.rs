//! The codec against PDUs written by others: ModemManager's test suite
//! (captured from real networks and handsets) and the TS 23.040 examples
//! everyone quotes. Names read as paths: layer/case.

use simfleet::sms::{
    self, Address, AddressKind, Content, Encoding, SplitOptions, StatusCategory, SubmitOptions, Tpdu,
};

fn deliver(hex: &str) -> (sms::Pdu, sms::Deliver) {
    let pdu = sms::decode_hex_pdu(hex).unwrap();
    match pdu.tpdu.clone() {
        Tpdu::Deliver(d) => (pdu, d),
        other => panic!("expected a deliver, got {other:?}"),
    }
}

fn text_of(d: &sms::Deliver) -> String {
    d.user_data.content.text().unwrap()
}

#[test]
fn deliver_gsm7_extension_chars_mm_pdu1() {
    let (pdu, d) = deliver(
        "07912104442961F4040B916171957291F800001120821105050A6AC8B2BC7C9A83C220F6DB7D2ECB41EDF27C1E3E97411BDE06754FD3D1A0F9BB5D0695F1F4B29B5C2683C6E8B03C3CA697E5F34D6AE303D1D1F2F7DD0D4ABB59A0797D8C0685E7A00028EC26832A960B28EC2683BE6050780EBA97D96C17",
    );
    assert_eq!(pdu.smsc.unwrap().to_string(), "+12404492164");
    assert_eq!(d.sender.to_string(), "+16175927198");
    assert_eq!(d.timestamp.unwrap().to_rfc3339(), "2011-02-28T11:50:50-05:00");
    assert_eq!(
        text_of(&d),
        "Here's a longer message [{with some extended characters}] thrown in, such as £ and ΩΠΨ and §¿ as well."
    );
    assert!(d.user_data.header.is_none());
}

#[test]
fn deliver_ucs2_alphanumeric_sender_mm_pdu2() {
    let (pdu, d) = deliver("07919730071111F10414D04937BD2C7797E9D3E614000811309291024061080442043504410442");
    assert_eq!(pdu.smsc.unwrap().to_string(), "+79037011111");
    assert_eq!(d.sender.kind, AddressKind::Alphanumeric);
    assert_eq!(d.sender.to_string(), "InternetSMS");
    assert_eq!(d.timestamp.unwrap().to_rfc3339(), "2011-03-29T19:20:04+04:00");
    assert_eq!(d.dcs.encoding, Encoding::Ucs2);
    assert_eq!(text_of(&d), "тест");
}

#[test]
fn deliver_gsm7_plain_mm_pdu3() {
    let (_, d) = deliver("07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC37");
    assert_eq!(d.sender.to_string(), "+18005551212");
    assert_eq!(d.timestamp.unwrap().to_rfc3339(), "2011-01-01T12:34:56+00:00");
    assert_eq!(text_of(&d), "hellohello");
}

#[test]
fn deliver_national_number_has_no_plus_mm_pdu3_natl() {
    let (_, d) = deliver("07912143658709F1040B818100551512F20000111010214365000AE8329BFD4697D9EC37");
    assert_eq!(d.sender.to_string(), "18005551212");
}

#[test]
fn deliver_8bit_is_data_not_text_mm_pdu3_8bit() {
    let (_, d) = deliver("07912143658709F1040B918100551512F20004111010214365000AE8329BFD4697D9EC37DE");
    assert_eq!(d.dcs.encoding, Encoding::EightBit);
    assert_eq!(
        d.user_data.content,
        Content::Data(vec![0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37, 0xDE])
    );
}

#[test]
fn deliver_dcs_group_f_class1_160_septets_mm_dcsf1() {
    let (pdu, d) = deliver(
        "07913306091093F0040485810000F111604231805180A049B7F90D9A1AA5A01668F8769BD3E4B29B9E2EB359A03FC85D06A9C3ED707A0EA2CBC3EE79BB4CA7CBCBA05643617DA7C76990FD4D979741EE77DD5E0ED741ED371D442E83E0E1F9BC0CD281E677D9B84C06C1DF7539E85C9097E520FB9B2E2F83C6EF369C5E064D8D52D0BC2E07DDEF77D7DC2C7799E5A0771D040FCB41F402BB0047BFDD6550B80ECAD966",
    );
    assert_eq!(pdu.smsc.unwrap().to_string(), "+33609001390");
    assert_eq!(d.sender.to_string(), "1800");
    assert_eq!(d.timestamp.unwrap().to_rfc3339(), "2011-06-24T13:08:15+02:00");
    assert_eq!(d.dcs.class, Some(1));
    assert_eq!(
        text_of(&d),
        "Info SFR - Confidentiel, à ne jamais transmettre -\r\nVoici votre nouveau mot de passe : sw2ced pour gérer votre compte SFR sur www.sfr.fr ou par téléphone au 963"
    );
}

#[test]
fn deliver_udl_longer_than_data_is_truncated_error_mm_insufficient() {
    let err = sms::decode_hex_pdu("07912143658709F1040B918100551512F20000111010214365000BE8329BFD4697D9EC37")
        .unwrap_err();
    assert_eq!(err.to_string(), "truncated user data: need 10 octets, have 9");
}

#[test]
fn deliver_concat_8bit_with_udh_mm_kpn_welcome() {
    let (_, d) = deliver(concat!(
        "07911356131313F64004850120390011609232239180A006080400100201D7327BFD6EB340E232",
        "1BF46E83EA7790F59D1E97DBE1341B442F83C465763D3DA797E56537C81D0ECB41AB59CC1693C1",
        "6031D96C064241E5656838AF03A96230982A269BCD462917C8FA4E8FCBED709A0D7ABBE9F6B0FB",
        "5C7683D27350984D4FABC9A0B33C4C4FCF5D20EBFB2D079DCB62793DBD06D9C36E50FB2D4E97D9",
        "A0B49B5E96BBCB"
    ));
    assert_eq!(d.sender.to_string(), "1002");
    assert_eq!(d.timestamp.unwrap().to_rfc3339(), "2011-06-29T23:32:19+02:00");
    // This one uses the 16-bit reference form (IEI 0x08).
    let c = d.user_data.header.as_ref().and_then(|h| h.concat).unwrap();
    assert_eq!((c.reference, c.total, c.seq, c.wide_ref), (0x0010, 2, 1, true));
    assert_eq!(
        text_of(&d),
        "Welkom, bel om uw Voicemail te beluisteren naar +31612001233 (PrePay: *100*1233#). Voicemail ontvangen is altijd gratis. Voor gebruik van mobiel interne"
    );
}

#[test]
fn deliver_concat_two_parts_mm_multipart() {
    let (_, one) = deliver(concat!(
        "07912160130320F5440B916171056429F5000021405291650569A00500034C0201A9E8F41C949E",
        "83C2207B599E07B1DFEE33885E9ED341E4F23C7D7697C920FA1B54C697E5E3F4BC0C6AD7D9F434",
        "081E96D341E3303C2C4EB3D3F4BC0B94A483E6E8779D4D06CDD1EF3BA80E0785E7A0B7BB0C6A97",
        "E7F3F0B9CC02B9DF7450780EA2DFDF2C50780EA2A3CBA0BA9B5C96B3F369F71954768FDFE4B4FB",
        "0C9297E1F2F2BCECA6CF41"
    ));
    let (_, two) = deliver(concat!(
        "07912160130320F6440B916171056429F5000021405291651569320500034C0202E9E8301D4447",
        "9741F0B09C3E0785E56590BCCC0ED3CB6410FD0D7ABBCBA0B0FB4D4797E52E10"
    ));
    assert_eq!(one.timestamp.unwrap().to_rfc3339(), "2012-04-25T19:56:50-04:00");
    let c1 = one.user_data.header.as_ref().and_then(|h| h.concat).unwrap();
    let c2 = two.user_data.header.as_ref().and_then(|h| h.concat).unwrap();
    assert_eq!((c1.reference, c1.total, c1.seq, c1.wide_ref), (0x4C, 2, 1, false));
    assert_eq!((c2.reference, c2.total, c2.seq), (0x4C, 2, 2));
    assert_eq!(
        text_of(&one) + &text_of(&two),
        "This is a very long test designed to exercise multi part capability. It should show up as one message, not as two, as the underlying encoding represents that the parts are related to one another. "
    );
}

#[test]
fn submit_stored_by_us_ucs2_mm_stored() {
    let pdu = sms::decode_hex_pdu(
        "002100098136397339F70008224F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60",
    )
    .unwrap();
    assert_eq!(pdu.smsc, None);
    let Tpdu::Submit(s) = pdu.tpdu else {
        panic!("not a submit")
    };
    assert!(s.status_report_request);
    assert_eq!(s.recipient.to_string(), "639337937");
    assert_eq!(
        s.user_data.content.text().unwrap(),
        "你好你好你好你好你好你好你好你好你"
    );
}

#[test]
fn status_report_pending_mm_not_stored() {
    let pdu =
        sms::decode_hex_pdu("07914356060013F1065A098136397339F7219011700463802190117004638030").unwrap();
    assert_eq!(pdu.smsc.unwrap().to_string(), "+34656000311");
    let Tpdu::StatusReport(r) = pdu.tpdu else {
        panic!("not a status report")
    };
    assert_eq!(r.message_ref, 0x5A);
    assert_eq!(r.recipient.to_string(), "639337937");
    assert_eq!(r.sc_timestamp.unwrap().to_rfc3339(), "2012-09-11T07:40:36+02:00");
    assert_eq!(
        r.discharge_time.unwrap().to_rfc3339(),
        "2012-09-11T07:40:36+02:00"
    );
    // 0x30: SC-specific temporary error, the SC keeps trying.
    assert_eq!(
        (r.status.code, r.status.category),
        (0x30, StatusCategory::Pending)
    );
}

#[test]
fn status_report_delivered_with_optional_tail() {
    // TP-PI announcing PID and DCS, as some networks append.
    let pdu = sms::decode_hex_pdu("0006070B919471123456F8111032112334801110321123548000030000").unwrap();
    let Tpdu::StatusReport(r) = pdu.tpdu else {
        panic!("not a status report")
    };
    assert_eq!(r.message_ref, 7);
    assert_eq!(r.recipient.to_string(), "+49172143658");
    assert_eq!(r.status.category, StatusCategory::Delivered);
    assert_eq!((r.pid, r.dcs.map(|d| d.raw)), (Some(0), Some(0)));
}

#[test]
fn submit_decode_23_040_classic_example() {
    // The "hellohello" SMS-SUBMIT to +46708251358 with 4 days validity.
    let pdu = sms::decode_hex_pdu("0011000B916407281553F80000AA0AE8329BFD4697D9EC37").unwrap();
    let Tpdu::Submit(s) = pdu.tpdu else {
        panic!("not a submit")
    };
    assert_eq!(s.recipient.to_string(), "+46708251358");
    assert_eq!(s.validity, Some(sms::submit::Validity::Relative(4 * 24 * 60)));
    assert_eq!(s.user_data.content.text().unwrap(), "hellohello");
}

fn encode_one(to: &str, text: &str, smsc: Option<&str>, validity: Option<u32>) -> sms::EncodedPdu {
    let plan = sms::plan(text, &SplitOptions::default()).unwrap();
    let options = SubmitOptions {
        smsc: smsc.map(|s| Address::parse_number(s).unwrap()),
        validity_minutes: validity,
        ..SubmitOptions::default()
    };
    let mut pdus = sms::encode_submit(&Address::parse_number(to).unwrap(), &plan, &options, 0).unwrap();
    assert_eq!(pdus.len(), 1);
    pdus.remove(0)
}

#[test]
fn submit_encode_ucs2_with_smsc_mm() {
    let pdu = encode_one(
        "+15555551234",
        "Да здравствует король, детка!",
        Some("+19037029920"),
        Some(5),
    );
    assert_eq!(
        pdu.hex(),
        "07919130079229F011000B915155551532F40008003A041404300020043704340440043004320441044204320443043504420020043A043E0440043E043B044C002C0020043404350442043A04300021"
    );
    assert_eq!(pdu.tpdu_offset, 8);
    assert_eq!(pdu.tpdu_length(), pdu.bytes.len() - 8);
}

#[test]
fn submit_encode_gsm7_with_smsc_mm() {
    let pdu = encode_one(
        "+15555551234",
        "Hi there...Tue 17th Jan 2012 05:30.18 pm (GMT+1) ΔΔΔΔΔ",
        Some("+19037029920"),
        Some(5),
    );
    assert_eq!(
        pdu.hex(),
        "07919130079229F011000B915155551532F400000036C834888E2ECBCB2E978B5A2F8362373A1AA40CBB4132584C0682D57433982B8603C1DB20D4B1495DC552200804028100"
    );
}

#[test]
fn submit_encode_gsm7_lone_last_septet_mm_gsm3() {
    let pdu = encode_one("+15556661234", "This is really cool ΔΔΔΔΔ", None, Some(5));
    assert_eq!(
        pdu.hex(),
        "0011000B915155661632F40000001954747A0E4ACF41F27298CDCE83C6EF371B0481402010"
    );
    assert_eq!(pdu.tpdu_offset, 1);
    assert_eq!(pdu.tpdu_length(), 36);
}

#[test]
fn submit_encode_without_validity_mm() {
    let pdu = encode_one("+15556661234", "This is really cool ΔΔΔΔΔ", None, None);
    assert_eq!(
        pdu.hex(),
        "0001000B915155661632F400001954747A0E4ACF41F27298CDCE83C6EF371B0481402010"
    );
}

#[test]
fn submit_encode_23_040_classic_example() {
    let pdu = encode_one("+46708251358", "hellohello", None, Some(4 * 24 * 60));
    assert_eq!(pdu.hex(), "0011000B916407281553F80000AA0AE8329BFD4697D9EC37");
    assert_eq!(pdu.tpdu_length(), 23);
}

#[test]
fn submit_encode_flags_flash_and_status_report() {
    let plan = sms::plan("hi", &SplitOptions::default()).unwrap();
    let options = SubmitOptions {
        status_report: true,
        flash: true,
        ..SubmitOptions::default()
    };
    let to = Address::parse_number("+1").unwrap();
    let pdu = &sms::encode_submit(&to, &plan, &options, 0).unwrap()[0];
    // First octet 0x21 (submit + SRR), DCS 0x10 (class 0, GSM 7-bit).
    assert_eq!(pdu.hex(), "0021000191F1001002E834");
    let Tpdu::Submit(s) = sms::decode(&pdu.bytes).unwrap().tpdu else {
        panic!()
    };
    assert!(s.status_report_request);
    assert_eq!(s.dcs.class, Some(0));
}

#[test]
fn submit_encode_concat_headers_carry_the_reference() {
    let text = "x".repeat(400);
    let to = Address::parse_number("+79161234567").unwrap();
    for (wide, expected_ref) in [(false, 0x34), (true, 0x1234)] {
        let plan = sms::plan(
            &text,
            &SplitOptions {
                wide_ref: wide,
                ..SplitOptions::default()
            },
        )
        .unwrap();
        let pdus = sms::encode_submit(&to, &plan, &SubmitOptions::default(), 0x1234).unwrap();
        assert_eq!(pdus.len(), 3);
        for (i, p) in pdus.iter().enumerate() {
            let Tpdu::Submit(s) = sms::decode(&p.bytes).unwrap().tpdu else {
                panic!()
            };
            let c = s.user_data.header.and_then(|h| h.concat).unwrap();
            assert_eq!(
                (c.reference, c.total, c.seq, c.wide_ref),
                (expected_ref, 3, i as u8 + 1, wide)
            );
        }
    }
}

#[test]
fn deliver_turkish_locking_shift_three_fill_bits() {
    // From another codec's test suite: IE 0x25 (Turkish) then, after three
    // fill bits, septet 0x1D: 'ş' in the Turkish locking table, 'æ' in the default.
    let (_, d) = deliver("00440B911604895626F90000718013111245230603250101E800");
    assert_eq!(d.sender.to_string(), "+61409865629");
    assert_eq!(d.user_data.header.as_ref().unwrap().national_locking, Some(1));
    assert_eq!(text_of(&d), "ş");
}

/// mm pdu3 up to TP-UDL: SMSC, first octet `first`, TP-OA, TP-PID, TP-DCS `dcs`, TP-SCTS.
fn head(first: &str, dcs: &str) -> String {
    format!("07912143658709F1{first}0B918100551512F200{dcs}11101021436500")
}

fn refused(hex: &str) -> String {
    match sms::decode_hex_pdu(hex) {
        Ok(p) => panic!("{hex} decoded as {p:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn malformed_udl_over_the_maximum_is_refused() {
    // 161 septets (141 octets present) and 142 octets of UCS-2 / 141 of 8-bit data.
    let err = refused(&format!("{}A1{}", head("04", "00"), "41".repeat(141)));
    assert_eq!(
        err,
        "invalid TP-UDL: 161 septets, more than the 160 a message can hold"
    );
    let err = refused(&format!("{}8E{}", head("04", "08"), "0041".repeat(71)));
    assert_eq!(
        err,
        "invalid TP-UDL: 142 octets, more than the 140 a message can hold"
    );
    let err = refused(&format!("{}8D{}", head("04", "04"), "41".repeat(141)));
    assert_eq!(
        err,
        "invalid TP-UDL: 141 octets, more than the 140 a message can hold"
    );
    // The maxima themselves are fine.
    assert!(sms::decode_hex_pdu(&format!("{}A0{}", head("04", "00"), "41".repeat(140))).is_ok());
    assert!(sms::decode_hex_pdu(&format!("{}8C{}", head("04", "08"), "0041".repeat(70))).is_ok());
}

#[test]
fn malformed_udh_longer_than_user_data_is_refused() {
    // TP-UDHL 10 in 5 octets of user data.
    let err = refused(&format!("{}05{}", head("44", "04"), "0A00030102"));
    assert_eq!(
        err,
        "invalid user data header: header length 10 exceeds the 4 octets of user data"
    );
    // TP-UDHI with no user data at all.
    let err = refused(&format!("{}00", head("44", "08")));
    assert_eq!(
        err,
        "invalid user data header: TP-UDHI announces a header but TP-UDL is 0"
    );
}

#[test]
fn malformed_element_past_the_header_is_refused_not_shifted_ucs2() {
    // UCS-2 "AB" behind a 6-octet header whose concat element claims 5
    // octets where 4 remain: once read as shifted garbage.
    let err = refused(&format!("{}0A{}", head("44", "08"), "06000501020100410042"));
    assert_eq!(
        err,
        "invalid user data header: information element 0x00 at offset 0 declares 5 octets but only 4 remain in the header"
    );
    // The same for a concat element of the wrong length for its type.
    let err = refused(&format!("{}0A{}", head("44", "08"), "0600040102010000410042"));
    assert!(
        err.contains("element 0x00 at offset 0 must have 3 octets, declares 4"),
        "{err}"
    );
}

#[test]
fn malformed_odd_ucs2_is_refused() {
    let err = refused(&format!("{}03{}", head("04", "08"), "004100"));
    assert_eq!(
        err,
        "invalid TP-UDL: UCS-2 text of 3 octets is not whole 2-octet characters"
    );
}

#[test]
fn malformed_reserved_message_type_is_refused() {
    // mm pdu3 with TP-MTI 3.
    let err = refused("07912143658709F1070B918100551512F20000111010214365000AE8329BFD4697D9EC37");
    assert_eq!(err, "invalid TP-MTI: message type 3 is reserved (first octet 07)");
    assert!(sms::decode_tpdu(&[0x03, 0x00]).is_err());
}

#[test]
fn malformed_addresses_are_refused() {
    // TP-OA of 21 digits.
    let err = refused("07912143658709F104159181005515122143658709F100001110102143650000");
    assert_eq!(
        err,
        "invalid TP-OA: length of 21 semi-octets, more than the 20 an address may have"
    );
    // TP-DA of a submit, TP-RA of a status report.
    assert!(refused("000100169100000000000000000000000000").starts_with("invalid TP-DA"));
    assert!(
        refused("0006071691000000000000000000000000001110321123348011103211235480")
            .starts_with("invalid TP-RA")
    );
    // An SMSC field of 12 octets.
    assert!(refused("0C91214365870921436587092104").starts_with("invalid SMSC address"));
}

#[test]
fn malformed_timestamps_are_refused() {
    // SCTS day "0A".
    let err = refused("07912143658709F1040B918100551512F200001110A021436500");
    assert_eq!(err, "invalid TP-SCTS: day semi-octets A0 are not decimal digits");
    // A status report whose discharge time is not digits.
    let err = refused("0006070B919471123456F81110321123348011103211FF5480");
    assert_eq!(err, "invalid TP-DT: minute semi-octets FF are not decimal digits");
    // An absolute validity period in a submit.
    let err = refused("0019000B916407281553F800001110321F2334800AE8329BFD4697D9EC37");
    assert!(err.starts_with("invalid TP-VP: hour semi-octets 1F"), "{err}");
}

#[test]
fn real_slack_is_still_accepted() {
    // Octets after the declared user data (modem padding) and a sender
    // length that counts the trailing filler.
    let (_, d) = deliver("07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC370000");
    assert_eq!(text_of(&d), "hellohello");
    let (_, d) = deliver("07912143658709F1040C918100551512F20000111010214365000AE8329BFD4697D9EC37");
    assert_eq!(d.sender.to_string(), "+18005551212");
    // Impossible but well-formed dates are "no date", not an error.
    let (_, d) = deliver("07912143658709F1040B918100551512F20000000000000000000AE8329BFD4697D9EC37");
    assert_eq!(d.timestamp, None);
}
