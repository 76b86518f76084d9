//! The summary chart, readable on a phone: each unit's main indicator against
//! the province's, on an axis fitted to the values so that 81 % and 85 % look
//! different, late units in another colour and missing ones named; then how
//! many units sent on time, late or not at all. One title (report and period)
//! and the "as of" time. The font is embedded (DejaVu Sans) so Vietnamese
//! diacritics render anywhere.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::ExportError;
use crate::domain::regime::{IndicatorFormat, Regime, Report};
use crate::domain::render::indicator_value;
use crate::domain::status::UnitState;
use crate::domain::summary::Summary;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "giaoban-sans";

/// Units one chart shows at most: beyond about this many, bars and names
/// overlap on a phone (and drawing ten thousand took most of a second).
pub const CHART_UNITS: usize = 40;

/// Bar colours: on time, late; the province's line.
pub const ON_TIME_BAR: RGBColor = RGBColor(46, 117, 182);
pub const LATE: RGBColor = RGBColor(237, 125, 49);
pub const PROVINCE: RGBColor = RGBColor(192, 0, 0);

/// Width and height in pixels: a 4:5 portrait that fills a phone screen.
pub const SIZE: (u32, u32) = (1080, 1350);

static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // The font is compiled in; failing to parse it would be a build defect.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// A "nice" step (1, 2 or 5 times a power of ten) for an axis spanning `span`.
fn nice_step(span: f64) -> f64 {
    let raw = (span / 5.0).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let unit = raw / magnitude;
    let nice = if unit <= 1.0 {
        1.0
    } else if unit <= 2.0 {
        2.0
    } else if unit <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// The axis range for `values` (already scaled, e.g. percentages as 83.1):
/// from a round number below the smallest to one above the largest, with a
/// margin, so small differences show. Starts at 0 when the smallest value
/// is within a third of the largest's distance from 0 (the bars then keep
/// their honest proportions) or when all are 0; never below 0 for values
/// that are not negative.
pub fn axis_range(values: &[f64]) -> (f64, f64) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (Some(min), Some(max)) = (
        finite.iter().copied().reduce(f64::min),
        finite.iter().copied().reduce(f64::max),
    ) else {
        return (0.0, 1.0);
    };
    if max <= 0.0 && min >= 0.0 {
        return (0.0, 1.0);
    }
    let span = (max - min).max(max.abs() * 0.02).max(1e-9);
    let step = nice_step(span * 1.6);
    let mut lo = ((min - span * 0.3) / step).floor() * step;
    let hi = ((max + span * 0.3) / step).ceil() * step;
    if min >= 0.0 && (lo < 0.0 || min <= max / 3.0) {
        lo = 0.0;
    }
    (lo, hi.max(lo + step))
}

fn err(e: impl std::fmt::Display) -> ExportError {
    ExportError::Chart(e.to_string())
}

/// The chart as PNG bytes.
pub fn summary_chart(regime: &Regime, report: &Report, s: &Summary) -> Result<Vec<u8>, ExportError> {
    register_font();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chart.png");
    draw(regime, report, s, &path)?;
    Ok(std::fs::read(&path)?)
}

/// The rows a chart draws: every one, or beyond [`CHART_UNITS`] the ones
/// with no value of the main indicator (`main`) or the lowest values, kept in
/// the summary's order.
pub fn shown_rows(s: &Summary, main: Option<usize>) -> Vec<usize> {
    let value_of = |i: usize| main.and_then(|idx| s.rows[i].indicators.get(idx).copied().flatten());
    let mut shown: Vec<usize> = (0..s.rows.len()).collect();
    if shown.len() > CHART_UNITS {
        shown.sort_by(|&a, &b| {
            match (value_of(a), value_of(b)) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Less,
                (Some(_), None) => std::cmp::Ordering::Greater,
                (Some(x), Some(y)) => x.total_cmp(&y),
            }
            .then(a.cmp(&b))
        });
        shown.truncate(CHART_UNITS);
        shown.sort_unstable();
    }
    shown
}

fn draw(regime: &Regime, report: &Report, s: &Summary, path: &std::path::Path) -> Result<(), ExportError> {
    let en = regime.language.is_english();
    let lang = regime.language;
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let title = crate::domain::render::report_title(regime, report, s.period);
    let at = crate::domain::text::time_and_date(&s.at.with_timezone(&regime.timezone), lang);
    let as_of = if en {
        format!("As of {at}")
    } else {
        format!("Tình hình đến {at}")
    };
    let (head, body) = root.split_vertically(120);
    head.draw(&Text::new(title.clone(), (40, 24), (FAMILY, 38).into_font()))
        .map_err(err)?;
    head.draw(&Text::new(
        as_of,
        (40, 74),
        (FAMILY, 28).into_font().color(&RGBColor(90, 90, 90)),
    ))
    .map_err(err)?;
    let (top, bottom) = body.split_vertically((SIZE.1 - 120) * 64 / 100);

    // The main indicator: the first percentage, else the first indicator.
    let main = report
        .indicators
        .iter()
        .position(|i| i.format == IndicatorFormat::Percent)
        .or(if report.indicators.is_empty() { None } else { Some(0) });
    let value_of = |r: &crate::domain::summary::UnitRow| main.and_then(|idx| r.indicators.get(idx).copied().flatten());
    let shown = shown_rows(s, main);
    let rows: Vec<&crate::domain::summary::UnitRow> = shown.iter().map(|&i| &s.rows[i]).collect();
    let more = s.rows.len() - rows.len();
    let n = rows.len().max(1);
    if let Some(idx) = main {
        let ind = &report.indicators[idx];
        let values: Vec<Option<f64>> = rows.iter().map(|r| value_of(r)).collect();
        let province = s.indicators.get(idx).copied().flatten();
        let scale = if ind.format == IndicatorFormat::Percent {
            100.0
        } else {
            1.0
        };
        let scaled: Vec<f64> = values
            .iter()
            .flatten()
            .chain(province.iter())
            .map(|v| v * scale)
            .collect();
        let (lo, hi) = axis_range(&scaled);
        let x_desc = match province {
            Some(p) => format!(
                "{} — {} {} ({})",
                ind.label,
                if en { "province" } else { "toàn tỉnh" },
                indicator_value(ind.format, Some(p), lang),
                if en { "red line" } else { "vạch đỏ" }
            ),
            None => ind.label.clone(),
        };
        let x_desc = match (more, en) {
            (0, _) => x_desc,
            (more, true) => format!("{x_desc}; the {n} lowest units, {more} more in the spreadsheet"),
            (more, false) => format!("{x_desc}; {n} đơn vị thấp nhất, {more} đơn vị khác xem bảng tính"),
        };
        let mut chart = ChartBuilder::on(&top)
            .margin(24)
            .margin_right(48)
            .x_label_area_size(80)
            .y_label_area_size(320)
            .build_cartesian_2d(lo..hi, -0.6f64..(n as f64 - 0.4))
            .map_err(err)?;
        let late_word = if en { " (late)" } else { " (muộn)" };
        let names: Vec<String> = rows
            .iter()
            .map(|r| {
                if r.state == UnitState::Late {
                    format!("{}{late_word}", r.name)
                } else {
                    r.name.clone()
                }
            })
            .collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|y| {
                let i = y.round();
                if (y - i).abs() < 0.01 && i >= 0.0 {
                    names.get(n - 1 - i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_label_formatter(&|x| {
                if scale == 100.0 {
                    format!("{x:.0}%")
                } else {
                    format!("{x:.0}")
                }
            })
            .label_style((FAMILY, 26))
            .x_desc(x_desc.as_str())
            .light_line_style(TRANSPARENT)
            .axis_desc_style((FAMILY, 28))
            .draw()
            .map_err(err)?;
        let width = hi - lo;
        for (i, (v, row)) in values.iter().zip(&rows).enumerate() {
            let y = (n - 1 - i) as f64;
            if let Some(v) = v {
                let x = v * scale;
                let color = if row.state == UnitState::Late {
                    LATE
                } else {
                    ON_TIME_BAR
                };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(lo, y - 0.32), (x, y + 0.32)],
                        color.filled(),
                    )))
                    .map_err(err)?;
                // The value just past the bar's end, where it is read.
                chart
                    .draw_series(std::iter::once(Text::new(
                        indicator_value(ind.format, Some(*v), lang),
                        ((x + width * 0.01).min(hi - width * 0.14), y + 0.13),
                        (FAMILY, 28).into_font().color(&BLACK),
                    )))
                    .map_err(err)?;
            } else {
                let missing = if row.state == UnitState::Invalid {
                    if en { "invalid file" } else { "không hợp lệ" }
                } else if en {
                    "not received"
                } else {
                    "chưa gửi"
                };
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("— {missing}"),
                        (lo + width * 0.01, y + 0.12),
                        (FAMILY, 26).into_font().color(&RGBColor(120, 120, 120)),
                    )))
                    .map_err(err)?;
            }
        }
        if let Some(p) = province {
            let x = p * scale;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, -0.6), (x, n as f64 - 0.4)],
                    PROVINCE.stroke_width(4),
                )))
                .map_err(err)?;
        }
    }

    // Submission: on time, late, not received.
    let counts = [
        (
            if en { "On time" } else { "Đúng hạn" },
            s.count(UnitState::OnTime),
            RGBColor(84, 130, 53),
        ),
        (if en { "Late" } else { "Gửi muộn" }, s.count(UnitState::Late), LATE),
        (
            if en { "Not received" } else { "Chưa gửi" },
            s.count(UnitState::Missing) + s.count(UnitState::Invalid),
            RGBColor(165, 165, 165),
        ),
    ];
    let mut chart = ChartBuilder::on(&bottom)
        .caption(
            if en {
                "Submission"
            } else {
                "Tình hình gửi báo cáo"
            },
            (FAMILY, 32),
        )
        .margin(24)
        .x_label_area_size(80)
        .y_label_area_size(300)
        .build_cartesian_2d(0f64..(s.rows.len().max(1) as f64 * 1.15), -0.6f64..2.6f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(3)
        .y_label_formatter(&|y| {
            let i = y.round();
            if (y - i).abs() < 0.01 && (0.0..3.0).contains(&i) {
                counts[2 - i as usize].0.to_string()
            } else {
                String::new()
            }
        })
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc(if en { "units" } else { "đơn vị" })
        .light_line_style(TRANSPARENT)
        .label_style((FAMILY, 26))
        .axis_desc_style((FAMILY, 28))
        .draw()
        .map_err(err)?;
    for (i, (_, c, color)) in counts.iter().enumerate() {
        let y = (2 - i) as f64;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.32), (*c as f64, y + 0.32)],
                color.filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{c}/{}", s.rows.len()),
                (*c as f64 + 0.05, y + 0.12),
                (FAMILY, 26).into_font().color(&BLACK),
            )))
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{CHART_UNITS, axis_range, shown_rows};
    use crate::domain::status::UnitState;
    use crate::domain::summary::{Summary, UnitRow};

    fn summary_of(values: &[Option<f64>]) -> Summary {
        let at = chrono::DateTime::parse_from_rfc3339("2024-09-19T10:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        Summary {
            report: "9m".into(),
            period: "2024-9M".parse().expect("period"),
            at,
            due: at,
            late_after: at,
            rows: values
                .iter()
                .enumerate()
                .map(|(i, v)| UnitRow {
                    unit: format!("u{i}"),
                    name: format!("Đơn vị {i}"),
                    state: if v.is_some() {
                        UnitState::OnTime
                    } else {
                        UnitState::Missing
                    },
                    received_at: None,
                    metrics: Default::default(),
                    indicators: vec![*v],
                    errors: Vec::new(),
                    overdue_cases: 0,
                })
                .collect(),
            totals: Default::default(),
            indicators: vec![None],
            previous: None,
            last_year: None,
            flags: Default::default(),
        }
    }

    #[test]
    fn a_small_office_has_every_unit_in_its_chart() {
        let s = summary_of(&[Some(0.9), None, Some(0.5)]);
        assert_eq!(shown_rows(&s, Some(0),), vec![0, 1, 2]);
    }

    #[test]
    fn a_national_chart_shows_the_units_without_a_value_and_the_lowest_in_order() {
        // 10,000 units: unit 7 sent nothing, units 5000.. have the lowest rates.
        let values: Vec<Option<f64>> = (0..10_000)
            .map(|i| {
                if i == 7 {
                    None
                } else {
                    Some(if i >= 5000 { 0.1 + i as f64 * 1e-6 } else { 0.9 })
                }
            })
            .collect();
        let shown = shown_rows(&summary_of(&values), Some(0));
        assert_eq!(shown.len(), CHART_UNITS);
        assert_eq!(shown[0], 7);
        assert_eq!(shown[1..], (5000..5000 + CHART_UNITS - 1).collect::<Vec<_>>()[..]);
    }

    #[test]
    fn close_rates_get_an_axis_that_shows_their_differences() {
        let (lo, hi) = axis_range(&[81.8, 84.0, 83.1, 85.2]);
        assert!((75.0..=81.8).contains(&lo), "{lo}");
        assert!((85.2..=90.0).contains(&hi), "{hi}");
        // 81,8 % and 85,2 % now differ by more than a third of the axis.
        assert!((85.2 - 81.8) / (hi - lo) > 0.3, "{lo}..{hi}");
    }

    #[test]
    fn values_far_apart_keep_an_axis_from_zero() {
        assert_eq!(axis_range(&[12.0, 80.0]).0, 0.0);
        assert_eq!(axis_range(&[0.0, 0.0]), (0.0, 1.0));
        assert_eq!(axis_range(&[]), (0.0, 1.0));
        let (lo, hi) = axis_range(&[1464.0]);
        assert!(lo < 1464.0 && hi > 1464.0, "{lo}..{hi}");
    }
}
