//! The real daemon (`giaoban run`) as a child process, its log and console
//! read line by line, and a plain HTTP client for its health listener.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use super::Office;

pub const WAIT: Duration = Duration::from_secs(20);

/// A port free a moment ago, for the daemon's listener.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `giaoban run` with its stderr and stdout read line by line.
pub struct Daemon {
    pub child: Child,
    stderr: Receiver<String>,
    stdout: Receiver<String>,
    pub log: Vec<String>,
    pub out: Vec<String>,
}

fn lines(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

impl Daemon {
    pub fn start(office: &Office, env: &[(&str, &str)]) -> Daemon {
        Daemon::start_config(&office.config, env)
    }

    /// `giaoban run --config CONFIG` (a second instance of an office, say).
    pub fn start_config(config: &std::path::Path, env: &[(&str, &str)]) -> Daemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_giaoban"));
        cmd.arg("--config")
            .arg(config)
            .arg("run")
            .env(
                "RUST_LOG",
                std::env::var("TEST_DAEMON_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID")
            .env_remove("STATE_DIRECTORY")
            .env_remove("GIAOBAN_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start giaoban run");
        let stderr = lines(child.stderr.take().expect("stderr"));
        let stdout = lines(child.stdout.take().expect("stdout"));
        Daemon {
            child,
            stderr,
            stdout,
            log: Vec::new(),
            out: Vec::new(),
        }
    }

    /// Waits for a log line containing `needle` after the ones already seen.
    pub fn wait_log(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(100)) {
                self.log.push(line.clone());
                if line.contains(needle) {
                    return line;
                }
            }
        }
        panic!("no log line with {needle:?} within {WAIT:?}:\n{}", self.log.join("\n"));
    }

    /// Waits for stdout (the console courier) to contain `needle`.
    pub fn wait_out(&mut self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(line) = self.stdout.recv_timeout(Duration::from_millis(100)) {
                self.out.push(line.clone());
                if line.contains(needle) {
                    return;
                }
            }
        }
        panic!("no output with {needle:?} within {WAIT:?}:\n{}", self.out.join("\n"));
    }

    /// Takes the log lines written so far without waiting; returns them all.
    pub fn drain(&mut self) -> &[String] {
        while let Ok(line) = self.stderr.try_recv() {
            self.log.push(line);
        }
        while let Ok(line) = self.stdout.try_recv() {
            self.out.push(line);
        }
        &self.log
    }

    /// The most resident memory the process has used so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success(), "kill -{name}");
    }

    /// SIGTERM, then the exit status (within the bound).
    pub fn stop(&mut self) -> ExitStatus {
        self.signal("TERM");
        self.wait_exit()
    }

    pub fn wait_exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(code) = self.child.try_wait().expect("wait") {
                while let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(200)) {
                    self.log.push(line);
                }
                return code;
            }
            assert!(start.elapsed() < Duration::from_secs(40), "did not stop within 40 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET: (status code, body).
pub fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the health listener");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").expect("send request");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP response");
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status code");
    (code, body.to_string())
}

pub fn healthz(port: u16) -> (u16, serde_json::Value) {
    let (code, body) = get(port, "/healthz");
    let doc = serde_json::from_str(&body).unwrap_or_else(|e| panic!("/healthz is not JSON ({e}): {body}"));
    (code, doc)
}

/// Polls /healthz until `pred` holds for its document.
pub fn wait_health(port: u16, what: &str, pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = Instant::now() + WAIT;
    let mut last = serde_json::Value::Null;
    while Instant::now() < deadline {
        // Not listening yet (a daemon still starting): look again.
        if TcpStream::connect(("127.0.0.1", port)).is_err() {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        let (_, doc) = healthz(port);
        if pred(&doc) {
            return doc;
        }
        last = doc;
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("/healthz never showed {what}: {last}");
}
