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

impl ContactRules {
    /// The rules of `[contacts]` as configured, numbers read in `region`.
    pub fn from_config(
        config: &crate::config::ContactsConfig,
        region: Region,
        split: SplitOptions,
        validity_minutes: Option<u32>,
    ) -> Self {
        ContactRules {
            region,
            default_time_zone: config.default_time_zone.clone(),
            confirmation: config.confirmation.clone(),
            split,
            validity_minutes,
        }
    }

    /// The default `[contacts]` rules, numbers read in `region` (tests, tools).
    pub fn defaults(region: Region) -> Self {
        Self::from_config(
            &crate::config::ContactsConfig::default(),
            region,
            SplitOptions::default(),
            Some(1440),
        )
    }
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
