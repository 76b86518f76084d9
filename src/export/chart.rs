//! The summary chart, readable on a phone: each unit's main indicator against
//! the province's, and how many units sent on time, late or not at all. The
//! font is embedded (DejaVu Sans) so Vietnamese diacritics render anywhere.

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

/// Width and height in pixels: a 4:5 portrait that fills a phone screen.
pub const SIZE: (u32, u32) = (1080, 1350);

static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // The font is compiled in; failing to parse it would be a build defect.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
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

fn draw(regime: &Regime, report: &Report, s: &Summary, path: &std::path::Path) -> Result<(), ExportError> {
    let en = regime.language.is_english();
    let lang = regime.language;
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let title = format!("{} — {}", report.title, s.period.name(en));
    let (top, bottom) = root.split_vertically(SIZE.1 * 68 / 100);

    // The main indicator: the first percentage, else the first indicator.
    let main = report
        .indicators
        .iter()
        .position(|i| i.format == IndicatorFormat::Percent)
        .or(if report.indicators.is_empty() { None } else { Some(0) });
    let n = s.rows.len().max(1);
    if let Some(idx) = main {
        let ind = &report.indicators[idx];
        let values: Vec<Option<f64>> = s
            .rows
            .iter()
            .map(|r| r.indicators.get(idx).copied().flatten())
            .collect();
        let province = s.indicators.get(idx).copied().flatten();
        let scale = if ind.format == IndicatorFormat::Percent {
            100.0
        } else {
            1.0
        };
        let max = values
            .iter()
            .flatten()
            .chain(province.iter())
            .map(|v| v * scale)
            .fold(0.0f64, f64::max)
            .max(if ind.format == IndicatorFormat::Percent {
                100.0
            } else {
                1.0
            });
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
        let mut chart = ChartBuilder::on(&top)
            .caption(&title, (FAMILY, 34))
            .margin(24)
            .x_label_area_size(80)
            .y_label_area_size(300)
            .build_cartesian_2d(0f64..max * 1.12, -0.6f64..(n as f64 - 0.4))
            .map_err(err)?;
        let names: Vec<String> = s.rows.iter().map(|r| r.name.clone()).collect();
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
        let blue = RGBColor(46, 117, 182);
        for (i, v) in values.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            if let Some(v) = v {
                let x = v * scale;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, y - 0.32), (x, y + 0.32)],
                        blue.filled(),
                    )))
                    .map_err(err)?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        indicator_value(ind.format, Some(*v), lang),
                        (max * 0.015, y + 0.13),
                        (FAMILY, 28).into_font().color(&WHITE),
                    )))
                    .map_err(err)?;
            } else {
                chart
                    .draw_series(std::iter::once(Text::new(
                        if en { "no report" } else { "chưa gửi" }.to_string(),
                        (max * 0.01, y + 0.12),
                        (FAMILY, 24).into_font().color(&RGBColor(150, 150, 150)),
                    )))
                    .map_err(err)?;
            }
        }
        if let Some(p) = province {
            let x = p * scale;
            let red = RGBColor(192, 0, 0);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, -0.6), (x, n as f64 - 0.4)],
                    red.stroke_width(4),
                )))
                .map_err(err)?;
        }
    } else {
        top.draw(&Text::new(title, (40, 40), (FAMILY, 34).into_font()))
            .map_err(err)?;
    }

    // Submission: on time, late, not received.
    let counts = [
        (
            if en { "On time" } else { "Đúng hạn" },
            s.count(UnitState::OnTime),
            RGBColor(84, 130, 53),
        ),
        (
            if en { "Late" } else { "Gửi muộn" },
            s.count(UnitState::Late),
            RGBColor(237, 125, 49),
        ),
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
        .build_cartesian_2d(0f64..(n as f64 * 1.15), -0.6f64..2.6f64)
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
