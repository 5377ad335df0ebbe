//! TP-DCS, the data coding scheme (TS 23.038 §4): which alphabet the user
//! data uses, the message class, and message waiting indications.

use serde::Serialize;

/// How the user data is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Encoding {
    /// GSM 7-bit default alphabet (or national shift tables).
    #[serde(rename = "gsm7")]
    Gsm7,
    /// UCS-2 / UTF-16 big-endian.
    #[serde(rename = "ucs2")]
    Ucs2,
    /// 8-bit data, not text.
    #[serde(rename = "8bit")]
    EightBit,
}

impl Encoding {
    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "gsm7",
            Encoding::Ucs2 => "ucs2",
            Encoding::EightBit => "8bit",
        }
    }
}

/// What a message waiting indication is about (§4, coding groups 1100–1110).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitingKind {
    /// Voicemail message waiting.
    Voicemail,
    /// Fax message waiting.
    Fax,
    /// Electronic mail message waiting.
    Email,
    /// Other message waiting.
    Other,
}

/// A message waiting indication carried in the DCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageWaiting {
    /// Whether the indication is being set (true) or cleared.
    pub active: bool,
    /// What kind of message is waiting.
    pub kind: WaitingKind,
    /// Whether the receiver may discard the message text (group 1100).
    pub discard: bool,
}

/// A decoded TP-DCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dcs {
    /// The octet as received.
    pub raw: u8,
    /// Alphabet of the user data.
    pub encoding: Encoding,
    /// Message class 0–3, if given (0 is "flash").
    pub class: Option<u8>,
    /// Whether the text is compressed (TS 23.042), which simfleet does not undo.
    pub compressed: bool,
    /// Whether the message is marked for automatic deletion (group 01xx).
    pub auto_delete: bool,
    /// A message waiting indication, if this is one.
    pub message_waiting: Option<MessageWaiting>,
}

impl Dcs {
    /// Decodes any octet; reserved codings read as GSM 7-bit, as §4 requires.
    pub fn parse(raw: u8) -> Dcs {
        let mut dcs = Dcs {
            raw,
            encoding: Encoding::Gsm7,
            class: None,
            compressed: false,
            auto_delete: false,
            message_waiting: None,
        };
        match raw >> 4 {
            0x0..=0x7 => {
                dcs.auto_delete = raw & 0x40 != 0;
                dcs.compressed = raw & 0x20 != 0;
                if raw & 0x10 != 0 {
                    dcs.class = Some(raw & 0x03);
                }
                dcs.encoding = match (raw >> 2) & 0x03 {
                    0b01 => Encoding::EightBit,
                    0b10 => Encoding::Ucs2,
                    _ => Encoding::Gsm7,
                };
            }
            0xC..=0xE => {
                if raw >> 4 == 0xE {
                    dcs.encoding = Encoding::Ucs2;
                }
                dcs.message_waiting = Some(MessageWaiting {
                    active: raw & 0x08 != 0,
                    kind: match raw & 0x03 {
                        0 => WaitingKind::Voicemail,
                        1 => WaitingKind::Fax,
                        2 => WaitingKind::Email,
                        _ => WaitingKind::Other,
                    },
                    discard: raw >> 4 == 0xC,
                });
            }
            0xF => {
                dcs.class = Some(raw & 0x03);
                if raw & 0x04 != 0 {
                    dcs.encoding = Encoding::EightBit;
                }
            }
            _ => {} // 1000..1011: reserved, GSM 7-bit.
        }
        dcs
    }

    /// The octet for an outgoing message: general data coding, class 0
    /// when `flash`, no class otherwise.
    pub fn for_submit(encoding: Encoding, flash: bool) -> u8 {
        let alphabet = match encoding {
            Encoding::Gsm7 => 0x00,
            Encoding::EightBit => 0x04,
            Encoding::Ucs2 => 0x08,
        };
        if flash { alphabet | 0x10 } else { alphabet }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_group() {
        assert_eq!(Dcs::parse(0x00).encoding, Encoding::Gsm7);
        assert_eq!(Dcs::parse(0x08).encoding, Encoding::Ucs2);
        assert_eq!(Dcs::parse(0x04).encoding, Encoding::EightBit);
        assert_eq!(Dcs::parse(0x0C).encoding, Encoding::Gsm7); // reserved alphabet
        let flash = Dcs::parse(0x18);
        assert_eq!((flash.encoding, flash.class), (Encoding::Ucs2, Some(0)));
        assert_eq!(Dcs::parse(0x00).class, None);
        assert!(Dcs::parse(0x20).compressed);
        assert!(Dcs::parse(0x48).auto_delete);
    }

    #[test]
    fn class_group_f() {
        let d = Dcs::parse(0xF1);
        assert_eq!((d.encoding, d.class), (Encoding::Gsm7, Some(1)));
        let d = Dcs::parse(0xF4);
        assert_eq!((d.encoding, d.class), (Encoding::EightBit, Some(0)));
    }

    #[test]
    fn message_waiting_groups() {
        let d = Dcs::parse(0xC8);
        let mw = d.message_waiting.unwrap();
        assert!(mw.active && mw.discard);
        assert_eq!(mw.kind, WaitingKind::Voicemail);
        let d = Dcs::parse(0xE1);
        assert_eq!(d.encoding, Encoding::Ucs2);
        let mw = d.message_waiting.unwrap();
        assert!(!mw.active && !mw.discard);
        assert_eq!(mw.kind, WaitingKind::Fax);
        assert_eq!(Dcs::parse(0xD2).message_waiting.unwrap().kind, WaitingKind::Email);
    }

    #[test]
    fn reserved_groups_read_as_gsm7() {
        for raw in 0x80..=0xBF {
            assert_eq!(Dcs::parse(raw).encoding, Encoding::Gsm7);
        }
    }

    #[test]
    fn submit_octets() {
        assert_eq!(Dcs::for_submit(Encoding::Gsm7, false), 0x00);
        assert_eq!(Dcs::for_submit(Encoding::Ucs2, false), 0x08);
        assert_eq!(Dcs::for_submit(Encoding::Gsm7, true), 0x10);
        assert_eq!(Dcs::for_submit(Encoding::Ucs2, true), 0x18);
    }
}
