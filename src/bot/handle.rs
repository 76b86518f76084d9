//! Handling one stored update: who may talk to the bot, commands, and files
//! from units. Every answer is queued in the outbox (a `reply` to the asking
//! message) in the same transaction that marks the update handled, so a
//! restart never answers twice.

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use teloxide::net::Download;
use teloxide::prelude::Requester;
use teloxide::types::FileId;

use super::command::{self, COMMANDS, Command, Target, Usage};
use super::incoming::{Document, Incoming};
use crate::collect::{self, Fetched, Filter, Outcome};
use crate::config::{Config, Format};
use crate::domain::deadline::{Deadlines, active_periods, deadlines};
use crate::domain::period::Period;
use crate::domain::plan::{Audience, NoticeKind, period_status};
use crate::domain::regime::{Regime, Report, Unit};
use crate::domain::status::UnitFacts;
use crate::domain::{render, reply, text};
use crate::store::outbox::{self, Attachment};
use crate::store::{Store, StoreError, submissions, telegram as chats, updates};

/// What the handler needs besides the update.
pub struct Context<'a> {
    pub config: &'a Config,
    pub store: &'a Store,
    /// For downloading files (`getFile`), with the courier's `api_url` and token.
    pub bot: &'a teloxide::Bot,
    /// The bot's own username, for commands addressed `/status@name`.
    pub username: Option<&'a str>,
}

/// One message to queue: the text, files, and where it goes.
struct Answer {
    kind: NoticeKind,
    text: String,
    files: Vec<Attachment>,
    audience: Audience,
    reply_to: Option<i64>,
    report: Option<String>,
    period: Option<String>,
    /// When it stops being news, if sooner than [`REPLY_NEWS_FOR`].
    expires_at: Option<DateTime<Utc>>,
    /// The units a reminder names (re-checked at delivery).
    units: Vec<String>,
}

impl Answer {
    fn reply(to: &Incoming, text: String) -> Answer {
        Answer {
            kind: NoticeKind::Reply,
            text,
            files: Vec::new(),
            audience: Audience::Chat(to.chat_id),
            reply_to: Some(i64::from(to.message_id)),
            report: None,
            period: None,
            expires_at: None,
            units: Vec::new(),
        }
    }
}

/// Who is asking, as the config sees them.
struct Asker<'a> {
    admin: bool,
    units: Vec<&'a Unit>,
}

fn asker<'a>(config: &'a Config, user: Option<i64>) -> Asker<'a> {
    let admins = config
        .telegram
        .as_ref()
        .map(|t| t.admins.as_slice())
        .unwrap_or_default();
    Asker {
        admin: user.is_some_and(|u| admins.contains(&u)),
        units: config
            .regime
            .units
            .iter()
            .filter(|u| user.is_some_and(|id| u.telegram_users.contains(&id)))
            .collect(),
    }
}

/// Handles one stored update and records the outcome. Errors are the
/// store's: the update then stays pending and is handled again later.
pub async fn handle(ctx: &Context<'_>, incoming: &Incoming, now: DateTime<Utc>) -> Result<(), StoreError> {
    let config = ctx.config;
    let asker = asker(config, incoming.user_id);
    if !allowed(ctx, incoming, &asker).await? {
        let mut tx = ctx.store.write().await?;
        if updates::note_stranger(&mut tx, incoming.chat_id, now).await? {
            tracing::warn!(
                chat = incoming.chat_id,
                "ignoring a chat the bot does not serve (logged once per chat)"
            );
        }
        updates::finish(&mut tx, incoming.update_id, "ignored", Some("not an allowed chat"), now).await?;
        return tx.commit().await;
    }
    let answers = if let Some(doc) = &incoming.document {
        file(ctx, incoming, doc, &asker, now).await?
    } else if let Some(text) = &incoming.text {
        match command::parse(text, &config.regime, ctx.username) {
            None => progress(ctx, incoming, text, &asker, now).await?,
            Some(Err(Usage(name))) => {
                let alias = alias_of(name);
                vec![Answer::reply(incoming, reply::usage(&config.regime, name, alias))]
            }
            Some(Ok(cmd)) if cmd.needs_admin() && !asker.admin => {
                vec![Answer::reply(
                    incoming,
                    reply::not_admin(&config.regime, alias_of(cmd.name())),
                )]
            }
            Some(Ok(cmd)) => run(ctx, incoming, cmd, now).await?,
        }
    } else {
        Vec::new()
    };
    let mut tx = ctx.store.write().await?;
    for (n, a) in answers.iter().enumerate() {
        let key = format!("{}:{}:{n}", a.kind.as_str(), incoming.update_id);
        let text = crate::config::scrub(&a.text).into_owned();
        let row = outbox::NewRow {
            key: &key,
            kind: a.kind.as_str(),
            report: a.report.as_deref(),
            period: a.period.as_deref(),
            units: &a.units,
            atoms: &[],
            text: &text,
            planned_at: now,
            not_before: now,
            expires_at: a.expires_at.unwrap_or(now + REPLY_NEWS_FOR),
            audience: a.audience,
            reply_to: a.reply_to,
        };
        if outbox::enqueue(&mut tx, &row).await? && !a.files.is_empty() {
            outbox::attach(&mut tx, &key, &a.files).await?;
        }
    }
    let state = if answers.is_empty() { "ignored" } else { "handled" };
    updates::finish(&mut tx, incoming.update_id, state, None, now).await?;
    tx.commit().await
}

fn alias_of(name: &str) -> &'static str {
    COMMANDS.iter().find(|c| c.0 == name).map_or("help", |c| c.1)
}

/// The configured group (or the supergroup it became), and private chats
/// with admins and unit officers.
async fn allowed(ctx: &Context<'_>, incoming: &Incoming, asker: &Asker<'_>) -> Result<bool, StoreError> {
    let Some(t) = &ctx.config.telegram else {
        return Ok(false);
    };
    if incoming.private {
        return Ok(asker.admin || !asker.units.is_empty());
    }
    if incoming.chat_id == t.chat_id || Some(incoming.chat_id) == t.admin_chat_id {
        return Ok(true);
    }
    let mut conn = ctx.store.read().await?;
    let mut chat = t.chat_id;
    for _ in 0..5 {
        match chats::chat(&mut conn, chat).await?.and_then(|c| c.migrated_to) {
            Some(next) if next == incoming.chat_id => return Ok(true),
            Some(next) if next != chat => chat = next,
            _ => break,
        }
    }
    Ok(false)
}

/// The reports a command is about: the one named, else all.
fn reports<'a>(regime: &'a Regime, report: &Option<String>) -> Vec<&'a Report> {
    match report {
        Some(id) => regime.report(id).into_iter().collect(),
        None => regime.reports.iter().collect(),
    }
}

/// The period a command means: the one given, else the report's current one.
fn period_of(config: &Config, report: &Report, period: Option<Period>, now: DateTime<Utc>) -> Option<Period> {
    period
        .filter(|p| p.kind == report.timing.period_kind)
        .or_else(|| crate::jobs::default_period(config, report, now))
}

/// A report's period as a command means it (see [`period_of`]), with what
/// was received for it by `now` and its deadlines.
async fn period_facts(
    conn: &mut crate::store::Conn,
    config: &Config,
    report: &Report,
    period: Option<Period>,
    now: DateTime<Utc>,
) -> Result<Option<(Period, Vec<UnitFacts>, Deadlines)>, StoreError> {
    let regime = &config.regime;
    let Some(p) = period_of(config, report, period, now) else {
        return Ok(None);
    };
    let facts = submissions::period_facts(conn, &report.id, &p.label(), now).await?;
    let d = deadlines(&report.timing, p, &regime.timezone, &regime.calendar);
    Ok(Some((p, facts, d)))
}

async fn run(
    ctx: &Context<'_>,
    incoming: &Incoming,
    cmd: Command,
    now: DateTime<Utc>,
) -> Result<Vec<Answer>, StoreError> {
    let config = ctx.config;
    let regime = &config.regime;
    let one = |text: String| vec![Answer::reply(incoming, text)];
    let mut conn = ctx.store.read().await?;
    Ok(match cmd {
        Command::Status { report, period } => {
            // The same view as `giaoban status`, at a phone's width.
            drop(conn);
            let mut parts = Vec::new();
            for r in reports(regime, &report) {
                let Some(p) = period_of(config, r, period, now) else {
                    continue;
                };
                let st = crate::jobs::status(config, ctx.store, r, p, now).await?;
                parts.extend(crate::jobs::status_view(config, &st, crate::domain::views::PHONE_WIDTH));
            }
            one(parts.join("\n\n"))
        }
        Command::Late { report } => {
            let mut parts = Vec::new();
            for r in reports(regime, &report) {
                let Some((p, facts, d)) = period_facts(&mut conn, config, r, None, now).await? else {
                    continue;
                };
                let statuses = period_status(regime, r, p, &facts, &d);
                parts.push(reply::late(regime, r, &d, &statuses));
            }
            one(parts.join("\n\n"))
        }
        Command::Overdue { unit } => one(crate::jobs::overdue_view(config, ctx.store, unit.as_deref(), now).await?),
        Command::Summary { report, period } => {
            let mut out = Vec::new();
            for r in reports(regime, &report) {
                let Some(p) = period_of(config, r, period, now) else {
                    continue;
                };
                let bundle = crate::jobs::summary_bundle(config, &mut conn, r, p, now).await?;
                let mut a = Answer::reply(incoming, bundle.text);
                a.files = bundle.files;
                a.report = Some(r.id.clone());
                a.period = Some(p.label());
                out.push(a);
            }
            out
        }
        Command::Units => {
            let units: Vec<&Unit> = regime.units.iter().collect();
            one(reply::units(regime, &units))
        }
        Command::Help => one(reply::help(regime, &COMMANDS, asker(config, incoming.user_id).admin)),
        Command::Mute { target, span, reason } => {
            let local = now.with_timezone(&regime.timezone);
            let until = span.after(&local, &regime.calendar).with_timezone(&Utc);
            drop(conn);
            let mut tx = ctx.store.write().await?;
            updates::add_mute(&mut tx, &target.key(), until, reason.as_deref(), incoming.user_id, now).await?;
            tx.commit().await?;
            let text = reply::mute(regime, &target_name(regime, &target), Some(until), reason.as_deref());
            announce(incoming, NoticeKind::Mute, text)
        }
        Command::Unmute { target } => {
            drop(conn);
            let mut tx = ctx.store.write().await?;
            updates::lift_mutes(&mut tx, &target.key(), now).await?;
            tx.commit().await?;
            let text = reply::mute(regime, &target_name(regime, &target), None, None);
            announce(incoming, NoticeKind::Unmute, text)
        }
        Command::Collect { report } => {
            drop(conn);
            let filter = Filter {
                report,
                ..Filter::default()
            };
            match crate::jobs::collect_pass(config, ctx.store, &filter, now).await {
                Ok(outcomes) => {
                    let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(&o.outcome)).count();
                    one(reply::collected(
                        regime,
                        count(|o| matches!(o, Outcome::NewRevision { .. })),
                        count(|o| matches!(o, Outcome::Unchanged)),
                        count(|o| matches!(o, Outcome::Rejected { .. })),
                        count(|o| matches!(o, Outcome::Failed { .. })),
                    ))
                }
                Err(collect::CollectError::Store(e)) => return Err(e),
                Err(e) => one(crate::config::scrub(&e.to_string()).into_owned()),
            }
        }
        Command::Task { text } => {
            let user = incoming.user_id.unwrap_or_default();
            let added = crate::jobs::briefing::add_task_from_chat(config, ctx.store, &text, user, now).await?;
            one(match added {
                Ok(id) => reply::task_added(regime, &id),
                Err(why) => format!("❌ {}", text::escape_html(&why)),
            })
        }
        Command::Remind { report } => {
            let mut out = Vec::new();
            for r in reports(regime, &report) {
                let Some((p, facts, d)) = period_facts(&mut conn, config, r, None, now).await? else {
                    continue;
                };
                let statuses = period_status(regime, r, p, &facts, &d);
                let owing: Vec<_> = statuses.iter().filter(|s| s.state.is_outstanding()).collect();
                if owing.is_empty() || now >= d.due {
                    continue;
                }
                out.push(Answer {
                    kind: NoticeKind::Reminder,
                    text: render::reminder(regime, r, &d, &owing, statuses.len()),
                    files: Vec::new(),
                    audience: Audience::Group,
                    reply_to: None,
                    report: Some(r.id.clone()),
                    period: Some(p.label()),
                    expires_at: Some(d.due),
                    units: owing.iter().map(|s| s.unit.id.clone()).collect(),
                });
            }
            let count = out.len();
            out.push(Answer::reply(
                incoming,
                if count == 0 {
                    reply::nothing_to_remind(regime)
                } else {
                    reply::reminded(regime, count)
                },
            ));
            out
        }
    })
}

/// A reply to one of the bot's task messages, from an owner unit's officer
/// or an admin: progress on that task.
async fn progress(
    ctx: &Context<'_>,
    incoming: &Incoming,
    text: &str,
    asker: &Asker<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Answer>, StoreError> {
    let Some(replied) = incoming.reply_to_message_id else {
        return Ok(Vec::new());
    };
    let unit = match (asker.admin, asker.units.as_slice()) {
        (true, _) => None,
        (false, [u, ..]) => Some(u.id.as_str()),
        (false, []) => return Ok(Vec::new()),
    };
    let place = (incoming.chat_id, i64::from(replied));
    let recorded =
        crate::jobs::briefing::progress_from_reply_to_message(ctx.config, ctx.store, unit, place, text, now).await?;
    Ok(match recorded {
        Some(p) => vec![Answer::reply(
            incoming,
            reply::progress(&ctx.config.regime, &p.task, &p.status),
        )],
        None => Vec::new(),
    })
}

/// A mute's reply, and the same words to the group when asked elsewhere.
fn announce(incoming: &Incoming, kind: NoticeKind, text: String) -> Vec<Answer> {
    let mut out = vec![Answer::reply(incoming, text.clone())];
    out.push(Answer {
        kind,
        text,
        files: Vec::new(),
        audience: Audience::Group,
        reply_to: None,
        report: None,
        period: None,
        expires_at: None,
        units: Vec::new(),
    });
    out
}

fn target_name(regime: &Regime, target: &Target) -> String {
    match target {
        Target::Unit(id) => regime.unit(id).map_or_else(|| id.clone(), |u| u.name.clone()),
        Target::Report(id) => regime.report(id).map_or_else(|| id.clone(), |r| r.title.clone()),
    }
}

/// The format a file name says.
fn format_of(name: Option<&str>) -> Option<Format> {
    let lower = name?.to_ascii_lowercase();
    if lower.ends_with(".xlsx") {
        Some(Format::Xlsx)
    } else if lower.ends_with(".csv") {
        Some(Format::Csv)
    } else if lower.ends_with(".json") {
        Some(Format::Json)
    } else {
        None
    }
}

/// A document from a chat: stored as the unit's submission when it comes from
/// one of the unit's officers, and answered with the outcome.
async fn file(
    ctx: &Context<'_>,
    incoming: &Incoming,
    doc: &Document,
    asker: &Asker<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Answer>, StoreError> {
    let config = ctx.config;
    let regime = &config.regime;
    let say = |text: String| Ok(vec![Answer::reply(incoming, text)]);
    let caption: Vec<&str> = incoming
        .caption
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .take(8)
        .collect();
    // The unit: the sender's own; one named in the caption when they serve several.
    let unit = match asker.units.as_slice() {
        [] => return say(reply::not_a_unit_user(regime)),
        [only] => *only,
        several => match several.iter().find(|u| caption.contains(&u.id.as_str())) {
            Some(u) => *u,
            None => {
                let names: Vec<String> = several.iter().map(|u| u.id.clone()).collect();
                return say(reply::which_report(regime, &names));
            }
        },
    };
    let Some(format) = format_of(doc.file_name.as_deref()) else {
        return say(file_refused(regime, FileProblem::Format));
    };
    let limit = usize::try_from(config.collection.max_body_bytes).unwrap_or(usize::MAX);
    if doc.size > limit as u64 {
        return say(file_refused(regime, FileProblem::TooLarge(limit)));
    }
    let bytes = match download(ctx.bot, &doc.file_id, limit).await {
        Ok(b) => b,
        Err(problem) => {
            tracing::warn!(unit = %unit.id, "a file sent to the bot could not be downloaded: {problem:?}");
            return say(file_refused(regime, problem));
        }
    };
    let Some((report, period)) = which(config, unit, &caption, &bytes, format, now, ctx.store).await? else {
        return say(reply::which_report(regime, &[]));
    };
    let fetched = Fetched {
        bytes,
        modified: Some(incoming.date),
        location: format!("telegram message {} in chat {}", incoming.message_id, incoming.chat_id),
    };
    // A collection pass reading the same unit right now finishes first (its
    // own read is bounded by the collection timeout).
    let mut tries = 0;
    let outcome = loop {
        let file = collect::HandedIn {
            report,
            period,
            unit: &unit.id,
            fetched: fetched.clone(),
            format,
        };
        let result = collect::record_file(config, ctx.store, file, now).await;
        match result {
            Ok(Outcome::Busy) if tries < 60 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            Ok(o) => break o,
            Err(collect::CollectError::Store(e)) => return Err(e),
            Err(e) => break Outcome::Failed { error: e.to_string() },
        }
    };
    tracing::info!(unit = %unit.id, report = %report.id, %period, outcome = outcome.as_str(), "a file from the chat");
    let mut conn = ctx.store.read().await?;
    let facts = submissions::period_facts(&mut conn, &report.id, &period.label(), now).await?;
    let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);
    let text = received(
        regime,
        report,
        &d,
        unit,
        &outcome,
        facts.iter().find(|f| f.unit == unit.id),
    );
    let mut a = Answer::reply(incoming, text);
    a.report = Some(report.id.clone());
    a.period = Some(period.label());
    Ok(vec![a])
}

/// The report and period a file is for: from the caption, else from the
/// file's own naming rows, else the one open report-period the unit still
/// owes. `None` when it stays ambiguous.
async fn which<'a>(
    config: &'a Config,
    unit: &Unit,
    caption: &[&str],
    bytes: &[u8],
    format: Format,
    now: DateTime<Utc>,
    store: &Store,
) -> Result<Option<(&'a Report, Period)>, StoreError> {
    let regime = &config.regime;
    let mut report = caption.iter().find_map(|w| regime.report(w));
    let mut period = caption.iter().find_map(|w| Period::parse(w).ok());
    if report.is_none()
        && let Some(p) = period
    {
        let matching: Vec<&Report> = regime
            .reports
            .iter()
            .filter(|r| r.timing.period_kind == p.kind)
            .collect();
        if let [only] = matching.as_slice() {
            report = Some(only);
        }
    }
    if report.is_none() || period.is_none() {
        // The file's own rows (report, period), read with a candidate report.
        let candidate = report.or(regime.reports.first());
        if let Some(candidate) = candidate {
            let limits = crate::collect::table::Limits::from(&config.collection);
            if let Ok(sub) = collect::parse(format, bytes, candidate, regime, limits) {
                if report.is_none() {
                    report = sub.report.as_deref().and_then(|r| regime.report(r));
                }
                if period.is_none() {
                    period = sub.period.as_deref().and_then(|p| Period::parse(p).ok());
                }
            }
        }
    }
    if report.is_none() || period.is_none() {
        // The one open report-period the unit still owes.
        let today = now.with_timezone(&regime.timezone).date_naive();
        let mut conn = store.read().await?;
        let mut owed = Vec::new();
        for r in regime.reports.iter().filter(|r| report.is_none_or(|x| x.id == r.id)) {
            for p in active_periods(&r.timing, today, &regime.timezone, &regime.calendar) {
                if period.is_some_and(|x| x != p) {
                    continue;
                }
                let facts = submissions::period_facts(&mut conn, &r.id, &p.label(), now).await?;
                let d = deadlines(&r.timing, p, &regime.timezone, &regime.calendar);
                let owes = period_status(regime, r, p, &facts, &d)
                    .iter()
                    .any(|s| s.unit.id == unit.id && s.state.is_outstanding());
                if owes {
                    owed.push((r, p));
                }
            }
        }
        if let [(r, p)] = owed.as_slice() {
            report = Some(r);
            period = Some(*p);
        }
    }
    Ok(match (report, period) {
        (Some(r), Some(p)) if p.kind == r.timing.period_kind => Some((r, p)),
        _ => None,
    })
}

#[derive(Debug)]
enum FileProblem {
    Format,
    TooLarge(usize),
    Download,
}

fn file_refused(regime: &Regime, problem: FileProblem) -> String {
    let en = regime.language.is_english();
    match problem {
        FileProblem::Format => if en {
            "❌ The file must be XLSX, CSV or JSON (the report template giaoban gives out)."
        } else {
            "❌ Tệp phải có định dạng XLSX, CSV hoặc JSON (theo biểu mẫu báo cáo)."
        }
        .to_string(),
        FileProblem::TooLarge(limit) => {
            let mb = text::decimal(limit as f64 / 1_048_576.0, 1, regime.language);
            if en {
                format!("❌ The file is larger than {mb} MB and was not read. Please send the filled template only.")
            } else {
                format!("❌ Tệp lớn hơn {mb} MB nên không được đọc. Đề nghị chỉ gửi biểu mẫu đã điền.")
            }
        }
        FileProblem::Download => if en {
            "❌ The file could not be downloaded from Telegram. Please send it again."
        } else {
            "❌ Không tải được tệp từ Telegram. Đề nghị gửi lại."
        }
        .to_string(),
    }
}

/// `getFile`, then the download, cut off past `limit` bytes.
async fn download(bot: &teloxide::Bot, file_id: &str, limit: usize) -> Result<Vec<u8>, FileProblem> {
    let file = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        bot.get_file(FileId(file_id.to_string())),
    )
    .await
    .map_err(|_| FileProblem::Download)?
    .map_err(|e| {
        tracing::debug!(
            "getFile: {}",
            crate::notify::telegram::redact(&e.to_string(), bot.token())
        );
        FileProblem::Download
    })?;
    if file.size as usize > limit {
        return Err(FileProblem::TooLarge(limit));
    }
    let mut stream = bot.download_file_stream(&file.path);
    let mut bytes = Vec::new();
    let read = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                tracing::debug!(
                    "download: {}",
                    crate::notify::telegram::redact(&e.to_string(), bot.token())
                );
                FileProblem::Download
            })?;
            if bytes.len() + chunk.len() > limit {
                return Err(FileProblem::TooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(())
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), read)
        .await
        .map_err(|_| FileProblem::Download)??;
    Ok(bytes)
}

/// The answer to a file: accepted as revision N, on time or late, with the
/// first figures; or refused with its faults and what to do.
fn received(
    regime: &Regime,
    report: &Report,
    d: &crate::domain::deadline::Deadlines,
    unit: &Unit,
    outcome: &Outcome,
    facts: Option<&crate::domain::status::UnitFacts>,
) -> String {
    let en = regime.language.is_english();
    let what = format!(
        "{}, {}",
        text::escape_html(&crate::domain::render::report_title(regime, report, d.period)),
        text::escape_html(&unit.name)
    );
    match outcome {
        Outcome::NewRevision { revision, submitted_at } => {
            let late = *submitted_at > d.late_after;
            let when = if late {
                let by = text::elapsed((*submitted_at - d.due).num_seconds(), regime.language);
                if en {
                    format!("late ({by} after the deadline)")
                } else {
                    format!("gửi muộn ({by} sau hạn)")
                }
            } else if en {
                "on time".to_string()
            } else {
                "gửi đúng hạn".to_string()
            };
            let figures: Vec<String> = facts
                .and_then(|f| f.latest())
                .map(|rev| {
                    report
                        .metrics
                        .iter()
                        .filter_map(|m| rev.metrics.get(&m.key).map(|v| (m, v)))
                        .take(4)
                        .map(|(m, v)| format!("• {}: {}", text::escape_html(&m.label), text::int(*v, regime.language)))
                        .collect()
                })
                .unwrap_or_default();
            let figures = if figures.is_empty() {
                String::new()
            } else {
                format!("\n{}", figures.join("\n"))
            };
            if en {
                format!("✅ <b>Received</b>: {what}. Revision {revision}, {when}.{figures}")
            } else {
                format!("✅ <b>Đã nhận báo cáo</b>: {what}. Bản số {revision}, {when}.{figures}")
            }
        }
        Outcome::Unchanged => {
            if en {
                format!("ℹ️ {what}: this file is the same as the one already received; nothing changed.")
            } else {
                format!("ℹ️ {what}: tệp này giống bản đã nhận trước đó, không có gì thay đổi.")
            }
        }
        Outcome::Rejected { error } => {
            if en {
                format!(
                    "❌ <b>Not accepted</b>: {what}.\n{}\nPlease correct the file and send it again; an earlier valid revision, if any, stays in force.",
                    text::escape_html(error)
                )
            } else {
                format!(
                    "❌ <b>Báo cáo không hợp lệ</b>: {what}.\n{}\nĐề nghị sửa tệp và gửi lại; bản hợp lệ trước đó (nếu có) vẫn được giữ.",
                    text::escape_html(error)
                )
            }
        }
        Outcome::Busy => {
            if en {
                format!("⏳ {what} is being collected right now. Please send the file again in a few minutes.")
            } else {
                format!("⏳ Đang thu thập báo cáo {what}. Đề nghị gửi lại tệp sau ít phút.")
            }
        }
        Outcome::Failed { .. } | Outcome::NotFound | Outcome::NoSource => {
            if en {
                format!("❌ {what}: the file could not be read. Please send it again.")
            } else {
                format!("❌ {what}: không đọc được tệp. Đề nghị gửi lại.")
            }
        }
    }
}

/// How long a reply stays worth sending.
pub const REPLY_NEWS_FOR: Duration = Duration::days(1);
