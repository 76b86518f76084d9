//! `giaoban template` through the real binary: a file an office hands out
//! (letterhead, title with report and period, the unit's name, units of
//! measure, signatures, A4 print setup), read back with calamine and from
//! its XML.

mod support;

use support::xlsx::{part, rows, texts};
use support::{OFFICE, Office};

fn office() -> Office {
    let config = OFFICE
        .replace(
            "label = \"Số vụ án thụ lý\"",
            "label = \"Số vụ án thụ lý\"\nunit_label = \"vụ\"",
        )
        .replace(
            "[[units]]\nid = \"an-phu\"",
            "[letterhead]\nissuer = \"BAN NỘI CHÍNH TỈNH ỦY\"\nheading = [\"ĐẢNG CỘNG SẢN VIỆT NAM\"]\nplace = \"Tây Ninh\"\n\n[[units]]\nid = \"an-phu\"",
        );
    Office::new(&config)
}

#[test]
fn the_template_reads_like_an_office_document() {
    let office = office();
    let file = office.path().join("bieu-mau.xlsx");
    let path = file.to_str().expect("path");
    office.ok(&[
        "template", "--report", "9m", "--xlsx", path, "--unit", "an-phu", "--period", "2024-9M",
    ]);
    let cells = texts(&file, "Số liệu");
    for wanted in [
        "BAN NỘI CHÍNH TỈNH ỦY",
        "HUYỆN AN PHÚ",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Tây Ninh, ngày …… tháng …… năm 20……",
        "BÁO CÁO GIAO BAN 9 THÁNG NĂM 2024",
        "Huyện An Phú",
        "9 tháng năm 2024",
        "Đơn vị tính",
        "vụ",
        "NGƯỜI LẬP BIỂU",
        "THỦ TRƯỞNG ĐƠN VỊ",
    ] {
        assert!(cells.iter().any(|c| c == wanted), "no cell '{wanted}': {cells:?}");
    }
    // The metric row: label, hidden key, unit of measure.
    let sheet = rows(&file, "Số liệu");
    let accepted = sheet
        .iter()
        .find(|r| {
            r.iter()
                .any(|c| matches!(c, calamine::Data::String(s) if s == "Số vụ án thụ lý"))
        })
        .expect("the row of cases_accepted");
    assert_eq!(accepted[2].to_string(), "cases_accepted");
    assert_eq!(accepted[3].to_string(), "vụ");

    let xml = part(&file, "xl/worksheets/sheet1.xml");
    assert!(
        xml.contains(r#"<col min="3" max="3""#) && xml.contains(r#"hidden="1""#),
        "key column hidden: {xml}"
    );
    assert!(xml.contains("<sheetProtection"), "locked: {xml}");
    assert!(xml.contains(r#"paperSize="9""#), "A4");
    assert!(xml.contains(r#"orientation="portrait""#), "portrait");
    assert!(xml.contains(r#"<pageSetUpPr fitToPage="1"/>"#), "fit to page");
    assert!(xml.contains(r#"fitToHeight="0""#), "one page wide, as long as needed");
    let book = part(&file, "xl/workbook.xml");
    assert!(book.contains("_xlnm.Print_Titles"), "header row repeated: {book}");
    // The label column is wide and its rows fitted, so labels are whole.
    assert!(xml.contains(r#"<col min="2" max="2" width="50.7"#), "{xml}");

    // The kinds' drop-down offers Vietnamese names from the help sheet.
    let cases = part(&file, "xl/worksheets/sheet2.xml");
    assert!(cases.contains("Hướng dẫn'!$A$5:$A$6"), "{cases}");
    let help = texts(&file, "Hướng dẫn");
    assert!(help.iter().any(|c| c == "Khiếu nại lần đầu"), "{help:?}");
}

#[test]
fn a_filled_in_template_is_collected_as_written() {
    let office = office();
    let folder = office.path().join("data/an-phu");
    std::fs::create_dir_all(&folder).expect("folder");
    let file = folder.join("9m-2024-9M.xlsx");
    let path = file.to_str().expect("path");
    office.ok(&[
        "template", "--report", "9m", "--xlsx", path, "--unit", "an-phu", "--period", "2024-9M",
    ]);
    // The blank template read as the unit's file: it says who and when, but
    // has no figures yet.
    let config = std::fs::read_to_string(office.path().join("giaoban.toml")).expect("config");
    std::fs::write(
        office.path().join("giaoban.toml"),
        config.replace(
            "path = \"data/{unit}/{report}-{period}.json\"",
            "path = \"data/{unit}/{report}-{period}.xlsx\"",
        ),
    )
    .expect("write config");
    let out = office.ok(&["collect", "--report", "9m", "--period", "2024-9M", "--unit", "an-phu"]);
    // Only the missing figures are wrong: unit, report and period read back
    // from the hidden codes beside the words.
    assert_eq!(
        out.trim(),
        "9m 2024-9M an-phu             rejected: tệp không có số liệu",
        "{out}"
    );
}
