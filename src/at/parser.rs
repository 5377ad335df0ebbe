//! The AT byte stream → [`Event`]s. Sans-IO: feed it whatever chunks the
//! port delivers (one byte or a kilobyte), then drain events.
//!
//! What real modems do, and what this parser does about it:
//! - line ends are CRLF, a lone CR or a lone LF, and come doubled: any of
//!   them ends a line, and empty lines are skipped;
//! - the PDU prompt is `> ` with no line end: it is recognised as it arrives;
//! - URCs arrive between, before and inside a command's response: a line is
//!   the command's when it starts with one of the prefixes the command
//!   expects, a URC when it is known as one, and the command's otherwise;
//! - `+CMT:`/`+CDS:` carry their PDU on the next line, which is paired here;
//! - NULs, Ctrl-Z/ESC echoes and bytes that are not UTF-8 (noise at power
//!   up) are dropped or replaced, never fatal;
//! - a line longer than the bound is discarded and reported, so memory
//!   stays bounded whatever the modem sends.

use std::collections::VecDeque;

use super::event::{Event, FinalResult};
use super::urc::Urc;

/// Longest line kept, in bytes. The longest legitimate line is a PDU of
/// 176 octets (352 hex digits) or a UCS-2 USSD answer; 2 KiB leaves room.
pub const DEFAULT_MAX_LINE: usize = 2048;

#[derive(Debug, Clone, Default)]
struct InFlight {
    /// The text the modem will echo while echo is on.
    echo: Option<String>,
    /// Prefixes of the command's information lines.
    prefixes: Vec<String>,
    /// A dial or answer command (`ATD…`, `ATA`), whose final result may be
    /// `NO CARRIER`, `BUSY` or `NO ANSWER`.
    call: bool,
}

impl InFlight {
    fn is_call(&self) -> bool {
        self.call
    }
}

/// Turns bytes from a modem into events.
#[derive(Debug, Clone)]
pub struct Parser {
    line: Vec<u8>,
    max_line: usize,
    /// Bytes dropped from the current over-long line.
    discarding: Option<usize>,
    in_flight: Option<InFlight>,
    /// A `+CMT:`/`+CDS:` header waiting for its PDU line.
    pdu_header: Option<String>,
    events: VecDeque<Event>,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser with the default line bound.
    pub fn new() -> Self {
        Self::with_max_line(DEFAULT_MAX_LINE)
    }

    /// A parser that keeps lines up to `max_line` bytes.
    pub fn with_max_line(max_line: usize) -> Self {
        Self {
            line: Vec::with_capacity(128),
            max_line: max_line.max(8),
            discarding: None,
            in_flight: None,
            pdu_header: None,
            events: VecDeque::new(),
        }
    }

    /// Records that `command` (without its CR) was written and that its
    /// information lines start with one of `prefixes`.
    pub fn command_sent(&mut self, command: &str, prefixes: &[&str]) {
        let upper = command.trim().to_ascii_uppercase();
        self.in_flight = Some(InFlight {
            call: upper.starts_with("ATD") || upper == "ATA",
            echo: Some(command.to_string()),
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
        });
    }

    /// Records that a PDU (hex) was written after the prompt, so its echo
    /// is recognised.
    pub fn pdu_sent(&mut self, hex: &str) {
        if let Some(f) = &mut self.in_flight {
            f.echo = Some(hex.to_string());
        }
    }

    /// Forgets the command in flight (after a timeout and resync).
    pub fn reset_command(&mut self) {
        self.in_flight = None;
    }

    /// Whether a command is waiting for its final result.
    pub fn in_flight(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Feeds bytes from the modem.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\r' | b'\n' => self.end_line(),
                // Stray NULs; Ctrl-Z and ESC echoed after a PDU.
                0x00 | 0x1A | 0x1B => {}
                _ => self.push(b),
            }
        }
    }

    /// The next event, if any is complete.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Feeds bytes and drains every complete event.
    pub fn parse(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.feed(bytes);
        self.events.drain(..).collect()
    }

    fn push(&mut self, b: u8) {
        if let Some(n) = &mut self.discarding {
            *n += 1;
            return;
        }
        if self.line.len() >= self.max_line {
            self.discarding = Some(self.line.len() + 1);
            self.line.clear();
            return;
        }
        self.line.push(b);
        if self.line == b"> " {
            self.line.clear();
            self.events.push_back(Event::Prompt);
        }
    }

    fn end_line(&mut self) {
        if let Some(len) = self.discarding.take() {
            self.events.push_back(Event::LineTooLong { len });
            return;
        }
        if self.line.is_empty() {
            return;
        }
        let raw = String::from_utf8_lossy(&self.line);
        let text = raw
            .trim_matches(|c: char| c.is_whitespace() || c.is_control() || c == '\u{FFFD}')
            .to_string();
        self.line.clear();
        if !text.is_empty() {
            self.classify(text);
        }
    }

    fn classify(&mut self, text: String) {
        if let Some(header) = self.pdu_header.take() {
            if is_hex(&text) {
                self.events.push_back(Event::Urc(Urc::with_pdu(&header, &text)));
                return;
            }
            // The PDU never came: keep the header as an unknown URC and
            // read this line on its own merits.
            self.events.push_back(Event::Urc(Urc::Unknown(header)));
        }
        if text == ">" {
            self.events.push_back(Event::Prompt);
            return;
        }
        if let Some(f) = &mut self.in_flight
            && f.echo.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&text))
        {
            f.echo = None;
            self.events.push_back(Event::Echo(text));
            return;
        }
        if let Some(result) = FinalResult::parse(&text) {
            if let FinalResult::Call(line) = &result
                && !self.in_flight.as_ref().is_some_and(InFlight::is_call)
            {
                // simfleet never dials: a call result with no dial or
                // answer command in flight is an incoming call ending (the
                // caller hung up), not the end of the command in flight.
                self.events.push_back(Event::Urc(Urc::CallEnded(line.clone())));
                return;
            }
            self.in_flight = None;
            self.events.push_back(Event::Final(result));
            return;
        }
        let expected = self
            .in_flight
            .as_ref()
            .is_some_and(|f| f.prefixes.iter().any(|p| text.starts_with(p.as_str())));
        if expected {
            self.events.push_back(Event::Line(text));
            return;
        }
        if Urc::needs_pdu_line(&text) {
            self.pdu_header = Some(text);
            return;
        }
        if let Some(urc) = Urc::parse(&text) {
            self.events.push_back(Event::Urc(urc));
            return;
        }
        if self.in_flight.is_some() {
            self.events.push_back(Event::Line(text));
        } else if text.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("AT")) {
            self.events.push_back(Event::Echo(text));
        } else {
            self.events.push_back(Event::Urc(Urc::Unknown(text)));
        }
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::at::error_code::CmsError;

    fn run(chunks: &[&[u8]], setup: impl Fn(&mut Parser)) -> Vec<Event> {
        let mut p = Parser::new();
        setup(&mut p);
        chunks.iter().flat_map(|c| p.parse(c)).collect()
    }

    /// A recorded Huawei E3372 exchange (echo on), in the two halves a
    /// driver sees: up to the prompt, then (after writing the PDU) the PDU
    /// echo, a URC inside the response, the result, a stored-message URC
    /// and a direct +CMT delivery.
    const BEFORE_PDU: &[u8] = b"AT+CMGS=23\r\r\n> ";
    const AFTER_PDU: &[u8] = b"0001000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a\r\n^RSSI: 17\r\n\r\n+CMGS: 42\r\n\r\nOK\r\n\r\n+CMTI: \"SM\",3\r\n\r\n+CMT: ,23\r\n07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC37\r\n";
    const PDU: &str = "0001000B916407281553F80000AA0AE8329BFD4697D9EC37";

    fn transcript_events(before: &[&[u8]], after: &[&[u8]]) -> Vec<Event> {
        let mut p = Parser::new();
        p.command_sent("AT+CMGS=23", &["+CMGS:"]);
        let mut events: Vec<Event> = before.iter().flat_map(|c| p.parse(c)).collect();
        assert_eq!(events.last(), Some(&Event::Prompt));
        p.pdu_sent(PDU);
        events.extend(after.iter().flat_map(|c| p.parse(c)));
        events
    }

    fn expected_transcript() -> Vec<Event> {
        vec![
            Event::Echo("AT+CMGS=23".into()),
            Event::Prompt,
            Event::Echo(PDU.into()),
            Event::Urc(Urc::Rssi(17)),
            Event::Line("+CMGS: 42".into()),
            Event::Final(FinalResult::Ok),
            Event::Urc(Urc::NewMessage {
                storage: "SM".into(),
                index: 3,
            }),
            Event::Urc(Urc::Message {
                length: 23,
                pdu: "07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC37".into(),
            }),
        ]
    }

    #[test]
    fn recorded_exchange_whole() {
        assert_eq!(
            transcript_events(&[BEFORE_PDU], &[AFTER_PDU]),
            expected_transcript()
        );
    }

    #[test]
    fn every_split_point_yields_the_same_events() {
        for i in 0..=BEFORE_PDU.len() {
            let (a, b) = BEFORE_PDU.split_at(i);
            assert_eq!(
                transcript_events(&[a, b], &[AFTER_PDU]),
                expected_transcript(),
                "before, {i}"
            );
        }
        for i in 0..=AFTER_PDU.len() {
            let (a, b) = AFTER_PDU.split_at(i);
            assert_eq!(
                transcript_events(&[BEFORE_PDU], &[a, b]),
                expected_transcript(),
                "after, {i}"
            );
        }
        let before: Vec<&[u8]> = BEFORE_PDU.chunks(1).collect();
        let after: Vec<&[u8]> = AFTER_PDU.chunks(1).collect();
        assert_eq!(
            transcript_events(&before, &after),
            expected_transcript(),
            "byte by byte"
        );
    }

    #[test]
    fn no_carrier_outside_a_dial_is_a_call_ending_not_the_command_result() {
        // The caller gave up while a send was waiting for its result: the
        // send's own OK still ends it.
        let events = run(&[b"\r\nNO CARRIER\r\n\r\n+CMGS: 7\r\n\r\nOK\r\n"], |p| {
            p.command_sent("AT+CMGS=23", &["+CMGS:"])
        });
        assert_eq!(
            events,
            [
                Event::Urc(Urc::CallEnded("NO CARRIER".into())),
                Event::Line("+CMGS: 7".into()),
                Event::Final(FinalResult::Ok)
            ]
        );
        // Idle: a URC.
        assert_eq!(
            run(&[b"\r\nNO CARRIER\r\n"], |_| {}),
            [Event::Urc(Urc::CallEnded("NO CARRIER".into()))]
        );
        // A dial's result stays its final result.
        assert_eq!(
            run(&[b"\r\nBUSY\r\n"], |p| p.command_sent("ATD+491701234567;", &[])),
            [Event::Final(FinalResult::Call("BUSY".into()))]
        );
    }

    #[test]
    fn line_end_styles() {
        for sep in [&b"\r\n"[..], b"\r", b"\n", b"\n\r"] {
            let mut input = Vec::new();
            for part in [&b"+CSQ: 21,99"[..], b"OK"] {
                input.extend_from_slice(sep);
                input.extend_from_slice(part);
                input.extend_from_slice(sep);
            }
            let events = run(&[&input], |p| p.command_sent("AT+CSQ", &["+CSQ:"]));
            assert_eq!(
                events,
                [Event::Line("+CSQ: 21,99".into()), Event::Final(FinalResult::Ok)],
                "{sep:?}"
            );
        }
    }

    #[test]
    fn urc_prefix_claimed_by_command_in_flight() {
        // "+CREG: 0,1" answers AT+CREG?; without a command it is a URC.
        let events = run(&[b"\r\n+CREG: 0,1\r\n\r\nOK\r\n"], |p| {
            p.command_sent("AT+CREG?", &["+CREG:"])
        });
        assert_eq!(events[0], Event::Line("+CREG: 0,1".into()));
        let events = run(&[b"\r\n+CREG: 1\r\n"], |_| {});
        assert!(matches!(events[0], Event::Urc(Urc::Registration { .. })));
    }

    #[test]
    fn bare_response_lines_and_errors() {
        let events = run(&[b"\r\nhuawei\r\n\r\nOK\r\n"], |p| p.command_sent("AT+CGMI", &[]));
        assert_eq!(
            events,
            [Event::Line("huawei".into()), Event::Final(FinalResult::Ok)]
        );
        let events = run(&[b"\r\n+CMS ERROR: 42\r\n"], |p| {
            p.command_sent("AT+CMGS=10", &["+CMGS:"])
        });
        assert_eq!(events, [Event::Final(FinalResult::Cms(CmsError::code(42)))]);
        assert!(!Parser::new().in_flight());
    }

    #[test]
    fn noise_nul_and_invalid_utf8() {
        let events = run(&[b"\xff\xfe\x00\r\nO\x00K\r\n\xff\xff\r\n"], |p| {
            p.command_sent("AT", &[])
        });
        assert_eq!(events, [Event::Final(FinalResult::Ok)]);
    }

    #[test]
    fn unknown_line_without_command_is_kept_as_urc() {
        let events = run(&[b"\r\n+WHATEVER: 1\r\n"], |_| {});
        assert_eq!(events, [Event::Urc(Urc::Unknown("+WHATEVER: 1".into()))]);
    }

    #[test]
    fn cmt_without_pdu_line_does_not_swallow_the_next_line() {
        let events = run(&[b"\r\n+CMT: ,23\r\nOK\r\n"], |p| p.command_sent("AT", &[]));
        assert_eq!(
            events,
            [
                Event::Urc(Urc::Unknown("+CMT: ,23".into())),
                Event::Final(FinalResult::Ok)
            ]
        );
    }

    #[test]
    fn long_line_is_dropped_and_reported_memory_bounded() {
        let mut p = Parser::with_max_line(64);
        let mut input = vec![b'A'; 10_000];
        input.extend_from_slice(b"\r\nOK\r\n");
        p.command_sent("AT", &[]);
        for chunk in input.chunks(7) {
            p.feed(chunk);
            assert!(p.line.len() <= 64);
        }
        let events: Vec<_> = std::iter::from_fn(|| p.next_event()).collect();
        assert_eq!(
            events,
            [Event::LineTooLong { len: 10_000 }, Event::Final(FinalResult::Ok)]
        );
    }

    #[test]
    fn multibyte_line_starts_do_not_panic() {
        let events = run(&["€uro\r\n".as_bytes(), "Жx\r\n".as_bytes()], |_| {});
        assert_eq!(
            events,
            [
                Event::Urc(Urc::Unknown("€uro".into())),
                Event::Urc(Urc::Unknown("Жx".into()))
            ]
        );
    }

    #[test]
    fn prompt_forms() {
        assert_eq!(run(&[b"\r\n> "], |_| {}), [Event::Prompt]);
        assert_eq!(run(&[b">", b" "], |_| {}), [Event::Prompt]);
        assert_eq!(run(&[b"\r\n>\r\n"], |_| {}), [Event::Prompt]);
    }
}
