//! The planner driven through the real binary with `tick --at`: exactly the
//! expected messages at fixed instants, nothing twice, and quiet hours.

mod support;

use support::{OFFICE, Office, strings};

fn office_with_one_on_time_and_one_late_unit() -> Office {
    let office = Office::new(OFFICE);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 100, 80);
    office.submit_figures("binh-minh", "2024-09-20T09:00:00+07:00", 50, 40);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    office
}

#[test]
fn ticks_at_fixed_instants_queue_exactly_the_expected_messages() {
    let office = office_with_one_on_time_and_one_late_unit();
    // Before the first reminder: nothing.
    assert_eq!(office.tick("2024-09-14T12:00:00+07:00"), vec![]);
    // The 3-day reminder fell on Sunday 15/09; a tick on Monday morning sends it
    // to the two units not in yet (an-phu sends at 10:00).
    assert_eq!(
        office.tick("2024-09-16T08:00:00+07:00"),
        vec![(
            "reminder".into(),
            "reminder:9m:2024-9M:3d".into(),
            strings(&["an-phu", "binh-minh", "cai-be"])
        )]
    );
    assert_eq!(
        office.tick("2024-09-17T17:00:00+07:00"),
        vec![(
            "reminder".into(),
            "reminder:9m:2024-9M:1d".into(),
            strings(&["binh-minh", "cai-be"])
        )]
    );
    // Deadline passes; nothing until the grace ends.
    assert_eq!(office.tick("2024-09-18T17:30:00+07:00"), vec![]);
    // The grace ends: one late alert listing both units, and the period's summary.
    assert_eq!(
        office.tick("2024-09-19T17:00:00+07:00"),
        vec![
            (
                "late".into(),
                "late:9m:2024-9M".into(),
                strings(&["binh-minh", "cai-be"])
            ),
            ("summary".into(), "summary:9m:2024-9M:final".into(), vec![]),
        ]
    );
    assert_eq!(
        office.tick("2024-09-20T10:00:00+07:00"),
        vec![(
            "received_late".into(),
            "received_late:9m:2024-9M:binh-minh".into(),
            strings(&["binh-minh"])
        )]
    );
    assert_eq!(
        office.tick("2024-09-20T17:00:00+07:00"),
        vec![("urge".into(), "urge:9m:2024-9M:1".into(), strings(&["cai-be"]))]
    );
    assert_eq!(
        office.tick("2024-09-23T17:00:00+07:00"),
        vec![("urge".into(), "urge:9m:2024-9M:2".into(), strings(&["cai-be"]))]
    );
    // The cap is two urges.
    assert_eq!(office.tick("2024-09-24T17:00:00+07:00"), vec![]);
}

#[test]
fn the_same_tick_twice_adds_nothing() {
    let office = office_with_one_on_time_and_one_late_unit();
    let first = office.tick("2024-09-20T10:00:00+07:00");
    assert_eq!(
        first,
        vec![
            ("late".into(), "late:9m:2024-9M".into(), strings(&["cai-be"])),
            (
                "received_late".into(),
                "received_late:9m:2024-9M:binh-minh".into(),
                strings(&["binh-minh"])
            ),
            ("summary".into(), "summary:9m:2024-9M:final".into(), vec![]),
        ]
    );
    assert_eq!(office.tick("2024-09-20T10:00:00+07:00"), vec![]);
    assert_eq!(office.tick("2024-09-20T10:01:00+07:00"), vec![]);
}

#[test]
fn ticks_in_two_processes_on_one_database_queue_each_message_once() {
    let office = office_with_one_on_time_and_one_late_unit();
    let run = |at: &'static str| {
        let cfg = office.config.clone();
        std::thread::spawn(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_giaoban"))
                .args(["--config"])
                .arg(cfg)
                .args(["tick", "--json", "--at", at])
                .output()
                .expect("run giaoban")
        })
    };
    let handles: Vec<_> = (0..4).map(|_| run("2024-09-20T17:00:00+07:00")).collect();
    let mut keys = Vec::new();
    for h in handles {
        let out = h.join().expect("thread");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        for q in doc["queued"].as_array().expect("queued") {
            keys.push(q["key"].as_str().expect("key").to_string());
        }
    }
    keys.sort();
    // A tick after downtime sends the latest urge, not the late alert before it.
    assert_eq!(
        keys,
        strings(&[
            "received_late:9m:2024-9M:binh-minh",
            "summary:9m:2024-9M:final",
            "urge:9m:2024-9M:1"
        ])
    );
}

#[test]
fn a_message_planned_outside_working_hours_waits_for_the_next_opening() {
    let office = office_with_one_on_time_and_one_late_unit();
    // Saturday 21/09, urge 1 was due Friday 17:00 but the daemon was down.
    let doc = office.json(&["tick", "--at", "2024-09-21T09:00:00+07:00"]);
    let queued = doc["queued"].as_array().expect("queued");
    let urge = queued.iter().find(|q| q["kind"] == "urge").expect("urge queued");
    // Held to Monday 07:30 local = 00:30 UTC.
    assert_eq!(urge["not_before"], "2024-09-23T00:30:00Z");
    assert_eq!(doc["delivered"]["sent"], 0, "nothing is delivered on a Saturday");
    // Monday morning: the held messages go out, nothing new is planned.
    let out = office.run(&["tick", "--at", "2024-09-23T07:45:00+07:00"]);
    assert!(out.status.success());
    let chat = String::from_utf8_lossy(&out.stdout);
    assert!(chat.contains("Đôn đốc (lần 1/2)"), "urge printed on Monday:\n{chat}");
    assert!(chat.contains("Huyện Cái Bè"), "{chat}");
}

#[test]
fn the_console_shows_the_late_alert_as_it_would_read_in_chat() {
    let office = office_with_one_on_time_and_one_late_unit();
    let chat = office.ok(&["tick", "--at", "2024-09-19T17:00:00+07:00"]);
    assert!(chat.contains("⚠️ Quá hạn: Báo cáo giao ban 9 tháng năm 2024"), "{chat}");
    assert!(
        chat.contains("hạn gửi 17:00 ngày 18/09/2024 (gia hạn 1 ngày làm việc)"),
        "{chat}"
    );
    assert!(chat.contains("2/3 đơn vị chưa gửi"), "{chat}");
    assert!(chat.contains("• Huyện Bình Minh\n• Huyện Cái Bè"), "{chat}");
    assert!(!chat.contains("<b>"), "HTML tags are not shown on the console:\n{chat}");
    // Delivered once: a second tick prints nothing.
    assert_eq!(office.ok(&["tick", "--at", "2024-09-19T17:01:00+07:00"]), "");
}

#[test]
fn a_long_outage_does_not_nag_about_an_old_period() {
    let office = Office::new(OFFICE);
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // Nine days after the last urge slot opened, the period is stale.
    assert_eq!(office.tick("2024-10-08T09:00:00+07:00"), vec![]);
}

#[test]
fn a_tick_after_the_grace_collects_first_so_a_file_on_disk_is_never_called_late() {
    let office = Office::new(OFFICE);
    // Files on disk, never collected: the tick at the end of grace reads them
    // before deciding who is late.
    office.submit_figures("an-phu", "2024-09-18T16:00:00+07:00", 10, 5);
    office.submit_figures("binh-minh", "2024-09-19T16:30:00+07:00", 10, 5);
    let queued = office.tick("2024-09-19T17:00:00+07:00");
    assert_eq!(
        queued[0],
        ("late".into(), "late:9m:2024-9M".into(), strings(&["cai-be"]))
    );
}
