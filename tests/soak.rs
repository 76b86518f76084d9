//! Crash safety, measured: the real daemon against fake district servers
//! whose files change over time and the fake Bot API (messages to send,
//! updates to poll), SIGKILLed at random points and restarted, then left to
//! settle. Every valid version a source served to a daemon that lived long
//! enough to store it is stored exactly once (and none twice); every planned
//! message is sent or expired by rule; duplicates are at most one per kill.
//!
//! The suite runs 20 kills; `scripts/soak` runs as many as
//! `GIAOBAN_SOAK_KILLS` says (RELIABILITY.md's figures come from 200).
//! `GIAOBAN_SOAK_SEED` replays a run's kill points.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sqlx::Row;
use support::Office;
use support::daemon::Daemon;
use support::district::{District, Reply};
use support::telegram::{FakeTelegram, message};

const TOKEN: &str = "123456:SOAK-TOKEN-xyz";
const TOKEN_ENV: &str = "GIAOBAN_TEST_TOKEN";
const GROUP: i64 = -100777;
const ADMIN: i64 = 111;
const UNITS: [&str; 3] = ["an-phu", "binh-minh", "cai-be"];
/// A version served this long before a kill (or with no kill after it) was
/// the daemon's to store: a collection pass reads, judges and commits well
/// within it.
const OWED_AFTER: Duration = Duration::from_millis(2500);

fn config(district: &District, fake: &FakeTelegram) -> String {
    let base = district.url();
    let units: String = UNITS
        .iter()
        .map(|u| {
            format!(
                "[[units]]\nid = \"{u}\"\nname = \"Đơn vị <{u}> & co\"\n[units.source]\nkind = \"http\"\nurl = \"{base}/{{unit}}/{{report}}/{{period}}.json\"\n\n"
            )
        })
        .collect();
    format!(
        r#"timezone = "Asia/Ho_Chi_Minh"
language = "vi"

[storage]
url = "sqlite://state/giaoban.db"

[working_hours]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
from = "00:00"
to = "23:59"

[schedule]
tick = "* * * * * *"

{units}
[[reports]]
id = "m"
title = "Báo cáo tháng"
period = "month"
due = {{ day = 28, time = "17:00" }}
grace = "1wd"
collect = "* * * * * *"

[[reports.metrics]]
key = "cases_accepted"
label = "Số vụ án thụ lý"

[[reports.metrics]]
key = "cases_resolved"
label = "Số vụ án đã giải quyết"

[collection]
timeout_secs = 1
connect_timeout_secs = 1
retries = 1
retry_backoff_ms = 50

[telegram]
token_env = "{TOKEN_ENV}"
api_url = "{}"
chat_id = {GROUP}
admins = [{ADMIN}]
request_timeout = 2
per_chat_per_minute = 1000
per_second = 100
"#,
        fake.url
    )
}

/// A small xorshift generator: the kill points, replayable from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn hash(body: &[u8]) -> String {
    Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect()
}

/// What the daemon was doing when it was killed, from its last log lines.
fn phase(log: &[String]) -> &'static str {
    for line in log.iter().rev().take(3) {
        let l = line.to_lowercase();
        if l.contains("collect") {
            return "collection";
        }
        if l.contains("update") || l.contains("poll") || l.contains("bot") {
            return "bot polling";
        }
        if l.contains("sent") || l.contains("deliver") || l.contains("send") || l.contains("outbox") {
            return "delivery";
        }
        if l.contains("tick") || l.contains("queued") || l.contains("plan") {
            return "tick";
        }
    }
    "start-up"
}

struct Soak {
    office: Office,
    district: District,
    fake: FakeTelegram,
    period: String,
    /// Per unit: the version it serves now.
    version: HashMap<&'static str, u32>,
    /// Hashes of the valid bodies ever put up.
    valid: HashSet<String>,
    messages: usize,
    updates: i64,
}

impl Soak {
    fn path(&self, unit: &str) -> String {
        format!("/{unit}/m/{}.json", self.period)
    }

    /// Puts up the next version of `unit`'s file: one in five is not JSON.
    fn change(&mut self, unit: &'static str) {
        let v = self.version.entry(unit).or_insert(0);
        *v += 1;
        let v = *v;
        let body = if v.is_multiple_of(5) {
            format!("{{\"unit\": \"{unit}\", broken version {v}")
        } else {
            let at = (chrono::Utc::now() - chrono::Duration::seconds(60)).to_rfc3339();
            format!(
                r#"{{"unit": "{unit}", "report": "m", "period": "{}", "submitted_at": "{at}",
                    "metrics": {{"cases_accepted": {}, "cases_resolved": {v}}}}}"#,
                self.period,
                100 + v
            )
        };
        if !v.is_multiple_of(5) {
            self.valid.insert(hash(body.as_bytes()));
        }
        self.district.serve(&self.path(unit), vec![Reply::body(body)]);
    }

    /// Plans one more plain message for the group.
    fn queue_message(&mut self) {
        let now = ts(chrono::Utc::now());
        self.office.sql(&format!(
            "INSERT INTO outbox (key, kind, text, planned_at, not_before) VALUES ('soak:{0}', 'admin', 'Tin thử số {0:04}', '{now}', '{now}')",
            self.messages
        ));
        self.messages += 1;
    }

    /// An admin asks the bot for help in the group.
    fn push_update(&mut self) {
        self.updates += 1;
        self.fake.push_update(message(
            self.updates,
            GROUP,
            ADMIN,
            if self.updates % 2 == 0 { "/help" } else { "/status" },
        ));
    }

    fn start(&self) -> Daemon {
        Daemon::start(&self.office, &[(TOKEN_ENV, TOKEN), ("RUST_LOG", "info,giaoban=debug")])
    }

    fn count(&self, sql: &str) -> i64 {
        self.office.sql(sql)[0].get::<i64, _>(0)
    }
}

#[test]
fn killing_the_daemon_at_random_points_loses_nothing_and_repeats_at_most_one_message_per_kill() {
    let kills: usize = std::env::var("GIAOBAN_SOAK_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("GIAOBAN_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
                | 1
        });
    eprintln!("soak: {kills} kills, GIAOBAN_SOAK_SEED={seed}");
    let mut rng = Rng(seed);
    let district = District::start();
    let fake = FakeTelegram::start();
    let office = Office::new(&config(&district, &fake));
    let period = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%Y-%m")
        .to_string();
    let mut soak = Soak {
        office,
        district,
        fake,
        period,
        version: HashMap::new(),
        valid: HashSet::new(),
        messages: 0,
        updates: 0,
    };
    for unit in UNITS {
        soak.change(unit);
    }
    // Creates the database (and plans what is due now).
    let out = soak.office.run_with(
        &["tick", "--at", &chrono::Utc::now().to_rfc3339()],
        &[(TOKEN_ENV, TOKEN)],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let started = Instant::now();
    let mut kill_times: Vec<Instant> = Vec::new();
    let mut phases: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut peak_kib = 0u64;
    for _ in 0..kills {
        let mut daemon = soak.start();
        let life = Duration::from_millis(150 + rng.below(1800));
        let born = Instant::now();
        // Work arrives while it runs: a changed file, a message, an update.
        let unit = UNITS[rng.below(UNITS.len() as u64) as usize];
        if rng.below(2) == 0 {
            soak.change(unit);
        }
        if rng.below(3) != 0 {
            soak.queue_message();
        }
        if rng.below(2) == 0 {
            soak.push_update();
        }
        while born.elapsed() < life {
            std::thread::sleep(Duration::from_millis(20));
        }
        peak_kib = peak_kib.max(daemon.peak_rss_kib().unwrap_or(0));
        *phases.entry(phase(daemon.drain())).or_default() += 1;
        daemon.signal("KILL");
        let status = daemon.wait_exit();
        assert!(!status.success(), "the daemon was killed, not stopped");
        kill_times.push(Instant::now());
    }
    let killing = started.elapsed();

    // The calm after: one daemon that lives until everything is settled.
    let mut daemon = soak.start();
    daemon.wait_log("giaoban is running");
    let owed = |served: &[(Instant, String, Vec<u8>)]| -> HashSet<String> {
        served
            .iter()
            .filter(|(t, _, body)| {
                soak.valid.contains(&hash(body))
                    && !kill_times.iter().any(|k| *k >= *t && k.duration_since(*t) < OWED_AFTER)
            })
            .map(|(_, _, body)| hash(body))
            .collect()
    };
    let settle = Instant::now() + Duration::from_secs(30);
    loop {
        let pending = soak.count("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'failed')");
        let unhandled = soak.count("SELECT COUNT(*) FROM telegram_updates WHERE state = 'pending'");
        let polled = soak.count("SELECT COUNT(*) FROM telegram_updates");
        let stored: i64 = UNITS
            .iter()
            .map(|u| {
                let last = soak
                    .district
                    .served()
                    .into_iter()
                    .rev()
                    .find(|(_, p, _)| *p == soak.path(u));
                match last {
                    Some((_, _, body)) if soak.valid.contains(&hash(&body)) => soak.count(&format!(
                        "SELECT COUNT(*) FROM submissions WHERE content_hash = '{}'",
                        hash(&body)
                    )),
                    _ => 1,
                }
            })
            .min()
            .unwrap_or(0);
        if pending == 0 && unhandled == 0 && polled == soak.updates && stored >= 1 {
            break;
        }
        assert!(
            Instant::now() < settle,
            "not settled 30 s after the last kill: {pending} messages pending, {unhandled} of {polled} updates unhandled ({} pushed), last versions stored: {stored}",
            soak.updates
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    peak_kib = peak_kib.max(daemon.peak_rss_kib().unwrap_or(0));
    assert!(daemon.stop().success(), "the calm daemon stops cleanly");

    // Versions: each owed one stored exactly once, none stored twice.
    let served = soak.district.served();
    let owed = owed(&served);
    let distinct: HashSet<String> = served
        .iter()
        .map(|(_, _, b)| hash(b))
        .filter(|h| soak.valid.contains(h))
        .collect();
    let mut stored_counts: HashMap<String, i64> = HashMap::new();
    for row in soak
        .office
        .sql("SELECT content_hash, COUNT(*) FROM submissions WHERE accepted GROUP BY content_hash")
    {
        stored_counts.insert(row.get::<String, _>(0), row.get::<i64, _>(1));
    }
    let twice: Vec<&String> = stored_counts.iter().filter(|(_, n)| **n > 1).map(|(h, _)| h).collect();
    let lost: Vec<&String> = owed.iter().filter(|h| !stored_counts.contains_key(*h)).collect();
    let rejected = soak.count("SELECT COUNT(DISTINCT content_hash) FROM submissions WHERE NOT accepted");

    // Messages: nothing left pending; each sent row reached the group, at
    // most one extra copy per kill.
    let rows = soak.office.sql("SELECT state, text, expires_at FROM outbox");
    let mut states: BTreeMap<String, usize> = BTreeMap::new();
    let mut sent_texts: HashMap<String, usize> = HashMap::new();
    let now = ts(chrono::Utc::now());
    for r in &rows {
        let state: String = r.get(0);
        *states.entry(state.clone()).or_default() += 1;
        match state.as_str() {
            "sent" => *sent_texts.entry(r.get::<String, _>(1)).or_default() += 1,
            "expired" => {
                let expires: Option<String> = r.get(2);
                assert!(
                    expires.as_deref().is_some_and(|e| e <= now.as_str()),
                    "a row expired before its time: {expires:?}"
                );
            }
            "dropped" => {}
            other => panic!("a message left {other}"),
        }
    }
    let mut received: HashMap<String, usize> = HashMap::new();
    for m in soak.fake.messages() {
        *received.entry(m.text.unwrap_or_default()).or_default() += 1;
    }
    let mut duplicates = 0;
    let mut undelivered = Vec::new();
    for (text, rows) in &sent_texts {
        let got = received.get(text).copied().unwrap_or(0);
        if got < *rows {
            undelivered.push(text.clone());
        }
        duplicates += got.saturating_sub(*rows);
    }

    eprintln!(
        "soak: {kills} kills in {:.1} s ({}), seed {seed}",
        killing.as_secs_f64(),
        phases
            .iter()
            .map(|(p, n)| format!("{p} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    eprintln!(
        "soak: versions: {} valid served, {} owed, {} stored, {} lost, {} stored twice; {} broken files rejected",
        distinct.len(),
        owed.len(),
        stored_counts.len(),
        lost.len(),
        twice.len(),
        rejected
    );
    eprintln!(
        "soak: messages: {} rows ({}), {} sendMessage requests, {} duplicates, {} undelivered; {} updates polled; peak RSS {} KiB",
        rows.len(),
        states
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        soak.fake.messages().len(),
        duplicates,
        undelivered.len(),
        soak.updates,
        peak_kib
    );
    assert!(lost.is_empty(), "{} owed versions never stored", lost.len());
    assert!(twice.is_empty(), "{} versions stored twice", twice.len());
    assert!(
        undelivered.is_empty(),
        "sent rows that never reached the group: {undelivered:?}"
    );
    assert!(duplicates <= kills, "{duplicates} duplicates after {kills} kills");
    assert!(soak.messages > 0 && states.get("sent").copied().unwrap_or(0) >= soak.messages);
    let final_valid = UNITS.iter().filter(|u| !soak.version[*u].is_multiple_of(5)).count();
    assert!(owed.len() >= final_valid, "the final versions are owed");
}
