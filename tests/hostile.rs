//! Collection whatever a unit sends, through the real binary: hostile files
//! made in the test, each next to a healthy unit that must still be stored,
//! with the peak memory of the `giaoban collect` process read from the kernel.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use support::hostile::{bomb, long_workbook, run_measured, sheet, workbook};
use support::{OFFICE, Office};

const FILE_SOURCE: &str = "[units.source]\nkind = \"file\"\npath = \"data/{unit}/{report}-{period}.json\"\n";

/// Most memory a collection may take, whatever it reads.
const MAX_RSS: u64 = 300 * 1024 * 1024;

/// The test office with an-phu on JSON (the healthy unit), binh-minh on XLSX
/// and cai-be on CSV, plus `extra` config at the end.
fn office(extra: &str) -> Office {
    let mut parts = OFFICE.split(FILE_SOURCE);
    let head = parts.next().expect("config head");
    let an_phu = parts.next().expect("an-phu");
    let binh_minh = parts.next().expect("binh-minh");
    let rest = parts.next().expect("cai-be and reports");
    let config = format!(
        "{head}{FILE_SOURCE}{an_phu}[units.source]\nkind = \"file\"\npath = \"data/{{unit}}/{{report}}-{{period}}.xlsx\"\n\
         {binh_minh}[units.source]\nkind = \"file\"\npath = \"data/{{unit}}/{{report}}-{{period}}.csv\"\n{rest}\n{extra}"
    );
    let office = Office::new(&config);
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 10, 5);
    office
}

fn unit_file(office: &Office, unit: &str, ext: &str) -> PathBuf {
    let folder = office.path().join("data").join(unit);
    std::fs::create_dir_all(&folder).expect("unit folder");
    folder.join(format!("9m-2024-9M.{ext}"))
}

/// `collect` of the 9-month period, measured: (stdout, stderr, peak bytes).
fn collect(office: &Office, extra: &[&str]) -> (String, String, u64) {
    let mut args = vec!["collect", "--report", "9m", "--period", "2024-9M"];
    args.extend_from_slice(extra);
    let (out, peak) = run_measured(&office.config, &args, &[]);
    eprintln!("PEAK {} MB", peak / 1024 / 1024);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "collect failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    (stdout, stderr, peak)
}

/// The outcome word and detail `collect` printed for `unit`.
fn line<'a>(stdout: &'a str, unit: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.split_whitespace().nth(2) == Some(unit))
        .unwrap_or_else(|| panic!("no line for {unit}:\n{stdout}"))
}

fn stored_error(office: &Office, unit: &str) -> String {
    let doc = office.json(&["status", "--report", "9m", "--period", "2024-9M"]);
    let u = doc["units"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["unit"] == unit)
        .expect("unit listed")
        .clone();
    u["last_collect"]["detail"].as_str().unwrap_or_default().to_string()
}

fn assert_healthy_stored(stdout: &str) {
    assert!(
        line(stdout, "an-phu").contains("new_revision"),
        "the healthy unit is stored:\n{stdout}"
    );
}

#[test]
fn a_sheet_that_declares_a_huge_dimension_is_refused_without_allocating_it() {
    let office = office("");
    let bytes = workbook(
        &sheet(Some("A1:XFD1048576"), &[("cases_accepted", 10), ("cases_resolved", 5)]),
        &[],
    );
    assert!(bytes.len() < 8 * 1024, "a tiny file: {} bytes", bytes.len());
    std::fs::write(unit_file(&office, "binh-minh", "xlsx"), bytes).expect("write");
    let (stdout, _, peak) = collect(&office, &[]);
    assert_healthy_stored(&stdout);
    let l = line(&stdout, "binh-minh");
    assert!(l.contains("rejected") && l.contains("1048576"), "{l}");
    assert!(peak < MAX_RSS, "peak {peak} bytes");
}

#[test]
fn a_healthy_minimal_workbook_is_read_cell_by_cell() {
    let office = office("");
    let bytes = workbook(
        &sheet(Some("A1:B2"), &[("cases_accepted", 10), ("cases_resolved", 5)]),
        &[],
    );
    std::fs::write(unit_file(&office, "binh-minh", "xlsx"), bytes).expect("write");
    let (stdout, _, _) = collect(&office, &[]);
    assert!(line(&stdout, "binh-minh").contains("new_revision"), "{stdout}");
}

#[test]
fn a_zip_bomb_is_refused_once_it_inflates_past_the_limit() {
    let office = office("[collection]\nmax_inflated_bytes = 4000000\n");
    // 64 MB of sheet XML that deflates to a few dozen kilobytes.
    let bytes = bomb(64);
    assert!(bytes.len() < 1024 * 1024, "a small file: {} bytes", bytes.len());
    std::fs::write(unit_file(&office, "binh-minh", "xlsx"), bytes).expect("write");
    let (stdout, _, peak) = collect(&office, &[]);
    assert_healthy_stored(&stdout);
    let l = line(&stdout, "binh-minh");
    assert!(
        l.contains("rejected") && l.contains("giải nén ra quá 4000000 byte"),
        "{l}"
    );
    assert!(peak < MAX_RSS, "peak {peak} bytes");
}

#[test]
fn shared_strings_that_declare_billions_are_refused_before_calamine_reserves_them() {
    let office = office("");
    let strings: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="100000000000"><si><t>x</t></si></sst>"#;
    let bytes = workbook(
        &sheet(None, &[("cases_accepted", 10)]),
        &[("xl/sharedStrings.xml", strings)],
    );
    std::fs::write(unit_file(&office, "binh-minh", "xlsx"), bytes).expect("write");
    let (stdout, _, peak) = collect(&office, &[]);
    assert_healthy_stored(&stdout);
    assert!(line(&stdout, "binh-minh").contains("rejected"), "{stdout}");
    assert!(peak < MAX_RSS, "peak {peak} bytes");
}

#[test]
fn a_million_row_sheet_is_refused_quickly_with_a_short_error() {
    let office = office("");
    let bytes = long_workbook(1_000_000);
    std::fs::write(unit_file(&office, "binh-minh", "xlsx"), bytes).expect("write");
    let started = Instant::now();
    let (stdout, _, peak) = collect(&office, &[]);
    let took = started.elapsed();
    assert_healthy_stored(&stdout);
    let l = line(&stdout, "binh-minh");
    assert!(l.contains("rejected") && l.contains("10000 dòng"), "{l}");
    let error = stored_error(&office, "binh-minh");
    assert!(error.chars().count() < 300, "a short stored error: {error}");
    assert!(peak < MAX_RSS, "peak {peak} bytes");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn csv_rows_and_columns_and_json_depth_are_bounded() {
    let office = office("[collection]\nmax_rows = 100\nmax_columns = 10\n");
    let rows: String = (0..1000).map(|i| format!("row{i},{i}\n")).collect();
    std::fs::write(unit_file(&office, "cai-be", "csv"), rows).expect("write");
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    std::fs::write(unit_file(&office, "binh-minh", "xlsx"), b"not a zip").expect("write");
    let (stdout, _, _) = collect(&office, &[]);
    assert!(line(&stdout, "cai-be").contains("có quá 100 dòng"), "{stdout}");
    std::fs::write(
        unit_file(&office, "cai-be", "csv"),
        format!("cases_accepted{}\n", ",1".repeat(50)),
    )
    .expect("write");
    let (stdout, _, _) = collect(&office, &[]);
    assert!(line(&stdout, "cai-be").contains("có quá 10 cột ở dòng 1"), "{stdout}");
    // The healthy unit turns deep: refused, nothing built.
    office.submit("an-phu", &deep);
    let (stdout, _, _) = collect(&office, &[]);
    assert!(line(&stdout, "an-phu").contains("tệp JSON lồng quá 16 cấp"), "{stdout}");
}

#[test]
fn a_symlink_out_of_the_folder_a_device_and_a_fifo_are_errors_of_their_unit_alone() {
    let office = office("");
    let xlsx = unit_file(&office, "binh-minh", "xlsx");
    std::os::unix::fs::symlink("/dev/zero", &xlsx).expect("symlink");
    let csv = unit_file(&office, "cai-be", "csv");
    let made = std::process::Command::new("mkfifo").arg(&csv).status().expect("mkfifo");
    assert!(made.success());
    let started = Instant::now();
    let (stdout, _, peak) = collect(&office, &[]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a FIFO never blocks the pass"
    );
    assert_healthy_stored(&stdout);
    assert!(
        line(&stdout, "binh-minh").contains("error") && stdout.contains("leads out of the source's folder"),
        "{stdout}"
    );
    assert!(
        line(&stdout, "cai-be").contains("error") && stdout.contains("is not a regular file"),
        "{stdout}"
    );
    assert!(peak < MAX_RSS, "peak {peak} bytes");

    // A symlink inside the folder is followed; a device inside it is refused.
    std::fs::remove_file(&xlsx).expect("remove");
    let real = office.path().join("data").join("binh-minh").join("ban-goc.xlsx");
    std::fs::write(
        &real,
        workbook(&sheet(None, &[("cases_accepted", 10), ("cases_resolved", 5)]), &[]),
    )
    .expect("write");
    std::os::unix::fs::symlink(&real, &xlsx).expect("symlink inside");
    let (stdout, _, _) = collect(&office, &["--unit", "binh-minh"]);
    assert!(line(&stdout, "binh-minh").contains("new_revision"), "{stdout}");
}

#[test]
fn an_environ_link_and_a_quoted_secret_never_reach_the_store_the_log_or_the_chat() {
    // cai-be's CSV quotes the bearer token of an HTTP unit as a figure name:
    // scrubbed from the stored error, the log and the queued message.
    let secret = "bearer-Zt9QxV2mLk8sW4rP";
    let extra = "";
    let mut parts = OFFICE.split(FILE_SOURCE);
    let head = parts.next().expect("config head");
    let an_phu = parts.next().expect("an-phu");
    let binh_minh = parts.next().expect("binh-minh");
    let rest = parts.next().expect("rest");
    let config = format!(
        "{head}{FILE_SOURCE}{an_phu}[units.source]\nkind = \"http\"\nurl = \"http://127.0.0.1:9/{{unit}}.json\"\nbearer_file = \"bearer-token\"\n\
         {binh_minh}[units.source]\nkind = \"file\"\npath = \"data/{{unit}}/{{report}}-{{period}}.csv\"\n{rest}\n\
         [collection]\nretries = 0\nconnect_timeout_secs = 1\ntimeout_secs = 1\n{extra}"
    );
    let office = Office::new(&config);
    std::fs::write(office.path().join("bearer-token"), format!("{secret}\n")).expect("token");
    office.submit_figures("an-phu", "2024-09-16T10:00:00+07:00", 10, 5);
    let csv = unit_file(&office, "cai-be", "csv");
    std::fs::write(&csv, format!("cases_accepted,10\ncases_resolved,5\nTOKEN={secret},7\n")).expect("write");
    let (stdout, stderr, _) = collect(&office, &["--at", "2024-09-17T08:00:00+07:00"]);
    assert_healthy_stored(&stdout);
    assert!(line(&stdout, "cai-be").contains("rejected"), "{stdout}");
    assert!(line(&stdout, "cai-be").contains("TOKEN=***"), "{stdout}");
    let stored = stored_error(&office, "cai-be");
    assert!(stored.contains("TOKEN=***"), "{stored}");
    let chat = office.ok(&["tick", "--at", "2024-09-17T09:00:00+07:00"]);
    assert!(chat.contains("không hợp lệ"), "the invalid report is sent: {chat}");
    for (what, text) in [
        ("stdout", &stdout),
        ("log", &stderr),
        ("store", &stored),
        ("chat", &chat),
    ] {
        assert!(!text.contains(secret), "the secret is in the {what}: {text}");
    }

    // A link to /proc/self/environ is refused before it is read.
    std::fs::remove_file(&csv).expect("remove");
    std::os::unix::fs::symlink("/proc/self/environ", &csv).expect("symlink");
    let (out, _) = run_measured(
        &office.config,
        &["collect", "--report", "9m", "--period", "2024-9M", "--unit", "cai-be"],
        &[("GIAOBAN_HOSTILE_PROBE", "environ-value-9f8e7d")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("leads out of the source's folder"), "{stdout}");
    assert!(!stdout.contains("environ-value-9f8e7d"));
    assert!(!stored_error(&office, "cai-be").contains("environ-value-9f8e7d"));
}

#[test]
fn quoted_cells_are_short_excerpts_and_a_long_list_of_faults_is_counted() {
    let office = office("");
    let long_name = format!("tên\u{7}lạ {}", "x".repeat(10_000));
    let mut csv = format!("cases_accepted,10\ncases_resolved,5\n\"{long_name}\",1\n");
    for i in 0..20 {
        csv.push_str(&format!("chỉ tiêu lạ {i},1\n"));
    }
    std::fs::write(unit_file(&office, "cai-be", "csv"), csv).expect("write");
    let (stdout, _, _) = collect(&office, &[]);
    assert_healthy_stored(&stdout);
    let error = stored_error(&office, "cai-be");
    assert!(error.contains("và 16 lỗi khác"), "{error}");
    assert!(
        error.contains("'tên lạ xxxxxxxx"),
        "control characters removed: {error}"
    );
    assert!(
        error.chars().count() < 600,
        "{} characters: {error}",
        error.chars().count()
    );
    assert!(!error.contains('\u{7}'));
}

#[test]
fn a_cases_table_with_an_unknown_header_is_refused_naming_its_columns_only() {
    let office = office("");
    let csv = "cases_accepted,10\ncases_resolved,5\n\n\
               STT,Số đơn,Loại,Họ tên người khiếu nại,Số điện thoại,Ngày nhận\n\
               1,KN-01,Khiếu nại,Nguyễn Văn Bình,0912345678,02/07/2024\n";
    std::fs::write(unit_file(&office, "cai-be", "csv"), csv).expect("write");
    // The same in a workbook: a header row of text only, then the names.
    let header = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>cases_accepted</t></is></c><c r="B1"><v>10</v></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>cases_resolved</t></is></c><c r="B2"><v>5</v></c></row><row r="4"><c r="A4" t="inlineStr"><is><t>Mã hồ sơ</t></is></c><c r="B4" t="inlineStr"><is><t>Họ và tên</t></is></c><c r="C4" t="inlineStr"><is><t>Địa chỉ</t></is></c></row><row r="5"><c r="A5" t="inlineStr"><is><t>HS-9</t></is></c><c r="B5" t="inlineStr"><is><t>Trần Thị Cúc</t></is></c><c r="C5" t="inlineStr"><is><t>12 Lê Lợi</t></is></c></row></sheetData></worksheet>"#;
    std::fs::write(
        unit_file(&office, "binh-minh", "xlsx"),
        workbook(header.as_bytes(), &[]),
    )
    .expect("write");
    let (stdout, stderr, _) = collect(&office, &[]);
    assert_healthy_stored(&stdout);
    let csv_error = stored_error(&office, "cai-be");
    assert!(
        csv_error.contains("giống danh sách đơn thư") && csv_error.contains("'Họ tên người khiếu nại'"),
        "{csv_error}"
    );
    let xlsx_error = stored_error(&office, "binh-minh");
    assert!(
        xlsx_error.contains("'Họ và tên'") && xlsx_error.contains("'Địa chỉ'"),
        "{xlsx_error}"
    );
    for text in [&stdout, &stderr, &csv_error, &xlsx_error] {
        for person in ["Nguyễn Văn Bình", "0912345678", "Trần Thị Cúc", "Lê Lợi"] {
            assert!(!text.contains(person), "{person} echoed: {text}");
        }
    }
}

#[test]
fn a_file_rejected_before_a_config_fix_is_judged_again_and_force_rejudges() {
    let office = office("");
    // "Giải quyết" is not a name of cases_resolved until the admin adds the alias.
    std::fs::write(unit_file(&office, "cai-be", "csv"), "cases_accepted,10\nGiải quyết,5\n").expect("write");
    let (stdout, _, _) = collect(&office, &[]);
    assert!(line(&stdout, "cai-be").contains("rejected"), "{stdout}");
    let (stdout, _, _) = collect(&office, &[]);
    assert!(
        line(&stdout, "cai-be").contains("unchanged"),
        "same file, same config: {stdout}"
    );
    let (stdout, _, _) = collect(&office, &["--force", "--unit", "cai-be"]);
    assert!(
        line(&stdout, "cai-be").contains("rejected"),
        "--force judges again: {stdout}"
    );
    let fixed = std::fs::read_to_string(&office.config).expect("config").replace(
        "label = \"Số vụ án đã giải quyết\"",
        "label = \"Số vụ án đã giải quyết\"\naliases = [\"Giải quyết\"]",
    );
    std::fs::write(&office.config, fixed).expect("fix the config");
    let (stdout, _, _) = collect(&office, &[]);
    assert!(
        line(&stdout, "cai-be").contains("new_revision"),
        "judged again: {stdout}"
    );
    assert!(
        line(&stdout, "an-phu").contains("unchanged"),
        "an accepted file stays: {stdout}"
    );
    let (stdout, _, _) = collect(&office, &["--force"]);
    assert!(
        line(&stdout, "cai-be").contains("unchanged"),
        "forced, the same accepted file adds no revision: {stdout}"
    );
}
