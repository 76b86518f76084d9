//! The TOML file as written, before validation. Every table denies unknown
//! keys so that a typo is an error naming the key, not a silently ignored line.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub timezone: Option<String>,
    pub language: Option<String>,
    pub state_dir: Option<String>,
    #[serde(default)]
    pub storage: RawStorage,
    pub telegram: Option<RawTelegram>,
    #[serde(default)]
    pub working_hours: RawWorkingHours,
    #[serde(default)]
    pub calendar: RawCalendar,
    #[serde(default)]
    pub schedule: RawSchedule,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub collection: RawCollection,
    #[serde(default)]
    pub http: RawHttp,
    pub letterhead: Option<RawLetterhead>,
    #[serde(default)]
    pub units: Vec<RawUnit>,
    #[serde(default)]
    pub reports: Vec<RawReport>,
    #[serde(default)]
    pub case_rules: Vec<RawCaseRule>,
    #[serde(default)]
    pub meetings: Vec<RawMeeting>,
}

/// `[[meetings]]`: a briefing meeting, once (`at` + `period`) or for every
/// period of a kind (`every` + `day` + `time`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeeting {
    pub id: String,
    pub title: String,
    pub at: Option<String>,
    pub period: Option<String>,
    pub every: Option<String>,
    pub day: Option<u32>,
    pub time: Option<String>,
    pub roll_to_working_day: Option<bool>,
    #[serde(default)]
    pub reports: Vec<String>,
    pub chair: Option<String>,
    pub place: Option<String>,
    pub attendees: Option<Vec<String>>,
    pub invite_before: Option<String>,
    pub prepare_before: Option<String>,
    pub tasks: Option<String>,
}

/// A meeting's tasks file (TOML).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTasksFile {
    pub remind_before: Option<String>,
    #[serde(default)]
    pub tasks: Vec<RawTask>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    pub id: String,
    pub title: String,
    pub owners: Option<Vec<String>>,
    pub due: Option<String>,
    pub every: Option<String>,
    pub measure: Option<RawMeasure>,
    pub remind_before: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeasure {
    pub key: String,
    pub target: Option<f64>,
}

/// `[letterhead]`: the heading of the XLSX template units fill in.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLetterhead {
    pub issuer: Option<String>,
    pub heading: Option<Vec<String>>,
    pub place: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStorage {
    pub url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    pub level: Option<String>,
    pub format: Option<String>,
}

/// `[collection]`: how sources are read. Integers, not durations, because
/// the duration syntax of deadlines has no seconds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCollection {
    pub concurrency: Option<u32>,
    pub connect_timeout_secs: Option<u64>,
    pub timeout_secs: Option<u64>,
    pub max_body_bytes: Option<u64>,
    pub retries: Option<u32>,
    pub retry_backoff_ms: Option<u64>,
    pub max_rows: Option<u64>,
    pub max_columns: Option<u64>,
    pub max_inflated_bytes: Option<u64>,
    pub max_depth: Option<u64>,
    pub deadline_collect_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    pub listen: Option<String>,
    pub heartbeat_url: Option<String>,
    pub heartbeat_url_env: Option<String>,
    pub heartbeat_url_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelegram {
    pub token_env: Option<String>,
    pub token_file: Option<String>,
    pub api_url: Option<String>,
    pub chat_id: Option<i64>,
    pub thread_id: Option<i32>,
    pub admin_chat_id: Option<i64>,
    #[serde(default)]
    pub admins: Vec<i64>,
    pub per_chat_per_minute: Option<i64>,
    pub per_second: Option<i64>,
    pub request_timeout: Option<i64>,
    pub refused_retry: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkingHours {
    pub days: Option<Vec<String>>,
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub urgent: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalendar {
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default)]
    pub working_saturdays: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    pub tick: Option<String>,
    pub case_digest: Option<String>,
    pub task_digest: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUnit {
    pub id: String,
    pub name: String,
    pub kind: Option<String>,
    pub parent: Option<String>,
    #[serde(default)]
    pub remote_area: bool,
    #[serde(default)]
    pub contacts: Vec<String>,
    #[serde(default)]
    pub telegram_users: Vec<i64>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    #[serde(default)]
    pub successors: Vec<String>,
    pub source: Option<RawSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub kind: String,
    pub url: Option<String>,
    pub path: Option<String>,
    pub format: Option<String>,
    pub bearer_env: Option<String>,
    pub bearer_file: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, RawHeader>,
}

/// A header value: plain text for what is not secret, or `{ env = "VAR" }` /
/// `{ file = "PATH" }` for an API key.
#[derive(Debug)]
pub enum RawHeader {
    Plain(String),
    Secret(RawHeaderSecret),
}

#[derive(Debug, Default)]
pub struct RawHeaderSecret {
    pub env: Option<String>,
    pub file: Option<String>,
}

const HEADER_SHAPE: &str = "a header value: text, or { env = \"VAR\" } or { file = \"PATH\" }";

// Written by hand so a wrong value gets a message saying what is expected,
// not serde's "did not match any variant".
impl<'de> Deserialize<'de> for RawHeader {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Shape;
        impl<'de> serde::de::Visitor<'de> for Shape {
            type Value = RawHeader;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(HEADER_SHAPE)
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawHeader, E> {
                Ok(RawHeader::Plain(v.to_string()))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawHeader, A::Error> {
                let mut secret = RawHeaderSecret::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "env" => secret.env = Some(map.next_value()?),
                        "file" => secret.file = Some(map.next_value()?),
                        other => {
                            return Err(serde::de::Error::custom(format!(
                                "unknown key `{other}` in {HEADER_SHAPE}"
                            )));
                        }
                    }
                }
                Ok(RawHeader::Secret(secret))
            }
        }
        d.deserialize_any(Shape)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    pub id: String,
    pub title: String,
    pub period: String,
    pub cutoff_day: Option<u32>,
    pub due: RawDue,
    pub roll_to_working_day: Option<bool>,
    pub grace: Option<String>,
    #[serde(default)]
    pub remind_before: Vec<String>,
    pub repeat_late_every: Option<String>,
    pub repeat_late_max: Option<u32>,
    pub collect: Option<String>,
    pub summary: Option<String>,
    pub summary_when_complete: Option<bool>,
    pub units: Option<Vec<String>>,
    #[serde(default)]
    pub metrics: Vec<RawMetric>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
    #[serde(default)]
    pub indicators: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDue {
    pub day: Option<u32>,
    pub after_end: Option<String>,
    pub time: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMetric {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub required: Option<bool>,
    pub unit_label: Option<String>,
    pub better: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub check: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIndicator {
    pub key: String,
    pub label: String,
    pub formula: String,
    pub format: Option<String>,
    pub better: Option<String>,
    pub target: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCaseRule {
    pub kind: String,
    pub label: String,
    pub accept_within: Option<String>,
    pub resolve_within: Option<String>,
    pub resolve_within_complex: Option<String>,
    pub resolve_within_remote: Option<String>,
    pub resolve_within_remote_complex: Option<String>,
    pub extension: Option<String>,
    pub max_extensions: Option<u32>,
    pub count: Option<String>,
    pub due_soon: Option<String>,
    pub effective_from: Option<String>,
}
