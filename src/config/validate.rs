//! Turns the raw TOML into a [`Config`], collecting every problem with the key
//! path it belongs to (the caller adds file, line and column).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveTime, Weekday};

use super::locate::KeyPath;
use super::raw::*;
use super::{
    Collection, Config, CronSpec, Format, HeaderValue, Heartbeat, HttpSettings, Letterhead, LogSettings, ReportJobs,
    SecretRef, Source, SourceLocation, Storage, Telegram,
};
use crate::domain::calendar::WorkCalendar;
use crate::domain::deadline::{DueRule, ReportTiming};
use crate::domain::formula::Formula;
use crate::domain::period::PeriodKind;
use crate::domain::regime::{
    Better, CaseRule, DayCount, Indicator, IndicatorFormat, Language, Metric, Regime, Report, Rule, Unit, WorkingHours,
};
use crate::domain::span::Span;

pub const DEFAULT_TIMEZONE: &str = "Asia/Ho_Chi_Minh";
pub const DEFAULT_TICK: &str = "0 * * * * *";
pub const DEFAULT_CASE_DIGEST: &str = "0 0 8 * * Mon-Fri";
pub const DEFAULT_TOKEN_ENV: &str = "GIAOBAN_TELEGRAM_TOKEN";
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";

mod briefing;

type Issues = Vec<(KeyPath, String)>;

/// Collects problems while building values; each check returns an Option so
/// validation goes on after the first error and reports all of them.
struct V {
    issues: Issues,
    /// The config's chat language, for the messages officials may read.
    language: Language,
}

/// `2025-04-31: tháng 4 không có ngày 31` for a well-formed date whose day
/// the month does not have; None when it is not of the YYYY-MM-DD shape.
fn missing_day(s: &str, language: Language) -> Option<String> {
    let mut parts = s.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (year, month, day): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if language.is_english() {
        if !(1..=12).contains(&month) {
            return Some(format!("{s}: there is no month {month}"));
        }
    } else if !(1..=12).contains(&month) {
        return Some(format!("{s}: không có tháng {month}"));
    }
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    let days_in_month = first_next.pred_opt()?.format("%d").to_string().parse::<u32>().ok()?;
    if day == 0 || day > days_in_month {
        const EN_MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        return Some(if language.is_english() {
            format!("{s}: {} {year} has no day {day}", EN_MONTHS[month as usize - 1])
        } else {
            format!("{s}: tháng {month} không có ngày {day}")
        });
    }
    None
}

impl V {
    fn err(&mut self, path: &KeyPath, msg: impl Into<String>) {
        self.issues.push((path.clone(), msg.into()));
    }

    fn span(&mut self, path: &KeyPath, s: &str) -> Option<Span> {
        Span::from_str(s).map_err(|e| self.err(path, e.to_string())).ok()
    }

    fn opt_span(&mut self, path: &KeyPath, s: Option<&String>) -> Option<Span> {
        s.and_then(|s| self.span(path, s))
    }

    fn time(&mut self, path: &KeyPath, s: &str) -> Option<NaiveTime> {
        NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .map_err(|_| self.err(path, format!("'{s}' is not a time of day (expected HH:MM, e.g. 17:00)")))
            .ok()
    }

    fn date(&mut self, path: &KeyPath, s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| {
                let msg = missing_day(s.trim(), self.language)
                    .unwrap_or_else(|| format!("'{s}' is not a date (expected YYYY-MM-DD)"));
                self.err(path, msg)
            })
            .ok()
    }

    fn cron(&mut self, path: &KeyPath, s: &str) -> Option<CronSpec> {
        CronSpec::parse(s).map_err(|e| self.err(path, e)).ok()
    }

    /// `{name}_env` or `{name}_file`: `None` when neither is given, `Some(None)`
    /// when both are (an error), else the reference.
    fn secret(
        &mut self,
        table: &KeyPath,
        name: &str,
        env: Option<&String>,
        file: Option<&String>,
    ) -> Option<Option<SecretRef>> {
        match (env, file) {
            (Some(_), Some(_)) => {
                self.err(
                    &table.key(&format!("{name}_file")),
                    format!("give {name}_env or {name}_file, not both"),
                );
                Some(None)
            }
            (Some(e), None) => Some(Some(SecretRef::Env(e.clone()))),
            (None, Some(f)) => Some(Some(SecretRef::File(PathBuf::from(f)))),
            (None, None) => None,
        }
    }

    fn id(&mut self, path: &KeyPath, what: &str, s: &str) -> bool {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            self.err(
                path,
                format!("{what} id '{s}' must be 1–64 characters of a-z, 0-9 and '-'"),
            );
        }
        ok
    }
}

fn weekday(s: &str) -> Option<Weekday> {
    match s.trim().to_ascii_lowercase().as_str() {
        "mon" | "monday" => Some(Weekday::Mon),
        "tue" | "tuesday" => Some(Weekday::Tue),
        "wed" | "wednesday" => Some(Weekday::Wed),
        "thu" | "thursday" => Some(Weekday::Thu),
        "fri" | "friday" => Some(Weekday::Fri),
        "sat" | "saturday" => Some(Weekday::Sat),
        "sun" | "sunday" => Some(Weekday::Sun),
        _ => None,
    }
}

fn is_metric_key(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

const PLACEHOLDERS: [&str; 3] = ["{unit}", "{report}", "{period}"];

fn check_template(v: &mut V, path: &KeyPath, template: &str) {
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let tail = &rest[start..];
        match tail.find('}') {
            Some(end) if PLACEHOLDERS.contains(&&tail[..=end]) => rest = &tail[end + 1..],
            _ => {
                v.err(
                    path,
                    format!("'{template}' has an unknown placeholder; use {{unit}}, {{report}}, {{period}}"),
                );
                return;
            }
        }
    }
}

pub fn validate(
    raw: RawConfig,
    base_dir: PathBuf,
    state_directory: Option<PathBuf>,
    path: PathBuf,
) -> Result<Config, Issues> {
    let mut v = V {
        issues: Vec::new(),
        language: match raw.language.as_deref() {
            Some("en") => Language::En,
            _ => Language::Vi,
        },
    };
    let root = KeyPath::root();

    let tz_name = raw.timezone.as_deref().unwrap_or(DEFAULT_TIMEZONE);
    let timezone = chrono_tz::Tz::from_str(tz_name)
        .map_err(|_| {
            v.err(
                &root.key("timezone"),
                format!("'{tz_name}' is not an IANA timezone (e.g. Asia/Ho_Chi_Minh)"),
            )
        })
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);

    let language = match raw.language.as_deref().unwrap_or("vi") {
        "vi" => Language::Vi,
        "en" => Language::En,
        other => {
            v.err(
                &root.key("language"),
                format!("'{other}' is not a supported language (vi or en)"),
            );
            Language::Vi
        }
    };

    let state_dir = match &raw.state_dir {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() { d } else { base_dir.join(d) }
        }
        None => state_directory.unwrap_or_else(|| base_dir.clone()),
    };

    // Storage.
    let storage_path = root.key("storage").key("url");
    let url = raw.storage.url.as_deref().unwrap_or("sqlite://giaoban.db");
    let storage = Storage::parse(url, &state_dir).unwrap_or_else(|e| {
        v.err(&storage_path, e);
        Storage::Sqlite {
            path: state_dir.join("giaoban.db"),
        }
    });

    // Telegram.
    let telegram = raw.telegram.as_ref().and_then(|t| {
        let tp = root.key("telegram");
        let token = v
            .secret(&tp, "token", t.token_env.as_ref(), t.token_file.as_ref())
            .unwrap_or_else(|| Some(SecretRef::Env(DEFAULT_TOKEN_ENV.to_string())));
        let api_url = t.api_url.clone().unwrap_or_else(|| DEFAULT_API_URL.to_string());
        if !(api_url.starts_with("http://") || api_url.starts_with("https://")) {
            v.err(
                &tp.key("api_url"),
                "api_url must start with http:// or https:// (it is never echoed: it might hold a token)",
            );
        }
        if api_url.contains("/bot") {
            v.err(
                &tp.key("api_url"),
                "api_url is the server's base URL, without /bot<token>: never write the token in the config",
            );
        }
        let chat_id = t.chat_id.or_else(|| {
            v.err(&tp, "missing key chat_id (the group's id, e.g. -1001234567890)");
            None
        });
        let mut positive = |key: &str, value: Option<i64>, default: i64, max: i64| -> i64 {
            match value {
                None => default,
                Some(n) if (1..=max).contains(&n) => n,
                Some(n) => {
                    v.err(&tp.key(key), format!("{key} must be between 1 and {max}, not {n}"));
                    default
                }
            }
        };
        let per_chat_per_minute = positive("per_chat_per_minute", t.per_chat_per_minute, 20, 1000) as u32;
        let per_second = positive("per_second", t.per_second, 30, 1000) as u32;
        let request_timeout = positive("request_timeout", t.request_timeout, 15, 600) as u64;
        let refused_retry = positive("refused_retry", t.refused_retry, 3600, 7 * 86_400);
        Some(Telegram {
            token: token?,
            api_url: api_url.trim_end_matches('/').to_string(),
            chat_id: chat_id?,
            thread_id: t.thread_id,
            admin_chat_id: t.admin_chat_id,
            admins: t.admins.clone(),
            per_chat_per_minute,
            per_second,
            request_timeout: std::time::Duration::from_secs(request_timeout),
            refused_retry: chrono::Duration::seconds(refused_retry),
        })
    });

    // Working hours.
    let wp = root.key("working_hours");
    let mut working_hours = WorkingHours::default();
    if let Some(days) = &raw.working_hours.days {
        working_hours.days.clear();
        for (i, d) in days.iter().enumerate() {
            match weekday(d) {
                Some(w) if !working_hours.days.contains(&w) => working_hours.days.push(w),
                Some(_) => v.err(&wp.key("days").index(i), format!("'{d}' is listed twice")),
                None => v.err(
                    &wp.key("days").index(i),
                    format!("'{d}' is not a weekday (mon, tue, wed, thu, fri, sat, sun)"),
                ),
            }
        }
        if days.is_empty() {
            v.err(&wp.key("days"), "at least one working day is needed");
        }
    }
    if let Some(t) = &raw.working_hours.from
        && let Some(t) = v.time(&wp.key("from"), t)
    {
        working_hours.from = t;
    }
    if let Some(t) = &raw.working_hours.to
        && let Some(t) = v.time(&wp.key("to"), t)
    {
        working_hours.to = t;
    }
    if working_hours.from >= working_hours.to {
        v.err(&wp.key("to"), "the working window must end after it opens");
    }
    for (i, k) in raw.working_hours.urgent.iter().enumerate() {
        if !crate::domain::plan::NOTICE_KINDS.contains(&k.as_str()) {
            v.err(
                &wp.key("urgent").index(i),
                format!(
                    "'{k}' is not a message kind ({})",
                    crate::domain::plan::NOTICE_KINDS.join(", ")
                ),
            );
        }
    }
    working_hours.urgent = raw.working_hours.urgent.clone();

    // Calendar.
    let cp = root.key("calendar");
    let mut holidays = Vec::new();
    for (i, h) in raw.calendar.holidays.iter().enumerate() {
        let p = cp.key("holidays").index(i);
        if let Some((a, b)) = h.split_once("..") {
            if let (Some(a), Some(b)) = (v.date(&p, a), v.date(&p, b)) {
                if a > b || (b - a).num_days() > 366 {
                    v.err(
                        &p,
                        format!("'{h}' is not a range of at most a year from an earlier to a later date"),
                    );
                } else {
                    holidays.extend(a.iter_days().take_while(|d| *d <= b));
                }
            }
        } else if let Some(d) = v.date(&p, h) {
            holidays.push(d);
        }
    }
    let mut working_saturdays = Vec::new();
    for (i, s) in raw.calendar.working_saturdays.iter().enumerate() {
        if let Some(d) = v.date(&cp.key("working_saturdays").index(i), s) {
            working_saturdays.push(d);
        }
    }
    let calendar = WorkCalendar::new(working_hours.days.iter().copied(), holidays, working_saturdays);

    // Schedules.
    let sp = root.key("schedule");
    let tick = v.cron(&sp.key("tick"), raw.schedule.tick.as_deref().unwrap_or(DEFAULT_TICK));
    let case_digest = v.cron(
        &sp.key("case_digest"),
        raw.schedule.case_digest.as_deref().unwrap_or(DEFAULT_CASE_DIGEST),
    );

    let collection = collection(&mut v, &root.key("collection"), &raw.collection);

    // Units.
    let mut units = Vec::new();
    let mut sources = BTreeMap::new();
    let mut unit_ids = BTreeSet::new();
    for (i, u) in raw.units.iter().enumerate() {
        let up = root.key("units").index(i);
        if v.id(&up.key("id"), "unit", &u.id) && !unit_ids.insert(u.id.clone()) {
            v.err(&up.key("id"), format!("unit id '{}' is used twice", u.id));
        }
        if u.name.trim().is_empty() {
            v.err(&up.key("name"), "a unit needs a name");
        }
        let valid_from = u.valid_from.as_ref().and_then(|d| v.date(&up.key("valid_from"), d));
        let valid_to = u.valid_to.as_ref().and_then(|d| v.date(&up.key("valid_to"), d));
        if let (Some(a), Some(b)) = (valid_from, valid_to)
            && a > b
        {
            v.err(&up.key("valid_to"), "valid_to is before valid_from");
        }
        if let Some(s) = &u.source
            && s.kind == "telegram"
        {
            // The chat is the unit's only source: nothing to collect on a
            // schedule; its officers send the file to the bot.
            if u.telegram_users.is_empty() {
                v.err(
                    &up.key("telegram_users"),
                    "a unit whose source is telegram needs telegram_users (the officers who send its file)",
                );
            }
        } else if let Some(s) = &u.source
            && let Some(src) = source(&mut v, &up.key("source"), s)
        {
            sources.insert(u.id.clone(), src);
        }
        units.push(Unit {
            id: u.id.clone(),
            name: u.name.trim().to_string(),
            kind: u.kind.clone(),
            parent: u.parent.clone(),
            remote_area: u.remote_area,
            contacts: u.contacts.clone(),
            telegram_users: u.telegram_users.clone(),
            valid_from,
            valid_to,
            successors: u.successors.clone(),
        });
    }
    for (i, u) in raw.units.iter().enumerate() {
        for (j, s) in u.successors.iter().enumerate() {
            if !unit_ids.contains(s) {
                v.err(
                    &root.key("units").index(i).key("successors").index(j),
                    format!("successor '{s}' is not a configured unit"),
                );
            }
        }
    }

    // Reports.
    let mut reports = Vec::new();
    let mut report_jobs = Vec::new();
    let mut report_ids = BTreeSet::new();
    for (i, r) in raw.reports.iter().enumerate() {
        let rp = root.key("reports").index(i);
        if v.id(&rp.key("id"), "report", &r.id) && !report_ids.insert(r.id.clone()) {
            v.err(&rp.key("id"), format!("report id '{}' is used twice", r.id));
        }
        if let Some(report) = report(&mut v, &rp, r, &unit_ids, &raw.units) {
            reports.push(report);
        }
        let collect = r.collect.as_ref().and_then(|c| v.cron(&rp.key("collect"), c));
        let summary = r.summary.as_ref().and_then(|c| v.cron(&rp.key("summary"), c));
        report_jobs.push(ReportJobs {
            report: r.id.clone(),
            collect,
            summary,
        });
    }

    // Case rules.
    let mut case_rules = Vec::new();
    let mut rule_keys = BTreeSet::new();
    for (i, c) in raw.case_rules.iter().enumerate() {
        let cp = root.key("case_rules").index(i);
        if !is_metric_key(&c.kind) {
            v.err(
                &cp.key("kind"),
                format!("case kind '{}' must be lowercase letters, digits and '_'", c.kind),
            );
        }
        let effective_from = c
            .effective_from
            .as_ref()
            .and_then(|d| v.date(&cp.key("effective_from"), d));
        if !rule_keys.insert((c.kind.clone(), effective_from)) {
            v.err(
                &cp.key("kind"),
                format!("case kind '{}' has two rules with the same effective_from", c.kind),
            );
        }
        let count = match c.count.as_deref().unwrap_or("calendar") {
            "calendar" => DayCount::Calendar,
            "working" => DayCount::Working,
            other => {
                v.err(
                    &cp.key("count"),
                    format!("'{other}' is not a day count (calendar or working)"),
                );
                DayCount::Calendar
            }
        };
        let extension = v.opt_span(&cp.key("extension"), c.extension.as_ref());
        let max_extensions = c.max_extensions.unwrap_or(if extension.is_some() { 1 } else { 0 });
        case_rules.push(CaseRule {
            kind: c.kind.clone(),
            label: c.label.clone(),
            accept_within: v.opt_span(&cp.key("accept_within"), c.accept_within.as_ref()),
            resolve_within: v.opt_span(&cp.key("resolve_within"), c.resolve_within.as_ref()),
            resolve_within_complex: v.opt_span(&cp.key("resolve_within_complex"), c.resolve_within_complex.as_ref()),
            resolve_within_remote: v.opt_span(&cp.key("resolve_within_remote"), c.resolve_within_remote.as_ref()),
            resolve_within_remote_complex: v.opt_span(
                &cp.key("resolve_within_remote_complex"),
                c.resolve_within_remote_complex.as_ref(),
            ),
            extension,
            max_extensions,
            count,
            due_soon: v.opt_span(&cp.key("due_soon"), c.due_soon.as_ref()).unwrap_or(Span {
                amount: 5,
                unit: crate::domain::span::SpanUnit::Days,
            }),
            effective_from,
        });
    }

    let log = LogSettings {
        level: raw.log.level.clone(),
        json: match raw.log.format.as_deref() {
            None | Some("plain") => false,
            Some("json") => true,
            Some(other) => {
                v.err(
                    &root.key("log").key("format"),
                    format!("'{other}' is not a log format (plain or json)"),
                );
                false
            }
        },
    };

    let http = http(&mut v, &root.key("http"), &raw.http);

    let task_digest = v.cron(
        &sp.key("task_digest"),
        raw.schedule
            .task_digest
            .as_deref()
            .or(raw.schedule.case_digest.as_deref())
            .unwrap_or(DEFAULT_CASE_DIGEST),
    );
    let (meetings, tasks) = briefing::meetings(&mut v, &root, &raw.meetings, &base_dir, &units, &reports);

    if !v.issues.is_empty() {
        return Err(v.issues);
    }
    let letterhead = match raw.letterhead {
        None => Letterhead::default(),
        Some(l) => {
            let trimmed = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
            Letterhead {
                issuer: trimmed(l.issuer),
                heading: match l.heading {
                    Some(lines) => lines.into_iter().map(|s| s.trim().to_string()).collect(),
                    None => Letterhead::default().heading,
                },
                place: trimmed(l.place),
            }
        }
    };
    let (Some(tick), Some(case_digest)) = (tick, case_digest) else {
        return Err(vec![(sp, "invalid schedule".to_string())]);
    };
    Ok(Config {
        path,
        base_dir,
        state_dir,
        regime: Regime {
            timezone,
            language,
            working_hours,
            calendar,
            units,
            reports,
            case_rules,
        },
        storage,
        telegram,
        tick,
        case_digest: Some(case_digest),
        task_digest,
        meetings,
        tasks,
        report_jobs,
        sources,
        collection,
        log,
        http,
        letterhead,
    })
}

/// `better = "higher" | "lower"`.
fn better(v: &mut V, path: &KeyPath, s: Option<&str>) -> Option<Better> {
    match s? {
        "higher" => Some(Better::Higher),
        "lower" => Some(Better::Lower),
        other => {
            v.err(path, format!("'{other}' is not a direction (higher or lower)"));
            None
        }
    }
}

fn collection(v: &mut V, cp: &KeyPath, c: &RawCollection) -> Collection {
    use std::time::Duration;
    let d = Collection::default();
    let mut positive = |key: &str, value: Option<u64>, default: u64, max: u64| match value {
        None => default,
        Some(n) if (1..=max).contains(&n) => n,
        Some(n) => {
            v.err(&cp.key(key), format!("{n} is out of range (1 to {max})"));
            default
        }
    };
    let concurrency = positive("concurrency", c.concurrency.map(u64::from), d.concurrency as u64, 256);
    let connect = positive(
        "connect_timeout_secs",
        c.connect_timeout_secs,
        d.connect_timeout.as_secs(),
        600,
    );
    let timeout = positive("timeout_secs", c.timeout_secs, d.timeout.as_secs(), 3600);
    let max_body = positive("max_body_bytes", c.max_body_bytes, d.max_body_bytes, 1 << 30);
    let backoff = positive(
        "retry_backoff_ms",
        c.retry_backoff_ms,
        d.retry_backoff.as_millis() as u64,
        600_000,
    );
    let max_rows = positive("max_rows", c.max_rows, u64::from(d.max_rows), 1_000_000);
    let max_columns = positive("max_columns", c.max_columns, u64::from(d.max_columns), 16_384);
    let max_inflated = positive(
        "max_inflated_bytes",
        c.max_inflated_bytes,
        d.max_inflated_bytes,
        1 << 30,
    );
    let max_depth = positive("max_depth", c.max_depth, u64::from(d.max_depth), 64);
    let deadline_collect = positive(
        "deadline_collect_secs",
        c.deadline_collect_secs,
        d.deadline_collect.as_secs(),
        3600,
    );
    let retries = match c.retries {
        None => d.retries,
        Some(n) if n <= 10 => n,
        Some(n) => {
            v.err(&cp.key("retries"), format!("{n} is out of range (0 to 10)"));
            d.retries
        }
    };
    Collection {
        concurrency: concurrency as usize,
        connect_timeout: Duration::from_secs(connect),
        timeout: Duration::from_secs(timeout),
        max_body_bytes: max_body,
        retries,
        retry_backoff: Duration::from_millis(backoff),
        max_rows: max_rows as u32,
        max_columns: max_columns as u32,
        max_inflated_bytes: max_inflated,
        max_depth: max_depth as u32,
        deadline_collect: Duration::from_secs(deadline_collect),
    }
}

/// `[http]`: `listen` is `HOST:PORT` or a bare port (on 127.0.0.1); the
/// heartbeat is `heartbeat_url`, or `heartbeat_url_env` / `heartbeat_url_file`
/// when the URL carries a secret.
fn http(v: &mut V, hp: &KeyPath, raw: &RawHttp) -> HttpSettings {
    let listen = raw.listen.as_deref().and_then(|l| {
        let parsed = match l.trim().parse::<u16>() {
            Ok(port) => Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port))),
            Err(_) => l.trim().parse::<std::net::SocketAddr>(),
        };
        parsed
            .map_err(|_| {
                v.err(
                    &hp.key("listen"),
                    format!("'{l}' is not an address to listen on (e.g. \"127.0.0.1:9466\" or 9466)"),
                )
            })
            .ok()
    });
    let secret = v.secret(
        hp,
        "heartbeat_url",
        raw.heartbeat_url_env.as_ref(),
        raw.heartbeat_url_file.as_ref(),
    );
    let heartbeat = match (&raw.heartbeat_url, secret) {
        (Some(_), Some(_)) => {
            v.err(
                &hp.key("heartbeat_url"),
                "give one of heartbeat_url, heartbeat_url_env and heartbeat_url_file",
            );
            None
        }
        (Some(url), None) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                v.err(
                    &hp.key("heartbeat_url"),
                    "heartbeat_url must start with http:// or https://",
                );
            }
            Some(Heartbeat::Url(url.clone()))
        }
        (None, Some(r)) => r.map(Heartbeat::Secret),
        (None, None) => None,
    };
    HttpSettings { listen, heartbeat }
}

fn source(v: &mut V, sp: &KeyPath, s: &RawSource) -> Option<Source> {
    let location = match s.kind.as_str() {
        "http" => match &s.url {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                check_template(v, &sp.key("url"), url);
                SourceLocation::Http { url: url.clone() }
            }
            Some(url) => {
                v.err(&sp.key("url"), format!("'{url}' must start with http:// or https://"));
                return None;
            }
            None => {
                v.err(sp, "an http source needs a url");
                return None;
            }
        },
        "file" => match &s.path {
            Some(path) if !path.trim().is_empty() => {
                check_template(v, &sp.key("path"), path);
                SourceLocation::File { path: path.clone() }
            }
            _ => {
                v.err(sp, "a file source needs a path");
                return None;
            }
        },
        other => {
            v.err(
                &sp.key("kind"),
                format!("'{other}' is not a source kind (http, file or telegram)"),
            );
            return None;
        }
    };
    let template = match &location {
        SourceLocation::Http { url } => url.as_str(),
        SourceLocation::File { path } => path.as_str(),
    };
    let format = match s.format.as_deref() {
        Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        Some(other) => {
            v.err(
                &sp.key("format"),
                format!("'{other}' is not a format (json, csv or xlsx)"),
            );
            return None;
        }
        None => {
            // The extension of the path, not of a query such as `?key=…`.
            let path = template.split(['?', '#']).next().unwrap_or(template);
            let lower = path.to_ascii_lowercase();
            if lower.ends_with(".csv") {
                Format::Csv
            } else if lower.ends_with(".xlsx") {
                Format::Xlsx
            } else {
                Format::Json
            }
        }
    };
    let bearer = v
        .secret(sp, "bearer", s.bearer_env.as_ref(), s.bearer_file.as_ref())
        .flatten();
    let mut headers = BTreeMap::new();
    for (name, value) in &s.headers {
        let hp = sp.key("headers").key(name);
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_!#$%&'*+.^`|~".contains(&b));
        if !valid_name {
            v.err(&hp, format!("'{name}' is not an HTTP header name"));
            continue;
        }
        if name.eq_ignore_ascii_case("authorization") {
            v.err(
                &hp,
                "set a bearer token with bearer_env or bearer_file, not an Authorization header",
            );
            continue;
        }
        let value = match value {
            RawHeader::Plain(text) => {
                if text.bytes().any(|b| b.is_ascii_control()) {
                    v.err(&hp, "a header value cannot hold control characters");
                    continue;
                }
                HeaderValue::Plain(text.clone())
            }
            RawHeader::Secret(r) => match (&r.env, &r.file) {
                (Some(e), None) => HeaderValue::Secret(SecretRef::Env(e.clone())),
                (None, Some(f)) => HeaderValue::Secret(SecretRef::File(PathBuf::from(f))),
                _ => {
                    v.err(
                        &hp,
                        "give the value as text, or { env = \"VAR\" } or { file = \"PATH\" } (one of the two)",
                    );
                    continue;
                }
            },
        };
        headers.insert(name.clone(), value);
    }
    if matches!(location, SourceLocation::File { .. }) && (bearer.is_some() || !headers.is_empty()) {
        v.err(sp, "bearer_env, bearer_file and headers apply to http sources only");
    }
    Some(Source {
        location,
        format,
        bearer,
        headers,
    })
}

fn report(
    v: &mut V,
    rp: &KeyPath,
    r: &RawReport,
    unit_ids: &BTreeSet<String>,
    raw_units: &[RawUnit],
) -> Option<Report> {
    if r.title.trim().is_empty() {
        v.err(&rp.key("title"), "a report needs a title");
    }
    let period_kind = match r.period.as_str() {
        "week" => Some(PeriodKind::Week),
        "month" => Some(PeriodKind::Month),
        "quarter" => Some(PeriodKind::Quarter),
        "half_year" => Some(PeriodKind::HalfYear),
        "nine_months" => Some(PeriodKind::NineMonths),
        "year" => Some(PeriodKind::Year),
        other => {
            v.err(
                &rp.key("period"),
                format!("'{other}' is not a period (month, quarter, half_year, nine_months, year, week)"),
            );
            None
        }
    };
    if let Some(c) = r.cutoff_day
        && !(1..=31).contains(&c)
    {
        v.err(
            &rp.key("cutoff_day"),
            format!("cutoff_day {c} is not a day of the month (1–31)"),
        );
    }
    let dp = rp.key("due");
    let time = r
        .due
        .time
        .as_deref()
        .map_or(NaiveTime::from_hms_opt(17, 0, 0), |t| v.time(&dp.key("time"), t));
    let due = match (r.due.day, &r.due.after_end) {
        (Some(day), None) => {
            if !(1..=31).contains(&day) {
                v.err(&dp.key("day"), format!("day {day} is not a day of the month (1–31)"));
            }
            if period_kind == Some(PeriodKind::Week) {
                v.err(
                    &dp.key("day"),
                    "a weekly report's deadline is set with after_end (e.g. { after_end = \"2d\", time = \"17:00\" })",
                );
            }
            time.map(|time| DueRule::DayOfLastMonth { day, time })
        }
        (None, Some(after)) => {
            let after = v.span(&dp.key("after_end"), after);
            match (after, time) {
                (Some(after), Some(time)) => Some(DueRule::AfterEnd { after, time }),
                _ => None,
            }
        }
        _ => {
            v.err(&dp, "give exactly one of day (of the period's last month) or after_end");
            None
        }
    };
    let grace = v.opt_span(&rp.key("grace"), r.grace.as_ref()).unwrap_or(Span::ZERO);
    let remind_before: Vec<Span> = r
        .remind_before
        .iter()
        .enumerate()
        .filter_map(|(i, s)| v.span(&rp.key("remind_before").index(i), s))
        .collect();
    let repeat_late_every = v.opt_span(&rp.key("repeat_late_every"), r.repeat_late_every.as_ref());
    if repeat_late_every.is_some_and(|s| s.is_zero()) {
        v.err(
            &rp.key("repeat_late_every"),
            "repeat_late_every must be longer than zero",
        );
    }
    let repeat_late_max = r
        .repeat_late_max
        .unwrap_or(if repeat_late_every.is_some() { 5 } else { 0 });
    if repeat_late_max > 100 {
        v.err(
            &rp.key("repeat_late_max"),
            "repeat_late_max above 100 would spam the group",
        );
    }

    let units: Vec<String> = match &r.units {
        Some(list) => {
            let mut seen = BTreeSet::new();
            for (j, u) in list.iter().enumerate() {
                if !unit_ids.contains(u) {
                    v.err(&rp.key("units").index(j), format!("'{u}' is not a configured unit"));
                } else if !seen.insert(u) {
                    v.err(&rp.key("units").index(j), format!("'{u}' is listed twice"));
                }
            }
            list.clone()
        }
        None => raw_units.iter().map(|u| u.id.clone()).collect(),
    };

    let mut metrics = Vec::new();
    let mut names_seen: BTreeMap<String, String> = BTreeMap::new();
    if r.metrics.is_empty() {
        v.err(rp, "a report needs at least one [[reports.metrics]]");
    }
    for (j, m) in r.metrics.iter().enumerate() {
        let mp = rp.key("metrics").index(j);
        if !is_metric_key(&m.key) {
            v.err(
                &mp.key("key"),
                format!(
                    "metric key '{}' must be lowercase letters, digits and '_' (not starting with a digit)",
                    m.key
                ),
            );
        }
        for (name, at) in std::iter::once((&m.key, mp.key("key")))
            .chain(std::iter::once((&m.label, mp.key("label"))))
            .chain(
                m.aliases
                    .iter()
                    .enumerate()
                    .map(|(a, s)| (s, mp.key("aliases").index(a))),
            )
        {
            let norm = crate::domain::text::normalize_header(name);
            if let Some(other) = names_seen.get(&norm) {
                if other != &m.key {
                    v.err(&at, format!("'{name}' already names metric '{other}'"));
                }
            } else {
                names_seen.insert(norm, m.key.clone());
            }
        }
        metrics.push(Metric {
            key: m.key.clone(),
            label: m.label.clone(),
            aliases: m.aliases.clone(),
            required: m.required.unwrap_or(true),
            unit_label: m
                .unit_label
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
            better: better(v, &mp.key("better"), m.better.as_deref()),
        });
    }
    let known = |name: &str| r.metrics.iter().any(|m| m.key == name);
    let mut rules = Vec::new();
    for (j, rule) in r.rules.iter().enumerate() {
        let p = rp.key("rules").index(j).key("check");
        match Formula::parse(&rule.check) {
            Ok(f) => {
                if let Err(e) = f.check_names(&known) {
                    v.err(&p, format!("'{}': {e}", rule.check));
                } else if !f.is_condition() {
                    v.err(&p, format!("'{}' is not a condition (use <=, <, ==, …)", rule.check));
                } else {
                    rules.push(Rule {
                        check: f,
                        message: rule.message.clone(),
                    });
                }
            }
            Err(e) => v.err(&p, format!("'{}': {e}", rule.check)),
        }
    }
    let mut indicators = Vec::new();
    for (j, ind) in r.indicators.iter().enumerate() {
        let ip = rp.key("indicators").index(j);
        if !is_metric_key(&ind.key) || known(&ind.key) || indicators.iter().any(|i: &Indicator| i.key == ind.key) {
            v.err(
                &ip.key("key"),
                format!("indicator key '{}' must be a new lowercase key", ind.key),
            );
        }
        let format = match ind.format.as_deref() {
            None | Some("number") => IndicatorFormat::Number,
            Some("percent") => IndicatorFormat::Percent,
            Some(other) => {
                v.err(
                    &ip.key("format"),
                    format!("'{other}' is not an indicator format (number or percent)"),
                );
                IndicatorFormat::Number
            }
        };
        if let Some(t) = ind.target
            && !t.is_finite()
        {
            v.err(&ip.key("target"), "target must be a number");
        }
        match Formula::parse(&ind.formula) {
            Ok(f) => {
                if let Err(e) = f.check_names(&known) {
                    v.err(&ip.key("formula"), format!("'{}': {e}", ind.formula));
                } else if f.is_condition() {
                    v.err(
                        &ip.key("formula"),
                        format!("'{}' is a condition, not a figure", ind.formula),
                    );
                } else {
                    indicators.push(Indicator {
                        key: ind.key.clone(),
                        label: ind.label.clone(),
                        formula: f,
                        format,
                        better: better(v, &ip.key("better"), ind.better.as_deref()),
                        target: ind.target,
                    });
                }
            }
            Err(e) => v.err(&ip.key("formula"), format!("'{}': {e}", ind.formula)),
        }
    }

    Some(Report {
        id: r.id.clone(),
        title: r.title.trim().to_string(),
        timing: ReportTiming {
            period_kind: period_kind?,
            cutoff_day: r.cutoff_day,
            due: due?,
            roll_to_working_day: r.roll_to_working_day.unwrap_or(true),
            grace,
            remind_before,
            repeat_late_every,
            repeat_late_max: if repeat_late_every.is_some() {
                repeat_late_max
            } else {
                0
            },
        },
        units,
        metrics,
        rules,
        indicators,
        summary_when_complete: r.summary_when_complete.unwrap_or(true),
    })
}
