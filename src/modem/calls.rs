//! Incoming voice calls as the modem reports them: a burst of `RING`s
//! (each followed by `+CLIP` once `AT+CLIP=1` is on) is one call. This
//! module owns the bookkeeping of that burst, free of IO so it is tested
//! with plain instants: when a call starts, when its caller is known, when
//! to decide (reject or let it ring), and when it is over (`NO CARRIER`,
//! `^CEND`, our hang-up, or no `RING` for [`SILENT_END`]). The actor
//! ([`super::actor`]) runs the commands and sends one [`CallEvent`] per
//! call, at its end, to the consumer (`crate::calls`).

use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

/// What the modem does with an incoming call (`[calls] action`). It never
/// answers: simfleet has no audio path, and an answered call costs the
/// caller money.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallAction {
    /// Hang up at once (`AT+CHUP`, else `ATH`) once the caller's number is
    /// read: the caller hears "busy" in a second or two instead of ringing
    /// out for half a minute, and the thank-you SMS can follow at once.
    #[default]
    Reject,
    /// Leave it ringing until the caller gives up (a phone also rings
    /// somewhere on the same number, or the caller should hear it ring).
    Ring,
}

impl CallAction {
    /// `reject` or `ring`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallAction::Reject => "reject",
            CallAction::Ring => "ring",
        }
    }
}

/// How long after the first `RING` the caller's `+CLIP` is awaited before
/// deciding without it (modems print it right after each `RING`).
pub const CLIP_WAIT: Duration = Duration::from_secs(2);
/// A ringing call with no `RING` for this long is over (networks repeat
/// `RING` every 3–6 s; some modems print no `NO CARRIER` when the caller
/// gives up).
pub const SILENT_END: Duration = Duration::from_secs(10);

/// After we hang up, a `RING` or `+CLIP` already on its way (printed before
/// the modem took `AT+CHUP`) belongs to the call just rejected: ignored for
/// this long rather than counted as a new call.
pub const AFTER_HANG_UP: Duration = Duration::from_secs(2);

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEnd {
    /// We hung up (`[calls] action = "reject"`).
    Rejected,
    /// The caller gave up, or the network ended it, while it rang.
    CallerHungUp,
    /// Rejecting failed (both hang-up commands refused): it rang out.
    RejectFailed,
}

impl CallEnd {
    /// `rejected`, `rang` or `reject_failed`: the action taken, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            CallEnd::Rejected => "rejected",
            CallEnd::CallerHungUp => "rang",
            CallEnd::RejectFailed => "reject_failed",
        }
    }
}

/// One incoming call, sent once when it is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    /// IMSI of the SIM called (`None` when the SIM would not say).
    pub imsi: Option<String>,
    /// IMEI of the modem.
    pub imei: String,
    /// The caller's number as the modem printed it; `None` when withheld,
    /// not available, or the modem gives no caller id.
    pub caller: Option<String>,
    /// From the first `RING` to the end.
    pub duration: Duration,
    /// `RING`s seen.
    pub rings: u32,
    /// How it ended.
    pub end: CallEnd,
}

#[derive(Debug, Clone)]
struct Ringing {
    started: Instant,
    last_ring: Instant,
    caller: Option<String>,
    rings: u32,
    decided: bool,
}

/// What the actor must do now for the call in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallDue {
    /// Nothing yet.
    Wait,
    /// Decide: the caller is known or will not be.
    Decide,
    /// No `RING` for [`SILENT_END`]: it is over.
    Silent,
}

/// The call in progress on one modem, if any.
#[derive(Debug, Clone, Default)]
pub struct CallTracker {
    call: Option<Ringing>,
    /// `AT+CLIP=1` was accepted: a `+CLIP` follows each `RING`.
    caller_id: bool,
    /// When we last hung up (see [`AFTER_HANG_UP`]).
    hung_up_at: Option<Instant>,
}

impl CallTracker {
    /// A tracker for a modem that does (`caller_id`) or does not show the
    /// caller's number.
    pub fn new(caller_id: bool) -> Self {
        Self {
            call: None,
            caller_id,
            hung_up_at: None,
        }
    }

    /// Whether a call is in progress.
    pub fn active(&self) -> bool {
        self.call.is_some()
    }

    fn start(&mut self, now: Instant) -> &mut Ringing {
        self.call.get_or_insert(Ringing {
            started: now,
            last_ring: now,
            caller: None,
            rings: 0,
            decided: false,
        })
    }

    /// Whether `now` is just after our hang-up, with no call in progress.
    fn echo_of_hang_up(&self, now: Instant) -> bool {
        self.call.is_none() && self.hung_up_at.is_some_and(|t| now < t + AFTER_HANG_UP)
    }

    /// A `RING`: starts a call or continues the one ringing.
    pub fn ring(&mut self, now: Instant) {
        if self.echo_of_hang_up(now) {
            return;
        }
        let call = self.start(now);
        call.rings += 1;
        call.last_ring = now;
    }

    /// A `+CLIP`: the caller's number (empty when withheld). Some modems
    /// print it before the first `RING`: it starts the call then.
    pub fn caller(&mut self, number: &str, now: Instant) {
        if self.echo_of_hang_up(now) {
            return;
        }
        let call = self.start(now);
        call.last_ring = call.last_ring.max(now);
        if call.caller.is_none() {
            call.caller = Some(number.trim().to_string());
        }
    }

    /// When [`Self::due`] next changes without anything said: the end of
    /// the wait for `+CLIP`, or of the silence that ends a ringing call.
    pub fn deadline(&self) -> Option<Instant> {
        let call = self.call.as_ref()?;
        Some(if call.decided {
            call.last_ring + SILENT_END
        } else if self.caller_id && call.caller.is_none() {
            call.started + CLIP_WAIT
        } else {
            call.started
        })
    }

    /// What is due at `now`.
    pub fn due(&self, now: Instant) -> CallDue {
        let Some(call) = &self.call else {
            return CallDue::Wait;
        };
        if !call.decided {
            let known = call.caller.is_some() || !self.caller_id;
            if known || now >= call.started + CLIP_WAIT {
                return CallDue::Decide;
            }
            return CallDue::Wait;
        }
        if now >= call.last_ring + SILENT_END {
            CallDue::Silent
        } else {
            CallDue::Wait
        }
    }

    /// Whether the call in progress was decided on.
    pub fn is_decided(&self) -> bool {
        self.call.as_ref().is_some_and(|c| c.decided)
    }

    /// The decision is taken (the call is rejected or left ringing).
    pub fn decided(&mut self) {
        if let Some(call) = &mut self.call {
            call.decided = true;
        }
    }

    /// The call is over: its event, if a call was in progress.
    pub fn end(&mut self, now: Instant, end: CallEnd, imsi: Option<String>, imei: &str) -> Option<CallEvent> {
        let call = self.call.take()?;
        if matches!(end, CallEnd::Rejected) {
            self.hung_up_at = Some(now);
        }
        Some(CallEvent {
            imsi,
            imei: imei.to_string(),
            caller: call.caller.filter(|c| !c.is_empty()),
            duration: now.saturating_duration_since(call.started),
            rings: call.rings,
            end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_rings_with_caller_id_is_one_call_decided_at_the_first_clip() {
        let t0 = Instant::now();
        let mut t = CallTracker::new(true);
        t.ring(t0);
        assert_eq!(t.due(t0), CallDue::Wait, "waits for +CLIP");
        assert_eq!(t.deadline(), Some(t0 + CLIP_WAIT));
        t.caller("+79161234567", t0 + Duration::from_millis(20));
        assert_eq!(t.due(t0), CallDue::Decide);
        t.decided();
        let t1 = t0 + Duration::from_secs(3);
        t.ring(t1);
        t.caller("+79169999999", t1);
        assert_eq!(t.due(t1), CallDue::Wait);
        assert_eq!(t.deadline(), Some(t1 + SILENT_END));
        assert_eq!(t.due(t1 + SILENT_END), CallDue::Silent);
        let e = t
            .end(t1 + SILENT_END, CallEnd::CallerHungUp, Some("250".into()), "86")
            .unwrap();
        assert_eq!(e.caller.as_deref(), Some("+79161234567"), "the first caller id");
        assert_eq!((e.rings, e.duration), (2, Duration::from_secs(13)));
        assert!(!t.active());
        assert!(
            t.end(t1, CallEnd::CallerHungUp, None, "86").is_none(),
            "one event per call"
        );
    }

    #[test]
    fn a_ring_already_on_its_way_when_we_hung_up_is_no_new_call() {
        let t0 = Instant::now();
        let mut t = CallTracker::new(true);
        t.ring(t0);
        t.caller("+79161234567", t0);
        t.decided();
        assert!(t.end(t0, CallEnd::Rejected, None, "86").is_some());
        t.ring(t0 + Duration::from_millis(300));
        t.caller("+79161234567", t0 + Duration::from_millis(300));
        assert!(!t.active(), "the rejected call's last ring");
        t.ring(t0 + AFTER_HANG_UP);
        assert!(t.active(), "a new call after the pause");
    }

    #[test]
    fn without_caller_id_the_decision_is_at_the_first_ring() {
        let t0 = Instant::now();
        let mut t = CallTracker::new(false);
        t.ring(t0);
        assert_eq!(t.due(t0), CallDue::Decide);
        let e = t.end(t0, CallEnd::Rejected, None, "86").unwrap();
        assert_eq!(e.caller, None);
    }

    #[test]
    fn a_missing_clip_is_waited_for_a_bounded_time_and_a_withheld_one_is_no_caller() {
        let t0 = Instant::now();
        let mut t = CallTracker::new(true);
        t.ring(t0);
        assert_eq!(t.due(t0 + CLIP_WAIT), CallDue::Decide);
        t.caller("", t0 + Duration::from_secs(1));
        let e = t.end(t0, CallEnd::Rejected, None, "86").unwrap();
        assert_eq!(e.caller, None, "withheld");
    }
}
