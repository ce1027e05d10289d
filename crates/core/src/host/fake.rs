//! A fake host for native tests: request and response headers, a clock, properties, shared data
//! (shareable between fake VMs), metrics and logs, and a record of every call the plugin made.
//! Like Envoy, it serves request headers only in the request phase and response headers only in
//! the response phase; unlike the SDK it never panics, it records the misuse instead.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use super::{serialize_header_map, HeaderPairs, Host, MetricKind, Refused, Reply, SetError};

/// Which callback the host is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Configure,
    RequestHeaders,
    ResponseHeaders,
}

/// One call the plugin made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    /// The whole request header map read.
    RequestHeaders,
    /// One request header read.
    RequestHeader(String),
    Remove(String),
    Set(String, Vec<u8>),
    ResponseHeader(String),
    /// A response header set (replacing any with its name).
    SetResponse(String, Vec<u8>),
    Reply(OwnedReply),
    Now,
    Property(Vec<String>),
    /// A property set on the stream (for the access log).
    SetProperty(String, String),
    /// A header read or change outside the phase that allows it (the SDK would panic).
    OutOfPhase(String),
}

/// A local reply, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OwnedReply {
    /// Always set (a gRPC reply is an HTTP 200 too).
    pub(crate) status: Option<u16>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl OwnedReply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Proxy-wide shared data: a value and a version (the CAS token) per key.
#[derive(Debug, Default)]
pub(crate) struct SharedData {
    entries: BTreeMap<String, (Vec<u8>, u32)>,
    /// Writes by "another VM" to make right after the next read of their key: the reader's
    /// compare-and-swap then fails.
    pub(crate) interleave: Vec<(String, Vec<u8>)>,
    /// Every CAS failure handed out.
    pub(crate) cas_failures: usize,
    pub(crate) refuse: bool,
}

impl SharedData {
    pub(crate) fn value(&self, key: &str) -> Option<&[u8]> {
        self.entries.get(key).map(|(value, _)| value.as_slice())
    }

    pub(crate) fn write_for_test(&mut self, key: &str, value: &[u8]) {
        self.write(key, value.to_vec());
    }

    fn write(&mut self, key: &str, value: Vec<u8>) {
        let version = self.entries.get(key).map_or(1, |(_, version)| version + 1);
        self.entries.insert(key.to_string(), (value, version));
    }
}

/// The fake host. Fields are set up by tests and read back.
pub(crate) struct FakeHost {
    pub(crate) phase: Phase,
    pub(crate) request: HeaderPairs,
    pub(crate) response: HeaderPairs,
    pub(crate) clock: Option<i64>,
    pub(crate) properties: BTreeMap<Vec<String>, Vec<u8>>,
    pub(crate) configuration: Vec<u8>,
    pub(crate) shared: Rc<RefCell<SharedData>>,
    /// Removing or replacing request headers fails (the fail-closed path).
    pub(crate) refuse_changes: bool,
    /// `Host::reads_whole_map`.
    pub(crate) whole_map: bool,
    /// `Host::reads_dynamic_metadata`.
    pub(crate) dynamic_metadata: bool,
    pub(crate) debug: bool,
    pub(crate) calls: Vec<Call>,
    /// Metric name, kind, and value.
    pub(crate) metrics: Vec<(String, MetricKind, u64)>,
    pub(crate) tick: Option<Duration>,
    pub(crate) logs: Vec<(log::Level, String)>,
}

impl FakeHost {
    pub(crate) fn new() -> FakeHost {
        FakeHost::sharing(Rc::default())
    }

    /// A host whose shared data is `shared` (another VM of the same proxy).
    pub(crate) fn sharing(shared: Rc<RefCell<SharedData>>) -> FakeHost {
        FakeHost {
            phase: Phase::Configure,
            request: Vec::new(),
            response: Vec::new(),
            clock: Some(0),
            properties: BTreeMap::new(),
            configuration: Vec::new(),
            shared,
            refuse_changes: false,
            whole_map: true,
            dynamic_metadata: true,
            debug: false,
            calls: Vec::new(),
            metrics: Vec::new(),
            tick: None,
            logs: Vec::new(),
        }
    }

    /// Starts a new request with these headers.
    pub(crate) fn request(&mut self, headers: &[(&str, &[u8])]) {
        self.phase = Phase::RequestHeaders;
        self.request = headers
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.to_vec()))
            .collect();
        self.response.clear();
        self.calls.clear();
    }

    /// Moves on to the response with these headers.
    pub(crate) fn respond(&mut self, headers: &[(&str, &[u8])]) {
        self.phase = Phase::ResponseHeaders;
        self.response = headers
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.to_vec()))
            .collect();
    }

    /// The request headers the plugin read by name, in order (`*`: the whole map).
    pub(crate) fn reads(&self) -> Vec<&str> {
        self.calls
            .iter()
            .filter_map(|call| match call {
                Call::RequestHeaders => Some("*"),
                Call::RequestHeader(name) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The properties the plugin set on this stream, in order.
    pub(crate) fn set_properties(&self) -> Vec<(&str, &str)> {
        self.calls
            .iter()
            .filter_map(|call| match call {
                Call::SetProperty(name, value) => Some((name.as_str(), value.as_str())),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn replies(&self) -> Vec<&OwnedReply> {
        self.calls
            .iter()
            .filter_map(|call| match call {
                Call::Reply(reply) => Some(reply),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn header(&self, name: &str) -> Vec<&[u8]> {
        self.request
            .iter()
            .filter(|(n, _)| n == name.as_bytes())
            .map(|(_, v)| v.as_slice())
            .collect()
    }

    pub(crate) fn metric(&self, name: &str) -> Option<u64> {
        self.metrics
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, value)| *value)
    }

    pub(crate) fn logged(&self, level: log::Level) -> Vec<&str> {
        self.logs
            .iter()
            .filter(|(l, _)| *l == level)
            .map(|(_, line)| line.as_str())
            .collect()
    }

    fn in_phase(&mut self, phase: Phase, what: &str) -> bool {
        let ok = self.phase == phase;
        if !ok {
            self.calls.push(Call::OutOfPhase(what.to_string()));
        }
        ok
    }
}

fn first(map: &HeaderPairs, name: &str) -> Option<Vec<u8>> {
    map.iter()
        .find(|(n, _)| n == name.as_bytes())
        .map(|(_, v)| v.clone())
}

impl Host for FakeHost {
    fn request_header_map(&mut self) -> Result<Vec<u8>, Refused> {
        self.calls.push(Call::RequestHeaders);
        match self.in_phase(Phase::RequestHeaders, "*") {
            true => {
                let pairs: Vec<(&[u8], &[u8])> = self
                    .request
                    .iter()
                    .map(|(n, v)| (n.as_slice(), v.as_slice()))
                    .collect();
                Ok(serialize_header_map(pairs.iter().copied()))
            }
            false => Err(Refused("BadArgument".into())),
        }
    }

    fn request_header(&mut self, name: &str) -> Option<Vec<u8>> {
        self.calls.push(Call::RequestHeader(name.to_string()));
        self.in_phase(Phase::RequestHeaders, name)
            .then(|| first(&self.request, name))
            .flatten()
    }

    fn reads_whole_map(&self) -> bool {
        self.whole_map
    }

    fn reads_dynamic_metadata(&self) -> bool {
        self.dynamic_metadata
    }

    fn remove_request_header(&mut self, name: &str) -> Result<(), Refused> {
        self.calls.push(Call::Remove(name.to_string()));
        if self.refuse_changes || !self.in_phase(Phase::RequestHeaders, name) {
            return Err(Refused("BadArgument".into()));
        }
        self.request.retain(|(n, _)| n != name.as_bytes());
        Ok(())
    }

    fn set_request_header(&mut self, name: &str, value: &[u8]) -> Result<(), Refused> {
        self.calls.push(Call::Set(name.to_string(), value.to_vec()));
        if self.refuse_changes || !self.in_phase(Phase::RequestHeaders, name) {
            return Err(Refused("BadArgument".into()));
        }
        self.request.retain(|(n, _)| n != name.as_bytes());
        self.request
            .push((name.as_bytes().to_vec(), value.to_vec()));
        Ok(())
    }

    fn response_header(&mut self, name: &str) -> Option<Vec<u8>> {
        self.calls.push(Call::ResponseHeader(name.to_string()));
        self.in_phase(Phase::ResponseHeaders, name)
            .then(|| first(&self.response, name))
            .flatten()
    }

    fn set_response_header(&mut self, name: &str, value: &[u8]) -> Result<(), Refused> {
        self.calls
            .push(Call::SetResponse(name.to_string(), value.to_vec()));
        if !self.in_phase(Phase::ResponseHeaders, name) {
            return Err(Refused("BadArgument".into()));
        }
        self.response.retain(|(n, _)| n != name.as_bytes());
        self.response
            .push((name.as_bytes().to_vec(), value.to_vec()));
        Ok(())
    }

    fn send_reply(&mut self, reply: Reply) -> Result<(), Refused> {
        let owned = |headers: &[(&str, &str)]| {
            headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        let reply = match reply {
            Reply::Http {
                status,
                headers,
                body,
            } => OwnedReply {
                status: Some(status),
                headers: owned(&headers),
                body: body.unwrap_or_default().to_vec(),
            },
        };
        self.calls.push(Call::Reply(reply));
        Ok(())
    }

    fn now(&mut self) -> Option<i64> {
        self.calls.push(Call::Now);
        self.clock
    }

    fn property(&mut self, path: &[&str]) -> Option<Vec<u8>> {
        let path: Vec<String> = path.iter().map(|part| part.to_string()).collect();
        self.calls.push(Call::Property(path.clone()));
        self.properties.get(&path).cloned()
    }

    fn set_property(&mut self, name: &str, value: &[u8]) -> Result<(), Refused> {
        let value = String::from_utf8_lossy(value).into_owned();
        self.calls.push(Call::SetProperty(name.to_string(), value));
        // Like Envoy: only while a stream is handled.
        match self.phase {
            Phase::Configure => Err(Refused("NotFound".into())),
            _ => Ok(()),
        }
    }

    fn plugin_configuration(&mut self) -> Result<Vec<u8>, Refused> {
        Ok(self.configuration.clone())
    }

    fn shared_get(&mut self, key: &str) -> Result<(Option<Vec<u8>>, Option<u32>), Refused> {
        let mut shared = self.shared.borrow_mut();
        if shared.refuse {
            return Err(Refused("InternalFailure".into()));
        }
        let read = match shared.entries.get(key) {
            Some((value, version)) => (Some(value.clone()), Some(*version)),
            None => (None, None),
        };
        if let Some(at) = shared.interleave.iter().position(|(k, _)| k == key) {
            let (key, value) = shared.interleave.remove(at);
            shared.write(&key, value);
        }
        Ok(read)
    }

    fn shared_set(&mut self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), SetError> {
        let mut shared = self.shared.borrow_mut();
        if shared.refuse {
            return Err(SetError::Refused(Refused("InternalFailure".into())));
        }
        let current = shared.entries.get(key).map(|(_, version)| *version);
        // Proxy-wasm: a CAS of 0 (None) always writes; otherwise it must match.
        if cas.is_some() && cas != current {
            shared.cas_failures += 1;
            return Err(SetError::CasMismatch);
        }
        shared.write(key, value.to_vec());
        Ok(())
    }

    fn define_metric(&mut self, kind: MetricKind, name: &str) -> Result<u32, Refused> {
        // Like Envoy: one metric per name, whoever defines it.
        if let Some(id) = self.metrics.iter().position(|(n, _, _)| n == name) {
            return u32::try_from(id).map_err(|_| Refused("too many".into()));
        }
        self.metrics.push((name.to_string(), kind, 0));
        u32::try_from(self.metrics.len() - 1).map_err(|_| Refused("too many".into()))
    }

    fn increment_metric(&mut self, id: u32) -> Result<(), Refused> {
        let metric = self
            .metrics
            .get_mut(id as usize)
            .ok_or(Refused("NotFound".into()))?;
        metric.2 += 1;
        Ok(())
    }

    fn record_metric(&mut self, id: u32, value: u64) -> Result<(), Refused> {
        let metric = self
            .metrics
            .get_mut(id as usize)
            .ok_or(Refused("NotFound".into()))?;
        metric.2 = value;
        Ok(())
    }

    fn set_tick_period(&mut self, period: Duration) -> Result<(), Refused> {
        self.tick = Some(period);
        Ok(())
    }

    fn log_enabled(&self, level: log::Level) -> bool {
        level <= log::Level::Info || self.debug
    }

    fn log(&mut self, level: log::Level, line: &str) {
        self.logs.push((level, line.to_string()));
    }
}
