//! The console courier: prints each message as it would read in chat.

use std::io::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::Sent;
use crate::domain::text::html_to_plain;
use crate::store::outbox::OutboxRow;

/// Standard output for the console courier. When the reader has gone
/// (`giaoban demo | head`), the program ends quietly with exit code 0, as the
/// verbs' own output does, instead of retrying into a closed pipe.
struct QuietStdout;

impl Write for QuietStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        quiet(std::io::stdout().write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        quiet(std::io::stdout().flush())
    }
}

fn quiet<T>(r: std::io::Result<T>) -> std::io::Result<T> {
    if let Err(e) = &r
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
    r
}

pub struct Console {
    out: Box<dyn Write + Send>,
    tz: Tz,
}

impl Console {
    pub fn stdout(tz: Tz) -> Console {
        Console {
            out: Box::new(QuietStdout),
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
