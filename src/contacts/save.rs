//! Saving a contact: the one path the API, the CSV import and replies (a
//! join keyword, a YES) take, so that every new `pending` contact gets its
//! double opt-in request in the same transaction that stores it.

use std::collections::BTreeMap;

use super::ContactChanges;
use crate::phone::{Msisdn, Region};
use crate::sms::SplitOptions;
use crate::store::{ContactError, Tx, Upserted};

/// How contacts are read and what they are sent, from `[contacts]`.
#[derive(Debug, Clone)]
pub struct ContactRules {
    /// How national numbers are read.
    pub region: Region,
    /// IANA zone for numbers whose country has several
    /// (`contacts.default_time_zone`).
    pub default_time_zone: String,
    /// The double opt-in request by language (`en`, `ru`, …), with
    /// `default` for any other.
    pub confirmation: BTreeMap<String, String>,
    /// How the request is encoded.
    pub split: SplitOptions,
    /// Validity of the request (minutes).
    pub validity_minutes: Option<u32>,
}

/// Creates or updates the contact `phone`; a contact that just became
/// `pending` is sent its confirmation request (once).
pub fn save(
    tx: &mut Tx<'_>,
    rules: &ContactRules,
    phone: &Msisdn,
    changes: &ContactChanges,
) -> Result<Upserted, ContactError> {
    let number_zone = super::time_zone::of_number(phone);
    let saved = tx.upsert_contact(phone.as_str(), changes, number_zone)?;
    if saved.confirm {
        super::consent::request_confirmation(tx, rules, saved.id)?;
    }
    Ok(saved)
}
