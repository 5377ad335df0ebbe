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

/// After we hang up, a `RING` already on its way (printed before the modem
/// took `AT+CHUP`) belongs to the call just rejected: for this long a
/// `RING` is held rather than counted as a new call, and so is a `+CLIP`
/// with the rejected caller's number. A `+CLIP` with another number is a
/// new call (the `RING` held just before it is its first). Without caller
/// id nothing tells them apart: a new call in this time is counted from
/// its next `RING` (networks repeat it every 3–6 s).
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

/// A call that was ringing, taken out of the tracker when it is over
/// ([`CallTracker::end`], or a `+CLIP` from another caller that
/// [`CallTracker::caller`] reads as the next call).
#[derive(Debug, Clone)]
pub struct Ringing {
    started: Instant,
    last_ring: Instant,
    caller: Option<String>,
    rings: u32,
    decided: bool,
    /// A `RING` not yet followed by its `+CLIP` (with caller id on): it
    /// may be the first of the next call.
    unclaimed_ring: Option<Instant>,
}

impl Ringing {
    fn new(started: Instant, caller: Option<String>, rings: u32) -> Self {
        Ringing {
            started,
            last_ring: started,
            caller,
            rings,
            decided: false,
            unclaimed_ring: None,
        }
    }

    /// Whether it was decided on (rejected or left ringing).
    pub fn is_decided(&self) -> bool {
        self.decided
    }

    /// Its one event, ended at `now` by `end`.
    pub fn into_event(self, now: Instant, end: CallEnd, imsi: Option<String>, imei: &str) -> CallEvent {
        CallEvent {
            imsi,
            imei: imei.to_string(),
            caller: self.caller.filter(|c| !c.is_empty()),
            duration: now.saturating_duration_since(self.started),
            rings: self.rings,
            end,
        }
    }
}

/// The call we just hung up, for [`AFTER_HANG_UP`].
#[derive(Debug, Clone)]
struct HungUp {
    at: Instant,
    caller: Option<String>,
    /// A `RING` in the grace: the rejected call's, unless a `+CLIP` with
    /// another number follows.
    held_ring: Option<Instant>,
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
    /// The call we last hung up, while [`AFTER_HANG_UP`] lasts.
    hung_up: Option<HungUp>,
}

impl CallTracker {
    /// A tracker for a modem that does (`caller_id`) or does not show the
    /// caller's number.
    pub fn new(caller_id: bool) -> Self {
        Self {
            call: None,
            caller_id,
            hung_up: None,
        }
    }

    /// Whether a call is in progress.
    pub fn active(&self) -> bool {
        self.call.is_some()
    }

    /// The grace after our hang-up, if `now` is in it with no call in
    /// progress.
    fn grace(&mut self, now: Instant) -> Option<&mut HungUp> {
        if self.call.is_some() {
            return None;
        }
        if self.hung_up.as_ref().is_some_and(|h| now >= h.at + AFTER_HANG_UP) {
            self.hung_up = None;
        }
        self.hung_up.as_mut()
    }

    /// A `RING`: starts a call or continues the one ringing.
    pub fn ring(&mut self, now: Instant) {
        let caller_id = self.caller_id;
        if let Some(h) = self.grace(now) {
            if caller_id {
                h.held_ring = Some(now);
            }
            return;
        }
        let call = self.call.get_or_insert_with(|| Ringing::new(now, None, 0));
        call.rings += 1;
        call.last_ring = now;
        if caller_id {
            call.unclaimed_ring = Some(now);
        }
    }

    /// A `+CLIP`: the caller's number (empty when withheld). Some modems
    /// print it before the first `RING`: it starts the call then. A number
    /// other than the ringing call's is the next call: the ringing one is
    /// over and returned (the `RING` just before this `+CLIP` moves to the
    /// new call), for the actor to report.
    pub fn caller(&mut self, number: &str, now: Instant) -> Option<Ringing> {
        let number = number.trim().to_string();
        if let Some(h) = self.grace(now) {
            let held = h.held_ring.take();
            if h.caller.as_deref() == Some(number.as_str()) {
                // The rejected call's own ring, printed before the hang-up.
                return None;
            }
            self.hung_up = None;
            let mut call = Ringing::new(held.unwrap_or(now), Some(number), u32::from(held.is_some()));
            call.last_ring = now;
            self.call = Some(call);
            return None;
        }
        let Some(call) = &mut self.call else {
            self.call = Some(Ringing::new(now, Some(number), 0));
            return None;
        };
        let unclaimed = call.unclaimed_ring.take();
        match &call.caller {
            None => call.caller = Some(number),
            Some(c) if *c == number => {}
            Some(_) => {
                let mut previous = self.call.take()?;
                let mut next = Ringing::new(now, Some(number), 0);
                if let Some(t) = unclaimed {
                    // That RING announced the new call.
                    previous.rings = previous.rings.saturating_sub(1);
                    next.started = t;
                    next.rings = 1;
                }
                next.last_ring = now;
                self.call = Some(next);
                return Some(previous);
            }
        }
        call.last_ring = call.last_ring.max(now);
        None
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

    /// The call is over at `now` (`NO CARRIER`, `^CEND`, our hang-up, or
    /// silence): it is returned, if one was in progress. After our hang-up
    /// ([`CallEnd::Rejected`]) the [`AFTER_HANG_UP`] grace starts.
    pub fn end(&mut self, now: Instant, end: CallEnd) -> Option<Ringing> {
        let call = self.call.take()?;
        self.hung_up = (end == CallEnd::Rejected).then(|| HungUp {
            at: now,
            caller: call.caller.clone(),
            held_ring: None,
        });
        Some(call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(call: Option<Ringing>, now: Instant, end: CallEnd) -> CallEvent {
        call.expect("a call")
            .into_event(now, end, Some("250".into()), "86")
    }

    #[test]
    fn a_burst_of_rings_with_caller_id_is_one_call_decided_at_the_first_clip() {
        let t0 = Instant::now();
        let mut t = CallTracker::new(true);
        t.ring(t0);
        assert_eq!(t.due(t0), CallDue::Wait, "waits for +CLIP");
        assert_eq!(t.deadline(), Some(t0 + CLIP_WAIT));
        assert!(t.caller("+79161234567", t0 + Duration::from_millis(20)).is_none());
        assert_eq!(t.due(t0), CallDue::Decide);
        t.decided();
        let t1 = t0 + Duration::from_secs(3);
        t.ring(t1);
        assert!(t.caller("+79161234567", t1).is_none(), "the same call");
        assert_eq!(t.due(t1), CallDue::Wait);
        assert_eq!(t.deadline(), Some(t1 + SILENT_END));
        assert_eq!(t.due(t1 + SILENT_END), CallDue::Silent);
        let e = ev(
            t.end(t1 + SILENT_END, CallEnd::CallerHungUp),
            t1 + SILENT_END,
            CallEnd::CallerHungUp,
        );
        assert_eq!(e.caller.as_deref(), Some("+79161234567"));
        assert_eq!((e.rings, e.duration), (2, Duration::from_secs(13)));
        assert_eq!(e.imsi.as_deref(), Some("250"));
        assert!(!t.active());
        assert!(t.end(t1, CallEnd::CallerHungUp).is_none(), "one event per call");
    }

    #[test]
    fn a_clip_with_another_number_is_the_next_call_and_takes_the_ring_before_it() {
        let t0 = Instant::now();
        let mut t = CallTracker::new(true);
        t.ring(t0);
        assert!(t.caller("+79161234567", t0).is_none());
        t.decided();
        let t1 = t0 + Duration::from_millis(300);
        t.ring(t1);
        let first = t.caller("+79031112233", t1).expect("the first call is over");
        let e = first.into_event(t1, CallEnd::CallerHungUp, None, "86");
        assert_eq!((e.caller.as_deref(), e.rings), (Some("+79161234567"), 1));
        assert!(t.active() && !t.is_decided(), "the second call, to decide");
        assert_eq!(t.due(t1), CallDue::Decide);
        let e = ev(t.end(t1, CallEnd::Rejected), t1, CallEnd::Rejected);
        assert_eq!((e.caller.as_deref(), e.rings), (Some("+79031112233"), 1));
        // A withheld caller after a known one is another call too.
        let t2 = t1 + Duration::from_secs(5);
        t.ring(t2);
        assert!(t.caller("+79161234567", t2).is_none());
        assert!(t.caller("", t2 + Duration::from_millis(400)).is_some());
    }

    #[test]
    fn a_ring_already_on_its_way_when_we_hung_up_is_no_new_call() {
        let t0 = Instant::now();
        let mut t = CallTracker::new(true);
        t.ring(t0);
        assert!(t.caller("+79161234567", t0).is_none());
        t.decided();
        assert!(t.end(t0, CallEnd::Rejected).is_some());
        t.ring(t0 + Duration::from_millis(300));
        assert!(
            t.caller("+79161234567", t0 + Duration::from_millis(300))
                .is_none()
        );
        assert!(!t.active(), "the rejected call's last ring");
        t.ring(t0 + AFTER_HANG_UP);
        assert!(t.active(), "a new call after the pause");
    }

    #[test]
    fn a_new_caller_right_after_our_hang_up_is_a_new_call_with_its_ring() {
        let t0 = Instant::now();
        let mut t = CallTracker::new(true);
        t.ring(t0);
        assert!(t.caller("+79161234567", t0).is_none());
        t.decided();
        assert!(t.end(t0, CallEnd::Rejected).is_some());
        let t1 = t0 + Duration::from_millis(600);
        t.ring(t1);
        assert!(!t.active(), "a ring alone in the grace is held");
        assert!(t.caller("+79031112233", t1).is_none());
        assert!(t.active(), "another caller: a new call");
        assert_eq!(t.due(t1), CallDue::Decide);
        let e = ev(t.end(t1, CallEnd::Rejected), t1, CallEnd::Rejected);
        assert_eq!((e.caller.as_deref(), e.rings), (Some("+79031112233"), 1));
        // A +CLIP first (no RING before it) in the grace starts one too.
        let t2 = t1 + Duration::from_millis(100);
        assert!(t.caller("+74012555123", t2).is_none());
        assert!(t.active());
    }

    #[test]
    fn no_carrier_ends_the_call_at_once_and_leaves_no_grace() {
        let t0 = Instant::now();
        let mut t = CallTracker::new(true);
        t.ring(t0);
        assert!(t.caller("+79161234567", t0).is_none());
        t.decided();
        let e = ev(t.end(t0, CallEnd::CallerHungUp), t0, CallEnd::CallerHungUp);
        assert_eq!(e.rings, 1);
        // The same caller again at once: a new call, not a stray ring.
        t.ring(t0 + Duration::from_millis(100));
        assert!(t.active());
    }

    #[test]
    fn without_caller_id_the_decision_is_at_the_first_ring() {
        let t0 = Instant::now();
        let mut t = CallTracker::new(false);
        t.ring(t0);
        assert_eq!(t.due(t0), CallDue::Decide);
        let e = ev(t.end(t0, CallEnd::Rejected), t0, CallEnd::Rejected);
        assert_eq!(e.caller, None);
    }

    #[test]
    fn a_missing_clip_is_waited_for_a_bounded_time_and_a_withheld_one_is_no_caller() {
        let t0 = Instant::now();
        let mut t = CallTracker::new(true);
        t.ring(t0);
        assert_eq!(t.due(t0 + CLIP_WAIT), CallDue::Decide);
        assert!(t.caller("", t0 + Duration::from_secs(1)).is_none());
        let e = ev(t.end(t0, CallEnd::Rejected), t0, CallEnd::Rejected);
        assert_eq!(e.caller, None, "withheld");
    }
}
