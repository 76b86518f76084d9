//! The bot's answers, in Telegram HTML, formatted for a phone: short lines,
//! monospace blocks no wider than [`PHONE_WIDTH`], Vietnamese labels (the
//! config's names and titles), never a metric key or a formula.

use chrono::{DateTime, Utc};

use super::case::{CaseLine, CaseState};
use super::deadline::Deadlines;
use super::plan::UnitStatus;
use super::regime::{Regime, Report, Unit};
use super::render;
use super::text::{self, escape_html};

/// How many overdue units a reply lists before "và N đơn vị khác".
const UNITS_SHOWN: usize = 15;
/// How many cases per unit.
const CASES_SHOWN: usize = 5;

fn en(regime: &Regime) -> bool {
    regime.language.is_english()
}

fn title(regime: &Regime, report: &Report, d: &Deadlines) -> String {
    // The title often names the period kind already ("… 9 tháng"): say it once.
    escape_html(&super::render::report_title(regime, report, d.period))
}

fn due_line(regime: &Regime, d: &Deadlines) -> String {
    let at = text::time_and_date(&d.due.with_timezone(&regime.timezone), regime.language);
    if en(regime) {
        format!("Deadline: {at}")
    } else {
        format!("Hạn gửi: {at}")
    }
}

/// ⏳ `/late`: the units still owing the report, with their contacts.
pub fn late(regime: &Regime, report: &Report, d: &Deadlines, statuses: &[UnitStatus<'_>]) -> String {
    let owing: Vec<&UnitStatus<'_>> = statuses.iter().filter(|s| s.state.is_outstanding()).collect();
    if owing.is_empty() {
        return if en(regime) {
            format!(
                "✅ <b>{}</b>\nEvery unit has sent its report.",
                title(regime, report, d)
            )
        } else {
            format!("✅ <b>{}</b>\nTất cả đơn vị đã gửi báo cáo.", title(regime, report, d))
        };
    }
    let lines: Vec<String> = owing.iter().map(|s| render::unit_line(regime, s)).collect();
    let head = if en(regime) {
        format!("{}/{} units have not sent:", owing.len(), statuses.len())
    } else {
        format!("Còn {}/{} đơn vị chưa gửi:", owing.len(), statuses.len())
    };
    format!(
        "⏳ <b>{}</b>\n{}\n{head}\n{}",
        title(regime, report, d),
        due_line(regime, d),
        lines.join("\n")
    )
}

/// ⚠️ `/overdue`: overdue cases per unit, worst first, bounded.
pub fn overdue(regime: &Regime, lines: &[CaseLine<'_>], unit: Option<&Unit>) -> String {
    let overdue: Vec<&CaseLine<'_>> = lines
        .iter()
        .filter(|l| l.eval.state == CaseState::Overdue && unit.is_none_or(|u| u.id == l.case.unit))
        .collect();
    let whose = unit.map(|u| format!(" — {}", escape_html(&u.name))).unwrap_or_default();
    if overdue.is_empty() {
        return if en(regime) {
            format!("✅ No overdue cases{whose}.")
        } else {
            format!("✅ Không có đơn thư quá hạn{whose}.")
        };
    }
    let mut by_unit: Vec<(String, Vec<&CaseLine<'_>>)> = Vec::new();
    for l in &overdue {
        match by_unit.iter_mut().find(|(u, _)| *u == l.case.unit) {
            Some((_, list)) => list.push(l),
            None => by_unit.push((l.case.unit.clone(), vec![l])),
        }
    }
    for (_, list) in &mut by_unit {
        list.sort_by_key(|l| std::cmp::Reverse(l.eval.days_overdue));
    }
    by_unit.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let units_count = by_unit.len();
    let mut out = if en(regime) {
        format!(
            "⚠️ <b>Overdue cases{whose}</b>: {} in {} unit{}",
            overdue.len(),
            units_count,
            if units_count == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "⚠️ <b>Đơn thư quá hạn{whose}</b>: {} đơn tại {} đơn vị",
            overdue.len(),
            units_count
        )
    };
    for (unit_id, list) in by_unit.iter().take(UNITS_SHOWN) {
        let name = regime.unit(unit_id).map_or(unit_id.as_str(), |u| u.name.as_str());
        out.push_str(&format!("\n• {}: {}", escape_html(name), list.len()));
        for l in list.iter().take(CASES_SHOWN) {
            let kind = regime
                .case_rules
                .iter()
                .find(|r| r.kind == l.case.kind)
                .map_or("", |r| r.label.as_str());
            let days = l.eval.days_overdue;
            let late = if en(regime) {
                format!("{days} day{} overdue", if days == 1 { "" } else { "s" })
            } else {
                format!("quá hạn {days} ngày")
            };
            out.push_str(&format!(
                "\n   – {} · {} · {late}",
                escape_html(&l.case.reference),
                escape_html(kind)
            ));
        }
        if list.len() > CASES_SHOWN {
            let more = list.len() - CASES_SHOWN;
            out.push_str(&if en(regime) {
                format!("\n   – and {more} more")
            } else {
                format!("\n   – và {more} đơn khác")
            });
        }
    }
    if units_count > UNITS_SHOWN {
        let more = units_count - UNITS_SHOWN;
        out.push_str(&if en(regime) {
            format!("\n… and {more} more units")
        } else {
            format!("\n… và {more} đơn vị khác")
        });
    }
    out
}

/// 🏢 `/units`: each unit's name and the short code commands take.
pub fn units(regime: &Regime, units: &[&Unit]) -> String {
    let head = if en(regime) {
        format!("🏢 <b>Reporting units</b> ({})", units.len())
    } else {
        format!("🏢 <b>Đơn vị báo cáo</b> ({} đơn vị)", units.len())
    };
    let lines: Vec<String> = units
        .iter()
        .map(|u| format!("• {} — <code>{}</code>", escape_html(&u.name), escape_html(&u.id)))
        .collect();
    let hint = if en(regime) {
        "The code after each name is what commands take, e.g. /overdue CODE."
    } else {
        "Mã sau mỗi tên dùng trong lệnh, ví dụ /quahan MÃ."
    };
    format!("{head}\n{}\n{hint}", lines.join("\n"))
}

/// ❓ `/help`: the commands with their aliases, and how to send a report.
pub fn help(regime: &Regime, commands: &[(&str, &str, bool, &str, &str)], admin: bool) -> String {
    let english = en(regime);
    let lines: Vec<String> = commands
        .iter()
        .filter(|c| admin || !c.2)
        .map(|c| {
            let what = if english { c.4 } else { c.3 };
            format!("/{} (/{}) — {what}", c.1, c.0)
        })
        .collect();
    let reports: Vec<String> = regime
        .reports
        .iter()
        .map(|r| format!("<code>{}</code> {}", escape_html(&r.id), escape_html(&r.title)))
        .collect();
    if english {
        format!(
            "❓ <b>How to use the bot</b>\n{}\n\n<b>Sending a report</b>: send the filled XLSX, CSV or JSON file here, with the report and period in the caption, e.g. <code>9m 2024-9M</code>. Reports: {}.",
            lines.join("\n"),
            reports.join("; ")
        )
    } else {
        format!(
            "❓ <b>Hướng dẫn sử dụng</b>\n{}\n\n<b>Gửi báo cáo</b>: gửi tệp XLSX, CSV hoặc JSON đã điền vào đây, ghi báo cáo và kỳ trong chú thích, ví dụ <code>9m 2024-9M</code>. Các báo cáo: {}.",
            lines.join("\n"),
            reports.join("; ")
        )
    }
}

/// The usage line of a command given wrong arguments.
pub fn usage(regime: &Regime, command: &str, alias: &str) -> String {
    let english = en(regime);
    let args = match command {
        "status" | "summary" => {
            if english {
                "[report] [period]"
            } else {
                "[báo cáo] [kỳ]"
            }
        }
        "late" | "collect" | "remind" => {
            if english {
                "[report]"
            } else {
                "[báo cáo]"
            }
        }
        "overdue" => {
            if english {
                "[unit]"
            } else {
                "[đơn vị]"
            }
        }
        "mute" => {
            if english {
                "unit|report duration [reason], e.g. 3d"
            } else {
                "đơn vị|báo cáo thời gian [lý do], ví dụ 3d"
            }
        }
        "unmute" => {
            if english {
                "unit|report"
            } else {
                "đơn vị|báo cáo"
            }
        }
        "task" => {
            if english {
                "DD/MM/YYYY unit,unit title"
            } else {
                "DD/MM/YYYY mã-đơn-vị,mã-đơn-vị nội dung"
            }
        }
        _ => "",
    };
    let example = regime
        .reports
        .first()
        .map(|r| format!(" /{alias} {}", escape_html(&r.id)))
        .unwrap_or_default();
    if english {
        format!("Usage: /{command} {args}. See /units for the codes.{example}")
    } else {
        format!("Cách dùng: /{alias} {args}. Xem mã đơn vị bằng /donvi.{example}")
    }
}

/// ⛔ An admin command from someone who is not an admin.
pub fn not_admin(regime: &Regime, alias: &str) -> String {
    if en(regime) {
        format!("⛔ /{alias} is for administrators only.")
    } else {
        format!("⛔ Lệnh /{alias} chỉ dành cho quản trị viên.")
    }
}

/// ⛔ A file from someone who may not send any unit's report.
pub fn not_a_unit_user(regime: &Regime) -> String {
    if en(regime) {
        "⛔ You are not listed as an officer of any reporting unit, so the file was not stored.".to_string()
    } else {
        "⛔ Anh/chị chưa có tên trong danh sách cán bộ gửi báo cáo của đơn vị nào, nên tệp không được lưu.".to_string()
    }
}

/// ❔ A file whose report or period could not be told.
pub fn which_report(regime: &Regime, choices: &[String]) -> String {
    let example = regime
        .reports
        .first()
        .map(|r| format!("<code>{}</code>", escape_html(&r.id)))
        .unwrap_or_default();
    let choices = if choices.is_empty() {
        String::new()
    } else {
        format!(" ({})", escape_html(&choices.join(", ")))
    };
    if en(regime) {
        format!(
            "❔ Which report and period is this file for{choices}? Send it again with them in the caption, e.g. {example} 2024-9M."
        )
    } else {
        format!(
            "❔ Tệp này là báo cáo nào, kỳ nào{choices}? Đề nghị gửi lại và ghi báo cáo, kỳ trong chú thích, ví dụ {example} 2024-9M."
        )
    }
}

/// 🔕 / 🔔 A mute set, lifted, or run out.
pub fn mute(regime: &Regime, what: &str, until: Option<DateTime<Utc>>, reason: Option<&str>) -> String {
    let what = escape_html(what);
    let reason = reason
        .map(|r| {
            if en(regime) {
                format!(" Reason: {}.", escape_html(r))
            } else {
                format!(" Lý do: {}.", escape_html(r))
            }
        })
        .unwrap_or_default();
    match until {
        Some(until) => {
            let at = text::time_and_date(&until.with_timezone(&regime.timezone), regime.language);
            if en(regime) {
                format!("🔕 Notices about {what} are paused until {at}.{reason}")
            } else {
                format!("🔕 Tạm dừng nhắc nhở đối với {what} đến {at}.{reason}")
            }
        }
        None => {
            if en(regime) {
                format!("🔔 Notices about {what} resume.")
            } else {
                format!("🔔 Tiếp tục nhắc nhở đối với {what}.")
            }
        }
    }
}

/// 📥 `/collect`: what the pass found.
pub fn collected(regime: &Regime, new: usize, unchanged: usize, rejected: usize, failed: usize) -> String {
    if en(regime) {
        format!("📥 Collected: {new} new, {unchanged} unchanged, {rejected} rejected, {failed} could not be read.")
    } else {
        format!(
            "📥 Đã thu thập: {new} bản mới, {unchanged} không thay đổi, {rejected} không hợp lệ, {failed} không đọc được."
        )
    }
}

/// `/task`: the key task was recorded.
pub fn task_added(regime: &Regime, id: &str) -> String {
    if en(regime) {
        format!(
            "📌 Key task recorded as <code>{}</code>; its owners will be reminded before the deadline.",
            escape_html(id)
        )
    } else {
        format!(
            "📌 Đã ghi nhận nhiệm vụ <code>{}</code>; đơn vị thực hiện sẽ được nhắc trước thời hạn.",
            escape_html(id)
        )
    }
}

/// A reply to a task message read as progress.
pub fn progress(regime: &Regime, task: &str, status: &super::briefing::ProgressStatus) -> String {
    let done = matches!(status, super::briefing::ProgressStatus::Done);
    match (en(regime), done) {
        (true, true) => format!("✅ Noted: task <code>{}</code> is done.", escape_html(task)),
        (true, false) => format!("📝 Noted: task <code>{}</code> is in progress.", escape_html(task)),
        (false, true) => format!(
            "✅ Đã ghi nhận: nhiệm vụ <code>{}</code> đã hoàn thành.",
            escape_html(task)
        ),
        (false, false) => format!(
            "📝 Đã ghi nhận: nhiệm vụ <code>{}</code> đang thực hiện.",
            escape_html(task)
        ),
    }
}

/// `/remind` when no unit owes a report before its deadline.
pub fn nothing_to_remind(regime: &Regime) -> String {
    if en(regime) {
        "✅ No unit owes a report before its deadline: no reminder sent.".to_string()
    } else {
        "✅ Không có đơn vị nào cần nhắc trước hạn gửi báo cáo.".to_string()
    }
}

/// `/remind`: how many reminders went to the group.
pub fn reminded(regime: &Regime, count: usize) -> String {
    if en(regime) {
        format!("⏰ {count} reminder(s) sent to the group.")
    } else {
        format!("⏰ Đã gửi {count} nhắc nhở vào nhóm.")
    }
}
