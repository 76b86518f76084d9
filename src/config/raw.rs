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
    pub http: RawHttp,
    #[serde(default)]
    pub units: Vec<RawUnit>,
    #[serde(default)]
    pub reports: Vec<RawReport>,
    #[serde(default)]
    pub case_rules: Vec<RawCaseRule>,
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
    #[serde(default)]
    pub admins: Vec<i64>,
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
    pub headers: BTreeMap<String, String>,
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
