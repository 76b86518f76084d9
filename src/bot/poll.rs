//! Long polling in the daemon: `getUpdates` with the courier's `api_url` and
//! token; every update is stored before it is handled; network errors and a
//! 409 (another poller on the same token) are ridden out with backoff and
//! logged once, not at every retry.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use teloxide::payloads::{GetUpdatesSetters, SetMyCommandsSetters};
use teloxide::prelude::Requester;
use teloxide::types::{AllowedUpdate, BotCommand, BotCommandScope, ChatId, Recipient};
use teloxide::{ApiError, Bot, RequestError};
use tokio::sync::RwLock;

use super::command::COMMANDS;
use super::handle::{Context, handle};
use super::incoming::Incoming;
use crate::config::{Config, Telegram as Settings};
use crate::notify::telegram::redact;
use crate::store::{Store, StoreError, updates};

/// How long one `getUpdates` waits for news on Telegram's side.
const LONG_POLL_SECS: u32 = 25;

/// The bot, built from `[telegram]`: a client whose timeout covers a long poll.
fn build(settings: &Settings, token: &str) -> Option<Bot> {
    let url = url::Url::parse(&settings.api_url).ok()?;
    let client = teloxide::net::default_reqwest_settings()
        .timeout(Duration::from_secs(u64::from(LONG_POLL_SECS) + 15))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .ok()?;
    Some(Bot::with_client(token, client).set_api_url(url))
}

/// The command menu, in Vietnamese (or English), for the group and for
/// private chats.
async fn register_commands(bot: &Bot, settings: &Settings, english: bool, token: &str) {
    let commands: Vec<BotCommand> = COMMANDS
        .iter()
        .map(|c| {
            let (name, other) = if english { (c.0, c.1) } else { (c.1, c.0) };
            let what = if english { c.4 } else { c.3 };
            BotCommand::new(name, format!("{what} (/{other})"))
        })
        .collect();
    for scope in [
        BotCommandScope::Chat {
            chat_id: Recipient::Id(ChatId(settings.chat_id)),
        },
        BotCommandScope::AllPrivateChats,
    ] {
        if let Err(e) = bot.set_my_commands(commands.clone()).scope(scope).await {
            tracing::warn!("cannot register the bot's commands: {}", redact(&e.to_string(), token));
        }
    }
}

/// Handles every stored update not yet handled, oldest first.
async fn handle_pending(ctx: &Context<'_>) -> Result<usize, StoreError> {
    let mut done = 0;
    loop {
        let batch = {
            let mut conn = ctx.store.read().await?;
            updates::pending(&mut conn, 50).await?
        };
        if batch.is_empty() {
            return Ok(done);
        }
        for stored in batch {
            let now = Utc::now();
            match serde_json::from_str::<Option<Incoming>>(&stored.body) {
                Ok(Some(incoming)) => handle(ctx, &incoming, now).await?,
                _ => {
                    let mut tx = ctx.store.write().await?;
                    updates::finish(&mut tx, stored.update_id, "ignored", Some("not a message"), now).await?;
                    tx.commit().await?;
                }
            }
            done += 1;
        }
    }
}

/// Why the last poll failed, so each kind of trouble is logged once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    OtherPoller,
    Network,
}

/// Polls until `stop` says so. `queued` is called after updates were handled
/// (their answers are in the outbox: wake the courier).
pub async fn run(
    config: Arc<RwLock<Arc<Config>>>,
    store: Store,
    queued: impl Fn() + Send + Sync,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut current: Option<(Settings, Bot, Option<String>, String)> = None;
    let mut trouble: Option<Trouble> = None;
    let mut backoff = Duration::from_secs(1);
    while !*stop.borrow() {
        let cfg = config.read().await.clone();
        let Some(settings) = cfg.telegram.clone() else {
            return;
        };
        if current.as_ref().is_none_or(|(s, ..)| *s != settings) {
            let token = match settings.token.read(&cfg.base_dir) {
                Ok(t) => t.expose().to_string(),
                Err(e) => {
                    tracing::error!("the bot cannot poll: {e}");
                    return;
                }
            };
            let Some(bot) = build(&settings, &token) else {
                tracing::error!("the bot cannot poll: telegram.api_url is not a valid URL");
                return;
            };
            register_commands(&bot, &settings, cfg.regime.language.is_english(), &token).await;
            let username = match bot.get_me().await {
                Ok(me) => me.user.username.clone(),
                Err(_) => None,
            };
            tracing::info!("the bot listens to the group and to private chats");
            current = Some((settings, bot, username, token));
        }
        let Some((_, bot, username, token)) = &current else {
            return;
        };
        let ctx = Context {
            config: &cfg,
            store: &store,
            bot,
            username: username.as_deref(),
        };
        match handle_pending(&ctx).await {
            Ok(0) => {}
            Ok(_) => queued(),
            Err(e) => {
                tracing::error!("handling the bot's updates failed (kept, tried again): {e}");
                store.note_write_error(&e);
            }
        }
        let offset = match store.read().await {
            Ok(mut conn) => updates::next_offset(&mut conn).await.ok().flatten(),
            Err(_) => None,
        };
        let mut req = bot
            .get_updates()
            .timeout(LONG_POLL_SECS)
            .allowed_updates(vec![AllowedUpdate::Message]);
        if let Some(o) = offset.and_then(|o| i32::try_from(o).ok()) {
            req = req.offset(o);
        }
        let answer = tokio::select! {
            a = req => a,
            _ = stop.changed() => break,
        };
        match answer {
            Ok(list) => {
                if let Some(t) = trouble.take() {
                    tracing::info!(?t, "the bot receives updates again");
                }
                backoff = Duration::from_secs(1);
                if list.is_empty() {
                    continue;
                }
                let now = Utc::now();
                let rows: Vec<(i64, Option<i64>, Option<i64>, String)> = list
                    .iter()
                    .map(|u| {
                        let incoming = Incoming::from_update(u);
                        let body = serde_json::to_string(&incoming).unwrap_or_else(|_| "null".into());
                        (
                            i64::from(u.id.0),
                            incoming.as_ref().map(|i| i.chat_id),
                            incoming.as_ref().and_then(|i| i.user_id),
                            body,
                        )
                    })
                    .collect();
                let stored = async {
                    let mut tx = store.write().await?;
                    updates::store(&mut tx, &rows, now).await?;
                    tx.commit().await
                };
                if let Err(e) = stored.await {
                    tracing::error!("cannot store the bot's updates (Telegram keeps them; tried again): {e}");
                    store.note_write_error(&e);
                    tokio::time::sleep(backoff).await;
                }
            }
            Err(e) => {
                let kind = match &e {
                    RequestError::Api(ApiError::TerminatedByOtherGetUpdates) => Trouble::OtherPoller,
                    _ => Trouble::Network,
                };
                if trouble != Some(kind) {
                    let what = redact(&e.to_string(), token);
                    match kind {
                        Trouble::OtherPoller => {
                            tracing::warn!("another process polls this bot (409); retrying with backoff: {what}")
                        }
                        Trouble::Network => {
                            tracing::warn!("the bot cannot reach Telegram; retrying with backoff: {what}")
                        }
                    }
                    trouble = Some(kind);
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => break,
                }
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}
