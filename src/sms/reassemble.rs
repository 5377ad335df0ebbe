//! Many parts → one message (TS 23.040 §9.2.3.24.1): parts are joined per
//! sender, reference and part count, in sequence order, whatever order
//! they arrived in. Pure: the durable, restart-proof reassembly of the
//! gateway keeps its parts in the store and calls this to join them.

use super::user_data::Content;

/// One received part, as far as joining is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Who sent it (joined only with parts from the same sender).
    pub sender: String,
    /// Concatenation (reference, total, seq, wide_ref), or `None` for a single SMS.
    pub concat: Option<(u16, u8, u8, bool)>,
    /// Its content.
    pub content: Content,
}

impl Part {
    /// The part a received SMS-DELIVER is, joined under `sender`.
    pub fn of(d: &super::Deliver, sender: impl Into<String>) -> Part {
        Part {
            sender: sender.into(),
            concat: d
                .user_data
                .header
                .as_ref()
                .and_then(|h| h.concat)
                .map(|c| (c.reference, c.total, c.seq, c.wide_ref)),
            content: d.user_data.content.clone(),
        }
    }
}

/// A message joined from one or more parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The sender.
    pub sender: String,
    /// Positions of the parts in the input, in sequence order.
    pub parts: Vec<usize>,
    /// Parts expected (1 for a single SMS).
    pub total: u8,
    /// Whether every part is present.
    pub complete: bool,
    /// The text, missing parts left out; `None` for data.
    pub text: Option<String>,
    /// Joined 8-bit data, if this is data.
    pub data: Option<Vec<u8>>,
}

/// Groups and joins `parts`. Output follows the first appearance of each
/// message in the input. A repeated part (same sequence number) counts once.
pub fn join(parts: &[Part]) -> Vec<Joined> {
    type Key<'a> = (&'a str, u16, u8, bool);
    let mut groups: Vec<(Option<Key<'_>>, Vec<usize>)> = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let key = part.concat.map(|(r, t, _, w)| (part.sender.as_str(), r, t, w));
        match key.and_then(|k| groups.iter_mut().find(|(g, _)| *g == Some(k))) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    groups
        .into_iter()
        .map(|(key, mut members)| {
            members.sort_by_key(|&i| parts[i].concat.map_or(0, |c| c.2));
            members.dedup_by_key(|i| parts[*i].concat.map_or(0, |c| c.2));
            let total = key.map_or(1, |k| k.2);
            let mut units: Vec<u16> = Vec::new();
            let mut text = String::new();
            let mut data: Vec<u8> = Vec::new();
            let mut is_data = false;
            for &i in &members {
                match &parts[i].content {
                    Content::Text(t) => {
                        flush_units(&mut units, &mut text);
                        text.push_str(t);
                    }
                    // Units are joined first, so a surrogate pair split
                    // across parts by a careless sender comes back whole.
                    Content::Ucs2(u) => units.extend_from_slice(u),
                    Content::Data(d) => {
                        is_data = true;
                        data.extend_from_slice(d);
                    }
                }
            }
            flush_units(&mut units, &mut text);
            Joined {
                sender: parts[members[0]].sender.clone(),
                complete: members.len() == usize::from(total),
                parts: members,
                total,
                text: (!is_data).then_some(text),
                data: is_data.then_some(data),
            }
        })
        .collect()
}

fn flush_units(units: &mut Vec<u16>, text: &mut String) {
    if !units.is_empty() {
        text.push_str(&String::from_utf16_lossy(units));
        units.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(sender: &str, concat: Option<(u16, u8, u8, bool)>, text: &str) -> Part {
        Part {
            sender: sender.into(),
            concat,
            content: Content::Text(text.into()),
        }
    }

    #[test]
    fn joins_out_of_order_and_keeps_singles_apart() {
        let parts = [
            part("+1", Some((7, 3, 3, false)), "c"),
            part("+2", None, "single"),
            part("+1", Some((7, 3, 1, false)), "a"),
            part("+1", Some((7, 3, 2, false)), "b"),
            part("+3", Some((7, 3, 1, false)), "other sender"),
        ];
        let joined = join(&parts);
        assert_eq!(joined.len(), 3);
        assert_eq!(joined[0].text.as_deref(), Some("abc"));
        assert_eq!(joined[0].parts, [2, 3, 0]);
        assert!(joined[0].complete);
        assert_eq!(joined[1].text.as_deref(), Some("single"));
        assert!(!joined[2].complete);
    }

    #[test]
    fn duplicate_parts_count_once_and_split_surrogates_rejoin() {
        let emoji: Vec<u16> = "😀".encode_utf16().collect();
        let parts = [
            Part {
                sender: "+1".into(),
                concat: Some((9, 2, 1, true)),
                content: Content::Ucs2(vec![0x0041, emoji[0]]),
            },
            Part {
                sender: "+1".into(),
                concat: Some((9, 2, 2, true)),
                content: Content::Ucs2(vec![emoji[1]]),
            },
            Part {
                sender: "+1".into(),
                concat: Some((9, 2, 2, true)),
                content: Content::Ucs2(vec![emoji[1]]),
            },
        ];
        let joined = join(&parts);
        assert_eq!(joined.len(), 1);
        assert_eq!(joined[0].text.as_deref(), Some("A😀"));
        assert_eq!(joined[0].parts.len(), 2);
    }
}
