//! The JSON submission format (see the README):
//! `{"unit", "report", "period", "submitted_at", "metrics": {key: count}, "cases": [...]}`.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use serde_json::Value;

use super::table::Limits;
use crate::domain::regime::Language;
use crate::domain::submission::{CaseRecord, RawValue, Submission};

/// Parses a JSON file into a [`Submission`]. Errors are written for the unit
/// that sent the file, in the chat language. Fields naming a person are never read.
pub fn parse(bytes: &[u8], tz: &chrono_tz::Tz, lang: Language, limits: Limits) -> Result<Submission, String> {
    let en = lang.is_english();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    check_shape(bytes, limits).map_err(|(depth, values)| match (en, depth) {
        (true, true) => format!("the JSON file nests deeper than {} levels", limits.max_depth),
        (false, true) => format!("tệp JSON lồng quá {} cấp", limits.max_depth),
        (true, false) => format!("the JSON file holds more than {values} values"),
        (false, false) => format!("tệp JSON có quá {values} giá trị"),
    })?;
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        if en {
            format!("the file is not valid JSON (line {}, column {})", e.line(), e.column())
        } else {
            format!("tệp không phải JSON hợp lệ (dòng {}, cột {})", e.line(), e.column())
        }
    })?;
    let Value::Object(obj) = value else {
        return Err(if en {
            "the JSON file must hold one object".into()
        } else {
            "tệp JSON phải là một đối tượng".into()
        });
    };
    let text = |key: &str| -> Result<Option<String>, String> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(if en {
                format!("'{key}' must be text")
            } else {
                format!("trường '{key}' phải là chuỗi")
            }),
        }
    };
    let submitted_at = match text("submitted_at")? {
        None => None,
        Some(s) => Some(parse_instant(&s, tz).ok_or_else(|| {
            let s = crate::domain::text::excerpt(&s, crate::domain::submission::QUOTE_CHARS);
            if en {
                format!("submitted_at '{s}' is not a date-time (e.g. 2024-09-17T15:20:00+07:00)")
            } else {
                format!("submitted_at '{s}' không đúng định dạng ngày giờ (ví dụ 2024-09-17T15:20:00+07:00)")
            }
        })?),
    };
    let mut metrics = Vec::new();
    match obj.get("metrics") {
        Some(Value::Object(m)) => {
            for (k, v) in m {
                metrics.push((k.clone(), raw_value(v)));
            }
        }
        Some(Value::Array(items)) => {
            // Also accepted: [{"key": "...", "value": ...}, …]
            for item in items {
                let key = item.get("key").and_then(Value::as_str);
                let val = item.get("value").map_or(RawValue::Empty, raw_value);
                match key {
                    Some(k) => metrics.push((k.to_string(), val)),
                    None => {
                        return Err(if en {
                            "each metrics entry needs a \"key\"".into()
                        } else {
                            "mỗi mục trong metrics cần có \"key\"".into()
                        });
                    }
                }
            }
        }
        None | Some(Value::Null) => {}
        Some(_) => {
            return Err(if en {
                "'metrics' must be an object".into()
            } else {
                "trường 'metrics' phải là đối tượng".into()
            });
        }
    }
    let cases = match obj.get("cases") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, c)| case(i, c, en))
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(if en {
                "'cases' must be a list".into()
            } else {
                "trường 'cases' phải là danh sách".into()
            });
        }
    };
    let tasks = match obj.get("tasks") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, t)| task(i, t, en))
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(if en {
                "'tasks' must be a list".into()
            } else {
                "trường 'tasks' phải là danh sách".into()
            });
        }
    };
    Ok(Submission {
        unit: text("unit")?,
        report: text("report")?,
        period: text("period")?,
        submitted_at,
        metrics,
        cases,
        tasks,
    })
}

/// Checks, before anything is built, that the JSON text nests at most
/// `max_depth` levels and holds at most `max_rows × max_columns` values (a
/// rough count: separators outside strings). `Err((too_deep, limit))`.
fn check_shape(bytes: &[u8], limits: Limits) -> Result<(), (bool, usize)> {
    let max_values = limits.max_cells();
    let (mut depth, mut values) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err((true, limits.max_depth));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' => {
                values += 1;
                if values > max_values {
                    return Err((false, max_values));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn raw_value(v: &Value) -> RawValue {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map_or_else(|| RawValue::Float(n.as_f64().unwrap_or(f64::NAN)), RawValue::Int),
        Value::String(s) => RawValue::Text(s.clone()),
        Value::Null => RawValue::Empty,
        other => RawValue::Text(other.to_string()),
    }
}

/// RFC 3339, or a local date-time without offset read in the configured zone.
pub fn parse_instant(s: &str, tz: &chrono_tz::Tz) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return tz.from_local_datetime(&n).earliest().map(|t| t.fixed_offset());
        }
    }
    None
}

/// `{"id", "status": "done" | "in_progress", "note"}`.
fn task(i: usize, t: &Value, en: bool) -> Result<crate::domain::submission::TaskReport, String> {
    use crate::domain::briefing::ProgressStatus;
    let field = |k: &str| {
        t.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let id = field("id").ok_or_else(|| {
        if en {
            format!("task {} has no id", i + 1)
        } else {
            format!("nhiệm vụ thứ {} thiếu mã (id)", i + 1)
        }
    })?;
    let quote = |s: &str| crate::domain::text::excerpt(s, crate::domain::submission::QUOTE_CHARS);
    let status = field("status").unwrap_or_default();
    let status = ProgressStatus::parse(status).ok_or_else(|| {
        let (id, status) = (quote(id), quote(status));
        if en {
            format!("task {id}: status '{status}' is not done or in_progress")
        } else {
            format!("nhiệm vụ {id}: trạng thái '{status}' không phải done hoặc in_progress")
        }
    })?;
    Ok(crate::domain::submission::TaskReport {
        id: id.to_string(),
        status,
        note: field("note").map(|n| n.chars().take(500).collect()),
    })
}

fn case(i: usize, c: &Value, en: bool) -> Result<CaseRecord, String> {
    let field = |k: &str| {
        c.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let date = |k: &str| -> Result<Option<chrono::NaiveDate>, String> {
        match field(k) {
            None => Ok(None),
            Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| {
                let s = crate::domain::text::excerpt(s, crate::domain::submission::QUOTE_CHARS);
                if en {
                    format!("case {}: {k} '{s}' is not a date (YYYY-MM-DD)", i + 1)
                } else {
                    format!(
                        "đơn thư thứ {}: {k} '{s}' không đúng định dạng ngày (YYYY-MM-DD)",
                        i + 1
                    )
                }
            }),
        }
    };
    let reference = field("ref").ok_or_else(|| {
        if en {
            format!("case {} has no ref", i + 1)
        } else {
            format!("đơn thư thứ {} thiếu số hiệu (ref)", i + 1)
        }
    })?;
    Ok(CaseRecord {
        reference: reference.to_string(),
        kind: field("kind").unwrap_or_default().to_string(),
        received_on: date("received_on")?,
        accepted_on: date("accepted_on")?,
        complex: c.get("complex").and_then(Value::as_bool).unwrap_or(false),
        extensions: c
            .get("extensions")
            .and_then(Value::as_u64)
            .map_or(0, |n| n.min(u64::from(u32::MAX)) as u32),
        resolved: field("status").is_some_and(crate::domain::submission::is_resolved_status)
            || field("resolved_on").is_some(),
        resolved_on: date("resolved_on")?,
    })
}
