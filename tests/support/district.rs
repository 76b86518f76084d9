//! A fake district server: real HTTP on 127.0.0.1, port 0, serving what a
//! test scripts per path (a queue of replies, the last one sticks) and
//! recording every request it gets.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;

/// One scripted answer.
#[derive(Clone)]
pub enum Reply {
    /// 200 with the body; `etag` and `last_modified` are sent when given,
    /// and a matching If-None-Match gets a 304.
    Ok {
        body: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// A bare status (404, 500, …).
    Status(u16),
    /// Waits, then answers.
    Slow(Duration, Box<Reply>),
    /// 200 with a chunked body of `chunks` × `chunk_size` bytes, no length.
    Stream { chunks: usize, chunk_size: usize },
}

impl Reply {
    pub fn body(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Ok {
            body: body.into(),
            etag: None,
            last_modified: None,
        }
    }

    pub fn with_etag(body: impl Into<Vec<u8>>, etag: &str) -> Reply {
        Reply::Ok {
            body: body.into(),
            etag: Some(etag.to_string()),
            last_modified: None,
        }
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }
}

#[derive(Default)]
struct State {
    routes: HashMap<String, VecDeque<Reply>>,
    seen: Vec<Seen>,
    in_flight: usize,
    max_in_flight: usize,
    /// Every 200 answer sent: (when, path, body).
    served: Vec<(Instant, String, Vec<u8>)>,
}

pub struct District {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl District {
    /// Starts the server on its own thread and runtime.
    pub fn start() -> District {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("address");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
                    let state = shared.clone();
                    async move { answer(&state, uri, headers).await }
                });
                axum::serve(listener, app).await.expect("serve");
            });
        });
        District { addr, state }
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Scripts the answers to `path`, in order; the last one repeats.
    pub fn serve(&self, path: &str, replies: Vec<Reply>) {
        let mut s = self.state.lock().expect("state");
        s.routes.insert(path.to_string(), replies.into());
    }

    /// The most requests the server was answering at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.lock().expect("state").max_in_flight
    }

    /// Every body answered with 200, in order: (when, path, body).
    pub fn served(&self) -> Vec<(Instant, String, Vec<u8>)> {
        self.state.lock().expect("state").served.clone()
    }

    /// Requests received for `path`.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        let s = self.state.lock().expect("state");
        s.seen.iter().filter(|r| r.path == path).cloned().collect()
    }
}

async fn answer(state: &Mutex<State>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().to_string();
    let reply = {
        let mut s = state.lock().expect("state");
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        s.seen.push(Seen {
            path: path.clone(),
            query: uri.query().map(str::to_string),
            headers: headers.clone(),
        });
        match s.routes.get_mut(&path) {
            Some(q) if q.len() > 1 => q.pop_front(),
            Some(q) => q.front().cloned(),
            None => None,
        }
    };
    let mut reply = reply.unwrap_or(Reply::Status(404));
    while let Reply::Slow(wait, next) = reply {
        tokio::time::sleep(wait).await;
        reply = *next;
    }
    state.lock().expect("state").in_flight -= 1;
    let status = |code: u16| {
        Response::builder()
            .status(StatusCode::from_u16(code).expect("status"))
            .body(Body::empty())
            .expect("response")
    };
    match reply {
        Reply::Status(code) => status(code),
        Reply::Ok {
            body,
            etag,
            last_modified,
        } => {
            let if_none_match = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
            if etag.is_some() && if_none_match == etag.as_deref() {
                return status(304);
            }
            state
                .lock()
                .expect("state")
                .served
                .push((Instant::now(), path.clone(), body.clone()));
            let mut b = Response::builder().status(200);
            if let Some(e) = &etag {
                b = b.header(header::ETAG, e);
            }
            if let Some(lm) = &last_modified {
                b = b.header(header::LAST_MODIFIED, lm);
            }
            b.body(Body::from(body)).expect("response")
        }
        Reply::Stream { chunks, chunk_size } => {
            let stream = futures_util::stream::iter(
                (0..chunks).map(move |_| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'x'; chunk_size]))),
            );
            Response::builder()
                .status(200)
                .body(Body::from_stream(stream))
                .expect("response")
        }
        Reply::Slow(..) => status(500),
    }
}
