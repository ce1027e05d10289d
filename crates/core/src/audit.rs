//! Who logs the "configuration applied" audit line. Envoy runs one VM per worker thread (plus
//! the main thread's), and every VM applies every configuration, so without care each change
//! would be logged several times, and a worker applying a change late would log an old state
//! after the new one. The VMs share a small history of applied configurations (proxy-wasm shared
//! data); the first VM to apply a configuration records and logs it, the others follow the
//! history in order and stay quiet. Host-free; `plugin.rs` stores the history in shared data.

/// How many applied configurations the history keeps.
pub const HISTORY_LEN: usize = 64;

/// A short fingerprint of a configuration (64-bit FNV-1a, hex).
pub fn fingerprint(bytes: &[u8]) -> String {
    format!("{:016x}", crate::bytes::fnv1a(bytes))
}

/// The configurations applied so far, oldest first: (sequence number, fingerprint).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct History {
    entries: Vec<(u64, String)>,
}

/// What one VM applying one configuration should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// First to apply it: record the new history and log the audit line.
    pub leader: bool,
    /// The history position this VM has now reached.
    pub seen: u64,
}

impl History {
    /// Reads the stored form (`"seq fingerprint"` lines); anything unreadable is skipped.
    pub fn parse(bytes: &[u8]) -> History {
        let entries = String::from_utf8_lossy(bytes)
            .lines()
            .filter_map(|line| {
                let (seq, fp) = line.split_once(' ')?;
                Some((seq.parse().ok()?, fp.to_string()))
            })
            .collect();
        History { entries }
    }

    pub fn serialize(&self) -> Vec<u8> {
        self.entries
            .iter()
            .map(|(seq, fp)| format!("{seq} {fp}\n"))
            .collect::<String>()
            .into_bytes()
    }

    fn latest(&self) -> u64 {
        self.entries.last().map_or(0, |(seq, _)| *seq)
    }

    /// A VM that has followed the history up to `seen` (None: a VM new to it, which can only be
    /// following the latest entry) applies the configuration `fingerprint`. It follows when that
    /// configuration comes next in the history after `seen`; otherwise it leads, and the
    /// history gets a new entry.
    pub fn apply(&mut self, seen: Option<u64>, fingerprint: &str) -> Verdict {
        let latest = self.latest();
        let from = seen.unwrap_or(latest.saturating_sub(1));
        if let Some((seq, _)) = self
            .entries
            .iter()
            .find(|(seq, fp)| *seq > from && fp == fingerprint)
        {
            return Verdict {
                leader: false,
                seen: *seq,
            };
        }
        let seq = latest + 1;
        self.entries.push((seq, fingerprint.to_string()));
        if self.entries.len() > HISTORY_LEN {
            self.entries.drain(..self.entries.len() - HISTORY_LEN);
        }
        Verdict {
            leader: true,
            seen: seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One VM: its position in the history.
    struct Vm(Option<u64>);

    impl Vm {
        fn apply(&mut self, history: &mut History, config: &str) -> bool {
            let verdict = history.apply(self.0, config);
            self.0 = Some(verdict.seen);
            verdict.leader
        }
    }

    #[test]
    fn fingerprint_is_fnv1a() {
        assert_eq!(fingerprint(b""), "cbf29ce484222325");
        assert_eq!(fingerprint(b"a"), "af63dc4c8601ec8c");
        assert_ne!(fingerprint(b"{\"enabled\":true}"), fingerprint(b"{}"));
    }

    #[test]
    fn each_change_is_logged_once_with_lagging_workers() {
        let mut history = History::default();
        let (mut main, mut worker1, mut worker2) = (Vm(None), Vm(None), Vm(None));
        assert!(main.apply(&mut history, "A"));
        assert!(!worker1.apply(&mut history, "A"));
        // main moves on twice before the workers catch up; back to A is a real change
        assert!(main.apply(&mut history, "B"));
        assert!(main.apply(&mut history, "A"));
        assert!(!worker1.apply(&mut history, "B"));
        assert!(!worker2.apply(&mut history, "A")); // first sight: A is the latest
        assert!(!worker1.apply(&mut history, "A"));
        // pushing the same configuration again is an update too: logged once
        assert!(main.apply(&mut history, "A"));
        assert!(!worker2.apply(&mut history, "A"));
        assert!(!worker1.apply(&mut history, "A"));
        assert!(main.apply(&mut history, "C"));
        assert!(!worker2.apply(&mut history, "C"));
    }

    #[test]
    fn new_vms_follow_only_the_latest_entry() {
        // Istio starts fresh VMs on every change: the first to apply a new state leads (a fresh
        // VM cannot tell a re-push of the latest state from following it: not logged again).
        let mut history = History::default();
        assert!(Vm(None).apply(&mut history, "A"));
        assert!(!Vm(None).apply(&mut history, "A"));
        assert!(Vm(None).apply(&mut history, "B"));
        assert!(!Vm(None).apply(&mut history, "B"));
        assert!(Vm(None).apply(&mut history, "A"));
    }

    #[test]
    fn history_round_trips_and_stays_bounded() {
        let mut history = History::default();
        let mut vm = Vm(None);
        for i in 0..(HISTORY_LEN + 10) {
            assert!(vm.apply(&mut history, &format!("c{i}")));
        }
        let stored = history.serialize();
        let parsed = History::parse(&stored);
        assert_eq!(parsed, history);
        assert_eq!(parsed.entries.len(), HISTORY_LEN);
        assert_eq!(parsed.latest(), (HISTORY_LEN + 10) as u64);
        assert_eq!(History::parse(b"garbage\n7 ab\nx y\n").latest(), 7);
    }
}
