//! Contacts: the people a business may text, with the consent that lets it
//! (`opted_in`, `pending` a double opt-in, `none`), tags, typed attributes,
//! a time zone and a language. This module owns the model and its rules
//! (what a change may do to consent, which values an attribute may hold);
//! the store keeps them, the API and the CLI read and write them.
//!
//! An opt-out is not a field of the contact: it lives in the opt-out list
//! by number, outlives the contact (deleting a contact erases its personal
//! data, never its opt-out) and wins over any consent.

pub mod consent;
pub mod csv_export;
pub mod csv_import;
pub mod fields;
pub mod hygiene;
pub mod model;
pub mod save;
pub mod time_zone;

pub use model::{
    AttrType, AttrValue, Attributes, Consent, ConsentStatus, Contact, ContactChanges, ContactStatus,
    InvalidValue, TimeZoneSource, fold,
};
pub use save::{ContactRules, save};
