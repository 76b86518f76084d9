//! Files that go with a summary: the spreadsheet the office files and the
//! chart it looks at on a phone.

pub mod chart;
pub mod xlsx;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("spreadsheet: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("chart: {0}")]
    Chart(String),
    #[error("chart file: {0}")]
    Io(#[from] std::io::Error),
}
