//! A fake Telegram Bot API on 127.0.0.1 that the real teloxide client (inside
//! the real `giaoban` binary) talks to. It records every request and answers
//! `sendMessage` as Telegram does, or as scripted: 429 with `retry_after`, a
//! 5xx, a stall longer than the client's timeout, "chat not found", "bot was
//! kicked", `migrate_to_chat_id`, "can't parse entities", no rights.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Lowercase method name: `sendmessage`, `getme`, …
    pub method: String,
    /// The token in the URL.
    pub token: String,
    pub chat_id: Option<i64>,
    pub text: Option<String>,
    pub parse_mode: Option<String>,
    pub message_thread_id: Option<i64>,
    /// The file name of a sendDocument or sendPhoto upload.
    pub file_name: Option<String>,
    pub body: Value,
    /// When the request arrived.
    pub at: Instant,
}

/// How the fake answers one `sendMessage`.
#[derive(Debug, Clone)]
pub enum Reply {
    Ok,
    TooManyRequests {
        retry_after: u32,
    },
    ServerError(u16),
    /// Waits this long, then answers ok (the client has given up by then).
    Stall(Duration),
    ChatNotFound,
    Kicked,
    NoRights,
    Migrate {
        to: i64,
    },
    CantParseEntities,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Request>,
    script: VecDeque<Reply>,
    /// Answer used when the script is empty.
    fallback: Option<Reply>,
    next_message_id: i64,
    /// Telegram's limits, enforced as a real server would: (messages to one
    /// chat in any 60 s, messages to all chats in any second).
    limits: Option<(usize, usize)>,
    /// Sends accepted so far: (arrival, chat).
    accepted: Vec<(Instant, i64)>,
    /// How many sends were refused with 429 by the enforced limits.
    refused: usize,
    /// Every send waits this long before it is answered.
    delay: Duration,
    /// Updates `getUpdates` hands out (those at or after the offset).
    updates: Vec<Value>,
    /// Files `getFile` knows: id → (path, bytes).
    files: Vec<(String, String, Vec<u8>)>,
    /// `getUpdates` answers 409 this many more times.
    conflicts: usize,
}

pub struct FakeTelegram {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    _runtime: tokio::runtime::Runtime,
}

impl FakeTelegram {
    pub fn start() -> FakeTelegram {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let inner = Arc::new(Mutex::new(Inner {
            next_message_id: 1000,
            ..Default::default()
        }));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new().fallback(handle).with_state(inner.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeTelegram {
            url: format!("http://{addr}"),
            inner,
            _runtime: runtime,
        }
    }

    /// Answers for the next `sendMessage` requests, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.inner.lock().expect("lock").script.extend(replies);
    }

    /// The answer once the script is used up (default: ok).
    pub fn otherwise(&self, reply: Reply) {
        self.inner.lock().expect("lock").fallback = Some(reply);
    }

    /// Answers 429 (with the `retry_after` a real server would give) to any
    /// send beyond `per_chat_per_minute` to one chat in 60 s or `per_second`
    /// to all chats in one second.
    pub fn enforce(&self, per_chat_per_minute: usize, per_second: usize) {
        self.inner.lock().expect("lock").limits = Some((per_chat_per_minute, per_second));
    }

    /// How many sends the enforced limits refused.
    pub fn refused(&self) -> usize {
        self.inner.lock().expect("lock").refused
    }

    /// Every send is answered only after `delay` (a slow server).
    pub fn slow(&self, delay: Duration) {
        self.inner.lock().expect("lock").delay = delay;
    }

    /// Queues an update for `getUpdates` (its `update_id` must be new).
    pub fn push_update(&self, update: Value) {
        self.inner.lock().expect("lock").updates.push(update);
    }

    /// A file `getFile` and the download answer for `file_id`.
    pub fn add_file(&self, file_id: &str, bytes: &[u8]) {
        let path = format!("documents/{file_id}.bin");
        self.inner
            .lock()
            .expect("lock")
            .files
            .push((file_id.to_string(), path, bytes.to_vec()));
    }

    /// The next `n` polls answer 409 (another poller).
    pub fn conflict(&self, n: usize) {
        self.inner.lock().expect("lock").conflicts = n;
    }

    /// The offsets `getUpdates` was called with.
    pub fn offsets(&self) -> Vec<Option<i64>> {
        self.requests()
            .iter()
            .filter(|r| r.method == "getupdates")
            .map(|r| r.body["offset"].as_i64())
            .collect()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().expect("lock").requests.clone()
    }

    /// The `sendMessage` requests only.
    pub fn messages(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "sendmessage")
            .collect()
    }
}

/// The enforced limits' answer to a send, if it is one too many; else the
/// send is counted.
fn over_limit(inner: &Arc<Mutex<Inner>>, request: &Request) -> Option<Response> {
    let mut s = inner.lock().expect("lock");
    let chat = request.chat_id.unwrap_or(0);
    let now = Instant::now();
    if let Some((per_chat, per_second)) = s.limits {
        let within = |window: Duration| s.accepted.iter().filter(move |(t, _)| now.duration_since(*t) < window);
        let to_chat: Vec<Instant> = within(Duration::from_secs(60))
            .filter(|(_, c)| *c == chat)
            .map(|(t, _)| *t)
            .collect();
        let to_all = within(Duration::from_secs(1)).count();
        if to_chat.len() >= per_chat || to_all >= per_second {
            s.requests.push(request.clone());
            s.refused += 1;
            let wait = if to_chat.len() >= per_chat {
                60 - now.duration_since(to_chat[to_chat.len() - per_chat]).as_secs()
            } else {
                1
            };
            return Some(error(
                429,
                &format!("Too Many Requests: retry after {wait}"),
                Some(json!({"retry_after": wait})),
            ));
        }
    }
    s.accepted.push((now, chat));
    None
}

fn error(code: u16, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(p) = parameters {
        body["parameters"] = p;
    }
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(body),
    )
        .into_response()
}

/// A field of a multipart/form-data upload, read crudely: enough for a fake.
fn form_field(raw: &str, name: &str) -> Option<String> {
    let start = raw.find(&format!("name=\"{name}\""))?;
    let rest = &raw[start..];
    let value = &rest[rest.find("\r\n\r\n")? + 4..];
    Some(value[..value.find("\r\n")?].to_string())
}

/// A text message from `user` in `chat` (negative: a group; the user's own
/// id: a private chat), as Telegram sends it in an update.
pub fn message(update_id: i64, chat: i64, user: i64, text: &str) -> Value {
    let mut u = base_message(update_id, chat, user);
    u["message"]["text"] = json!(text);
    if text.starts_with('/') {
        let len = text.split_whitespace().next().unwrap_or("").encode_utf16().count();
        u["message"]["entities"] = json!([{"type": "bot_command", "offset": 0, "length": len}]);
    }
    u
}

/// A document sent by `user` in `chat`, with a caption.
pub fn document(update_id: i64, chat: i64, user: i64, file_id: &str, name: &str, size: usize, caption: &str) -> Value {
    let mut u = base_message(update_id, chat, user);
    u["message"]["document"] = json!({
        "file_id": file_id, "file_unique_id": format!("u{file_id}"), "file_name": name, "file_size": size
    });
    if !caption.is_empty() {
        u["message"]["caption"] = json!(caption);
    }
    u
}

fn base_message(update_id: i64, chat: i64, user: i64) -> Value {
    let chat_json = if chat > 0 {
        json!({"id": chat, "type": "private", "first_name": "Cán bộ"})
    } else {
        json!({"id": chat, "type": "supergroup", "title": "Giao ban"})
    };
    json!({
        "update_id": update_id,
        "message": {
            "message_id": 500 + update_id,
            "date": 1_726_740_000,
            "chat": chat_json,
            "from": {"id": user, "is_bot": false, "first_name": "Cán bộ"}
        }
    })
}

async fn handle(State(inner): State<Arc<Mutex<Inner>>>, uri: Uri, raw: Bytes) -> Response {
    if let Some(rest) = uri.path().strip_prefix("/file/bot") {
        // teloxide sends the file path as one percent-encoded segment.
        let path = rest
            .split_once('/')
            .map(|(_, p)| p.replace("%2F", "/").replace("%2f", "/"))
            .unwrap_or_default();
        let s = inner.lock().expect("lock");
        return match s.files.iter().find(|(_, p, _)| *p == path) {
            Some((_, _, bytes)) => bytes.clone().into_response(),
            None => (StatusCode::NOT_FOUND, "no such file").into_response(),
        };
    }
    let mut segments = uri.path().trim_start_matches('/').splitn(2, '/');
    let token = segments.next().unwrap_or("").trim_start_matches("bot").to_string();
    let method = segments.next().unwrap_or("").to_lowercase();
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let form = String::from_utf8_lossy(&raw).to_string();
    let upload = method == "senddocument" || method == "sendphoto";
    let request = Request {
        method: method.clone(),
        token,
        chat_id: body["chat_id"].as_i64().or_else(|| {
            upload
                .then(|| form_field(&form, "chat_id")?.trim().parse().ok())
                .flatten()
        }),
        text: body["text"].as_str().map(String::from),
        parse_mode: body["parse_mode"].as_str().map(String::from),
        message_thread_id: body["message_thread_id"].as_i64().or_else(|| {
            upload
                .then(|| form_field(&form, "message_thread_id")?.trim().parse().ok())
                .flatten()
        }),
        file_name: upload
            .then(|| {
                let start = form.find("filename=\"")? + 10;
                Some(form[start..start + form[start..].find('"')?].to_string())
            })
            .flatten(),
        body: body.clone(),
        at: Instant::now(),
    };
    let sending = matches!(method.as_str(), "sendmessage" | "senddocument" | "sendphoto");
    if sending {
        let delay = inner.lock().expect("lock").delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if let Some(refusal) = over_limit(&inner, &request) {
            return refusal;
        }
    }
    match method.as_str() {
        "getme" => {
            inner.lock().expect("lock").requests.push(request);
            axum::Json(json!({"ok": true, "result": {
                "id": 4242, "is_bot": true, "first_name": "Giao ban", "username": "giaoban_bot",
                "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
                "can_connect_to_business": false, "has_main_web_app": false
            }}))
            .into_response()
        }
        "getupdates" => {
            let offset = body["offset"].as_i64().unwrap_or(0);
            let (conflict, ready) = {
                let mut s = inner.lock().expect("lock");
                s.requests.push(request);
                let conflict = s.conflicts > 0;
                s.conflicts = s.conflicts.saturating_sub(1);
                let ready: Vec<Value> = s
                    .updates
                    .iter()
                    .filter(|u| u["update_id"].as_i64().unwrap_or(0) >= offset)
                    .take(100)
                    .cloned()
                    .collect();
                (conflict, ready)
            };
            if conflict {
                return error(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    None,
                );
            }
            if ready.is_empty() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            axum::Json(json!({"ok": true, "result": ready})).into_response()
        }
        "getfile" => {
            let id = body["file_id"].as_str().unwrap_or_default().to_string();
            let s = inner.lock().expect("lock");
            match s.files.iter().find(|(f, _, _)| *f == id) {
                Some((f, path, bytes)) => axum::Json(json!({"ok": true, "result": {
                    "file_id": f, "file_unique_id": format!("u{f}"), "file_size": bytes.len(), "file_path": path
                }}))
                .into_response(),
                None => error(400, "Bad Request: invalid file_id", None),
            }
        }
        "setmycommands" => {
            inner.lock().expect("lock").requests.push(request);
            axum::Json(json!({"ok": true, "result": true})).into_response()
        }
        "getwebhookinfo" => axum::Json(json!({"ok": true, "result": {
            "url": "", "has_custom_certificate": false, "pending_update_count": 0
        }}))
        .into_response(),
        "deletewebhook" => axum::Json(json!({"ok": true, "result": true})).into_response(),
        "senddocument" | "sendphoto" => {
            let message_id = {
                let mut s = inner.lock().expect("lock");
                s.requests.push(request.clone());
                s.next_message_id += 1;
                s.next_message_id
            };
            let mut result = json!({
                "message_id": message_id,
                "date": 1_726_740_000,
                "chat": {"id": request.chat_id.unwrap_or(0), "type": "supergroup", "title": "Giao ban"},
                "from": {"id": 4242, "is_bot": true, "first_name": "Giao ban", "username": "giaoban_bot"}
            });
            if method == "sendphoto" {
                result["photo"] = json!([{"file_id": "p1", "file_unique_id": "u1", "width": 1080, "height": 1350}]);
            } else {
                result["document"] = json!({"file_id": "d1", "file_unique_id": "u2", "file_name": request.file_name});
            }
            axum::Json(json!({"ok": true, "result": result})).into_response()
        }
        "sendmessage" => {
            let (reply, message_id) = {
                let mut s = inner.lock().expect("lock");
                s.requests.push(request.clone());
                let reply = s.script.pop_front().or_else(|| s.fallback.clone()).unwrap_or(Reply::Ok);
                s.next_message_id += 1;
                (reply, s.next_message_id)
            };
            let ok = || {
                axum::Json(json!({"ok": true, "result": {
                    "message_id": message_id,
                    "date": 1_726_740_000,
                    "chat": {"id": request.chat_id.unwrap_or(0), "type": "supergroup", "title": "Giao ban"},
                    "from": {"id": 4242, "is_bot": true, "first_name": "Giao ban", "username": "giaoban_bot"},
                    "text": request.text.clone().unwrap_or_default()
                }}))
                .into_response()
            };
            match reply {
                Reply::Ok => ok(),
                Reply::TooManyRequests { retry_after } => error(
                    429,
                    &format!("Too Many Requests: retry after {retry_after}"),
                    Some(json!({"retry_after": retry_after})),
                ),
                Reply::ServerError(code) => error(code, "Bad Gateway", None),
                Reply::Stall(d) => {
                    tokio::time::sleep(d).await;
                    ok()
                }
                Reply::ChatNotFound => error(400, "Bad Request: chat not found", None),
                Reply::Kicked => error(403, "Forbidden: bot was kicked from the supergroup chat", None),
                Reply::NoRights => error(
                    400,
                    "Bad Request: not enough rights to send text messages to the chat",
                    None,
                ),
                Reply::Migrate { to } => error(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    Some(json!({"migrate_to_chat_id": to})),
                ),
                Reply::CantParseEntities => error(
                    400,
                    "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 3",
                    None,
                ),
            }
        }
        _ => {
            inner.lock().expect("lock").requests.push(request);
            error(404, "Not Found", None)
        }
    }
}
