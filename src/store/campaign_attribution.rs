//! Attributing a received reply to the campaign message it answers, inside
//! the transaction that stores the reply: the most recent campaign message
//! sent to the sender's number from the SIM the reply arrived on, within
//! `campaigns.attribution_days`. A person answers the number that texted
//! them, so a message from another SIM (another number to them) is not the
//! one answered, and one older than the window is too old to credit. A
//! reply counted as a vote in a survey that another message asked answers
//! that survey, not the campaign.
//!
//! The recipient keeps its first reply (`reply_id`, `replied_at`), an
//! opt-out attributed to it (`opted_out_at`; a STOP is an opt-out, not a
//! reply: it never counts for a variant in an A/B test), and a
//! survey vote when the survey that counted the vote asked its question with
//! this very campaign message (`survey_recipients.message_id`): a vote in an
//! unrelated survey is not the campaign's.

use rusqlite::{OptionalExtension, params};

use super::StoreError;
use super::unit::Tx;

/// A reply to attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignReply<'a> {
    /// Inbox id of the reply.
    pub inbox_id: i64,
    /// Sender, canonical.
    pub sender: &'a str,
    /// SIM it arrived on; `None` (unknown) attributes nothing.
    pub sim_imsi: Option<&'a str>,
    /// The reply opted the number out.
    pub opted_out: bool,
    /// How far back a campaign message may be (ms), `campaigns.attribution_days`.
    pub window_ms: i64,
    /// When the reply arrived (unix ms): the window ends here, and it is
    /// the reply's time (a message stored incomplete is stored later).
    pub received_at: i64,
}

/// The recipient a reply was attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attributed {
    /// Campaign.
    pub campaign_id: i64,
    /// Recipient's place in the audience.
    pub seq: i64,
    /// The campaign message answered.
    pub message_id: i64,
    /// The survey option recorded as its vote, if the reply was one.
    pub vote: Option<String>,
}

impl Tx<'_> {
    /// Attributes reply `r` to the campaign message it
    /// answers, if any: sets the recipient's first reply, its opt-out and
    /// its vote. Returns whom it was attributed to.
    pub fn attribute_campaign_reply(
        &mut self,
        r: &CampaignReply<'_>,
    ) -> Result<Option<Attributed>, StoreError> {
        let Some(imsi) = r.sim_imsi else {
            return Ok(None);
        };
        // A message that may have reached the network (unknown) counts: the
        // reply says it did.
        let found: Option<(i64, i64, i64)> = self
            .tx
            .prepare_cached(
                "SELECT cr.campaign_id, cr.seq, m.id FROM messages m
                 JOIN campaign_recipients cr ON cr.message_id = m.id
                 WHERE m.recipient = ?1 AND m.category = 'marketing' AND m.campaign_id IS NOT NULL
                   AND m.sim_imsi = ?2 AND (m.sent_at IS NOT NULL OR m.status = 'unknown')
                   AND coalesce(m.sent_at, m.updated_at) BETWEEN ?3 AND ?4
                   AND cr.message_id IS NOT NULL
                 ORDER BY coalesce(m.sent_at, m.updated_at) DESC, m.id DESC LIMIT 1",
            )?
            .query_row(
                params![r.sender, imsi, r.received_at - r.window_ms, r.received_at],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((campaign_id, seq, message_id)) = found else {
            return Ok(None);
        };
        // A vote in a survey some other message asked answers that survey,
        // not the campaign.
        let elsewhere: bool = self
            .tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM survey_responses r
                   JOIN survey_recipients sr ON sr.survey_id = r.survey_id AND sr.number = r.number
                   WHERE r.inbox_id = ?1 AND r.option IS NOT NULL AND sr.message_id IS NOT ?2)",
            )?
            .query_row(params![r.inbox_id, message_id], |row| row.get(0))?;
        if elsewhere {
            return Ok(None);
        }
        // The vote this reply cast in a survey asked by this message.
        let vote: Option<(String, bool)> = self
            .tx
            .prepare_cached(
                "SELECT r.option, s.count_mode = 'last' FROM survey_responses r
                 JOIN survey_recipients sr ON sr.survey_id = r.survey_id AND sr.number = r.number
                 JOIN surveys s ON s.id = r.survey_id
                 WHERE r.inbox_id = ?1 AND r.option IS NOT NULL AND sr.message_id = ?2
                 ORDER BY r.id DESC LIMIT 1",
            )?
            .query_row(params![r.inbox_id, message_id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        let (option, last_counts) = match &vote {
            Some((o, last)) => (Some(o.as_str()), *last),
            None => (None, false),
        };
        self.tx
            .prepare_cached(
                "UPDATE campaign_recipients SET
                    reply_id = CASE WHEN ?5 THEN reply_id ELSE coalesce(reply_id, ?3) END,
                    replied_at = CASE WHEN ?5 THEN replied_at ELSE coalesce(replied_at, ?4) END,
                    opted_out_at = CASE WHEN ?5 THEN coalesce(opted_out_at, ?4) ELSE opted_out_at END,
                    vote = CASE WHEN ?6 IS NULL THEN vote WHEN vote IS NULL OR ?7 THEN ?6 ELSE vote END
                 WHERE campaign_id = ?1 AND seq = ?2",
            )?
            .execute(params![
                campaign_id,
                seq,
                r.inbox_id,
                r.received_at,
                r.opted_out,
                option,
                last_counts
            ])?;
        Ok(Some(Attributed {
            campaign_id,
            seq,
            message_id,
            vote: option.map(str::to_string),
        }))
    }
}
