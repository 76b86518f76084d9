//! Collection from a folder through the real binary: revisions kept, bad files
//! never replace a good one, timeliness judged on the submission time.

mod support;

use support::{OFFICE, Office};

fn status(office: &Office, at: &str) -> serde_json::Value {
    office.json(&["status", "--report", "9m", "--period", "2024-9M", "--at", at])
}

fn unit<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    doc["units"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["unit"] == id)
        .expect("unit listed")
}

#[test]
fn a_submission_after_the_grace_is_late_and_one_before_it_on_time() {
    let office = Office::new(OFFICE);
    // Grace ends 19/09/2024 17:00 (+07).
    office.submit_figures("an-phu", "2024-09-19T16:59:00+07:00", 10, 5);
    office.submit_figures("binh-minh", "2024-09-19T17:01:00+07:00", 10, 5);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    assert_eq!(
        office.states("2024-09-30T12:00:00+07:00"),
        vec![
            ("an-phu".into(), "on_time".into()),
            ("binh-minh".into(), "late".into()),
            ("cai-be".into(), "missing".into())
        ]
    );
    let doc = status(&office, "2024-09-30T12:00:00+07:00");
    assert_eq!(doc["report"], "9m");
    assert_eq!(doc["period"], "2024-9M");
    assert_eq!(unit(&doc, "an-phu")["received_at"], "2024-09-19T09:59:00Z");
    assert_eq!(unit(&doc, "an-phu")["revision"], 1);
    assert!(unit(&doc, "cai-be")["received_at"].is_null());
}

#[test]
fn an_evaluation_in_the_past_counts_only_what_had_been_sent_by_then() {
    let office = Office::new(OFFICE);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 10, 5);
    office.submit_figures("binh-minh", "2024-09-20T09:00:00+07:00", 10, 5);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let states = office.states("2024-09-17T12:00:00+07:00");
    assert_eq!(states[0].1, "on_time");
    assert_eq!(states[1].1, "missing", "binh-minh had not sent on 17/09");
}

#[test]
fn a_bad_file_leaves_the_earlier_revision_in_force() {
    let office = Office::new(OFFICE);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // A corrupt file replaces it on disk.
    office.submit("an-phu", "{\"unit\": \"an-phu\", \"metrics\": {");
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M", "--unit", "an-phu"]);
    assert!(out.contains("rejected"), "{out}");
    assert!(
        out.contains("không phải JSON hợp lệ"),
        "the error names the fault: {out}"
    );
    // A file without a readable time counts from its modification time (now),
    // so look at the state now.
    let doc = office.json(&["status", "--report", "9m", "--period", "2024-9M"]);
    let an_phu = unit(&doc, "an-phu");
    assert_eq!(an_phu["state"], "on_time");
    assert_eq!(an_phu["revision"], 1);
    assert_eq!(an_phu["metrics"]["cases_accepted"], 100);
    assert_eq!(an_phu["errors"].as_array().expect("errors").len(), 1);
    // A rule break is refused too, with the rule's message.
    office.submit_figures("an-phu", "2024-09-17T10:00:00+07:00", 10, 50);
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M", "--unit", "an-phu"]);
    assert!(out.contains("Số vụ giải quyết lớn hơn số vụ thụ lý"), "{out}");
    assert_eq!(
        unit(&status(&office, "2024-09-30T12:00:00+07:00"), "an-phu")["metrics"]["cases_accepted"],
        100
    );
    // A corrected file becomes revision 2 and clears the errors.
    office.submit_figures("an-phu", "2024-09-17T11:00:00+07:00", 120, 90);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M", "--unit", "an-phu"]);
    let doc = status(&office, "2024-09-30T12:00:00+07:00");
    let an_phu = unit(&doc, "an-phu");
    assert_eq!(an_phu["revision"], 2);
    assert_eq!(an_phu["revisions"], 2);
    assert_eq!(an_phu["metrics"]["cases_accepted"], 120);
    assert_eq!(an_phu["errors"].as_array().expect("errors").len(), 0);
    // Timeliness is still judged on the first valid report.
    assert_eq!(an_phu["received_at"], "2024-09-16T03:00:00Z");
}

#[test]
fn identical_content_adds_no_revision() {
    let office = Office::new(OFFICE);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M", "--unit", "an-phu"]);
    assert!(out.contains("unchanged"), "{out}");
    assert_eq!(
        unit(&status(&office, "2024-09-30T12:00:00+07:00"), "an-phu")["revisions"],
        1
    );
}

#[test]
fn only_rejected_files_make_a_unit_invalid_and_the_fault_is_announced_once() {
    let office = Office::new(OFFICE);
    office.submit(
        "cai-be",
        r#"{"unit": "cai-be", "report": "9m", "period": "2024-9M", "submitted_at": "2024-09-17T09:00:00+07:00",
            "metrics": {"cases_accepted": "8.651", "cases_resolved": -3, "vu_an_khac": 1}}"#,
    );
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    assert!(out.contains("là số âm"), "{out}");
    assert!(out.contains("vu_an_khac"), "unknown metric named: {out}");
    assert_eq!(
        office.states("2024-09-18T08:00:00+07:00")[2],
        ("cai-be".into(), "invalid".into())
    );
    let queued = office.tick("2024-09-17T10:00:00+07:00");
    let invalid: Vec<_> = queued.iter().filter(|q| q.0 == "invalid").collect();
    assert_eq!(invalid.len(), 1, "{queued:?}");
    assert_eq!(invalid[0].2, vec!["cai-be".to_string()]);
    // Read again, same fault: no second announcement.
    std::fs::write(office.path().join("data/cai-be/9m-2024-9M.json.tmp"), "x").expect("touch");
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    assert!(
        office
            .tick("2024-09-17T11:00:00+07:00")
            .iter()
            .all(|q| q.0 != "invalid")
    );
}

#[test]
fn a_declared_time_in_the_future_is_not_believed() {
    let office = Office::new(OFFICE);
    office.submit_figures("an-phu", "2024-09-25T10:00:00+07:00", 10, 5);
    let file = office.path().join("data/an-phu/9m-2024-9M.json");
    let touched = std::process::Command::new("touch")
        .args(["-d", "2024-09-18T09:00:00+07:00"])
        .arg(&file)
        .status()
        .expect("touch");
    assert!(touched.success());
    // Collected "at" 18/09: the declared 25/09 is in the future, so the
    // file's modification time counts.
    office.ok(&[
        "collect",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--at",
        "2024-09-18T10:00:00+07:00",
    ]);
    let doc = status(&office, "2024-09-30T12:00:00+07:00");
    assert_eq!(unit(&doc, "an-phu")["received_at"], "2024-09-18T02:00:00Z");
    assert_eq!(unit(&doc, "an-phu")["state"], "on_time");
}

#[test]
fn status_prints_a_table_with_states_and_figures() {
    let office = Office::new(OFFICE);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 8651, 7187);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let table = office.ok(&[
        "status",
        "--report",
        "9m",
        "--period",
        "2024-9M",
        "--at",
        "2024-09-30T12:00:00+07:00",
    ]);
    assert!(table.contains("Huyện An Phú"), "{table}");
    assert!(table.contains("đúng hạn"), "{table}");
    assert!(table.contains("chưa gửi"), "{table}");
    assert!(table.contains("8.651"), "Vietnamese thousands: {table}");
    assert!(table.contains("16/09/2024 10:00"), "{table}");
}

#[test]
fn the_example_data_in_json_csv_and_xlsx_is_accepted() {
    let root = env!("CARGO_MANIFEST_DIR");
    let example = std::fs::read_to_string(format!("{root}/config/example.toml")).expect("example config");
    let office = Office::new(&example);
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(format!("{root}/config/example-data"))
        .arg(office.path())
        .status()
        .expect("cp");
    assert!(copied.success());
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    assert_eq!(out.matches("new_revision").count(), 8, "{out}");
    let doc = status(&office, "2024-09-30T12:00:00+07:00");
    // The CSV and the XLSX carry the same figures as their JSON twins.
    assert_eq!(unit(&doc, "go-dau")["metrics"]["cases_accepted"], 1268);
    assert_eq!(unit(&doc, "go-dau")["received_at"], "2024-09-17T01:30:00Z");
    assert_eq!(unit(&doc, "trang-bang")["metrics"]["cases_resolved"], 1302);
    assert_eq!(unit(&doc, "trang-bang")["received_at"], "2024-09-16T09:10:00Z");
    // Their cases are stored and tracked like the JSON ones.
    for (unit_id, reference, resolved) in [("go-dau", "TC-2024-022", true), ("go-dau", "KN-2024-064", false)] {
        let cases = office.json(&["cases", "--unit", unit_id, "--at", "2024-09-30T12:00:00+07:00"]);
        let list = cases["cases"].as_array().expect("cases");
        assert_eq!(list.len(), 4, "{cases}");
        let case = list.iter().find(|c| c["ref"] == reference).expect("case listed");
        assert_eq!(
            case["state"].as_str().expect("state").starts_with("resolved"),
            resolved,
            "{case}"
        );
    }
    let xlsx_cases = office.json(&["cases", "--unit", "trang-bang", "--at", "2024-09-30T12:00:00+07:00"]);
    let list = xlsx_cases["cases"].as_array().expect("cases");
    assert_eq!(list.len(), 4, "{xlsx_cases}");
    let kn = list
        .iter()
        .find(|c| c["ref"] == "KN-2024-088")
        .expect("KN-2024-088 from the XLSX");
    assert!(kn["state"].as_str().expect("state").starts_with("resolved"), "{kn}");
}

/// The reference config as an office starts from it: every report it
/// declares has example data for every unit it asks, so the README's
/// `tick` at the end of grace raises no alert about a report nobody filled.
#[test]
fn every_report_of_the_reference_config_has_example_data_for_its_units() {
    let root = env!("CARGO_MANIFEST_DIR");
    let example = std::fs::read_to_string(format!("{root}/config/example.toml")).expect("example config");
    let office = Office::new(&example);
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(format!("{root}/config/example-data"))
        .arg(office.path())
        .status()
        .expect("cp");
    assert!(copied.success());
    let check = office.json(&["check"]);
    let reports = check["reports"].as_array().expect("reports");
    assert_eq!(reports.len(), 2, "{check}");
    for (report, period, at) in [
        ("9m", "2024-9M", "2024-09-30T12:00:00+07:00"),
        ("nam", "2024", "2024-12-31T12:00:00+07:00"),
    ] {
        office.ok(&["collect", "--report", report, "--period", period]);
        let doc = office.json(&["status", "--report", report, "--period", period, "--at", at]);
        let units = doc["units"].as_array().expect("units");
        // 2024: the eight districts; the communes and wards begin in July 2025.
        assert_eq!(units.len(), 8, "{doc}");
        for u in units {
            assert!(
                matches!(u["state"].as_str(), Some("on_time" | "late")),
                "{report} {period}: {u}"
            );
        }
    }
    let queued = office.json(&["tick", "--at", "2024-09-19T17:00:00+07:00"]);
    // Only the 9-month report is due then (no Q3 alert about a report
    // without data), and its late alert names only the two units whose
    // files come after the grace.
    for q in queued["queued"].as_array().expect("queued") {
        assert!(q["report"].is_null() || q["report"] == "9m", "{q}");
        if q["kind"] == "late" {
            assert_eq!(q["units"], serde_json::json!(["tan-bien", "ben-cau"]), "{q}");
        }
    }
}
