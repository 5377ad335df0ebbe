//! Which idle SIM takes which queued message, pure. Round-robin over SIMs
//! so wear is even; a recipient sticks to the SIM it heard from while that
//! SIM can send (replies, votes and STOPs come back to the number it knows);
//! a message a SIM just failed goes to another SIM when there is one; the
//! rest of a message whose first parts went waits for their SIM, whatever
//! else could send it (the handset joins parts by sender and reference).
//! A SIM at its distinct-recipients-per-month limit takes only numbers it
//! already texted this month; a new number goes to another SIM, even past
//! its sticky one.

use std::collections::HashSet;

use crate::store::Candidate;

/// What the assigner knows of a SIM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimView {
    /// IMSI.
    pub imsi: String,
    /// Ready to send and not cooling down or over a limit.
    pub usable: bool,
    /// Not busy with a message.
    pub idle: bool,
    /// Segments it may still send now (per-minute, daily and monthly caps), if capped.
    pub capacity: Option<u64>,
    /// New recipients it may still text this month, if limited.
    pub unique_left: Option<u64>,
    /// Of the round's recipients, those it already texted this month
    /// (looked up only when `unique_left` is set).
    pub known: HashSet<String>,
}

impl SimView {
    fn fits(&self, segments: usize) -> bool {
        self.capacity.is_none_or(|c| c >= segments as u64)
    }

    /// Room for `c`: its segments, and its recipient if new to the SIM.
    fn takes(&self, c: &Candidate) -> bool {
        self.fits(c.segments) && (self.unique_left.is_none_or(|u| u > 0) || self.known.contains(&c.recipient))
    }

    fn take(&mut self, c: &Candidate) {
        self.idle = false;
        if let Some(cap) = &mut self.capacity {
            *cap = cap.saturating_sub(c.segments as u64);
        }
        if let Some(u) = &mut self.unique_left
            && self.known.insert(c.recipient.clone())
        {
            *u = u.saturating_sub(1);
        }
    }
}

/// Assigns candidates (oldest first) to idle SIMs. `cursor` carries the
/// round-robin position between calls. Returns (message id, SIM index).
pub fn assign(candidates: &[Candidate], sims: &mut [SimView], cursor: &mut usize) -> Vec<(i64, usize)> {
    let mut out = Vec::new();
    let n = sims.len();
    if n == 0 {
        return out;
    }
    for c in candidates {
        if !sims.iter().any(|s| s.usable && s.idle) {
            break;
        }
        if let Some(pin) = c.pinned_imsi.as_deref() {
            if let Some(i) = sims
                .iter()
                .position(|s| s.imsi == pin && s.usable && s.idle && s.fits(c.segments))
            {
                // Its first parts went to this recipient: no quota on new ones applies.
                sims[i].idle = false;
                if let Some(cap) = &mut sims[i].capacity {
                    *cap = cap.saturating_sub(c.segments as u64);
                }
                out.push((c.id, i));
            }
            continue;
        }
        // A recipient with a usable sticky SIM waits for that SIM.
        let sticky = c
            .sticky_imsi
            .as_deref()
            .filter(|imsi| c.avoid_imsi.as_deref() != Some(*imsi))
            .and_then(|imsi| sims.iter().position(|s| s.imsi == imsi && s.usable && s.takes(c)));
        let chosen = match sticky {
            Some(i) if sims[i].idle => Some(i),
            Some(_) => None,
            None => {
                let others_exist = sims
                    .iter()
                    .any(|s| s.usable && Some(s.imsi.as_str()) != c.avoid_imsi.as_deref());
                (0..n).map(|k| (*cursor + k) % n).find(|&i| {
                    let s = &sims[i];
                    s.usable
                        && s.idle
                        && s.takes(c)
                        && (!others_exist || Some(s.imsi.as_str()) != c.avoid_imsi.as_deref())
                })
            }
        };
        if let Some(i) = chosen {
            sims[i].take(c);
            if sticky.is_none() {
                *cursor = (i + 1) % n;
            }
            out.push((c.id, i));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(imsi: &str) -> SimView {
        SimView {
            imsi: imsi.into(),
            usable: true,
            idle: true,
            capacity: None,
            unique_left: None,
            known: HashSet::new(),
        }
    }

    fn cand(id: i64, sticky: Option<&str>, avoid: Option<&str>) -> Candidate {
        Candidate {
            id,
            recipient: format!("+{id}"),
            segments: 1,
            sticky_imsi: sticky.map(Into::into),
            avoid_imsi: avoid.map(Into::into),
            pinned_imsi: None,
        }
    }

    #[test]
    fn round_robin_spreads_evenly_across_calls() {
        let mut cursor = 0;
        let mut counts = [0; 3];
        for round in 0..30 {
            let mut sims = vec![sim("A"), sim("B"), sim("C")];
            for (_, i) in assign(&[cand(round, None, None)], &mut sims, &mut cursor) {
                counts[i] += 1;
            }
        }
        assert_eq!(counts, [10, 10, 10]);
    }

    #[test]
    fn sticky_recipient_waits_for_its_sim_unless_it_cannot_send() {
        let mut cursor = 0;
        let mut sims = vec![sim("A"), sim("B")];
        sims[1].idle = false; // B busy
        let got = assign(
            &[cand(1, Some("B"), None), cand(2, None, None)],
            &mut sims,
            &mut cursor,
        );
        assert_eq!(got, [(2, 0)]); // 1 waits for B, 2 takes A
        let mut sims = vec![sim("A"), sim("B")];
        sims[1].usable = false; // B cooling down: 1 moves on
        assert_eq!(
            assign(&[cand(1, Some("B"), None)], &mut sims, &mut cursor),
            [(1, 0)]
        );
    }

    #[test]
    fn a_failed_sim_is_avoided_when_another_can_send() {
        let mut cursor = 0;
        let mut sims = vec![sim("A"), sim("B")];
        assert_eq!(
            assign(&[cand(1, None, Some("A"))], &mut sims, &mut cursor),
            [(1, 1)]
        );
        // Only A exists: it is used rather than waiting forever.
        let mut sims = vec![sim("A")];
        assert_eq!(
            assign(&[cand(1, None, Some("A"))], &mut sims, &mut cursor),
            [(1, 0)]
        );
        // B exists but is busy: wait for it rather than retry on A.
        let mut sims = vec![sim("A"), sim("B")];
        sims[1].idle = false;
        assert!(assign(&[cand(1, None, Some("A"))], &mut sims, &mut cursor).is_empty());
    }

    #[test]
    fn capacity_limits_are_honoured() {
        let mut cursor = 0;
        let mut sims = vec![sim("A")];
        sims[0].capacity = Some(2);
        let big = Candidate {
            segments: 3,
            ..cand(1, None, None)
        };
        assert!(assign(&[big], &mut sims, &mut cursor).is_empty());
        assert_eq!(assign(&[cand(2, None, None)], &mut sims, &mut cursor), [(2, 0)]);
    }

    #[test]
    fn a_sim_at_its_recipient_limit_texts_only_numbers_it_knows() {
        let mut cursor = 0;
        // A has room for no new number this month but knows +1; B is free.
        let limited = |known: &[&str]| SimView {
            unique_left: Some(0),
            known: known.iter().map(|k| k.to_string()).collect(),
            ..sim("A")
        };
        // +2 is sticky to A (texted last month): it goes to B instead of waiting.
        let mut sims = vec![limited(&["+1"]), sim("B")];
        assert_eq!(
            assign(&[cand(2, Some("A"), None)], &mut sims, &mut cursor),
            [(2, 1)]
        );
        // +1 is known to A this month: it still goes through A.
        let mut sims = vec![limited(&["+1"]), sim("B")];
        assert_eq!(
            assign(&[cand(1, Some("A"), None)], &mut sims, &mut cursor),
            [(1, 0)]
        );
        // Round robin skips A for a new number, even when it is A's turn.
        let mut cursor = 0;
        let mut sims = vec![limited(&[]), sim("B")];
        sims[1].idle = false;
        assert!(assign(&[cand(3, None, None)], &mut sims, &mut cursor).is_empty());
        // One new number left: the second new one in the round waits.
        let mut sims = vec![SimView {
            unique_left: Some(1),
            ..sim("A")
        }];
        assert_eq!(assign(&[cand(4, None, None)], &mut sims, &mut cursor), [(4, 0)]);
        assert_eq!(sims[0].unique_left, Some(0));
        sims[0].idle = true;
        assert!(assign(&[cand(5, None, None)], &mut sims, &mut cursor).is_empty());
        assert_eq!(assign(&[cand(4, None, None)], &mut sims, &mut cursor), [(4, 0)]);
    }

    #[test]
    fn one_message_per_idle_sim_per_round() {
        let mut cursor = 0;
        let mut sims = vec![sim("A"), sim("B")];
        let cands: Vec<_> = (0..5).map(|i| cand(i, None, None)).collect();
        assert_eq!(assign(&cands, &mut sims, &mut cursor).len(), 2);
    }

    #[test]
    fn the_rest_of_a_cut_message_waits_for_the_sim_its_parts_went_through() {
        let mut cursor = 0;
        let pinned = Candidate {
            pinned_imsi: Some("B".into()),
            // Even a sticky recipient or an avoided SIM does not move it.
            ..cand(1, Some("A"), Some("B"))
        };
        let mut sims = vec![sim("A"), sim("B"), sim("C")];
        sims[1].usable = false; // B unplugged or cooling down
        assert!(assign(std::slice::from_ref(&pinned), &mut sims, &mut cursor).is_empty());
        let mut sims = vec![sim("A"), sim("B"), sim("C")];
        sims[1].idle = false;
        assert!(assign(std::slice::from_ref(&pinned), &mut sims, &mut cursor).is_empty());
        let mut sims = vec![sim("A"), sim("B"), sim("C")];
        assert_eq!(assign(&[pinned], &mut sims, &mut cursor), [(1, 1)]);
    }
}
