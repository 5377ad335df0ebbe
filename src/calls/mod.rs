//! Call tracking, the store side: each incoming call a modem actor reports
//! ([`CallEvent`], one per call, sent on its own channel next to the
//! inbound one) is stored with its caller normalised, the contact with that
//! number, and the campaign and variant it counts for
//! (`store::calls`); and, when `[calls] thanks` is set, a thank-you SMS is
//! queued in the same transaction through `Tx::enqueue` as a
//! transactional message: at most once per caller in 24 hours, never to an
//! opted-out number, never to a withheld one.
//!
//! The thank-you leaves from the SIM that was called when that SIM can
//! send: the caller is made to "hear from" it (`recipients`, the sticky SIM
//! the dispatcher prefers for a number), so it comes from the number they
//! dialled; when that SIM is unusable (cooling down, gone), any SIM sends
//! it, as for any message. It is not pinned: pinning is for the parts of a
//! long message that already left, and would hold the thanks hostage to
//! one SIM.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::dispatch::Clock;
use crate::modem::CallEvent;
use crate::phone::{Msisdn, Region};
use crate::sms::SplitOptions;
use crate::store::{CallRow, Category, MessageKind, NewCall, NewMessage, Store, StoreError};

/// A day, in ms: a caller is thanked at most once in this long.
pub const THANKS_EVERY_MS: i64 = 86_400_000;

/// How calls are recorded and answered.
#[derive(Debug, Clone)]
pub struct CallRules {
    /// The thank-you by language (`default` for others); empty: none.
    pub thanks: BTreeMap<String, String>,
    /// How national caller numbers are read.
    pub region: Region,
    /// How far back a campaign's last message may be for a call to count
    /// for it (`campaigns.attribution_days`).
    pub attribution_days: u32,
    /// How the thank-you is split.
    pub split: SplitOptions,
    /// Validity of the thank-you (`sending.validity_minutes`).
    pub validity_minutes: Option<u32>,
}

/// The number `{{ tracking_number }}` stands for in campaign `spec`: its
/// call-tracking SIM's (`[[modem]] number`, else what the SIM stores,
/// recorded when the SIM was seen). `Ok(None)` when no variant uses it.
/// Errors, in words for the API: a variant uses it without
/// `call_tracking`, or that SIM's number is unknown.
pub fn tracking_number(
    store: &Store,
    spec: &crate::campaigns::Spec,
) -> Result<Option<String>, TrackingError> {
    let user = spec
        .variants
        .iter()
        .find(|v| crate::templates::Template::compile(&v.text).is_ok_and(|t| t.uses("tracking_number")));
    let Some(user) = user else {
        return Ok(None);
    };
    let Some(ct) = &spec.call_tracking else {
        return Err(TrackingError::NoTracking(format!(
            "variant {:?} uses {{{{ tracking_number }}}} but the campaign has no call_tracking: add \"call_tracking\": {{\"sim\": IMSI}}",
            user.name
        )));
    };
    match store.sim_number(&ct.sim)? {
        Some(n) => Ok(Some(n)),
        None => Err(TrackingError::NoTracking(format!(
            "variant {:?} uses {{{{ tracking_number }}}} but the number of SIM {} (call_tracking.sim) is unknown: set `number` in its [[modem]] entry, or store it on the SIM (AT+CNUM), and let the gateway see the SIM",
            user.name, ct.sim
        ))),
    }
}

/// Why a campaign's `{{ tracking_number }}` cannot be filled.
#[derive(Debug, thiserror::Error)]
pub enum TrackingError {
    /// No call tracking, or its SIM's number is unknown (in words).
    #[error("{0}")]
    NoTracking(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A caller id as the modem printed it, read with the phone rules the API
/// uses (`crate::phone`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Withheld, not available, or no caller id at all.
    Withheld,
    /// A number we can text: canonical (E.164, or a short code as it is).
    Number(Msisdn),
    /// Something that cannot be read as a valid number (an `Unknown`, an
    /// alphanumeric id, a number invalid in `default_region`): kept as
    /// printed for the record (at most [`RAW_CALLER_MAX`] characters), but
    /// treated like a withheld caller — no contact, no thank-you.
    Unreadable(String),
}

/// The longest unreadable caller id kept for the record (characters).
pub const RAW_CALLER_MAX: usize = 32;

impl Caller {
    /// The canonical number, when there is one.
    pub fn number(&self) -> Option<&Msisdn> {
        match self {
            Caller::Number(m) => Some(m),
            _ => None,
        }
    }

    /// What is stored as the call's `caller`: the canonical number, the
    /// raw id when unreadable, `None` when withheld.
    pub fn stored(&self) -> Option<&str> {
        match self {
            Caller::Withheld => None,
            Caller::Number(m) => Some(m.as_str()),
            Caller::Unreadable(raw) => Some(raw),
        }
    }
}

/// Reads a caller id as the modem printed it (`+CLIP`, TS 27.007 §7.6):
/// with [`Msisdn::parse`] in `region` (international with `+`, the
/// region's own international prefix such as RU's `810`, national forms
/// such as RU's `8 916 …`), and the ITU international prefix `00` (E.164
/// Annex A; networks print it in caller ids whatever the region's own
/// prefix) as `+`. Empty: [`Caller::Withheld`]; anything else that is no
/// valid number: [`Caller::Unreadable`].
pub fn caller_number(raw: Option<&str>, region: Region) -> Caller {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Caller::Withheld;
    };
    if let Ok(m) = Msisdn::parse(raw, region) {
        return Caller::Number(m);
    }
    if let Some(rest) = raw.strip_prefix("00")
        && let Ok(m) = Msisdn::parse(&format!("+{rest}"), region)
    {
        return Caller::Number(m);
    }
    Caller::Unreadable(raw.chars().take(RAW_CALLER_MAX).collect())
}

/// Stores `event` at `now` (its end) and queues the thank-you if due.
/// Returns the stored call.
pub fn record(store: &Store, rules: &CallRules, event: &CallEvent, now: i64) -> Result<CallRow, StoreError> {
    let caller = caller_number(event.caller.as_deref(), rules.region);
    if let Caller::Unreadable(raw) = &caller {
        debug!(
            imsi = event.imsi.as_deref(),
            len = raw.len(),
            "caller id is no valid number: kept, not matched, not thanked"
        );
    }
    let started_at = now - event.duration.as_millis().min(i64::MAX as u128) as i64;
    store.write(now, |tx| {
        let mut row = tx.record_call(&NewCall {
            imsi: event.imsi.as_deref(),
            imei: &event.imei,
            caller: caller.stored(),
            number: caller.number().map(Msisdn::as_str),
            started_at,
            ended_at: now,
            rings: event.rings,
            action: event.end.as_str(),
            window_ms: i64::from(rules.attribution_days) * 86_400_000,
        })?;
        // Only a number read by the phone rules is thanked: never a
        // withheld or unreadable caller id (the opt-out list holds canonical
        // numbers; a raw one would slip past it).
        let Some(number) = caller.number() else {
            return Ok(row);
        };
        let caller = number.as_str();
        if rules.thanks.is_empty()
            || tx.is_opted_out(caller)?
            || tx.caller_thanked_since(caller, started_at - THANKS_EVERY_MS)?
        {
            return Ok(row);
        }
        let language = tx
            .contact(&crate::store::ContactKey::Phone(caller.to_string()))?
            .and_then(|c| c.language);
        let Some(text) = crate::contacts::consent::text_for(&rules.thanks, language.as_deref()) else {
            return Ok(row);
        };
        let plan = match crate::sms::plan(text, &rules.split) {
            Ok(p) => p,
            Err(e) => {
                warn!(call = row.id, error = %e, "calls.thanks cannot be sent");
                return Ok(row);
            }
        };
        let msg = NewMessage {
            recipient: number.clone(),
            text: plan.text.clone(),
            encoding: plan.encoding,
            segments: plan.segment_count(),
            status_report: false,
            send_at: None,
            expires_at: rules.validity_minutes.map(|v| now + i64::from(v) * 60_000),
            kind: Some(MessageKind::CallThanks),
            category: Category::Transactional,
            idempotency_key: None,
            request_hash: String::new(),
        };
        match tx.enqueue(&msg) {
            Ok(out) => {
                if let Some(imsi) = event.imsi.as_deref() {
                    tx.stick(caller, imsi)?;
                }
                tx.set_call_thanks(row.id, out.id)?;
                row.thanks_message_id = Some(out.id);
            }
            Err(crate::store::EnqueueError::Store(e)) => return Err(e),
            Err(e) => warn!(call = row.id, error = %e, "thank-you not queued"),
        }
        Ok(row)
    })
}

/// Records every call `rx` brings, at the clock's time; `wake` is called
/// when a thank-you was queued.
pub async fn consume(
    store: Store,
    clock: Arc<dyn Clock>,
    rules: CallRules,
    wake: impl Fn() + Send + 'static,
    mut rx: mpsc::Receiver<CallEvent>,
) {
    let rules = Arc::new(rules);
    while let Some(event) = rx.recv().await {
        let now = clock.now_ms();
        let (s, r) = (store.clone(), rules.clone());
        let imsi = event.imsi.clone();
        match store.run(move |_| record(&s, &r, &event, now)).await {
            Ok(row) => {
                info!(
                    call = row.id,
                    imsi = imsi.as_deref(),
                    campaign = row.campaign_id,
                    variant = row.variant.as_deref(),
                    contact = row.contact_id,
                    action = %row.action,
                    msg_id = row.thanks_message_id,
                    "call recorded"
                );
                if row.thanks_message_id.is_some() {
                    wake();
                }
            }
            Err(e) => warn!(imsi = imsi.as_deref(), error = %e, "cannot record call"),
        }
    }
    debug!("call consumer stopped");
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::modem::CallEnd;
    use crate::store::{NewOptOut, OptOutSource};

    fn rules() -> CallRules {
        CallRules {
            thanks: [("default", "Thanks for calling"), ("ru", "Спасибо за звонок")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            region: "RU".parse().unwrap(),
            attribution_days: 7,
            split: SplitOptions::default(),
            validity_minutes: None,
        }
    }

    fn event(caller: Option<&str>) -> CallEvent {
        CallEvent {
            imsi: Some("250011000001".into()),
            imei: "867223020000001".into(),
            caller: caller.map(str::to_string),
            duration: Duration::from_millis(1500),
            rings: 1,
            end: CallEnd::Rejected,
        }
    }

    fn text_of(s: &Store, id: Option<i64>) -> Option<String> {
        s.message(id?).unwrap().map(|(m, _)| m.text)
    }

    #[test]
    fn a_caller_is_thanked_once_a_day_in_their_language_and_never_when_opted_out_or_withheld() {
        let s = Store::open_in_memory().unwrap();
        let r = rules();
        let day = 86_400_000;
        let t0 = 10 * day;
        // National form, normalised; started 1.5 s before its end.
        let first = record(&s, &r, &event(Some("89161234567")), t0).unwrap();
        assert_eq!(first.caller.as_deref(), Some("+79161234567"));
        assert_eq!(first.started_at, t0 - 1500);
        assert_eq!(
            text_of(&s, first.thanks_message_id).as_deref(),
            Some("Thanks for calling")
        );
        // Again within 24 hours: recorded, not thanked.
        let again = record(&s, &r, &event(Some("+79161234567")), t0 + day - 10_000).unwrap();
        assert_eq!(again.thanks_message_id, None);
        // The next day: thanked again.
        let next = record(&s, &r, &event(Some("+79161234567")), t0 + day + 10_000).unwrap();
        assert!(next.thanks_message_id.is_some());
        // Withheld: no one to thank.
        assert_eq!(record(&s, &r, &event(None), t0).unwrap().thanks_message_id, None);
        // Opted out: nothing at all.
        s.write(t0, |tx| {
            tx.add_optout(&NewOptOut {
                number: "+79160000002",
                source: OptOutSource::Api,
                keyword: None,
                note: None,
                inbox_id: None,
            })
        })
        .unwrap();
        assert_eq!(
            record(&s, &r, &event(Some("+79160000002")), t0)
                .unwrap()
                .thanks_message_id,
            None
        );
        // No thanks configured: none.
        let quiet = CallRules {
            thanks: BTreeMap::new(),
            ..rules()
        };
        assert_eq!(
            record(&s, &quiet, &event(Some("+79160000003")), t0)
                .unwrap()
                .thanks_message_id,
            None
        );
    }

    #[test]
    fn callers_are_normalised_and_withheld_or_unreadable_ones_have_no_number() {
        let ru: Region = "RU".parse().unwrap();
        let num = |raw: &str| {
            caller_number(Some(raw), ru)
                .number()
                .map(|m| m.as_str().to_string())
        };
        for raw in ["+79161234567", "89161234567", "0079161234567", "81079161234567"] {
            assert_eq!(num(raw).as_deref(), Some("+79161234567"), "{raw}");
        }
        assert_eq!(num("900").as_deref(), Some("900"));
        assert_eq!(caller_number(Some(""), ru), Caller::Withheld);
        assert_eq!(caller_number(None, ru), Caller::Withheld);
        for raw in [
            "Unknown",
            "00+7916",
            "+7916",
            "12345678901234567890123456789012345",
        ] {
            let c = caller_number(Some(raw), ru);
            assert!(matches!(c, Caller::Unreadable(_)), "{raw}: {c:?}");
            assert_eq!(c.number(), None, "{raw}");
            assert!(c.stored().is_some_and(|s| s.chars().count() <= RAW_CALLER_MAX));
        }
    }

    #[test]
    fn an_unreadable_caller_is_kept_raw_but_not_matched_and_never_thanked() {
        let s = Store::open_in_memory().unwrap();
        let r = rules();
        let t0 = 10 * 86_400_000;
        // "+7916" is no valid number: the opt-out list cannot hold it, so
        // thanking it would slip past the opt-out check.
        let row = record(&s, &r, &event(Some("+7916")), t0).unwrap();
        assert_eq!(row.caller.as_deref(), Some("+7916"), "kept as printed");
        assert_eq!((row.contact_id, row.thanks_message_id), (None, None));
    }

    #[test]
    fn a_caller_with_the_00_prefix_is_the_opted_out_number_and_gets_nothing() {
        let s = Store::open_in_memory().unwrap();
        let r = rules();
        let t0 = 10 * 86_400_000;
        s.write(t0, |tx| {
            tx.add_optout(&NewOptOut {
                number: "+79161110002",
                source: OptOutSource::Api,
                keyword: None,
                note: None,
                inbox_id: None,
            })
        })
        .unwrap();
        let row = record(&s, &r, &event(Some("0079161110002")), t0).unwrap();
        assert_eq!(row.caller.as_deref(), Some("+79161110002"));
        assert_eq!(row.thanks_message_id, None, "opted out: no thank-you");
        // Another 00 caller who did not opt out is thanked at the canonical number.
        let row = record(&s, &r, &event(Some("0079161110003")), t0).unwrap();
        let (m, _) = s.message(row.thanks_message_id.unwrap()).unwrap().unwrap();
        assert_eq!(m.recipient, "+79161110003");
    }
}
