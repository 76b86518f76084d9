//! Config edits an admin makes mid-period, through the real binary: the same
//! message is not sent again for a respelled span, a removed or closed unit
//! leaves the digest and the cases, a deadline moved later is collected after.

mod support;

use support::{OFFICE, Office};

fn edit(office: &Office, from: &str, to: &str) {
    let text = std::fs::read_to_string(&office.config).expect("config");
    assert!(text.contains(from), "the config has {from:?}");
    std::fs::write(&office.config, text.replacen(from, to, 1)).expect("write config");
}

#[test]
fn a_span_respelled_in_remind_before_is_not_sent_again() {
    let office = Office::new(OFFICE);
    let queued = office.tick("2024-09-17T17:00:00+07:00");
    assert_eq!(queued[0].1, "reminder:9m:2024-9M:1d", "{queued:?}");
    edit(
        &office,
        r#"remind_before = ["3d", "1d"]"#,
        r#"remind_before = ["72h", "24h"]"#,
    );
    let queued = office.tick("2024-09-17T17:30:00+07:00");
    assert!(queued.iter().all(|q| q.0 != "reminder"), "sent again: {queued:?}");
}

#[test]
fn a_removed_or_closed_unit_leaves_the_digest_and_the_cases() {
    let source = "[units.source]\nkind = \"file\"\npath = \"data/{unit}/{report}-{period}.json\"\n";
    let binh_minh = format!("[[units]]\nid = \"binh-minh\"\nname = \"Huyện Bình Minh\"\n{source}");
    for change in [
        // Removed from the config (its report stays stored).
        String::new(),
        // Closed before the digest.
        format!("[[units]]\nid = \"binh-minh\"\nname = \"Huyện Bình Minh\"\nvalid_to = \"2024-09-18\"\n{source}"),
    ] {
        let office = Office::new(OFFICE);
        let case = |r: &str| {
            format!(
                r#"{{"ref": "{r}", "kind": "khieu_nai_lan_1", "received_on": "2024-07-02", "accepted_on": "2024-07-10"}}"#
            )
        };
        for (unit, r) in [("an-phu", "KN-1"), ("binh-minh", "KN-2")] {
            office.submit(
                unit,
                &format!(
                    r#"{{"unit": "{unit}", "report": "9m", "period": "2024-9M", "submitted_at": "2024-09-16T10:00:00+07:00",
                        "metrics": {{"cases_accepted": 10, "cases_resolved": 5}}, "cases": [{}]}}"#,
                    case(r)
                ),
            );
        }
        office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
        edit(&office, &binh_minh, &change);
        let queued = office.tick("2024-09-19T08:00:00+07:00");
        let digest = queued.iter().find(|q| q.0 == "case_digest").expect("a digest");
        assert_eq!(digest.2, vec!["an-phu".to_string()], "change {change:?}");
        let doc = office.json(&["cases", "--at", "2024-09-19T08:00:00+07:00"]);
        let units: Vec<&str> = doc["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .filter_map(|c| c["unit"].as_str())
            .collect();
        assert_eq!(units, vec!["an-phu"], "change {change:?}");
    }
}

#[test]
fn a_deadline_moved_later_is_collected_after_again() {
    let office = Office::new(OFFICE);
    // The deadline passes (18/09 17:00): collected then, cai-be has sent nothing.
    office.tick("2024-09-18T17:30:00+07:00");
    // cai-be sends; the admin moves the deadline to the 20th.
    office.submit_figures("cai-be", "2024-09-19T09:00:00+07:00", 10, 5);
    edit(
        &office,
        "due = { day = 18, time = \"17:00\" }",
        "due = { day = 20, time = \"17:00\" }",
    );
    office.tick("2024-09-20T17:30:00+07:00");
    let states = office.states("2024-09-20T18:00:00+07:00");
    assert_eq!(states[2], ("cai-be".to_string(), "on_time".to_string()), "{states:?}");
}
