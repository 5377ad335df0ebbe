//! The SQL of attribution: the permutation's key (made once), the durable
//! serials codes and slugs are made from, the codes and links recorded in
//! their message's transaction, redemptions (idempotent per order) and
//! clicks.

use rusqlite::{OptionalExtension, Transaction, params};
use rust_decimal::Decimal;
use thiserror::Error;

use super::unit::Tx;
use super::{Store, StoreError};
use crate::attribution::codes::CodeFormat;
use crate::attribution::links::{SLUG_DOMAIN, slug, slug_space};
use crate::attribution::permute::Permutation;
use crate::attribution::{MAX_LINKS_PER_MESSAGE, Records};

/// The name of the permutation key in `attribution_keys`.
const KEY_NAME: &str = "permutation";
/// Serials skipped at most while looking for a code no earlier format made.
const MAX_SKIPS: usize = 64;
/// Serials taken from the database at once (one commit per block, not per
/// message; a crash loses at most the rest of a block — gaps, never reuse).
const SERIAL_BLOCK: u64 = 256;

/// A promo code and whom it is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoCode {
    /// The code (upper case).
    pub code: String,
    /// The message it was sent in.
    pub message_id: i64,
    /// Its contact.
    pub contact_id: Option<i64>,
    /// Its campaign.
    pub campaign_id: Option<i64>,
    /// Its variant.
    pub variant: Option<String>,
    /// Its automation.
    pub automation_id: Option<i64>,
    /// When it was issued (unix ms).
    pub created_at: i64,
}

/// One redemption as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    /// The shop's order, if given.
    pub order_id: Option<String>,
    /// The order's amount (exact decimal).
    pub amount: Option<Decimal>,
    /// Currency of `amount`.
    pub currency: String,
    /// When it was recorded (unix ms).
    pub redeemed_at: i64,
    /// Whether it is the code's counted conversion (its first redemption).
    pub counted: bool,
}

/// What a redemption did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed {
    /// The code.
    pub code: PromoCode,
    /// This redemption (for a replayed order: the one recorded first).
    pub redemption: Redemption,
    /// The same order was reported before: nothing new was recorded.
    pub replay: bool,
    /// The code had been redeemed before by another order (or without
    /// one): recorded, not counted again.
    pub duplicate: bool,
    /// When the code was first redeemed (unix ms).
    pub first_redeemed_at: i64,
}

/// Why a redemption was refused.
#[derive(Debug, Error)]
pub enum RedeemError {
    /// No such code.
    #[error("no promo code {0}")]
    Unknown(String),
    /// The order was reported before with another amount.
    #[error("order {order_id:?} was already reported for {code} with amount {recorded}; not {given}")]
    OrderConflict {
        /// Code.
        code: String,
        /// Order.
        order_id: String,
        /// Amount recorded (or "none").
        recorded: String,
        /// Amount given now (or "none").
        given: String,
    },
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for RedeemError {
    fn from(e: rusqlite::Error) -> Self {
        RedeemError::Store(e.into())
    }
}

/// A short link and whom it is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    /// Slug.
    pub slug: String,
    /// Where it leads (with UTM parameters).
    pub destination: String,
    /// Its message.
    pub message_id: i64,
    /// Its contact.
    pub contact_id: Option<i64>,
    /// Its campaign.
    pub campaign_id: Option<i64>,
    /// Its variant.
    pub variant: Option<String>,
}

/// The permutation key, made on first use from the OS's CSPRNG and kept.
fn key(tx: &Transaction<'_>) -> Result<Vec<u8>, StoreError> {
    let fresh: [u8; 32] = rand::random();
    tx.prepare_cached("INSERT OR IGNORE INTO attribution_keys (name, key) VALUES (?1, ?2)")?
        .execute(params![KEY_NAME, &fresh[..]])?;
    Ok(tx
        .prepare_cached("SELECT key FROM attribution_keys WHERE name = ?1")?
        .query_row([KEY_NAME], |r| r.get(0))?)
}

/// Takes `n` serials of `domain`: the first of them.
fn take_serials(tx: &Transaction<'_>, domain: &str, n: u64) -> Result<u64, StoreError> {
    let next: i64 = tx
        .prepare_cached(
            "INSERT INTO attribution_serials (domain, next) VALUES (?1, ?2)
             ON CONFLICT (domain) DO UPDATE SET next = next + ?2 RETURNING next",
        )?
        .query_row(params![domain, n as i64], |r| r.get(0))?;
    Ok((next as u64).saturating_sub(n))
}

fn bad_domain(domain: &str) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(
        format!("attribution domain {domain} has no permutation").into(),
    ))
}

fn promo_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PromoCode> {
    Ok(PromoCode {
        code: r.get(0)?,
        message_id: r.get(1)?,
        contact_id: r.get(2)?,
        campaign_id: r.get(3)?,
        variant: r.get(4)?,
        automation_id: r.get(5)?,
        created_at: r.get(6)?,
    })
}

fn redemption_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Redemption> {
    let amount: Option<String> = r.get(1)?;
    Ok(Redemption {
        order_id: r.get(0)?,
        amount: amount.and_then(|a| a.parse().ok()),
        currency: r.get(2)?,
        redeemed_at: r.get(3)?,
        counted: r.get::<_, i64>(4)? == 1,
    })
}

/// Writes `rec`'s code and links for message `message_id` (in the
/// message's transaction).
pub(super) fn record(
    tx: &Transaction<'_>,
    rec: &Records,
    message_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    let t = &rec.target;
    if let Some(code) = &rec.code {
        tx.prepare_cached(
            "INSERT INTO promo_codes (code, message_id, contact_id, campaign_id, variant, automation_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            code,
            message_id,
            t.contact_id,
            t.campaign_id,
            t.variant,
            t.automation_id,
            now
        ])?;
    }
    for (slug, destination) in &rec.links {
        tx.prepare_cached(
            "INSERT INTO links (slug, destination, message_id, contact_id, campaign_id, variant, automation_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            slug,
            destination,
            message_id,
            t.contact_id,
            t.campaign_id,
            t.variant,
            t.automation_id,
            now
        ])?;
    }
    Ok(())
}

impl Tx<'_> {
    /// Records a prepared message's promo code and short links
    /// ([`crate::attribution::prepare`]) for message `message_id`, in this
    /// transaction — the one that enqueues the message.
    pub fn record_attribution(&mut self, rec: &Records, message_id: i64) -> Result<(), StoreError> {
        record(&self.tx, rec, message_id, self.now)
    }
}

impl Store {
    /// The permutation key and `n` serials of `domain` (n ≤
    /// [`SERIAL_BLOCK`]): from this store's block, a new block taken (and
    /// committed) when it runs out.
    fn serials(&self, domain: &str, n: u64) -> Result<(Vec<u8>, Vec<u64>), StoreError> {
        let mut blocks = self
            .inner
            .serial_blocks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let key = key(&tx)?;
        let mut out = Vec::with_capacity(n as usize);
        while (out.len() as u64) < n {
            let block = blocks.entry(domain.to_string()).or_insert((0, 0));
            if block.0 >= block.1 {
                let first = take_serials(&tx, domain, SERIAL_BLOCK)?;
                *block = (first, first + SERIAL_BLOCK);
            }
            out.push(block.0);
            block.0 += 1;
        }
        tx.commit()?;
        Ok((key, out))
    }

    /// Reserves the next promo code of `format` (a serial of its domain
    /// through the keyed permutation). A code an earlier format already
    /// issued is skipped.
    pub fn reserve_promo_code(&self, format: &CodeFormat) -> Result<String, StoreError> {
        let domain = format.domain();
        let mut code = String::new();
        for _ in 0..MAX_SKIPS {
            let (key, serials) = self.serials(&domain, 1)?;
            let perm = Permutation::new(&key, &domain, format.space()).ok_or_else(|| bad_domain(&domain))?;
            code = format.code(&perm, serials[0]);
            let taken = self
                .reader()
                .prepare_cached("SELECT 1 FROM promo_codes WHERE code = ?1")?
                .query_row([code.to_ascii_uppercase()], |_| Ok(()))
                .optional()?
                .is_some();
            if !taken {
                break;
            }
        }
        Ok(code)
    }

    /// Reserves `n` short-link slugs (at most [`MAX_LINKS_PER_MESSAGE`]).
    pub fn reserve_slugs(&self, n: usize) -> Result<Vec<String>, StoreError> {
        let n = n.min(MAX_LINKS_PER_MESSAGE);
        if n == 0 {
            return Ok(Vec::new());
        }
        let (key, serials) = self.serials(SLUG_DOMAIN, n as u64)?;
        let perm =
            Permutation::new(&key, SLUG_DOMAIN, slug_space()).ok_or_else(|| bad_domain(SLUG_DOMAIN))?;
        Ok(serials.into_iter().map(|s| slug(&perm, s)).collect())
    }

    /// Promo code `code` (normalised, upper case).
    pub fn promo_code(&self, code: &str) -> Result<Option<PromoCode>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(
                "SELECT code, message_id, contact_id, campaign_id, variant, automation_id, created_at
                 FROM promo_codes WHERE code = ?1",
            )?
            .query_row([code], promo_row)
            .optional()?)
    }

    /// The promo code of message `message_id`, if it had one.
    pub fn promo_code_of_message(&self, message_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(
                "SELECT code FROM promo_codes INDEXED BY promo_codes_by_message WHERE message_id = ?1",
            )?
            .query_row([message_id], |r| r.get(0))
            .optional()?)
    }

    /// Redemptions of `code`, oldest first, at most `limit`.
    pub fn promo_redemptions(&self, code: &str, limit: usize) -> Result<Vec<Redemption>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT order_id, amount, currency, redeemed_at, counted FROM promo_redemptions
             WHERE code = ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![code, limit as i64], redemption_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a redemption of `code` (normalised) by `order_id` for
    /// `amount` in `currency` at `now`, in one transaction: the same order
    /// again is a replay (the first answer, nothing written; another
    /// amount is [`RedeemError::OrderConflict`]); the code's first
    /// redemption is the counted conversion, later ones are recorded as
    /// duplicates.
    pub fn redeem_promo_code(
        &self,
        code: &str,
        order_id: Option<&str>,
        amount: Option<Decimal>,
        currency: &str,
        now: i64,
    ) -> Result<Redeemed, RedeemError> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(StoreError::from)?;
        let promo = tx
            .prepare_cached(
                "SELECT code, message_id, contact_id, campaign_id, variant, automation_id, created_at
                 FROM promo_codes WHERE code = ?1",
            )?
            .query_row([code], promo_row)
            .optional()?
            .ok_or_else(|| RedeemError::Unknown(code.to_string()))?;
        let first: Option<i64> = tx
            .prepare_cached("SELECT min(redeemed_at) FROM promo_redemptions WHERE code = ?1")?
            .query_row([code], |r| r.get(0))?;
        if let Some(order) = order_id {
            let earlier = tx
                .prepare_cached(
                    "SELECT order_id, amount, currency, redeemed_at, counted FROM promo_redemptions
                     WHERE code = ?1 AND order_id = ?2",
                )?
                .query_row(params![code, order], redemption_row)
                .optional()?;
            if let Some(earlier) = earlier {
                let same = match (earlier.amount, amount) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => true,
                    // An amount added on a repeat, or left out: the first stands.
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                };
                if !same {
                    let show =
                        |a: Option<Decimal>| a.map_or("none".to_string(), |d| d.normalize().to_string());
                    return Err(RedeemError::OrderConflict {
                        code: code.to_string(),
                        order_id: order.to_string(),
                        recorded: show(earlier.amount),
                        given: show(amount),
                    });
                }
                return Ok(Redeemed {
                    code: promo,
                    duplicate: !earlier.counted,
                    first_redeemed_at: first.unwrap_or(earlier.redeemed_at),
                    redemption: earlier,
                    replay: true,
                });
            }
        }
        let counted = first.is_none();
        let amount_text = amount.map(|a| a.normalize().to_string());
        tx.prepare_cached(
            "INSERT INTO promo_redemptions (code, order_id, amount, currency, redeemed_at, counted)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            code,
            order_id,
            amount_text,
            currency,
            now,
            counted as i64
        ])?;
        tx.commit().map_err(StoreError::from)?;
        Ok(Redeemed {
            code: promo,
            redemption: Redemption {
                order_id: order_id.map(str::to_string),
                amount: amount.map(|a| a.normalize()),
                currency: currency.to_string(),
                redeemed_at: now,
                counted,
            },
            replay: false,
            duplicate: !counted,
            first_redeemed_at: first.unwrap_or(now),
        })
    }

    /// Short link `slug`.
    pub fn link(&self, slug: &str) -> Result<Option<LinkRow>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(
                "SELECT slug, destination, message_id, contact_id, campaign_id, variant FROM links WHERE slug = ?1",
            )?
            .query_row([slug], |r| {
                Ok(LinkRow {
                    slug: r.get(0)?,
                    destination: r.get(1)?,
                    message_id: r.get(2)?,
                    contact_id: r.get(3)?,
                    campaign_id: r.get(4)?,
                    variant: r.get(5)?,
                })
            })
            .optional()?)
    }

    /// Short links of message `message_id`: `(slug, destination)`.
    pub fn links_of_message(&self, message_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT slug, destination FROM links INDEXED BY links_by_message WHERE message_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map([message_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a request for short link `slug` at `now`: a person's click
    /// (`machine` = `None`) or a machine's with why (not counted). The
    /// user agent is kept, cut to 300 characters.
    pub fn record_click(
        &self,
        slug: &str,
        now: i64,
        machine: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<(), StoreError> {
        let ua: Option<String> = user_agent.map(|u| u.chars().take(300).collect());
        self.writer()
            .prepare_cached(
                "INSERT INTO link_clicks (slug, at, bot, bot_reason, user_agent) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![slug, now, machine.is_some() as i64, machine, ua])?;
        Ok(())
    }

    /// Requests for `slug`: `(clicks by people, requests by machines)`.
    pub fn link_clicks(&self, slug: &str) -> Result<(u64, u64), StoreError> {
        let (total, bots): (i64, i64) = self
            .reader()
            .prepare_cached(
                "SELECT count(*) FILTER (WHERE bot = 0), count(*) FILTER (WHERE bot = 1) FROM link_clicks WHERE slug = ?1",
            )?
            .query_row([slug], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok((total.max(0) as u64, bots.max(0) as u64))
    }
}
