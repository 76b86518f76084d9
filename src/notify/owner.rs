//! Who holds a claim on an outbox row: `host/pid/nonce`. The nonce tells two
//! couriers of one process apart (a reload builds a new one); host and pid
//! let a process see that a claim was left by a process of this machine that
//! no longer runs (killed mid-send), and take it over at once instead of
//! waiting for its lease to lapse. A claim from another machine (PostgreSQL
//! pairs) is only ever taken after its lease ends.

use std::hash::BuildHasher;

#[derive(Debug, Clone)]
pub struct Owner {
    id: String,
    host: String,
    pid: u32,
}

impl Owner {
    /// An owner for this process.
    pub fn new() -> Owner {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty() && !h.contains('/'))
            .unwrap_or_else(|| "localhost".to_string());
        let pid = std::process::id();
        let nonce = std::collections::hash_map::RandomState::new().hash_one(pid) & 0xffff_ffff;
        Owner {
            id: format!("{host}/{pid}/{nonce:08x}"),
            host,
            pid,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether `other` names a process of this machine that has ended.
    pub fn is_dead(&self, other: &str) -> bool {
        let mut parts = other.split('/');
        let (Some(host), Some(pid)) = (parts.next(), parts.next().and_then(|p| p.parse::<u32>().ok())) else {
            return false;
        };
        host == self.host && pid != self.pid && !std::path::Path::new(&format!("/proc/{pid}")).exists()
    }
}

impl Default for Owner {
    fn default() -> Self {
        Owner::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_of_an_ended_process_of_this_machine_is_dead_and_no_other() {
        let me = Owner::new();
        let host = me.host.clone();
        // Pid 0 never names a running process under /proc.
        assert!(me.is_dead(&format!("{host}/0/1234")));
        assert!(!me.is_dead(&format!("{host}/1/1234")), "pid 1 runs");
        assert!(
            !me.is_dead(&format!("{host}/{}/beef", std::process::id())),
            "this process"
        );
        assert!(
            !me.is_dead("another-host/0/1234"),
            "another machine: wait for the lease"
        );
        assert!(!me.is_dead("garbage"));
        assert_ne!(Owner::new().id(), me.id());
    }
}
