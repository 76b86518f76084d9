//! A unit's submission as read from a file (any format), and its validation
//! against the report: names resolved to metric keys, counts checked, rules
//! applied. Errors read in the chat language because they are shown to units.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::period::Period;
use super::regime::{CaseRule, Language, Report};
use super::text::normalize_header;

/// A value as written in the file, before it is known to be a count.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Int(i64),
    Float(f64),
    Text(String),
    Empty,
}

/// A case (đơn thư) as a unit reports it. Only these fields are kept: names
/// or contacts of complainants are never read into this struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    pub reference: String,
    pub kind: String,
    pub received_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub complex: bool,
    pub extensions: u32,
    /// Reported as resolved (`status = "resolved"`), or a resolution date given.
    pub resolved: bool,
    pub resolved_on: Option<NaiveDate>,
}

/// A parsed file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Submission {
    pub unit: Option<String>,
    pub report: Option<String>,
    pub period: Option<String>,
    pub submitted_at: Option<DateTime<FixedOffset>>,
    /// (name as written: key, label or alias; value), in file order.
    pub metrics: Vec<(String, RawValue)>,
    pub cases: Vec<CaseRecord>,
    /// Progress on key tasks (`"tasks": [{"id", "status", "note"}]`).
    pub tasks: Vec<TaskReport>,
}

/// A unit's word on one key task in its submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskReport {
    pub id: String,
    pub status: super::briefing::ProgressStatus,
    pub note: Option<String>,
}

/// One reason a submission is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    WrongUnit { found: String },
    WrongReport { found: String },
    WrongPeriod { found: String, expected: Period },
    UnknownMetric { name: String },
    MissingMetric { label: String },
    DuplicateMetric { label: String },
    NotACount { label: String, value: String },
    Negative { label: String, value: i64 },
    TooLarge { label: String, value: String },
    RuleBroken { message: String, check: String },
    NoMetrics,
    CaseKind { reference: String, kind: String },
    CaseNoReceivedDate { reference: String },
    CaseDateOrder { reference: String },
    CaseTwice { reference: String },
}

impl Fault {
    /// The fault with what it quotes from the file cut to a short excerpt.
    fn quoted(&self) -> Fault {
        let q = |s: &String| super::text::excerpt(s, QUOTE_CHARS);
        match self {
            Fault::WrongUnit { found } => Fault::WrongUnit { found: q(found) },
            Fault::WrongReport { found } => Fault::WrongReport { found: q(found) },
            Fault::WrongPeriod { found, expected } => Fault::WrongPeriod {
                found: q(found),
                expected: *expected,
            },
            Fault::UnknownMetric { name } => Fault::UnknownMetric { name: q(name) },
            Fault::NotACount { label, value } => Fault::NotACount {
                label: label.clone(),
                value: q(value),
            },
            Fault::TooLarge { label, value } => Fault::TooLarge {
                label: label.clone(),
                value: q(value),
            },
            Fault::CaseKind { reference, kind } => Fault::CaseKind {
                reference: q(reference),
                kind: q(kind),
            },
            Fault::CaseNoReceivedDate { reference } => Fault::CaseNoReceivedDate {
                reference: q(reference),
            },
            Fault::CaseDateOrder { reference } => Fault::CaseDateOrder {
                reference: q(reference),
            },
            Fault::CaseTwice { reference } => Fault::CaseTwice {
                reference: q(reference),
            },
            other => other.clone(),
        }
    }

    pub fn render(&self, lang: Language) -> String {
        let en = lang.is_english();
        match self {
            Fault::WrongUnit { found } if en => format!("the file is for unit '{found}'"),
            Fault::WrongUnit { found } => format!("tệp ghi đơn vị '{found}', không phải đơn vị này"),
            Fault::WrongReport { found } if en => format!("the file is for report '{found}'"),
            Fault::WrongReport { found } => format!("tệp ghi báo cáo '{found}', không phải báo cáo này"),
            Fault::WrongPeriod { found, expected } if en => {
                format!("the file is for period '{found}', expected {expected}")
            }
            Fault::WrongPeriod { found, expected } => {
                format!("tệp ghi kỳ báo cáo '{found}', cần kỳ {expected}")
            }
            Fault::UnknownMetric { name } if en => format!("unknown figure '{name}'"),
            Fault::UnknownMetric { name } => format!("chỉ tiêu không có trong biểu mẫu: '{name}'"),
            Fault::MissingMetric { label } if en => format!("missing figure '{label}'"),
            Fault::MissingMetric { label } => format!("thiếu chỉ tiêu '{label}'"),
            Fault::DuplicateMetric { label } if en => format!("figure '{label}' is given twice"),
            Fault::DuplicateMetric { label } => format!("chỉ tiêu '{label}' bị ghi hai lần"),
            Fault::NotACount { label, value } if en => {
                format!("'{label}' = '{value}' is not a whole number")
            }
            Fault::NotACount { label, value } => {
                format!("'{label}' = '{value}' không phải số nguyên")
            }
            Fault::Negative { label, value } if en => format!("'{label}' = {value} is negative"),
            Fault::Negative { label, value } => format!("'{label}' = {value} là số âm"),
            Fault::TooLarge { label, value } if en => {
                format!(
                    "'{label}' = '{value}' is too large (at most {})",
                    super::text::int(MAX_COUNT, lang)
                )
            }
            Fault::TooLarge { label, value } => {
                format!(
                    "'{label}' = '{value}' quá lớn (tối đa {})",
                    super::text::int(MAX_COUNT, lang)
                )
            }
            // Units read the office's sentence; the formula is for the config's author.
            Fault::RuleBroken { message, .. } => message.clone(),
            Fault::NoMetrics if en => "the file has no figures".to_string(),
            Fault::NoMetrics => "tệp không có số liệu".to_string(),
            Fault::CaseKind { reference, kind } if en => format!("case {reference}: unknown kind '{kind}'"),
            Fault::CaseKind { reference, kind } => {
                format!("đơn thư {reference}: loại '{kind}' không có trong cấu hình")
            }
            Fault::CaseNoReceivedDate { reference } if en => format!("case {reference}: received_on is missing"),
            Fault::CaseNoReceivedDate { reference } => format!("đơn thư {reference}: thiếu ngày nhận (received_on)"),
            Fault::CaseDateOrder { reference } if en => {
                format!("case {reference}: accepted or resolved before it was received")
            }
            Fault::CaseDateOrder { reference } => {
                format!("đơn thư {reference}: ngày thụ lý hoặc giải quyết trước ngày nhận")
            }
            Fault::CaseTwice { reference } if en => format!("case {reference} is listed twice"),
            Fault::CaseTwice { reference } => format!("đơn thư {reference} bị ghi hai lần"),
        }
    }
}

/// Renders faults as one line for storage and chat.
pub fn describe(faults: &[Fault], lang: Language) -> String {
    let mut text = faults
        .iter()
        .take(MAX_FAULTS_LISTED)
        .map(|f| f.quoted().render(lang))
        .collect::<Vec<_>>()
        .join("; ");
    if faults.len() > MAX_FAULTS_LISTED {
        let more = faults.len() - MAX_FAULTS_LISTED;
        if lang.is_english() {
            text.push_str(&format!("; and {more} more"));
        } else {
            text.push_str(&format!("; và {more} lỗi khác"));
        }
    }
    text
}

/// Faults named in one message; the rest are counted.
pub const MAX_FAULTS_LISTED: usize = 5;

/// Characters of a file's text quoted in a message.
pub const QUOTE_CHARS: usize = 40;

/// The largest count accepted: 15 digits, so totals over many units stay
/// exact in the `f64` arithmetic of rules and indicators.
pub const MAX_COUNT: i64 = 999_999_999_999_999;

/// Why a value is not a count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountError {
    /// Not a whole number; the value as written.
    NotACount(String),
    /// A whole number above [`MAX_COUNT`] (or beyond 64 bits).
    TooLarge(String),
}

/// Reads a count written as `8651`, `8.651`, `8 651` or `8,651.0`-free text.
/// Dots and spaces are accepted only as thousands separators (groups of three),
/// as Vietnamese templates write them; a decimal comma is not a count.
pub fn parse_count(v: &RawValue) -> Result<i64, CountError> {
    let checked = |n: i64, written: String| {
        if n.abs() > MAX_COUNT {
            Err(CountError::TooLarge(written))
        } else {
            Ok(n)
        }
    };
    match v {
        RawValue::Int(n) => checked(*n, n.to_string()),
        RawValue::Float(f) => {
            if f.fract() != 0.0 || !f.is_finite() {
                Err(CountError::NotACount(f.to_string()))
            } else if f.abs() > MAX_COUNT as f64 {
                Err(CountError::TooLarge(format!("{f:.0}")))
            } else {
                Ok(*f as i64)
            }
        }
        RawValue::Empty => Err(CountError::NotACount(String::new())),
        RawValue::Text(s) => {
            let t = s.trim();
            let (neg, body) = match t.strip_prefix('-') {
                Some(rest) => (true, rest.trim_start()),
                None => (false, t),
            };
            let groups: Vec<&str> = body.split(['.', ' ', '\u{a0}']).collect();
            let well_grouped = !body.is_empty()
                && groups
                    .iter()
                    .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
                && groups.iter().skip(1).all(|g| g.len() == 3)
                && (groups.len() == 1 || groups[0].len() <= 3);
            if !well_grouped {
                return Err(CountError::NotACount(s.clone()));
            }
            let digits: String = groups.concat();
            // Every character is a digit: a parse failure is an overflow.
            let n: i64 = digits.parse().map_err(|_| CountError::TooLarge(t.to_string()))?;
            checked(if neg { -n } else { n }, t.to_string())
        }
    }
}

/// Resolves a name written in a file (key, label or alias, any case) to a
/// metric key of `report`.
pub fn resolve_metric<'a>(report: &'a Report, name: &str) -> Option<&'a str> {
    // Most files name metrics by key; names are unique once normalized
    // (config validation), so an exact key is the answer.
    if let Some(m) = report.metrics.iter().find(|m| m.key == name) {
        return Some(m.key.as_str());
    }
    let wanted = normalize_header(name);
    report
        .metrics
        .iter()
        .find(|m| {
            normalize_header(&m.key) == wanted
                || normalize_header(&m.label) == wanted
                || m.aliases.iter().any(|a| normalize_header(a) == wanted)
        })
        .map(|m| m.key.as_str())
}

/// Checks a submission for `unit`/`period` of `report` (and its cases against
/// the configured case kinds); on success returns the figures by metric key.
pub fn validate(
    report: &Report,
    unit: &str,
    period: Period,
    sub: &Submission,
    case_rules: &[CaseRule],
) -> Result<BTreeMap<String, i64>, Vec<Fault>> {
    let mut faults = Vec::new();
    let mut refs = std::collections::BTreeSet::new();
    for c in &sub.cases {
        let reference = c.reference.clone();
        if !refs.insert(c.reference.as_str()) {
            faults.push(Fault::CaseTwice {
                reference: reference.clone(),
            });
        }
        if !case_rules.iter().any(|r| r.kind == c.kind) {
            faults.push(Fault::CaseKind {
                reference: reference.clone(),
                kind: c.kind.clone(),
            });
        }
        match c.received_on {
            None => faults.push(Fault::CaseNoReceivedDate { reference }),
            Some(r) if c.accepted_on.is_some_and(|a| a < r) || c.resolved_on.is_some_and(|x| x < r) => {
                faults.push(Fault::CaseDateOrder { reference })
            }
            Some(_) => {}
        }
    }
    if let Some(u) = sub.unit.as_deref().map(str::trim).filter(|u| !u.is_empty())
        && u != unit
    {
        faults.push(Fault::WrongUnit { found: u.to_string() });
    }
    if let Some(r) = sub.report.as_deref().map(str::trim).filter(|r| !r.is_empty())
        && r != report.id
    {
        faults.push(Fault::WrongReport { found: r.to_string() });
    }
    if let Some(p) = sub.period.as_deref().map(str::trim).filter(|p| !p.is_empty())
        && Period::parse(p).ok() != Some(period)
    {
        faults.push(Fault::WrongPeriod {
            found: p.to_string(),
            expected: period,
        });
    }
    if sub.metrics.is_empty() {
        faults.push(Fault::NoMetrics);
    }
    let mut figures = BTreeMap::new();
    for (name, value) in &sub.metrics {
        let Some(key) = resolve_metric(report, name) else {
            faults.push(Fault::UnknownMetric { name: name.clone() });
            continue;
        };
        let label = report.metric(key).map_or(key, |m| m.label.as_str()).to_string();
        match parse_count(value) {
            Ok(n) if n < 0 => faults.push(Fault::Negative { label, value: n }),
            Ok(n) => {
                if figures.insert(key.to_string(), n).is_some() {
                    faults.push(Fault::DuplicateMetric { label });
                }
            }
            Err(CountError::NotACount(text)) => faults.push(Fault::NotACount { label, value: text }),
            Err(CountError::TooLarge(text)) => faults.push(Fault::TooLarge { label, value: text }),
        }
    }
    if !sub.metrics.is_empty() {
        for m in report.metrics.iter().filter(|m| m.required) {
            if !figures.contains_key(&m.key)
                && !faults.iter().any(|f| matches!(f, Fault::NotACount { label, .. } | Fault::Negative { label, .. } | Fault::TooLarge { label, .. } if *label == m.label))
            {
                faults.push(Fault::MissingMetric { label: m.label.clone() });
            }
        }
    }
    if faults.is_empty() {
        let lookup = |k: &str| figures.get(k).map(|n| *n as f64);
        for rule in &report.rules {
            if rule.check.holds(&lookup) == Some(false) {
                faults.push(Fault::RuleBroken {
                    message: rule.message.clone(),
                    check: rule.check.source().to_string(),
                });
            }
        }
    }
    if faults.is_empty() { Ok(figures) } else { Err(faults) }
}

/// Whether a case status as units write it means resolved: `resolved`,
/// `closed`, `đã giải quyết`, … (any case, with or without diacritics).
pub fn is_resolved_status(status: &str) -> bool {
    let s = normalize_header(status);
    [
        "resolved",
        "closed",
        "done",
        "đã giải quyết",
        "da giai quyet",
        "da_giai_quyet",
        "giải quyết xong",
        "kết thúc",
    ]
    .contains(&s.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_with_or_without_vietnamese_thousands_dots() {
        let t = |s: &str| parse_count(&RawValue::Text(s.into()));
        assert_eq!(t("8.651"), Ok(8651));
        assert_eq!(t("8651"), Ok(8651));
        assert_eq!(t("1.234.567"), Ok(1_234_567));
        assert_eq!(t(" 8 651 "), Ok(8651));
        assert!(t("8,5").is_err());
        assert!(t("86.51").is_err());
        assert!(t("abc").is_err());
        assert!(t("").is_err());
        assert_eq!(parse_count(&RawValue::Float(12.0)), Ok(12));
        assert!(parse_count(&RawValue::Float(12.5)).is_err());
    }

    #[test]
    fn a_count_past_fifteen_digits_is_an_overflow_not_a_typo() {
        let t = |s: &str| parse_count(&RawValue::Text(s.into()));
        assert_eq!(
            t("99999999999999999999"),
            Err(CountError::TooLarge("99999999999999999999".into()))
        );
        assert_eq!(
            t("1.000.000.000.000.000"),
            Err(CountError::TooLarge("1.000.000.000.000.000".into()))
        );
        assert_eq!(t("999.999.999.999.999"), Ok(MAX_COUNT));
        assert!(matches!(
            parse_count(&RawValue::Float(1e19)),
            Err(CountError::TooLarge(_))
        ));
        assert!(matches!(
            parse_count(&RawValue::Int(i64::MAX)),
            Err(CountError::TooLarge(_))
        ));
    }
}
