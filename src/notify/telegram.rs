//! The Telegram courier: sends outbox rows to the configured group through
//! the Bot API (teloxide, HTML parse mode), one row at a time and in order,
//! within Telegram's rate limits. Each answer Telegram really gives is handled:
//!
//! - ok: the message id is stored (per part of a split message, so a retry
//!   resends only what did not go out);
//! - 429 with `retry_after`: the row waits that long, and every row after it;
//! - network errors, timeouts, 5xx and other unknown answers: retried with
//!   exponential backoff and jitter, indefinitely, each failure logged and
//!   kept on the row;
//! - the chat refuses the bot (kicked, blocked, chat not found, no rights to
//!   send, deactivated): the row fails with the reason and the chat is held —
//!   later rows wait instead of hitting the same wall, and one of them is
//!   tried again every `refused_retry`; the first that gets through lifts the
//!   hold;
//! - "can't parse entities": the same text is resent once as plain text;
//! - `migrate_to_chat_id`: the new supergroup id is stored and used from now
//!   on, the row is resent there, and the admins are told to update the config;
//! - any other "Bad Request": that row fails, the next ones go on.
//!
//! The token is in every request URL, so every error is redacted before it
//! is logged or stored.

use std::error::Error as _;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use teloxide::payloads::{SendDocumentSetters, SendMessageSetters, SendPhotoSetters};
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, InputFile, MessageId, ParseMode, ReplyParameters, ThreadId};
use teloxide::{ApiError, Bot, RequestError};

use super::limit::{Limits, next_slot};
use super::{Sent, backoff};
use crate::config::{Secret, Telegram as Settings};
use crate::domain::plan::{ADMIN_NEWS_FOR, Audience, NoticeKind};
use crate::domain::regime::Language;
use crate::domain::render;
use crate::domain::text::{TELEGRAM_MAX_LEN, html_to_plain, split_html};
use crate::store::outbox::{self, OutboxRow};
use crate::store::{Store, StoreError, telegram as chats};

#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    // The URL is not echoed: an admin might have pasted a token into it.
    #[error("telegram.api_url is not a valid URL")]
    ApiUrl,
    #[error("cannot build the HTTP client for Telegram: {0}")]
    Client(String),
}

pub struct Telegram {
    bot: Bot,
    token: Secret,
    store: Store,
    chat_id: i64,
    thread_id: Option<i32>,
    admin_chat_id: Option<i64>,
    admins: Vec<i64>,
    language: Language,
    limits: Limits,
    refused_retry: chrono::Duration,
    timeout: StdDuration,
}

/// Where one request goes within its chat.
struct Addressed {
    /// Answer this message (the first part of a reply).
    reply_to: Option<i32>,
    /// Post in the configured forum topic.
    in_topic: bool,
}

/// Why one request did not get an ok.
#[derive(Debug)]
enum Failure {
    Request(RequestError),
    /// No answer within the timeout (the message may still have arrived).
    Timeout(StdDuration),
}

impl std::fmt::Debug for Telegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telegram")
            .field("chat_id", &self.chat_id)
            .field("thread_id", &self.thread_id)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// How an error answer is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// 429: wait exactly this long.
    RetryAfter(i64),
    /// Network, timeout, 5xx, unknown: retry with backoff.
    Temporary,
    /// The chat refuses the bot: fail the row and hold the chat.
    ChatRefused,
    /// This message cannot be sent as it is: fail the row, go on.
    Rejected,
}

fn classify(e: &RequestError) -> Class {
    match e {
        RequestError::RetryAfter(s) => Class::RetryAfter(i64::from(s.seconds())),
        RequestError::Network(_) | RequestError::InvalidJson { .. } | RequestError::Io(_) => Class::Temporary,
        // A second migration within one attempt: try again later.
        RequestError::MigrateToChatId(_) => Class::Temporary,
        RequestError::Api(api) => match api {
            ApiError::BotBlocked
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::UserDeactivated
            | ApiError::ChatNotFound
            | ApiError::GroupDeactivated
            | ApiError::NotEnoughRightsToPostMessages
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots => Class::ChatRefused,
            // A wrong token ("Not Found") is fixed by the operator; keep the
            // rows and retry, loudly.
            ApiError::InvalidToken => Class::Temporary,
            ApiError::Unknown(description) => classify_description(description),
            _ => Class::Rejected,
        },
    }
}

/// Answers teloxide does not name, by their description.
fn classify_description(description: &str) -> Class {
    let d = description.to_lowercase();
    let refused = [
        "forbidden",
        "not enough rights",
        "have no rights",
        "chat_write_forbidden",
        "chat not found",
        "kicked",
        "deactivated",
        "message thread not found",
        "topic_closed",
        "topic_deleted",
    ];
    if refused.iter().any(|r| d.contains(r)) {
        Class::ChatRefused
    } else if d.starts_with("bad request") {
        Class::Rejected
    } else {
        Class::Temporary
    }
}

/// Removes the token from a text (it is in every request URL), whether written
/// as is or percent-encoded, and any other `/bot…/` path segment.
pub fn redact(text: &str, token: &str) -> String {
    let mut out = text.to_string();
    if !token.is_empty() {
        out = out.replace(token, "<token>");
        out = out.replace(&token.replace(':', "%3A"), "<token>");
        out = out.replace(&token.replace(':', "%3a"), "<token>");
    }
    let mut clean = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find("/bot") {
        clean.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        let end = rest
            .find(|c: char| c == '/' || c == ')' || c == '"' || c == '\'' || c.is_whitespace())
            .unwrap_or(rest.len());
        if rest[..end].contains(':') {
            clean.push_str("<token>");
            rest = &rest[end..];
        }
    }
    clean.push_str(rest);
    clean
}

impl Telegram {
    pub fn new(
        settings: &Settings,
        token: Secret,
        store: Store,
        language: Language,
    ) -> Result<Telegram, TelegramError> {
        let url = url::Url::parse(&settings.api_url).map_err(|_| TelegramError::ApiUrl)?;
        if url.cannot_be_a_base() {
            return Err(TelegramError::ApiUrl);
        }
        let client = teloxide::net::default_reqwest_settings()
            .timeout(settings.request_timeout + StdDuration::from_secs(1))
            .connect_timeout(settings.request_timeout.min(StdDuration::from_secs(5)))
            .build()
            .map_err(|e| TelegramError::Client(redact(&e.to_string(), token.expose())))?;
        let bot = Bot::with_client(token.expose(), client).set_api_url(url);
        Ok(Telegram {
            bot,
            token,
            store,
            chat_id: settings.chat_id,
            thread_id: settings.thread_id,
            admin_chat_id: settings.admin_chat_id,
            admins: settings.admins.clone(),
            language,
            limits: Limits {
                per_chat_per_minute: settings.per_chat_per_minute,
                per_second: settings.per_second,
            },
            refused_retry: settings.refused_retry,
            timeout: settings.request_timeout,
        })
    }

    /// An error as an operator reads it: the whole cause chain, token removed.
    fn describe(&self, failure: &Failure) -> String {
        let e = match failure {
            Failure::Request(e) => e,
            Failure::Timeout(d) => {
                return format!(
                    "Telegram: no answer within {} s (a timeout, or a 5xx answer, which teloxide reads only after 10 s)",
                    d.as_secs()
                );
            }
        };
        let mut text = match e {
            RequestError::RetryAfter(s) => format!("Too Many Requests: retry after {} s", s.seconds()),
            RequestError::Api(ApiError::Unknown(d)) => d.clone(),
            RequestError::InvalidJson { raw, .. } => {
                let raw: String = raw.chars().take(200).collect();
                format!("not a Bot API answer: {raw}")
            }
            other => other.to_string(),
        };
        let mut source = e.source();
        while let Some(s) = source {
            let s_text = s.to_string();
            if !text.contains(&s_text) {
                text.push_str(": ");
                text.push_str(&s_text);
            }
            source = s.source();
        }
        format!("Telegram: {}", redact(&text, self.token.expose()))
    }

    /// The chat a row goes to: the admins' chat for admin notices when one
    /// is configured, else the group; in either case the supergroup it
    /// became, if Telegram moved it.
    async fn destination(&self, audience: Audience) -> Result<i64, StoreError> {
        let mut chat = match audience {
            Audience::Admins => self.admin_chat_id.unwrap_or(self.chat_id),
            Audience::Group => self.chat_id,
            Audience::Chat(id) => id,
        };
        let mut conn = self.store.read().await?;
        for _ in 0..5 {
            match chats::chat(&mut conn, chat).await?.and_then(|c| c.migrated_to) {
                Some(next) if next != chat => chat = next,
                _ => break,
            }
        }
        Ok(chat)
    }

    /// The forum topic for messages to `chat`: the configured one in the group only.
    fn thread_for(&self, chat: i64) -> Option<ThreadId> {
        let admins_apart = self.admin_chat_id.is_some_and(|a| a == chat && a != self.chat_id);
        self.thread_id.filter(|_| !admins_apart).map(|t| ThreadId(MessageId(t)))
    }

    /// When the rate limits allow one more message to `chat`: `None` now,
    /// else the real instant of the next free slot. Send times are real
    /// instants recorded when Telegram answered, so the slot is never earlier
    /// than the limit allows.
    async fn slot(&self, chat: i64) -> Result<Option<DateTime<Utc>>, StoreError> {
        let now = Utc::now();
        let (to_chat, to_all) = {
            let mut conn = self.store.read().await?;
            (
                chats::sent_since(&mut conn, now - chrono::Duration::seconds(60), Some(chat)).await?,
                chats::sent_since(&mut conn, now - chrono::Duration::seconds(1), None).await?,
            )
        };
        // A send recorded in the future (the clock stepped back, or another
        // machine's clock runs ahead) is not evidence of a recent send: it is
        // left out, so it can never hold delivery. Telegram's own 429 still
        // guards the rare case where it was real.
        let skew = chrono::Duration::seconds(1);
        let clamp = |list: Vec<DateTime<Utc>>| {
            let mut list: Vec<DateTime<Utc>> = list
                .into_iter()
                .filter(|t| *t <= now + skew)
                .map(|t| t.min(now))
                .collect();
            list.sort();
            list
        };
        let next = next_slot(self.limits, now, &clamp(to_chat), &clamp(to_all));
        Ok((next > now).then_some(next))
    }

    /// How long a claim on `row` must last: every part and file within
    /// `request_timeout`, with room to record each answer.
    pub fn lease_for(&self, row: &OutboxRow) -> chrono::Duration {
        let parts = split_html(&row.text, TELEGRAM_MAX_LEN).len() + row.files.len();
        let each = chrono::Duration::from_std(self.timeout).unwrap_or_default() + chrono::Duration::seconds(5);
        each * (parts.max(1) as i32) + chrono::Duration::seconds(5)
    }

    /// One sendMessage, bounded by `request_timeout` as a whole: teloxide
    /// itself pauses 10 s after a 5xx answer before reading it, and reqwest's
    /// own timeout does not cut that pause short.
    async fn request(&self, chat: i64, text: &str, html: bool, to: &Addressed) -> Result<i64, Failure> {
        let mut req = self.bot.send_message(ChatId(chat), text);
        if html {
            req = req.parse_mode(ParseMode::Html);
        }
        if let Some(id) = to.reply_to {
            let mut reply = ReplyParameters::new(MessageId(id));
            reply.allow_sending_without_reply = Some(true);
            req = req.reply_parameters(reply);
        } else if let Some(t) = self.thread_for(chat).filter(|_| to.in_topic) {
            req = req.message_thread_id(t);
        }
        match tokio::time::timeout(self.timeout, req).await {
            Ok(Ok(message)) => Ok(i64::from(message.id.0)),
            Ok(Err(e)) => Err(Failure::Request(e)),
            Err(_) => Err(Failure::Timeout(self.timeout)),
        }
    }

    /// One sendDocument or sendPhoto for a file that goes with a message,
    /// bounded like [`Self::request`].
    async fn request_file(&self, chat: i64, file: &outbox::Attachment, to: &Addressed) -> Result<i64, Failure> {
        let input = InputFile::memory(file.bytes.clone()).file_name(file.name.clone());
        let thread = self.thread_for(chat).filter(|_| to.in_topic);
        let sent = if file.kind == "photo" {
            let mut req = self.bot.send_photo(ChatId(chat), input);
            if let Some(t) = thread {
                req = req.message_thread_id(t);
            }
            tokio::time::timeout(self.timeout, req).await
        } else {
            let mut req = self.bot.send_document(ChatId(chat), input);
            if let Some(t) = thread {
                req = req.message_thread_id(t);
            }
            tokio::time::timeout(self.timeout, req).await
        };
        match sent {
            Ok(Ok(message)) => Ok(i64::from(message.id.0)),
            Ok(Err(e)) => Err(Failure::Request(e)),
            Err(_) => Err(Failure::Timeout(self.timeout)),
        }
    }

    pub async fn send(&mut self, row: &OutboxRow) -> Result<Sent, StoreError> {
        let mut dest = self.destination(row.audience).await?;
        let held = {
            let mut conn = self.store.read().await?;
            chats::chat(&mut conn, dest).await?.filter(|c| c.held_reason.is_some())
        };
        if let Some(h) = &held {
            let until = h.recheck_at.unwrap_or_else(Utc::now);
            if Utc::now() < until {
                let reason = h.held_reason.clone().unwrap_or_default();
                return Ok(Sent::Wait {
                    until,
                    reason: Some(format!(
                        "held: chat {dest} refused the bot ({reason}); next try {until}"
                    )),
                });
            }
            tracing::debug!(chat = dest, "trying a chat that refused the bot again");
        }
        let mut probing = held.is_some();
        // Notices to the group go to its topic; a reply goes where it was asked.
        let in_topic = !matches!(row.audience, Audience::Chat(_));
        let texts = split_html(&row.text, TELEGRAM_MAX_LEN);
        // The text's parts, then each attached file: every one is recorded as
        // delivered on its own, so a retry resends only what is missing.
        let parts: Vec<Option<String>> = texts
            .into_iter()
            .map(Some)
            .chain(row.files.iter().map(|_| None))
            .collect();
        let text_parts = parts.iter().filter(|p| p.is_some()).count();
        let done = {
            let mut conn = self.store.read().await?;
            chats::delivered_parts(&mut conn, row.id).await?
        };
        let mut first = done.first().map(|&(_, c, m)| (c, m));
        for (i, part) in parts.iter().enumerate() {
            if done.iter().any(|(p, _, _)| *p == i) {
                continue;
            }
            if let Some(until) = self.slot(dest).await? {
                return Ok(Sent::Wait { until, reason: None });
            }
            let mut html = true;
            let mut migrated = false;
            loop {
                let result = match part {
                    Some(part) => {
                        let text = if html { part.clone() } else { html_to_plain(part) };
                        let to = Addressed {
                            reply_to: row.reply_to.filter(|_| i == 0).and_then(|id| i32::try_from(id).ok()),
                            in_topic,
                        };
                        self.request(dest, &text, html, &to).await
                    }
                    None => match row.files.get(i - text_parts) {
                        Some(file) => {
                            let to = Addressed {
                                reply_to: None,
                                in_topic,
                            };
                            self.request_file(dest, file, &to).await
                        }
                        None => break,
                    },
                };
                match result {
                    Ok(message_id) => {
                        // The answer's real time: what the rate limit counts.
                        let answered = Utc::now();
                        let mut conn = self.store.read().await?;
                        chats::record_message(&mut conn, row.id, i, dest, message_id, answered).await?;
                        if probing {
                            chats::release(&mut conn, dest).await?;
                            tracing::warn!(chat = dest, "the chat accepts messages again; delivery resumes");
                            probing = false;
                        }
                        first.get_or_insert((dest, message_id));
                        break;
                    }
                    Err(Failure::Request(RequestError::MigrateToChatId(new))) if !migrated => {
                        dest = self.follow_migration(dest, new.0, row.not_before).await?;
                        migrated = true;
                    }
                    Err(Failure::Request(RequestError::Api(ApiError::CantParseEntities(d)))) if html => {
                        tracing::warn!(
                            row = row.id,
                            "Telegram cannot parse the message's HTML ({}); sending it as plain text",
                            redact(&d, self.token.expose())
                        );
                        html = false;
                    }
                    Err(e) => return self.failed(row, dest, probing, &e).await,
                }
            }
        }
        Ok(Sent::Ok {
            chat_id: first.map(|(c, _)| c),
            message_id: first.map(|(_, m)| m),
        })
    }

    /// Telegram moved `from` to the supergroup `to`: remember it, tell the
    /// admins (planned with the row that met the move, so it goes out in the
    /// same pass), and send there from now on.
    async fn follow_migration(&self, from: i64, to: i64, planned: DateTime<Utc>) -> Result<i64, StoreError> {
        tracing::warn!(
            from,
            to,
            "Telegram moved the group to a supergroup; sending there from now on (update telegram.chat_id)"
        );
        let now = Utc::now();
        let mut conn = self.store.read().await?;
        chats::set_migrated(&mut conn, from, to, now).await?;
        let text = render::chat_migrated(self.language, from, to, &self.admins);
        let key = format!("telegram_migrated:{from}:{to}");
        outbox::enqueue(
            &mut conn,
            &outbox::NewRow {
                key: &key,
                kind: NoticeKind::Admin.as_str(),
                report: None,
                period: None,
                units: &[],
                atoms: &[],
                text: &text,
                planned_at: planned,
                not_before: planned,
                expires_at: planned + ADMIN_NEWS_FOR,
                audience: Audience::Admins,
                reply_to: None,
            },
        )
        .await?;
        Ok(to)
    }

    /// What an error answer means for the row: retry later, hold the chat, or
    /// fail for good. A chat that refuses the bot keeps the row pending (it
    /// goes out first when the chat accepts the bot again); the hold is
    /// logged when it starts, not at every re-probe.
    async fn failed(&self, row: &OutboxRow, dest: i64, probing: bool, e: &Failure) -> Result<Sent, StoreError> {
        let error = self.describe(e);
        let now = Utc::now();
        let class = match e {
            Failure::Request(e) => classify(e),
            Failure::Timeout(_) => Class::Temporary,
        };
        Ok(match class {
            Class::RetryAfter(secs) => Sent::Retry {
                error,
                at: now + chrono::Duration::seconds(secs.max(1)),
            },
            Class::Temporary => Sent::Retry {
                error,
                at: now + backoff(row.attempts),
            },
            Class::ChatRefused => {
                let recheck = now + self.refused_retry;
                let mut conn = self.store.read().await?;
                chats::hold(&mut conn, dest, &error, now, recheck).await?;
                if !probing {
                    tracing::error!(
                        chat = dest,
                        next_try = %recheck,
                        "the chat refuses the bot; its messages are held until it accepts the bot again: {error}"
                    );
                }
                Sent::Retry { error, at: recheck }
            }
            Class::Rejected => Sent::Failed { error },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_removed_from_error_texts() {
        let token = "123456:SECRET-TOKEN-abc";
        let e = "error sending request for url (http://127.0.0.1:9/bot123456:SECRET-TOKEN-abc/SendMessage)";
        let r = redact(e, token);
        assert!(!r.contains("SECRET"), "{r}");
        assert!(r.contains("/bot<token>/SendMessage"), "{r}");
        assert!(!redact("http://x/bot123456%3ASECRET-TOKEN-abc/GetMe", token).contains("SECRET"));
        // Another token in a URL (after a config change) is removed too.
        assert_eq!(
            redact("GET /bot999:other/SendMessage", token),
            "GET /bot<token>/SendMessage"
        );
        assert_eq!(redact("the bot was kicked", token), "the bot was kicked");
    }

    #[test]
    fn answers_are_sorted_into_what_to_do() {
        assert_eq!(classify(&RequestError::Api(ApiError::ChatNotFound)), Class::ChatRefused);
        assert_eq!(
            classify(&RequestError::Api(ApiError::BotKickedFromSupergroup)),
            Class::ChatRefused
        );
        for d in [
            "Bad Request: not enough rights to send text messages to the chat",
            "Forbidden: bot is not a member of the supergroup chat",
            "Bad Request: message thread not found",
        ] {
            assert_eq!(classify_description(d), Class::ChatRefused, "{d}");
        }
        assert_eq!(classify_description("Internal Server Error"), Class::Temporary);
        assert_eq!(classify_description("Bad Gateway"), Class::Temporary);
        assert_eq!(classify_description("Bad Request: something new"), Class::Rejected);
        assert_eq!(
            classify(&RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(7))),
            Class::RetryAfter(7)
        );
    }
}
