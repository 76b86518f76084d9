//! The planner: given the regime, what the store knows and `now`, every
//! notice that should exist, each with a stable dedup key. Pure: the caller
//! inserts the new ones into the outbox, whose unique key makes a second
//! tick (or a second process) add nothing.
//!
//! Catch-up rule: a series of timed notices (the reminders of a period; its
//! late alert and the urges after it) only ever yields its latest due member,
//! so a tick after downtime sends one message, not a burst of stale ones.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::deadline::{Deadlines, deadlines};
use super::period::Period;
use super::regime::{Regime, Report, Unit, WorkingHours};
use super::render;
use super::status::{UnitFacts, UnitState, unit_state};

/// How long an event stays news: a late alert or the last urge is not sent
/// once this has passed since it fell due (a tick after a long outage, or a
/// fresh install next to old data, does not nag about last year), nor is a
/// late arrival or a rejected file announced that long after the fact.
pub const STALE_AFTER: Duration = Duration::days(7);

/// How long a firing of a message schedule (`case_digest`, a report's
/// `summary`) stays current: a tick within a day of it sends its message, a
/// later one (after an outage) does not.
pub const FIRING_CURRENT_FOR: Duration = Duration::days(1);

/// The kinds of messages giaoban sends (the `kind` of `tick --json`).
pub const NOTICE_KINDS: [&str; 16] = [
    "reminder",
    "late",
    "urge",
    "received_late",
    "invalid",
    "summary",
    "case_digest",
    "config_error",
    "admin",
    "meeting",
    "pre_read",
    "task_reminder",
    "task_overdue",
    "reply",
    "mute",
    "unmute",
];

/// How long an announcement for the admins (a refused config, a chat
/// migration) stays worth sending.
pub const ADMIN_NEWS_FOR: Duration = Duration::days(7);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    Reminder,
    Late,
    Urge,
    ReceivedLate,
    Invalid,
    Summary,
    CaseDigest,
    /// A reloaded config was refused; the old one stays in force.
    ConfigError,
    /// Something the admins must act on (the group became a supergroup).
    Admin,
    /// A briefing meeting's invitation, or its reminder on the morning.
    Meeting,
    /// The papers for a briefing meeting.
    PreRead,
    /// Key tasks whose deadline is near.
    TaskReminder,
    /// The digest of key tasks past their deadline.
    TaskOverdue,
    /// The bot's answer to a command or a file, in the chat that asked.
    Reply,
    /// An admin muted a unit or a report for a while.
    Mute,
    /// A mute ended (lifted by an admin, or ran out).
    Unmute,
}

/// Who a notice is for: the configured group, the admins
/// (`telegram.admin_chat_id` when set, else the group too), or one chat (a
/// reply to someone who asked the bot). Each audience is its own queue:
/// messages to it go out in order, and one that must wait holds up only its
/// own audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    Group,
    Admins,
    Chat(i64),
}

impl Audience {
    /// As stored: `group`, `admins`, `chat:{id}`.
    pub fn key(self) -> String {
        match self {
            Audience::Group => "group".to_string(),
            Audience::Admins => "admins".to_string(),
            Audience::Chat(id) => format!("chat:{id}"),
        }
    }

    pub fn parse(s: &str) -> Audience {
        match s {
            "admins" => Audience::Admins,
            _ => s
                .strip_prefix("chat:")
                .and_then(|id| id.parse().ok())
                .map_or(Audience::Group, Audience::Chat),
        }
    }
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Reminder => "reminder",
            NoticeKind::Late => "late",
            NoticeKind::Urge => "urge",
            NoticeKind::ReceivedLate => "received_late",
            NoticeKind::Invalid => "invalid",
            NoticeKind::Summary => "summary",
            NoticeKind::CaseDigest => "case_digest",
            NoticeKind::ConfigError => "config_error",
            NoticeKind::Admin => "admin",
            NoticeKind::Meeting => "meeting",
            NoticeKind::PreRead => "pre_read",
            NoticeKind::TaskReminder => "task_reminder",
            NoticeKind::TaskOverdue => "task_overdue",
            NoticeKind::Reply => "reply",
            NoticeKind::Mute => "mute",
            NoticeKind::Unmute => "unmute",
        }
    }

    pub fn audience(self) -> Audience {
        match self {
            NoticeKind::ConfigError | NoticeKind::Admin => Audience::Admins,
            _ => Audience::Group,
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        [
            NoticeKind::Reminder,
            NoticeKind::Late,
            NoticeKind::Urge,
            NoticeKind::ReceivedLate,
            NoticeKind::Invalid,
            NoticeKind::Summary,
            NoticeKind::CaseDigest,
            NoticeKind::ConfigError,
            NoticeKind::Admin,
            NoticeKind::Meeting,
            NoticeKind::PreRead,
            NoticeKind::TaskReminder,
            NoticeKind::TaskOverdue,
            NoticeKind::Reply,
            NoticeKind::Mute,
            NoticeKind::Unmute,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A notice already in the outbox, as the planner needs to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastNotice {
    pub kind: NoticeKind,
    pub key: String,
    /// What the notice covered (units for received-late notes, `unit#error`
    /// for invalid-file notes), so each is announced once.
    pub atoms: Vec<String>,
}

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub key: String,
    pub report: Option<String>,
    pub period: Option<Period>,
    pub units: Vec<String>,
    pub atoms: Vec<String>,
    /// Telegram HTML.
    pub text: String,
    /// Held to the next working window unless urgent.
    pub not_before: DateTime<Utc>,
    /// When it stops being news: a row still undelivered then is not sent
    /// (a reminder at its deadline, a late alert or urge when the next of its
    /// series is due, a digest or summary a day after it could first go out).
    pub expires_at: DateTime<Utc>,
}

/// What the store knows about one report-period at `now`.
#[derive(Debug, Clone)]
pub struct PeriodInput<'a> {
    pub report: &'a Report,
    pub period: Period,
    /// Facts of the units that sent anything (others are missing).
    pub facts: Vec<UnitFacts>,
    /// Notices already queued for this report-period.
    pub past: Vec<PastNotice>,
}

/// A unit with its state at the evaluation instant.
#[derive(Debug, Clone)]
pub struct UnitStatus<'a> {
    pub unit: &'a Unit,
    pub state: UnitState,
    pub facts: Option<&'a UnitFacts>,
}

/// Every expected unit of a report-period with its state, in config order.
pub fn period_status<'a>(
    regime: &'a Regime,
    report: &'a Report,
    period: Period,
    facts: &'a [UnitFacts],
    d: &Deadlines,
) -> Vec<UnitStatus<'a>> {
    let by_unit: std::collections::HashMap<&str, &UnitFacts> =
        facts.iter().rev().map(|f| (f.unit.as_str(), f)).collect();
    regime
        .expected_units(report, period)
        .into_iter()
        .map(|unit| {
            let f = by_unit.get(unit.id.as_str()).copied();
            UnitStatus {
                unit,
                state: unit_state(d, f),
                facts: f,
            }
        })
        .collect()
}

/// The notices one report-period calls for at `now` that are not in `past`.
pub fn plan_period(regime: &Regime, input: &PeriodInput<'_>, now: DateTime<Utc>) -> Vec<Notice> {
    let report = input.report;
    let period = input.period;
    let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);
    let statuses = period_status(regime, report, period, &input.facts, &d);
    let outstanding: Vec<&UnitStatus<'_>> = statuses.iter().filter(|s| s.state.is_outstanding()).collect();
    let already = |key: &str| input.past.iter().any(|p| p.key == key);
    let mut out = Vec::new();
    let mut push = |kind: NoticeKind,
                    key: String,
                    units: Vec<String>,
                    atoms: Vec<String>,
                    text: String,
                    expires_at: DateTime<Utc>| {
        out.push(Notice {
            kind,
            key,
            report: Some(report.id.clone()),
            period: Some(period),
            units,
            atoms,
            not_before: hold(regime, kind, now),
            expires_at,
            text,
        });
    };
    let unit_ids = |list: &[&UnitStatus<'_>]| list.iter().map(|s| s.unit.id.clone()).collect::<Vec<_>>();

    // Reminders: only before the deadline, only the latest one due.
    if now < d.due
        && !outstanding.is_empty()
        && let Some((span, _)) = d
            .reminders
            .iter()
            .filter(|(_, at)| *at <= now)
            .max_by_key(|(_, at)| *at)
    {
        let key = format!("reminder:{}:{}:{}", report.id, period, span.canonical());
        if !already(&key) {
            let text = render::reminder(regime, report, &d, &outstanding, statuses.len());
            push(
                NoticeKind::Reminder,
                key,
                unit_ids(&outstanding),
                Vec::new(),
                text,
                d.due,
            );
        }
    }

    // Late alert and urges: one series after the grace, latest due member only.
    let series: Vec<DateTime<Utc>> = std::iter::once(d.late_after).chain(d.urges.iter().copied()).collect();
    // A member is current until the next one is due; the last for STALE_AFTER.
    let slot_end = |k: usize| series.get(k + 1).copied().unwrap_or(series[k] + STALE_AFTER);
    let current = series.iter().rposition(|at| *at <= now).filter(|&k| now < slot_end(k));
    if let (Some(occurrence), false) = (current, outstanding.is_empty()) {
        let (kind, key) = if occurrence == 0 {
            (NoticeKind::Late, format!("late:{}:{}", report.id, period))
        } else {
            (
                NoticeKind::Urge,
                format!("urge:{}:{}:{}", report.id, period, occurrence),
            )
        };
        if !already(&key) {
            let text = if occurrence == 0 {
                render::late(regime, report, &d, &outstanding, statuses.len())
            } else {
                render::urge(
                    regime,
                    report,
                    &d,
                    &outstanding,
                    statuses.len(),
                    occurrence,
                    d.urges.len(),
                    now,
                )
            };
            push(
                kind,
                key,
                unit_ids(&outstanding),
                Vec::new(),
                text,
                slot_end(occurrence),
            );
        }
    }

    // Received late: each late unit once.
    let noted = |kind: NoticeKind, atom: &str| {
        input
            .past
            .iter()
            .any(|p| p.kind == kind && p.atoms.iter().any(|a| a == atom))
    };
    let recent = |t: DateTime<Utc>| t > now - STALE_AFTER;
    let newly_late: Vec<&UnitStatus<'_>> = statuses
        .iter()
        .filter(|s| s.state == UnitState::Late && !noted(NoticeKind::ReceivedLate, &s.unit.id))
        .filter(|s| s.facts.and_then(UnitFacts::first_received_at).is_some_and(recent))
        .collect();
    if !newly_late.is_empty() {
        let ids = unit_ids(&newly_late);
        let key = format!("received_late:{}:{}:{}", report.id, period, ids.join(","));
        if !already(&key) {
            let text = render::received_late(regime, report, &d, &newly_late);
            push(NoticeKind::ReceivedLate, key, ids.clone(), ids, text, now + STALE_AFTER);
        }
    }

    // Invalid files: each distinct error of each unit once, while it is still
    // the latest word from that unit.
    let mut bad: Vec<(&UnitStatus<'_>, &str, String)> = Vec::new();
    for s in &statuses {
        let Some(f) = s.facts else { continue };
        let mut seen = Vec::new();
        for r in f.open_errors().filter(|r| recent(r.submitted_at)) {
            let atom = format!("{}#{}", s.unit.id, short_hash(&r.error));
            if !seen.contains(&atom) && !noted(NoticeKind::Invalid, &atom) {
                seen.push(atom.clone());
                bad.push((s, r.error.as_str(), atom));
            }
        }
    }
    if !bad.is_empty() {
        let atoms: Vec<String> = bad.iter().map(|(_, _, a)| a.clone()).collect();
        let mut units: Vec<String> = bad.iter().map(|(s, _, _)| s.unit.id.clone()).collect();
        units.dedup();
        let key = format!("invalid:{}:{}:{}", report.id, period, atoms.join(","));
        if !already(&key) {
            let items: Vec<(&Unit, &str)> = bad.iter().map(|(s, e, _)| (s.unit, *e)).collect();
            let text = render::invalid(regime, report, period, &items);
            push(NoticeKind::Invalid, key, units, atoms, text, now + STALE_AFTER);
        }
    }
    out
}

/// A short stable fingerprint of an error text (FNV-1a, 32 bits, hex), so the
/// same fault is announced once however often the file is read again.
pub fn short_hash(s: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// When a notice of `kind` planned at `now` may be delivered: `now` inside the
/// working window (or for an urgent kind), else the window's next opening.
pub fn hold(regime: &Regime, kind: NoticeKind, now: DateTime<Utc>) -> DateTime<Utc> {
    if regime.working_hours.urgent.iter().any(|k| k == kind.as_str()) {
        return now;
    }
    next_opening(&regime.working_hours, &regime.calendar, &regime.timezone, now)
}

/// `t` when it is inside the working window on a working day, else the next
/// instant the window opens.
pub fn next_opening(
    hours: &WorkingHours,
    cal: &super::calendar::WorkCalendar,
    tz: &chrono_tz::Tz,
    t: DateTime<Utc>,
) -> DateTime<Utc> {
    let local = t.with_timezone(tz);
    let date = local.date_naive();
    let time = local.time();
    if cal.is_working_day(date) && time >= hours.from && time <= hours.to {
        return t;
    }
    let mut day = if cal.is_working_day(date) && time < hours.from {
        date
    } else {
        date + Duration::days(1)
    };
    // A calendar has working days within a few weeks; bound the search anyway.
    for _ in 0..400 {
        if cal.is_working_day(day) {
            break;
        }
        day = day.succ_opt().unwrap_or(day);
    }
    let naive = NaiveDateTime::new(day, hours.from);
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        // A gap at the opening hour (a DST jump): open an hour later.
        LocalResult::None => tz
            .from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
            .map_or(t, |x| x.with_timezone(&Utc)),
    }
}

/// The case digest of the `case_digest` schedule's firing at `firing` (the
/// latest one at or before `now`), unless it is already queued or nothing is
/// overdue or due soon. `counts` holds each unit's overdue and due-soon
/// cases; `lines` the cases of at least the units the digest can show
/// ([`render::digest_units`]). `previous` is the last digest queued before
/// it: a case that was still on time on its day (due on or after it) is
/// marked new — it became overdue since.
pub fn plan_case_digest(
    regime: &Regime,
    counts: &render::DigestCounts<'_>,
    lines: &[super::case::CaseLine<'_>],
    firing: DateTime<Utc>,
    previous: Option<&PastNotice>,
    already: &[PastNotice],
    now: DateTime<Utc>,
) -> Option<Notice> {
    use super::case::CaseState;
    if now < firing || now - firing >= FIRING_CURRENT_FOR {
        return None;
    }
    let key = digest_key(regime, firing);
    if already.iter().any(|p| p.key == key) {
        return None;
    }
    if counts.values().all(|&(over, soon)| over == 0 && soon == 0) {
        return None;
    }
    let since = previous.and_then(|p| digest_day(&p.key));
    let newly: Vec<String> = lines
        .iter()
        .filter(|l| l.eval.state == CaseState::Overdue)
        .filter(|l| since.is_some_and(|day| l.eval.due.is_some_and(|due| due >= day)))
        .map(render::case_atom)
        .collect();
    let mut units: Vec<String> = counts
        .iter()
        .filter(|(_, (over, _))| *over > 0)
        .map(|(u, _)| (*u).to_string())
        .collect();
    units.sort();
    Some(Notice {
        kind: NoticeKind::CaseDigest,
        key,
        report: None,
        period: None,
        units,
        text: render::case_digest_of(regime, counts, lines, &newly, now),
        atoms: Vec::new(),
        not_before: hold(regime, NoticeKind::CaseDigest, now),
        expires_at: hold(regime, NoticeKind::CaseDigest, now) + FIRING_CURRENT_FOR,
    })
}

/// `case_digest:{local firing time}`: the key of a digest.
pub fn digest_key(regime: &Regime, firing: DateTime<Utc>) -> String {
    format!(
        "case_digest:{}",
        firing.with_timezone(&regime.timezone).format("%Y-%m-%dT%H:%M")
    )
}

/// The local day of a digest's firing, from its key.
fn digest_day(key: &str) -> Option<NaiveDate> {
    let stamp = key.strip_prefix("case_digest:")?;
    NaiveDate::parse_from_str(stamp.get(..10)?, "%Y-%m-%d").ok()
}

/// The summary a report-period calls for at `now`, if it was not sent
/// before: `summary:{report}:{period}:final` once every expected unit is in or
/// the grace has ended (within [`STALE_AFTER`] of that moment), and
/// `summary:{report}:{period}:{local firing time}` for a firing of the report's
/// summary schedule within the last day. When both are due in the same tick
/// they would carry the same figures: one summary goes out, under the final
/// key, and covers the firing (its key is in `covers`), so neither a second
/// copy now nor the firing's own copy later is sent.
pub fn summary_due(
    regime: &Regime,
    report: &Report,
    d: &Deadlines,
    statuses: &[UnitStatus<'_>],
    firing: Option<DateTime<Utc>>,
    past: &[PastNotice],
    now: DateTime<Utc>,
) -> Option<SummaryDue> {
    let sent = |key: &str| {
        past.iter()
            .any(|p| p.key == key || (p.kind == NoticeKind::Summary && p.atoms.iter().any(|a| a == key)))
    };
    let mut keys = Vec::new();
    if report.summary_when_complete && !statuses.is_empty() {
        let all_in = statuses.iter().all(|s| !s.state.is_outstanding());
        let trigger = if all_in {
            statuses
                .iter()
                .filter_map(|s| s.facts.and_then(UnitFacts::first_received_at))
                .max()
        } else if now >= d.late_after {
            Some(d.late_after)
        } else {
            None
        };
        if let Some(t) = trigger
            && t <= now
            && now - t < STALE_AFTER
        {
            keys.push(format!("summary:{}:{}:final", report.id, d.period));
        }
    }
    if let Some(f) = firing
        && f <= now
        && now - f < FIRING_CURRENT_FOR
    {
        keys.push(format!(
            "summary:{}:{}:{}",
            report.id,
            d.period,
            f.with_timezone(&regime.timezone).format("%Y-%m-%dT%H:%M")
        ));
    }
    keys.retain(|k| !sent(k));
    let mut keys = keys.into_iter();
    let key = keys.next()?;
    let not_before = hold(regime, NoticeKind::Summary, now);
    Some(SummaryDue {
        key,
        covers: keys.collect(),
        not_before,
        expires_at: not_before + FIRING_CURRENT_FOR,
    })
}

/// One summary to queue (see [`summary_due`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryDue {
    pub key: String,
    /// Other keys this one message stands for (stored as its atoms).
    pub covers: Vec<String>,
    pub not_before: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What to do with a reminder, late alert or urge at delivery, given what
/// the store knows then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// Every unit it names still owes the report: send as planned.
    Keep,
    /// Some have sent since: send this text, naming only these units.
    Rewrite { text: String, units: Vec<String> },
    /// Every unit it named has sent: nothing left to say.
    Drop,
}

/// Re-reads a queued reminder, late alert or urge against the facts at
/// `now`: the units it named that no longer owe a valid report, or that an
/// admin muted, are left out, with the text rendered as the planner would
/// render it for the rest. A late arrival or rejected-file note about muted
/// units only is dropped. Other kinds are kept as they are.
pub fn refresh(
    regime: &Regime,
    input: &PeriodInput<'_>,
    kind: NoticeKind,
    key: &str,
    units: &[String],
    muted: &[String],
    now: DateTime<Utc>,
) -> Refresh {
    if matches!(kind, NoticeKind::ReceivedLate | NoticeKind::Invalid)
        && !units.is_empty()
        && units.iter().all(|u| muted.contains(u))
    {
        return Refresh::Drop;
    }
    if !matches!(kind, NoticeKind::Reminder | NoticeKind::Late | NoticeKind::Urge) || units.is_empty() {
        return Refresh::Keep;
    }
    let report = input.report;
    let d = deadlines(&report.timing, input.period, &regime.timezone, &regime.calendar);
    let statuses = period_status(regime, report, input.period, &input.facts, &d);
    let still: Vec<&UnitStatus<'_>> = statuses
        .iter()
        .filter(|s| s.state.is_outstanding() && units.contains(&s.unit.id) && !muted.contains(&s.unit.id))
        .collect();
    if still.is_empty() {
        return Refresh::Drop;
    }
    if still.len() == units.len() {
        return Refresh::Keep;
    }
    let text = match kind {
        NoticeKind::Reminder => render::reminder(regime, report, &d, &still, statuses.len()),
        NoticeKind::Late => render::late(regime, report, &d, &still, statuses.len()),
        _ => {
            let occurrence = key.rsplit(':').next().and_then(|n| n.parse().ok()).unwrap_or(1);
            render::urge(
                regime,
                report,
                &d,
                &still,
                statuses.len(),
                occurrence,
                d.urges.len(),
                now,
            )
        }
    };
    Refresh::Rewrite {
        text,
        units: still.iter().map(|s| s.unit.id.clone()).collect(),
    }
}

/// The admins' notice that a reloaded config was refused. Its key carries a
/// fingerprint of the error, so the same broken file is announced once however
/// often it is reloaded; a different fault is announced again. It goes out at
/// once, whatever the working hours: it answers an admin's own reload, and the
/// office runs on the old config until the file is fixed.
pub fn plan_config_error(regime: &Regime, error: &str, now: DateTime<Utc>) -> Notice {
    Notice {
        kind: NoticeKind::ConfigError,
        key: format!("config_error:{}", short_hash(error)),
        report: None,
        period: None,
        units: Vec::new(),
        atoms: Vec::new(),
        text: render::config_error(regime, error),
        not_before: now,
        expires_at: now + ADMIN_NEWS_FOR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::WorkCalendar;
    use crate::domain::regime::{Language, WorkingHours};

    fn regime() -> Regime {
        Regime {
            timezone: chrono_tz::Asia::Ho_Chi_Minh,
            language: Language::Vi,
            working_hours: WorkingHours::default(),
            calendar: WorkCalendar::default(),
            units: vec![],
            reports: vec![],
            case_rules: vec![],
        }
    }

    #[test]
    fn one_broken_file_is_one_notice_and_it_is_not_held_to_working_hours() {
        let regime = regime();
        // Saturday 23:00 in Hà Nội: outside any working window.
        let now = DateTime::parse_from_rfc3339("2026-11-28T23:00:00+07:00")
            .expect("instant")
            .with_timezone(&Utc);
        let a = plan_config_error(&regime, "giaoban.toml:3:1: key `schedule.tik`: unknown field", now);
        let again = plan_config_error(&regime, "giaoban.toml:3:1: key `schedule.tik`: unknown field", now);
        let other = plan_config_error(&regime, "giaoban.toml:9:1: key `units[0].id`: missing", now);
        assert_eq!(a.key, again.key);
        assert_ne!(a.key, other.key);
        assert!(a.key.starts_with("config_error:"), "{}", a.key);
        assert_eq!(a.kind.as_str(), "config_error");
        assert_eq!(a.not_before, now);
    }
}
