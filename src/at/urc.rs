//! Unsolicited result codes: what a modem says without being asked, from
//! TS 27.005/27.007 and the vendors simfleet meets (Huawei `^`, Quectel
//! `+QIND`, SIMCom boot banners). Unknown ones are kept, never fatal.

use super::params;

/// Which registration a `+CREG`-style URC reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    /// `+CREG`: circuit-switched (what SMS over the CS domain needs).
    Cs,
    /// `+CGREG`: packet-switched.
    Ps,
    /// `+CEREG`: LTE.
    Eps,
}

/// Network registration status (TS 27.007 §7.2 `<stat>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegStatus {
    /// 0: not registered, not searching.
    NotRegistered,
    /// 1 (or 6, SMS only): registered on the home network.
    Home,
    /// 2: not registered, searching.
    Searching,
    /// 3: registration denied.
    Denied,
    /// 4: unknown.
    Unknown,
    /// 5 (or 7, SMS only): registered, roaming.
    Roaming,
}

impl RegStatus {
    /// From the numeric `<stat>`.
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => RegStatus::NotRegistered,
            1 | 6 | 9 => RegStatus::Home,
            2 => RegStatus::Searching,
            3 => RegStatus::Denied,
            5 | 7 | 10 => RegStatus::Roaming,
            _ => RegStatus::Unknown,
        }
    }

    /// Whether the SIM can send and receive SMS.
    pub fn is_registered(self) -> bool {
        matches!(self, RegStatus::Home | RegStatus::Roaming)
    }

    /// In words.
    pub fn as_str(self) -> &'static str {
        match self {
            RegStatus::NotRegistered => "not registered",
            RegStatus::Home => "home",
            RegStatus::Searching => "searching",
            RegStatus::Denied => "denied",
            RegStatus::Unknown => "unknown",
            RegStatus::Roaming => "roaming",
        }
    }
}

/// An unsolicited result code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Urc {
    /// `+CMTI: <mem>,<index>`: a message was stored.
    NewMessage {
        /// Storage, e.g. "SM" or "ME".
        storage: String,
        /// Index in that storage.
        index: u32,
    },
    /// `+CDSI: <mem>,<index>`: a status report was stored.
    NewStatusReport {
        /// Storage, e.g. "SR".
        storage: String,
        /// Index in that storage.
        index: u32,
    },
    /// `+CMT: [<alpha>],<length>` then the PDU: a message delivered directly.
    Message {
        /// TPDU length announced.
        length: usize,
        /// The PDU in hex, SMSC field first.
        pdu: String,
    },
    /// `+CDS: <length>` then the PDU: a status report delivered directly.
    StatusReport {
        /// TPDU length announced.
        length: usize,
        /// The PDU in hex (with or without SMSC field, by modem).
        pdu: String,
    },
    /// `+CREG: <stat>[,…]` and friends.
    Registration {
        /// Which registration.
        domain: Domain,
        /// The new status.
        status: RegStatus,
    },
    /// `RING`: an incoming call.
    Ring,
    /// `+CLIP: <number>,…`: the caller's number.
    CallerId {
        /// The number as the modem gave it (empty when withheld or not
        /// available: TS 27.007 §7.6 `<CLI validity>` 1 or 2).
        number: String,
    },
    /// The incoming call ended on the caller's side or the network's:
    /// `NO CARRIER` (or `BUSY`, `NO ANSWER`) with no dial or answer
    /// command in flight (TS 27.007 §6, V.250 §6.3), Huawei `^CEND:`,
    /// SIMCom/Quectel `+CEND`. Holds the line as the modem printed it.
    CallEnded(String),
    /// `+CUSD: <m>[,<str>,<dcs>]`: a USSD answer.
    Ussd {
        /// The `<m>` field (0 done, 1 more expected, 2 terminated…).
        mode: u8,
        /// The text, as the modem printed it.
        text: Option<String>,
    },
    /// Huawei `^RSSI: <n>`: signal level changed.
    Rssi(u8),
    /// Huawei `^SIMST: <n>`: SIM state changed (255 = no SIM).
    SimState(u8),
    /// Known chatter that needs no action: Huawei `^BOOT`, `^MODE`,
    /// `^DSFLOWRPT`, Quectel `+QIND`, SIMCom `SMS Ready`, `RDY`, …
    Vendor(String),
    /// A line nobody expected.
    Unknown(String),
}

/// Vendor lines that are noise to simfleet.
const VENDOR_PREFIXES: &[&str] = &[
    "^BOOT:",
    "^MODE:",
    "^DSFLOWRPT:",
    "^SRVST:",
    "^HCSQ:",
    "^SYSSTART",
    "^STIN:",
    "^ORIG:",
    "^CONF:",
    "^CONN:",
    "^NWTIME:",
    "^RSSILVL:",
    "^ACTIVEBAND:",
    "+QIND:",
    "+QUSIM:",
    "+CPIN:",
    "+ZPASR:",
    "+ZUSIMR:",
    "+ZEND",
    "*PSUTTZ:",
    "+CTZV:",
    "+CTZE:",
    "DST:",
    "+CIEV:",
    "+PACSP",
    "+STIN:",
    "+CGEV:",
];
const VENDOR_LINES: &[&str] = &[
    "RDY",
    "SMS Ready",
    "Call Ready",
    "PB DONE",
    "+QSIMSTAT: 1,1",
    "POWERED DOWN",
];

impl Urc {
    /// Recognises a one-line URC. `+CMT:` and `+CDS:` need their PDU line,
    /// which the parser pairs; see [`Urc::needs_pdu_line`].
    pub fn parse(line: &str) -> Option<Urc> {
        if let Some(p) = params::after(line, "+CMTI:") {
            return Some(Urc::NewMessage {
                storage: p.first()?.clone(),
                index: params::num(&p, 1)?,
            });
        }
        if let Some(p) = params::after(line, "+CDSI:") {
            return Some(Urc::NewStatusReport {
                storage: p.first()?.clone(),
                index: params::num(&p, 1)?,
            });
        }
        for (prefix, domain) in [
            ("+CREG:", Domain::Cs),
            ("+CGREG:", Domain::Ps),
            ("+CEREG:", Domain::Eps),
        ] {
            if let Some(p) = params::after(line, prefix) {
                // Unsolicited form: <stat>[,<lac>,<ci>…] (the query reply,
                // which starts with <n>, is claimed by the command in flight).
                return Some(Urc::Registration {
                    domain,
                    status: RegStatus::from_code(params::num(&p, 0)?),
                });
            }
        }
        // `+CRING: VOICE` is RING with `AT+CRC=1` (TS 27.007 §6.11).
        if line == "RING" || line.starts_with("+CRING:") {
            return Some(Urc::Ring);
        }
        if line.starts_with("^CEND:") || line.starts_with("+CEND") {
            return Some(Urc::CallEnded(line.to_string()));
        }
        if let Some(p) = params::after(line, "+CLIP:") {
            return Some(Urc::CallerId {
                number: p.first()?.clone(),
            });
        }
        if let Some(p) = params::after(line, "+CUSD:") {
            return Some(Urc::Ussd {
                mode: params::num(&p, 0)?,
                text: p.get(1).cloned(),
            });
        }
        if let Some(p) = params::after(line, "^RSSI:") {
            return Some(Urc::Rssi(params::num(&p, 0)?));
        }
        if let Some(p) = params::after(line, "^SIMST:") {
            return Some(Urc::SimState(params::num(&p, 0)?));
        }
        if VENDOR_PREFIXES.iter().any(|p| line.starts_with(p)) || VENDOR_LINES.contains(&line) {
            return Some(Urc::Vendor(line.to_string()));
        }
        None
    }

    /// Whether `line` opens a two-line URC whose second line is a PDU.
    pub fn needs_pdu_line(line: &str) -> bool {
        line.starts_with("+CMT:") || line.starts_with("+CDS:")
    }

    /// Builds the two-line URC from its header and PDU lines.
    pub fn with_pdu(header: &str, pdu: &str) -> Urc {
        let pdu = pdu.trim().to_string();
        if let Some(p) = params::after(header, "+CDS:") {
            let length = params::num(&p, 0).unwrap_or(0);
            return Urc::StatusReport { length, pdu };
        }
        let p = params::after(header, "+CMT:").unwrap_or_default();
        // "+CMT: <alpha>,<length>" (or just "<length>" on some modems).
        let length = p.last().and_then(|l| l.parse().ok()).unwrap_or(0);
        Urc::Message { length, pdu }
    }
}

/// The PDU of a `+CMT`/`+CDS` with its SMSC field, as the codec reads
/// PDUs. `length` is the TPDU's length in octets (TS 27.005 §3.4.1); a
/// PDU of exactly that many octets has no SMSC field (some modems print
/// `+CDS` so), and gets an empty one ("00") in front. Otherwise as it is.
pub fn with_smsc_field(length: usize, pdu: String) -> String {
    if length > 0 && pdu.len() == 2 * length {
        format!("00{pdu}")
    } else {
        pdu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_direct_pdu_without_smsc_field_gets_an_empty_one() {
        // +CDS: 25 with the 25-octet TPDU only.
        let tpdu = "06070B919471123456F8111032112334801110321123548000".to_string();
        assert_eq!(with_smsc_field(25, tpdu.clone()), format!("00{tpdu}"));
        // With its SMSC field, or a length that says nothing: unchanged.
        let full = format!("07912143658709F1{tpdu}");
        assert_eq!(with_smsc_field(25, full.clone()), full);
        assert_eq!(with_smsc_field(0, tpdu.clone()), tpdu);
    }

    #[test]
    fn standard_urcs() {
        assert_eq!(
            Urc::parse(r#"+CMTI: "SM",3"#),
            Some(Urc::NewMessage {
                storage: "SM".into(),
                index: 3
            })
        );
        assert_eq!(
            Urc::parse(r#"+CDSI: "SR",12"#),
            Some(Urc::NewStatusReport {
                storage: "SR".into(),
                index: 12
            })
        );
        assert_eq!(
            Urc::parse(r#"+CREG: 5,"00C3","0000507E""#),
            Some(Urc::Registration {
                domain: Domain::Cs,
                status: RegStatus::Roaming
            })
        );
        assert_eq!(Urc::parse("RING"), Some(Urc::Ring));
        assert_eq!(Urc::parse("+CRING: VOICE"), Some(Urc::Ring));
        assert_eq!(
            Urc::parse(r#"+CLIP: "",128,,,,1"#),
            Some(Urc::CallerId { number: "".into() })
        );
        assert_eq!(
            Urc::parse("^CEND:1,0,104,16"),
            Some(Urc::CallEnded("^CEND:1,0,104,16".into()))
        );
        assert_eq!(
            Urc::parse(r#"+CLIP: "+79161234567",145,,,,0"#),
            Some(Urc::CallerId {
                number: "+79161234567".into()
            })
        );
        assert_eq!(
            Urc::parse(r#"+CUSD: 0,"Balance: 10.00",15"#),
            Some(Urc::Ussd {
                mode: 0,
                text: Some("Balance: 10.00".into())
            })
        );
    }

    #[test]
    fn vendor_urcs() {
        assert_eq!(Urc::parse("^RSSI: 17"), Some(Urc::Rssi(17)));
        assert_eq!(Urc::parse("^SIMST: 255"), Some(Urc::SimState(255)));
        assert!(matches!(
            Urc::parse("^BOOT:20952832,0,0,0,75"),
            Some(Urc::Vendor(_))
        ));
        assert!(matches!(Urc::parse("^MODE: 5,4"), Some(Urc::Vendor(_))));
        assert!(matches!(
            Urc::parse(r#"+QIND: "FOTA","END",0"#),
            Some(Urc::Vendor(_))
        ));
        assert!(matches!(Urc::parse("SMS Ready"), Some(Urc::Vendor(_))));
        assert_eq!(Urc::parse("huawei"), None);
        assert_eq!(Urc::parse("+CMTI: garbage"), None);
    }

    #[test]
    fn two_line_urcs() {
        assert!(Urc::needs_pdu_line("+CMT: ,23"));
        assert_eq!(
            Urc::with_pdu("+CMT: ,23", "0791AABB"),
            Urc::Message {
                length: 23,
                pdu: "0791AABB".into()
            }
        );
        assert_eq!(
            Urc::with_pdu("+CDS: 25", "0006"),
            Urc::StatusReport {
                length: 25,
                pdu: "0006".into()
            }
        );
    }
}
