//! Charts drawn on the server as SVG: no script, no CDN, nothing to load
//! (the CSP forbids inline styles, so every size and colour is an SVG
//! attribute). Two kinds: [`lines`] (counts over time, one line per
//! series) and [`bars`] (a few figures side by side per group, e.g. each
//! variant's rates). Each chart is an `<svg role="img">` with a `<title>`
//! and a `<desc>` naming its series in words; pages show the same numbers
//! in a table next to it for screen readers and copying.
//!
//! The output is markup meant to be inserted unescaped (`|safe`): every
//! text in it goes through [`esc`].

use std::fmt::Write as _;

/// Colours of the series, in order (WCAG AA against white).
pub const PALETTE: [&str; 6] = ["#0b5cad", "#1a7f37", "#8250df", "#c0262d", "#9a6700", "#1b7c83"];

/// The colour of series `i`.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// One line (or one bar of each group): its name and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Shown in the legend and the description.
    pub name: String,
    /// One value per point (lines) or per group (bars).
    pub values: Vec<f64>,
}

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// Escapes text for SVG (XML) content and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A round number at or above `max` for the top of the axis (1, 2, 5 × 10ⁿ).
pub fn nice_max(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= max {
            return m * mag;
        }
    }
    10.0 * mag
}

/// The top of a count axis: four equal steps of a whole, round size
/// (1, 2, 5 × 10ⁿ), so every tick is a whole number (5 replies: 0, 2, 4,
/// 6, 8 — not 1.25, 2.5…).
pub fn count_top(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 4.0;
    }
    let step = (max / 4.0).max(1.0);
    let mag = 10f64.powf(step.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= step {
            return 4.0 * m * mag;
        }
    }
    40.0 * mag
}

fn fmt_tick(v: f64, percent: bool) -> String {
    if percent {
        format!("{:.0}%", v * 100.0)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn open(out: &mut String, id: &str, title: &str, desc: &str) {
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(desc)
    );
}

fn axis(out: &mut String, top: f64, percent: bool) {
    let plot_h = H - TOP - BOTTOM;
    for i in 0..=4 {
        let v = top * f64::from(i) / 4.0;
        let y = TOP + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#d0d7de\" stroke-width=\"1\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 4.0,
            y + 4.0,
            fmt_tick(v, percent)
        );
    }
}

/// Lines over time: `series` share the points, labelled on the x axis by
/// `labels` (`(point index, text)`, a few). `id` must be unique on the page.
/// With no point it draws nothing but says so (`empty`).
pub fn lines(id: &str, title: &str, series: &[Series], labels: &[(usize, String)], empty: &str) -> String {
    let points = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let mut out = String::new();
    let desc = series
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    open(&mut out, id, title, if points == 0 { empty } else { &desc });
    if points == 0 {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></svg>",
            W / 2.0,
            H / 2.0,
            esc(empty)
        );
        return out;
    }
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let top = count_top(max);
    axis(&mut out, top, false);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |i: usize| {
        if points <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (points - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h - plot_h * (v.max(0.0) / top);
    for (i, text) in labels {
        if *i < points {
            // The ends' labels stay inside the chart.
            let anchor = match *i {
                0 if points > 1 => "start",
                i if i + 1 == points && points > 1 => "end",
                _ => "middle",
            };
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
                x(*i),
                H - 8.0,
                esc(text)
            );
        }
    }
    for (k, s) in series.iter().enumerate() {
        let c = colour(k);
        if s.values.len() == 1 {
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{c}\"/>",
                x(0),
                y(s.values[0])
            );
            continue;
        }
        let pts: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(if v.is_finite() { *v } else { 0.0 })))
            .collect();
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>",
            pts.join(" ")
        );
    }
    out.push_str("</svg>");
    out
}

/// Grouped bars: for each of `groups` (x axis), one bar per series.
/// `percent`: values are ratios (0–1), the axis reads in percent.
pub fn bars(
    id: &str,
    title: &str,
    groups: &[String],
    series: &[Series],
    percent: bool,
    empty: &str,
) -> String {
    let mut out = String::new();
    let desc = series
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let nothing = groups.is_empty() || series.is_empty();
    open(&mut out, id, title, if nothing { empty } else { &desc });
    if nothing {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></svg>",
            W / 2.0,
            H / 2.0,
            esc(empty)
        );
        return out;
    }
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let top = if percent {
        nice_max(max).clamp(0.01, 1.0)
    } else {
        count_top(max)
    };
    axis(&mut out, top, percent);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let group_w = plot_w / groups.len() as f64;
    let bar_w = (group_w * 0.8 / series.len() as f64).min(48.0);
    for (g, label) in groups.iter().enumerate() {
        let gx = LEFT + group_w * g as f64;
        let used = bar_w * series.len() as f64;
        let start = gx + (group_w - used) / 2.0;
        for (k, s) in series.iter().enumerate() {
            let v = s
                .values
                .get(g)
                .copied()
                .filter(|v| v.is_finite())
                .unwrap_or(0.0)
                .max(0.0);
            let h = plot_h * (v / top).min(1.0);
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{}: {}</title></rect>",
                start + bar_w * k as f64,
                TOP + plot_h - h,
                (bar_w - 2.0).max(1.0),
                colour(k),
                esc(&format!("{label} · {}", s.name)),
                fmt_tick(v, percent)
            );
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            gx + group_w / 2.0,
            H - 8.0,
            esc(label)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str, values: &[f64]) -> Series {
        Series {
            name: name.into(),
            values: values.to_vec(),
        }
    }

    #[test]
    fn a_line_chart_draws_one_polyline_per_series_with_escaped_labels() {
        let svg = lines(
            "c1",
            "Delivery <over> time",
            &[s("sent", &[0.0, 3.0, 7.0]), s("delivered", &[0.0, 2.0, 6.0])],
            &[(0, "10:00".into()), (2, "12:00 & on".into())],
            "nothing yet",
        );
        assert!(svg.starts_with("<svg class=\"chart\""));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("Delivery &lt;over&gt; time"));
        assert!(svg.contains("12:00 &amp; on"));
        assert!(!svg.contains("style="), "no inline style under the CSP");
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn an_empty_chart_says_so_instead_of_drawing_nothing() {
        let svg = lines("c2", "t", &[], &[], "No messages yet");
        assert!(svg.contains("No messages yet"));
        assert!(!svg.contains("polyline"));
        let svg = bars("c3", "t", &[], &[s("A", &[])], true, "Nothing sent yet");
        assert!(svg.contains("Nothing sent yet"));
    }

    #[test]
    fn bars_are_grouped_and_scaled_to_a_round_top() {
        let svg = bars(
            "c4",
            "Rates",
            &["delivered".into(), "replies".into()],
            &[s("A", &[0.9, 0.1]), s("B", &[0.8, f64::NAN])],
            true,
            "none",
        );
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(svg.contains(">100%<"), "{svg}");
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(120.0), 200.0);
        assert_eq!(nice_max(0.3), 0.5);
        // Count axes step by whole numbers.
        assert_eq!(count_top(5.0), 8.0);
        assert_eq!(count_top(0.0), 4.0);
        assert_eq!(count_top(3.0), 4.0);
        assert_eq!(count_top(30.0), 40.0);
        assert_eq!(count_top(1234.0), 2000.0);
        for max in [1.0, 3.0, 5.0, 7.0, 13.0, 99.0, 1234.0] {
            let top = count_top(max);
            assert!(top >= max);
            assert_eq!((top / 4.0).fract(), 0.0, "{max}: {top}");
        }
    }
}
