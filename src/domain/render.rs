//! Chat messages, in Telegram HTML. Every dynamic string is escaped here;
//! wording follows domain.md (Vietnamese by default, English as an option).

use chrono::{DateTime, Utc};

use super::deadline::Deadlines;
use super::period::Period;
use super::plan::UnitStatus;
use super::regime::{Regime, Report, Unit};
use super::status::UnitState;
use super::text::{self, escape_html};

fn en(regime: &Regime) -> bool {
    regime.language.is_english()
}

/// `Báo cáo giao ban 9 tháng — 9 tháng năm 2024`, escaped.
fn heading(regime: &Regime, report: &Report, period: Period) -> String {
    format!(
        "{} — {}",
        escape_html(&report.title),
        escape_html(&period.name(en(regime)))
    )
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
fn unit_line(regime: &Regime, s: &UnitStatus<'_>) -> String {
    let mut line = format!("• {}", escape_html(&s.unit.name));
    if !s.unit.contacts.is_empty() {
        let contacts: Vec<String> = s.unit.contacts.iter().map(|c| escape_html(c)).collect();
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
            "⏰ <b>Reminder</b>: {} (data {w0}–{w1}), {}.\n{n}/{total} units have not sent it yet:\n{}\nPlease send the report before the deadline.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            unit_list(regime, outstanding)
        )
    } else {
        format!(
            "⏰ <b>Nhắc nhở</b>: {} (số liệu {w0}–{w1}), {}.\nCòn {n}/{total} đơn vị chưa gửi:\n{}\nĐề nghị các đơn vị gửi báo cáo trước hạn.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            unit_list(regime, outstanding)
        )
    }
}

/// ⚠️ Once the grace has ended: every unit still missing, in one message.
pub fn late(regime: &Regime, report: &Report, d: &Deadlines, outstanding: &[&UnitStatus<'_>], total: usize) -> String {
    let n = outstanding.len();
    let grace = grace_phrase(regime, report);
    if en(regime) {
        format!(
            "⚠️ <b>Overdue</b>: {}, {}{grace} has passed.\n{n}/{total} units have not sent it:\n{}\nPlease send the report now.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            unit_list(regime, outstanding)
        )
    } else {
        format!(
            "⚠️ <b>Quá hạn</b>: {}, {}{grace} đã qua.\n{n}/{total} đơn vị chưa gửi:\n{}\nĐề nghị các đơn vị gửi báo cáo ngay.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            unit_list(regime, outstanding)
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
            "🔔 <b>Urging</b> ({k}/{max}): {}, {overdue} past the {}.\nStill {n}/{total} units have not sent it:\n{}\nPlease send the report now.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            unit_list(regime, outstanding)
        )
    } else {
        format!(
            "🔔 <b>Đôn đốc</b> (lần {k}/{max}): {}, đã quá {} {overdue}.\nCòn {n}/{total} đơn vị chưa gửi:\n{}\nĐề nghị các đơn vị khẩn trương gửi báo cáo.",
            heading(regime, report, d.period),
            deadline_phrase(regime, d),
            unit_list(regime, outstanding)
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
    if en(regime) {
        format!(
            "❌ <b>Invalid report</b>: {}\n{}\nPlease check the file and send it again; an earlier valid revision, if any, stays in force.",
            heading(regime, report, period),
            lines.join("\n")
        )
    } else {
        format!(
            "❌ <b>Báo cáo không hợp lệ</b>: {}\n{}\nĐề nghị đơn vị kiểm tra và gửi lại; bản hợp lệ trước đó (nếu có) vẫn được giữ.",
            heading(regime, report, period),
            lines.join("\n")
        )
    }
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
            "⚙️ <b>The Telegram group became a supergroup</b>: Telegram moved group <code>{old}</code> to <code>{new}</code>, and giaoban now sends there.\nPlease set <code>chat_id = {new}</code> in the <code>[telegram]</code> section of the config file.{mentions}"
        )
    } else {
        format!(
            "⚙️ <b>Nhóm Telegram đã được nâng cấp thành siêu nhóm</b>: Telegram đã chuyển nhóm <code>{old}</code> sang <code>{new}</code>, giaoban đã gửi tin nhắn sang nhóm mới.\nĐề nghị quản trị viên cập nhật <code>chat_id = {new}</code> trong mục <code>[telegram]</code> của tệp cấu hình.{mentions}"
        )
    }
}
