//! Chat messages, in Telegram HTML. Every dynamic string is escaped here;
//! wording follows domain.md (Vietnamese by default, English as an option).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::case::{CaseLine, CaseState, Stage};
use super::deadline::Deadlines;
use super::period::Period;
use super::plan::UnitStatus;
use super::regime::{IndicatorFormat, Language, Regime, Report, Unit};
use super::status::UnitState;
use super::summary::{Comparison, Summary};
use super::text::{self, escape_html};

fn en(regime: &Regime) -> bool {
    regime.language.is_english()
}

/// `Báo cáo giao ban 9 tháng năm 2024`: the report and its period, the
/// period said once; plain text (escape it for the chat).
pub fn report_title(regime: &Regime, report: &Report, period: Period) -> String {
    text::title_with_period(&report.title, &period.name(en(regime)))
}

/// [`report_title`], escaped for Telegram HTML.
fn heading(regime: &Regime, report: &Report, period: Period) -> String {
    escape_html(&report_title(regime, report, period))
}

/// vi `các đơn vị` for several units, `đơn vị` for one.
fn vi_units(n: usize) -> &'static str {
    if n == 1 { "đơn vị" } else { "các đơn vị" }
}

/// en `1 of 8 units has`, `3 of 8 units have`.
fn en_of_units(n: usize, total: usize) -> String {
    let noun = if total == 1 { "unit" } else { "units" };
    let verb = if n == 1 { "has" } else { "have" };
    format!("{n} of {total} {noun} {verb}")
}

/// en `1 case`, `3 cases`.
fn en_cases(n: usize) -> String {
    format!("{n} case{}", if n == 1 { "" } else { "s" })
}

fn local(regime: &Regime, t: DateTime<Utc>) -> DateTime<chrono_tz::Tz> {
    t.with_timezone(&regime.timezone)
}

/// `hạn gửi 17:00 ngày 18/09/2024`.
fn deadline_phrase(regime: &Regime, d: &Deadlines) -> String {
    let at = text::time_and_date(&local(regime, d.due), regime.language);
    if en(regime) {
        format!("deadline {at}")
    } else {
        format!("hạn gửi {at}")
    }
}

/// `• Huyện Tân Châu (@tanchau_tct)`, with a note when only invalid files came.
pub fn unit_line(regime: &Regime, s: &UnitStatus<'_>) -> String {
    let mut line = format!("• {}", escape_html(&s.unit.name));
    // Officers are mentioned by user id too, so one without a username is
    // notified as well.
    let label = if en(regime) { "officer" } else { "cán bộ" };
    let contacts: Vec<String> = s
        .unit
        .contacts
        .iter()
        .map(|c| escape_html(c))
        .chain(
            s.unit
                .telegram_users
                .iter()
                .map(|id| format!("<a href=\"tg://user?id={id}\">{label}</a>")),
        )
        .collect();
    if !contacts.is_empty() {
        line.push_str(&format!(" ({})", contacts.join(", ")));
    }
    if s.state == UnitState::Invalid {
        line.push_str(if en(regime) {
            " — file received but invalid"
        } else {
            " — đã gửi nhưng không hợp lệ"
        });
    }
    line
}

fn unit_list(regime: &Regime, units: &[&UnitStatus<'_>]) -> String {
    units
        .iter()
        .map(|s| unit_line(regime, s))
        .collect::<Vec<_>>()
        .join("\n")
}

/// ⏰ Before the deadline: who has not sent yet.
pub fn reminder(
    regime: &Regime,
    report: &Report,
    d: &Deadlines,
    outstanding: &[&UnitStatus<'_>],
    total: usize,
) -> String {
    let (w0, w1) = (text::date(d.window.0), text::date(d.window.1));
    let n = outstanding.len();
    if en(regime) {
        format!(
            "⏰ <b>Reminder</b>: {} (data {w0}–{w1}), {}.\n{} not sent it yet:\n{}\nPlease send the report before the deadline.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            en_of_units(n, total),
            unit_list(regime, outstanding)
        )
    } else {
        format!(
            "⏰ <b>Nhắc nhở</b>: {} (số liệu {w0}–{w1}), {}.\nCòn {n}/{total} đơn vị chưa gửi:\n{}\nĐề nghị {} gửi báo cáo trước hạn.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            unit_list(regime, outstanding),
            vi_units(n)
        )
    }
}

/// ⚠️ Once the grace has ended: every unit still missing, in one message.
pub fn late(regime: &Regime, report: &Report, d: &Deadlines, outstanding: &[&UnitStatus<'_>], total: usize) -> String {
    let n = outstanding.len();
    let grace = grace_phrase(regime, report);
    if en(regime) {
        format!(
            "⚠️ <b>Overdue</b>: {}, {}{grace} has passed.\n{} not sent it:\n{}\nPlease send the report now.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            en_of_units(n, total),
            unit_list(regime, outstanding)
        )
    } else {
        format!(
            "⚠️ <b>Quá hạn</b>: {}, {}{grace} đã qua.\n{n}/{total} đơn vị chưa gửi:\n{}\nĐề nghị {} gửi báo cáo ngay.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            unit_list(regime, outstanding),
            vi_units(n)
        )
    }
}

fn grace_phrase(regime: &Regime, report: &Report) -> String {
    let g = report.timing.grace;
    if g.is_zero() {
        String::new()
    } else if en(regime) {
        format!(" (grace {})", g.describe(true))
    } else {
        format!(" (gia hạn {})", g.describe(false))
    }
}

/// 🔔 Urging (đôn đốc) at the configured cadence, numbered.
#[allow(clippy::too_many_arguments)]
pub fn urge(
    regime: &Regime,
    report: &Report,
    d: &Deadlines,
    outstanding: &[&UnitStatus<'_>],
    total: usize,
    k: usize,
    max: usize,
    now: DateTime<Utc>,
) -> String {
    let n = outstanding.len();
    let overdue = text::elapsed((now - d.due).num_seconds(), regime.language);
    if en(regime) {
        format!(
            "🔔 <b>Urging</b> ({k}/{max}): {}, {overdue} overdue ({}).\nStill {} not sent it:\n{}\nPlease send the report now.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            en_of_units(n, total),
            unit_list(regime, outstanding)
        )
    } else {
        format!(
            "🔔 <b>Đôn đốc</b> (lần {k}/{max}): {}, đã quá hạn {overdue} ({}).\nCòn {n}/{total} đơn vị chưa gửi:\n{}\nĐề nghị {} khẩn trương gửi báo cáo.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            unit_list(regime, outstanding),
            vi_units(n)
        )
    }
}

/// 📥 A late unit's report has come in.
pub fn received_late(regime: &Regime, report: &Report, d: &Deadlines, units: &[&UnitStatus<'_>]) -> String {
    let lines: Vec<String> = units
        .iter()
        .filter_map(|s| {
            let at = s.facts?.first_received_at()?;
            let when = text::time_and_date(&local(regime, at), regime.language);
            let late_by = text::elapsed((at - d.due).num_seconds(), regime.language);
            Some(if en(regime) {
                format!("• {}: sent {when} ({late_by} late)", escape_html(&s.unit.name))
            } else {
                format!("• {}: gửi lúc {when} (muộn {late_by})", escape_html(&s.unit.name))
            })
        })
        .collect();
    if en(regime) {
        format!(
            "📥 <b>Received late</b>: {}\n{}",
            heading(regime, report, d.period),
            lines.join("\n")
        )
    } else {
        format!(
            "📥 <b>Đã nhận báo cáo gửi muộn</b>: {}\n{}",
            heading(regime, report, d.period),
            lines.join("\n")
        )
    }
}

/// ❌ A unit's file was rejected: which unit, what is wrong.
pub fn invalid(regime: &Regime, report: &Report, period: Period, items: &[(&Unit, &str)]) -> String {
    let lines: Vec<String> = items
        .iter()
        .map(|(u, e)| format!("• {}: {}", escape_html(&u.name), escape_html(e)))
        .collect();
    let n = items.len();
    if en(regime) {
        let (files, them, kept) = if n == 1 {
            ("the file", "it", "an earlier valid revision, if any, stays")
        } else {
            ("the files", "them", "earlier valid revisions, if any, stay")
        };
        format!(
            "❌ <b>Invalid report</b>: {}\n{}\nPlease check {files} and send {them} again; {kept} in force.",
            heading(regime, report, period),
            lines.join("\n")
        )
    } else {
        format!(
            "❌ <b>Báo cáo không hợp lệ</b>: {}\n{}\nĐề nghị {} kiểm tra và gửi lại; bản hợp lệ trước đó (nếu có) vẫn được giữ.",
            heading(regime, report, period),
            lines.join("\n"),
            vi_units(n)
        )
    }
}

/// ⚙️ A reloaded config was refused: how many problems and on which lines,
/// and that the old config stays in force. The error itself (file, line, key,
/// parser wording) goes to the log and to `giaoban check`, not to the chat.
pub fn config_error(regime: &Regime, error: &str) -> String {
    let problems = error.lines().filter(|l| !l.trim().is_empty()).count().max(1);
    let mut lines: Vec<u64> = error.lines().filter_map(config_error_line).collect();
    lines.sort_unstable();
    lines.dedup();
    const SHOWN: usize = 5;
    let mut where_ = lines
        .iter()
        .take(SHOWN)
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if lines.len() > SHOWN {
        where_.push_str(", …");
    }
    if en(regime) {
        let count = if problems == 1 {
            "a problem".to_string()
        } else {
            format!("{problems} problems")
        };
        let at = if lines.is_empty() {
            String::new()
        } else {
            format!(" (line{} {where_})", if lines.len() == 1 { "" } else { "s" })
        };
        format!(
            "⚙️ <b>Config not applied</b>\nThe edited config file has {count}{at}, so giaoban keeps running on the previous config.\nPlease run <code>giaoban check</code> to see the details, fix the file and reload the service."
        )
    } else {
        let at = if lines.is_empty() {
            String::new()
        } else {
            format!(" (dòng {where_})")
        };
        format!(
            "⚙️ <b>Cấu hình mới chưa được áp dụng</b>\nTệp cấu hình vừa sửa có {problems} lỗi{at}, nên giaoban vẫn chạy theo cấu hình cũ.\nĐề nghị quản trị viên chạy lệnh <code>giaoban check</code> để xem chi tiết, sửa tệp rồi nạp lại dịch vụ."
        )
    }
}

/// The line number of one `FILE:LINE:COL: …` error line.
fn config_error_line(line: &str) -> Option<u64> {
    let parts: Vec<&str> = line.splitn(8, ':').collect();
    parts
        .windows(2)
        .find(|w| {
            !w[0].is_empty()
                && w[0].bytes().all(|b| b.is_ascii_digit())
                && w[1].bytes().all(|b| b.is_ascii_digit())
                && !w[1].is_empty()
        })
        .and_then(|w| w[0].parse().ok())
}

/// How many cases a digest lists per unit before "và N đơn khác".
pub const DIGEST_CASES_PER_UNIT: usize = 5;

/// 📋 The case digest: overdue cases per unit (worst first, newly overdue
/// marked), then cases due soon. Names a case by reference, kind, dates and
/// days overdue only. Within [`MAX_CHAT_LEN`]: at a large scale the units
/// with the most cases first and "và N đơn vị khác".
pub fn case_digest(regime: &Regime, lines: &[CaseLine<'_>], newly_overdue: &[String], now: DateTime<Utc>) -> String {
    case_digest_of(regime, &digest_counts(lines), lines, newly_overdue, now)
}

/// Each unit's overdue and due-soon cases, as a digest counts them.
pub type DigestCounts<'a> = HashMap<&'a str, (usize, usize)>;

/// The counts of evaluated cases.
pub fn digest_counts<'a>(lines: &[CaseLine<'a>]) -> DigestCounts<'a> {
    let mut counts = DigestCounts::new();
    for l in lines {
        match l.eval.state {
            CaseState::Overdue => counts.entry(l.case.unit.as_str()).or_default().0 += 1,
            CaseState::DueSoon => counts.entry(l.case.unit.as_str()).or_default().1 += 1,
            _ => {}
        }
    }
    counts
}

/// The case digest from each unit's counts and the cases of the units it
/// can show ([`digest_units`]; the cases of others are not needed): what a
/// national backlog's digest reads instead of every case.
pub fn case_digest_of(
    regime: &Regime,
    counts: &DigestCounts<'_>,
    lines: &[CaseLine<'_>],
    newly_overdue: &[String],
    now: DateTime<Utc>,
) -> String {
    // Grouped and sorted once; each try at a smaller cap only cuts.
    let overdue = digest_groups(regime, counts, lines, CaseState::Overdue);
    let soon = digest_groups(regime, counts, lines, CaseState::DueSoon);
    let newly: HashSet<&str> = newly_overdue.iter().map(String::as_str).collect();
    first_fitting(0, |cap| case_digest_capped(regime, &overdue, &soon, &newly, now, cap))
}

/// The shortest line a unit takes in a digest (`\n• X: 1 đơn`): more units
/// than `MAX_CHAT_LEN / MIN_UNIT_LINE` never fit uncut.
const MIN_UNIT_LINE: usize = 10;

/// The units whose cases a digest of these counts can show: every unit
/// while the uncut text could fit, else the first of each section up to the
/// largest cap, in the digest's order.
pub fn digest_units<'a>(regime: &'a Regime, counts: &DigestCounts<'_>) -> Vec<&'a str> {
    let sections = [CaseState::Overdue, CaseState::DueSoon].map(|state| ranked_units(regime, counts, state));
    let listed: usize = sections.iter().map(Vec::len).sum();
    let shown = if listed * MIN_UNIT_LINE <= MAX_CHAT_LEN {
        usize::MAX
    } else {
        CAPS.iter().flatten().copied().max().unwrap_or(0)
    };
    let mut units: Vec<&str> = sections
        .iter()
        .flat_map(|s| s.iter().take(shown).map(|(u, _)| u.id.as_str()))
        .collect();
    units.sort_unstable();
    units.dedup();
    units
}

/// The units with cases of `state`, most first (then in config order).
fn ranked_units<'a>(regime: &'a Regime, counts: &DigestCounts<'_>, state: CaseState) -> Vec<(&'a Unit, usize)> {
    let mut units: Vec<(&Unit, usize)> = regime
        .units
        .iter()
        .filter_map(|u| {
            let (over, soon) = counts.get(u.id.as_str()).copied().unwrap_or_default();
            let n = if state == CaseState::Overdue { over } else { soon };
            (n > 0).then_some((u, n))
        })
        .collect();
    units.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    units
}

/// The cases of one state by unit: units with the most first (then in
/// config order), each with its count and its first
/// [`DIGEST_CASES_PER_UNIT`] cases (the most overdue, or the soonest due).
struct DigestGroups<'l, 'a> {
    cases: usize,
    units: Vec<(&'a Unit, usize, Vec<&'l CaseLine<'a>>)>,
}

fn digest_groups<'l, 'a>(
    regime: &'a Regime,
    counts: &DigestCounts<'_>,
    lines: &'l [CaseLine<'a>],
    state: CaseState,
) -> DigestGroups<'l, 'a> {
    let mut by_unit: HashMap<&str, Vec<&'l CaseLine<'a>>> = HashMap::new();
    for l in lines.iter().filter(|l| l.eval.state == state) {
        by_unit.entry(l.case.unit.as_str()).or_default().push(l);
    }
    let units: Vec<(&'a Unit, usize, Vec<&'l CaseLine<'a>>)> = ranked_units(regime, counts, state)
        .into_iter()
        .map(|(u, n)| {
            let mut ls = by_unit.remove(u.id.as_str()).unwrap_or_default();
            if state == CaseState::Overdue {
                ls.sort_by_key(|l| std::cmp::Reverse(l.eval.days_overdue));
            } else {
                ls.sort_by_key(|l| l.eval.due);
            }
            ls.truncate(DIGEST_CASES_PER_UNIT);
            (u, n, ls)
        })
        .collect();
    DigestGroups {
        cases: units.iter().map(|(_, n, _)| n).sum(),
        units,
    }
}

fn case_digest_capped(
    regime: &Regime,
    overdue: &DigestGroups<'_, '_>,
    soon: &DigestGroups<'_, '_>,
    newly: &HashSet<&str>,
    now: DateTime<Utc>,
    cap: Option<usize>,
) -> String {
    let en = en(regime);
    let today = text::date(local(regime, now).date_naive());
    let (n_over, n_units, n_soon) = (overdue.cases, overdue.units.len(), soon.cases);
    let counts = match (en, n_over, n_soon) {
        (false, 0, 0) => "Không có đơn quá hạn hoặc sắp đến hạn.".to_string(),
        (false, 0, s) => format!("Không có đơn quá hạn; sắp đến hạn: {s} đơn."),
        (false, o, 0) => format!("Quá hạn: {o} đơn tại {n_units} đơn vị; không có đơn sắp đến hạn."),
        (false, o, s) => format!("Quá hạn: {o} đơn tại {n_units} đơn vị; sắp đến hạn: {s} đơn."),
        (true, 0, 0) => "No case is overdue or due soon.".to_string(),
        (true, 0, s) => format!("No case is overdue; due soon: {}.", en_cases(s)),
        (true, o, s) => format!(
            "Overdue: {} in {n_units} unit{}; due soon: {}.",
            en_cases(o),
            if n_units == 1 { "" } else { "s" },
            if s == 0 { "none".to_string() } else { en_cases(s) }
        ),
    };
    let mut out = if en {
        format!("📋 <b>Complaint cases</b> — as of {today}\n{counts}")
    } else {
        format!("📋 <b>Đơn thư quá hạn, sắp đến hạn</b> — tình hình ngày {today}\n{counts}")
    };
    let stage_word = |l: &CaseLine<'_>| match (l.eval.stage, en) {
        (Stage::Accept, false) => "hạn thụ lý",
        (Stage::Resolve, false) => "hạn giải quyết",
        (Stage::Accept, true) => "accept by",
        (Stage::Resolve, true) => "resolve by",
    };
    let due = |l: &CaseLine<'_>| l.eval.due.map(text::date).unwrap_or_else(|| "—".into());
    let section = |out: &mut String, title: &str, group: &DigestGroups<'_, '_>, overdue: bool| {
        if group.units.is_empty() {
            return;
        }
        out.push_str(&format!("\n\n<b>{title}</b>"));
        let shown = cap.map_or(group.units.len(), |cap| cap.min(group.units.len()));
        let hidden = group.units.len() - shown;
        for (unit, n, ls) in &group.units[..shown] {
            let n = *n;
            out.push_str(&format!(
                "\n• {}: {}",
                escape_html(&unit.name),
                if en { en_cases(n) } else { format!("{n} đơn") }
            ));
            for l in ls {
                let mut line = format!(
                    "\n   – {} · {} · {} {}",
                    escape_html(&l.case.reference),
                    escape_html(&l.rule.label),
                    stage_word(l),
                    due(l)
                );
                if overdue {
                    let days = l.eval.days_overdue;
                    line.push_str(&if en {
                        format!(" · {days} day{} overdue", if days == 1 { "" } else { "s" })
                    } else {
                        format!(" · quá hạn {days} ngày")
                    });
                    if newly.contains(case_atom(l).as_str()) {
                        line.push_str(if en { " (new)" } else { " (mới)" });
                    }
                }
                out.push_str(&line);
            }
            if n > DIGEST_CASES_PER_UNIT {
                let rest = n - DIGEST_CASES_PER_UNIT;
                out.push_str(&if en {
                    format!("\n   and {rest} more")
                } else {
                    format!("\n   và {rest} đơn khác")
                });
            }
        }
        if hidden > 0 {
            out.push_str(&format!("\n• {}", more_units(hidden, en)));
        }
    };
    section(&mut out, if en { "Overdue" } else { "Quá hạn" }, overdue, true);
    section(&mut out, if en { "Due soon" } else { "Sắp đến hạn" }, soon, false);
    out
}

/// `unit#ref`: how a digest records which cases it listed as overdue.
pub fn case_atom(l: &CaseLine<'_>) -> String {
    format!("{}#{}", l.case.unit, l.case.reference)
}

/// An indicator's value as its format says: `83,1%`, `1.234`, or `—`.
pub fn indicator_value(format: IndicatorFormat, v: Option<f64>, lang: Language) -> String {
    match (format, v) {
        (_, None) => "—".to_string(),
        (IndicatorFormat::Percent, Some(x)) => text::percent(x, lang),
        (IndicatorFormat::Number, Some(x)) if x.fract() == 0.0 && x.abs() < 9.0e15 => text::int(x as i64, lang),
        (IndicatorFormat::Number, Some(x)) => text::decimal(x, 1, lang),
    }
}

/// `+120 (+1,4%)`; the percentage reads `—` against a zero base.
pub fn change(current: i64, base: i64, lang: Language) -> String {
    let diff = current.saturating_sub(base);
    let sign = if diff > 0 { "+" } else { "" };
    let pct = if base == 0 {
        "—".to_string()
    } else {
        let p = diff as f64 / base as f64;
        format!("{}{}", if p > 0.0 { "+" } else { "" }, text::percent(p, lang))
    };
    format!("{sign}{} ({pct})", text::int(diff, lang))
}

/// A unit's state in words: vi `đúng hạn`, `gửi muộn`, `chưa gửi`,
/// `không hợp lệ`; en `on time`, `late`, `missing`, `invalid`.
pub fn state_word(state: UnitState, lang: Language) -> &'static str {
    match (state, lang.is_english()) {
        (UnitState::OnTime, false) => "đúng hạn",
        (UnitState::Late, false) => "gửi muộn",
        (UnitState::Missing, false) => "chưa gửi",
        (UnitState::Invalid, false) => "không hợp lệ",
        (UnitState::OnTime, true) => "on time",
        (UnitState::Late, true) => "late",
        (UnitState::Missing, true) => "missing",
        (UnitState::Invalid, true) => "invalid",
    }
}

/// A short state word for the monospace table.
fn short_state(state: UnitState, en: bool) -> &'static str {
    match (state, en) {
        (UnitState::OnTime, false) => "đúng",
        (UnitState::Late, false) => "muộn",
        (UnitState::Missing, false) => "chưa",
        (UnitState::Invalid, false) => "lỗi",
        (UnitState::OnTime, true) => "ok",
        (UnitState::Late, true) => "late",
        (UnitState::Missing, true) => "miss",
        (UnitState::Invalid, true) => "bad",
    }
}

/// At most this many characters (as Telegram counts them) of a summary or a
/// digest go to a chat: three messages once split, whatever the scale.
pub const MAX_CHAT_LEN: usize = 3 * 3_500;

/// The lengths a list of units is cut to, in turn, until a text fits
/// [`MAX_CHAT_LEN`]: none first (a small office reads every unit), then ever
/// fewer.
const CAPS: [Option<usize>; 7] = [None, Some(40), Some(20), Some(10), Some(5), Some(2), Some(0)];

/// "và N đơn vị khác": what a list cut at a cap says of the rest.
fn more_units(rest: usize, en: bool) -> String {
    if en {
        format!("and {rest} more units")
    } else {
        format!("và {rest} đơn vị khác")
    }
}

/// The first `cap` of `items` (all without a cap) as `show` writes them,
/// and the rest counted (not written: at national scale they are thousands).
fn capped<T>(
    items: impl IntoIterator<Item = T>,
    show: impl Fn(T) -> String,
    cap: Option<usize>,
    en: bool,
) -> Vec<String> {
    let mut items = items.into_iter();
    let mut out: Vec<String> = items.by_ref().take(cap.unwrap_or(usize::MAX)).map(show).collect();
    let rest = items.count();
    if rest > 0 {
        out.push(more_units(rest, en));
    }
    out
}

/// The first of `texts` (rendered with ever smaller caps) that fits a chat.
/// `least`: a length the uncapped text has at least; when that is already
/// too long, the uncapped text is not rendered at all (at national scale it
/// is a million characters, to be thrown away).
fn first_fitting(least: usize, mut render: impl FnMut(Option<usize>) -> String) -> String {
    let mut last = String::new();
    let skip = usize::from(least > MAX_CHAT_LEN);
    for cap in CAPS.into_iter().skip(skip) {
        last = render(cap);
        if text::telegram_len(&last) <= MAX_CHAT_LEN {
            break;
        }
    }
    last
}

/// 📊 The summary of a report-period with what needs attention, as it goes to
/// the chat: every unit named in a small office; at a large scale the totals,
/// the worst units first and "và N đơn vị khác", within [`MAX_CHAT_LEN`]
/// (the full table is in the spreadsheet).
pub fn summary_message(regime: &Regime, report: &Report, s: &Summary) -> String {
    // The uncapped table names every unit.
    let names: usize = s.rows.iter().map(|r| text::telegram_len(&r.name)).sum();
    first_fitting(names, |cap| {
        let mut out = summary_capped(regime, report, s, cap);
        out.push_str(&super::flags::attention_capped(regime, &s.flags, cap));
        out
    })
}

/// 📊 The summary of a report-period, in Telegram HTML: who sent, the
/// province's totals, the per-unit table, then what is wrong, every unit
/// named. Each part is its own function; a new part is one more push.
pub fn summary(regime: &Regime, report: &Report, s: &Summary) -> String {
    summary_capped(regime, report, s, None)
}

/// [`summary`] naming at most `cap` units in each list and in the table.
fn summary_capped(regime: &Regime, report: &Report, s: &Summary, cap: Option<usize>) -> String {
    let mut out = summary_head(regime, report, s, cap);
    out.push_str(&summary_totals(regime, report, s));
    out.push_str(&summary_table(regime, report, s, cap));
    out.push_str(&summary_problems(regime, s, cap));
    out
}

/// Title, deadline, who sent on time or late, who did not.
fn summary_head(regime: &Regime, report: &Report, s: &Summary, cap: Option<usize>) -> String {
    let en = en(regime);
    let names = |state: UnitState| s.rows.iter().filter(move |r| r.state == state);
    let name = |r: &super::summary::UnitRow| escape_html(&r.name);
    let total = s.rows.len();
    let received = s.count(UnitState::OnTime) + s.count(UnitState::Late);
    let due = text::time_and_date(&local(regime, s.due), regime.language);
    let (on_time, late_n) = (s.count(UnitState::OnTime), s.count(UnitState::Late));
    let mut out = if received == 0 {
        if en {
            format!(
                "📊 <b>Summary</b>: {}\nDeadline {due}. No unit has sent it",
                heading(regime, report, s.period)
            )
        } else {
            format!(
                "📊 <b>Tổng hợp</b>: {}\nHạn gửi {due}. Chưa đơn vị nào gửi báo cáo",
                heading(regime, report, s.period)
            )
        }
    } else if en {
        format!(
            "📊 <b>Summary</b>: {}\nDeadline {due}. Received from {received} of {total} unit{}: {on_time} on time, {late_n} late",
            heading(regime, report, s.period),
            if total == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "📊 <b>Tổng hợp</b>: {}\nHạn gửi {due}. Đã nhận {received}/{total} đơn vị: {on_time} gửi đúng hạn, {late_n} gửi muộn",
            heading(regime, report, s.period)
        )
    };
    let late = capped(names(UnitState::Late), name, cap, en);
    if !late.is_empty() {
        out.push_str(&format!(" ({})", late.join(", ")));
    }
    out.push('.');
    let outstanding = capped(
        names(UnitState::Missing).chain(names(UnitState::Invalid)),
        name,
        cap,
        en,
    );
    if !outstanding.is_empty() && received > 0 {
        out.push_str(&format!(
            "\n{} {}.",
            if en { "Not received:" } else { "Chưa gửi:" },
            outstanding.join(", ")
        ));
    }
    out
}

/// The province's totals and indicators, with the comparisons that exist; `—`
/// for a figure no unit has reported.
fn summary_totals(regime: &Regime, report: &Report, s: &Summary) -> String {
    let en = en(regime);
    let lang = regime.language;
    let total = s.rows.len();
    let reporting = s.reporting();
    let mut out = if en {
        format!("\n\n<b>Province totals</b> ({reporting}/{total} units)")
    } else {
        format!("\n\n<b>Số liệu toàn tỉnh</b> ({reporting}/{total} đơn vị)")
    };
    let compare_phrase = |c: &Comparison, last_year: bool| -> String {
        let what = match (last_year, en) {
            (false, false) => "so với kỳ trước",
            (true, false) => "so với cùng kỳ",
            (false, true) => "vs previous period",
            (true, true) => "vs same period last year",
        };
        // Totals over a different number of units are not like for like: say so.
        let partial = if c.units != reporting {
            format!(" ({}/{total} {})", c.units, if en { "units" } else { "đơn vị" })
        } else {
            String::new()
        };
        format!("{what}{partial}")
    };
    for m in &report.metrics {
        let value = s.totals.get(&m.key).copied();
        let shown = value.map_or_else(|| "—".to_string(), |v| text::int(v, lang));
        let mut line = format!("\n• {}: {shown}", escape_html(&m.label));
        let mut parts = Vec::new();
        for (c, ly) in [(&s.previous, false), (&s.last_year, true)] {
            if let Some(c) = c
                && let Some(base) = c.totals.get(&m.key)
                && let Some(value) = value
            {
                parts.push(format!("{} {}", compare_phrase(c, ly), change(value, *base, lang)));
            }
        }
        if !parts.is_empty() {
            line.push_str(&format!(" — {}", parts.join("; ")));
        }
        out.push_str(&line);
    }
    for (i, ind) in report.indicators.iter().enumerate() {
        let v = s.indicators.get(i).copied().flatten();
        let mut line = format!(
            "\n• {}: {}",
            escape_html(&ind.label),
            indicator_value(ind.format, v, lang)
        );
        let mut parts = Vec::new();
        for (c, ly) in [(&s.previous, false), (&s.last_year, true)] {
            if let Some(c) = c
                && reporting > 0
            {
                let before = c.indicators.get(i).copied().flatten();
                parts.push(format!(
                    "{} {}",
                    compare_phrase(c, ly),
                    indicator_value(ind.format, before, lang)
                ));
            }
        }
        if !parts.is_empty() {
            line.push_str(&format!(" — {}", parts.join("; ")));
        }
        out.push_str(&line);
    }
    out
}

/// How many characters of monospace text a phone shows on one line in
/// Telegram (a 360–390 pt wide screen at the default font size). A wider
/// table wraps and its columns no longer line up.
pub const PHONE_COLUMNS: usize = 42;

/// The per-unit figures in a monospace block: a table with numbered columns
/// when it fits [`PHONE_COLUMNS`], else one card per unit (name and state on a
/// line, then the numbered figures wrapped to the width). The legend follows.
fn summary_table(regime: &Regime, report: &Report, s: &Summary, cap: Option<usize>) -> String {
    let en = en(regime);
    let lang = regime.language;
    let columns = report.metrics.len() + report.indicators.len();
    let figures = |metrics: &std::collections::BTreeMap<String, i64>, indicators: &[Option<f64>]| -> Vec<String> {
        report
            .metrics
            .iter()
            .map(|m| metrics.get(&m.key).map_or("—".to_string(), |n| text::int(*n, lang)))
            .chain(
                report
                    .indicators
                    .iter()
                    .enumerate()
                    .map(|(i, ind)| indicator_value(ind.format, indicators.get(i).copied().flatten(), lang)),
            )
            .collect()
    };
    let total_name = if en { "Total" } else { "Toàn tỉnh" };
    // Cut: the worst units first (not in, invalid, late, then by overdue
    // cases), the rest counted below the block.
    let mut shown: Vec<&super::summary::UnitRow> = s.rows.iter().collect();
    let mut hidden = 0;
    if let Some(cap) = cap
        && shown.len() > cap
    {
        let rank = |st: UnitState| match st {
            UnitState::Missing => 0,
            UnitState::Invalid => 1,
            UnitState::Late => 2,
            _ => 3,
        };
        shown.sort_by_key(|r| (rank(r.state), std::cmp::Reverse(r.overdue_cases)));
        hidden = shown.len() - cap;
        shown.truncate(cap);
    }
    // (name, state word, figures) per line of the block, the totals last.
    let mut lines: Vec<(String, String, Vec<String>)> = shown
        .into_iter()
        .map(|r| {
            (
                r.name.clone(),
                short_state(r.state, en).to_string(),
                figures(&r.metrics, &r.indicators),
            )
        })
        .collect();
    lines.push((total_name.to_string(), String::new(), figures(&s.totals, &s.indicators)));

    let mut rows = vec![
        [if en { "Unit" } else { "Đơn vị" }, if en { "Sent" } else { "Gửi" }]
            .into_iter()
            .map(String::from)
            .chain((1..=columns).map(|n| format!("({n})")))
            .collect::<Vec<_>>(),
    ];
    rows.extend(lines.iter().map(|(name, state, figs)| {
        [name.clone(), state.clone()]
            .into_iter()
            .chain(figs.iter().cloned())
            .collect::<Vec<_>>()
    }));
    let table = text::align_columns(&rows, 2);
    let fits = table.iter().all(|l| l.chars().count() <= PHONE_COLUMNS);
    let block = if fits { table } else { unit_cards(&lines) };
    let legend: Vec<String> = report
        .metrics
        .iter()
        .map(|m| m.label.as_str())
        .chain(report.indicators.iter().map(|i| i.label.as_str()))
        .enumerate()
        .map(|(i, l)| format!("({}) {}", i + 1, escape_html(l)))
        .collect();
    let rest = if hidden > 0 {
        format!(
            "\n{}{}",
            more_units(hidden, en),
            if en {
                " — the full table is in the spreadsheet"
            } else {
                " — bảng đầy đủ trong tệp Excel"
            }
        )
    } else {
        String::new()
    };
    format!(
        "\n\n<b>{}</b>\n<pre>{}</pre>\n{}{rest}",
        if en { "By unit" } else { "Theo đơn vị" },
        escape_html(&block.join("\n")),
        legend.join("; ")
    )
}

/// One card per line of the table: `Name · state`, then `(k) figure` items
/// in aligned cells, as many to a line as [`PHONE_COLUMNS`] allows.
fn unit_cards(lines: &[(String, String, Vec<String>)]) -> Vec<String> {
    let items: Vec<Vec<String>> = lines
        .iter()
        .map(|(_, _, figs)| {
            figs.iter()
                .enumerate()
                .map(|(i, f)| format!("({}) {f}", i + 1))
                .collect()
        })
        .collect();
    let cell = items.iter().flatten().map(|c| c.chars().count()).max().unwrap_or(0);
    let indent = 1;
    let per_line = ((PHONE_COLUMNS - indent + 2) / (cell + 2)).max(1);
    let mut out = Vec::new();
    for ((name, state, _), cells) in lines.iter().zip(&items) {
        if !out.is_empty() {
            out.push(String::new());
        }
        out.push(if state.is_empty() {
            name.clone()
        } else {
            format!("{name} · {state}")
        });
        for chunk in cells.chunks(per_line) {
            let padded: Vec<String> = chunk
                .iter()
                .map(|c| format!("{c}{}", " ".repeat(cell - c.chars().count())))
                .collect();
            out.push(format!("{}{}", " ".repeat(indent), padded.join("  ").trim_end()));
        }
    }
    out
}

/// Invalid files not yet corrected and overdue cases, when there are any.
fn summary_problems(regime: &Regime, s: &Summary, cap: Option<usize>) -> String {
    let en = en(regime);
    let mut out = String::new();
    let with_errors: Vec<&super::summary::UnitRow> = s.rows.iter().filter(|r| !r.errors.is_empty()).collect();
    let (with_errors, errors_hidden) = match cap {
        Some(cap) if with_errors.len() > cap => (&with_errors[..cap], with_errors.len() - cap),
        _ => (&with_errors[..], 0),
    };
    let mut errors: Vec<String> = with_errors
        .iter()
        .flat_map(|r| {
            r.errors
                .iter()
                .map(move |e| format!("• {}: {}", escape_html(&r.name), escape_html(e)))
        })
        .collect();
    if errors_hidden > 0 {
        errors.push(format!("• {}", more_units(errors_hidden, en)));
    }
    if !errors.is_empty() {
        out.push_str(&format!(
            "\n\n❌ <b>{}</b>\n{}",
            if en {
                "Invalid files not yet corrected"
            } else {
                "Báo cáo không hợp lệ chưa được sửa"
            },
            errors.join("\n")
        ));
    }
    let mut with_overdue: Vec<&super::summary::UnitRow> = s.rows.iter().filter(|r| r.overdue_cases > 0).collect();
    if cap.is_some() {
        with_overdue.sort_by_key(|r| std::cmp::Reverse(r.overdue_cases));
    }
    let overdue: Vec<String> = capped(
        with_overdue,
        |r| format!("{}: {}", escape_html(&r.name), r.overdue_cases),
        cap,
        en,
    );
    if !overdue.is_empty() {
        let n: usize = s.rows.iter().map(|r| r.overdue_cases).sum();
        out.push_str(&if en {
            format!("\n\n📋 <b>Overdue cases</b>: {} — {}", en_cases(n), overdue.join("; "))
        } else {
            format!("\n\n📋 <b>Đơn thư quá hạn</b>: {n} đơn — {}", overdue.join("; "))
        });
    }
    out
}

/// ⚙️ Telegram moved the group to a supergroup: messages now go to the new id,
/// and the admins must put it in the config. Admins are mentioned by user id.
pub fn chat_migrated(language: super::regime::Language, old: i64, new: i64, admins: &[i64]) -> String {
    let english = language.is_english();
    let mentions: Vec<String> = admins
        .iter()
        .map(|id| {
            let label = if english { "admin" } else { "quản trị viên" };
            format!("<a href=\"tg://user?id={id}\">{label}</a>")
        })
        .collect();
    let mentions = if mentions.is_empty() {
        String::new()
    } else {
        format!("\n{}", mentions.join(", "))
    };
    if english {
        format!(
            "⚙️ <b>The Telegram group became a supergroup</b>: Telegram moved group <code>{old}</code> to <code>{new}</code>, and giaoban now sends there.\nPlease put the new group id <code>{new}</code> in the config file in place of the old one.{mentions}"
        )
    } else {
        format!(
            "⚙️ <b>Nhóm Telegram đã được nâng cấp thành siêu nhóm</b>: Telegram đã chuyển nhóm <code>{old}</code> sang <code>{new}</code>, giaoban đã gửi tin nhắn sang nhóm mới.\nĐề nghị quản trị viên thay mã nhóm cũ bằng mã nhóm mới <code>{new}</code> trong tệp cấu hình.{mentions}"
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;
    use crate::domain::calendar::WorkCalendar;
    use crate::domain::case::{Case, evaluate_all};
    use crate::domain::regime::{CaseRule, DayCount, WorkingHours};
    use crate::domain::span::Span;

    fn unit(id: &str, name: &str) -> Unit {
        Unit {
            id: id.into(),
            name: name.into(),
            kind: None,
            parent: None,
            remote_area: false,
            contacts: vec![],
            telegram_users: vec![],
            valid_from: None,
            valid_to: None,
            successors: vec![],
        }
    }

    fn regime() -> Regime {
        let span = |s: &str| Some(s.parse::<Span>().expect("span"));
        Regime {
            timezone: chrono_tz::Asia::Ho_Chi_Minh,
            language: Language::Vi,
            working_hours: WorkingHours::default(),
            calendar: WorkCalendar::default(),
            units: vec![unit("a", "Huyện <A> & Co"), unit("b", "Huyện B")],
            reports: vec![],
            case_rules: vec![CaseRule {
                kind: "kn1".into(),
                label: "Khiếu nại lần đầu".into(),
                accept_within: span("10d"),
                resolve_within: span("30d"),
                resolve_within_complex: None,
                resolve_within_remote: None,
                resolve_within_remote_complex: None,
                extension: None,
                max_extensions: 0,
                count: DayCount::Calendar,
                due_soon: "5d".parse().expect("span"),
                effective_from: None,
            }],
        }
    }

    fn case(unit: &str, reference: &str, received: &str, accepted: &str) -> Case {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        Case {
            unit: unit.into(),
            reference: reference.into(),
            kind: "kn1".into(),
            received_on: d(received),
            accepted_on: Some(d(accepted)),
            complex: false,
            extensions: 0,
            resolved: false,
            resolved_on: None,
        }
    }

    #[test]
    fn a_digest_from_fixed_cases_reads_as_expected() {
        let regime = regime();
        let mut cases: Vec<Case> = (1..=7)
            .map(|i| {
                case(
                    "a",
                    &format!("KN-{i:02}"),
                    "2024-06-01",
                    &format!("2024-06-{:02}", 10 + i),
                )
            })
            .collect();
        cases.push(case("b", "KN-<b>", "2024-08-01", "2024-08-05"));
        cases.push(case("b", "KN-20", "2024-08-12", "2024-08-22"));
        let today = NaiveDate::from_ymd_opt(2024, 9, 19).expect("date");
        let lines = evaluate_all(&regime, &cases, today);
        let now = chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2024, 9, 19, 8, 0, 0)
            .single()
            .expect("time")
            .with_timezone(&Utc);
        let text = case_digest(&regime, &lines, &["b#KN-<b>".into()], now);
        let expected = "📋 <b>Đơn thư quá hạn, sắp đến hạn</b> — tình hình ngày 19/09/2024
Quá hạn: 8 đơn tại 2 đơn vị; sắp đến hạn: 1 đơn.

<b>Quá hạn</b>
• Huyện &lt;A&gt; &amp; Co: 7 đơn
   – KN-01 · Khiếu nại lần đầu · hạn giải quyết 11/07/2024 · quá hạn 70 ngày
   – KN-02 · Khiếu nại lần đầu · hạn giải quyết 12/07/2024 · quá hạn 69 ngày
   – KN-03 · Khiếu nại lần đầu · hạn giải quyết 15/07/2024 · quá hạn 66 ngày
   – KN-04 · Khiếu nại lần đầu · hạn giải quyết 15/07/2024 · quá hạn 66 ngày
   – KN-05 · Khiếu nại lần đầu · hạn giải quyết 15/07/2024 · quá hạn 66 ngày
   và 2 đơn khác
• Huyện B: 1 đơn
   – KN-&lt;b&gt; · Khiếu nại lần đầu · hạn giải quyết 04/09/2024 · quá hạn 15 ngày (mới)

<b>Sắp đến hạn</b>
• Huyện B: 1 đơn
   – KN-20 · Khiếu nại lần đầu · hạn giải quyết 23/09/2024";
        assert_eq!(text, expected);
    }

    #[test]
    fn a_refused_config_is_told_in_vietnamese_without_keys_or_parser_text() {
        let regime = regime();
        let error = "/etc/giaoban/giaoban.toml:3:1: key `schedule.tik`: unknown field <tik>, expected one of `tick`\n\
                     /etc/giaoban/giaoban.toml:12:9: key `reports[0].grace`: invalid span";
        let text = config_error(&regime, error);
        assert_eq!(
            text,
            "⚙️ <b>Cấu hình mới chưa được áp dụng</b>\nTệp cấu hình vừa sửa có 2 lỗi (dòng 3, 12), nên giaoban vẫn chạy theo cấu hình cũ.\nĐề nghị quản trị viên chạy lệnh <code>giaoban check</code> để xem chi tiết, sửa tệp rồi nạp lại dịch vụ."
        );
        for raw in ["schedule", "tik", "reports[0]", "expected", "span", "giaoban.toml"] {
            assert!(!text.contains(raw), "{raw} in {text}");
        }
        let long = "x".repeat(10_000);
        assert!(config_error(&regime, &long).contains("có 1 lỗi, nên"));
    }

    fn big_regime(n: usize) -> Regime {
        let mut r = regime();
        r.units = (0..n)
            .map(|i| unit(&format!("u{i:05}"), &format!("Xã Phước Hòa số {i}")))
            .collect();
        r
    }

    fn big_report(units: &[Unit]) -> Report {
        use crate::domain::deadline::{DueRule, ReportTiming};
        use crate::domain::period::PeriodKind;
        use crate::domain::regime::Metric;
        Report {
            id: "9m".into(),
            title: "Báo cáo giao ban 9 tháng".into(),
            timing: ReportTiming {
                period_kind: PeriodKind::NineMonths,
                cutoff_day: Some(14),
                due: DueRule::DayOfLastMonth {
                    day: 18,
                    time: chrono::NaiveTime::from_hms_opt(17, 0, 0).expect("time"),
                },
                roll_to_working_day: true,
                grace: "1wd".parse().expect("span"),
                remind_before: vec![],
                repeat_late_every: None,
                repeat_late_max: 0,
            },
            units: units.iter().map(|u| u.id.clone()).collect(),
            metrics: ["m_a", "m_b", "m_c", "m_d", "m_e", "m_f", "m_g"]
                .iter()
                .map(|k| Metric {
                    key: (*k).into(),
                    label: format!("Chỉ tiêu {k}"),
                    aliases: vec![],
                    required: true,
                    better: None,
                    unit_label: None,
                })
                .collect(),
            rules: vec![],
            indicators: vec![],
            summary_when_complete: true,
        }
    }

    fn big_summary(units: &[Unit], report: &Report) -> Summary {
        let at = Utc.with_ymd_and_hms(2024, 9, 26, 10, 0, 0).single().expect("time");
        let rows = units
            .iter()
            .enumerate()
            .map(|(i, u)| crate::domain::summary::UnitRow {
                unit: u.id.clone(),
                name: u.name.clone(),
                state: match i % 10 {
                    0 => UnitState::Late,
                    1 => UnitState::Missing,
                    2 => UnitState::Invalid,
                    _ => UnitState::OnTime,
                },
                received_at: None,
                metrics: report
                    .metrics
                    .iter()
                    .map(|m| (m.key.clone(), 1000 + i as i64))
                    .collect(),
                indicators: vec![],
                errors: if i % 10 == 2 {
                    vec!["thiếu cột m_a".into()]
                } else {
                    vec![]
                },
                overdue_cases: i % 7,
            })
            .collect();
        Summary {
            report: report.id.clone(),
            period: Period {
                kind: crate::domain::period::PeriodKind::NineMonths,
                year: 2024,
                index: 1,
            },
            at,
            due: at,
            late_after: at,
            rows,
            totals: report.metrics.iter().map(|m| (m.key.clone(), 1)).collect(),
            indicators: vec![],
            previous: None,
            last_year: None,
            flags: Default::default(),
        }
    }

    fn messages(html: &str) -> usize {
        text::split_html(html, text::TELEGRAM_MAX_LEN).len()
    }

    #[test]
    fn a_summary_of_ten_thousand_units_is_at_most_three_messages_worst_first() {
        let regime = big_regime(10_000);
        let report = big_report(&regime.units);
        let s = big_summary(&regime.units, &report);
        let text = summary_message(&regime, &report, &s);
        assert!(messages(&text) <= 3, "{} messages", messages(&text));
        assert!(text.contains("đơn vị khác"), "{text}");
        assert!(text.contains("bảng đầy đủ trong tệp Excel"), "{text}");
        assert!(text.contains("Đã nhận 8000/10000 đơn vị"), "{text}");
        // The worst units first: units not in, those with the most overdue
        // cases at the top; no on-time unit.
        let table = text.split("<pre>").nth(1).expect("table");
        let first = table.lines().next().expect("a row");
        assert!(first.starts_with("Xã Phước Hòa số 41 "), "{table}");
        assert!(!table.contains("Xã Phước Hòa số 3 "), "{table}");
    }

    #[test]
    fn a_small_office_summary_names_every_unit() {
        let regime = big_regime(12);
        let report = big_report(&regime.units);
        let s = big_summary(&regime.units, &report);
        let text = summary_message(&regime, &report, &s);
        assert_eq!(text, summary(&regime, &report, &s));
        assert!(!text.contains("đơn vị khác"), "{text}");
        for u in &regime.units {
            assert!(text.contains(&u.name), "{} missing", u.name);
        }
    }

    #[test]
    fn a_digest_of_ten_thousand_units_is_at_most_three_messages() {
        let regime = big_regime(10_000);
        let cases: Vec<Case> = regime
            .units
            .iter()
            .enumerate()
            .flat_map(|(i, u)| {
                (0..1 + i % 4).map(move |c| case(&u.id, &format!("KN-{i}-{c}"), "2024-06-01", "2024-06-11"))
            })
            .collect();
        let today = NaiveDate::from_ymd_opt(2024, 9, 19).expect("date");
        let lines = evaluate_all(&regime, &cases, today);
        let now = Utc.with_ymd_and_hms(2024, 9, 19, 1, 0, 0).single().expect("time");
        let text = case_digest(&regime, &lines, &[], now);
        assert!(messages(&text) <= 3, "{} messages", messages(&text));
        assert!(
            text.contains(&format!("Quá hạn: {} đơn tại 10000 đơn vị", cases.len())),
            "{text}"
        );
        assert!(text.contains("đơn vị khác"), "{text}");
        // Units with the most cases come first.
        assert!(text.contains("Xã Phước Hòa số 3: 4 đơn"), "{text}");
        assert!(!text.contains("Xã Phước Hòa số 0: 1 đơn"), "{text}");
    }

    #[test]
    fn a_digest_from_counts_and_the_cases_of_the_units_it_shows_reads_as_one_from_every_case() {
        let today = NaiveDate::from_ymd_opt(2024, 9, 19).expect("date");
        let now = Utc.with_ymd_and_hms(2024, 9, 19, 1, 0, 0).single().expect("time");
        // Small offices show every unit; large ones the worst of each
        // section: overdue (accepted 11/06) and due soon (accepted 21/08).
        for units in [3, 40, 700, 3_000] {
            let regime = big_regime(units);
            let cases: Vec<Case> = regime
                .units
                .iter()
                .enumerate()
                .flat_map(|(i, u)| {
                    let over = (0..i % 9).map(move |c| case(&u.id, &format!("KN-{i}-{c}"), "2024-06-01", "2024-06-11"));
                    let soon = (0..i % 4).map(move |c| case(&u.id, &format!("DS-{i}-{c}"), "2024-08-15", "2024-08-21"));
                    over.chain(soon)
                })
                .collect();
            let lines = evaluate_all(&regime, &cases, today);
            let counts = digest_counts(&lines);
            let shown = digest_units(&regime, &counts);
            let read: Vec<CaseLine<'_>> = lines
                .iter()
                .filter(|l| shown.contains(&l.case.unit.as_str()))
                .cloned()
                .collect();
            if units >= 700 {
                assert!(shown.len() <= 80, "{units} units: reads {} units' cases", shown.len());
            } else {
                assert_eq!(
                    read.len(),
                    lines.len(),
                    "{units} units: a small office reads every case"
                );
            }
            let newly = vec![format!("{}#KN-2-0", regime.units[2].id)];
            assert_eq!(
                case_digest_of(&regime, &counts, &read, &newly, now),
                case_digest(&regime, &lines, &newly, now),
                "{units} units"
            );
        }
    }
}
