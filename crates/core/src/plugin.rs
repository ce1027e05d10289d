//! The plugin's lifecycle against a [`Host`]: [`Root`] per configuration (apply it, log it
//! once, follow the windows), [`Stream`] per request (read what the decision needs, answer or
//! pass, strip secrets, replace upstream failures). Host-agnostic: `wasm.rs` drives it from
//! proxy-wasm, the tests below from the fake host.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use log::Level;

use crate::access_log;
use crate::audit::{fingerprint, History};
use crate::bypass::cookie::{join_cookie_headers, CookieHeader};
use crate::config;
use crate::decision::{self, decide, Decision, RequestFacts, Strip, Via};
use crate::host::{parse_header_map, HeaderSlices, Host, MetricKind, Reply, SetError};
use crate::metrics::{metric_name, Counter, ACTIVE_GAUGE};
use crate::plan::Plan;
use crate::reply::current_window::{CurrentResponse, TransitionLog};
use crate::reply::format::{AcceptMemo, Format, Grpc};
use crate::reply::maintenance::{MaintenanceResponse, GRPC_UNAVAILABLE};
use crate::reply::notice::{self, NoticeCache};
use crate::reply::status;
use crate::reply::status_endpoint::Endpoint;
use crate::reply::upstream_fallback;
use crate::request::path::loggable_path;
use crate::schedule::calendar::format_rfc3339;

/// How often the windows are checked, to log openings and closings.
pub const TICK: Duration = Duration::from_secs(1);
/// How many problems of a refused configuration are logged (then how many more there are).
const LOGGED_PROBLEMS: usize = 10;

/// The one key scheme for proxy-wide shared data: `maintenance-mode/<what>/<whose>`.
fn shared_key(what: &str, whose: &str) -> String {
    format!("maintenance-mode/{what}/{whose}")
}

/// What one VM (the native module: the process) remembers across its root contexts.
#[derive(Debug, Default)]
pub struct VmState {
    /// Per plugin name: how far this VM has followed the shared audit history (`audit.rs`).
    audit_seen: BTreeMap<String, u64>,
}

/// The proxy's metric ids (see `metrics.rs` for names). A metric the proxy refused to define is
/// `None` and simply not counted.
#[derive(Debug, Clone, Copy, Default)]
struct Metrics {
    counters: [Option<u32>; Counter::ALL.len()],
    active: Option<u32>,
}

impl Metrics {
    /// Defines the metrics of the plugin instance called `instance`.
    fn define(host: &mut impl Host, instance: &str) -> Metrics {
        let mut define = |kind, metric: &str| {
            let name = metric_name(instance, metric);
            match host.define_metric(kind, &name) {
                Ok(id) => Some(id),
                Err(refused) => {
                    host.log(
                        Level::Warn,
                        &format!("cannot define metric {name}: {refused}"),
                    );
                    None
                }
            }
        };
        let mut counters = [None; Counter::ALL.len()];
        for counter in Counter::ALL {
            counters[counter.index()] = define(MetricKind::Counter, counter.name());
        }
        let active = define(MetricKind::Gauge, ACTIVE_GAUGE);
        Metrics { counters, active }
    }

    fn count(&self, host: &mut impl Host, counter: Counter) {
        if let Some(id) = self.counters[counter.index()] {
            if let Err(refused) = host.increment_metric(id) {
                host.log(
                    Level::Debug,
                    &format!("cannot count {}: {refused}", counter.name()),
                );
            }
        }
    }

    /// Sets the `active` gauge: whether maintenance applies right now.
    fn set_active(&self, host: &mut impl Host, active: bool) {
        if let Some(id) = self.active {
            if let Err(refused) = host.record_metric(id, u64::from(active)) {
                host.log(
                    Level::Debug,
                    &format!("cannot set {ACTIVE_GAUGE}: {refused}"),
                );
            }
        }
    }
}

/// The host clock in unix seconds. Should it fail, 1970 is outside every window.
fn unix_now(host: &mut impl Host) -> i64 {
    host.now().unwrap_or_else(|| {
        host.log(
            Level::Warn,
            "cannot read the clock; maintenance windows are not applied",
        );
        0
    })
}

/// Whether no VM of this plugin version has logged its start in this proxy yet. Envoy starts
/// VMs (and calls on_vm_start) per worker thread and for every configuration it applies; one
/// line per proxy and version is enough. When shared data cannot be used: log.
fn first_start(host: &mut impl Host) -> bool {
    let key = shared_key("started", env!("CARGO_PKG_VERSION"));
    match host.shared_get(&key) {
        Ok((Some(_), _)) => false,
        _ => !matches!(
            host.shared_set(&key, b"1", None),
            Err(SetError::CasMismatch)
        ),
    }
}

/// Whether this VM is the first to report `line` under `key`. Envoy runs a copy of the plugin
/// per thread and each sees every window change; shared data with a compare-and-swap lets
/// exactly one of them log it.
fn first_to_report(host: &mut impl Host, key: &str, line: &str) -> bool {
    match host.shared_get(key) {
        Ok((Some(last), _)) if last == line.as_bytes() => false,
        Ok((_, cas)) => host.shared_set(key, line.as_bytes(), cas).is_ok(),
        Err(_) => true,
    }
}

/// The plugin name Envoy gives this plugin instance (Istio: `<namespace>.<name>`); empty when
/// it has none.
fn instance_name(host: &mut impl Host) -> String {
    host.property(&["plugin_name"])
        .map(|name| String::from_utf8_lossy(&name).into_owned())
        .unwrap_or_default()
}

/// `line` naming the plugin instance it is about (Envoy's own log prefix names the root id and
/// VM id, which instances share): `[plugin default.shop] …`.
fn about(instance: &str, line: &str) -> String {
    match instance.is_empty() {
        true => line.to_string(),
        false => format!("[plugin {instance}] {line}"),
    }
}

/// Whether this VM is the first to apply this configuration to the instance `plugin`, and so
/// logs the audit line (`mark`: the configuration's fingerprint). When the shared history
/// cannot be used: log.
fn first_to_apply(host: &mut impl Host, vm: &Mutex<VmState>, plugin: &str, mark: &str) -> bool {
    let key = shared_key("applied", plugin);
    let seen = vm
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .audit_seen
        .get(plugin)
        .copied();
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
            vm.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .audit_seen
                .insert(plugin.to_string(), verdict.seen);
            return verdict.leader;
        }
    }
    true
}

/// One configuration of the plugin in one VM, or in the native module, where one `Root` serves
/// every worker thread: what streams share is behind `Arc`s, and the caches behind `Mutex`es
/// taken with `try_lock` (a contended cache is computed afresh, never waited for).
pub struct Root {
    vm: Arc<Mutex<VmState>>,
    plan: Arc<Plan>,
    /// Shared with this configuration's streams.
    current: Arc<Mutex<CurrentResponse>>,
    /// Shared with this configuration's streams (`notice_before`).
    notice: Arc<Mutex<NoticeCache>>,
    /// The last `Accept` value's format, for every stream of this configuration.
    formats: Arc<Mutex<AcceptMemo>>,
    transitions: TransitionLog,
    /// Shared-data key under which the last logged window change of this instance and
    /// configuration is kept.
    transition_key: String,
    /// This instance's plugin name, read on the first configuration.
    instance: Option<String>,
    metrics: Option<Metrics>,
    /// The expired credentials this root has seen logged (by itself or another VM).
    expiries_logged: Vec<String>,
}

/// Logs once per proxy that a credential (`bypass.tokens[]`, `bypass.cookie`) has passed its
/// `not_after`, with the same shared-data protocol as window changes.
fn log_expiries(
    host: &mut impl Host,
    instance: &str,
    plan: &Plan,
    now: i64,
    logged: &mut Vec<String>,
) {
    for (what, end) in plan.bypass.expiries.expired_at(now) {
        if logged.iter().any(|known| known == what) {
            continue;
        }
        let line = about(
            instance,
            &format!(
                "{what} expired at {}: it lets no one through any more",
                format_rfc3339(end)
            ),
        );
        if first_to_report(host, &shared_key("expired", &line), &line) {
            host.log(Level::Info, &line);
        }
        logged.push(what.to_string());
    }
}

impl Root {
    pub fn new(vm: Arc<Mutex<VmState>>) -> Root {
        Root {
            vm,
            plan: Arc::new(Plan::default()),
            current: Arc::default(),
            notice: Arc::default(),
            formats: Arc::default(),
            transitions: TransitionLog::default(),
            transition_key: String::new(),
            instance: None,
            metrics: None,
            expiries_logged: Vec::new(),
        }
    }

    fn instance(&mut self, host: &mut impl Host) -> String {
        self.instance
            .get_or_insert_with(|| instance_name(host))
            .clone()
    }

    /// This instance's metrics, defined on first use.
    fn metrics(&mut self, host: &mut impl Host) -> Metrics {
        if let Some(metrics) = self.metrics {
            return metrics;
        }
        let instance = self.instance(host);
        *self.metrics.insert(Metrics::define(host, &instance))
    }

    pub fn on_vm_start(&mut self, host: &mut impl Host) -> bool {
        if first_start(host) {
            let line = format!("maintenance-mode {} started", env!("CARGO_PKG_VERSION"));
            host.log(Level::Info, &line);
        }
        // Metrics are defined on the first configuration, where the plugin name is known.
        true
    }

    /// Applies the host's plugin configuration; false (the host keeps the last good one) when
    /// it is invalid.
    pub fn on_configure(&mut self, host: &mut impl Host) -> bool {
        let metrics = self.metrics(host);
        let instance = self.instance(host);
        let bytes = match host.plugin_configuration() {
            Ok(bytes) => bytes,
            Err(refused) => {
                let line = format!("invalid plugin configuration: .: cannot be read ({refused})");
                host.log(Level::Error, &about(&instance, &line));
                return false;
            }
        };
        let mark = fingerprint(&bytes);
        let plan = match config::parse_owned(bytes) {
            Ok(plan) => plan,
            Err(problems) => {
                for problem in problems.bounded(LOGGED_PROBLEMS) {
                    let line = format!("invalid plugin configuration: {problem}");
                    host.log(Level::Error, &about(&instance, &line));
                }
                return false;
            }
        };
        let first = first_to_apply(host, &self.vm, &instance, &mark);
        if first {
            let line = format!("configuration applied: {}", plan.summary());
            host.log(Level::Info, &about(&instance, &line));
        }
        self.transitions = TransitionLog::default();
        let whose = format!("{instance}/{mark}");
        self.transition_key = shared_key("window-change", &whose);
        let ticks = if plan.enabled && plan.schedule.is_some() {
            let now = unix_now(host);
            if let Some(status) = plan.schedule_status(now) {
                if first {
                    let line = format!("maintenance schedule: {status}");
                    host.log(Level::Info, &about(&instance, &line));
                }
            }
            self.transitions.observe(&plan, now);
            metrics.set_active(host, plan.in_effect(now));
            TICK
        } else {
            metrics.set_active(host, plan.enabled);
            Duration::ZERO
        };
        // Credentials that expire: the tick logs when they do.
        self.expiries_logged.clear();
        let ticks = if plan.bypass.expiries.is_empty() {
            ticks
        } else {
            let now = unix_now(host);
            let instance = self.instance(host);
            log_expiries(host, &instance, &plan, now, &mut self.expiries_logged);
            TICK
        };
        if let Err(refused) = host.set_tick_period(ticks) {
            let line =
                format!("cannot set the tick period ({refused}); window changes are not logged");
            host.log(Level::Warn, &line);
        }
        self.plan = Arc::new(plan);
        self.current = Arc::default();
        self.notice = Arc::default();
        true
    }

    /// Logs a window opening or closing (once per proxy) and keeps the `active` gauge current.
    pub fn on_tick(&mut self, host: &mut impl Host) {
        let now = unix_now(host);
        if let Some(line) = self.transitions.observe(&self.plan, now) {
            if first_to_report(host, &self.transition_key, &line) {
                let instance = self.instance(host);
                host.log(Level::Info, &about(&instance, &line));
            }
        }
        if !self.plan.bypass.expiries.is_empty() {
            let instance = self.instance(host);
            log_expiries(host, &instance, &self.plan, now, &mut self.expiries_logged);
        }
        let metrics = self.metrics(host);
        metrics.set_active(host, self.plan.in_effect(now));
    }

    pub fn new_stream(&self) -> Stream {
        Stream {
            plan: Arc::clone(&self.plan),
            current: Arc::clone(&self.current),
            notice_cache: Arc::clone(&self.notice),
            formats: Arc::clone(&self.formats),
            metrics: self.metrics.unwrap_or_default(),
            fallback: None,
            fallback_language: None,
            notice: None,
            replied: false,
        }
    }
}

/// Whether the host should go on with the request or response, or wait (after a local reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Pause,
}

/// One request. A clone of a fresh stream is another fresh stream of the same configuration
/// (the native module keeps one per configuration and clones it for each request).
#[derive(Clone)]
pub struct Stream {
    plan: Arc<Plan>,
    current: Arc<Mutex<CurrentResponse>>,
    metrics: Metrics,
    /// For a request that passed in scope and not bypassed: the format of the maintenance
    /// response that replaces an upstream failure.
    fallback: Option<Format>,
    /// The language of that response (see `language.rs`).
    fallback_language: Option<usize>,
    notice_cache: Arc<Mutex<NoticeCache>>,
    formats: Arc<Mutex<AcceptMemo>>,
    /// The `maintenance-notice` value to add to the response (`notice.rs`).
    notice: Option<Arc<str>>,
    /// This filter sent a local reply, which it must never replace.
    replied: bool,
}

/// The request headers, read once per request with one host call for the whole map: each host
/// call (into Envoy, and back into the VM to allocate the answer) costs about as much as the
/// rest of the decision, so one call for the map beats one per header. An unreadable map reads
/// as no headers, which can only keep a request in maintenance.
struct RequestHeaders {
    raw: Vec<u8>,
}

impl RequestHeaders {
    fn read(host: &mut impl Host) -> RequestHeaders {
        let raw = host.request_header_map().unwrap_or_else(|refused| {
            let line = format!("cannot read the request headers ({refused})");
            host.log(Level::Warn, &line);
            Vec::new()
        });
        RequestHeaders { raw }
    }

    /// The (name, value) pairs; names are lower case, compared as bytes.
    fn pairs(&self) -> HeaderSlices<'_> {
        parse_header_map(&self.raw).unwrap_or_default()
    }
}

/// The first value of `name` (as Envoy's single-header read answers).
fn first<'a>(headers: &HeaderSlices<'a>, name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(n, _)| *n == name.as_bytes())
        .map(|(_, value)| *value)
}

/// Every `cookie` header, joined: a bypass cookie in a later one must be seen (and removed)
/// too.
fn request_cookies(headers: &HeaderSlices) -> Option<Vec<u8>> {
    join_cookie_headers(
        headers
            .iter()
            .filter(|(name, _)| *name == b"cookie")
            .map(|(_, value)| *value),
    )
}

/// Removes bypass secrets from a request about to go upstream. False when a removal failed.
fn strip_secrets(host: &mut impl Host, strip: &Strip) -> bool {
    let mut ok = true;
    for name in &strip.headers {
        if let Err(refused) = host.remove_request_header(name) {
            host.log(
                Level::Error,
                &format!("could not remove bypass header {name}: {refused}"),
            );
            ok = false;
        }
    }
    let cookie = match &strip.cookie {
        CookieHeader::Keep => Ok(()),
        CookieHeader::Remove => host.remove_request_header("cookie"),
        CookieHeader::Replace(rest) => host.set_request_header("cookie", rest),
    };
    if let Err(refused) = cookie {
        host.log(
            Level::Error,
            &format!("could not remove the bypass cookie: {refused}"),
        );
        ok = false;
    }
    ok
}

/// Records the decision for Envoy's access log (see `access_log.rs`).
fn record_decision(host: &mut impl Host, label: &str) {
    if let Err(refused) = host.set_property(access_log::PROPERTY, label.as_bytes()) {
        let line = format!("cannot record the decision for the access log: {refused}");
        host.log(Level::Debug, &line);
    }
}

/// The maintenance response's format for this request, from `content-type` and `accept`
/// (request headers are readable only in their phase).
fn response_format(formats: &Mutex<AcceptMemo>, headers: &HeaderSlices) -> Format {
    let (content_type, accept) = (first(headers, "content-type"), first(headers, "accept"));
    match formats.try_lock() {
        Ok(mut memo) => memo.choose(content_type, accept),
        Err(_) => crate::reply::format::choose(content_type, accept),
    }
}

/// The maintenance response's language for this request (`None`: the default), from
/// `accept-language`, looked at only when translations are configured.
fn response_language(headers: &HeaderSlices, plan: &Plan) -> Option<usize> {
    if plan.languages.tags.is_empty() {
        return None;
    }
    plan.languages.choose(first(headers, "accept-language"))
}

/// Sends the maintenance response in `format` at `now`.
fn send_maintenance(
    host: &mut impl Host,
    response: &MaintenanceResponse,
    format: Format,
    now: i64,
) {
    let retry_after = response
        .retry_after_at(now)
        .map(|seconds| seconds.to_string());
    // One allocation, in the final order: the format's headers (pushed first, below), the
    // response's, then Retry-After.
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(response.headers.len() + 4);
    let common = response
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain(
            retry_after
                .as_deref()
                .map(|seconds| ("retry-after", seconds)),
        );
    let grpc_headers;
    let reply = match (format, response.rendered(format)) {
        (Format::Grpc(grpc), _) => {
            // The trailers-only reply, made by the plugin rather than by Envoy's gRPC local
            // reply: Envoy takes a request for gRPC only by the content type it had before the
            // first filter ran, so behind Envoy's grpc_web filter (which turns gRPC-web into
            // gRPC) Envoy's own would answer grpc-status 2. For gRPC, Envoy completes this one
            // (content-type, no body); behind the grpc_web filter, that filter turns it into
            // gRPC-web. gRPC-web also gets the trailers as a trailer frame in the body: Envoy
            // drops the content-type of a reply without a body, and gRPC-web clients need it
            // (docs/src/response.md).
            let (content_type, body) = match grpc {
                Grpc::Web(web) => (web.content_type(), Some(response.grpc_web_body(web))),
                Grpc::Native => ("application/grpc", None),
            };
            grpc_headers = [
                ("content-type", content_type),
                ("grpc-status", GRPC_UNAVAILABLE),
                ("grpc-message", response.grpc_message_encoded.as_str()),
            ];
            let without_message = usize::from(response.grpc_message_encoded.is_empty());
            let grpc_headers = &grpc_headers[..grpc_headers.len() - without_message];
            headers.extend(grpc_headers.iter().copied());
            headers.extend(common);
            Reply::Http {
                status: 200,
                headers,
                body,
            }
        }
        (_, rendered) => {
            if let Some(rendered) = rendered {
                headers.push(("content-type", rendered.content_type));
            }
            headers.extend(common);
            // Envoy drops the body of a reply to HEAD but keeps its content-length.
            Reply::Http {
                status: response.status,
                headers,
                body: rendered.map(|rendered| rendered.body.as_slice()),
            }
        }
    };
    if let Err(refused) = host.send_reply(reply) {
        let line = format!("could not send the maintenance response: {refused}");
        host.log(Level::Warn, &line);
    }
}

impl Stream {
    /// The response for a request in maintenance at `now`: with windows, the one announcing the
    /// current window's end.
    fn response_at(&self, now: i64) -> Arc<MaintenanceResponse> {
        match self.current.try_lock() {
            Ok(mut current) => current.get(&self.plan, now),
            Err(_) => Arc::clone(&self.plan.response),
        }
    }

    /// Answers with the maintenance response in `format`, in the request's language.
    fn reply_maintenance(
        &mut self,
        host: &mut impl Host,
        headers: &HeaderSlices,
        format: Format,
        now: i64,
    ) -> Flow {
        self.replied = true;
        let response = self.response_at(now);
        let language = response_language(headers, &self.plan);
        send_maintenance(host, response.in_language(language), format, now);
        Flow::Pause
    }

    /// Answers the status endpoint (`status.rs`), whether maintenance is on or off.
    fn answer_status(
        &mut self,
        host: &mut impl Host,
        endpoint: Endpoint,
        headers: &HeaderSlices,
    ) -> Flow {
        self.replied = true;
        let plan = Arc::clone(&self.plan);
        let method = first(headers, ":method").unwrap_or_default();
        if !status::allows(method) {
            if let Err(refused) = status::send_not_allowed(host) {
                let line = format!("could not answer the status endpoint: {refused}");
                host.log(Level::Warn, &line);
            }
            return Flow::Pause;
        }
        let now = match plan.schedule.is_some() {
            true => unix_now(host),
            false => 0,
        };
        let language = response_language(headers, &plan);
        let sent = match endpoint {
            Endpoint::Status => {
                let tag = plan.response_spec.options.content_language.then(|| {
                    language
                        .and_then(|index| plan.languages.tags.get(index))
                        .unwrap_or(&plan.languages.default)
                        .as_str()
                });
                let document = status::document(&plan, now, language);
                status::send_status(host, &document, tag)
            }
            Endpoint::Preview => {
                let format = response_format(&self.formats, headers);
                let response = self.response_at(now);
                let response = response.in_language(language);
                status::send_preview(host, response, format, response.retry_after_at(now))
            }
        };
        if let Err(refused) = sent {
            let line = format!("could not answer the status endpoint: {refused}");
            host.log(Level::Warn, &line);
        }
        Flow::Pause
    }

    /// Adds the `maintenance-notice` header, if this request is to carry one.
    fn add_notice(&mut self, host: &mut impl Host) {
        if let Some(value) = self.notice.take() {
            if let Err(refused) = host.add_response_header(notice::HEADER, value.as_bytes()) {
                let line = format!("could not add {}: {refused}", notice::HEADER);
                host.log(Level::Warn, &line);
            }
        }
    }

    /// The cookie link: `302` to `/` setting the bypass cookie.
    fn send_grant(&mut self, host: &mut impl Host, set_cookie: &str) -> Flow {
        self.replied = true;
        let headers = vec![
            ("location", "/"),
            ("set-cookie", set_cookie),
            ("cache-control", "no-store"),
            // The link carries the secret in its query: never pass it on as a referrer.
            ("referrer-policy", "no-referrer"),
        ];
        let reply = Reply::Http {
            status: 302,
            headers,
            body: None,
        };
        if let Err(refused) = host.send_reply(reply) {
            let line = format!("could not send the bypass cookie redirect: {refused}");
            host.log(Level::Warn, &line);
        }
        Flow::Pause
    }

    /// The request headers, the only phase where they can be read: decide, then answer or let
    /// the request through (without its bypass secrets).
    pub fn on_request_headers(&mut self, host: &mut impl Host) -> Flow {
        let plan = Arc::clone(&self.plan);
        let fallback = !plan.fallback_statuses.is_empty();
        // With a status endpoint, every request's headers are read here (and only once: what
        // follows takes its values from the same read).
        let early = plan
            .status_endpoint
            .as_ref()
            .map(|_| RequestHeaders::read(host));
        let early_headers = early.as_ref().map(RequestHeaders::pairs);
        if let (Some(endpoint), Some(headers)) = (&plan.status_endpoint, &early_headers) {
            if let Some(which) = endpoint.which(first(headers, ":path").unwrap_or_default()) {
                return self.answer_status(host, which, headers);
            }
        }
        if !plan.enabled && !fallback {
            self.metrics.count(host, Counter::Passed);
            return self.pass_off(host);
        }
        // The clock only matters with windows or expiring credentials.
        let now = if plan.uses_clock() { unix_now(host) } else { 0 };
        let in_effect = plan.in_effect(now);
        // Advance notice: only in the lead time before a period does it cost more than this.
        let notice = match plan.notice_before {
            Some(lead) if !in_effect => match self.notice_cache.try_lock() {
                Ok(mut cache) => cache.get(&plan, lead, now),
                Err(_) => None,
            },
            _ => None,
        };
        if !fallback && !in_effect && notice.is_none() {
            self.metrics.count(host, Counter::Passed);
            return self.pass_off(host);
        }
        // One host call for every header (unless the status endpoint already made it); bypass
        // inputs are taken only while maintenance applies and only for the kinds configured,
        // the host and the method only when routes test them (or the method for the debug log).
        let late;
        let headers = match early_headers {
            Some(headers) => headers,
            None => {
                late = RequestHeaders::read(host);
                late.pairs()
            }
        };
        let debug = host.log_enabled(Level::Debug);
        let method = match plan.scope.uses_methods() || debug {
            true => first(&headers, ":method").unwrap_or_default(),
            false => &[],
        };
        let authority = match plan.scope.uses_hosts() {
            true => first(&headers, ":authority"),
            false => None,
        };
        let path = first(&headers, ":path").unwrap_or_default();
        let token_values: Vec<Option<Vec<u8>>> = match in_effect {
            true => plan
                .bypass
                .tokens
                .headers()
                .iter()
                .map(|name| first(&headers, name).map(<[u8]>::to_vec))
                .collect(),
            false => Vec::new(),
        };
        let cookie = match plan.bypass.cookie {
            Some(_) if in_effect => request_cookies(&headers),
            _ => None,
        };
        // A property, not a header: a host call of its own.
        let source_address = match in_effect && !plan.bypass.networks.is_empty() {
            true => host.property(&["source", "address"]),
            false => None,
        };
        let facts = RequestFacts {
            method,
            authority,
            path,
            token_values: &token_values,
            cookie: cookie.as_deref(),
            source_address: source_address.as_deref(),
        };
        let decision = decide(&plan, &facts, now);
        // The response format only for decisions that reply or may reply later (request headers
        // are unreadable once the response arrives).
        let format = match decision {
            Decision::Maintenance if plan.dry_run => None,
            Decision::Maintenance => Some(response_format(&self.formats, &headers)),
            Decision::PassWithFallback if fallback => {
                Some(response_format(&self.formats, &headers))
            }
            _ => None,
        };
        // The access log, before any reply: only while maintenance applies, or in dry run.
        if in_effect || plan.dry_run {
            record_decision(host, access_log::label(&decision, plan.dry_run));
        }
        if debug {
            // Without the query, even an encoded one: the cookie link carries its secret there.
            let path_only = loggable_path(path);
            let shown = match (&decision, format) {
                (Decision::Maintenance, Some(format)) => format!("Maintenance({format:?})"),
                (Decision::PassWithFallback, Some(format)) => {
                    format!("PassWithFallback({format:?})")
                }
                _ => format!("{decision:?}"),
            };
            let line = format!(
                "{} {} -> {shown}",
                String::from_utf8_lossy(method),
                String::from_utf8_lossy(path_only)
            );
            host.log(Level::Debug, &line);
        }
        let counter = Counter::for_decision(&decision, in_effect);
        match decision {
            Decision::Maintenance if plan.dry_run => {
                // Would-be maintenance: it goes through, without the secrets it carries (a
                // wrong or expired token, the bypass cookie); fail closed as a bypass does.
                if strip_secrets(host, &decision::strip(&plan, &facts)) {
                    self.metrics.count(host, Counter::DryRunResponses);
                    self.pass(host, None)
                } else {
                    self.fail_closed(host, &headers, now)
                }
            }
            Decision::Maintenance => {
                self.metrics.count(host, counter);
                // `format` is always taken for this decision above.
                let format = format.unwrap_or_else(|| response_format(&self.formats, &headers));
                self.reply_maintenance(host, &headers, format, now)
            }
            Decision::GrantCookie { set_cookie } => {
                self.metrics.count(host, counter);
                self.send_grant(host, &set_cookie.0)
            }
            Decision::Bypassed { via, strip } => {
                if strip_secrets(host, &strip) {
                    self.metrics.count(host, counter);
                    self.notice = notice;
                    // Outside maintenance a bypass path only exempts from the fallback.
                    self.pass(host, in_effect.then_some(via))
                } else {
                    self.fail_closed(host, &headers, now)
                }
            }
            Decision::PassWithFallback => {
                self.metrics.count(host, counter);
                self.fallback = format;
                if format.is_some() {
                    self.fallback_language = response_language(&headers, &plan);
                }
                self.notice = notice;
                self.pass(host, None)
            }
            Decision::Off | Decision::OutOfScope => {
                self.metrics.count(host, counter);
                self.pass(host, None)
            }
        }
    }

    /// A bypass secret could not be removed: it must not reach the upstream, so the request
    /// gets the maintenance response (even in dry run).
    fn fail_closed(&mut self, host: &mut impl Host, headers: &HeaderSlices, now: i64) -> Flow {
        self.metrics.count(host, Counter::Responses);
        record_decision(host, access_log::label(&Decision::Maintenance, false));
        self.reply_maintenance(host, headers, response_format(&self.formats, headers), now)
    }

    /// Lets a request go upstream: with `bypass.header`, marked with the bypass it went through
    /// (`via`), and never with a client's copy.
    fn pass(&mut self, host: &mut impl Host, via: Option<Via>) -> Flow {
        if let Some(header) = &self.plan.bypass.header {
            let marked = match via {
                Some(via) => host.set_request_header(header, via.name().as_bytes()),
                None => host.remove_request_header(header),
            };
            if let Err(refused) = marked {
                let line = format!("could not set or remove the bypass header {header}: {refused}");
                host.log(Level::Error, &line);
            }
        }
        Flow::Continue
    }

    /// A request that passes because maintenance does not apply: in dry run the access log
    /// says so; otherwise nothing is done but removing a client's `bypass.header`.
    fn pass_off(&mut self, host: &mut impl Host) -> Flow {
        if self.plan.dry_run {
            record_decision(host, access_log::label(&Decision::Off, true));
        }
        self.pass(host, None)
    }

    /// The response headers: replace an upstream failure by the maintenance response, for
    /// requests that passed in scope and not bypassed. Never the plugin's own reply, which the
    /// host shows here too.
    pub fn on_response_headers(&mut self, host: &mut impl Host) -> Flow {
        if self.replied {
            return Flow::Continue;
        }
        let Some(format) = self.fallback else {
            self.add_notice(host);
            return Flow::Continue;
        };
        let status = host.response_header(":status");
        let grpc_status = match format {
            _ if format.is_grpc() => host.response_header("grpc-status"),
            _ => None,
        };
        // Only upstream responses and Envoy's own replies for a failed upstream, never another
        // filter's or plugin instance's local reply (see fallback_source.rs).
        if !upstream_fallback::replace(
            &self.plan,
            format,
            status.as_deref(),
            grpc_status.as_deref(),
            || host.property(&["response", "code_details"]),
        ) {
            self.add_notice(host);
            return Flow::Continue;
        }
        if host.log_enabled(Level::Debug) {
            let line = format!(
                "upstream answered {} (grpc-status {}): sending the maintenance response instead",
                String::from_utf8_lossy(status.as_deref().unwrap_or_default()),
                String::from_utf8_lossy(grpc_status.as_deref().unwrap_or(b"-"))
            );
            host.log(Level::Debug, &line);
        }
        if self.plan.dry_run {
            self.metrics.count(host, Counter::DryRunReplaced);
            record_decision(host, access_log::DRY_RUN_REPLACED);
            return Flow::Continue;
        }
        self.metrics.count(host, Counter::UpstreamReplaced);
        record_decision(host, access_log::REPLACED);
        self.replied = true;
        // Outside a window there is no end to announce: the plan's own response.
        let response = Arc::clone(&self.plan.response);
        send_maintenance(
            host,
            response.in_language(self.fallback_language),
            format,
            0,
        );
        Flow::Pause
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod visibility_tests;
