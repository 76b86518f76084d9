//! Looking inside a written XLSX file: calamine reads the cells; the parts
//! it does not expose (hidden columns, print setup, protection, number
//! formats) are read from the package's XML.

use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};

/// One part of the package (`xl/worksheets/sheet1.xml`) as text.
pub fn part(file: &Path, name: &str) -> String {
    let bytes = std::fs::read(file).expect("read xlsx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an XLSX is a zip");
    let mut entry = zip.by_name(name).unwrap_or_else(|_| panic!("no part {name}"));
    let mut text = String::new();
    entry.read_to_string(&mut text).expect("utf-8 XML");
    text
}

/// The cells of a sheet as rows of calamine values.
pub fn rows(file: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(file).expect("open xlsx");
    let range = book.worksheet_range(sheet).expect("sheet");
    range.rows().map(|r| r.to_vec()).collect()
}

/// Every text cell of a sheet, in reading order.
pub fn texts(file: &Path, sheet: &str) -> Vec<String> {
    rows(file, sheet)
        .into_iter()
        .flatten()
        .filter_map(|c| match c {
            Data::String(s) => Some(s),
            _ => None,
        })
        .collect()
}
