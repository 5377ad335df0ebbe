//! Double opt-in: the confirmation request sent to a pending contact, and
//! what a YES does.

use super::save::ContactRules;
use crate::store::{ContactError, Tx};

/// Enqueues the confirmation request to the pending contact `id` and
/// records it on the contact.
pub fn request_confirmation(tx: &mut Tx<'_>, rules: &ContactRules, id: i64) -> Result<(), ContactError> {
    // The request itself comes with the double opt-in work.
    let _ = (tx, rules, id);
    Ok(())
}
