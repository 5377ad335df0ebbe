//! The durable queue: enqueue, idempotency, claims, results, counters,
//! stickiness, and recovery after a crash (reopening the same file).

use simfleet::phone::Msisdn;
use simfleet::sms::Encoding;
use simfleet::store::{
    ClaimRequest, EnqueueError, NewMessage, PartSent, Recovered, ReportIn, ReportOutcome, SentRecord,
    SimSeen, Status, Store,
};

fn msg(to: &str, text: &str) -> NewMessage {
    NewMessage {
        recipient: Msisdn::from_canonical(to),
        text: text.into(),
        encoding: Encoding::Gsm7,
        segments: 1,
        status_report: true,
        send_at: None,
        expires_at: None,
        kind: None,
        category: Default::default(),
        idempotency_key: None,
        request_hash: format!("{to}|{text}"),
    }
}

fn sim(store: &Store, imsi: &str) {
    store
        .sim_seen(
            &SimSeen {
                imsi: imsi.into(),
                iccid: None,
                imei: format!("imei-{imsi}"),
                port: "/dev/x".into(),
            },
            0,
        )
        .unwrap();
}

#[test]
fn enqueue_queued_and_scheduled_then_promoted() {
    let s = Store::open_in_memory().unwrap();
    let a = s.enqueue(&msg("+79161234567", "now"), 1_000).unwrap();
    assert_eq!(a.status, Status::Queued);
    let b = s
        .enqueue(
            &NewMessage {
                send_at: Some(5_000),
                ..msg("+79161234567", "later")
            },
            1_000,
        )
        .unwrap();
    assert_eq!(b.status, Status::Scheduled);
    assert_eq!(s.next_scheduled().unwrap(), Some(5_000));
    assert_eq!(s.promote_due(4_999).unwrap(), 0);
    assert_eq!(s.promote_due(5_000).unwrap(), 1);
    let (row, history) = s.message(b.id).unwrap().unwrap();
    assert_eq!(row.status, Status::Queued);
    let statuses: Vec<_> = history.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Status::Scheduled, Status::Queued]);
    assert!(history.iter().all(|e| e.reason.is_some()));
}

#[test]
fn idempotency_same_request_same_message_different_request_conflict() {
    let s = Store::open_in_memory().unwrap();
    let m = NewMessage {
        idempotency_key: Some("k1".into()),
        ..msg("+79161234567", "hi")
    };
    let first = s.enqueue(&m, 1).unwrap();
    let again = s.enqueue(&m, 2).unwrap();
    assert_eq!((again.id, again.existing), (first.id, true));
    let other = NewMessage {
        request_hash: "different".into(),
        ..m
    };
    assert!(matches!(s.enqueue(&other, 3), Err(EnqueueError::Conflict(_))));
    assert_eq!(s.messages(None, 0, 10).unwrap().len(), 1);
}

#[test]
fn batch_is_one_transaction_and_a_conflict_spoils_nothing() {
    let s = Store::open_in_memory().unwrap();
    s.enqueue(
        &NewMessage {
            idempotency_key: Some("dup".into()),
            ..msg("+1", "a")
        },
        1,
    )
    .unwrap();
    let mut batch: Vec<_> = (0..10_000)
        .map(|i| msg("+79161234567", &format!("m{i}")))
        .collect();
    batch[5] = NewMessage {
        idempotency_key: Some("dup".into()),
        request_hash: "other".into(),
        ..msg("+1", "b")
    };
    let results = s.enqueue_batch(&batch, 2).unwrap();
    assert_eq!(results.len(), 10_000);
    assert!(matches!(results[5], Err(EnqueueError::Conflict(_))));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 9_999);
    let counts = s.status_counts().unwrap();
    assert_eq!(
        counts.iter().find(|(st, _)| *st == Status::Queued).unwrap().1,
        10_000
    );
}

#[test]
fn claim_is_exclusive_and_references_advance_per_sim() {
    let s = Store::open_in_memory().unwrap();
    sim(&s, "250010000000001");
    sim(&s, "250010000000002");
    let ids: Vec<i64> = (0..3)
        .map(|i| s.enqueue(&msg("+79161234567", &format!("{i}")), 1).unwrap().id)
        .collect();
    let c1 = s
        .claim(ids[0], "250010000000001", "imei", "/dev/a", "gw", 2)
        .unwrap()
        .unwrap();
    assert!(
        s.claim(ids[0], "250010000000002", "imei", "/dev/b", "gw", 2)
            .unwrap()
            .is_none()
    );
    let c2 = s
        .claim(ids[1], "250010000000001", "imei", "/dev/a", "gw", 2)
        .unwrap()
        .unwrap();
    let c3 = s
        .claim(ids[2], "250010000000002", "imei", "/dev/b", "gw", 2)
        .unwrap()
        .unwrap();
    assert_eq!((c1.concat_ref, c2.concat_ref, c3.concat_ref), (1, 2, 1));
    assert_eq!(c1.attempts, 1);
    assert_eq!(s.message(ids[0]).unwrap().unwrap().0.status, Status::Sending);
    assert!(s.candidates(10).unwrap().is_empty());
}

#[test]
fn results_counters_and_stickiness() {
    let s = Store::open_in_memory().unwrap();
    sim(&s, "A");
    sim(&s, "B");
    let a = s
        .enqueue(
            &NewMessage {
                segments: 3,
                ..msg("+79161234567", "x")
            },
            1,
        )
        .unwrap()
        .id;
    s.claim(a, "A", "i", "p", "gw", 2).unwrap().unwrap();
    s.mark_sent(a, "A", 3, "2026-11-22", 3).unwrap();
    let b = s.enqueue(&msg("+79161234567", "y"), 4).unwrap().id;
    let cands = s.candidates(10).unwrap();
    assert_eq!(cands[0].sticky_imsi.as_deref(), Some("A"));
    s.claim(b, "B", "i", "p", "gw", 5).unwrap().unwrap();
    s.requeue(b, "B", "+CMS ERROR 42: congestion", 6).unwrap();
    let cands = s.candidates(10).unwrap();
    assert_eq!(cands[0].avoid_imsi.as_deref(), Some("B"));
    let sims = s.sims().unwrap();
    let sim_a = sims.iter().find(|x| x.imsi == "A").unwrap();
    assert_eq!((sim_a.sent_on("2026-11-22"), sim_a.sent_on("2026-11-23")), (3, 0));
    assert_eq!(sims.iter().find(|x| x.imsi == "B").unwrap().failed_total, 1);
    let (row, history) = s.message(b).unwrap().unwrap();
    assert_eq!((row.status, row.attempts), (Status::Queued, 1));
    assert!(
        history
            .last()
            .unwrap()
            .reason
            .as_deref()
            .unwrap()
            .contains("congestion")
    );
}

#[test]
fn cancel_only_before_sending() {
    let s = Store::open_in_memory().unwrap();
    sim(&s, "A");
    let a = s.enqueue(&msg("+1", "a"), 1).unwrap().id;
    let b = s.enqueue(&msg("+1", "b"), 1).unwrap().id;
    s.claim(b, "A", "i", "p", "gw", 2).unwrap();
    assert_eq!(
        s.cancel(a, 3, "cancelled through the API").unwrap(),
        Some(Status::Cancelled)
    );
    assert_eq!(
        s.cancel(b, 3, "cancelled through the API").unwrap(),
        Some(Status::Sending)
    );
    assert_eq!(s.cancel(999, 3, "cancelled through the API").unwrap(), None);
}

#[test]
fn crash_while_sending_becomes_unknown_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("simfleet.db");
    let (sending, queued) = {
        let s = Store::open(&path).unwrap();
        sim(&s, "A");
        let a = s.enqueue(&msg("+79161234567", "in flight"), 1).unwrap().id;
        let b = s.enqueue(&msg("+79161234567", "waiting"), 1).unwrap().id;
        s.claim(a, "A", "i", "p", "gw", 2).unwrap().unwrap();
        // The process dies here: nothing else is written.
        (a, b)
    };
    let s = Store::open(&path).unwrap();
    assert_eq!(s.recover(10).unwrap().unknown, 1);
    let (row, history) = s.message(sending).unwrap().unwrap();
    assert_eq!(row.status, Status::Unknown);
    assert!(
        history
            .last()
            .unwrap()
            .reason
            .as_deref()
            .unwrap()
            .contains("may have been sent")
    );
    assert_eq!(s.message(queued).unwrap().unwrap().0.status, Status::Queued);
    // Recovery is idempotent.
    assert_eq!(s.recover(11).unwrap(), Recovered::default());
}

fn long(to: &str, segments: usize) -> NewMessage {
    NewMessage {
        segments,
        ..msg(to, "long")
    }
}

fn part(id: i64, seq: usize, concat_ref: u16, mr: u8, at: i64) -> PartSent {
    PartSent {
        message_id: id,
        seq,
        imsi: "A".into(),
        concat_ref,
        message_ref: Some(mr),
        at,
    }
}

#[test]
fn crash_mid_long_message_resumes_after_the_part_in_flight_through_the_same_sim_and_reference() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("simfleet.db");
    let (id, concat_ref) = {
        let s = Store::open(&path).unwrap();
        sim(&s, "A");
        sim(&s, "B");
        let id = s.enqueue(&long("+79161234567", 4), 1).unwrap().id;
        let c = s.claim(id, "A", "i", "p", "gw", 2).unwrap().unwrap();
        assert_eq!((c.resume_from, c.segments), (1, 4));
        s.record_part_sent(&part(id, 1, c.concat_ref, 7, 3)).unwrap();
        s.record_part_sent(&part(id, 2, c.concat_ref, 8, 4)).unwrap();
        // Killed while part 3 was being written.
        (id, c.concat_ref)
    };
    let s = Store::open(&path).unwrap();
    assert_eq!(
        s.recover(10).unwrap(),
        Recovered {
            unknown: 0,
            resumed: 1
        }
    );
    let (row, history) = s.message(id).unwrap().unwrap();
    assert_eq!(row.status, Status::Queued);
    let reason = history.last().unwrap().reason.clone().unwrap();
    assert!(
        reason.contains("part 3 of 4 was being sent")
            && reason.contains("parts 1–2 of 4 reached the network")
            && reason.contains("part 3 may have")
            && reason.contains("part 4 was not sent"),
        "{reason}"
    );
    let cand = s.candidates(10).unwrap();
    assert_eq!(cand[0].pinned_imsi.as_deref(), Some("A"));
    assert_eq!(cand[0].segments, 1, "only part 4 is left to send");
    // Another SIM may not take it; its own does, same reference, from part 4.
    assert!(s.claim(id, "B", "j", "q", "gw", 11).unwrap().is_none());
    let c = s.claim(id, "A", "i", "p2", "gw", 12).unwrap().unwrap();
    assert_eq!(
        (c.resume_from, c.concat_ref, c.unknown_parts.clone()),
        (4, concat_ref, vec![3])
    );
    // Part 4 goes: every part was written, but part 3 may be missing.
    s.finish_and_claim(
        Some(&SentRecord {
            id,
            imsi: "A".into(),
            segments: 1,
            today: "d".into(),
            last_part: Some(part(id, 4, concat_ref, 9, 13)),
            unknown_parts: c.unknown_parts,
        }),
        &[] as &[ClaimRequest<'_>],
        "gw",
        14,
    )
    .unwrap();
    let (row, _) = s.message(id).unwrap().unwrap();
    assert_eq!(row.status, Status::Unknown);
    assert!(row.error.unwrap().contains("part 3 may have"));
    // Reports still match the parts that went, before and after the restart.
    let report = |mr: u8| ReportIn {
        imsi: Some("A".into()),
        message_ref: mr,
        recipient: "+79161234567".into(),
        status_code: 0,
        category: simfleet::sms::StatusCategory::Delivered,
        description: "delivered".into(),
        submitted_at: None,
        discharge_at: Some(20),
        pdu: "00".into(),
    };
    for mr in [7, 8, 9] {
        assert!(matches!(
            s.apply_report(&report(mr), 20).unwrap(),
            ReportOutcome::Matched { message_id, .. } if message_id == id
        ));
    }
    // Part 3's fate is still not known: the message does not claim delivery.
    assert_eq!(s.message(id).unwrap().unwrap().0.status, Status::Unknown);
    assert_eq!(s.recover(30).unwrap(), Recovered::default());
}

#[test]
fn crash_on_the_last_part_is_unknown_and_nothing_is_sent_again() {
    let s = Store::open_in_memory().unwrap();
    sim(&s, "A");
    let id = s.enqueue(&long("+79161234567", 2), 1).unwrap().id;
    let c = s.claim(id, "A", "i", "p", "gw", 2).unwrap().unwrap();
    s.record_part_sent(&part(id, 1, c.concat_ref, 7, 3)).unwrap();
    assert_eq!(s.recover(10).unwrap().unknown, 1);
    let (row, _) = s.message(id).unwrap().unwrap();
    assert_eq!(row.status, Status::Unknown);
    assert!(row.error.unwrap().contains("part 2 of 2 was being sent"));
    assert!(s.candidates(10).unwrap().is_empty());
}

#[test]
fn the_rest_waiting_for_a_sim_that_never_returns_fails_at_the_expiry_naming_the_parts() {
    let s = Store::open_in_memory().unwrap();
    sim(&s, "A");
    let m = NewMessage {
        expires_at: Some(1_000),
        ..long("+79161234567", 3)
    };
    let id = s.enqueue(&m, 1).unwrap().id;
    let c = s.claim(id, "A", "i", "p", "gw", 2).unwrap().unwrap();
    s.record_part_sent(&part(id, 1, c.concat_ref, 7, 3)).unwrap();
    s.hold_for_sim(
        id,
        "A",
        "part 2 of 3 not sent (modem is disconnected)",
        None,
        true,
        4,
    )
    .unwrap();
    assert_eq!(s.message(id).unwrap().unwrap().0.status, Status::Queued);
    assert_eq!(s.next_expiry().unwrap(), Some(1_000));
    assert_eq!(s.expire_due(999).unwrap(), Vec::<i64>::new());
    assert_eq!(s.expire_due(1_000).unwrap(), vec![id]);
    let (row, _) = s.message(id).unwrap().unwrap();
    assert_eq!(row.status, Status::Failed);
    let error = row.error.unwrap();
    assert!(
        error.contains("part 1 of 3 reached the network")
            && error.contains("parts 2–3 were not sent")
            && error.contains("SIM A"),
        "{error}"
    );
}

#[test]
fn without_a_validity_the_rest_waits_a_bounded_time() {
    let s = Store::open_in_memory().unwrap();
    sim(&s, "A");
    let id = s.enqueue(&long("+79161234567", 3), 1).unwrap().id;
    let c = s.claim(id, "A", "i", "p", "gw", 2).unwrap().unwrap();
    s.record_part_sent(&part(id, 1, c.concat_ref, 7, 3)).unwrap();
    s.hold_for_sim(id, "A", "part 2 of 3 not sent", None, false, 4)
        .unwrap();
    assert_eq!(s.next_expiry().unwrap(), Some(4 + simfleet::store::HOLD_LIMIT_MS));
}
