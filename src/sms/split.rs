//! Choosing an encoding and splitting text into segments (TS 23.040
//! §9.2.3.24.1, TS 23.038 §6.2.1.2).
//!
//! The plan picks the encoding that needs the fewest segments: the default
//! GSM 7-bit alphabet whenever the text fits it and nothing does better;
//! UCS-2 otherwise; national shift tables only when enabled and only when
//! they save a segment over both (not every handset has them, so a tie goes
//! to the universally supported choice). Segment capacity follows from the
//! header actually sent, and no segment ends inside an escape sequence or
//! a surrogate pair.

use super::alphabet::{Charset, Code, ESCAPE, NationalLanguage};
use super::dcs::Encoding;
use super::error::EncodeError;
use super::normalize::normalize_punctuation;
use super::septets::header_septets;

/// Most segments one message may have (the concat count is one octet).
pub const MAX_SEGMENTS: usize = 255;
/// Septets in one SMS without a header.
pub const SEPTETS_PER_SMS: usize = 160;
/// Octets of user data in one SMS.
pub const OCTETS_PER_SMS: usize = 140;

/// What the caller allows the encoder to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplitOptions {
    /// National languages whose shift tables may be used (off when empty).
    pub national: Vec<NationalLanguage>,
    /// Use the 16-bit concatenation reference (IEI 0x08) instead of 8-bit.
    pub wide_ref: bool,
    /// Replace typographic punctuation when that keeps the text in GSM 7-bit.
    pub normalize_punctuation: bool,
}

/// One segment's payload, before the header is added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentBody {
    /// GSM 7-bit septets (escapes included).
    Septets(Vec<u8>),
    /// UCS-2 code units.
    Ucs2(Vec<u16>),
}

/// A text ready to be put into PDUs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextPlan {
    /// The text that will be sent (after normalisation, if applied).
    pub text: String,
    /// Whether typographic punctuation was replaced.
    pub normalized: bool,
    /// GSM 7-bit or UCS-2.
    pub encoding: Encoding,
    /// The tables used for GSM 7-bit (default unless national tables help).
    pub charset: Charset,
    /// Whether concatenation uses the 16-bit reference.
    pub wide_ref: bool,
    /// The segments, in order.
    pub segments: Vec<SegmentBody>,
}

impl TextPlan {
    /// Number of segments (SMS) the text takes.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }
}

/// Plans `text` under `options`.
pub fn plan(text: &str, options: &SplitOptions) -> Result<TextPlan, EncodeError> {
    let best = best_layout(text, options);
    if options.normalize_punctuation {
        let normalized = normalize_punctuation(text);
        if normalized != text {
            let alt = best_layout(&normalized, options);
            let helps = alt.encoding == Encoding::Gsm7 && alt.segments <= best.segments;
            if helps {
                return build(&normalized, alt, options.wide_ref, true);
            }
        }
    }
    build(text, best, options.wide_ref, false)
}

/// Segments `text` would take under `options`, without building them.
pub fn count_segments(text: &str, options: &SplitOptions) -> usize {
    best_layout(text, options).segments
}

#[derive(Debug, Clone, Copy)]
struct Layout {
    encoding: Encoding,
    charset: Charset,
    segments: usize,
    /// Lower wins a tie: default GSM 7-bit, then UCS-2, then national
    /// tables by the number of shift elements they add.
    rank: u8,
}

/// Header octets (TP-UDHL included) for a layout; 0 when no header is needed.
fn header_octets(multipart: bool, wide_ref: bool, charset: Charset) -> usize {
    let mut ies = 0;
    if multipart {
        ies += if wide_ref { 6 } else { 5 };
    }
    if charset.locking.is_some() {
        ies += 3;
    }
    if charset.single.is_some() {
        ies += 3;
    }
    if ies == 0 { 0 } else { 1 + ies }
}

/// Capacity of one segment, in septets (GSM 7-bit) or UTF-16 units (UCS-2).
fn capacity(encoding: Encoding, multipart: bool, wide_ref: bool, charset: Charset) -> usize {
    let header = header_octets(multipart, wide_ref, charset);
    match encoding {
        Encoding::Gsm7 => SEPTETS_PER_SMS - header_septets(header),
        _ => (OCTETS_PER_SMS - header) / 2,
    }
}

/// Greedy packing of indivisible units into segments of `cap`.
fn count_greedy(costs: impl Iterator<Item = usize>, cap: usize) -> usize {
    let mut segments = 1;
    let mut used = 0;
    for cost in costs {
        if used + cost > cap {
            segments += 1;
            used = 0;
        }
        used += cost;
    }
    segments
}

/// The layout of `text` in GSM 7-bit with `charset`, if every character fits.
fn gsm7_layout(text: &str, charset: Charset, wide_ref: bool, rank: u8) -> Option<Layout> {
    let costs: Vec<usize> = text
        .chars()
        .map(|c| charset.septets_of(c))
        .collect::<Option<_>>()?;
    Some(layout_from_costs(costs, Encoding::Gsm7, charset, wide_ref, rank))
}

/// The layout of `text` in UCS-2, which encodes every text.
fn ucs2_layout(text: &str, wide_ref: bool) -> Layout {
    let costs = text.chars().map(char::len_utf16).collect();
    layout_from_costs(costs, Encoding::Ucs2, Charset::DEFAULT, wide_ref, 1)
}

fn layout_from_costs(
    costs: Vec<usize>,
    encoding: Encoding,
    charset: Charset,
    wide_ref: bool,
    rank: u8,
) -> Layout {
    let total: usize = costs.iter().sum();
    let segments = if total <= capacity(encoding, false, wide_ref, charset) {
        1
    } else {
        count_greedy(costs.into_iter(), capacity(encoding, true, wide_ref, charset))
    };
    Layout {
        encoding,
        charset,
        segments,
        rank,
    }
}

fn best_layout(text: &str, options: &SplitOptions) -> Layout {
    let wide = options.wide_ref;
    let mut best = ucs2_layout(text, wide);
    let mut consider = |candidate: Option<Layout>| {
        if let Some(c) = candidate
            && (c.segments, c.rank) < (best.segments, best.rank)
        {
            best = c;
        }
    };
    consider(gsm7_layout(text, Charset::DEFAULT, wide, 0));
    if !options.national.is_empty() {
        let locking = std::iter::once(None).chain(
            options
                .national
                .iter()
                .copied()
                .filter(|l| l.has_locking_table())
                .map(Some),
        );
        for lock in locking {
            let singles = std::iter::once(None).chain(options.national.iter().copied().map(Some));
            for single in singles {
                let charset = Charset {
                    locking: lock,
                    single,
                };
                if charset == Charset::DEFAULT {
                    continue;
                }
                let rank = 1 + u8::from(lock.is_some()) + u8::from(single.is_some());
                consider(gsm7_layout(text, charset, wide, rank));
            }
        }
    }
    best
}

fn build(text: &str, layout: Layout, wide_ref: bool, normalized: bool) -> Result<TextPlan, EncodeError> {
    if layout.segments > MAX_SEGMENTS {
        return Err(EncodeError::TooManySegments {
            segments: layout.segments,
        });
    }
    let multipart = layout.segments > 1;
    let cap = capacity(layout.encoding, multipart, wide_ref, layout.charset);
    let segments = match layout.encoding {
        Encoding::Gsm7 => split_septets(text, layout.charset, cap)
            .into_iter()
            .map(SegmentBody::Septets)
            .collect(),
        _ => split_ucs2(text, cap).into_iter().map(SegmentBody::Ucs2).collect(),
    };
    Ok(TextPlan {
        text: text.to_string(),
        normalized,
        encoding: layout.encoding,
        charset: layout.charset,
        wide_ref,
        segments,
    })
}

fn split_septets(text: &str, charset: Charset, cap: usize) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    for c in text.chars() {
        let code = charset.code_of(c).unwrap_or(Code::Direct(0x3F)); // '?', unreachable by layout
        if out.last().is_some_and(|s| s.len() + code.septets() > cap) {
            out.push(Vec::with_capacity(cap));
        }
        if let Some(segment) = out.last_mut() {
            match code {
                Code::Direct(v) => segment.push(v),
                Code::Escaped(v) => segment.extend_from_slice(&[ESCAPE, v]),
            }
        }
    }
    out
}

fn split_ucs2(text: &str, cap: usize) -> Vec<Vec<u16>> {
    let mut out = vec![Vec::new()];
    let mut buf = [0u16; 2];
    for c in text.chars() {
        let units = c.encode_utf16(&mut buf);
        if out.last().is_some_and(|s| s.len() + units.len() > cap) {
            out.push(Vec::with_capacity(cap));
        }
        if let Some(s) = out.last_mut() {
            s.extend_from_slice(units);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_default(text: &str) -> TextPlan {
        plan(text, &SplitOptions::default()).unwrap()
    }

    fn national(langs: &[NationalLanguage]) -> SplitOptions {
        SplitOptions {
            national: langs.to_vec(),
            ..SplitOptions::default()
        }
    }

    #[test]
    fn text_split_gsm7_single_is_160() {
        let p = plan_default(&"0123456789".repeat(16));
        assert_eq!((p.encoding, p.segment_count()), (Encoding::Gsm7, 1));
        assert_eq!(plan_default(&"0".repeat(161)).segment_count(), 2);
    }

    #[test]
    fn text_split_gsm7_two_pdu_153_then_rest() {
        // ModemManager Text-Split/two-pdu: 161 digits → 153 + 8.
        let p = plan_default(&("0123456789".repeat(16) + "0"));
        assert_eq!(p.segment_count(), 2);
        let lens: Vec<usize> = p
            .segments
            .iter()
            .map(|s| match s {
                SegmentBody::Septets(v) => v.len(),
                SegmentBody::Ucs2(_) => unreachable!(),
            })
            .collect();
        assert_eq!(lens, [153, 8]);
    }

    #[test]
    fn text_split_ucs2_70_then_67() {
        let p = plan_default(&"你".repeat(70));
        assert_eq!((p.encoding, p.segment_count()), (Encoding::Ucs2, 1));
        let p = plan_default(&"你".repeat(71));
        assert_eq!(p.segment_count(), 2);
        assert_eq!(p.segments[0], SegmentBody::Ucs2(vec![0x4F60; 67]));
    }

    #[test]
    fn text_split_ref16_capacities() {
        let opts = SplitOptions {
            wide_ref: true,
            ..SplitOptions::default()
        };
        // 7-octet header = 8 septets → 152; UCS-2 133 octets → 66 units.
        assert_eq!(capacity(Encoding::Gsm7, true, true, Charset::DEFAULT), 152);
        assert_eq!(capacity(Encoding::Ucs2, true, true, Charset::DEFAULT), 66);
        assert_eq!(count_segments(&"a".repeat(304), &opts), 2);
        assert_eq!(count_segments(&"a".repeat(305), &opts), 3);
    }

    #[test]
    fn escape_sequence_is_never_split() {
        // 152 letters then '€' (2 septets) would straddle 153: it moves on.
        let text = format!("{}€{}", "a".repeat(152), "x".repeat(10));
        let p = plan_default(&text);
        let SegmentBody::Septets(first) = &p.segments[0] else {
            panic!()
        };
        assert_eq!(first.len(), 152);
        assert_ne!(first.last(), Some(&ESCAPE));
        let SegmentBody::Septets(second) = &p.segments[1] else {
            panic!()
        };
        assert_eq!(&second[..3], &[ESCAPE, 0x65, b'x']);
    }

    #[test]
    fn emoji_surrogate_at_split() {
        // 66 units then an emoji (2 units) that would straddle 67.
        let text = format!("{}😀{}", "你".repeat(66), "你".repeat(10));
        let p = plan_default(&text);
        assert_eq!(p.segment_count(), 2);
        let SegmentBody::Ucs2(first) = &p.segments[0] else {
            panic!()
        };
        assert_eq!(first.len(), 66);
        let SegmentBody::Ucs2(second) = &p.segments[1] else {
            panic!()
        };
        assert_eq!(&second[..2], &"😀".encode_utf16().collect::<Vec<_>>()[..]);
    }

    #[test]
    fn gsm7_whenever_it_fits() {
        assert_eq!(plan_default("Hello [world] €5").encoding, Encoding::Gsm7);
        assert_eq!(plan_default("Привет").encoding, Encoding::Ucs2);
        assert_eq!(plan_default("ç").encoding, Encoding::Ucs2);
        assert_eq!(plan_default("").segment_count(), 1);
    }

    #[test]
    fn national_tables_are_off_by_default() {
        let p = plan_default("Günaydın, şimdi ığdır");
        assert_eq!(p.encoding, Encoding::Ucs2);
    }

    #[test]
    fn national_tables_used_when_they_save_segments() {
        // 100 Turkish characters: 2 UCS-2 segments, 1 with Turkish tables.
        let text = "Günaydın şimdi ığdır çok güzel ".repeat(3) + "ŞĞİ";
        let ucs2 = plan_default(&text);
        assert_eq!(ucs2.segment_count(), 2);
        let p = plan(&text, &national(&NationalLanguage::ALL)).unwrap();
        assert_eq!((p.encoding, p.segment_count()), (Encoding::Gsm7, 1));
        // With equal segment counts the fewest shift elements win.
        assert_eq!(
            p.charset,
            Charset {
                locking: None,
                single: Some(NationalLanguage::Turkish)
            }
        );
    }

    #[test]
    fn national_tables_not_used_when_they_only_tie() {
        // One 'ı': UCS-2 fits in one segment, so does Turkish single shift.
        let p = plan("kı", &national(&[NationalLanguage::Turkish])).unwrap();
        assert_eq!(p.encoding, Encoding::Ucs2);
        // Plain GSM text stays on the default table.
        let p = plan("hello", &national(&NationalLanguage::ALL)).unwrap();
        assert_eq!((p.encoding, p.charset), (Encoding::Gsm7, Charset::DEFAULT));
    }

    #[test]
    fn spanish_single_shift_capacity_is_155() {
        // Single shift IE: 4-octet header = 5 septets; 'ç' costs 2.
        let cs = Charset {
            locking: None,
            single: Some(NationalLanguage::Spanish),
        };
        assert_eq!(capacity(Encoding::Gsm7, false, false, cs), 155);
        assert_eq!(capacity(Encoding::Gsm7, true, false, cs), 149);
        let both = Charset {
            locking: Some(NationalLanguage::Portuguese),
            single: Some(NationalLanguage::Portuguese),
        };
        assert_eq!(capacity(Encoding::Gsm7, true, false, both), 146);
        let text = format!("{}ç", "a".repeat(100));
        let p = plan(&text, &national(&[NationalLanguage::Spanish])).unwrap();
        assert_eq!(
            (p.encoding, p.charset, p.segment_count()),
            (Encoding::Gsm7, cs, 1)
        );
    }

    #[test]
    fn too_many_segments_is_an_error() {
        assert!(plan(&"a".repeat(153 * 255), &SplitOptions::default()).is_ok());
        let err = plan(&"a".repeat(153 * 255 + 1), &SplitOptions::default()).unwrap_err();
        assert_eq!(err, EncodeError::TooManySegments { segments: 256 });
    }

    #[test]
    fn normalisation_applies_only_when_it_keeps_gsm7() {
        let opts = SplitOptions {
            normalize_punctuation: true,
            ..SplitOptions::default()
        };
        let p = plan("It\u{2019}s fine", &opts).unwrap();
        assert_eq!(
            (p.encoding, p.normalized, p.text.as_str()),
            (Encoding::Gsm7, true, "It's fine")
        );
        // Cyrillic stays UCS-2 anyway, so the original quotes are kept.
        let p = plan("Это \u{201C}тест\u{201D}", &opts).unwrap();
        assert_eq!((p.encoding, p.normalized), (Encoding::Ucs2, false));
        // Off by default.
        let p = plan_default("It\u{2019}s fine");
        assert_eq!((p.encoding, p.normalized), (Encoding::Ucs2, false));
    }
}
