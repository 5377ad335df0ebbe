//! `simfleet pdu encode|decode`: the codec on the command line. Output is
//! one JSON object per line; other tools and tests rely on its shape.

use std::io::{BufRead, Write};

use clap::{Args, Subcommand};
use serde::Serialize;
use thiserror::Error;

use crate::sms::{
    self, Address, Content, EncodeError, NationalLanguage, Pdu, SplitOptions, SubmitOptions, Tpdu, UserData,
};

/// `simfleet pdu` subcommands.
#[derive(Debug, Subcommand)]
pub enum PduCommand {
    /// Encode a text as SMS-SUBMIT PDUs, one JSON object per segment.
    Encode(EncodeArgs),
    /// Decode PDUs (SMSC field first, as AT+CMGL prints them), one JSON object per PDU.
    Decode(DecodeArgs),
}

/// Arguments of `simfleet pdu encode`.
#[derive(Debug, Clone, Args)]
pub struct EncodeArgs {
    /// Destination: +international or national digits.
    #[arg(long)]
    pub to: String,
    /// The message text; "-" reads it from standard input (one trailing newline dropped).
    #[arg(long, allow_hyphen_values = true)]
    pub text: String,
    /// Service centre number; by default the SIM's own is used (SMSC field "00").
    #[arg(long)]
    pub smsc: Option<String>,
    /// Request a delivery status report.
    #[arg(long)]
    pub status_report: bool,
    /// Relative validity period in minutes (5 min to 63 weeks; rounded up to the spec's scale).
    #[arg(long, value_name = "N")]
    pub validity_minutes: Option<u32>,
    /// Use 16-bit concatenation references (IEI 0x08) instead of 8-bit.
    #[arg(long)]
    pub ref16: bool,
    /// Concatenation reference to use for a multi-part message [default: random].
    #[arg(long, value_name = "N")]
    pub concat_ref: Option<u16>,
    /// National language shift tables the encoder may use when they save segments (es, pt, tr).
    #[arg(long, value_delimiter = ',', value_parser = parse_language, value_name = "LANGS")]
    pub national: Vec<NationalLanguage>,
    /// Send as a class 0 "flash" message, shown at once and not stored.
    #[arg(long)]
    pub flash: bool,
    /// Replace typographic quotes, dashes, ellipsis and no-break spaces when that keeps the text GSM 7-bit.
    #[arg(long)]
    pub normalize_punctuation: bool,
}

/// Arguments of `simfleet pdu decode`.
#[derive(Debug, Clone, Args)]
pub struct DecodeArgs {
    /// PDUs in hex; without any, one PDU per line is read from standard input.
    pub pdus: Vec<String>,
}

fn parse_language(code: &str) -> Result<NationalLanguage, String> {
    NationalLanguage::from_code(code).ok_or_else(|| {
        let known: Vec<_> = NationalLanguage::ALL.iter().map(|l| l.code()).collect();
        format!("unknown national language {code:?} (known: {})", known.join(", "))
    })
}

/// Why a `pdu` command failed as a whole.
#[derive(Debug, Error)]
pub enum PduCliError {
    /// The message cannot be encoded as asked.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Reading input or writing output failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Serialize)]
struct EncodedLine {
    pdu: String,
    tpdu_length: usize,
    encoding: &'static str,
    segment: usize,
    segments: usize,
    /// Present (true) only when typographic punctuation was replaced.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    normalized: bool,
}

/// Runs `pdu encode`, reading the text from `stdin` when it is "-".
pub fn encode(args: &EncodeArgs, stdin: &mut dyn BufRead, out: &mut dyn Write) -> Result<(), PduCliError> {
    let text = if args.text == "-" {
        let mut text = String::new();
        stdin.read_to_string(&mut text)?;
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        text
    } else {
        args.text.clone()
    };
    let to = Address::parse_number(&args.to)?;
    let smsc = args.smsc.as_deref().map(Address::parse_number).transpose()?;
    let plan = sms::plan(
        &text,
        &SplitOptions {
            national: args.national.clone(),
            wide_ref: args.ref16,
            normalize_punctuation: args.normalize_punctuation,
        },
    )?;
    let options = SubmitOptions {
        smsc,
        status_report: args.status_report,
        validity_minutes: args.validity_minutes,
        flash: args.flash,
        reject_duplicates: false,
    };
    let concat_ref = args.concat_ref.unwrap_or_else(rand::random);
    for pdu in sms::encode_submit(&to, &plan, &options, concat_ref)? {
        let line = EncodedLine {
            pdu: pdu.hex(),
            tpdu_length: pdu.tpdu_length(),
            encoding: pdu.encoding.as_str(),
            segment: pdu.segment,
            segments: pdu.segments,
            normalized: plan.normalized,
        };
        writeln!(out, "{}", json_line(&line))?;
    }
    Ok(())
}

#[derive(Serialize)]
struct ConcatJson {
    #[serde(rename = "ref")]
    reference: u16,
    total: u8,
    seq: u8,
}

#[derive(Serialize)]
struct StatusJson {
    code: u8,
    category: &'static str,
    description: &'static str,
}

#[derive(Serialize)]
struct DecodedLine {
    #[serde(rename = "type")]
    kind: &'static str,
    smsc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient: Option<String>,
    text: Option<String>,
    data_hex: Option<String>,
    encoding: &'static str,
    concat: Option<ConcatJson>,
    timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    discharge_time: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_ref: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<StatusJson>,
    class: Option<u8>,
}

#[derive(Serialize)]
struct ErrorLine {
    error: String,
}

impl DecodedLine {
    fn new(kind: &'static str, pdu: &Pdu) -> Self {
        Self {
            kind,
            smsc: pdu.smsc.as_ref().map(ToString::to_string),
            sender: None,
            recipient: None,
            text: None,
            data_hex: None,
            encoding: "gsm7",
            concat: None,
            timestamp: None,
            discharge_time: None,
            message_ref: None,
            status: None,
            class: None,
        }
    }

    fn with_user_data(mut self, ud: &UserData, dcs: &sms::Dcs) -> Self {
        self.encoding = dcs.encoding.as_str();
        self.class = dcs.class;
        match &ud.content {
            Content::Data(bytes) => {
                self.encoding = sms::Encoding::EightBit.as_str();
                self.data_hex = Some(sms::hex::encode_hex(bytes));
            }
            content => self.text = content.text(),
        }
        self.concat = ud.header.as_ref().and_then(|h| h.concat).map(|c| ConcatJson {
            reference: c.reference,
            total: c.total,
            seq: c.seq,
        });
        self
    }
}

fn describe(pdu: &Pdu) -> DecodedLine {
    match &pdu.tpdu {
        Tpdu::Deliver(d) => DecodedLine {
            sender: Some(d.sender.to_string()),
            timestamp: d.timestamp.map(|t| t.to_rfc3339()),
            ..DecodedLine::new("deliver", pdu)
        }
        .with_user_data(&d.user_data, &d.dcs),
        Tpdu::Submit(s) => DecodedLine {
            recipient: Some(s.recipient.to_string()),
            message_ref: Some(s.message_ref),
            ..DecodedLine::new("submit", pdu)
        }
        .with_user_data(&s.user_data, &s.dcs),
        Tpdu::StatusReport(r) => {
            let line = DecodedLine {
                recipient: Some(r.recipient.to_string()),
                message_ref: Some(r.message_ref),
                timestamp: r.sc_timestamp.map(|t| t.to_rfc3339()),
                discharge_time: Some(r.discharge_time.map(|t| t.to_rfc3339())),
                status: Some(StatusJson {
                    code: r.status.code,
                    category: r.status.category.as_str(),
                    description: r.status.description(),
                }),
                ..DecodedLine::new("status-report", pdu)
            };
            match (&r.user_data, &r.dcs) {
                (Some(ud), dcs) => line.with_user_data(ud, &dcs.unwrap_or(sms::Dcs::parse(0))),
                _ => line,
            }
        }
    }
}

/// Lines of an AT transcript that are not PDUs (`+CMGL: 1,0,,39`, `OK`),
/// skipped so a pasted `AT+CMGL=4` answer decodes as is.
fn is_at_framing(line: &str) -> bool {
    ["+CMGL:", "+CMGR:", "+CMT:", "+CDS:", "AT"]
        .iter()
        .any(|p| line.starts_with(p))
        || line == "OK"
}

/// Runs `pdu decode`. Returns whether every PDU decoded.
pub fn decode(args: &DecodeArgs, stdin: &mut dyn BufRead, out: &mut dyn Write) -> Result<bool, PduCliError> {
    let mut all_ok = true;
    let mut one = |hex: &str, out: &mut dyn Write| -> Result<(), PduCliError> {
        let line = match sms::decode_hex_pdu(hex) {
            Ok(pdu) => json_line(&describe(&pdu)),
            Err(e) => {
                all_ok = false;
                json_line(&ErrorLine { error: e.to_string() })
            }
        };
        writeln!(out, "{line}")?;
        Ok(())
    };
    if args.pdus.is_empty() {
        for line in stdin.lines() {
            let line = line?;
            let line = line.trim();
            if !line.is_empty() && !is_at_framing(line) {
                one(line, out)?;
            }
        }
    } else {
        for hex in &args.pdus {
            one(hex, out)?;
        }
    }
    Ok(all_ok)
}

fn json_line<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail; an empty object is a
    // safe fallback all the same.
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_string())
}
