//! Commands as officials type them: `/status`, `/trangthai 9m 2024-9M`,
//! `/mute@giaoban_bot tan-chau 3d họp chi bộ`. Pure parsing against the
//! regime's report and unit ids; a wrong argument is a usage error that
//! names the command.

use crate::domain::period::Period;
use crate::domain::regime::Regime;
use crate::domain::span::Span;

/// The commands, each with its Vietnamese alias, whether it needs an admin,
/// and its description for `setMyCommands` and `/help`.
pub const COMMANDS: [(&str, &str, bool, &str, &str); 11] = [
    (
        "status",
        "trangthai",
        false,
        "Tình hình gửi báo cáo kỳ hiện tại",
        "Who has sent the current report",
    ),
    (
        "late",
        "chuagui",
        false,
        "Các đơn vị chưa gửi báo cáo",
        "Units still owing a report",
    ),
    (
        "overdue",
        "quahan",
        false,
        "Đơn thư quá hạn giải quyết",
        "Overdue complaint cases",
    ),
    (
        "summary",
        "tonghop",
        false,
        "Tổng hợp số liệu một kỳ báo cáo",
        "The summary of a period",
    ),
    (
        "units",
        "donvi",
        false,
        "Danh sách đơn vị báo cáo",
        "The reporting units",
    ),
    ("help", "trogiup", false, "Hướng dẫn sử dụng", "How to use the bot"),
    (
        "mute",
        "tamdung",
        true,
        "Tạm dừng nhắc một đơn vị hoặc báo cáo (quản trị)",
        "Pause notices for a unit or report (admins)",
    ),
    (
        "unmute",
        "tieptuc",
        true,
        "Bỏ tạm dừng nhắc (quản trị)",
        "Resume notices (admins)",
    ),
    (
        "collect",
        "thuthap",
        true,
        "Thu thập báo cáo ngay (quản trị)",
        "Collect now (admins)",
    ),
    (
        "remind",
        "nhacnho",
        true,
        "Gửi nhắc nhở ngay (quản trị)",
        "Send the reminders now (admins)",
    ),
    (
        "task",
        "nhiemvu",
        true,
        "Giao nhiệm vụ: ngày đơn-vị nội dung (quản trị)",
        "Add a key task: date units title (admins)",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Status {
        report: Option<String>,
        period: Option<Period>,
    },
    Late {
        report: Option<String>,
    },
    Overdue {
        unit: Option<String>,
    },
    Summary {
        report: Option<String>,
        period: Option<Period>,
    },
    Units,
    Help,
    Mute {
        target: Target,
        span: Span,
        reason: Option<String>,
    },
    Unmute {
        target: Target,
    },
    Collect {
        report: Option<String>,
    },
    Remind {
        report: Option<String>,
    },
    /// `/task DD/MM/YYYY unit,unit title`: the text after the command.
    Task {
        text: String,
    },
}

/// What a mute is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Unit(String),
    Report(String),
}

impl Target {
    /// As stored: `unit:{id}` or `report:{id}`.
    pub fn key(&self) -> String {
        match self {
            Target::Unit(id) => format!("unit:{id}"),
            Target::Report(id) => format!("report:{id}"),
        }
    }
}

impl Command {
    /// The command's English name (`status`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Status { .. } => "status",
            Command::Late { .. } => "late",
            Command::Overdue { .. } => "overdue",
            Command::Summary { .. } => "summary",
            Command::Units => "units",
            Command::Help => "help",
            Command::Mute { .. } => "mute",
            Command::Unmute { .. } => "unmute",
            Command::Collect { .. } => "collect",
            Command::Remind { .. } => "remind",
            Command::Task { .. } => "task",
        }
    }

    pub fn needs_admin(&self) -> bool {
        COMMANDS.iter().any(|c| c.0 == self.name() && c.2)
    }
}

/// A command that could not be read: which one (its English name), for the
/// usage line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage(pub &'static str);

/// More arguments than any command takes, or longer than any id: refused
/// before anything is looked up.
const MAX_ARGS: usize = 12;
const MAX_ARG_LEN: usize = 64;

/// Reads a message's text as a command: `None` when it is not one of ours
/// (not a command, an unknown command, or one addressed to another bot).
pub fn parse(text: &str, regime: &Regime, bot_username: Option<&str>) -> Option<Result<Command, Usage>> {
    let text = text.trim();
    let rest = text.strip_prefix('/')?;
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let (name, addressed) = match head.split_once('@') {
        Some((name, to)) => (name, Some(to)),
        None => (head, None),
    };
    if let (Some(to), Some(me)) = (addressed, bot_username)
        && !to.eq_ignore_ascii_case(me)
    {
        return None;
    }
    let name = name.to_lowercase();
    let (english, ..) = COMMANDS.iter().find(|c| c.0 == name || c.1 == name)?;
    if *english == "task" {
        let text: String = args.trim().chars().take(500).collect();
        return Some(if text.is_empty() {
            Err(Usage("task"))
        } else {
            Ok(Command::Task { text })
        });
    }
    let args: Vec<&str> = args.split_whitespace().collect();
    Some(read_args(english, &args, args_text(text), regime))
}

/// The text after the command's first two arguments (a mute's reason).
fn args_text(text: &str) -> &str {
    let mut rest = text;
    for _ in 0..3 {
        rest = rest.trim_start();
        rest = rest.find(char::is_whitespace).map_or("", |i| &rest[i..]);
    }
    rest.trim()
}

fn read_args(name: &'static str, args: &[&str], tail: &str, regime: &Regime) -> Result<Command, Usage> {
    let usage = || Usage(name);
    if args.len() > MAX_ARGS || args.iter().any(|a| a.chars().count() > MAX_ARG_LEN) {
        return Err(usage());
    }
    let is_report = |a: &str| regime.reports.iter().any(|r| r.id == a);
    let is_unit = |a: &str| regime.units.iter().any(|u| u.id == a);
    // Report and period, in either order, each at most once.
    let report_period = |args: &[&str]| -> Result<(Option<String>, Option<Period>), Usage> {
        let (mut report, mut period) = (None, None);
        for a in args {
            if is_report(a) && report.is_none() {
                report = Some(a.to_string());
            } else if let (Ok(p), None) = (Period::parse(a), period) {
                period = Some(p);
            } else {
                return Err(usage());
            }
        }
        Ok((report, period))
    };
    let one = |args: &[&str], ok: &dyn Fn(&str) -> bool| -> Result<Option<String>, Usage> {
        match args {
            [] => Ok(None),
            [a] if ok(a) => Ok(Some(a.to_string())),
            _ => Err(usage()),
        }
    };
    let target = |a: &str| {
        if is_unit(a) {
            Some(Target::Unit(a.to_string()))
        } else if is_report(a) {
            Some(Target::Report(a.to_string()))
        } else {
            None
        }
    };
    Ok(match name {
        "status" => {
            let (report, period) = report_period(args)?;
            Command::Status { report, period }
        }
        "summary" => {
            let (report, period) = report_period(args)?;
            Command::Summary { report, period }
        }
        "late" => Command::Late {
            report: one(args, &is_report)?,
        },
        "overdue" => Command::Overdue {
            unit: one(args, &is_unit)?,
        },
        "collect" => Command::Collect {
            report: one(args, &is_report)?,
        },
        "remind" => Command::Remind {
            report: one(args, &is_report)?,
        },
        "units" if args.is_empty() => Command::Units,
        "help" => Command::Help,
        "mute" => {
            let [who, span, ..] = args else {
                return Err(usage());
            };
            let target = target(who).ok_or_else(usage)?;
            let span: Span = span.parse().map_err(|_| usage())?;
            let reason = (!tail.is_empty()).then(|| tail.chars().take(200).collect());
            Command::Mute { target, span, reason }
        }
        "unmute" => match args {
            [who] => Command::Unmute {
                target: target(who).ok_or_else(usage)?,
            },
            _ => return Err(usage()),
        },
        _ => return Err(usage()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regime() -> Regime {
        let toml = r#"
[[units]]
id = "tan-chau"
name = "Huyện Tân Châu"
[[reports]]
id = "9m"
title = "Báo cáo giao ban 9 tháng"
period = "nine_months"
due = { day = 18, time = "17:00" }
[[reports.metrics]]
key = "a"
label = "A"
"#;
        crate::config::Config::from_text(std::path::Path::new("t.toml"), toml, None)
            .expect("config")
            .regime
    }

    #[test]
    fn commands_and_their_vietnamese_aliases_read_the_same() {
        let r = regime();
        let p = |t: &str| parse(t, &r, Some("giaoban_bot"));
        let status = Command::Status {
            report: Some("9m".into()),
            period: Some(Period::parse("2024-9M").expect("period")),
        };
        assert_eq!(p("/status 9m 2024-9M"), Some(Ok(status.clone())));
        assert_eq!(p("/trangthai 2024-9M 9m"), Some(Ok(status.clone())));
        assert_eq!(p("/status@giaoban_bot 9m 2024-9M"), Some(Ok(status)));
        assert_eq!(p("/status@other_bot"), None, "addressed to another bot");
        assert_eq!(p("/chuagui"), Some(Ok(Command::Late { report: None })));
        assert_eq!(
            p("/quahan tan-chau"),
            Some(Ok(Command::Overdue {
                unit: Some("tan-chau".into())
            }))
        );
        assert_eq!(p("hello"), None);
        assert_eq!(p("/unknown"), None);
    }

    #[test]
    fn wrong_or_absurd_arguments_are_a_usage_error() {
        let r = regime();
        let p = |t: &str| parse(t, &r, None);
        assert_eq!(p("/status nowhere"), Some(Err(Usage("status"))));
        assert_eq!(p("/status 2024-9M 2024-9M"), Some(Err(Usage("status"))));
        assert_eq!(p("/quahan ghost"), Some(Err(Usage("overdue"))));
        assert_eq!(p(&format!("/status {}", "x".repeat(5000))), Some(Err(Usage("status"))));
        assert_eq!(p(&format!("/status {}", "9m ".repeat(100))), Some(Err(Usage("status"))));
        assert_eq!(p("/mute tan-chau"), Some(Err(Usage("mute"))));
        assert_eq!(p("/mute tan-chau forever"), Some(Err(Usage("mute"))));
    }

    #[test]
    fn a_mute_names_its_target_its_span_and_a_reason() {
        let r = regime();
        let Some(Ok(Command::Mute { target, span, reason })) = parse("/tamdung tan-chau 3d họp chi bộ", &r, None)
        else {
            panic!("a mute");
        };
        assert_eq!(target, Target::Unit("tan-chau".into()));
        assert_eq!(span, "3d".parse::<Span>().expect("span"));
        assert_eq!(reason.as_deref(), Some("họp chi bộ"));
        assert!(Command::Mute { target, span, reason }.needs_admin());
        assert!(!Command::Units.needs_admin());
        assert_eq!(
            parse("/unmute 9m", &r, None),
            Some(Ok(Command::Unmute {
                target: Target::Report("9m".into())
            }))
        );
    }
}
