//! Views shared by the console and the chat: one function per view, told the
//! width it must fit — a terminal's [`TERMINAL_WIDTH`] columns for
//! `giaoban status`, a phone's [`PHONE_WIDTH`] for the bot's `/status`. The
//! text is Telegram HTML; the console prints it as plain text. Figures are
//! headed by numbers with the metric labels in a legend, never by keys.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::deadline::Deadlines;
use super::regime::{Regime, Report};
use super::render;
use super::status::UnitState;
use super::text::{self, escape_html};

/// The widest line a terminal table may take.
pub const TERMINAL_WIDTH: usize = 100;
/// The widest line of a monospace block a phone shows without wrapping.
pub const PHONE_WIDTH: usize = 40;

/// Two spaces between columns.
const GAP: usize = 2;

/// One unit's line of the status view.
#[derive(Debug, Clone)]
pub struct UnitRow<'a> {
    pub name: &'a str,
    pub state: UnitState,
    /// When the valid report that decides timeliness was sent.
    pub received_at: Option<DateTime<Utc>>,
    pub revisions: usize,
    /// The figures of the revision in force.
    pub metrics: Option<&'a BTreeMap<String, i64>>,
    pub cases_open: usize,
    pub cases_overdue: usize,
}

fn fit(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        name.to_string()
    } else {
        let cut: String = name.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn pad(s: &str, width: usize, right: bool) -> String {
    let n = s.chars().count();
    let fill = " ".repeat(width.saturating_sub(n));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// A column: its header, its cells, and whether it is right-aligned.
struct Column {
    header: String,
    cells: Vec<String>,
    right: bool,
}

impl Column {
    fn width(&self) -> usize {
        self.cells
            .iter()
            .map(|c| c.chars().count())
            .chain(std::iter::once(self.header.chars().count()))
            .max()
            .unwrap_or(0)
    }
}

/// 📊 The status of a report-period: deadline, counts, and each unit's state
/// in a table no wider than `width`; as many more columns (time sent,
/// revision, cases, figures by number with a legend) as fit.
pub fn status(
    regime: &Regime,
    report: &Report,
    d: &Deadlines,
    at: DateTime<Utc>,
    rows: &[UnitRow<'_>],
    width: usize,
) -> String {
    let lang = regime.language;
    let en = lang.is_english();
    let tz = regime.timezone;
    let count = |st: UnitState| rows.iter().filter(|r| r.state == st).count();
    let (on_time, late, missing, invalid) = (
        count(UnitState::OnTime),
        count(UnitState::Late),
        count(UnitState::Missing),
        count(UnitState::Invalid),
    );
    let total = rows.len();
    let mut out = format!(
        "📊 <b>{}</b>\n",
        escape_html(&render::report_title(regime, report, d.period))
    );
    let due = text::time_and_date(&d.due.with_timezone(&tz), lang);
    let late_after = text::time_and_date(&d.late_after.with_timezone(&tz), lang);
    let as_of = text::time_and_date(&at.with_timezone(&tz), lang);
    out.push_str(&if en {
        format!("Deadline: {due} (late after {late_after})\nAs of {as_of}\n")
    } else {
        format!("Hạn gửi: {due} (tính muộn sau {late_after})\nTình hình lúc {as_of}\n")
    });
    out.push_str(&if en {
        format!("{on_time}/{total} on time, {late} late, {missing} missing, {invalid} invalid\n")
    } else {
        format!("{on_time}/{total} đơn vị gửi đúng hạn, {late} gửi muộn, {missing} chưa gửi, {invalid} không hợp lệ\n")
    });
    if rows.is_empty() {
        return out;
    }

    // The state column always; the name takes what is left, within reason.
    let state = Column {
        header: if en { "State" } else { "Tình trạng" }.into(),
        cells: rows
            .iter()
            .map(|r| render::state_word(r.state, lang).to_string())
            .collect(),
        right: false,
    };
    let longest_name = rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(0);
    let name_width = longest_name.clamp(6, 28).min(width.saturating_sub(state.width() + GAP));
    let mut used = name_width + GAP + state.width();
    let mut columns = vec![state];
    let mut optional = vec![
        Column {
            header: if en { "Sent at" } else { "Thời điểm gửi" }.into(),
            cells: rows
                .iter()
                .map(|r| {
                    r.received_at
                        .map(|t| t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string())
                        .unwrap_or_else(|| "—".into())
                })
                .collect(),
            right: false,
        },
        Column {
            header: if en { "Rev" } else { "Bản" }.into(),
            cells: rows
                .iter()
                .map(|r| {
                    if r.revisions == 0 {
                        "—".into()
                    } else {
                        r.revisions.to_string()
                    }
                })
                .collect(),
            right: true,
        },
        Column {
            header: if en { "Cases" } else { "Đơn thư" }.into(),
            cells: rows.iter().map(|r| r.cases_open.to_string()).collect(),
            right: true,
        },
        Column {
            header: if en { "Overdue" } else { "Quá hạn" }.into(),
            cells: rows.iter().map(|r| r.cases_overdue.to_string()).collect(),
            right: true,
        },
    ];
    for (i, m) in report.metrics.iter().enumerate() {
        optional.push(Column {
            header: format!("({})", i + 1),
            cells: rows
                .iter()
                .map(|r| {
                    r.metrics
                        .and_then(|ms| ms.get(&m.key))
                        .map_or_else(|| "—".to_string(), |v| text::int(*v, lang))
                })
                .collect(),
            right: true,
        });
    }
    let mut shown_metrics = Vec::new();
    for c in optional {
        let w = c.width();
        if used + GAP + w > width {
            // A column that does not fit ends the table: later ones are
            // less important or figures in order.
            break;
        }
        used += GAP + w;
        if let Some(n) = c.header.strip_prefix('(').and_then(|h| h.strip_suffix(')')) {
            shown_metrics.push(n.parse::<usize>().unwrap_or(0));
        }
        columns.push(c);
    }
    let mut lines = Vec::with_capacity(rows.len() + 1);
    let header = std::iter::once(pad(if en { "Unit" } else { "Đơn vị" }, name_width, false))
        .chain(columns.iter().map(|c| pad(&c.header, c.width(), c.right)))
        .collect::<Vec<_>>()
        .join(&" ".repeat(GAP));
    lines.push(header.trim_end().to_string());
    for (i, r) in rows.iter().enumerate() {
        let line = std::iter::once(pad(&fit(r.name, name_width), name_width, false))
            .chain(columns.iter().map(|c| pad(&c.cells[i], c.width(), c.right)))
            .collect::<Vec<_>>()
            .join(&" ".repeat(GAP));
        lines.push(line.trim_end().to_string());
    }
    out.push_str(&format!("<pre>{}</pre>", escape_html(&lines.join("\n"))));
    if !shown_metrics.is_empty() {
        let legend: Vec<String> = shown_metrics
            .iter()
            .filter_map(|n| report.metrics.get(n.wrapping_sub(1)).map(|m| (n, m)))
            .map(|(n, m)| format!("({n}) {}", escape_html(&m.label)))
            .collect();
        out.push('\n');
        out.push_str(&legend.join("\n"));
        let hidden = report.metrics.len() - shown_metrics.len();
        if hidden > 0 {
            out.push_str(&if en {
                format!("\n{hidden} more figures: see the summary")
            } else {
                format!("\n{hidden} chỉ tiêu khác: xem báo cáo tổng hợp")
            });
        }
    }
    out
}
