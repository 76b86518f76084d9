//! Reading a report laid out as a table, the way Vietnamese templates (biểu
//! mẫu) are: shared by CSV and XLSX, which differ only in how they give cells.
//!
//! The metrics table has one row per metric: a cell naming it (key, label or
//! alias) and a cell with its value. With a header row (`Chỉ tiêu` / `Mã` and
//! `Số liệu`, or `key,value`) the columns are taken from it and the rows
//! above it may only declare the file's unit, report, period and time; columns
//! such as `STT`, `Đơn vị tính` and `Ghi chú` are ignored. Without one, each
//! row's name is its first text cell that is not an ordinal and its value the
//! first numeric-looking cell after it, and rows that name no metric and carry
//! no number (titles) are skipped. A cases table starts at a header row
//! naming a reference and a kind column; any column not listed in
//! [`case_role`] (names of complainants included) is never read.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

use crate::domain::regime::{Regime, Report};
use crate::domain::submission::{CaseRecord, RawValue, Submission, resolve_metric};
use crate::domain::text::normalize_header;

/// A cell as a format gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Int(i64),
    Float(f64),
    Text(String),
    DateTime(NaiveDateTime),
    Bool(bool),
}

impl Cell {
    /// A text cell, trimmed; empty text is [`Cell::Empty`].
    pub fn text(s: &str) -> Cell {
        let t = s.trim();
        if t.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(t.to_string())
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    fn as_text(&self) -> Option<String> {
        match self {
            Cell::Empty => None,
            Cell::Int(n) => Some(n.to_string()),
            Cell::Float(f) => Some(f.to_string()),
            Cell::Text(s) => Some(s.clone()),
            Cell::DateTime(t) => Some(t.format("%Y-%m-%dT%H:%M:%S").to_string()),
            Cell::Bool(b) => Some(b.to_string()),
        }
    }

    fn looks_numeric(&self) -> bool {
        match self {
            Cell::Int(_) | Cell::Float(_) => true,
            Cell::Text(s) => s.bytes().any(|b| b.is_ascii_digit()),
            _ => false,
        }
    }

    fn raw(&self) -> RawValue {
        match self {
            Cell::Empty => RawValue::Empty,
            Cell::Int(n) => RawValue::Int(*n),
            Cell::Float(f) => RawValue::Float(*f),
            other => RawValue::Text(other.as_text().unwrap_or_default()),
        }
    }
}

/// How much of a file the parsers read before refusing it (`[collection]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_rows: usize,
    pub max_columns: usize,
    pub max_inflated_bytes: u64,
    pub max_depth: usize,
}

impl Limits {
    /// Most cells (or JSON values) kept in memory for one file.
    pub fn max_cells(&self) -> usize {
        self.max_rows.saturating_mul(self.max_columns)
    }
}

impl From<&crate::config::Collection> for Limits {
    fn from(c: &crate::config::Collection) -> Self {
        Limits {
            max_rows: c.max_rows as usize,
            max_columns: c.max_columns as usize,
            max_inflated_bytes: c.max_inflated_bytes,
            max_depth: c.max_depth as usize,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from(&crate::config::Collection::default())
    }
}

/// What the parsers need from the config.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub report: &'a Report,
    pub regime: &'a Regime,
    pub limits: Limits,
}

impl Context<'_> {
    fn en(&self) -> bool {
        self.regime.language.is_english()
    }

    pub fn msg(&self, en: String, vi: String) -> String {
        if self.en() { en } else { vi }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetricRole {
    Ordinal,
    Name,
    Key,
    Measure,
    Value,
    Note,
}

fn metric_role(header: &str) -> Option<MetricRole> {
    use MetricRole::*;
    Some(match normalize_header(header).as_str() {
        "stt" | "tt" | "số tt" | "số thứ tự" | "no" | "no." | "#" => Ordinal,
        "chỉ tiêu" | "tên chỉ tiêu" | "nội dung" | "nội dung chỉ tiêu" | "tên" | "label" | "name" | "metric" => {
            Name
        }
        "key" | "mã" | "mã chỉ tiêu" | "mã số" | "code" => Key,
        "đơn vị tính" | "đvt" | "đơn vị đo" | "unit of measure" | "uom" => Measure,
        "value" | "số liệu" | "giá trị" | "số lượng" | "kết quả" | "thực hiện" | "số liệu kỳ báo cáo" | "count" => {
            Value
        }
        "ghi chú" | "note" | "notes" => Note,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meta {
    Unit,
    Report,
    Period,
    SubmittedAt,
}

fn meta_field(name: &str) -> Option<Meta> {
    Some(match normalize_header(name).as_str() {
        "unit" | "đơn vị" | "mã đơn vị" | "đơn vị báo cáo" => Meta::Unit,
        "report" | "báo cáo" | "mã báo cáo" | "loại báo cáo" => Meta::Report,
        "period" | "kỳ báo cáo" | "kỳ" | "mã kỳ báo cáo" => Meta::Period,
        "submitted_at" | "thời gian gửi" | "ngày gửi" | "ngày báo cáo" => Meta::SubmittedAt,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CaseRole {
    Ref,
    Kind,
    ReceivedOn,
    AcceptedOn,
    Complex,
    Extensions,
    Status,
    ResolvedOn,
}

fn case_role(header: &str) -> Option<CaseRole> {
    use CaseRole::*;
    Some(match normalize_header(header).as_str() {
        "ref" | "số hiệu" | "số hiệu đơn" | "mã đơn" | "số hồ sơ" | "mã hồ sơ" => Ref,
        "kind" | "loại" | "loại đơn" | "loại đơn thư" | "loại vụ việc" => Kind,
        "received_on" | "ngày nhận" | "ngày tiếp nhận" | "ngày nhận đơn" => ReceivedOn,
        "accepted_on" | "ngày thụ lý" => AcceptedOn,
        "complex" | "phức tạp" | "vụ việc phức tạp" => Complex,
        "extensions" | "gia hạn" | "số lần gia hạn" => Extensions,
        "status" | "trạng thái" | "tình trạng" => Status,
        "resolved_on" | "ngày giải quyết" | "ngày giải quyết xong" => ResolvedOn,
        _ => return None,
    })
}

struct MetricColumns {
    name: Option<usize>,
    key: Option<usize>,
    value: usize,
}

fn metric_header(row: &[Cell]) -> Option<MetricColumns> {
    let roles: Vec<Option<MetricRole>> = row
        .iter()
        .map(|c| match c {
            Cell::Text(s) => metric_role(s),
            _ => None,
        })
        .collect();
    let find = |r: MetricRole| roles.iter().position(|x| *x == Some(r));
    let value = find(MetricRole::Value)?;
    let (name, key) = (find(MetricRole::Name), find(MetricRole::Key));
    (name.is_some() || key.is_some()).then_some(MetricColumns { name, key, value })
}

fn case_header(row: &[Cell]) -> Option<Vec<Option<CaseRole>>> {
    let roles: Vec<Option<CaseRole>> = row
        .iter()
        .map(|c| match c {
            Cell::Text(s) => case_role(s),
            _ => None,
        })
        .collect();
    (roles.contains(&Some(CaseRole::Ref)) && roles.contains(&Some(CaseRole::Kind))).then_some(roles)
}

/// Text from the file as a message quotes it.
fn quote(s: &str) -> String {
    crate::domain::text::excerpt(s, crate::domain::submission::QUOTE_CHARS)
}

/// An ordinal as templates number rows: `1`, `1.`, `I`, `IV.`, `a)`.
fn is_ordinal(s: &str) -> bool {
    let t = s.trim().trim_end_matches(['.', ')']);
    !t.is_empty()
        && (t.bytes().all(|b| b.is_ascii_digit())
            || t.chars().all(|c| "IVXLivxl".contains(c))
            || (t.chars().count() == 1 && t.chars().all(|c| c.is_ascii_lowercase())))
}

/// Reads a sheet holding the metrics table (and maybe a cases table below it).
pub fn read_metrics(rows: &[Vec<Cell>], ctx: Context<'_>, sub: &mut Submission) -> Result<(), String> {
    let header_at = rows
        .iter()
        .position(|r| case_header(r).is_none() && metric_header(r).is_some());
    let cases_at = rows.iter().position(|r| case_header(r).is_some());
    let metrics_end = cases_at.unwrap_or(rows.len());
    match header_at.filter(|h| *h < metrics_end) {
        Some(h) => {
            for row in &rows[..h] {
                read_meta_row(row, ctx, sub)?;
            }
            let cols = metric_header(&rows[h]).ok_or_else(|| "header row vanished".to_string())?;
            for row in &rows[h + 1..metrics_end] {
                let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).and_then(Cell::as_text);
                let names: Vec<String> = [cell(cols.key), cell(cols.name)].into_iter().flatten().collect();
                let Some(name) = names
                    .iter()
                    .find(|n| resolve_metric(ctx.report, n).is_some())
                    .or(names.first())
                else {
                    continue;
                };
                let value = row.get(cols.value).cloned().unwrap_or(Cell::Empty);
                if resolve_metric(ctx.report, name).is_none()
                    && let Some(meta) = meta_field(name)
                {
                    set_meta(meta, &value, ctx, sub)?;
                } else if !value.is_empty() {
                    sub.metrics.push((name.clone(), value.raw()));
                }
            }
        }
        None => {
            for row in &rows[..metrics_end] {
                read_loose_row(row, ctx, sub)?;
            }
        }
    }
    if let Some(c) = cases_at {
        read_cases(&rows[c..], ctx, sub)?;
    }
    Ok(())
}

/// Words of a header that names a person or how to reach one.
const PERSONAL: [&str; 22] = [
    "họ tên",
    "họ và tên",
    "tên người",
    "người khiếu nại",
    "người tố cáo",
    "người gửi",
    "người đứng đơn",
    "người kiến nghị",
    "điện thoại",
    "sđt",
    "địa chỉ",
    "nơi cư trú",
    "cccd",
    "cmnd",
    "căn cước",
    "chứng minh",
    "email",
    "phone",
    "address",
    "full name",
    "complainant",
    "id card",
];

fn is_personal(header: &str) -> bool {
    let h = normalize_header(header);
    PERSONAL.iter().any(|w| h.contains(w))
}

/// Refuses a sheet holding a table that looks like cases — a header row
/// with a reference or kind column, or a column named like a person, a
/// phone, an address or an ID card — that is not a recognised cases header:
/// such a table is never read, and only its column names are quoted.
pub fn refuse_unknown_cases_table(rows: &[Vec<Cell>], ctx: Context<'_>) -> Result<(), String> {
    for row in rows {
        if case_header(row).is_some() {
            // A recognised cases table: its rows are read by their columns only.
            return Ok(());
        }
        if metric_header(row).is_some() {
            continue;
        }
        // A header row is text only, and names no metric or file detail.
        let mut texts = Vec::new();
        for c in row {
            match c {
                Cell::Empty => {}
                Cell::Text(t) if !Cell::Text(t.clone()).looks_numeric() => texts.push(t.as_str()),
                _ => {
                    texts.clear();
                    break;
                }
            }
        }
        if texts.len() < 2
            || texts
                .iter()
                .any(|t| resolve_metric(ctx.report, t).is_some() || meta_field(t).is_some())
        {
            continue;
        }
        let case_like = |t: &&str| matches!(case_role(t), Some(CaseRole::Ref | CaseRole::Kind));
        let flagged: Vec<String> = texts
            .iter()
            .filter(|t| case_like(t) || is_personal(t))
            .take(8)
            .map(|t| format!("'{}'", quote(t)))
            .collect();
        if flagged.is_empty() {
            continue;
        }
        let columns = flagged.join(", ");
        return Err(ctx.msg(
            format!(
                "the file holds a table that looks like a list of cases (columns {columns}) but its header is not the template's (it needs Ref and Kind columns); none of its cells was read. Never write the names, phones, addresses or ID numbers of complainants"
            ),
            format!(
                "tệp có bảng giống danh sách đơn thư (các cột {columns}) nhưng dòng tiêu đề không đúng biểu mẫu (cần cột Số hiệu và Loại đơn); không ô nào của bảng được đọc. Không ghi họ tên, số điện thoại, địa chỉ, số CCCD của người khiếu nại, tố cáo"
            ),
        ));
    }
    Ok(())
}

/// Reads a sheet that may hold a cases table; `false` when it has none.
pub fn read_cases_sheet(rows: &[Vec<Cell>], ctx: Context<'_>, sub: &mut Submission) -> Result<bool, String> {
    match rows.iter().position(|r| case_header(r).is_some()) {
        Some(c) => read_cases(&rows[c..], ctx, sub).map(|()| true),
        None => Ok(false),
    }
}

/// Whether a sheet has a metrics header row.
pub fn has_metrics_header(rows: &[Vec<Cell>]) -> bool {
    rows.iter()
        .any(|r| case_header(r).is_none() && metric_header(r).is_some())
}

/// The first text cell that is not an ordinal, with its index.
fn name_cell(row: &[Cell]) -> Option<(usize, String)> {
    row.iter().enumerate().find_map(|(i, c)| match c {
        Cell::Text(s) if !is_ordinal(s) => Some((i, s.clone())),
        _ => None,
    })
}

fn read_meta_row(row: &[Cell], ctx: Context<'_>, sub: &mut Submission) -> Result<(), String> {
    if let Some((i, name)) = name_cell(row)
        && let Some(meta) = meta_field(&name)
        && let Some(value) = row[i + 1..].iter().find(|c| !c.is_empty())
    {
        set_meta(meta, value, ctx, sub)?;
    }
    Ok(())
}

fn read_loose_row(row: &[Cell], ctx: Context<'_>, sub: &mut Submission) -> Result<(), String> {
    let Some((i, name)) = name_cell(row) else {
        return Ok(());
    };
    let rest = &row[i + 1..];
    let known = resolve_metric(ctx.report, &name).is_some();
    if !known && let Some(meta) = meta_field(&name) {
        if let Some(value) = rest.iter().find(|c| !c.is_empty()) {
            set_meta(meta, value, ctx, sub)?;
        }
        return Ok(());
    }
    let value = rest.iter().find(|c| c.looks_numeric()).or_else(|| {
        if known {
            rest.iter().rfind(|c| !c.is_empty())
        } else {
            None
        }
    });
    if let Some(value) = value {
        sub.metrics.push((name, value.raw()));
    }
    Ok(())
}

fn set_meta(meta: Meta, value: &Cell, ctx: Context<'_>, sub: &mut Submission) -> Result<(), String> {
    let Some(text) = value.as_text() else {
        return Ok(());
    };
    match meta {
        Meta::Unit => {
            // A unit may write its name instead of its id.
            let wanted = normalize_header(&text);
            let id = ctx
                .regime
                .units
                .iter()
                .find(|u| normalize_header(&u.name) == wanted)
                .map_or(text, |u| u.id.clone());
            sub.unit = Some(id);
        }
        Meta::Report => sub.report = Some(text),
        Meta::Period => sub.period = Some(text),
        Meta::SubmittedAt => {
            let tz = &ctx.regime.timezone;
            let parsed = match value {
                Cell::DateTime(t) => tz.from_local_datetime(t).earliest().map(|t| t.fixed_offset()),
                _ => parse_local_instant(&text, tz),
            };
            sub.submitted_at = Some(parsed.ok_or_else(|| {
                let text = quote(&text);
                ctx.msg(
                    format!("submitted_at '{text}' is not a date-time (e.g. 2024-09-17 15:20)"),
                    format!("thời gian gửi '{text}' không đúng định dạng ngày giờ (ví dụ 17/09/2024 15:20)"),
                )
            })?);
        }
    }
    Ok(())
}

/// RFC 3339, `YYYY-MM-DD HH:MM`, or `DD/MM/YYYY HH:MM` as Vietnamese offices
/// write it, in the configured zone.
fn parse_local_instant(s: &str, tz: &chrono_tz::Tz) -> Option<DateTime<FixedOffset>> {
    if let Some(t) = super::json::parse_instant(s, tz) {
        return Some(t);
    }
    let s = s.trim();
    for fmt in ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return tz.from_local_datetime(&n).earliest().map(|t| t.fixed_offset());
        }
    }
    None
}

fn read_cases(rows: &[Vec<Cell>], ctx: Context<'_>, sub: &mut Submission) -> Result<(), String> {
    let Some((header, body)) = rows.split_first() else {
        return Ok(());
    };
    let roles = case_header(header).unwrap_or_default();
    for row in body {
        let cell = |r: CaseRole| {
            roles
                .iter()
                .position(|x| *x == Some(r))
                .and_then(|i| row.get(i))
                .unwrap_or(&Cell::Empty)
        };
        use CaseRole::*;
        let read = [
            Ref, Kind, ReceivedOn, AcceptedOn, Complex, Extensions, Status, ResolvedOn,
        ];
        if read.iter().all(|r| cell(*r).is_empty()) {
            continue;
        }
        let n = sub.cases.len() + 1;
        let reference = cell(Ref).as_text().ok_or_else(|| {
            ctx.msg(
                format!("case {n} has no ref"),
                format!("đơn thư thứ {n} thiếu số hiệu (ref)"),
            )
        })?;
        let kind_text = cell(Kind).as_text().unwrap_or_default();
        // A unit may write the kind's label instead of its code.
        let kind = ctx
            .regime
            .case_rules
            .iter()
            .find(|r| r.kind == kind_text || normalize_header(&r.label) == normalize_header(&kind_text))
            .map_or(kind_text.clone(), |r| r.kind.clone());
        let date = |r: CaseRole, field: &str| -> Result<Option<NaiveDate>, String> {
            match cell(r) {
                Cell::Empty => Ok(None),
                Cell::DateTime(t) => Ok(Some(t.date())),
                other => {
                    let s = other.as_text().unwrap_or_default();
                    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                        .or_else(|_| NaiveDate::parse_from_str(&s, "%d/%m/%Y"))
                        .map(Some)
                        .map_err(|_| {
                            let s = quote(&s);
                            ctx.msg(
                                format!("case {n}: {field} '{s}' is not a date (YYYY-MM-DD or DD/MM/YYYY)"),
                                format!("đơn thư thứ {n}: {field} '{s}' không đúng định dạng ngày (DD/MM/YYYY)"),
                            )
                        })
                }
            }
        };
        let complex = match cell(Complex) {
            Cell::Empty => false,
            Cell::Bool(b) => *b,
            Cell::Int(i) => *i != 0,
            other => {
                let s = other.as_text().unwrap_or_default();
                match normalize_header(&s).as_str() {
                    "x" | "có" | "co" | "true" | "yes" | "1" | "phức tạp" => true,
                    "không" | "khong" | "false" | "no" | "0" | "-" => false,
                    _ => {
                        let s = quote(&s);
                        return Err(ctx.msg(
                            format!("case {n}: complex '{s}' is not yes/no"),
                            format!("đơn thư thứ {n}: cột phức tạp '{s}' phải là có/không"),
                        ));
                    }
                }
            }
        };
        let extensions = match cell(Extensions) {
            Cell::Empty => 0,
            other => match crate::domain::submission::parse_count(&other.raw()) {
                Ok(k) if (0..=i64::from(u32::MAX)).contains(&k) => k as u32,
                _ => {
                    let s = quote(&other.as_text().unwrap_or_default());
                    return Err(ctx.msg(
                        format!("case {n}: extensions '{s}' is not a whole number"),
                        format!("đơn thư thứ {n}: số lần gia hạn '{s}' không phải số nguyên"),
                    ));
                }
            },
        };
        let resolved_on = date(ResolvedOn, "resolved_on")?;
        let status = cell(Status).as_text().unwrap_or_default();
        sub.cases.push(CaseRecord {
            reference,
            kind,
            received_on: date(ReceivedOn, "received_on")?,
            accepted_on: date(AcceptedOn, "accepted_on")?,
            complex,
            extensions,
            resolved: crate::domain::submission::is_resolved_status(&status) || resolved_on.is_some(),
            resolved_on,
        });
    }
    Ok(())
}

/// Which column of a tasks table (progress on key tasks) a header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaskRole {
    Id,
    Status,
    Note,
}

fn task_role(header: &str) -> Option<TaskRole> {
    Some(match normalize_header(header).as_str() {
        "task" | "task id" | "mã nhiệm vụ" | "nhiệm vụ" => TaskRole::Id,
        "status" | "progress" | "tiến độ" | "kết quả thực hiện" | "tình trạng" | "trạng thái" => {
            TaskRole::Status
        }
        "note" | "ghi chú" | "nội dung thực hiện" => TaskRole::Note,
        _ => return None,
    })
}

fn task_header(row: &[Cell]) -> Option<Vec<Option<TaskRole>>> {
    let roles: Vec<Option<TaskRole>> = row
        .iter()
        .map(|c| match c {
            Cell::Text(s) => task_role(s),
            _ => None,
        })
        .collect();
    (roles.contains(&Some(TaskRole::Id)) && roles.contains(&Some(TaskRole::Status))).then_some(roles)
}

/// `done` / `in_progress`, in English or Vietnamese words.
fn task_status(s: &str) -> Option<crate::domain::briefing::ProgressStatus> {
    use crate::domain::briefing::ProgressStatus;
    match normalize_header(s).as_str() {
        "done" | "xong" | "đã xong" | "hoàn thành" | "đã hoàn thành" => Some(ProgressStatus::Done),
        "in_progress" | "in progress" | "đang thực hiện" | "đang làm" => Some(ProgressStatus::InProgress),
        _ => None,
    }
}

/// Reads a sheet that may hold a tasks table (a header naming a task id
/// column and a status column, e.g. `Mã nhiệm vụ`, `Tiến độ`, `Ghi chú`);
/// `false` when it has none.
pub fn read_tasks_sheet(rows: &[Vec<Cell>], ctx: Context<'_>, sub: &mut Submission) -> Result<bool, String> {
    let Some(at) = rows.iter().position(|r| task_header(r).is_some()) else {
        return Ok(false);
    };
    let roles = task_header(&rows[at]).unwrap_or_default();
    for row in &rows[at + 1..] {
        let cell = |r: TaskRole| {
            roles
                .iter()
                .position(|x| *x == Some(r))
                .and_then(|i| row.get(i))
                .and_then(Cell::as_text)
        };
        let Some(id) = cell(TaskRole::Id) else { continue };
        let status_text = cell(TaskRole::Status).unwrap_or_default();
        let status = task_status(&status_text).ok_or_else(|| {
            let quote = |s: &str| crate::domain::text::excerpt(s, crate::domain::submission::QUOTE_CHARS);
            let (id, status_text) = (quote(&id), quote(&status_text));
            ctx.msg(
                format!("task {id}: status '{status_text}' is not done or in progress"),
                format!(
                    "nhiệm vụ {id}: trạng thái '{status_text}' không phải \"đã hoàn thành\" hoặc \"đang thực hiện\""
                ),
            )
        })?;
        sub.tasks.push(crate::domain::submission::TaskReport {
            id,
            status,
            note: cell(TaskRole::Note).map(|n| n.chars().take(500).collect()),
        });
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::tests::office;

    fn rows(text: &[&[&str]]) -> Vec<Vec<Cell>> {
        text.iter().map(|r| r.iter().map(|c| Cell::text(c)).collect()).collect()
    }

    fn refused(text: &[&[&str]]) -> Option<String> {
        let (regime, report) = office();
        let ctx = Context {
            report: &report,
            regime: &regime,
            limits: Limits::default(),
        };
        refuse_unknown_cases_table(&rows(text), ctx).err()
    }

    #[test]
    fn a_table_like_cases_with_an_unknown_header_is_refused_by_its_column_names() {
        let err = refused(&[
            &["Thụ lý", "10"],
            &["STT", "Số đơn", "Loại", "Họ tên", "Địa chỉ"],
            &["1", "KN-1", "Khiếu nại", "Nguyễn Văn A", "12 Lê Lợi"],
        ])
        .expect("refused");
        assert!(err.contains("'Loại', 'Họ tên', 'Địa chỉ'"), "{err}");
        assert!(!err.contains("Nguyễn") && !err.contains("Lê Lợi"), "{err}");
    }

    #[test]
    fn metric_rows_titles_signatures_and_a_recognised_cases_table_are_not_refused() {
        assert_eq!(
            refused(&[
                &["BÁO CÁO TÌNH HÌNH TIẾP CÔNG DÂN, GIẢI QUYẾT KHIẾU NẠI"],
                &["Đơn vị", "Huyện An Phú"],
                &["STT", "Chỉ tiêu", "Số liệu"],
                &["1", "Số người khiếu nại đông người", "5"],
                &["Người lập biểu", "Thủ trưởng đơn vị"],
            ]),
            None
        );
        assert_eq!(
            refused(&[
                &["Số hiệu", "Loại đơn", "Họ tên người khiếu nại"],
                &["KN-1", "Khiếu nại lần đầu", "Nguyễn Văn A"],
            ]),
            None,
            "a recognised cases table: the name column is simply never read"
        );
    }
}
