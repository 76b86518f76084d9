//! The briefing cycle through the real binary: a meeting's invitation,
//! pre-read and morning reminder (dates rolled off holidays, nothing sent
//! twice across runs), key tasks with reminders, an overdue digest and
//! progress from submissions and from the chat.

mod support;

use chrono::{DateTime, Utc};
use support::{OFFICE, Office};

/// The test office plus two meetings: the 6-month briefing of 10/07/2024,
/// whose resolutions are the tasks file, and the 9-month briefing set for
/// Friday 11/10/2024, a holiday here, so it moves to Monday 14/10.
fn config() -> String {
    OFFICE.replace(
        "\"2024-09-02..2024-09-03\"]",
        "\"2024-09-02..2024-09-03\", \"2024-10-11\"]",
    ) + r#"
[[meetings]]
id = "gb-6m-2024"
title = "Hội nghị giao ban 6 tháng đầu năm 2024"
at = "2024-07-10 08:00"
period = "2024-H1"
tasks = "tasks/gb-6m-2024.toml"

[[meetings]]
id = "gb-9m-2024"
title = "Hội nghị giao ban 9 tháng năm 2024"
at = "2024-10-11 08:00"
reports = ["9m"]
period = "2024-9M"
chair = "Phó Trưởng Ban Nội chính Tỉnh ủy"
place = "Hội trường Ban Nội chính Tỉnh ủy"
attendees = ["an-phu", "binh-minh", "cai-be"]
invite_before = "7d"
prepare_before = "3wd"
"#
}

const TASKS: &str = r#"
[[tasks]]
id = "t1"
title = "Tăng cường bảo đảm trật tự an toàn giao thông"
owners = ["an-phu", "binh-minh"]
due = "2024-09-30"

[[tasks]]
id = "t2"
title = "Nâng cao chất lượng giải quyết án"
owners = ["cai-be"]
due = "2024-12-31"
measure = { key = "resolution_rate", target = 1.0 }

[[tasks]]
id = "t3"
title = "Duy trì chế độ giao ban, báo cáo định kỳ"
every = "quarter"
"#;

fn office() -> Office {
    let office = Office::new(&config());
    std::fs::create_dir_all(office.path().join("tasks")).expect("tasks folder");
    std::fs::write(office.path().join("tasks/gb-6m-2024.toml"), TASKS).expect("tasks file");
    office
}

/// A tick at `at`: the (kind, key) pairs queued and the chat text it printed.
fn tick(office: &Office, at: &str) -> (Vec<(String, String)>, String) {
    let out = office.run(&["tick", "--at", at, "--json"]);
    assert!(
        out.status.success(),
        "tick failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let queued = doc["queued"]
        .as_array()
        .expect("queued")
        .iter()
        .map(|q| {
            (
                q["kind"].as_str().unwrap_or_default().to_string(),
                q["key"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    (queued, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn of_kinds(queued: &[(String, String)], kinds: &[&str]) -> Vec<String> {
    queued
        .iter()
        .filter(|(k, _)| kinds.contains(&k.as_str()))
        .map(|(_, key)| key.clone())
        .collect()
}

const BRIEFING: [&str; 4] = ["meeting", "pre_read", "task_reminder", "task_overdue"];

fn task_states(office: &Office, at: &str) -> Vec<(String, String)> {
    let doc = office.json(&["tasks", "--at", at]);
    doc["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap_or_default().to_string(),
                t["state"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn state_of(states: &[(String, String)], id: &str) -> String {
    states
        .iter()
        .find(|(i, _)| i == id)
        .map(|(_, s)| s.clone())
        .unwrap_or_else(|| panic!("no task {id} in {states:?}"))
}

#[test]
fn a_meeting_on_a_holiday_moves_to_the_next_working_day_and_is_announced_once() {
    let office = office();
    let doc = office.json(&["meetings", "--at", "2024-10-01T09:00:00+07:00"]);
    let m = doc["meetings"]
        .as_array()
        .expect("meetings")
        .iter()
        .find(|m| m["id"] == "gb-9m-2024")
        .cloned()
        .expect("the 9-month meeting");
    let at: DateTime<Utc> = serde_json::from_value(m["at"].clone()).expect("at");
    assert_eq!(
        at.to_rfc3339(),
        "2024-10-14T01:00:00+00:00",
        "Monday 14/10 08:00 in Hà Nội"
    );
    assert_eq!(m["moved_from"], "2024-10-11");
    assert_eq!(m["period"], "2024-9M");
    // 3 working days before Monday 08:00, skipping the Friday holiday: Tuesday 08/10.
    let pre: DateTime<Utc> = serde_json::from_value(m["pre_read_at"].clone()).expect("pre_read_at");
    assert_eq!(pre.to_rfc3339(), "2024-10-08T01:00:00+00:00");

    // Before the invitation's time: nothing.
    let (q, _) = tick(&office, "2024-10-07T07:00:00+07:00");
    assert!(of_kinds(&q, &["meeting", "pre_read"]).is_empty(), "{q:?}");
    // Seven days ahead: the invitation, with time, place, chair and who attends.
    let (q, chat) = tick(&office, "2024-10-07T09:00:00+07:00");
    assert_eq!(
        of_kinds(&q, &["meeting", "pre_read"]),
        vec!["meeting:gb-9m-2024:2024-9M"]
    );
    assert!(
        chat.contains("📅 Giấy mời họp: Hội nghị giao ban 9 tháng năm 2024"),
        "{chat}"
    );
    assert!(
        chat.contains("• Thời gian: 08:00 ngày 14/10/2024 (lùi từ ngày 11/10/2024 do trùng ngày nghỉ)"),
        "{chat}"
    );
    assert!(chat.contains("• Địa điểm: Hội trường Ban Nội chính Tỉnh ủy"), "{chat}");
    assert!(chat.contains("• Chủ trì: Phó Trưởng Ban Nội chính Tỉnh ủy"), "{chat}");
    assert!(
        chat.contains("• Thành phần (3): Huyện An Phú (@anphu), Huyện Bình Minh, Huyện Cái Bè"),
        "{chat}"
    );
    // Another run at the same time (a restart) adds nothing.
    let (q, _) = tick(&office, "2024-10-07T09:00:00+07:00");
    assert!(of_kinds(&q, &BRIEFING).is_empty(), "{q:?}");
    let (q, _) = tick(&office, "2024-10-08T09:00:00+07:00");
    assert_eq!(
        of_kinds(&q, &["meeting", "pre_read"]),
        vec!["pre_read:gb-9m-2024:2024-9M"]
    );
    let (q, _) = tick(&office, "2024-10-08T10:00:00+07:00");
    assert!(of_kinds(&q, &BRIEFING).is_empty(), "{q:?}");
    // The meeting's morning: the reminder, held to the working window's opening.
    let (q, _) = tick(&office, "2024-10-14T06:00:00+07:00");
    assert_eq!(of_kinds(&q, &["meeting"]), vec!["meeting:gb-9m-2024:2024-9M:day"]);
    let (q, chat) = tick(&office, "2024-10-14T07:35:00+07:00");
    assert!(of_kinds(&q, &BRIEFING).is_empty(), "{q:?}");
    assert!(
        chat.contains("📅 Nhắc lịch họp hôm nay: Hội nghị giao ban 9 tháng năm 2024"),
        "{chat}"
    );
    // Once it has begun, nothing more.
    let (q, _) = tick(&office, "2024-10-14T09:00:00+07:00");
    assert!(of_kinds(&q, &["meeting", "pre_read"]).is_empty(), "{q:?}");

    let doc = office.json(&["meetings", "--at", "2024-10-14T09:00:00+07:00"]);
    let m = doc["meetings"]
        .as_array()
        .expect("meetings")
        .iter()
        .find(|m| m["id"] == "gb-9m-2024")
        .cloned()
        .expect("the 9-month meeting");
    let sent: Vec<(String, String)> = m["sent"]
        .as_array()
        .expect("sent")
        .iter()
        .map(|s| {
            (
                s["key"].as_str().unwrap_or_default().to_string(),
                s["state"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        vec![
            ("meeting:gb-9m-2024:2024-9M".to_string(), "sent".to_string()),
            ("pre_read:gb-9m-2024:2024-9M".to_string(), "sent".to_string()),
            ("meeting:gb-9m-2024:2024-9M:day".to_string(), "sent".to_string()),
        ]
    );
    let text = office.ok(&["meetings", "--at", "2024-10-14T09:00:00+07:00"]);
    assert!(
        text.contains("Hội nghị giao ban 9 tháng năm 2024 (2024-9M) — 08:00 ngày 14/10/2024"),
        "{text}"
    );
}

#[test]
fn a_first_tick_on_the_meeting_day_sends_the_invitation_alone() {
    let office = office();
    let (q, _) = tick(&office, "2024-10-14T07:45:00+07:00");
    assert_eq!(
        of_kinds(&q, &["meeting", "pre_read"]),
        vec!["meeting:gb-9m-2024:2024-9M", "pre_read:gb-9m-2024:2024-9M"],
        "no separate morning reminder next to the invitation"
    );
}

#[test]
fn the_pre_read_carries_the_summary_its_files_the_tasks_and_who_still_owes() {
    let office = office();
    office.submit(
        "an-phu",
        r#"{"period": "2024-9M", "submitted_at": "2024-09-16T10:00:00+07:00",
            "metrics": {"cases_accepted": 5000, "cases_resolved": 4200},
            "tasks": [{"id": "t1", "status": "done", "note": "Đã ra quân đợt cao điểm"}]}"#,
    );
    office.submit_figures("binh-minh", "2024-09-17T10:00:00+07:00", 3651, 2987);
    let (q, chat) = tick(&office, "2024-10-08T09:00:00+07:00");
    assert!(
        of_kinds(&q, &["pre_read"]) == vec!["pre_read:gb-9m-2024:2024-9M"],
        "{q:?}"
    );
    let pre = chat.split("📚 Tài liệu họp").nth(1).expect("the pre-read in the chat");
    assert!(
        pre.starts_with(
            ": Hội nghị giao ban 9 tháng năm 2024 — 08:00 ngày 14/10/2024 (lùi từ ngày 11/10/2024 do trùng ngày nghỉ), Hội trường"
        ),
        "{pre}"
    );
    assert!(
        pre.contains("1. 📊 Tổng hợp: Báo cáo giao ban 9 tháng năm 2024"),
        "{pre}"
    );
    assert!(pre.contains("• Tỷ lệ giải quyết: 83,1%"), "{pre}");
    assert!(pre.contains("📎 tong-hop-9m-2024-9M.xlsx"), "{pre}");
    assert!(pre.contains("📎 bieu-do-9m-2024-9M.png"), "{pre}");
    assert!(pre.contains("2. Tình hình thực hiện nhiệm vụ"), "{pre}");
    assert!(
        pre.contains("3 nhiệm vụ: 0 đã hoàn thành, 2 đang thực hiện, 1 quá hạn."),
        "{pre}"
    );
    assert!(
        pre.contains(
            "• [t1] Tăng cường bảo đảm trật tự an toàn giao thông — Huyện An Phú, Huyện Bình Minh — hạn 30/09/2024 — quá hạn 8 ngày (chưa báo cáo xong: Huyện Bình Minh) — “Đã ra quân đợt cao điểm”"
        ),
        "{pre}"
    );
    assert!(
        pre.contains("• [t3] Duy trì chế độ giao ban, báo cáo định kỳ — Huyện An Phú, Huyện Bình Minh, Huyện Cái Bè — thường xuyên, kỳ này hạn 31/12/2024 — đang thực hiện"),
        "{pre}"
    );
    // t2's measure, read from the reviewed summary.
    assert!(
        pre.contains("— hạn 31/12/2024 — đang thực hiện — chỉ số: Tỷ lệ giải quyết 83,1% (mục tiêu 100,0%)"),
        "{pre}"
    );
    assert!(pre.contains("3. Đơn vị chưa gửi báo cáo"), "{pre}");
    assert!(
        pre.contains("• Báo cáo giao ban 9 tháng năm 2024: Huyện Cái Bè"),
        "{pre}"
    );
}

#[test]
fn owners_are_reminded_before_a_deadline_once_and_overdue_tasks_go_in_a_digest() {
    let office = office();
    let (q, _) = tick(&office, "2024-09-26T09:00:00+07:00");
    assert!(of_kinds(&q, &["task_reminder"]).is_empty(), "4 days ahead: {q:?}");
    let (q, chat) = tick(&office, "2024-09-27T09:00:00+07:00");
    // t1, and the standing t3 whose quarter ends the same day: one message.
    assert_eq!(
        of_kinds(&q, &["task_reminder"]),
        vec!["task_reminder:t1@2024-09-30,t3@2024-09-30"]
    );
    assert!(chat.contains("📌 Nhiệm vụ sắp đến hạn"), "{chat}");
    assert!(
        chat.contains("\nĐơn vị thực hiện: Huyện An Phú (@anphu), Huyện Bình Minh, Huyện Cái Bè\n"),
        "{chat}"
    );
    let (q, _) = tick(&office, "2024-09-30T09:00:00+07:00");
    assert!(of_kinds(&q, &["task_reminder"]).is_empty(), "reminded once: {q:?}");

    // The first digest firing after the deadline (weekdays 08:00).
    let (q, chat) = tick(&office, "2024-10-01T08:05:00+07:00");
    assert_eq!(of_kinds(&q, &["task_overdue"]), vec!["task_overdue:2024-10-01T08:00"]);
    assert!(
        chat.contains("⏳ Nhiệm vụ quá hạn — tình hình ngày 01/10/2024: 1 nhiệm vụ"),
        "{chat}"
    );
    assert!(chat.contains("[t1]"), "{chat}");
    assert!(!chat.contains("[t2]"), "{chat}");
    let (q, _) = tick(&office, "2024-10-01T09:00:00+07:00");
    assert!(of_kinds(&q, &["task_overdue"]).is_empty(), "{q:?}");
    // Saturday: no firing, no digest.
    let (q, _) = tick(&office, "2024-10-05T09:00:00+07:00");
    assert!(of_kinds(&q, &["task_overdue"]).is_empty(), "{q:?}");

    let overdue = office.json(&["tasks", "--overdue", "--at", "2024-10-01T09:00:00+07:00"]);
    let ids: Vec<&str> = overdue["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids, vec!["t1"]);
    let cai_be = office.json(&["tasks", "--unit", "cai-be", "--at", "2024-10-01T09:00:00+07:00"]);
    let ids: Vec<&str> = cai_be["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["id"].as_str().unwrap_or_default())
        .collect();
    // The tasks Cái Bè owns; both due 31/12 (t3 with its quarter), so in file order.
    assert_eq!(ids, vec!["t2", "t3"]);
}

#[test]
fn progress_in_submissions_makes_a_task_done_or_done_late() {
    let office = office();
    let states = task_states(&office, "2024-09-20T09:00:00+07:00");
    assert_eq!(state_of(&states, "t1"), "open");
    assert_eq!(state_of(&states, "t2"), "open");
    assert_eq!(state_of(&states, "t3"), "open");
    assert_eq!(
        state_of(&task_states(&office, "2024-09-28T09:00:00+07:00"), "t1"),
        "due_soon"
    );

    office.submit(
        "an-phu",
        r#"{"period": "2024-9M", "submitted_at": "2024-09-16T10:00:00+07:00",
            "metrics": {"cases_accepted": 5000, "cases_resolved": 4200},
            "tasks": [{"id": "t1", "status": "done"}, {"id": "t3", "status": "done"}]}"#,
    );
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    // One owner of two: still overdue after the deadline.
    assert_eq!(
        state_of(&task_states(&office, "2024-10-01T09:00:00+07:00"), "t1"),
        "overdue"
    );
    office.submit(
        "binh-minh",
        r#"{"period": "2024-9M", "submitted_at": "2024-10-02T10:00:00+07:00",
            "metrics": {"cases_accepted": 3651, "cases_resolved": 2987},
            "tasks": [{"id": "t1", "status": "done", "note": "Hoàn thành muộn do mưa lũ"}]}"#,
    );
    office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    let doc = office.json(&["tasks", "--at", "2024-10-03T09:00:00+07:00"]);
    let t1 = doc["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["id"] == "t1")
        .cloned()
        .expect("t1");
    assert_eq!(t1["state"], "done_late");
    assert_eq!(t1["due"], "2024-09-30");
    assert_eq!(t1["owners"], serde_json::json!(["an-phu", "binh-minh"]));
    assert_eq!(t1["title"], "Tăng cường bảo đảm trật tự an toàn giao thông");
    assert_eq!(t1["note"], "Hoàn thành muộn do mưa lũ");
    // Before Bình Minh's word, as of that time, it was overdue.
    assert_eq!(
        state_of(&task_states(&office, "2024-10-01T09:00:00+07:00"), "t1"),
        "overdue"
    );
    // A standing task done in Q3 by one of its three owners is not done.
    assert_eq!(
        state_of(&task_states(&office, "2024-09-20T09:00:00+07:00"), "t3"),
        "open"
    );
}

#[test]
fn a_status_that_is_not_done_or_in_progress_rejects_the_file() {
    let office = office();
    office.submit(
        "an-phu",
        r#"{"period": "2024-9M", "submitted_at": "2024-09-16T10:00:00+07:00",
            "metrics": {"cases_accepted": 5000, "cases_resolved": 4200},
            "tasks": [{"id": "t1", "status": "finished"}]}"#,
    );
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M"]);
    assert!(out.contains("rejected"), "{out}");
    assert!(out.contains("nhiệm vụ t1: trạng thái 'finished'"), "{out}");
}

#[test]
fn a_tasks_list_in_xlsx_is_read_like_the_meetings_list() {
    let office = Office::new(&config().replace("tasks/gb-6m-2024.toml", "tasks/gb-6m-2024.xlsx"));
    std::fs::create_dir_all(office.path().join("tasks")).expect("folder");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let rows: [[&str; 4]; 4] = [
        ["STT", "Nội dung nhiệm vụ", "Đơn vị thực hiện", "Thời hạn"],
        [
            "1",
            "Tăng cường bảo đảm trật tự an toàn giao thông",
            "Huyện An Phú; binh-minh",
            "30/09/2024",
        ],
        [
            "2",
            "Theo dõi các vụ việc phức tạp, đông người",
            "Tất cả",
            "Thường xuyên",
        ],
        ["3", "Nâng cao chất lượng giải quyết án", "Huyện Cái Bè", ""],
    ];
    ws.write_string(0, 0, "DANH SÁCH NHIỆM VỤ TRỌNG TÂM").expect("title");
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 2, c as u16, *v).expect("cell");
        }
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 12, 31).expect("date");
    let fmt = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    ws.write_datetime_with_format(5, 3, &date, &fmt).expect("date cell");
    wb.save(office.path().join("tasks/gb-6m-2024.xlsx")).expect("save");

    let doc = office.json(&["tasks", "--at", "2024-09-20T09:00:00+07:00"]);
    let tasks = doc["tasks"].as_array().expect("tasks");
    let by_id = |id: &str| {
        tasks
            .iter()
            .find(|t| t["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} in {doc}"))
    };
    assert_eq!(
        by_id("gb-6m-2024-1")["owners"],
        serde_json::json!(["an-phu", "binh-minh"])
    );
    assert_eq!(by_id("gb-6m-2024-1")["due"], "2024-09-30");
    assert_eq!(
        by_id("gb-6m-2024-2")["owners"],
        serde_json::json!(["an-phu", "binh-minh", "cai-be"])
    );
    assert_eq!(by_id("gb-6m-2024-2")["every"], "half_year");
    assert_eq!(by_id("gb-6m-2024-3")["due"], "2024-12-31");
    assert_eq!(by_id("gb-6m-2024-3")["owners"], serde_json::json!(["cai-be"]));
}

#[test]
fn a_bad_tasks_file_is_a_config_error_naming_the_file_line_and_key() {
    let office = office();
    std::fs::write(
        office.path().join("tasks/gb-6m-2024.toml"),
        TASKS.replace("due = \"2024-12-31\"", "due = \"31-12-2024\""),
    )
    .expect("write");
    let out = office.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("key `meetings[0].tasks`"), "{err}");
    assert!(
        err.contains("tasks file tasks/gb-6m-2024.toml:12: key `tasks[1].due`: '31-12-2024' is not a date"),
        "{err}"
    );
    std::fs::write(
        office.path().join("tasks/gb-6m-2024.toml"),
        TASKS.replace("owners = [\"cai-be\"]", "owners = [\"cai-lay\"]"),
    )
    .expect("write");
    let err = String::from_utf8_lossy(&office.run(&["check"]).stderr).into_owned();
    assert!(err.contains("'cai-lay' is not a configured unit"), "{err}");
}

#[test]
fn a_task_from_the_chat_and_a_reply_with_progress_are_recorded() {
    let office = office();
    let config = giaoban::config::Config::load(&office.config).expect("config");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("instant").with_timezone(&Utc);
    runtime.block_on(async {
        let store = office.store().await;
        let refused = giaoban::jobs::briefing::add_task_from_chat(
            &config,
            &store,
            "/task 31-12-2024 cai-be Rà soát án hành chính",
            5012345601,
            at("2024-10-14T10:00:00+07:00"),
        )
        .await
        .expect("store");
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("'31-12-2024' không phải ngày")),
            "{refused:?}"
        );
        let unknown = giaoban::jobs::briefing::add_task_from_chat(
            &config,
            &store,
            "/task 31/12/2024 cai-lay Rà soát án hành chính",
            5012345601,
            at("2024-10-14T10:00:00+07:00"),
        )
        .await
        .expect("store");
        assert_eq!(unknown, Err("'cai-lay' không phải mã đơn vị".to_string()));
        let id = giaoban::jobs::briefing::add_task_from_chat(
            &config,
            &store,
            "/task@giaoban_bot 31/12/2024 cai-be,an-phu Rà soát, giảm án hành chính",
            5012345601,
            at("2024-10-14T10:00:00+07:00"),
        )
        .await
        .expect("store")
        .expect("accepted");
        assert_eq!(id, "chat-1");

        let ignored = giaoban::jobs::briefing::progress_from_reply(
            &config,
            &store,
            Some("cai-be"),
            &["chat-1".to_string()],
            "Cảm ơn",
            at("2024-10-20T10:00:00+07:00"),
        )
        .await
        .expect("store");
        assert_eq!(ignored, None);
        let not_owner = giaoban::jobs::briefing::progress_from_reply(
            &config,
            &store,
            Some("binh-minh"),
            &["chat-1".to_string()],
            "xong",
            at("2024-10-20T10:00:00+07:00"),
        )
        .await
        .expect("store");
        assert_eq!(not_owner, None, "only an owner reports on a task");
        for unit in ["cai-be", "an-phu"] {
            let p = giaoban::jobs::briefing::progress_from_reply(
                &config,
                &store,
                Some(unit),
                &["chat-1".to_string(), "t2".to_string()],
                "chat-1 đã xong: đã rà soát 12 vụ",
                at("2024-10-20T10:00:00+07:00"),
            )
            .await
            .expect("store")
            .expect("progress");
            assert_eq!(p.note.as_deref(), Some("đã rà soát 12 vụ"));
        }
        store.close().await;
    });
    let doc = office.json(&["tasks", "--at", "2024-10-21T09:00:00+07:00"]);
    let task = doc["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["id"] == "chat-1")
        .cloned()
        .expect("the chat's task");
    assert_eq!(task["title"], "Rà soát, giảm án hành chính");
    assert_eq!(task["owners"], serde_json::json!(["cai-be", "an-phu"]));
    assert_eq!(task["due"], "2024-12-31");
    assert_eq!(task["state"], "done");
    // Before it was added, it did not exist.
    assert!(
        task_states(&office, "2024-10-13T09:00:00+07:00")
            .iter()
            .all(|(id, _)| id != "chat-1")
    );
}

#[test]
fn a_morning_reminder_still_undelivered_when_the_meeting_begins_is_not_sent() {
    let office = office();
    tick(&office, "2024-10-07T09:00:00+07:00");
    // Planned before the window opens, held to 07:30; the next pass is after 08:00.
    let (q, _) = tick(&office, "2024-10-14T06:00:00+07:00");
    assert_eq!(of_kinds(&q, &["meeting"]), vec!["meeting:gb-9m-2024:2024-9M:day"]);
    let (_, chat) = tick(&office, "2024-10-14T09:00:00+07:00");
    assert!(!chat.contains("Nhắc lịch họp hôm nay"), "{chat}");
    let doc = office.json(&["meetings", "--at", "2024-10-14T09:00:00+07:00"]);
    let day = doc["meetings"]
        .as_array()
        .expect("meetings")
        .iter()
        .flat_map(|m| m["sent"].as_array().cloned().unwrap_or_default())
        .find(|s| s["key"] == "meeting:gb-9m-2024:2024-9M:day")
        .expect("the morning reminder's row");
    assert_eq!(day["state"], "expired");
}

#[test]
fn progress_on_a_sheet_of_an_xlsx_report_is_read_too() {
    let config = config().replacen(
        "path = \"data/{unit}/{report}-{period}.json\"",
        "format = \"xlsx\"\npath = \"data/{unit}/{report}-{period}.xlsx\"",
        1,
    );
    let office = Office::new(&config);
    std::fs::create_dir_all(office.path().join("tasks")).expect("tasks folder");
    std::fs::write(office.path().join("tasks/gb-6m-2024.toml"), TASKS).expect("tasks file");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Số liệu").expect("name");
    ws.write_string(0, 0, "Thời gian gửi").expect("cell");
    ws.write_string(0, 1, "2024-09-16 10:00").expect("cell");
    ws.write_string(1, 0, "Chỉ tiêu").expect("cell");
    ws.write_string(1, 1, "Số liệu").expect("cell");
    ws.write_string(2, 0, "Số vụ án thụ lý").expect("cell");
    ws.write_number(2, 1, 5000.0).expect("cell");
    ws.write_string(3, 0, "Số vụ án đã giải quyết").expect("cell");
    ws.write_number(3, 1, 4200.0).expect("cell");
    let ws = wb.add_worksheet();
    ws.set_name("Nhiệm vụ").expect("name");
    for (r, row) in [
        ["Mã nhiệm vụ", "Tiến độ", "Ghi chú"],
        ["t1", "Đã hoàn thành", "Đã ra quân đợt cao điểm"],
        ["t2", "Đang thực hiện", ""],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).expect("cell");
        }
    }
    let folder = office.path().join("data/an-phu");
    std::fs::create_dir_all(&folder).expect("folder");
    wb.save(folder.join("9m-2024-9M.xlsx")).expect("save");
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M", "--unit", "an-phu"]);
    assert!(out.contains("new_revision"), "{out}");
    let doc = office.json(&["tasks", "--at", "2024-09-20T09:00:00+07:00"]);
    let t1 = doc["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["id"] == "t1")
        .cloned()
        .expect("t1");
    assert_eq!(t1["pending"], serde_json::json!(["binh-minh"]), "{t1}");
    assert_eq!(t1["note"], "Đã ra quân đợt cao điểm");
}

#[test]
fn a_recurring_meeting_sits_after_each_period_and_speaks_english_when_asked() {
    let config = OFFICE.replace("language = \"vi\"", "language = \"en\"").replace(
        "\"2024-09-02..2024-09-03\"]",
        "\"2024-09-02..2024-09-03\", \"2024-10-11\"]",
    ) + r#"
[[meetings]]
id = "gb-9m"
title = "Nine-month briefing"
every = "nine_months"
day = 11
time = "14:00"
reports = ["9m"]
place = "Hall A"
"#;
    let office = Office::new(&config);
    let doc = office.json(&["meetings", "--at", "2024-10-01T09:00:00+07:00"]);
    let sittings: Vec<(String, String)> = doc["meetings"]
        .as_array()
        .expect("meetings")
        .iter()
        .map(|m| {
            (
                m["period"].as_str().unwrap_or_default().to_string(),
                m["at"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    // 11/10/2023 was a Wednesday; 11/10/2024 is a holiday here, so Monday 14/10;
    // 11/10/2025 is a Saturday, so Monday 13/10.
    assert!(
        sittings.contains(&("2023-9M".into(), "2023-10-11T07:00:00Z".into())),
        "{sittings:?}"
    );
    assert!(
        sittings.contains(&("2024-9M".into(), "2024-10-14T07:00:00Z".into())),
        "{sittings:?}"
    );
    assert!(
        sittings.contains(&("2025-9M".into(), "2025-10-13T07:00:00Z".into())),
        "{sittings:?}"
    );
    let (q, chat) = tick(&office, "2024-10-07T15:00:00+07:00");
    assert_eq!(of_kinds(&q, &["meeting"]), vec!["meeting:gb-9m:2024-9M"]);
    assert!(
        chat.contains("📅 Meeting invitation: Nine-month briefing (9 months of 2024)"),
        "{chat}"
    );
    assert!(
        chat.contains("• When: 14:00 on 14/10/2024 (moved from 11/10/2024, not a working day)"),
        "{chat}"
    );
    assert!(chat.contains("• Where: Hall A"), "{chat}");
    let check = office.ok(&["check"]);
    assert!(check.contains("meetings (1):"), "{check}");
    assert!(check.contains("gb-9m: "), "{check}");
}

#[test]
fn a_meeting_without_the_period_it_reviews_is_a_config_error() {
    let config = OFFICE.to_string()
        + r#"
[[meetings]]
id = "gb"
title = "Giao ban"
at = "2024-10-11 08:00"
attendees = ["an-phu", "cai-lay"]
"#;
    let office = Office::new(&config);
    let out = office.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("key `meetings[0]`: a meeting with `at` needs the `period`"),
        "{err}"
    );
    assert!(
        err.contains("key `meetings[0].attendees[1]`: 'cai-lay' is not a configured unit"),
        "{err}"
    );
}

#[test]
fn a_reply_to_the_task_reminder_in_the_group_is_progress_on_its_task() {
    const TOKEN_ENV: &str = "GIAOBAN_TEST_TOKEN";
    let fake = support::telegram::FakeTelegram::start();
    let config = config()
        + &format!(
            "\n[telegram]\ntoken_env = \"{TOKEN_ENV}\"\napi_url = \"{}\"\nchat_id = -100123\nrequest_timeout = 5\n",
            fake.url
        );
    let office = Office::new(&config);
    std::fs::create_dir_all(office.path().join("tasks")).expect("tasks folder");
    std::fs::write(office.path().join("tasks/gb-6m-2024.toml"), TASKS).expect("tasks file");
    let out = office.run_with(
        &["tick", "--at", "2024-09-27T09:00:00+07:00"],
        &[(TOKEN_ENV, "123456:SECRET-TOKEN-abc")],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The fake numbers the messages it accepts from 1001 on, in order.
    let sends: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method.starts_with("send"))
        .collect();
    let at = sends
        .iter()
        .position(|r| r.text.as_deref().is_some_and(|t| t.contains("Nhiệm vụ sắp đến hạn")))
        .expect("the task reminder reached the group");
    let message_id = 1001 + at as i64;
    let config = giaoban::config::Config::load(&office.config).expect("config");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let now = DateTime::parse_from_rfc3339("2024-09-28T10:00:00+07:00")
        .expect("instant")
        .with_timezone(&Utc);
    runtime.block_on(async {
        let store = office.store().await;
        let reply = |unit: &'static str, id: i64, text: &'static str| {
            let (config, store) = (&config, &store);
            async move {
                giaoban::jobs::briefing::progress_from_reply_to_message(
                    config,
                    store,
                    Some(unit),
                    (-100123, id),
                    text,
                    now,
                )
                .await
                .expect("store")
            }
        };
        assert_eq!(reply("an-phu", message_id, "xong").await, None, "which of t1 and t3?");
        assert_eq!(reply("an-phu", 999, "t1 xong").await, None, "not a task message");
        let p = reply("an-phu", message_id, "t1 xong, đã ra quân")
            .await
            .expect("progress");
        assert_eq!((p.task.as_str(), p.note.as_deref()), ("t1", Some("đã ra quân")));
        let p = reply("binh-minh", message_id, "T1 hoàn thành").await.expect("progress");
        assert_eq!(p.task, "t1");
        store.close().await;
    });
    assert_eq!(
        state_of(&task_states(&office, "2024-09-29T09:00:00+07:00"), "t1"),
        "done"
    );
}
