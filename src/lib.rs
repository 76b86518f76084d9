//! giaoban: a daemon that runs a reporting regime. It collects periodic
//! reports from reporting units, flags late reports, and posts reminders,
//! alerts and summaries to a Telegram group (or the console).
//!
//! Dependencies point one way: `daemon → jobs → {collect, store, notify} → domain`.

pub mod bot;
pub mod cli;
pub mod collect;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod domain;
pub mod export;
pub mod jobs;
pub mod notify;
pub mod ops;
pub mod store;
