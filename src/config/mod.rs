//! The TOML config: its model, validation with file/line/key in every error,
//! and the secrets it names (never inline, never logged).

mod locate;
mod raw;
mod secret;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

use crate::domain::regime::Regime;

pub use locate::KeyPath;
pub use secret::{Secret, SecretError, SecretRef, scrub};

/// A validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The file's folder: relative source paths are read from here.
    pub base_dir: PathBuf,
    /// Where the SQLite database lives (`state_dir`, else `$STATE_DIRECTORY`,
    /// else the config file's folder).
    pub state_dir: PathBuf,
    pub regime: Regime,
    pub storage: Storage,
    pub telegram: Option<Telegram>,
    pub tick: CronSpec,
    pub case_digest: Option<CronSpec>,
    /// When the digest of overdue key tasks goes out (`[schedule] task_digest`).
    pub task_digest: Option<CronSpec>,
    /// Briefing meetings (`[[meetings]]`).
    pub meetings: Vec<crate::domain::briefing::Meeting>,
    /// The key tasks of every meeting's tasks file, in file order.
    pub tasks: Vec<crate::domain::briefing::Task>,
    /// Per report: its collection and summary schedules.
    pub report_jobs: Vec<ReportJobs>,
    /// Per unit id: where its submissions come from.
    pub sources: BTreeMap<String, Source>,
    pub collection: Collection,
    pub log: LogSettings,
    pub http: HttpSettings,
    pub letterhead: Letterhead,
}

/// `[letterhead]`: how the XLSX template a unit fills in is headed, as an
/// office's documents are (Nghị định 30/2020/NĐ-CP; Hướng dẫn 36-HD/VPTW for
/// party bodies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    /// Top left, above the unit's name: the body the units report to
    /// (`BAN NỘI CHÍNH TỈNH ỦY TÂY NINH`); none = the unit's name alone.
    pub issuer: Option<String>,
    /// Top right, one entry per line: the national heading (the default) or
    /// the party's (`ĐẢNG CỘNG SẢN VIỆT NAM`).
    pub heading: Vec<String>,
    /// The place of the date line (`Tây Ninh, ngày … tháng … năm …`).
    pub place: Option<String>,
}

impl Default for Letterhead {
    fn default() -> Self {
        Letterhead {
            issuer: None,
            heading: vec![
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".to_string(),
                "Độc lập - Tự do - Hạnh phúc".to_string(),
            ],
            place: None,
        }
    }
}

/// How sources are read (`[collection]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Collection {
    /// Units read at once in a pass.
    pub concurrency: usize,
    pub connect_timeout: std::time::Duration,
    /// Whole request, body included, per attempt.
    pub timeout: std::time::Duration,
    /// Largest file accepted; a larger download is aborted.
    pub max_body_bytes: u64,
    /// Extra attempts after a timeout, a connection error or a 5xx.
    pub retries: u32,
    /// Wait before the first retry; doubled for each next one.
    pub retry_backoff: std::time::Duration,
    /// Most rows a sheet, a CSV file or a JSON list may have.
    pub max_rows: u32,
    /// Most columns a sheet or a CSV row may have.
    pub max_columns: u32,
    /// Most bytes an XLSX workbook may inflate to (all its zip members together).
    pub max_inflated_bytes: u64,
    /// Most nesting a JSON file may have.
    pub max_depth: u32,
    /// How long the collection a tick runs after a deadline may hold the tick.
    pub deadline_collect: std::time::Duration,
}

impl Default for Collection {
    fn default() -> Self {
        Collection {
            concurrency: 16,
            connect_timeout: std::time::Duration::from_secs(10),
            timeout: std::time::Duration::from_secs(60),
            max_body_bytes: 10 * 1024 * 1024,
            retries: 3,
            retry_backoff: std::time::Duration::from_millis(500),
            max_rows: 10_000,
            max_columns: 200,
            max_inflated_bytes: 50 * 1024 * 1024,
            max_depth: 16,
            deadline_collect: std::time::Duration::from_secs(30),
        }
    }
}

/// `[storage] url`: where the data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum Storage {
    /// `sqlite://FILE`, relative to the state directory.
    Sqlite { path: PathBuf },
    /// `postgres://USER@HOST[:PORT]/DATABASE[?…]`. A password in the URL is
    /// remembered as a secret (scrubbed, never shown); `PGPASSWORD` and
    /// `~/.pgpass` work too.
    Postgres { url: String },
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Storage::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            Storage::Postgres { url } => f
                .debug_struct("Postgres")
                .field("url", &crate::store::redact_url(url))
                .finish(),
        }
    }
}

/// `%XX` escapes of a URL part, decoded (as a lossy UTF-8 string).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Storage {
    /// Parses a storage URL as the config and `migrate-data` take it; a
    /// relative SQLite path is taken from `dir`.
    pub fn parse(url: &str, dir: &std::path::Path) -> Result<Storage, String> {
        if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let file = rest.split('?').next().unwrap_or(rest);
            if file.is_empty() || file == ":memory:" {
                return Err(
                    "SQLite needs a file path (sqlite://giaoban.db): an in-memory database loses everything at exit"
                        .into(),
                );
            }
            let p = PathBuf::from(file);
            return Ok(Storage::Sqlite {
                path: if p.is_absolute() { p } else { dir.join(p) },
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let parsed = url::Url::parse(url)
                .map_err(|e| format!("'{}' is not a PostgreSQL URL: {e}", crate::store::redact_url(url)))?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err("a PostgreSQL URL names its server: postgres://USER@HOST:PORT/DATABASE".into());
            }
            if parsed.path().trim_start_matches('/').is_empty() {
                return Err("a PostgreSQL URL names its database: postgres://USER@HOST:PORT/DATABASE".into());
            }
            if let Some(pw) = parsed.password() {
                secret::remember(pw);
                secret::remember(&percent_decode(pw));
            }
            return Ok(Storage::Postgres { url: url.to_string() });
        }
        let shown = if url.contains('@') {
            "(a URL)".to_string()
        } else {
            format!("'{url}'")
        };
        Err(format!(
            "{shown} is not a storage URL (expected sqlite://FILE or postgres://USER@HOST/DATABASE)"
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Telegram {
    pub token: SecretRef,
    pub api_url: String,
    pub chat_id: i64,
    pub thread_id: Option<i32>,
    /// Where notices for the admins go (a refused config, a chat migration):
    /// a private chat or an admins' group; the group itself when unset.
    pub admin_chat_id: Option<i64>,
    pub admins: Vec<i64>,
    /// Messages to one chat in any 60 seconds (Telegram allows about 20 to a group).
    pub per_chat_per_minute: u32,
    /// Messages to all chats in any second (Telegram allows about 30).
    pub per_second: u32,
    /// How long one request to the Bot API may take.
    pub request_timeout: std::time::Duration,
    /// How often a chat that refused the bot (kicked, not found, …) is tried again.
    pub refused_retry: chrono::Duration,
}

#[derive(Debug, Clone)]
pub struct ReportJobs {
    pub report: String,
    pub collect: Option<CronSpec>,
    pub summary: Option<CronSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

#[derive(Debug, Clone)]
pub enum SourceLocation {
    /// A URL template with `{unit}`, `{report}`, `{period}`.
    Http { url: String },
    /// A path template (absolute, or relative to the config file's folder).
    File { path: String },
}

#[derive(Debug, Clone)]
pub struct Source {
    pub location: SourceLocation,
    pub format: Format,
    pub bearer: Option<SecretRef>,
    /// Extra request headers (HTTP sources).
    pub headers: BTreeMap<String, HeaderValue>,
}

/// A header value from the config: plain, or a secret read at each use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Plain(String),
    Secret(SecretRef),
}

/// The operations listener and the heartbeat (`[http]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpSettings {
    /// Where `/healthz` and `/metrics` are served; `None` (the default) = no listener.
    pub listen: Option<std::net::SocketAddr>,
    /// A URL fetched after every good tick, so an outside monitor notices when
    /// giaoban stops.
    pub heartbeat: Option<Heartbeat>,
}

/// The heartbeat URL: written in the config, or (when it carries a secret,
/// as monitoring services' ping URLs do) read from the environment or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heartbeat {
    Url(String),
    Secret(SecretRef),
}

impl Heartbeat {
    /// The URL to fetch; never log it.
    pub fn url(&self, base_dir: &Path) -> Result<Secret, SecretError> {
        match self {
            Heartbeat::Url(u) => Ok(Secret::new(u.clone())),
            Heartbeat::Secret(r) => r.read(base_dir),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSettings {
    pub level: Option<String>,
    pub json: bool,
}

/// A cron expression (6 fields, seconds first; day-of-month and day-of-week are
/// ANDed), parsed exactly as the scheduler parses it.
#[derive(Clone)]
pub struct CronSpec {
    pub expr: String,
    cron: Cron,
}

impl std::fmt::Debug for CronSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CronSpec({:?})", self.expr)
    }
}

/// A parse error that names the field at fault when one is out of range
/// (`hour 25 is out of range 0–23`).
fn cron_error(expr: &str, detail: &str) -> String {
    const FIELDS: [(&str, u32, u32); 6] = [
        ("second", 0, 59),
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day of month", 1, 31),
        ("month", 1, 12),
        ("day of week", 0, 7),
    ];
    for (i, field) in expr.split_whitespace().enumerate().take(FIELDS.len()) {
        let (name, lo, hi) = FIELDS[i];
        let numbers = field
            .split([',', '-', '/'])
            .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        for (j, n) in numbers.enumerate() {
            // The step of `*/90` is not a value of the field.
            let is_step = field.split('/').nth(1).is_some_and(|step| step == n) && j > 0;
            if let Ok(v) = n.parse::<u32>()
                && !is_step
                && !(lo..=hi).contains(&v)
            {
                return format!(
                    "'{expr}': {name} {v} is out of range {lo}–{hi} (field {} of 6: sec min hour day-of-month month day-of-week)",
                    i + 1
                );
            }
        }
    }
    format!("'{expr}' is not a valid cron expression: {detail}")
}

impl CronSpec {
    pub fn parse(expr: &str) -> Result<CronSpec, String> {
        let fields = expr.split_whitespace().count();
        if fields == 5 {
            return Err(format!(
                "'{expr}' has 5 fields; giaoban's cron has 6, seconds first (e.g. '0 {expr}')"
            ));
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(expr)
            .map_err(|e| cron_error(expr, &e.to_string()))?;
        // `0 0 8 31 2 *` (31 February) parses but never fires: a schedule
        // that silently never runs is worse than a refused config.
        let from = chrono::DateTime::<chrono::Utc>::from_timestamp(946_684_800, 0).unwrap_or_default();
        if cron.iter_after(from).next().is_none() {
            return Err(format!(
                "'{expr}' never fires (no date has that day in that month); check the day-of-month and month fields"
            ));
        }
        Ok(CronSpec {
            expr: expr.to_string(),
            cron,
        })
    }

    /// The next `n` firing times strictly after `after`, in `tz`.
    pub fn next_times<Tz: TimeZone + Copy>(&self, after: &DateTime<Tz>, n: usize) -> Vec<DateTime<Tz>> {
        self.cron.iter_after(after.clone()).take(n).collect()
    }

    /// The latest firing time at or before `t`.
    pub fn last_at_or_before<Tz: TimeZone>(&self, t: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        self.cron.find_previous_occurrence(t, true).ok()
    }

    /// Firing times in `(from, to]`, at most `limit` of them.
    pub fn times_between<Tz: TimeZone + Copy>(
        &self,
        from: &DateTime<Tz>,
        to: &DateTime<Tz>,
        limit: usize,
    ) -> Vec<DateTime<Tz>> {
        self.cron
            .iter_after(from.clone())
            .take_while(|t| t <= to)
            .take(limit)
            .collect()
    }
}

/// One problem in the config, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub key: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}", render_problems(path, problems))]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let mut out = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let key = if p.key.is_empty() {
            String::new()
        } else {
            format!(" key `{}`:", p.key)
        };
        out.push_str(&format!(
            "{}:{}:{}:{key} {}",
            path.display(),
            p.line,
            p.column,
            p.message
        ));
    }
    out
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let config = Config::from_text(path, &text, std::env::var_os("STATE_DIRECTORY").map(PathBuf::from))?;
        config.remember_secrets();
        Ok(config)
    }

    /// Reads every secret the config names (the bot token, bearer tokens,
    /// secret headers, the heartbeat URL), so [`scrub`] knows them before
    /// anything is collected; one that cannot be read is skipped here and
    /// reported where it is used.
    pub fn remember_secrets(&self) {
        if matches!(self.storage, Storage::Postgres { .. })
            && let Ok(p) = std::env::var("PGPASSWORD")
        {
            secret::remember(&p);
        }
        let mut refs: Vec<&SecretRef> = Vec::new();
        if let Some(t) = &self.telegram {
            refs.push(&t.token);
        }
        if let Some(Heartbeat::Secret(r)) = &self.http.heartbeat {
            refs.push(r);
        }
        for source in self.sources.values() {
            refs.extend(source.bearer.iter());
            refs.extend(source.headers.values().filter_map(|h| match h {
                HeaderValue::Secret(r) => Some(r),
                HeaderValue::Plain(_) => None,
            }));
        }
        for r in refs {
            let _ = r.read(&self.base_dir);
        }
    }

    /// Validates `text` as if read from `path`. `state_directory` is systemd's
    /// `$STATE_DIRECTORY`, passed in so tests need not touch the environment.
    pub fn from_text(path: &Path, text: &str, state_directory: Option<PathBuf>) -> Result<Config, ConfigError> {
        let invalid = |problems| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        };
        let raw: raw::RawConfig = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                let (line, column) = locate::line_col(text, offset);
                let key = locate::path_at(text, offset).to_string();
                return Err(invalid(vec![Problem {
                    line,
                    column,
                    key,
                    message: e.message().trim().to_string(),
                }]));
            }
        };
        let base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        validate::validate(raw, base_dir, state_directory, path.to_path_buf()).map_err(|issues| {
            invalid(
                issues
                    .into_iter()
                    .map(|(key, message)| {
                        let offset = locate::offset_of(text, &key).unwrap_or(0);
                        let (line, column) = locate::line_col(text, offset);
                        Problem {
                            line,
                            column,
                            key: key.to_string(),
                            message,
                        }
                    })
                    .collect(),
            )
        })
    }

    pub fn report_jobs(&self, report: &str) -> Option<&ReportJobs> {
        self.report_jobs.iter().find(|j| j.report == report)
    }

    /// The instant now in the configured timezone (for display).
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<chrono_tz::Tz> {
        t.with_timezone(&self.regime.timezone)
    }
}

#[cfg(test)]
mod cron_tests {
    use super::CronSpec;

    #[test]
    fn a_cron_that_never_fires_is_refused() {
        let err = CronSpec::parse("0 0 8 31 2 *").expect_err("31 February");
        assert!(err.contains("never fires"), "{err}");
        assert!(
            CronSpec::parse("0 0 8 29 2 *").is_ok(),
            "29 February comes in leap years"
        );
    }

    #[test]
    fn an_out_of_range_field_is_named() {
        let err = CronSpec::parse("0 0 25 * * *").expect_err("hour 25");
        assert!(err.contains("hour 25 is out of range 0–23"), "{err}");
        let err = CronSpec::parse("0 61 8 * * *").expect_err("minute 61");
        assert!(err.contains("minute 61"), "{err}");
        let err = CronSpec::parse("0 0 8 1 13 *").expect_err("month 13");
        assert!(err.contains("month 13"), "{err}");
        assert!(
            CronSpec::parse("0 */30 8-17 * * Mon-Fri").is_ok(),
            "a step is not a value"
        );
    }
}
