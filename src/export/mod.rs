//! Files people hand out or look at: the summary's spreadsheet and chart, and
//! the template a unit fills in.

pub mod chart;
pub mod template;
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
