//! What a campaign's capacity estimate reads: its recipients still to send
//! per time zone and when they may go, the marketing history the frequency
//! cap will hold them by, and a draft's reachable audience per zone.

use rusqlite::{params, params_from_iter};

use super::{Store, StoreError};
use crate::campaigns::eta::Left;

impl Store {
    /// Recipients of campaign `id` still to send, per IANA zone: pending
    /// (not yet a message), or queued whose message has not gone to a SIM.
    pub fn campaign_left_by_zone(&self, id: i64) -> Result<Vec<(String, u64)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT r.time_zone, count(*) FROM campaign_recipients r
                    LEFT JOIN messages m ON r.state = 'queued' AND m.id = r.message_id
             WHERE r.campaign_id = ?1
               AND (r.state = 'pending' OR (r.state = 'queued' AND m.status IN ('queued', 'scheduled')))
             GROUP BY r.time_zone ORDER BY r.time_zone",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Recipients of campaign `id` still to send, grouped by zone, by when
    /// the frequency cap lets them go (`not_before` after `now`, rounded up
    /// to the minute; `None` if they may go now) and by whether they wait
    /// for the A/B decision (no variant yet): pending, or queued whose
    /// message has not gone to a SIM. One pass over what is left.
    pub fn campaign_left(&self, id: i64, now: i64) -> Result<Vec<Left>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT r.time_zone,
                    CASE WHEN r.state = 'pending' AND r.not_before > ?2
                         THEN ((r.not_before + 59999) / 60000) * 60000 END,
                    r.variant IS NULL, count(*)
             FROM campaign_recipients r
                    LEFT JOIN messages m ON r.state = 'queued' AND m.id = r.message_id
             WHERE r.campaign_id = ?1
               AND (r.state = 'pending' OR (r.state = 'queued' AND m.status IN ('queued', 'scheduled')))
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        )?;
        let rows = stmt.query_map(params![id, now], |r| {
            Ok(Left {
                zone: r.get(0)?,
                not_before: r.get(1)?,
                waits_decision: r.get(2)?,
                count: r.get::<_, i64>(3)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The marketing messages created after `since` to the numbers of
    /// campaign `id`'s pending recipients not deferred past `now`, as
    /// (zone, waits for the A/B decision, number, created_at): what the
    /// frequency cap will count when they are fed (the statuses the feed
    /// counts). One probe of `messages_marketing_by_recipient` per such
    /// recipient; only numbers with such messages come back.
    pub fn campaign_left_marketing_history(
        &self,
        id: i64,
        now: i64,
        since: i64,
    ) -> Result<Vec<(String, bool, String, i64)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT r.time_zone, r.variant IS NULL, r.phone, m.created_at
             FROM campaign_recipients r INDEXED BY campaign_recipients_pending
                  JOIN messages m INDEXED BY messages_marketing_by_recipient
                    ON m.recipient = r.phone AND m.category = 'marketing' AND m.created_at > ?3
             WHERE r.campaign_id = ?1 AND r.state = 'pending'
               AND (r.not_before IS NULL OR r.not_before <= ?2)
               AND m.status IN {}",
            super::campaign_feed::CAP_COUNTED
        ))?;
        let rows = stmt.query_map(params![id, now, since], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The contacts `filter` reaches at `now` — active, with consent, not
    /// opted out: those a start would message — counted by their own time
    /// zone (`None`: none set; the campaign's default applies). Two passes
    /// like [`Store::segment_preview`]: every match, then the opted-out ones
    /// among them.
    pub fn reachable_by_zone(
        &self,
        filter: &crate::segments::Filter,
        now: i64,
    ) -> Result<Vec<(Option<String>, u64)>, StoreError> {
        self.scan(|conn| {
            let count =
                |from: &str, sql: &super::segments::Sql| -> Result<Vec<(Option<String>, i64)>, StoreError> {
                    let text = format!(
                        "SELECT c.time_zone, count(*) FROM {from}
                     WHERE ({}) AND c.status = 'active' AND c.consent_status = 'opted_in'
                     GROUP BY 1",
                        sql.text
                    );
                    let mut stmt = conn.prepare(&text)?;
                    let rows = stmt.query_map(params_from_iter(sql.params.iter()), |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                    Ok(rows.collect::<Result<_, _>>()?)
                };
            let all = count("contacts c", &super::segments::compile(conn, filter, now, false)?)?;
            let out = count(
                super::segments::OPTOUT_PASS,
                &super::segments::compile(conn, filter, now, true)?,
            )?;
            Ok(all
                .into_iter()
                .map(|(zone, n)| {
                    let gone = out.iter().find(|(z, _)| *z == zone).map_or(0, |o| o.1);
                    (zone, (n - gone).max(0) as u64)
                })
                .filter(|(_, n)| *n > 0)
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::campaigns::eta::{SimCapacity, estimate};
    use crate::campaigns::{CampaignInput, CampaignRules};
    use crate::store::{NewRecipient, Store};

    const HOUR: i64 = 3_600_000;

    fn ms(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .unwrap_or(0)
    }

    fn sim() -> SimCapacity {
        SimCapacity {
            imsi: "001".into(),
            ready: true,
            mean_send_secs: Some(1.0),
            ..SimCapacity::default()
        }
    }

    fn phone(i: usize) -> String {
        format!("+7916{i:07}")
    }

    /// A started campaign (window 09:00–20:00 on each recipient's clock,
    /// all UTC here) of `n` recipients, the first `test` in the A/B test's
    /// share when `ab` is given, from `from` to `deadline`.
    fn campaign(
        store: &Store,
        n: usize,
        ab: Option<(&str, usize)>,
        from: i64,
        deadline: i64,
    ) -> crate::store::CampaignRow {
        let mut v = serde_json::json!({
            "name": "sale", "audience": {"contacts": ["+491510000001"]},
            "variants": [{"name": "A", "text": "Sale today"}, {"name": "B", "text": "Sale now"}],
            "window": {"start": "09:00", "end": "20:00"}
        });
        if let Some((after, _)) = ab {
            v["ab_test"] = serde_json::json!({"test_share": 0.2, "decide_after": after, "metric": "reply"});
        }
        let input: CampaignInput = serde_json::from_value(v).unwrap();
        let row = store.create_campaign(&input.check().unwrap(), 0).unwrap();
        let recipients: Vec<_> = (0..n)
            .map(|i| {
                let rest = ab.is_some_and(|(_, test)| i >= test);
                NewRecipient {
                    contact_id: None,
                    phone: phone(i),
                    time_zone: "UTC".into(),
                    variant: (!rest).then(|| "A".into()),
                    phase: if ab.is_none() {
                        "all"
                    } else if rest {
                        "rest"
                    } else {
                        "test"
                    },
                    excluded: None,
                }
            })
            .collect();
        store
            .start_campaign(row.id, &recipients, from, deadline, 0)
            .unwrap()
    }

    fn sql(s: &Store, q: &str) {
        s.writer().execute_batch(q).unwrap();
    }

    #[test]
    fn recipients_deferred_by_the_cap_wait_for_it_or_expire() {
        let store = Store::open_in_memory().unwrap();
        let rules = CampaignRules::defaults(crate::phone::Region::default());
        let from = ms("2026-12-01T09:00:00Z");
        // The feed deferred all 5 to 08:00 tomorrow; the deadline is 09:00
        // tomorrow and the window opens at 09:00: none can go.
        let row = campaign(&store, 5, None, from, from + 24 * HOUR);
        sql(
            &store,
            &format!(
                "UPDATE campaign_recipients SET not_before = {} WHERE campaign_id = {}",
                from + 23 * HOUR,
                row.id
            ),
        );
        let e = estimate(&store, &row, &[sim()], &rules, from).unwrap();
        assert_eq!(
            (e.remaining, e.sendable_before_deadline, e.would_expire),
            (5, 0, 5)
        );
        // With a day more they go when the window opens tomorrow: 5 s.
        let row = campaign(&store, 5, None, from, from + 48 * HOUR);
        sql(
            &store,
            &format!(
                "UPDATE campaign_recipients SET not_before = {} WHERE campaign_id = {}",
                from + 23 * HOUR + 30_000,
                row.id
            ),
        );
        let e = estimate(&store, &row, &[sim()], &rules, from).unwrap();
        assert_eq!(e.sendable_before_deadline, 5);
        assert_eq!(e.finish_at_ms, Some(from + 24 * HOUR + 5_000));
        // Deferred to 19:59:58 today (two of them): they go then, the last at 20:00:00.
        sql(
            &store,
            &format!(
                "UPDATE campaign_recipients SET not_before = {} WHERE campaign_id = {} AND seq <= 2",
                from + 11 * HOUR - 2_000,
                row.id
            ),
        );
        let e = estimate(&store, &row, &[sim()], &rules, from).unwrap();
        assert_eq!(e.sendable_before_deadline, 5);
        assert!(e.summary.contains("5 of 5"), "{}", e.summary);
    }

    #[test]
    fn recipients_who_had_marketing_inside_the_cap_wait_for_it() {
        // The reviewer's case: 5 numbers got a marketing message an hour
        // before the start; the default cap (1 in 24 h) holds them until
        // 08:00 tomorrow, the window opens at 09:00, the deadline is 09:00.
        let store = Store::open_in_memory().unwrap();
        let rules = CampaignRules::defaults(crate::phone::Region::default());
        let from = ms("2026-12-01T09:00:00Z");
        for i in 0..5 {
            store
                .enqueue(
                    &crate::store::NewMessage {
                        recipient: crate::phone::Msisdn::parse(&phone(i), rules.region).unwrap(),
                        text: "Earlier offer".into(),
                        encoding: crate::sms::Encoding::Gsm7,
                        segments: 1,
                        status_report: false,
                        send_at: None,
                        expires_at: None,
                        kind: None,
                        category: crate::store::Category::Transactional,
                        idempotency_key: None,
                        request_hash: format!("h{i}"),
                    },
                    from - HOUR,
                )
                .unwrap();
        }
        sql(
            &store,
            "UPDATE messages SET category = 'marketing', status = 'delivered'",
        );
        let row = campaign(&store, 5, None, from, from + 24 * HOUR);
        let e = estimate(&store, &row, &[sim()], &rules, from).unwrap();
        assert_eq!(
            (e.remaining, e.sendable_before_deadline, e.would_expire),
            (5, 0, 5)
        );
        assert!(
            e.summary.contains("5 are held by the frequency cap"),
            "{}",
            e.summary
        );
        // A transactional message does not count.
        sql(&store, "UPDATE messages SET category = 'transactional'");
        let e = estimate(&store, &row, &[sim()], &rules, from).unwrap();
        assert_eq!(e.sendable_before_deadline, 5);
        assert_eq!(e.finish_at_ms, Some(from + 5_000));
    }

    #[test]
    fn the_rest_of_an_ab_test_waits_for_the_decision() {
        // 2 in the test go at once; the 8 of the rest only after the
        // decision 2 h after the start: the last at 11:00:08.
        let store = Store::open_in_memory().unwrap();
        let rules = CampaignRules::defaults(crate::phone::Region::default());
        let from = ms("2026-12-01T09:00:00Z");
        let row = campaign(&store, 10, Some(("2h", 2)), from, from + 10 * HOUR);
        let e = estimate(&store, &row, &[sim()], &rules, from).unwrap();
        assert_eq!((e.remaining, e.sendable_before_deadline), (10, 10));
        assert_eq!(e.finish_at_ms, Some(from + 2 * HOUR + 8_000));
        // Decided (variants set): nothing waits.
        sql(
            &store,
            "UPDATE campaign_recipients SET variant = 'B' WHERE variant IS NULL",
        );
        let e = estimate(&store, &row, &[sim()], &rules, from).unwrap();
        assert_eq!(e.finish_at_ms, Some(from + 10_000));
    }
    #[test]
    fn a_drafts_eta_counts_its_reachable_audience_per_zone() {
        use crate::contacts::{Consent, ConsentStatus, ContactChanges};
        let store = Store::open_in_memory().unwrap();
        let rules = CampaignRules::defaults(crate::phone::Region::default());
        let now = ms("2026-12-01T09:00:00Z");
        // 3 in São Paulo (window closed until 12:00 UTC), 4 without a
        // zone (the default), 1 without consent, 1 opted out.
        store
            .write(now, |tx| {
                for i in 0..9 {
                    let ch = ContactChanges {
                        time_zone: Some((i < 3).then(|| "America/Sao_Paulo".into())),
                        tags: Some(vec!["vip".into()]),
                        consent: Some(Consent {
                            status: if i == 7 {
                                ConsentStatus::None
                            } else {
                                ConsentStatus::OptedIn
                            },
                            evidence: Some("test".into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    };
                    tx.upsert_contact(&phone(i), &ch, None)?;
                }
                tx.add_optout(&crate::store::NewOptOut {
                    number: &phone(8),
                    source: crate::store::OptOutSource::Api,
                    keyword: None,
                    note: None,
                    inbox_id: None,
                })?;
                Ok::<_, crate::store::ContactError>(())
            })
            .unwrap();
        let zones = store
            .reachable_by_zone(
                &store.parse_filter(&serde_json::json!({"tag": "vip"})).unwrap(),
                now,
            )
            .unwrap();
        assert_eq!(zones.iter().map(|z| z.1).sum::<u64>(), 7);
        assert!(
            zones.contains(&(Some("America/Sao_Paulo".into()), 3)),
            "{zones:?}"
        );
        let input: CampaignInput = serde_json::from_value(serde_json::json!({
            "name": "sale", "audience": {"filter": {"tag": "vip"}},
            "variants": [{"text": "Sale today"}], "rate_per_hour": 60,
            "window": {"start": "09:00", "end": "20:00"}
        }))
        .unwrap();
        let draft = store.create_campaign(&input.check().unwrap(), 0).unwrap();
        let view = crate::api::campaign_view::view(&store, draft, &rules, &[sim()], now).unwrap();
        // 60 an hour: the 4 in the default zone (Moscow: open at 09:00 UTC
        // too) by 09:04; São Paulo's 3 when its window opens at 12:00
        // UTC: the last at 12:03.
        let e = view.eta;
        assert_eq!((e.remaining, e.sendable_before_deadline, e.sims), (7, 7, 1));
        assert_eq!(e.finish_at_ms, Some(ms("2026-12-01T12:03:00Z")));
        // The same audience as a list of numbers.
        let list: Vec<String> = (0..9).map(phone).collect();
        let input: CampaignInput = serde_json::from_value(serde_json::json!({
            "name": "sale", "audience": {"contacts": list},
            "variants": [{"text": "Sale today"}], "rate_per_hour": 60,
            "window": {"start": "09:00", "end": "20:00"}
        }))
        .unwrap();
        let draft = store.create_campaign(&input.check().unwrap(), 0).unwrap();
        let e = crate::campaigns::eta::estimate_draft(&store, &draft, &[sim()], &rules, now).unwrap();
        assert_eq!(
            (e.remaining, e.finish_at_ms),
            (7, Some(ms("2026-12-01T12:03:00Z")))
        );
    }
}
