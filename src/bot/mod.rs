//! The bot: long polling (`getUpdates`) in the daemon, every update stored
//! before it is handled, commands answered and units' files collected. It
//! writes into the store and answers through the outbox, so replies are
//! claimed, rate-limited and retried like every other message.

pub mod command;
pub mod handle;
pub mod incoming;
pub mod poll;
