//! What the one-shot commands print: `check`'s summary of the config and the
//! `status` table. Kept out of `main.rs` so tests can call it.

mod briefing;

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::period::Period;
use crate::domain::text;
use crate::jobs::PeriodStatus;

pub use briefing::{meetings_table, tasks_table};

/// Writes `text` to standard output. A reader that went away (`giaoban
/// status | head -1`) ends the program quietly with exit code 0, as a
/// shell tool should, instead of a panic on the closed pipe.
pub fn print_out(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    end_if_unwritten(out.write_all(text.as_bytes()).and_then(|()| out.flush()));
}

/// A closed pipe ends the program with 0; any other failure to write to
/// standard output with a message and 1.
fn end_if_unwritten(written: std::io::Result<()>) {
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("giaoban: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

/// Writes `value` as one JSON document and a line break to standard output,
/// serialized straight into a buffered writer: a national `cases --json`
/// (150,000 cases, 30 MB of text) is neither built as a tree of values nor
/// held whole as a string first. A closed pipe ends quietly, as in
/// [`print_out`].
pub fn println_json<T: serde::Serialize + ?Sized>(value: &T) {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    end_if_unwritten(
        serde_json::to_writer(&mut out, value)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush()),
    );
}

/// `cases --json`: the document `{"at", "cases"}` and a line break on
/// standard output, as [`write_cases_json`] writes it. A closed pipe ends
/// quietly, as in [`print_out`].
pub fn println_cases_json(at: DateTime<Utc>, rows: &[crate::jobs::CaseRow]) {
    end_if_unwritten(write_cases_json(&mut std::io::stdout().lock(), at, rows));
}

/// The document `{"at", "cases"}` of `cases --json` and a line break, byte
/// for byte what serde_json writes for it (the test says so), written by
/// hand: a national listing is 150,000 rows of ten fields, and serde_json
/// escapes every key and string a byte at a time (two thirds of the time the
/// listing took after it was read). A string that needs escaping is still
/// serde_json's to write, and so is a date outside the years 1000–9999.
pub fn write_cases_json(
    out: &mut impl std::io::Write,
    at: DateTime<Utc>,
    rows: &[crate::jobs::CaseRow],
) -> std::io::Result<()> {
    use crate::domain::case::{CaseState, Stage};
    use chrono::Datelike as _;
    fn string(buf: &mut Vec<u8>, s: &str) -> std::io::Result<()> {
        if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            buf.push(b'"');
            buf.extend_from_slice(s.as_bytes());
            buf.push(b'"');
            Ok(())
        } else {
            serde_json::to_writer(buf, s).map_err(std::io::Error::from)
        }
    }
    fn day(buf: &mut Vec<u8>, d: Option<chrono::NaiveDate>) -> std::io::Result<()> {
        match d {
            None => buf.extend_from_slice(b"null"),
            Some(d) if (1000..=9999).contains(&d.year()) => {
                let (y, m, d) = (d.year().unsigned_abs(), d.month(), d.day());
                let digit = |n: u32| b'0' + (n % 10) as u8;
                buf.extend_from_slice(&[
                    b'"',
                    digit(y / 1000),
                    digit(y / 100),
                    digit(y / 10),
                    digit(y),
                    b'-',
                    digit(m / 10),
                    digit(m),
                    b'-',
                    digit(d / 10),
                    digit(d),
                    b'"',
                ]);
            }
            Some(d) => serde_json::to_writer(buf, &d).map_err(std::io::Error::from)?,
        }
        Ok(())
    }
    fn integer(buf: &mut Vec<u8>, n: i64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n.unsigned_abs();
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if n < 0 {
            buf.push(b'-');
        }
        buf.extend_from_slice(&digits[at..]);
    }
    fn named<T: PartialEq>(list: &[(T, Vec<u8>)], of: T) -> &[u8] {
        list.iter().find(|(v, _)| *v == of).map_or(b"null", |(_, n)| n)
    }
    let states: Vec<(CaseState, Vec<u8>)> = CaseState::ALL
        .iter()
        .map(|s| Ok((*s, serde_json::to_vec(s)?)))
        .collect::<Result<_, serde_json::Error>>()?;
    let stages: Vec<(Stage, Vec<u8>)> = [Stage::Accept, Stage::Resolve]
        .iter()
        .map(|s| Ok((*s, serde_json::to_vec(s)?)))
        .collect::<Result<_, serde_json::Error>>()?;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 17);
    buf.extend_from_slice(b"{\"at\":");
    serde_json::to_writer(&mut buf, &at)?;
    buf.extend_from_slice(b",\"cases\":[");
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"unit\":");
        string(&mut buf, &r.unit)?;
        buf.extend_from_slice(b",\"ref\":");
        string(&mut buf, &r.reference)?;
        buf.extend_from_slice(b",\"kind\":");
        string(&mut buf, &r.kind)?;
        buf.extend_from_slice(b",\"state\":");
        buf.extend_from_slice(named(&states, r.state));
        buf.extend_from_slice(b",\"due\":");
        day(&mut buf, r.due)?;
        buf.extend_from_slice(b",\"days_overdue\":");
        integer(&mut buf, r.days_overdue);
        buf.extend_from_slice(b",\"stage\":");
        buf.extend_from_slice(named(&stages, r.stage));
        buf.extend_from_slice(b",\"received_on\":");
        day(&mut buf, Some(r.received_on))?;
        buf.extend_from_slice(b",\"accepted_on\":");
        day(&mut buf, r.accepted_on)?;
        buf.extend_from_slice(b",\"resolved_on\":");
        day(&mut buf, r.resolved_on)?;
        buf.push(b'}');
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(b"]}\n");
    out.write_all(&buf)?;
    out.flush()
}

/// [`print_out`] with a line break.
pub fn println_out(text: &str) {
    print_out(&format!("{text}\n"));
}

/// Reads `--at`: RFC 3339, or a local date-time (`2024-09-19T10:00`) in the
/// configured timezone.
pub fn parse_at(s: &str, tz: &chrono_tz::Tz) -> Result<DateTime<Utc>, String> {
    crate::collect::json::parse_instant(s, tz)
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("--at '{s}' is not a time (expected RFC 3339, e.g. 2024-09-19T17:00:00+07:00)"))
}

/// `giaoban check`: what the config says, with each schedule's next firing times.
pub fn describe_config(config: &Config, now: DateTime<Utc>) -> String {
    let r = &config.regime;
    let tz = r.timezone;
    let local_now = now.with_timezone(&tz);
    let mut o = String::new();
    let _ = writeln!(o, "config {} is valid", config.path.display());
    let _ = writeln!(
        o,
        "timezone {}, language {}",
        tz.name(),
        if r.language.is_english() { "en" } else { "vi" }
    );
    let _ = writeln!(
        o,
        "working hours {} {}–{}",
        r.working_hours
            .days
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(","),
        r.working_hours.from.format("%H:%M"),
        r.working_hours.to.format("%H:%M")
    );
    match &config.storage {
        crate::config::Storage::Sqlite { path } => {
            let _ = writeln!(o, "storage sqlite {}", path.display());
        }
        crate::config::Storage::Postgres { url } => {
            let _ = writeln!(o, "storage postgres {}", crate::store::redact_url(url));
        }
    }
    let c = &config.collection;
    let _ = writeln!(
        o,
        "collection: {} units at once, connect timeout {} s, timeout {} s, at most {} bytes, {} retries from {} ms",
        c.concurrency,
        c.connect_timeout.as_secs(),
        c.timeout.as_secs(),
        c.max_body_bytes,
        c.retries,
        c.retry_backoff.as_millis()
    );
    let _ = writeln!(
        o,
        "parsing: at most {} rows, {} columns, {} bytes inflated (XLSX), JSON depth {}; a deadline collection holds the tick at most {} s",
        c.max_rows,
        c.max_columns,
        c.max_inflated_bytes,
        c.max_depth,
        c.deadline_collect.as_secs()
    );
    match &config.telegram {
        Some(t) => {
            let token = match &t.token {
                crate::config::SecretRef::Env(e) => format!("token from ${e}"),
                crate::config::SecretRef::File(f) => format!("token from file {}", f.display()),
            };
            let _ = writeln!(o, "telegram chat {} via {} ({token})", t.chat_id, t.api_url);
        }
        None => {
            let _ = writeln!(o, "telegram: none configured, messages go to the console");
        }
    }
    if let Some(addr) = config.http.listen {
        let _ = writeln!(o, "http: /healthz and /metrics on {addr}");
    }
    // The heartbeat URL itself is never printed: it may hold a secret.
    if let Some(hb) = &config.http.heartbeat {
        let from = match hb {
            crate::config::Heartbeat::Url(_) => "written in the config".to_string(),
            crate::config::Heartbeat::Secret(crate::config::SecretRef::Env(e)) => format!("from ${e}"),
            crate::config::Heartbeat::Secret(crate::config::SecretRef::File(f)) => {
                format!("from file {}", f.display())
            }
        };
        let _ = writeln!(o, "heartbeat after every good tick (URL {from})");
    }
    let next = |spec: &crate::config::CronSpec| {
        spec.next_times(&local_now, 3)
            .iter()
            .map(|t| t.format("%a %d/%m/%Y %H:%M:%S").to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(o, "\nunits ({}):", r.units.len());
    for u in &r.units {
        let source = match config.sources.get(&u.id) {
            Some(s) => match &s.location {
                crate::config::SourceLocation::File { path } => format!("file {path} ({})", s.format.as_str()),
                crate::config::SourceLocation::Http { url } => {
                    format!("http {} ({})", crate::collect::http::redact(url), s.format.as_str())
                }
            },
            None => "no source".to_string(),
        };
        let remote = if u.remote_area { ", remote area" } else { "" };
        let _ = writeln!(o, "  {:<18} {}{remote} — {source}", u.id, u.name);
    }
    let _ = writeln!(o, "\nreports ({}):", r.reports.len());
    let today = local_now.date_naive();
    for rep in &r.reports {
        let t = &rep.timing;
        let _ = writeln!(
            o,
            "  {} — {} ({}, {} units, {} metrics, {} rules, {} indicators)",
            rep.id,
            rep.title,
            t.period_kind.as_str(),
            rep.units.len(),
            rep.metrics.len(),
            rep.rules.len(),
            rep.indicators.len()
        );
        for p in crate::domain::deadline::active_periods(t, today, &tz, &r.calendar) {
            let d = crate::domain::deadline::deadlines(t, p, &tz, &r.calendar);
            let _ = writeln!(
                o,
                "    period {p}: data {}–{}, due {}, late after {}",
                text::date(d.window.0),
                text::date(d.window.1),
                d.due.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
                d.late_after.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
            );
        }
        if let Some(jobs) = config.report_jobs(&rep.id) {
            if let Some(c) = &jobs.collect {
                let _ = writeln!(o, "    collect \"{}\": next {}", c.expr, next(c));
            }
            if let Some(c) = &jobs.summary {
                let _ = writeln!(o, "    summary \"{}\": next {}", c.expr, next(c));
            }
        }
    }
    let _ = writeln!(
        o,
        "\ncase rules ({}): {}",
        r.case_rules.len(),
        r.case_rules
            .iter()
            .map(|c| c.kind.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(o, "\nschedules (local time):");
    let _ = writeln!(o, "  tick \"{}\": next {}", config.tick.expr, next(&config.tick));
    if let Some(c) = &config.case_digest {
        let _ = writeln!(o, "  case_digest \"{}\": next {}", c.expr, next(c));
    }
    o.push_str(&briefing::describe(config, now));
    o
}

/// `giaoban check --json`: what the config says, as one JSON document:
/// `{"config","valid":true,"timezone","language","storage","telegram",
/// "units":[…],"reports":[{…,"periods":[…],"schedules":{…}}],"case_rules":[…],
/// "schedules":{"tick":{"cron","next":[…]},…}}`. Times are RFC 3339 with the
/// local offset. No secret is included: a token is named by where it is read.
pub fn describe_config_json(config: &Config, now: DateTime<Utc>) -> serde_json::Value {
    use serde_json::json;
    let r = &config.regime;
    let tz = r.timezone;
    let local_now = now.with_timezone(&tz);
    let schedule = |spec: &crate::config::CronSpec| {
        json!({
            "cron": spec.expr,
            "next": spec.next_times(&local_now, 3).iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>(),
        })
    };
    let storage = match &config.storage {
        crate::config::Storage::Sqlite { path } => json!({ "kind": "sqlite", "path": path }),
        crate::config::Storage::Postgres { url } => {
            json!({ "kind": "postgres", "url": crate::store::redact_url(url) })
        }
    };
    let telegram = config.telegram.as_ref().map(|t| {
        let token = match &t.token {
            crate::config::SecretRef::Env(e) => json!({ "env": e }),
            crate::config::SecretRef::File(f) => json!({ "file": f }),
        };
        json!({ "chat_id": t.chat_id, "token": token })
    });
    let units: Vec<_> = r
        .units
        .iter()
        .map(|u| {
            json!({
                "id": u.id,
                "name": u.name,
                "kind": u.kind,
                "parent": u.parent,
                "remote_area": u.remote_area,
                "valid_from": u.valid_from,
                "valid_to": u.valid_to,
                "successors": u.successors,
                "source": config.sources.get(&u.id).map(|s| match &s.location {
                    crate::config::SourceLocation::File { path } => json!({ "kind": "file", "path": path, "format": s.format.as_str() }),
                    crate::config::SourceLocation::Http { url } => json!({ "kind": "http", "url": crate::collect::http::redact(url), "format": s.format.as_str() }),
                }),
            })
        })
        .collect();
    let today = local_now.date_naive();
    let reports: Vec<_> = r
        .reports
        .iter()
        .map(|rep| {
            let t = &rep.timing;
            let periods: Vec<_> = crate::domain::deadline::active_periods(t, today, &tz, &r.calendar)
                .into_iter()
                .map(|p| {
                    let d = crate::domain::deadline::deadlines(t, p, &tz, &r.calendar);
                    json!({
                        "period": p.label(),
                        "data_from": d.window.0,
                        "data_to": d.window.1,
                        "due": d.due.with_timezone(&tz).to_rfc3339(),
                        "late_after": d.late_after.with_timezone(&tz).to_rfc3339(),
                    })
                })
                .collect();
            let mut schedules = serde_json::Map::new();
            if let Some(jobs) = config.report_jobs(&rep.id) {
                if let Some(c) = &jobs.collect {
                    schedules.insert("collect".into(), schedule(c));
                }
                if let Some(c) = &jobs.summary {
                    schedules.insert("summary".into(), schedule(c));
                }
            }
            json!({
                "id": rep.id,
                "title": rep.title,
                "period_kind": t.period_kind.as_str(),
                "units": rep.units,
                "metrics": rep.metrics.iter().map(|m| &m.key).collect::<Vec<_>>(),
                "indicators": rep.indicators.iter().map(|i| &i.key).collect::<Vec<_>>(),
                "rules": rep.rules.len(),
                "periods": periods,
                "schedules": schedules,
            })
        })
        .collect();
    let mut schedules = serde_json::Map::new();
    schedules.insert("tick".into(), schedule(&config.tick));
    if let Some(c) = &config.case_digest {
        schedules.insert("case_digest".into(), schedule(c));
    }
    json!({
        "config": config.path,
        "valid": true,
        "timezone": tz.name(),
        "language": if r.language.is_english() { "en" } else { "vi" },
        "storage": storage,
        "telegram": telegram,
        "units": units,
        "reports": reports,
        "case_rules": r.case_rules.iter().map(|c| &c.kind).collect::<Vec<_>>(),
        "schedules": schedules,
    })
}

/// `giaoban check --json` on a config that does not load:
/// `{"config","valid":false,"problems":[{"line","column","key","message"}]}`.
pub fn config_error_json(path: &std::path::Path, e: &crate::config::ConfigError) -> serde_json::Value {
    use serde_json::json;
    let problems: Vec<_> = match e {
        crate::config::ConfigError::Invalid { problems, .. } => problems
            .iter()
            .map(|p| json!({ "line": p.line, "column": p.column, "key": p.key, "message": p.message }))
            .collect(),
        other => vec![json!({ "line": null, "column": null, "key": null, "message": other.to_string() })],
    };
    json!({ "config": path, "valid": false, "problems": problems })
}

/// The per-unit table of `status`.
pub fn status_table(config: &Config, st: &PeriodStatus) -> String {
    let view = crate::jobs::status_view(config, st, crate::domain::views::TERMINAL_WIDTH).unwrap_or_default();
    let mut o = crate::domain::text::html_to_plain(&view);
    if !o.ends_with('\n') {
        o.push('\n');
    }
    for u in &st.units {
        for e in &u.errors {
            let _ = writeln!(o, "  ! {}: {e}", u.name);
        }
        if let Some(c) = &u.last_collect
            && c.outcome == "error"
        {
            let _ = writeln!(
                o,
                "  ! {}: {}",
                u.name,
                c.detail.as_deref().unwrap_or("collection failed")
            );
        }
    }
    o
}

fn case_state_word(s: crate::domain::case::CaseState, en: bool) -> &'static str {
    use crate::domain::case::CaseState::*;
    match (s, en) {
        (InTime, false) => "còn hạn",
        (DueSoon, false) => "sắp đến hạn",
        (Overdue, false) => "quá hạn",
        (ResolvedOnTime, false) => "giải quyết đúng hạn",
        (ResolvedLate, false) => "giải quyết trễ hạn",
        (InTime, true) => "in time",
        (DueSoon, true) => "due soon",
        (Overdue, true) => "overdue",
        (ResolvedOnTime, true) => "resolved on time",
        (ResolvedLate, true) => "resolved late",
    }
}

/// The table of `giaoban cases`.
pub fn cases_table(config: &Config, rows: &[crate::jobs::CaseRow], at: DateTime<Utc>) -> String {
    let r = &config.regime;
    let en = r.language.is_english();
    let mut o = String::new();
    let at_text = text::time_and_date(&at.with_timezone(&r.timezone), r.language);
    let _ = writeln!(
        o,
        "{} {at_text}: {} {}",
        if en {
            "Cases as of"
        } else {
            "Đơn thư, tình hình lúc"
        },
        rows.len(),
        if en { "cases" } else { "đơn" }
    );
    let headers: Vec<String> = if en {
        ["Unit", "Ref", "Kind", "State", "Due", "Days overdue"]
    } else {
        ["Đơn vị", "Số hiệu", "Loại", "Tình trạng", "Hạn", "Số ngày quá hạn"]
    }
    .into_iter()
    .map(String::from)
    .collect();
    let units = r.units_by_id();
    let mut table: Vec<Vec<String>> = rows
        .iter()
        .map(|c| {
            let label = crate::domain::case::rule_for(&r.case_rules, &c.kind, c.received_on)
                .map_or(c.kind.clone(), |rule| rule.label.clone());
            vec![
                units.get(c.unit.as_str()).map_or(c.unit.clone(), |u| u.name.clone()),
                c.reference.clone(),
                label,
                case_state_word(c.state, en).to_string(),
                c.due.map(text::date).unwrap_or_else(|| "—".into()),
                if c.days_overdue > 0 {
                    c.days_overdue.to_string()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    table.insert(0, headers);
    for line in text::align_columns(&table, usize::MAX) {
        let _ = writeln!(o, "{line}");
    }
    o
}

/// The outbox under the status table: counts, rows in trouble, chats that
/// moved or refused the bot.
pub fn outbox_table(config: &Config, st: &crate::notify::OutboxStatus) -> String {
    let en = config.regime.language.is_english();
    let tz = config.regime.timezone;
    let when = |t: &chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%d/%m/%Y %H:%M:%S").to_string();
    let c = &st.counts;
    let mut o = String::new();
    let _ = writeln!(o);
    if en {
        let _ = writeln!(
            o,
            "outbox: {} pending ({} retrying), {} sent, {} failed",
            c.pending, c.retrying, c.sent, c.failed
        );
    } else {
        let _ = writeln!(
            o,
            "hàng đợi tin nhắn: {} chờ gửi ({} đang thử lại), {} đã gửi, {} thất bại",
            c.pending, c.retrying, c.sent, c.failed
        );
    }
    if let Some(t) = &st.next_attempt_at {
        let _ = writeln!(o, "  {} {}", if en { "next attempt" } else { "thử lại lúc" }, when(t));
    }
    for chat in &st.chats {
        if let Some(to) = chat.migrated_to {
            let _ = writeln!(
                o,
                "  {} {} → {to}: {}",
                if en { "chat" } else { "nhóm" },
                chat.chat_id,
                if en {
                    "moved to a supergroup; set telegram.chat_id to the new id"
                } else {
                    "đã thành siêu nhóm; cần sửa telegram.chat_id thành mã mới"
                }
            );
        }
        if let Some(reason) = &chat.held_reason {
            let next = chat.recheck_at.as_ref().map(when).unwrap_or_default();
            let _ = writeln!(
                o,
                "  {} {} {}: {reason} ({} {next})",
                if en { "chat" } else { "nhóm" },
                chat.chat_id,
                if en {
                    "refuses the bot, delivery held"
                } else {
                    "từ chối bot, tạm dừng gửi"
                },
                if en { "next try" } else { "thử lại lúc" }
            );
        }
    }
    for p in &st.problems {
        let _ = writeln!(
            o,
            "  #{} {} [{}] {} {}: {}",
            p.id,
            p.key,
            p.state,
            p.attempts,
            if en { "attempts" } else { "lần thử" },
            p.last_error.as_deref().unwrap_or("")
        );
    }
    o
}

/// `giaoban template`: the XLSX workbook a unit fills in for `report`,
/// optionally with its unit and period written in.
pub fn template(config: &Config, report: &str, unit: Option<&str>, period: Option<&str>) -> Result<Vec<u8>, String> {
    let rep = config
        .regime
        .report(report)
        .ok_or_else(|| format!("no report '{report}' in the config"))?;
    if let Some(u) = unit
        && config.regime.unit(u).is_none()
    {
        return Err(format!("no unit '{u}' in the config"));
    }
    let period = period
        .map(|p| Period::parse_as(rep.timing.period_kind, p).map_err(|e| e.to_string()))
        .transpose()?;
    let fill = crate::export::template::Filling {
        unit: unit.map(str::to_string),
        period,
        ..Default::default()
    };
    crate::export::template::workbook(rep, &config.regime, &config.letterhead, &fill)
        .map_err(|e| format!("cannot build the workbook: {e}"))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, TimeZone, Utc};
    use proptest::prelude::*;

    use crate::domain::case::{CaseState, Stage};
    use crate::jobs::CaseRow;

    /// What serde_json writes for the document, and a line break.
    fn by_serde(at: DateTime<Utc>, rows: &[CaseRow]) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct CasesDoc<'a> {
            at: DateTime<Utc>,
            cases: &'a [CaseRow],
        }
        let mut out = serde_json::to_vec(&CasesDoc { at, cases: rows }).expect("serde");
        out.push(b'\n');
        out
    }

    fn by_hand(at: DateTime<Utc>, rows: &[CaseRow]) -> Vec<u8> {
        let mut out = Vec::new();
        super::write_cases_json(&mut out, at, rows).expect("write");
        out
    }

    fn row(unit: &str, reference: &str, kind: &str, days: [Option<NaiveDate>; 4], n: usize) -> CaseRow {
        CaseRow {
            unit: unit.into(),
            reference: reference.into(),
            kind: kind.into(),
            state: CaseState::ALL[n % CaseState::ALL.len()],
            due: days[0],
            days_overdue: i64::try_from(n).unwrap_or(0) * 37 - 5,
            stage: if n.is_multiple_of(2) {
                Stage::Accept
            } else {
                Stage::Resolve
            },
            received_on: days[1].unwrap_or(NaiveDate::MIN),
            accepted_on: days[2],
            resolved_on: days[3],
        }
    }

    #[test]
    fn the_cases_document_written_by_hand_is_what_serde_json_writes() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        let hostile = [
            "an-phu",
            "KN-2024-031",
            "khiếu nại \"lần\" đầu",
            "back\\slash",
            "tab\there\nnew\rline",
            "\u{1}\u{8}\u{c}\u{1f}\u{7f}",
            "\u{2028}\u{2029}</script>",
            "",
            "🙂 emoji",
        ];
        let dates = [
            day(2024, 9, 19),
            None,
            day(999, 12, 31),
            day(10_000, 1, 1),
            day(1000, 1, 1),
            day(9999, 12, 31),
            Some(NaiveDate::MIN),
            Some(NaiveDate::MAX),
        ];
        let mut rows = Vec::new();
        for (n, s) in hostile.iter().enumerate() {
            let d = |k: usize| dates[(n + k) % dates.len()];
            rows.push(row(
                s,
                hostile[(n + 1) % hostile.len()],
                hostile[(n + 2) % hostile.len()],
                [d(0), d(1), d(2), d(3)],
                n,
            ));
        }
        for (n, days) in [i64::MIN, i64::MAX, 0, -1, 10, 1_000_000_007].into_iter().enumerate() {
            rows.push(CaseRow {
                days_overdue: days,
                ..row("u", "r", "k", [dates[n % dates.len()]; 4], n)
            });
        }
        let instants = [
            Utc.with_ymd_and_hms(2024, 9, 19, 11, 0, 0).single().expect("instant"),
            Utc.timestamp_opt(1_726_743_600, 123_456_789).single().expect("instant"),
        ];
        for at in instants {
            assert_eq!(
                String::from_utf8_lossy(&by_hand(at, &rows)),
                String::from_utf8_lossy(&by_serde(at, &rows))
            );
            assert_eq!(by_hand(at, &[]), by_serde(at, &[]));
        }
        // Past a buffer's worth of rows, still one document.
        let many: Vec<CaseRow> = (0..3000)
            .map(|n| row("u00001", &format!("KN-{n}"), "to_cao", [dates[0]; 4], n))
            .collect();
        assert_eq!(by_hand(instants[0], &many), by_serde(instants[0], &many));
    }

    proptest! {
        #[test]
        fn any_strings_and_days_are_written_as_serde_json_writes_them(
            unit in any::<String>(),
            reference in "\\PC*",
            kind in "[\\x00-\\x7f]{0,12}",
            days in proptest::collection::vec(proptest::option::of(-400_000i32..3_000_000), 4),
            n in 0usize..100,
        ) {
            let d = |k: usize| days[k].and_then(NaiveDate::from_num_days_from_ce_opt);
            let rows = vec![row(&unit, &reference, &kind, [d(0), d(1), d(2), d(3)], n)];
            let at = Utc.with_ymd_and_hms(2024, 9, 19, 11, 0, 0).single().expect("instant");
            prop_assert_eq!(by_hand(at, &rows), by_serde(at, &rows));
        }
    }
}
