//! Which VM logs a line meant once per proxy. Envoy runs one VM per worker thread (plus the
//! main thread's), and every VM starts, applies every configuration and sees every window
//! change, so without care each line would be logged several times. The VMs elect the one that
//! logs through the host's shared data, with compare-and-swap; when shared data cannot be used,
//! they log (a line twice beats a line lost). Keys follow one scheme, [`shared_key`].
//!
//! - [`first_start`]: the plugin's start, once per proxy and version.
//! - [`first_to_apply`]: the "configuration applied" audit line. A worker applying a change
//!   late must not log an old state after the new one, so the VMs share a small [`History`] of
//!   applied configurations: the first VM to apply one records and logs it, the others follow
//!   the history in order and stay quiet.
//! - [`first_to_report`]: a window opening or closing, a credential expiring: the first VM to
//!   store the line under its key logs it.
//! - [`first_recorded_time`]: when maintenance began to apply (`outage.rs`): the first VM to
//!   see it records the time, the others read it.

use std::collections::BTreeMap;

use crate::host::{Host, SetError};
use crate::outage;

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

/// The one key scheme for proxy-wide shared data: `maintenance-mode/<what>/<whose>`.
pub fn shared_key(what: &str, whose: &str) -> String {
    format!("maintenance-mode/{what}/{whose}")
}

/// Whether no VM of this plugin version has logged its start in this proxy yet. When shared
/// data cannot be used: log.
pub fn first_start(host: &mut impl Host) -> bool {
    let key = shared_key("started", env!("CARGO_PKG_VERSION"));
    match host.shared_get(&key) {
        Ok((Some(_), _)) => false,
        _ => !matches!(
            host.shared_set(&key, b"1", None),
            Err(SetError::CasMismatch)
        ),
    }
}

/// Whether this VM is the first to report `line` under `key` (the same line again, by any VM,
/// is not reported again until another line was stored under the key).
pub fn first_to_report(host: &mut impl Host, key: &str, line: &str) -> bool {
    match host.shared_get(key) {
        Ok((Some(last), _)) if last == line.as_bytes() => false,
        Ok((_, cas)) => host.shared_set(key, line.as_bytes(), cas).is_ok(),
        Err(_) => true,
    }
}

/// The time the first VM recorded under `key` (shared data, as `outage.rs` encodes it),
/// recording `now` if none has; `now` when shared data cannot be used.
pub fn first_recorded_time(host: &mut impl Host, key: &str, now: i64) -> i64 {
    for _ in 0..4 {
        let Ok((value, cas)) = host.shared_get(key) else {
            return now;
        };
        if let Some(recorded) = value.as_deref().and_then(outage::decode_observed) {
            return recorded;
        }
        match host.shared_set(key, &outage::encode_observed(now), cas) {
            Err(SetError::CasMismatch) => continue,
            _ => return now,
        }
    }
    now
}

/// How far one VM has followed each plugin instance's shared [`History`].
#[derive(Debug, Default)]
pub struct Followed(BTreeMap<String, u64>);

/// Whether this VM is the first to apply the configuration `mark` (its [`fingerprint`]) to the
/// plugin instance `plugin`, and so logs the audit line; `followed`: this VM's positions.
pub fn first_to_apply(
    host: &mut impl Host,
    followed: &mut Followed,
    plugin: &str,
    mark: &str,
) -> bool {
    let key = shared_key("applied", plugin);
    let seen = followed.0.get(plugin).copied();
    for _ in 0..8 {
        let Ok((stored, cas)) = host.shared_get(&key) else {
            return true;
        };
        let mut history = History::parse(stored.as_deref().unwrap_or_default());
        let verdict = history.apply(seen, mark);
        let recorded = !verdict.leader
            || match host.shared_set(&key, &history.serialize(), cas) {
                Ok(()) => true,
                Err(SetError::CasMismatch) => false,
                Err(SetError::Refused(_)) => return true,
            };
        if recorded {
            followed.0.insert(plugin.to_string(), verdict.seen);
            return verdict.leader;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::{FakeHost, SharedData};
    use std::cell::RefCell;
    use std::rc::Rc;

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

    /// Two VMs of one proxy: one shared data.
    fn two_vms() -> (FakeHost, FakeHost, Rc<RefCell<SharedData>>) {
        let shared: Rc<RefCell<SharedData>> = Rc::default();
        let a = FakeHost::sharing(Rc::clone(&shared));
        let b = FakeHost::sharing(Rc::clone(&shared));
        (a, b, shared)
    }

    #[test]
    fn one_vm_logs_the_start() {
        let (mut a, mut b, shared) = two_vms();
        assert!(first_start(&mut a));
        assert!(!first_start(&mut b));
        assert!(!first_start(&mut a));
        // Unusable shared data: every VM logs.
        shared.borrow_mut().refuse = true;
        assert!(first_start(&mut b));
    }

    #[test]
    fn one_vm_reports_each_line_under_its_key() {
        let (mut a, mut b, shared) = two_vms();
        let key = shared_key("window-change", "shop/0123");
        assert_eq!(key, "maintenance-mode/window-change/shop/0123");
        assert!(first_to_report(&mut a, &key, "opened"));
        assert!(!first_to_report(&mut b, &key, "opened"));
        assert!(first_to_report(&mut b, &key, "closed"));
        assert!(!first_to_report(&mut a, &key, "closed"));
        // Another key is another election.
        assert!(first_to_report(
            &mut a,
            &shared_key("expired", "x"),
            "closed"
        ));
        // Another VM stores the same line between this VM's read and write: the
        // compare-and-swap fails and this VM stays quiet.
        shared
            .borrow_mut()
            .interleave
            .push((key.clone(), b"opened".to_vec()));
        assert!(!first_to_report(&mut a, &key, "opened"));
        assert_eq!(shared.borrow().cas_failures, 1);
        shared.borrow_mut().refuse = true;
        assert!(first_to_report(&mut a, &key, "opened"));
    }

    #[test]
    fn one_vm_logs_each_applied_configuration() {
        let (mut a, mut b, shared) = two_vms();
        let (mut followed_a, mut followed_b) = (Followed::default(), Followed::default());
        assert!(first_to_apply(&mut a, &mut followed_a, "shop", "A"));
        assert!(!first_to_apply(&mut b, &mut followed_b, "shop", "A"));
        // Another instance has its own history.
        assert!(first_to_apply(&mut b, &mut followed_b, "blog", "A"));
        // A lost compare-and-swap: read again; the other VM recorded a different
        // configuration meanwhile, so this VM still leads, after it.
        let key = shared_key("applied", "shop");
        let theirs = b"1 A\n2 C\n".to_vec();
        shared.borrow_mut().interleave.push((key.clone(), theirs));
        assert!(first_to_apply(&mut a, &mut followed_a, "shop", "B"));
        assert_eq!(shared.borrow().cas_failures, 1);
        let history = String::from_utf8_lossy(shared.borrow().value(&key).unwrap()).into_owned();
        assert_eq!(history, "1 A\n2 C\n3 B\n");
        // The lagging VM follows C, then B, quietly.
        assert!(!first_to_apply(&mut b, &mut followed_b, "shop", "C"));
        assert!(!first_to_apply(&mut b, &mut followed_b, "shop", "B"));
    }
}
