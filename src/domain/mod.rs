//! The pure core: periods, calendars, deadlines, formulas, planning and
//! rendering. Nothing in here does I/O or reads the clock; time comes in as an
//! argument. Nothing in here imports tokio, sqlx, reqwest or teloxide.

pub mod briefing;
pub mod calendar;
pub mod case;
pub mod columns;
pub mod deadline;
pub mod flags;
pub mod formula;
pub mod header;
pub mod html;
pub mod period;
pub mod plan;
pub mod regime;
pub mod render;
pub mod reply;
pub mod span;
pub mod status;
pub mod submission;
pub mod summary;
pub mod text;
pub mod views;
