//! Complaint cases through the real binary: stored from submissions with
//! their history, states at any instant, the digest, and privacy.

mod support;

use support::{OFFICE, Office};

fn submit_with_cases(office: &Office, unit: &str, submitted_at: &str, cases: &str) {
    office.submit(
        unit,
        &format!(
            r#"{{"unit": "{unit}", "report": "9m", "period": "2024-9M", "submitted_at": "{submitted_at}",
                "metrics": {{"cases_accepted": 10, "cases_resolved": 5}}, "cases": [{cases}]}}"#
        ),
    );
}

fn cases(office: &Office, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["cases"];
    all.extend_from_slice(args);
    office.json(&all)["cases"].as_array().expect("cases list").clone()
}

const TWO_CASES: &str = r#"
    {"ref": "KN-2024-031", "kind": "khieu_nai_lan_1", "received_on": "2024-07-02", "accepted_on": "2024-07-10",
     "complex": false, "extensions": 0, "status": "open", "resolved_on": null,
     "complainant": "Nguyễn Văn Bình", "phone": "0912 345 678"},
    {"ref": "TC-2024-007", "kind": "to_cao", "received_on": "2024-08-01", "accepted_on": "2024-08-09",
     "extensions": 1, "status": "open", "denouncer_name": "Trần Thị Cúc"}"#;

#[test]
fn cases_from_a_submission_have_legal_deadlines_and_states() {
    let office = Office::new(OFFICE);
    submit_with_cases(&office, "an-phu", "2024-09-16T10:00:00+07:00", TWO_CASES);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let list = cases(&office, &["--at", "2024-09-19T09:00:00+07:00"]);
    assert_eq!(list.len(), 2);
    // KN: accepted 10/07, 30 days → 09/08/2024; 41 days overdue on 19/09.
    assert_eq!(list[0]["ref"], "KN-2024-031");
    assert_eq!(list[0]["unit"], "an-phu");
    assert_eq!(list[0]["kind"], "khieu_nai_lan_1");
    assert_eq!(list[0]["state"], "overdue");
    assert_eq!(list[0]["due"], "2024-08-09");
    assert_eq!(list[0]["days_overdue"], 41);
    // TC: accepted 09/08, 30 days → 08/09 (Sunday) → 09/09, one extension of 30 → 09/10/2024.
    assert_eq!(list[1]["ref"], "TC-2024-007");
    assert_eq!(list[1]["state"], "in_time");
    assert_eq!(list[1]["due"], "2024-10-09");
    assert_eq!(list[1]["days_overdue"], 0);
    let overdue = cases(&office, &["--overdue", "--at", "2024-09-19T09:00:00+07:00"]);
    assert_eq!(overdue.len(), 1);
    assert!(cases(&office, &["--unit", "binh-minh", "--at", "2024-09-19T09:00:00+07:00"]).is_empty());
    // Before the file was sent, giaoban knew of no case.
    assert!(cases(&office, &["--at", "2024-09-15T09:00:00+07:00"]).is_empty());
    // status counts open and overdue cases per unit.
    let status = office.json(&[
        "status",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--at",
        "2024-09-19T09:00:00+07:00",
    ]);
    assert_eq!(status["units"][0]["cases_open"], 2);
    assert_eq!(status["units"][0]["cases_overdue"], 1);
}

#[test]
fn a_listing_puts_the_most_overdue_first_then_units_and_references_in_order() {
    // Cases reported out of order, several with the same limit: the listing
    // orders them by days overdue, then limit, unit and reference (byte
    // order: "KN-1" < "KN-10" < "KN-9"), whatever order they were stored in.
    let office = Office::new(OFFICE);
    let case = |r: &str, received: &str| {
        format!(
            r#"{{"ref": "{r}", "kind": "khieu_nai_lan_1", "received_on": "{received}", "accepted_on": "{received}"}}"#
        )
    };
    let same_day = |refs: &[&str]| refs.iter().map(|r| case(r, "2024-07-01")).collect::<Vec<_>>().join(",");
    let binh_minh = format!("{},{}", same_day(&["KN-2", "KN-0"]), case("KN-Z", "2024-06-03"));
    submit_with_cases(&office, "binh-minh", "2024-09-16T10:00:00+07:00", &binh_minh);
    submit_with_cases(
        &office,
        "an-phu",
        "2024-09-16T11:00:00+07:00",
        &same_day(&["KN-9", "KN-10", "KN-1"]),
    );
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let expected = [
        ("binh-minh", "KN-Z"),
        ("an-phu", "KN-1"),
        ("an-phu", "KN-10"),
        ("an-phu", "KN-9"),
        ("binh-minh", "KN-0"),
        ("binh-minh", "KN-2"),
    ];
    let order = |list: Vec<serde_json::Value>| -> Vec<(String, String)> {
        list.iter()
            .map(|c| {
                (
                    c["unit"].as_str().expect("unit").to_string(),
                    c["ref"].as_str().expect("ref").to_string(),
                )
            })
            .collect()
    };
    let expected: Vec<(String, String)> = expected.iter().map(|(u, r)| (u.to_string(), r.to_string())).collect();
    for args in [vec!["--overdue"], vec![]] {
        let mut all = args.clone();
        all.extend_from_slice(&["--at", "2024-09-19T09:00:00+07:00"]);
        assert_eq!(order(cases(&office, &all)), expected, "cases {args:?}");
    }
    // The same after a tick has counted the day from the stored limits.
    office.ok(&["tick", "--at", "2024-09-19T08:00:00+07:00"]);
    assert_eq!(
        order(cases(&office, &["--overdue", "--at", "2024-09-19T09:00:00+07:00"])),
        expected
    );
}

#[test]
fn a_complainants_name_never_reaches_the_database() {
    let office = Office::new(OFFICE);
    submit_with_cases(&office, "an-phu", "2024-09-16T10:00:00+07:00", TWO_CASES);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    office.ok(&["tick", "--at", "2024-09-19T08:00:00+07:00"]);
    let text = office.stored_text();
    assert!(text.contains("KN-2024-031"), "the case itself is stored");
    for secret in ["Nguyễn Văn Bình", "0912 345 678", "Trần Thị Cúc"] {
        assert!(!text.contains(secret), "{secret} was stored");
    }
}

#[test]
fn a_later_submission_adds_history_and_never_deletes_a_case() {
    let office = Office::new(OFFICE);
    submit_with_cases(&office, "an-phu", "2024-09-16T10:00:00+07:00", TWO_CASES);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // The next file resolves KN (late) and leaves TC out.
    submit_with_cases(
        &office,
        "an-phu",
        "2024-09-25T10:00:00+07:00",
        r#"{"ref": "KN-2024-031", "kind": "khieu_nai_lan_1", "received_on": "2024-07-02",
            "accepted_on": "2024-07-10", "status": "resolved", "resolved_on": "2024-09-24"}"#,
    );
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let before = cases(&office, &["--at", "2024-09-20T09:00:00+07:00"]);
    assert_eq!(before[0]["state"], "overdue");
    let after = cases(&office, &["--at", "2024-09-26T09:00:00+07:00"]);
    assert_eq!(after.len(), 2, "TC-2024-007 is kept: {after:?}");
    let kn = after.iter().find(|c| c["ref"] == "KN-2024-031").expect("KN");
    assert_eq!(kn["state"], "resolved_late");
    assert_eq!(kn["days_overdue"], 46);
}

#[test]
fn an_unknown_case_kind_rejects_the_file() {
    let office = Office::new(OFFICE);
    submit_with_cases(
        &office,
        "an-phu",
        "2024-09-16T10:00:00+07:00",
        r#"{"ref": "X-1", "kind": "khieu_nai_lan_9", "received_on": "2024-07-02"}"#,
    );
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    assert!(out.contains("rejected"), "{out}");
    assert!(out.contains("khieu_nai_lan_9"), "{out}");
}

#[test]
fn the_morning_digest_lists_overdue_cases_once_and_marks_the_new_ones() {
    let office = Office::new(OFFICE);
    submit_with_cases(&office, "an-phu", "2024-09-16T10:00:00+07:00", TWO_CASES);
    submit_with_cases(
        &office,
        "binh-minh",
        "2024-09-16T11:00:00+07:00",
        r#"{"ref": "KN-2024-050", "kind": "khieu_nai_lan_1", "received_on": "2024-08-12", "accepted_on": "2024-08-19"}"#,
    );
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // Thursday 19/09 08:00: the digest fires (default schedule 08:00 Mon–Fri).
    let out = office.run(&["tick", "--at", "2024-09-19T08:00:00+07:00"]);
    let chat = String::from_utf8_lossy(&out.stdout);
    assert!(
        chat.contains("📋 Đơn thư quá hạn, sắp đến hạn — tình hình ngày 19/09/2024"),
        "{chat}"
    );
    assert!(
        chat.contains("KN-2024-031 · Khiếu nại lần đầu · hạn giải quyết 09/08/2024 · quá hạn 41 ngày"),
        "{chat}"
    );
    // KN-2024-050: 19/08 + 30 = 18/09: overdue from today, but no earlier digest to compare with.
    assert!(
        chat.contains("KN-2024-050 · Khiếu nại lần đầu · hạn giải quyết 18/09/2024 · quá hạn 1 ngày\n"),
        "{chat}"
    );
    assert!(!chat.contains("(mới)"), "{chat}");
    assert!(
        !chat.contains("Nguyễn Văn Bình") && !chat.contains("0912"),
        "no names: {chat}"
    );
    // Later the same morning: nothing more.
    assert!(
        office
            .tick("2024-09-19T09:30:00+07:00")
            .iter()
            .all(|q| q.0 != "case_digest")
    );
    // Friday: a new digest; KN-2024-050 is no longer new, and nothing else became overdue.
    let friday = office.tick("2024-09-20T08:00:00+07:00");
    let digest = friday.iter().find(|q| q.0 == "case_digest").expect("Friday digest");
    assert_eq!(digest.1, "case_digest:2024-09-20T08:00");
    assert_eq!(digest.2, vec!["an-phu".to_string(), "binh-minh".to_string()]);
}

#[test]
fn a_case_that_becomes_overdue_between_digests_is_marked_new() {
    let office = Office::new(OFFICE);
    submit_with_cases(&office, "an-phu", "2024-09-16T10:00:00+07:00", TWO_CASES);
    submit_with_cases(
        &office,
        "binh-minh",
        "2024-09-16T11:00:00+07:00",
        r#"{"ref": "KN-2024-060", "kind": "khieu_nai_lan_1", "received_on": "2024-08-14", "accepted_on": "2024-08-20"}"#,
    );
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // 20/08 + 30 = 19/09: due on Thursday, overdue on Friday.
    office.ok(&["tick", "--at", "2024-09-19T08:00:00+07:00"]);
    let out = office.run(&["tick", "--at", "2024-09-20T08:00:00+07:00"]);
    let chat = String::from_utf8_lossy(&out.stdout);
    assert!(
        chat.contains("KN-2024-060 · Khiếu nại lần đầu · hạn giải quyết 19/09/2024 · quá hạn 1 ngày (mới)"),
        "{chat}"
    );
    assert!(
        !chat.contains("quá hạn 42 ngày (mới)"),
        "KN-2024-031 was already listed: {chat}"
    );
}

#[test]
fn cases_overdue_prints_the_same_view_the_bot_sends() {
    let office = Office::new(OFFICE);
    submit_with_cases(&office, "an-phu", "2024-09-16T10:00:00+07:00", TWO_CASES);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let view = office.ok(&["cases", "--overdue", "--at", "2024-09-19T09:00:00+07:00"]);
    assert!(view.starts_with("⚠️ Đơn thư quá hạn: 1 đơn tại 1 đơn vị"), "{view}");
    assert!(view.contains("• Huyện An Phú: 1"), "{view}");
    assert!(
        view.contains("KN-2024-031 · Khiếu nại lần đầu · quá hạn 41 ngày"),
        "{view}"
    );
    assert!(
        !view.contains("Nguyễn Văn Bình") && !view.contains("TC-2024-007"),
        "{view}"
    );
    let none = office.ok(&[
        "cases",
        "--overdue",
        "--unit",
        "binh-minh",
        "--at",
        "2024-09-19T09:00:00+07:00",
    ]);
    assert_eq!(none.trim(), "✅ Không có đơn thư quá hạn — Huyện Bình Minh.");
}

/// Cases of every shape: accepted late or not yet, accepted after the day
/// asked about, resolved with and without a date, resolved in the future,
/// complex, extended, in a remote unit, of a kind whose rule has no
/// acceptance step.
fn tricky_cases(office: &Office) {
    let shapes = [
        r#""kind": "khieu_nai_lan_1", "received_on": "2024-07-02", "accepted_on": "2024-07-10""#,
        r#""kind": "khieu_nai_lan_1", "received_on": "2024-09-01""#,
        r#""kind": "khieu_nai_lan_1", "received_on": "2024-08-20", "accepted_on": "2024-10-15""#,
        r#""kind": "khieu_nai_lan_1", "received_on": "2024-08-01", "accepted_on": "2024-08-05", "complex": true"#,
        r#""kind": "khieu_nai_lan_1", "received_on": "2024-07-01", "accepted_on": "2024-07-05", "status": "resolved""#,
        r#""kind": "khieu_nai_lan_1", "received_on": "2024-07-01", "accepted_on": "2024-07-05", "resolved_on": "2024-10-20""#,
        r#""kind": "to_cao", "received_on": "2024-08-01", "accepted_on": "2024-08-09", "extensions": 1"#,
        r#""kind": "to_cao", "received_on": "2024-09-10", "extensions": 5"#,
        r#""kind": "to_cao", "received_on": "2024-08-26", "accepted_on": "2024-09-03", "resolved_on": "2024-09-30""#,
        r#""kind": "kien_nghi", "received_on": "2024-09-05""#,
        // Resolved before they were accepted (judged on the limit to accept),
        // late and on time, and late without an acceptance step.
        r#""kind": "khieu_nai_lan_1", "received_on": "2024-06-03", "resolved_on": "2024-07-20""#,
        r#""kind": "khieu_nai_lan_1", "received_on": "2024-09-02", "resolved_on": "2024-09-06""#,
        r#""kind": "kien_nghi", "received_on": "2024-07-01", "resolved_on": "2024-08-30""#,
    ];
    for unit in ["an-phu", "cai-be"] {
        let list: Vec<String> = shapes
            .iter()
            .enumerate()
            .map(|(i, s)| format!(r#"{{"ref": "X-{i}", {s}}}"#))
            .collect();
        submit_with_cases(office, unit, "2024-09-16T10:00:00+07:00", &list.join(","));
    }
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
}

#[test]
fn the_totals_by_state_counted_from_the_stored_limits_agree_with_evaluating_every_case() {
    // `/metrics` counts the cases in each state without reading them: the
    // day's counts and one aggregate of the resolved ones. On each of a run
    // of days those totals equal the states of every case evaluated.
    let office = Office::new(&tricky_config());
    tricky_cases(&office);
    let config = giaoban::config::Config::load(&office.config).expect("config");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = office.store().await;
        let mut seen = std::collections::BTreeSet::new();
        for k in 0..12 {
            let day = chrono::NaiveDate::from_ymd_opt(2024, 9, 17).expect("day") + chrono::Duration::days(k * 8);
            let at = chrono::DateTime::parse_from_rfc3339(&format!("{day}T09:00:00+07:00"))
                .expect("instant")
                .with_timezone(&chrono::Utc);
            let totals = giaoban::jobs::case_totals(&config, &store, at).await.expect("totals");
            let mut evaluated = std::collections::BTreeMap::new();
            for row in giaoban::jobs::case_rows(&config, &store, None, false, at)
                .await
                .expect("cases")
            {
                *evaluated.entry(row.state).or_insert(0usize) += 1;
            }
            for (state, n) in &totals {
                assert_eq!(*n, evaluated.get(state).copied().unwrap_or(0), "{state:?} on {day}");
                if *n > 0 {
                    seen.insert(*state);
                }
            }
        }
        // Every state occurs on some day, late and on-time resolutions included.
        assert_eq!(seen.len(), 5, "{seen:?}");
    });
}

/// What `status` (each unit's open and overdue cases), `cases` and
/// `cases --overdue` say on each of a run of days.
fn views_on_days(office: &Office) -> Vec<(serde_json::Value, Vec<serde_json::Value>, Vec<serde_json::Value>)> {
    (0..10)
        .map(|k| {
            let day = chrono::NaiveDate::from_ymd_opt(2024, 9, 17).expect("day") + chrono::Duration::days(k * 9);
            let at = format!("{day}T09:00:00+07:00");
            let (counts, overdue) = counted_views(office, &at);
            (counts, cases(office, &["--at", &at]), overdue)
        })
        .collect()
}

/// The office with a remote unit and a kind without an acceptance step.
fn tricky_config() -> String {
    OFFICE
        .replace(
            "id = \"cai-be\"\nname = \"Huyện Cái Bè\"",
            "id = \"cai-be\"\nname = \"Huyện Cái Bè\"\nremote_area = true",
        )
        .replace(
            "[[case_rules]]\nkind = \"to_cao\"",
            "[[case_rules]]\nkind = \"kien_nghi\"\nlabel = \"Kiến nghị\"\nresolve_within = \"10wd\"\n\n[[case_rules]]\nkind = \"to_cao\"",
        )
}

#[test]
fn counting_cases_by_their_stored_limits_agrees_with_evaluating_every_version() {
    let office = Office::new(&tricky_config());
    tricky_cases(&office);
    let state = office.sql("SELECT fingerprint FROM case_marks");
    assert!(
        sqlx::Row::get::<Option<String>, _>(&state[0], 0).is_some(),
        "the marks are current"
    );
    let marked = views_on_days(&office);
    let counted: i64 = marked
        .iter()
        .map(|(c, _, _)| {
            c.as_array()
                .expect("rows")
                .iter()
                .map(|r| r[1].as_i64().unwrap_or(0))
                .sum::<i64>()
        })
        .sum();
    assert!(counted > 0, "some cases are open: {marked:?}");
    assert!(marked.iter().any(|(_, _, o)| !o.is_empty()), "some are overdue");
    // The marks set aside: every version is read and evaluated.
    office.sql("UPDATE case_marks SET fingerprint = NULL");
    let evaluated = views_on_days(&office);
    for (k, (a, b)) in marked.iter().zip(&evaluated).enumerate() {
        assert_eq!(a, b, "day {k}: the counted views differ from the evaluated ones");
    }
}

#[test]
fn changed_case_rules_count_the_stored_cases_under_the_new_limits() {
    let office = Office::new(&tricky_config());
    tricky_cases(&office);
    let at = "2024-09-20T09:00:00+07:00";
    let kn = |office: &Office| {
        cases(office, &["--at", at])
            .into_iter()
            .find(|c| c["ref"] == "X-0" && c["unit"] == "an-phu")
            .expect("X-0")
    };
    assert_eq!(kn(&office)["due"], "2024-08-09");
    // Ninety days to resolve instead of thirty: X-0 is no longer overdue,
    // once a tick has worked the limits out again, and before it too.
    let path = office.path().join("giaoban.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    let longer = text.replacen("resolve_within = \"30d\"", "resolve_within = \"90d\"", 1);
    std::fs::write(&path, longer).expect("config");
    assert_eq!(
        kn(&office)["due"],
        "2024-10-08",
        "the views evaluate the versions meanwhile"
    );
    office.ok(&["tick", "--at", at]);
    let fingerprint = office.sql("SELECT fingerprint FROM case_marks");
    assert!(
        sqlx::Row::get::<Option<String>, _>(&fingerprint[0], 0).is_some(),
        "the marks are current again"
    );
    assert_eq!(kn(&office)["due"], "2024-10-08");
    assert_eq!(kn(&office)["state"], "in_time");
}

#[test]
fn an_older_file_stored_after_a_newer_one_does_not_replace_its_cases() {
    let office = Office::new(OFFICE);
    submit_with_cases(&office, "an-phu", "2024-09-16T10:00:00+07:00", TWO_CASES);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // A 6M file sent in June, stored only now, with KN still unaccepted.
    office.submit(
        "an-phu",
        r#"{"unit": "an-phu", "report": "9m", "period": "2024-9M", "submitted_at": "2024-07-05T10:00:00+07:00",
            "metrics": {"cases_accepted": 9, "cases_resolved": 5},
            "cases": [{"ref": "KN-2024-031", "kind": "khieu_nai_lan_1", "received_on": "2024-07-02"}]}"#,
    );
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let versions = office.sql("SELECT CAST(COUNT(*) AS BIGINT) FROM case_versions WHERE ref = 'KN-2024-031'");
    assert_eq!(
        sqlx::Row::get::<i64, _>(&versions[0], 0),
        2,
        "the older version is stored too"
    );
    let now = cases(&office, &["--at", "2024-09-19T09:00:00+07:00"]);
    let kn = now.iter().find(|c| c["ref"] == "KN-2024-031").expect("KN");
    assert_eq!(
        kn["accepted_on"], "2024-07-10",
        "the version of September stays in force: {kn}"
    );
    assert_eq!(kn["due"], "2024-08-09");
}

/// `status` and `cases --overdue` at `at`, as compared below.
fn counted_views(office: &Office, at: &str) -> (serde_json::Value, Vec<serde_json::Value>) {
    let status = office.json(&["status", "--report", "9m", "--period", "2024-9M", "--at", at]);
    let counts = serde_json::json!(
        status["units"]
            .as_array()
            .expect("units")
            .iter()
            .map(|u| (u["unit"].clone(), u["cases_open"].clone(), u["cases_overdue"].clone()))
            .collect::<Vec<_>>()
    );
    (counts, cases(office, &["--overdue", "--at", at]))
}

#[test]
fn the_counts_held_for_a_day_follow_every_new_version_stored_that_day() {
    let office = Office::new(&tricky_config());
    tricky_cases(&office);
    let at = "2024-09-20T09:00:00+07:00";
    office.ok(&["tick", "--at", at]);
    let held = office.sql("SELECT counted_on FROM case_marks");
    assert_eq!(
        sqlx::Row::get::<Option<String>, _>(&held[0], 0).as_deref(),
        Some("2024-09-20"),
        "the tick counted the day"
    );
    // The same day: X-0 resolved, X-1 accepted, X-3 in time no more
    // (simple now), a new case, and X-4 reopened.
    let cases_now = r#"
        {"ref": "X-0", "kind": "khieu_nai_lan_1", "received_on": "2024-07-02", "accepted_on": "2024-07-10", "status": "resolved", "resolved_on": "2024-09-19"},
        {"ref": "X-1", "kind": "khieu_nai_lan_1", "received_on": "2024-09-01", "accepted_on": "2024-09-05"},
        {"ref": "X-3", "kind": "khieu_nai_lan_1", "received_on": "2024-08-01", "accepted_on": "2024-08-05"},
        {"ref": "X-4", "kind": "khieu_nai_lan_1", "received_on": "2024-07-01", "accepted_on": "2024-07-05"},
        {"ref": "X-20", "kind": "to_cao", "received_on": "2024-06-01", "accepted_on": "2024-06-05"}"#;
    submit_with_cases(&office, "an-phu", "2024-09-20T08:00:00+07:00", cases_now);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M", "--at", at]);
    let held = office.sql("SELECT counted_on FROM case_marks");
    assert_eq!(
        sqlx::Row::get::<Option<String>, _>(&held[0], 0).as_deref(),
        Some("2024-09-20"),
        "the counts were kept, not counted again"
    );
    let kept = counted_views(&office, at);
    assert_ne!(kept.0, serde_json::json!([]), "units are counted");
    // Counted again from the marks, then evaluated from every version.
    office.sql("UPDATE case_marks SET counted_on = NULL");
    let recounted = counted_views(&office, at);
    office.sql("UPDATE case_marks SET fingerprint = NULL");
    let evaluated = counted_views(&office, at);
    assert_eq!(kept, recounted, "the counts kept through the day are the counts");
    assert_eq!(kept, evaluated, "and agree with evaluating every version");
    let an_phu = &kept.0[0];
    assert_eq!(an_phu[0], "an-phu");
}

#[test]
fn the_overdue_cases_of_each_counted_day_agree_with_evaluating_every_version() {
    let office = Office::new(&tricky_config());
    tricky_cases(&office);
    let mut listed = Vec::new();
    for k in 0..8 {
        let day = chrono::NaiveDate::from_ymd_opt(2024, 9, 17).expect("day") + chrono::Duration::days(k * 11);
        let at = format!("{day}T09:00:00+07:00");
        // The day's tick counts it; the views read the marked last versions.
        office.ok(&["tick", "--at", &at]);
        let held = office.sql("SELECT counted_on FROM case_marks");
        assert_eq!(
            sqlx::Row::get::<Option<String>, _>(&held[0], 0),
            Some(day.to_string()),
            "day {day} is counted"
        );
        let marked = counted_views(&office, &at);
        // The same views with the marks set aside: every version evaluated.
        office.sql("UPDATE case_marks SET fingerprint = NULL");
        assert_eq!(
            marked,
            counted_views(&office, &at),
            "day {day}: the marked views agree with evaluating every version"
        );
        listed.push(marked.1.len());
    }
    assert!(
        listed.windows(2).any(|w| w[0] != w[1]),
        "cases become overdue or closed across the days: {listed:?}"
    );
}

#[test]
fn a_unit_reporting_the_same_cases_in_two_reports_of_one_pass_keeps_one_version_in_force() {
    // A second report of the same office: the pass stores both files of a
    // unit together, the later one's cases over the earlier one's.
    let second = "\n[[reports]]\nid = \"9q\"\ntitle = \"Báo cáo 9 tháng (quý)\"\nperiod = \"nine_months\"\ncutoff_day = 14\ndue = { day = 18, time = \"17:00\" }\n\n[[reports.metrics]]\nkey = \"cases_accepted\"\nlabel = \"Số vụ án thụ lý\"\n\n[[reports.metrics]]\nkey = \"cases_resolved\"\nlabel = \"Số vụ án đã giải quyết\"\n";
    let config = tricky_config().replacen("\n[[case_rules]]", &format!("{second}\n[[case_rules]]"), 1);
    let office = Office::new(&config);
    tricky_cases(&office);
    let at = "2024-09-20T09:00:00+07:00";
    office.ok(&["tick", "--at", at]);
    let file = |report: &str, submitted_at: &str, cases: &str| {
        format!(
            r#"{{"unit": "an-phu", "report": "{report}", "period": "2024-9M", "submitted_at": "{submitted_at}",
                "metrics": {{"cases_accepted": 10, "cases_resolved": 5}}, "cases": [{cases}]}}"#
        )
    };
    // 9m at 08:00: X-0 resolved, X-1 accepted; 9q at 08:30: X-1 resolved
    // as well, X-2 accepted, and a new case.
    let folder = office.dir.path().join("data").join("an-phu");
    std::fs::write(
        folder.join("9m-2024-9M.json"),
        file(
            "9m",
            "2024-09-20T08:00:00+07:00",
            r#"{"ref": "X-0", "kind": "khieu_nai_lan_1", "received_on": "2024-07-02", "accepted_on": "2024-07-10", "status": "resolved"},
               {"ref": "X-1", "kind": "khieu_nai_lan_1", "received_on": "2024-09-01", "accepted_on": "2024-09-05"}"#,
        ),
    )
    .expect("9m file");
    std::fs::write(
        folder.join("9q-2024-9M.json"),
        file(
            "9q",
            "2024-09-20T08:30:00+07:00",
            r#"{"ref": "X-1", "kind": "khieu_nai_lan_1", "received_on": "2024-09-01", "accepted_on": "2024-09-05", "status": "resolved"},
               {"ref": "X-2", "kind": "khieu_nai_lan_1", "received_on": "2024-08-20", "accepted_on": "2024-08-25"},
               {"ref": "X-30", "kind": "to_cao", "received_on": "2024-06-01"}"#,
        ),
    )
    .expect("9q file");
    let collected = office.ok(&["collect", "--period", "2024-9M", "--at", at]);
    let new_revisions = collected
        .lines()
        .filter(|l| l.contains("an-phu") && l.contains("new_revision"))
        .count();
    assert_eq!(new_revisions, 2, "both files stored in the pass:\n{collected}");
    let doubled =
        office.sql("SELECT unit, ref FROM case_versions WHERE latest = TRUE GROUP BY unit, ref HAVING COUNT(*) > 1");
    assert!(
        doubled.is_empty(),
        "one last version per case, {} doubled",
        doubled.len()
    );
    let listed = cases(&office, &["--at", at]);
    let x1 = listed
        .iter()
        .filter(|c| c["unit"] == "an-phu" && c["ref"] == "X-1")
        .collect::<Vec<_>>();
    assert_eq!(x1.len(), 1, "listed once: {x1:?}");
    assert!(
        x1[0]["state"].as_str().is_some_and(|s| s.starts_with("resolved")),
        "the later report's version is in force: {}",
        x1[0]
    );
    assert!(listed.iter().any(|c| c["ref"] == "X-30"), "the new case is listed");
    // The counts held for the day followed both files.
    let kept = counted_views(&office, at);
    office.sql("UPDATE case_marks SET counted_on = NULL");
    let recounted = counted_views(&office, at);
    office.sql("UPDATE case_marks SET fingerprint = NULL");
    let evaluated = counted_views(&office, at);
    assert_eq!(kept, recounted, "the counts kept through the day are the counts");
    assert_eq!(kept, evaluated, "and agree with evaluating every version");
}

#[test]
fn a_national_listing_read_while_cases_are_written_sees_one_state_of_the_store() {
    // The whole office's cases are read on several connections side by side,
    // each a range of ids. Written meanwhile (every round a new version of
    // every case, its extensions the round's number), each listing must be
    // one round's: every case once, all from the same round. Read on
    // connections that began at different moments, a listing would mix two
    // rounds, or miss the cases whose versions moved past its ranges.
    use giaoban::store::cases::{self, Pick};
    let office = Office::new(OFFICE);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    const ROUNDS: u32 = 60;
    runtime.block_on(async {
        let store = std::sync::Arc::new(office.store().await);
        let day = chrono::NaiveDate::from_ymd_opt(2024, 7, 1).expect("day");
        write_round(&store, 0).await;
        let writer = tokio::spawn({
            let store = store.clone();
            async move {
                for k in 1..=ROUNDS {
                    write_round(&store, k).await;
                }
            }
        });
        let mut listings = 0;
        let mut rounds_seen = std::collections::BTreeSet::new();
        while !writer.is_finished() || listings == 0 {
            let listed = cases::latest_everywhere(&store, Pick::All, day, |_| true)
                .await
                .expect("listing")
                .expect("served");
            listings += 1;
            assert_eq!(
                listed.len(),
                UNITS.len() * PER_UNIT,
                "every case once (listing {listings})"
            );
            let seen: std::collections::BTreeSet<u32> = listed.iter().map(|c| c.extensions).collect();
            assert_eq!(seen.len(), 1, "one round's versions, not {seen:?} (listing {listings})");
            rounds_seen.extend(seen);
            let mut keys: Vec<(&str, &str)> = listed.iter().map(|c| (c.unit.as_str(), c.reference.as_str())).collect();
            let sorted = keys.clone();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys, sorted, "by unit and reference, each once");
        }
        writer.await.expect("writer");
        assert!(
            rounds_seen.len() > 1,
            "the listings were read while rounds were written: {rounds_seen:?}"
        );
    });
}

#[test]
fn a_national_listing_on_a_busy_pool_reads_on_the_one_connection_it_gets() {
    // Every connection but one is held elsewhere: the listing does not wait
    // for a second one (two such readers would wait for each other), it
    // reads alone, the same cases.
    use giaoban::store::cases::{self, Pick};
    let office = Office::new(OFFICE);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = office.store().await;
        write_round(&store, 0).await;
        write_round(&store, 1).await;
        let day = chrono::NaiveDate::from_ymd_opt(2024, 7, 1).expect("day");
        let alone = cases::latest_everywhere(&store, Pick::All, day, |_| true)
            .await
            .expect("listing")
            .expect("served");
        assert_eq!(alone.len(), UNITS.len() * PER_UNIT);
        let held = store.reads(3).await.expect("three connections");
        assert_eq!(held.len(), 3, "the pool gives three at once when it can");
        let started = std::time::Instant::now();
        let busy = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            cases::latest_everywhere(&store, Pick::All, day, |_| true),
        )
        .await
        .expect("the listing does not wait for a connection it cannot have")
        .expect("listing")
        .expect("served");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let key = |c: &giaoban::domain::case::Case| (c.unit.clone(), c.reference.clone(), c.extensions);
        assert_eq!(
            busy.iter().map(key).collect::<Vec<_>>(),
            alone.iter().map(key).collect::<Vec<_>>()
        );
        assert!(busy.iter().all(|c| c.extensions == 1), "the last round's versions");
        drop(held);
    });
}

const UNITS: [&str; 3] = ["an-phu", "binh-minh", "cai-be"];
const PER_UNIT: usize = 40;

/// Round `k` of the national listing test: a new version of every case of
/// every unit, its extensions `k`, in one write transaction.
async fn write_round(store: &giaoban::store::Store, k: u32) {
    use giaoban::domain::case::Marks;
    use giaoban::domain::submission::CaseRecord;
    use giaoban::store::cases::{self, Reported};
    let day = chrono::NaiveDate::from_ymd_opt(2024, 7, 1).expect("day");
    let records: Vec<CaseRecord> = (0..PER_UNIT)
        .map(|i| CaseRecord {
            reference: format!("KN-{i}"),
            kind: "khieu_nai_lan_1".into(),
            received_on: Some(day),
            accepted_on: Some(day),
            complex: false,
            extensions: k,
            resolved: false,
            resolved_on: None,
        })
        .collect();
    let marks = vec![Marks::default(); records.len()];
    let at = chrono::DateTime::parse_from_rfc3339("2024-09-01T08:00:00+07:00")
        .expect("instant")
        .with_timezone(&chrono::Utc)
        + chrono::Duration::minutes(i64::from(k));
    let files: Vec<Reported<'_>> = UNITS
        .iter()
        .map(|unit| Reported {
            unit,
            report: "9m",
            period: "2024-9M",
            submitted_at: at,
            cases: &records,
            marks: &marks,
        })
        .collect();
    let mut tx = store.write().await.expect("write");
    cases::record(&mut tx, &files, "test").await.expect("record");
    tx.commit().await.expect("commit");
}
