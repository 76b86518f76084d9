//! What the briefing must look at ("Cần lưu ý"): figures that got worse
//! against the same period last year, indicators below their target, and
//! units whose own indicator got worse or missed the target. Only figures
//! that declare `better = "higher" | "lower"` can get worse; only indicators
//! with a `target` can miss one. Worst first.

use std::collections::BTreeMap;

use super::regime::{Better, IndicatorFormat, Regime, Report};
use super::render::indicator_value;
use super::summary::{Summary, indicator_values};
use super::text::{self, escape_html};

/// A figure that moved the wrong way against the same period last year.
#[derive(Debug, Clone, PartialEq)]
pub struct Worse {
    pub key: String,
    pub label: String,
    pub current: f64,
    pub base: f64,
    /// `None` for a metric (a count), the indicator's format otherwise.
    pub format: Option<IndicatorFormat>,
}

impl Worse {
    /// How bad: the relative change (a zero base counts as the worst).
    fn severity(&self) -> f64 {
        if self.base == 0.0 {
            f64::INFINITY
        } else {
            ((self.current - self.base) / self.base).abs()
        }
    }
}

/// An indicator on the wrong side of its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortfall {
    pub key: String,
    pub label: String,
    pub value: f64,
    pub target: f64,
    pub format: IndicatorFormat,
}

impl Shortfall {
    fn severity(&self) -> f64 {
        if self.target == 0.0 {
            f64::INFINITY
        } else {
            ((self.target - self.value) / self.target).abs()
        }
    }
}

/// One unit's flags (its own indicators only).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitFlags {
    pub unit: String,
    pub name: String,
    pub worsened: Vec<Worse>,
    pub below_target: Vec<Shortfall>,
}

impl UnitFlags {
    fn severity(&self) -> f64 {
        self.worsened
            .iter()
            .map(Worse::severity)
            .chain(self.below_target.iter().map(Shortfall::severity))
            .fold(0.0, f64::max)
    }
}

/// The flags of a report-period, each list worst first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Flags {
    /// Province (total) figures that got worse.
    pub worsened: Vec<Worse>,
    /// Province indicators below target.
    pub below_target: Vec<Shortfall>,
    /// Units with a flag of their own, worst first.
    pub units: Vec<UnitFlags>,
}

impl Flags {
    pub fn is_empty(&self) -> bool {
        self.worsened.is_empty() && self.below_target.is_empty() && self.units.is_empty()
    }

    pub fn worsened_keys(&self) -> Vec<String> {
        self.worsened.iter().map(|w| w.key.clone()).collect()
    }

    pub fn below_target_keys(&self) -> Vec<String> {
        self.below_target.iter().map(|s| s.key.clone()).collect()
    }

    pub fn unit(&self, id: &str) -> Option<&UnitFlags> {
        self.units.iter().find(|u| u.unit == id)
    }
}

/// Worse means lower when higher is better, and the other way round.
fn got_worse(better: Better, current: f64, base: f64) -> bool {
    match better {
        Better::Higher => current < base,
        Better::Lower => current > base,
    }
}

/// Below target: under it when higher is better (the default), above it when lower is.
fn misses(better: Option<Better>, value: f64, target: f64) -> bool {
    match better.unwrap_or(Better::Higher) {
        Better::Higher => value < target,
        Better::Lower => value > target,
    }
}

fn by_severity<T>(list: &mut [T], f: fn(&T) -> f64) {
    list.sort_by(|a, b| f(b).total_cmp(&f(a)));
}

fn indicator_flags(
    report: &Report,
    values: &[Option<f64>],
    last_year: Option<&[Option<f64>]>,
) -> (Vec<Worse>, Vec<Shortfall>) {
    let mut worse = Vec::new();
    let mut short = Vec::new();
    for (i, ind) in report.indicators.iter().enumerate() {
        let Some(value) = values.get(i).copied().flatten() else {
            continue;
        };
        if let (Some(better), Some(base)) = (ind.better, last_year.and_then(|ly| ly.get(i).copied().flatten()))
            && got_worse(better, value, base)
        {
            worse.push(Worse {
                key: ind.key.clone(),
                label: ind.label.clone(),
                current: value,
                base,
                format: Some(ind.format),
            });
        }
        if let Some(target) = ind.target
            && misses(ind.better, value, target)
        {
            short.push(Shortfall {
                key: ind.key.clone(),
                label: ind.label.clone(),
                value,
                target,
                format: ind.format,
            });
        }
    }
    by_severity(&mut worse, Worse::severity);
    by_severity(&mut short, Shortfall::severity);
    (worse, short)
}

/// The flags of `s`. `last_year_units` holds each unit's figures of the same
/// period last year (units that sent nothing then are absent).
pub fn evaluate(report: &Report, s: &Summary, last_year_units: &BTreeMap<String, BTreeMap<String, i64>>) -> Flags {
    let mut worsened = Vec::new();
    if let Some(ly) = &s.last_year
        && s.reporting() > 0
    {
        for m in &report.metrics {
            let (Some(better), Some(current), Some(base)) = (m.better, s.totals.get(&m.key), ly.totals.get(&m.key))
            else {
                continue;
            };
            if got_worse(better, *current as f64, *base as f64) {
                worsened.push(Worse {
                    key: m.key.clone(),
                    label: m.label.clone(),
                    current: *current as f64,
                    base: *base as f64,
                    format: None,
                });
            }
        }
    }
    let (ind_worse, below_target) = if s.reporting() > 0 {
        indicator_flags(
            report,
            &s.indicators,
            s.last_year.as_ref().map(|c| c.indicators.as_slice()),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    worsened.extend(ind_worse);
    by_severity(&mut worsened, Worse::severity);

    let mut units: Vec<UnitFlags> = s
        .rows
        .iter()
        .filter(|r| !r.metrics.is_empty())
        .filter_map(|r| {
            let ly = last_year_units
                .get(&r.unit)
                .map(|figures| indicator_values(&report.indicators, figures));
            let (worsened, below_target) = indicator_flags(report, &r.indicators, ly.as_deref());
            (!worsened.is_empty() || !below_target.is_empty()).then(|| UnitFlags {
                unit: r.unit.clone(),
                name: r.name.clone(),
                worsened,
                below_target,
            })
        })
        .collect();
    by_severity(&mut units, UnitFlags::severity);
    Flags {
        worsened,
        below_target,
        units,
    }
}

/// A value as the summary writes it: a count, or the indicator's format.
fn value(x: f64, format: Option<IndicatorFormat>, regime: &Regime) -> String {
    match format {
        None => text::int(x as i64, regime.language),
        Some(f) => indicator_value(f, Some(x), regime.language),
    }
}

fn worse_phrase(regime: &Regime, w: &Worse) -> String {
    let en = regime.language.is_english();
    let lang = regime.language;
    let ly = if en { "same period last year" } else { "cùng kỳ" };
    let diff = w.current - w.base;
    let word = match (diff > 0.0, en) {
        (true, false) => "tăng",
        (false, false) => "giảm",
        (true, true) => "up",
        (false, true) => "down",
    };
    let moved = match w.format {
        None => {
            let pct = if w.base == 0.0 {
                String::new()
            } else {
                format!(" ({})", text::percent(diff.abs() / w.base.abs(), lang))
            };
            format!("{word} {}{pct}", text::int(diff.abs() as i64, lang))
        }
        Some(IndicatorFormat::Percent) => format!(
            "{word} {} {}",
            text::decimal(diff.abs() * 100.0, 1, lang),
            if en { "points" } else { "điểm %" }
        ),
        Some(f @ IndicatorFormat::Number) => format!("{word} {}", indicator_value(f, Some(diff.abs()), lang)),
    };
    format!(
        "{}: {} ({ly} {}), {moved}",
        escape_html(&w.label),
        value(w.current, w.format, regime),
        value(w.base, w.format, regime)
    )
}

fn shortfall_phrase(regime: &Regime, s: &Shortfall) -> String {
    let target = if regime.language.is_english() {
        "target"
    } else {
        "chỉ tiêu"
    };
    format!(
        "{}: {} ({target} {})",
        escape_html(&s.label),
        indicator_value(s.format, Some(s.value), regime.language),
        indicator_value(s.format, Some(s.target), regime.language)
    )
}

/// The summary's "Cần lưu ý" part in Telegram HTML, starting with a blank
/// line; empty when nothing is flagged.
pub fn attention(regime: &Regime, flags: &Flags) -> String {
    if flags.is_empty() {
        return String::new();
    }
    let en = regime.language.is_english();
    let mut out = format!("\n\n⚠️ <b>{}</b>", if en { "Needs attention" } else { "Cần lưu ý" });
    if !flags.worsened.is_empty() {
        out.push_str(if en {
            "\nWorse than the same period last year:"
        } else {
            "\nXấu hơn cùng kỳ năm trước:"
        });
        for w in &flags.worsened {
            out.push_str(&format!("\n• {}", worse_phrase(regime, w)));
        }
    }
    if !flags.below_target.is_empty() {
        out.push_str(if en {
            "\nBelow target:"
        } else {
            "\nChưa đạt chỉ tiêu:"
        });
        for s in &flags.below_target {
            out.push_str(&format!("\n• {}", shortfall_phrase(regime, s)));
        }
    }
    if !flags.units.is_empty() {
        out.push_str(if en { "\nUnits:" } else { "\nĐơn vị:" });
        for u in &flags.units {
            let parts: Vec<String> = u
                .worsened
                .iter()
                .map(|w| worse_phrase(regime, w))
                .chain(u.below_target.iter().map(|s| shortfall_phrase(regime, s)))
                .collect();
            out.push_str(&format!("\n• {} — {}", escape_html(&u.name), parts.join("; ")));
        }
    }
    out
}

/// The short flag a spreadsheet cell or a table shows for a key of a unit (or
/// of the total when `unit` is None): `worse`, `below target`, both, or none.
pub fn cell_flag(flags: &Flags, unit: Option<&str>, key: &str) -> (bool, bool) {
    let (worse, short): (&[Worse], &[Shortfall]) = match unit {
        None => (&flags.worsened, &flags.below_target),
        Some(id) => match flags.unit(id) {
            Some(u) => (&u.worsened, &u.below_target),
            None => (&[], &[]),
        },
    };
    (worse.iter().any(|w| w.key == key), short.iter().any(|s| s.key == key))
}

/// A flag column's text for one row: the labels flagged, `;`-separated.
pub fn row_note(regime: &Regime, flags: &Flags, unit: Option<&str>) -> String {
    let en = regime.language.is_english();
    let (worse, short): (Vec<&Worse>, Vec<&Shortfall>) = match unit {
        None => (flags.worsened.iter().collect(), flags.below_target.iter().collect()),
        Some(id) => match flags.unit(id) {
            Some(u) => (u.worsened.iter().collect(), u.below_target.iter().collect()),
            None => (Vec::new(), Vec::new()),
        },
    };
    worse
        .iter()
        .map(|w| format!("{} {}", if en { "worse:" } else { "xấu đi:" }, w.label))
        .chain(
            short
                .iter()
                .map(|s| format!("{} {}", if en { "below target:" } else { "chưa đạt:" }, s.label)),
        )
        .collect::<Vec<_>>()
        .join("; ")
}
