//! What the bot keeps of an update: who wrote where, the text or caption,
//! and a document's id, name and size. Nothing else of a message is stored
//! (no names, no phone numbers). Texts are cut to a bound.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use teloxide::types::{Update, UpdateKind};

/// The longest text or caption kept; commands and captions are short.
const MAX_TEXT: usize = 1024;
/// The longest file name kept.
const MAX_NAME: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incoming {
    pub update_id: i64,
    pub chat_id: i64,
    /// A private chat with the bot (else a group).
    pub private: bool,
    pub user_id: Option<i64>,
    pub message_id: i32,
    /// When Telegram received the message: a file's submission time.
    pub date: DateTime<Utc>,
    pub text: Option<String>,
    pub caption: Option<String>,
    pub document: Option<Document>,
    /// The message this one replies to (progress on a task message).
    #[serde(default)]
    pub reply_to_message_id: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub file_id: String,
    pub file_name: Option<String>,
    /// As Telegram reports it; the download is bounded anyway.
    pub size: u64,
}

fn bounded(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control() || *c == '\n').take(max).collect()
}

impl Incoming {
    /// The part of an update the bot acts on: a new message (text or a
    /// document). Edits, joins, reactions and the rest are `None`.
    pub fn from_update(update: &Update) -> Option<Incoming> {
        let UpdateKind::Message(msg) = &update.kind else {
            return None;
        };
        Some(Incoming {
            update_id: i64::from(update.id.0),
            chat_id: msg.chat.id.0,
            private: msg.chat.is_private(),
            user_id: msg.from.as_ref().and_then(|u| i64::try_from(u.id.0).ok()),
            message_id: msg.id.0,
            date: msg.date,
            text: msg.text().map(|t| bounded(t, MAX_TEXT)),
            caption: msg.caption().map(|t| bounded(t, MAX_TEXT)),
            document: msg.document().map(|d| Document {
                file_id: d.file.id.0.clone(),
                file_name: d.file_name.as_deref().map(|n| bounded(n, MAX_NAME)),
                size: u64::from(d.file.size),
            }),
            reply_to_message_id: msg.reply_to_message().map(|m| m.id.0),
        })
    }
}
