//! The console courier: prints each message as it would read in chat.

use std::io::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::Sent;
use crate::domain::text::html_to_plain;
use crate::store::outbox::OutboxRow;

pub struct Console {
    out: Box<dyn Write + Send>,
    tz: Tz,
}

impl Console {
    pub fn stdout(tz: Tz) -> Console {
        Console {
            out: Box::new(std::io::stdout()),
            tz,
        }
    }

    pub fn new(out: Box<dyn Write + Send>, tz: Tz) -> Console {
        Console { out, tz }
    }

    pub fn send(&mut self, row: &OutboxRow, now: DateTime<Utc>) -> Sent {
        let at = now.with_timezone(&self.tz).format("%d/%m/%Y %H:%M");
        let mut text = format!("──── {at} · {} ────\n{}\n", row.kind, html_to_plain(&row.text));
        for f in &row.files {
            text.push_str(&format!("📎 {} ({} KB)\n", f.name, f.bytes.len().div_ceil(1024)));
        }
        text.push('\n');
        match self.out.write_all(text.as_bytes()).and_then(|_| self.out.flush()) {
            Ok(()) => Sent::Ok {
                chat_id: None,
                message_id: None,
            },
            Err(e) => Sent::Retry {
                error: format!("console: {e}"),
                at: now + chrono::Duration::seconds(30),
            },
        }
    }
}
