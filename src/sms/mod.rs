//! The SMS PDU codec: pure functions on bytes and strings, no I/O.
//!
//! One file per spec layer, bottom up:
//! - [`alphabet`], [`septets`], [`normalize`]: TS 23.038 characters, packing.
//! - [`address`], [`dcs`], [`timestamp`], [`validity`], [`udh`]: TS 23.040 fields.
//! - [`split`]: encoding choice and segmentation of a text.
//! - [`submit`], [`deliver`], [`status_report`]: the three TPDUs simfleet meets.
//! - [`pdu`]: a whole PDU as modems print it, SMSC field first.
//!
//! Decoders take outside input: every read is length-checked, every error
//! names the field, and no input can panic or allocate without bound.

pub mod address;
pub mod alphabet;
pub mod control;
pub mod dcs;
pub mod deliver;
pub mod error;
pub mod hex;
pub mod normalize;
pub mod pdu;
mod reader;
pub mod reassemble;
pub mod septets;
pub mod split;
pub mod status_report;
pub mod submit;
pub mod timestamp;
pub mod udh;
pub mod user_data;
pub mod validity;

pub use address::{Address, AddressKind};
pub use alphabet::{Charset, NationalLanguage};
pub use control::{ControlCharacter, check_text};
pub use dcs::{Dcs, Encoding};
pub use deliver::{Deliver, encode_deliver};
pub use error::{DecodeError, EncodeError};
pub use pdu::{Pdu, Tpdu, decode, decode_hex_pdu, decode_tpdu};
pub use split::{SplitOptions, TextPlan, plan};
pub use status_report::{DeliveryStatus, StatusCategory, StatusReport, encode_status_report};
pub use submit::{EncodedPdu, Submit, SubmitOptions, encode_submit};
pub use udh::{Concat, UserDataHeader};
pub use user_data::{Content, UserData};
