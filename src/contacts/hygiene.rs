//! Hygiene: which failures say a contact's number cannot be reached, so
//! that campaigns stop paying for messages that will never arrive.
//!
//! Two kinds, from what the network answers:
//! - **unassigned**: the number is not in service. It makes the contact
//!   `invalid` at once. A send refused with RP-cause 1 "unassigned
//!   (unallocated) number", 28 "unidentified subscriber" or 30 "unknown
//!   subscriber" (TS 24.011 §8.2.5.4, Table 8.4; the dispatcher records 28
//!   and 30 as the recipient's only once a second SIM was refused the same
//!   way), TP-FCS 0xC3 "invalid SME address" (TS 23.040 §9.2.3.22); or a
//!   status report with TP-Status 0x43 "not obtainable" (TS 23.040
//!   §9.2.3.15: permanent, the service centre makes no more attempts).
//! - **absent**: the subscriber is there but does not answer (phone off,
//!   out of coverage, memory full). RP-cause 27 "destination out of
//!   order", 22 "memory capacity exceeded"; TP-Status 0x46 "SM validity
//!   period expired" (the centre tried until the message expired) and
//!   0x62 "no response from SME" (it gave up). The contact becomes
//!   `invalid` once such failures span `contacts.invalid_after_days` with
//!   no delivery between (a delivery starts the count again).
//!
//! A reply, a delivery or an update (API, import) makes the contact
//! `active` again.

/// Why a number looks unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientFault {
    /// Not in service: invalid at once.
    Unassigned,
    /// Not answering: invalid after `contacts.invalid_after_days`.
    Absent,
}

impl RecipientFault {
    /// The kind of a `+CMS ERROR` cause refusing a send, if it is one of
    /// the recipient's.
    pub fn of_cms(code: u16) -> Option<Self> {
        match code {
            1 | 28 | 30 | 0xC3 => Some(RecipientFault::Unassigned),
            22 | 27 => Some(RecipientFault::Absent),
            _ => None,
        }
    }

    /// The kind of a status report's TP-Status, if it is one of the
    /// recipient's.
    pub fn of_status(tp_st: u8) -> Option<Self> {
        match tp_st {
            0x43 => Some(RecipientFault::Unassigned),
            0x46 | 0x62 => Some(RecipientFault::Absent),
            _ => None,
        }
    }

    /// The kind of a failed send's recorded reason: the `+CMS ERROR <n>`
    /// the modem driver writes into it (`at::CmsError`'s display, e.g.
    /// "+CMS ERROR 1: unassigned (unallocated) number", possibly inside
    /// the dispatcher's words about parts and SIMs).
    pub fn of_refusal(reason: &str) -> Option<Self> {
        const MARK: &str = "+CMS ERROR ";
        let at = reason.find(MARK)? + MARK.len();
        let digits: String = reason[at..].chars().take_while(char::is_ascii_digit).collect();
        Self::of_cms(digits.parse().ok()?)
    }

    /// In words, for the contact's `status_reason`.
    pub fn describe(self) -> &'static str {
        match self {
            RecipientFault::Unassigned => "the number is not in service",
            RecipientFault::Absent => "the number has not been reachable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::at::CmsError;

    #[test]
    fn refusals_read_from_the_drivers_words() {
        let unassigned = CmsError::code(1).to_string();
        assert_eq!(
            RecipientFault::of_refusal(&unassigned),
            Some(RecipientFault::Unassigned)
        );
        let convicted = format!(
            "refused for this recipient through SIM A and SIM B: {}",
            CmsError::code(30)
        );
        assert_eq!(
            RecipientFault::of_refusal(&convicted),
            Some(RecipientFault::Unassigned)
        );
        let part = format!(
            "part 2 of 3 refused ({}): parts 1 of 3 reached",
            CmsError::code(27)
        );
        assert_eq!(RecipientFault::of_refusal(&part), Some(RecipientFault::Absent));
        // The SIM's or the network's troubles say nothing of the number.
        for code in [8, 21, 38, 42, 50, 96, 330, 500] {
            assert_eq!(
                RecipientFault::of_refusal(&CmsError::code(code).to_string()),
                None,
                "{code}"
            );
        }
        assert_eq!(RecipientFault::of_refusal("could not encode"), None);
        assert_eq!(RecipientFault::of_refusal("+CMS ERROR "), None);
    }

    #[test]
    fn status_reports() {
        assert_eq!(RecipientFault::of_status(0x43), Some(RecipientFault::Unassigned));
        assert_eq!(RecipientFault::of_status(0x46), Some(RecipientFault::Absent));
        assert_eq!(RecipientFault::of_status(0x62), Some(RecipientFault::Absent));
        // Delivered, still trying, congestion, deleted by the centre: not the number's.
        for st in [0x00, 0x22, 0x41, 0x48, 0x60] {
            assert_eq!(RecipientFault::of_status(st), None, "{st:#x}");
        }
    }
}
