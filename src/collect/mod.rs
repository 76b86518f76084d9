//! Collection: fetch each unit's file from its source, parse it, validate it
//! and store it. Nothing is lost: an accepted file becomes a new revision, a
//! bad one is recorded with its error and never replaces an earlier revision,
//! and identical content adds nothing.

pub mod csv;
pub mod file;
pub mod http;
pub mod json;
pub mod table;
pub mod xlsx;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};

use crate::config::{Config, Format, Source, SourceLocation};
use crate::domain::deadline::{active_periods, deadlines};
use crate::domain::period::Period;
use crate::domain::regime::{Regime, Report};
use crate::domain::submission::{self, Submission};
use crate::store::cases;
use crate::store::submissions::{self as subs, NewSubmission};
use crate::store::{Store, StoreError};

/// Bytes read from a source, with the time the source says they changed.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub modified: Option<DateTime<Utc>>,
    /// Path or URL, without credentials.
    pub location: String,
}

/// What one unit's collection came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new accepted revision.
    NewRevision { revision: i64, submitted_at: DateTime<Utc> },
    /// Same bytes as the last file seen: nothing stored.
    Unchanged,
    /// Nothing published yet.
    NotFound,
    /// The file was read but refused; the error is stored.
    Rejected { error: String },
    /// The source could not be read (kept for the operator; retried next pass).
    Failed { error: String },
    /// The unit has no source configured.
    NoSource,
    /// Another pass of this process is still fetching this unit: skipped.
    Busy,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::NewRevision { .. } => "new_revision",
            Outcome::Unchanged => "unchanged",
            Outcome::NotFound => "not_found",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Failed { .. } => "error",
            Outcome::NoSource => "no_source",
            Outcome::Busy => "busy",
        }
    }

    pub fn detail(&self) -> Option<String> {
        match self {
            Outcome::NewRevision { revision, .. } => Some(format!("revision {revision}")),
            Outcome::Rejected { error } | Outcome::Failed { error } => Some(error.clone()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct UnitOutcome {
    pub report: String,
    pub period: Period,
    pub unit: String,
    pub outcome: Outcome,
    /// The HTTP status the source answered, for HTTP sources.
    pub http_status: Option<u16>,
}

/// Which report-periods and units a pass covers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub report: Option<String>,
    pub period: Option<Period>,
    pub unit: Option<String>,
    /// Read and judge every file again, even one already seen (`collect --force`).
    pub force: bool,
}

/// The units some pass of this process is fetching now, by database, report,
/// period and unit: a pass skips a unit still being fetched by another
/// (`busy`) instead of waiting for it or skipping the whole pass.
static IN_FLIGHT: std::sync::Mutex<std::collections::BTreeSet<(String, String, String, String)>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// A unit claimed in [`IN_FLIGHT`]; released when dropped (a cancelled pass too).
struct Claim((String, String, String, String));

impl Claim {
    fn take(store: &Store, report: &str, period: Period, unit: &str) -> Option<Claim> {
        let key = (
            store.place().to_string(),
            report.to_string(),
            period.label(),
            unit.to_string(),
        );
        let claimed = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone());
        // Built only once claimed (and after the lock is released): dropping
        // a claim releases its key.
        if claimed { Some(Claim(key)) } else { None }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut set = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
        set.remove(&self.0);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("no report '{0}' in the config")]
    UnknownReport(String),
    #[error("no unit '{0}' in the config")]
    UnknownUnit(String),
    #[error("{0}")]
    BadPeriod(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The report-periods a pass at `now` covers: the given period, else the
/// periods open for collection (see [`active_periods`]).
pub fn targets<'a>(
    config: &'a Config,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Vec<(&'a Report, Period)>, CollectError> {
    let regime = &config.regime;
    if let Some(u) = &filter.unit
        && regime.unit(u).is_none()
    {
        return Err(CollectError::UnknownUnit(u.clone()));
    }
    let reports: Vec<&Report> = match &filter.report {
        Some(r) => vec![regime.report(r).ok_or_else(|| CollectError::UnknownReport(r.clone()))?],
        None => regime.reports.iter().collect(),
    };
    let today = now.with_timezone(&regime.timezone).date_naive();
    let mut out = Vec::new();
    for report in reports {
        match filter.period {
            Some(p) if p.kind == report.timing.period_kind => out.push((report, p)),
            Some(p) if filter.report.is_some() => {
                return Err(CollectError::BadPeriod(format!(
                    "period {p} is not a {} period of report '{}'",
                    report.timing.period_kind.as_str(),
                    report.id
                )));
            }
            Some(_) => {}
            None => {
                for p in active_periods(&report.timing, today, &regime.timezone, &regime.calendar) {
                    out.push((report, p));
                }
            }
        }
    }
    Ok(out)
}

/// One collection pass at `now` over the filter's report-periods and units,
/// reading up to `[collection] concurrency` units at once; outcomes come back
/// in config order.
pub async fn collect<'a>(
    config: &'a Config,
    store: &Store,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Vec<UnitOutcome>, CollectError> {
    // A semaphore bounds the fetching; the units waiting for the writer hold
    // no permit, so the writer's batches fill while the next units are read.
    let permits = tokio::sync::Semaphore::new(config.collection.concurrency.max(1));
    let permits = &permits;
    let mut work = Vec::new();
    for (report, period) in targets(config, filter, now)? {
        for unit in config.regime.expected_units(report, period) {
            if filter.unit.as_ref().is_none_or(|u| *u == unit.id) {
                work.push((report, period, unit.id.as_str()));
            }
        }
    }
    // Once per report, not per unit: it formats the whole regime.
    let fingerprints: std::collections::BTreeMap<&str, String> = work
        .iter()
        .map(|(report, _, _)| (report.id.as_str(), *report))
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .map(|(id, report)| (id, fingerprint(config, report)))
        .collect();
    let fingerprints = &fingerprints;
    let marks_by = &crate::domain::case::marks_fingerprint(&config.regime);
    let remote_units: std::collections::HashSet<&str> = config
        .regime
        .units
        .iter()
        .filter(|u| u.remote_area)
        .map(|u| u.id.as_str())
        .collect();
    let remote_units = &remote_units;
    // What is stored of each report-period, read once for the pass (a few
    // statements, not two per unit): the last file of every unit, the
    // validators kept and the last collection results.
    let mut known: BTreeMap<(&str, Period), Known> = BTreeMap::new();
    for (report, period, _) in &work {
        if let std::collections::btree_map::Entry::Vacant(slot) = known.entry((report.id.as_str(), *period)) {
            slot.insert(Known::read(store, &report.id, &period.label()).await?);
        }
    }
    let known = &known;
    // Shared with the parsing threads, copied once per pass.
    let regime = std::sync::Arc::new(config.regime.clone());
    let regime = &regime;
    // One writer for the whole pass: every unit's store goes through it and
    // it commits them in batches, so the passes never fight over SQLite's
    // write lock (one transaction per file did, and slept in its busy handler).
    let (sender, queue) = tokio::sync::mpsc::channel::<WriteJob<'_>>(WRITE_BATCH);
    let writer = write_loop(store, queue);
    let passes = async move {
        let sender = &sender;
        let unit_pass = move |(report, period, unit): (&'a Report, Period, &'a str)| async move {
            let judged_by = fingerprints.get(report.id.as_str()).map_or("", String::as_str);
            let stored = known.get(&(report.id.as_str(), period));
            let permit = permits.acquire().await.ok();
            let claim = Claim::take(store, &report.id, period, unit);
            let (outcome, http_status) = match (config.sources.get(unit), &claim) {
                (None, _) => (Outcome::NoSource, None),
                (Some(_), None) => (Outcome::Busy, None),
                (Some(source), Some(_)) => {
                    let pass = Pass {
                        regime: Some(regime.clone()),
                        judged_by,
                        marks_by,
                        remote: remote_units.contains(unit),
                        force: filter.force,
                        now,
                    };
                    let stored = stored.map(|k| k.of(unit)).unwrap_or_default();
                    collect_one(config, sender, report, period, unit, source, stored, &pass, permit).await?
                }
            };
            drop(claim);
            let outcome = match outcome {
                Outcome::Failed { error } => Outcome::Failed {
                    error: crate::config::scrub(&error).into_owned(),
                },
                other => other,
            };
            let result = subs::CollectResult {
                unit: unit.to_string(),
                at: now,
                outcome: outcome.as_str().to_string(),
                detail: outcome.detail(),
                http_status,
            };
            // Written only when it differs from the stored one: a pass
            // where nothing changed writes nothing, and `last_collect`
            // keeps the time this outcome was first met.
            let same = stored.and_then(|k| k.results.get(unit)).is_some_and(|r| {
                r.outcome == result.outcome && r.detail == result.detail && r.http_status == http_status
            });
            if !matches!(outcome, Outcome::NoSource | Outcome::Busy) && !same {
                let job = WriteJob::Result {
                    report: &report.id,
                    period: period.label(),
                    result,
                };
                sender.send(job).await.map_err(|_| writer_gone())?;
            }
            Ok::<_, CollectError>(UnitOutcome {
                report: report.id.clone(),
                period,
                unit: unit.to_string(),
                outcome,
                http_status,
            })
        };
        // A bounded set of units in flight, not a future for every unit of
        // the office held at once: enough for a write batch being committed
        // and the next one being read and parsed meanwhile (with one batch,
        // the parsing stopped while the writer worked).
        let in_flight = config.collection.concurrency.max(1) + 2 * WRITE_BATCH;
        let mut outcomes: Vec<Option<Result<UnitOutcome, CollectError>>> = (0..work.len()).map(|_| None).collect();
        let mut waiting = work.into_iter().enumerate();
        let mut running = futures_util::stream::FuturesUnordered::new();
        let indexed = |(i, w)| {
            let f = unit_pass(w);
            async move { (i, f.await) }
        };
        for next in waiting.by_ref().take(in_flight) {
            running.push(indexed(next));
        }
        while let Some((i, outcome)) = futures_util::StreamExt::next(&mut running).await {
            outcomes[i] = Some(outcome);
            if let Some(next) = waiting.next() {
                running.push(indexed(next));
            }
        }
        outcomes.into_iter().flatten().collect::<Vec<_>>()
    };
    let (outcomes, written) = tokio::join!(passes, writer);
    // The writer's own error first: a pass whose write it dropped only knows
    // that the writer went away.
    written?;
    outcomes.into_iter().collect()
}

/// How many writes one transaction of a pass's writer commits at most.
const WRITE_BATCH: usize = 512;

/// JSON files up to this size are parsed on the pass's own task.
const INLINE_PARSE_BYTES: usize = 64 * 1024;

/// A write a collection pass hands to its writer.
enum WriteJob<'a> {
    /// A file judged, to store; the outcome is answered once committed.
    File {
        prepared: Box<Prepared<'a>>,
        reply: tokio::sync::oneshot::Sender<Outcome>,
    },
    /// What a unit's collection came to, for `status`.
    Result {
        report: &'a str,
        period: String,
        result: subs::CollectResult,
    },
}

fn writer_gone() -> CollectError {
    CollectError::Store(StoreError::Corrupt("the collection's writer stopped".into()))
}

/// The pass's one writer: takes the writes queued so far (at most
/// [`WRITE_BATCH`]) and commits them in one transaction, with many-row
/// statements, until every pass is done. Outcomes are answered only after
/// the commit. Collection results wait for no one: while no file is waiting
/// for its commit they gather until a batch is full or the pass ends (a pass
/// of unchanged files whose outcome moved from `new_revision` to
/// `unchanged` commits tens of transactions, not one per few units).
async fn write_loop(store: &Store, mut queue: tokio::sync::mpsc::Receiver<WriteJob<'_>>) -> Result<(), CollectError> {
    let mut files = Vec::new();
    let mut replies = Vec::new();
    let mut results: BTreeMap<(&str, String), Vec<subs::CollectResult>> = BTreeMap::new();
    let mut queued = 0;
    let mut open = true;
    while open {
        // Wait for the next write; then take what is queued behind it.
        match queue.recv().await {
            Some(job) => {
                let mut next = Some(job);
                while let Some(job) = next.take() {
                    match job {
                        WriteJob::File { prepared, reply } => {
                            files.push(prepared);
                            replies.push(reply);
                        }
                        WriteJob::Result { report, period, result } => {
                            results.entry((report, period)).or_default().push(result);
                        }
                    }
                    queued += 1;
                    if queued < WRITE_BATCH {
                        next = queue.try_recv().ok();
                    }
                }
            }
            None => open = false,
        }
        if queued == 0 || (open && files.is_empty() && queued < WRITE_BATCH) {
            continue;
        }
        let mut tx = store.write().await?;
        let prepared: Vec<&Prepared<'_>> = files.iter().map(|p| &**p).collect();
        let outcomes = apply(&mut tx, &prepared).await?;
        for ((report, period), rows) in &results {
            let rows: Vec<&subs::CollectResult> = rows.iter().collect();
            subs::set_collect_results(&mut tx, report, period, &rows).await?;
        }
        tx.commit().await?;
        for (reply, outcome) in replies.drain(..).zip(outcomes) {
            // A pass that stopped waiting has nothing left to tell.
            let _ = reply.send(outcome);
        }
        files.clear();
        results.clear();
        queued = 0;
    }
    Ok(())
}

/// What is stored of one report-period when a pass starts.
#[derive(Default)]
struct Known {
    seen: HashMap<String, subs::LastSeen>,
    validators: HashMap<String, (String, subs::Validators)>,
    results: HashMap<String, subs::CollectResult>,
}

/// What is stored of one unit: its last file, the validators kept (with the
/// hash of the URL that sent them).
#[derive(Default)]
struct Stored {
    before: Option<subs::LastSeen>,
    validators: Option<(String, subs::Validators)>,
}

impl Known {
    /// Three reads side by side, each on a connection of its own when the
    /// pool gives them (else one after the other): they come before any unit
    /// is fetched, and in turn they were a sixth of a pass over 10,000
    /// unchanged units.
    async fn read(store: &Store, report: &str, period: &str) -> Result<Known, StoreError> {
        let mut conns = store.reads(3).await?;
        let (seen, validators, results) = if let [a, b, c] = &mut conns[..] {
            tokio::try_join!(
                subs::last_seen_by_unit(a, report, period, None),
                subs::source_validators_by_unit(b, report, period),
                subs::collect_results(c, report, period),
            )?
        } else {
            let a = &mut conns[0];
            (
                subs::last_seen_by_unit(a, report, period, None).await?,
                subs::source_validators_by_unit(a, report, period).await?,
                subs::collect_results(a, report, period).await?,
            )
        };
        Ok(Known {
            seen,
            validators,
            results: results.into_iter().map(|r| (r.unit.clone(), r)).collect(),
        })
    }

    fn of(&self, unit: &str) -> Stored {
        Stored {
            before: self.seen.get(unit).cloned(),
            validators: self.validators.get(unit).cloned(),
        }
    }
}

/// Parses a file in `format` for `report`, within `limits`.
pub fn parse(
    format: Format,
    bytes: &[u8],
    report: &Report,
    regime: &Regime,
    limits: table::Limits,
) -> Result<Submission, String> {
    let ctx = table::Context { report, regime, limits };
    match format {
        Format::Json => json::parse(bytes, &regime.timezone, regime.language, limits),
        Format::Csv => csv::parse(bytes, ctx),
        Format::Xlsx => xlsx::parse(bytes, ctx),
    }
}

/// Fills `{unit}`, `{report}`, `{period}` in a source template.
pub fn fill_template(template: &str, unit: &str, report: &str, period: Period) -> String {
    template
        .replace("{unit}", unit)
        .replace("{report}", report)
        .replace("{period}", &period.label())
}

/// What a file is judged by, as a hash: the report (metrics, aliases,
/// rules), the case rules, the units, the language and the parsing limits.
/// A file rejected under another fingerprint is judged again.
pub fn fingerprint(config: &Config, report: &Report) -> String {
    let regime = &config.regime;
    let judged_by = format!(
        "{report:?}|{:?}|{:?}|{:?}|{:?}",
        regime.case_rules,
        regime.units,
        regime.language,
        table::Limits::from(&config.collection)
    );
    hex(&Sha256::digest(judged_by.as_bytes()))
}

/// What one unit's collection needs to know of its pass.
struct Pass<'a> {
    /// The regime shared with the parsing threads (none: copied when needed).
    regime: Option<std::sync::Arc<Regime>>,
    /// The report's [`fingerprint`].
    judged_by: &'a str,
    /// The rules the cases' marks are computed under
    /// ([`crate::domain::case::marks_fingerprint`]).
    marks_by: &'a str,
    /// Whether the unit is in a remote area (its cases' limits).
    remote: bool,
    force: bool,
    now: DateTime<Utc>,
}

#[allow(clippy::too_many_arguments)]
async fn collect_one<'a>(
    config: &'a Config,
    writer: &tokio::sync::mpsc::Sender<WriteJob<'a>>,
    report: &'a Report,
    period: Period,
    unit: &'a str,
    source: &Source,
    stored: Stored,
    pass: &Pass<'a>,
    fetching: Option<tokio::sync::SemaphorePermit<'_>>,
) -> Result<(Outcome, Option<u16>), CollectError> {
    let (force, fingerprint) = (pass.force, pass.judged_by);
    let limit = config.collection.max_body_bytes;
    // Seen before and judged under this config (an accepted file stays in force).
    let settled = |last: &subs::LastSeen| last.accepted || last.fingerprint.as_deref() == Some(fingerprint);
    let Stored { before, validators } = stored;
    // A conditional request only when a "not modified" would settle the unit.
    let conditional = !force && before.as_ref().is_none_or(settled);
    // For an HTTP source: the URL's hash and the validators to keep once the
    // file is stored.
    let mut cache: Option<(String, subs::Validators)> = None;
    let mut http_status = None;
    let fetched = match &source.location {
        SourceLocation::File { path } => {
            let filled = PathBuf::from(fill_template(path, unit, &report.id, period));
            let (full, root) = if filled.is_absolute() {
                (filled, file::root_of(Path::new(path)))
            } else {
                (
                    config.base_dir.join(filled),
                    config.base_dir.join(file::root_of(Path::new(path))),
                )
            };
            match file::fetch(&full, &root, limit, config.collection.timeout).await {
                Ok(Some(f)) => f,
                Ok(None) => return Ok((Outcome::NotFound, None)),
                Err(e) => return Ok((Outcome::Failed { error: e.to_string() }, None)),
            }
        }
        SourceLocation::Http { url } => {
            let filled = fill_template(url, unit, &report.id, period);
            let url_hash = hex(&Sha256::digest(filled.as_bytes()));
            // Kept for this URL only: another URL's validators mean nothing here.
            let validators = validators
                .as_ref()
                .filter(|(hash, _)| *hash == url_hash)
                .map(|(_, v)| v);
            let request = http::Request {
                url: &filled,
                source,
                base_dir: &config.base_dir,
                validators: validators.filter(|_| conditional),
            };
            match http::fetch(&config.collection, &request).await {
                Ok(http::Answer::NotModified) => return Ok((Outcome::Unchanged, Some(304))),
                Ok(http::Answer::NotFound { status }) => return Ok((Outcome::NotFound, Some(status))),
                Ok(http::Answer::Body {
                    fetched,
                    validators,
                    status,
                }) => {
                    http_status = Some(status);
                    cache = Some((url_hash, validators));
                    fetched
                }
                Err(e) => return Ok((Outcome::Failed { error: e.to_string() }, e.http_status())),
            }
        }
    };
    let read = Read {
        fetched,
        format: source.format,
        trust_declared: true,
        before,
        cache,
    };
    let mut prepared = judge(config, report, period, unit, read, pass).await;
    // The same validators as kept: nothing to keep either.
    if prepared.cache.is_some() && prepared.cache == validators {
        prepared.cache = None;
    }
    if prepared.judged.is_none() && prepared.cache.is_none() {
        // The file already seen, nothing to keep: no write at all.
        return Ok((Outcome::Unchanged, http_status));
    }
    // Read and judged: the next unit may fetch while this one waits to be stored.
    drop(fetching);
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job = WriteJob::File {
        prepared: Box::new(prepared),
        reply,
    };
    writer.send(job).await.map_err(|_| writer_gone())?;
    let outcome = answer.await.map_err(|_| writer_gone())?;
    Ok((outcome, http_status))
}

/// A file and what is known of the unit's last one.
struct Read {
    fetched: Fetched,
    format: Format,
    /// Whether a `submitted_at` declared in the file may set the submission
    /// time (a file sent to the bot counts from the message's date).
    trust_declared: bool,
    before: Option<subs::LastSeen>,
    /// For an HTTP source: the URL's hash and the validators to keep.
    cache: Option<(String, subs::Validators)>,
}

/// A file a unit handed in outside a collection pass (sent to the bot).
#[derive(Debug, Clone)]
pub struct HandedIn<'a> {
    pub report: &'a Report,
    pub period: Period,
    pub unit: &'a str,
    pub fetched: Fetched,
    pub format: Format,
}

/// A file a unit sent to the bot (`kind = "telegram"`, or in chat beside
/// another source): judged and stored exactly as a collected one, with the
/// message's date (`fetched.modified`) as its submission time. `busy` when a
/// collection pass of this process is reading the same unit right now.
pub async fn record_file(
    config: &Config,
    store: &Store,
    file: HandedIn<'_>,
    now: DateTime<Utc>,
) -> Result<Outcome, CollectError> {
    let HandedIn {
        report,
        period,
        unit,
        fetched,
        format,
    } = file;
    let judged_by = fingerprint(config, report);
    let Some(claim) = Claim::take(store, &report.id, period, unit) else {
        return Ok(Outcome::Busy);
    };
    let mut conn = store.read().await?;
    let before = subs::last_seen(&mut conn, &report.id, &period.label(), unit).await?;
    drop(conn);
    let read = Read {
        fetched,
        format,
        trust_declared: false,
        before,
        cache: None,
    };
    let pass = Pass {
        // Copied only if the file is parsed off the runtime (a workbook).
        regime: None,
        judged_by: &judged_by,
        marks_by: &crate::domain::case::marks_fingerprint(&config.regime),
        remote: config.regime.unit(unit).is_some_and(|u| u.remote_area),
        force: false,
        now,
    };
    let prepared = judge(config, report, period, unit, read, &pass).await;
    let outcome = store_now(store, &prepared).await?;
    drop(claim);
    let mut conn = store.read().await?;
    let result = subs::CollectResult {
        unit: unit.to_string(),
        at: now,
        outcome: outcome.as_str().to_string(),
        detail: outcome.detail(),
        http_status: None,
    };
    subs::set_collect_result(&mut conn, &report.id, &period.label(), &result).await?;
    Ok(outcome)
}

/// A file read for a unit, parsed and validated, ready to store.
struct Prepared<'a> {
    report: &'a Report,
    period: String,
    unit: &'a str,
    hash: String,
    force: bool,
    fingerprint: &'a str,
    /// What the cases' marks were computed under.
    marks_by: &'a str,
    /// For an HTTP source: the URL's hash and the validators to keep.
    cache: Option<(String, subs::Validators)>,
    now: DateTime<Utc>,
    /// None: the file already seen (and settled) before it was parsed.
    judged: Option<Judged>,
}

/// An accepted file's figures, cases and task reports.
type Accepted = (
    std::collections::BTreeMap<String, i64>,
    Vec<submission::CaseRecord>,
    Vec<submission::TaskReport>,
    Vec<crate::domain::case::Marks>,
);

/// What judging a new file came to.
struct Judged {
    submitted_at: DateTime<Utc>,
    source: String,
    format: &'static str,
    verdict: Result<Accepted, String>,
}

/// Parses and validates a file read for a unit (nothing stored yet): nothing
/// to judge when it is the file already seen.
async fn judge<'a>(
    config: &Config,
    report: &'a Report,
    period: Period,
    unit: &'a str,
    read: Read,
    pass: &Pass<'a>,
) -> Prepared<'a> {
    let (force, now, fingerprint, marks_by) = (pass.force, pass.now, pass.judged_by, pass.marks_by);
    let period_label = period.label();
    let Read {
        fetched,
        format,
        trust_declared,
        before,
        cache,
    } = read;
    let hash = hex(&Sha256::digest(&fetched.bytes));
    let mut prepared = Prepared {
        report,
        period: period_label,
        unit,
        hash,
        force,
        fingerprint,
        marks_by,
        cache,
        now,
        judged: None,
    };
    if prepared.unchanged(&before) {
        return prepared;
    }

    let limits = table::Limits::from(&config.collection);
    let bytes = fetched.bytes;
    let parsed = if format == Format::Json && bytes.len() <= INLINE_PARSE_BYTES {
        // A small JSON file parses in microseconds: a hop to a blocking
        // thread would cost more than the parse.
        parse(format, &bytes, report, &config.regime, limits)
    } else {
        // Off the async runtime: a big workbook takes CPU time, not a worker.
        // The report is found again in the shared regime, not cloned: a
        // report lists every unit it expects, and a copy per unit was quadratic.
        let owned_regime = pass
            .regime
            .clone()
            .unwrap_or_else(|| std::sync::Arc::new(config.regime.clone()));
        let report_id = report.id.clone();
        tokio::task::spawn_blocking(move || match owned_regime.report(&report_id) {
            Some(report) => parse(format, &bytes, report, &owned_regime, limits),
            None => Err(format!("no report '{report_id}' in the config")),
        })
        .await
        .unwrap_or_else(|e| Err(format!("the file could not be parsed ({e})")))
    };
    let declared = parsed
        .as_ref()
        .ok()
        .and_then(|s| s.submitted_at)
        .map(|t| t.with_timezone(&Utc))
        .filter(|_| trust_declared);
    let submitted_at = submission_time(&config.regime, report, period, declared, fetched.modified, now);
    let lang = config.regime.language;
    let verdict = parsed.and_then(|sub| {
        submission::validate(report, unit, period, &sub, &config.regime.case_rules)
            .map(|metrics| {
                let marks = sub
                    .cases
                    .iter()
                    .map(|c| crate::domain::case::Marks::of_record(&config.regime, pass.remote, unit, c))
                    .collect();
                (metrics, sub.cases, sub.tasks, marks)
            })
            .map_err(|faults| submission::describe(&faults, lang))
    });
    let verdict = verdict.map_err(|e| crate::config::scrub(&e).into_owned());
    prepared.judged = Some(Judged {
        submitted_at,
        source: fetched.location,
        format: format.as_str(),
        verdict,
    });
    prepared
}

impl Prepared<'_> {
    /// Seen before and judged under this config (an accepted file stays in force).
    fn settled(&self, last: &subs::LastSeen) -> bool {
        last.accepted || last.fingerprint.as_deref() == Some(self.fingerprint)
    }

    fn unchanged(&self, last: &Option<subs::LastSeen>) -> bool {
        !self.force
            && last
                .as_ref()
                .is_some_and(|l| l.content_hash == self.hash && self.settled(l))
    }
}

/// Stores one prepared file in a write transaction of its own (a file
/// handed in outside a collection pass).
async fn store_now(store: &Store, prepared: &Prepared<'_>) -> Result<Outcome, CollectError> {
    if prepared.judged.is_none() && prepared.cache.is_none() {
        return Ok(Outcome::Unchanged);
    }
    let mut tx = store.write().await?;
    let outcome = apply(&mut tx, &[prepared]).await?.pop().unwrap_or(Outcome::Unchanged);
    tx.commit().await?;
    Ok(outcome)
}

/// Stores prepared files (each of a different unit) inside the caller's
/// write transaction: for each a new revision, a rejection kept with its
/// error, or nothing when it is the file already seen; outcomes in the
/// order of `files`. The last file seen is read again under the write lock,
/// so two processes reading the same new file at once store it once. A few
/// statements per report-period, not several per file.
async fn apply(tx: &mut crate::store::Conn, files: &[&Prepared<'_>]) -> Result<Vec<Outcome>, StoreError> {
    let mut outcomes = vec![Outcome::Unchanged; files.len()];
    let mut groups: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, p) in files.iter().enumerate() {
        groups
            .entry((p.report.id.as_str(), p.period.as_str()))
            .or_default()
            .push(i);
    }
    // The cases of every accepted file, recorded together once the
    // submissions are stored (by the rules their marks were computed under).
    let mut reported: BTreeMap<&str, Vec<cases::Reported<'_>>> = BTreeMap::new();
    for ((report_id, period), members) in groups {
        let judged: Vec<&str> = members
            .iter()
            .filter(|&&i| files[i].judged.is_some())
            .map(|&i| files[i].unit)
            .collect();
        let last = if judged.is_empty() {
            HashMap::new()
        } else {
            subs::last_seen_by_unit(tx, report_id, period, Some(&judged)).await?
        };
        let mut accepted = Vec::new();
        for &i in &members {
            let p = files[i];
            let Some(judged) = &p.judged else { continue };
            let last = last.get(p.unit).cloned();
            // Unchanged meanwhile, or (forced or re-judged) the same file
            // accepted again: no new revision.
            let same_accepted =
                judged.verdict.is_ok() && last.as_ref().is_some_and(|l| l.content_hash == p.hash && l.accepted);
            if p.unchanged(&last) || same_accepted {
                continue;
            }
            match &judged.verdict {
                Ok((metrics, ..)) => accepted.push((i, p.new_submission(judged), metrics)),
                Err(error) => {
                    subs::insert_rejected(tx, &p.new_submission(judged), error).await?;
                    outcomes[i] = Outcome::Rejected { error: error.clone() };
                }
            }
        }
        let rows: Vec<_> = accepted.iter().map(|(_, new, metrics)| (new, *metrics)).collect();
        let revisions = subs::insert_accepted_many(tx, &rows).await?;
        for (i, new, _) in &accepted {
            let p = files[*i];
            let Some(Judged {
                verdict: Ok((_, reported_cases, task_reports, marks)),
                submitted_at,
                ..
            }) = &p.judged
            else {
                continue;
            };
            let revision = *revisions
                .get(p.unit)
                .ok_or_else(|| StoreError::Corrupt(format!("no revision stored for unit '{}'", p.unit)))?;
            reported.entry(p.marks_by).or_default().push(cases::Reported {
                unit: p.unit,
                report: report_id,
                period,
                submitted_at: *submitted_at,
                cases: reported_cases,
                marks,
            });
            let progress: Vec<crate::domain::briefing::Progress> = task_reports
                .iter()
                .map(|t| crate::domain::briefing::Progress {
                    task: t.id.clone(),
                    unit: Some(p.unit.to_string()),
                    status: t.status,
                    note: t.note.clone(),
                    at: *submitted_at,
                })
                .collect();
            let source = crate::store::briefing::ProgressSource::Submission {
                report: report_id,
                period,
            };
            crate::store::briefing::record_progress(tx, &progress, source).await?;
            outcomes[*i] = Outcome::NewRevision {
                revision,
                submitted_at: new.submitted_at,
            };
        }
        let kept: Vec<subs::KeptValidators<'_>> = members
            .iter()
            .filter_map(|&i| {
                files[i]
                    .cache
                    .as_ref()
                    .map(|(url_hash, validators)| subs::KeptValidators {
                        unit: files[i].unit,
                        url_hash,
                        validators,
                    })
            })
            .collect();
        if let Some(&first) = members.first() {
            subs::set_source_validators_many(tx, report_id, period, &kept, files[first].now).await?;
        }
    }
    for (marks_by, reported) in &reported {
        cases::record(tx, reported, marks_by).await?;
    }
    Ok(outcomes)
}

impl<'a> Prepared<'a> {
    fn new_submission<'b>(&'b self, judged: &'b Judged) -> NewSubmission<'b> {
        NewSubmission {
            report: &self.report.id,
            period: &self.period,
            unit: self.unit,
            content_hash: &self.hash,
            submitted_at: judged.submitted_at,
            collected_at: self.now,
            source: &judged.source,
            format: judged.format,
            fingerprint: self.fingerprint,
        }
    }
}

/// The time a submission counts as sent: the first declared time — the one
/// in the file, else the source's modification time (Last-Modified, file
/// mtime) — that is not in the future and not before the period's data window
/// opens; else now.
pub fn submission_time(
    regime: &Regime,
    report: &Report,
    period: Period,
    declared: Option<DateTime<Utc>>,
    modified: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let d = deadlines(&report.timing, period, &regime.timezone, &regime.calendar);
    let opens = regime
        .timezone
        .from_local_datetime(&d.window.0.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc));
    [declared, modified]
        .into_iter()
        .flatten()
        .find(|t| *t <= now && *t >= opens)
        .unwrap_or(now)
}

fn hex(bytes: &[u8]) -> String {
    // Twice per unit and pass: no string per byte.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use crate::config::Config;
    use crate::domain::regime::{Regime, Report};

    /// A small config: one 9-month report with two metrics and a rule, one
    /// case kind.
    pub(crate) const OFFICE: &str = r#"
[[units]]
id = "an-phu"
name = "Huyện An Phú"

[[reports]]
id = "9m"
title = "Báo cáo giao ban 9 tháng"
period = "nine_months"
cutoff_day = 14
due = { day = 18, time = "17:00" }

[[reports.metrics]]
key = "cases_accepted"
label = "Số vụ án thụ lý"
aliases = ["Thụ lý"]

[[reports.metrics]]
key = "cases_resolved"
label = "Số vụ án đã giải quyết"

[[reports.metrics]]
key = "party_members_inspected"
label = "Số đảng viên được kiểm tra"
required = false

[[reports.rules]]
check = "cases_resolved <= cases_accepted"
message = "Số vụ giải quyết lớn hơn số vụ thụ lý"

[[case_rules]]
kind = "khieu_nai_lan_1"
label = "Khiếu nại lần đầu"
accept_within = "10d"
resolve_within = "30d"
"#;

    #[tokio::test]
    async fn a_unit_being_fetched_is_busy_for_another_pass_until_released() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::store::Store::open(&dir.path().join("claims.db"))
            .await
            .expect("store");
        let period = crate::domain::period::Period::parse("2024-9M").expect("period");
        let first = super::Claim::take(&store, "9m", period, "an-phu").expect("free");
        assert!(super::Claim::take(&store, "9m", period, "an-phu").is_none(), "busy");
        // A refused claim releases nothing.
        assert!(
            super::Claim::take(&store, "9m", period, "an-phu").is_none(),
            "still busy"
        );
        assert!(
            super::Claim::take(&store, "9m", period, "binh-minh").is_some(),
            "other units run"
        );
        drop(first);
        assert!(
            super::Claim::take(&store, "9m", period, "an-phu").is_some(),
            "free again"
        );
    }

    pub(crate) fn office() -> (Regime, Report) {
        let config = Config::from_text(Path::new("test.toml"), OFFICE, None).expect("valid test config");
        let report = config.regime.reports[0].clone();
        (config.regime, report)
    }
}
