//! A request's headers, source address and clock as the outcome reads them (`RequestInput`),
//! through the host, each at most once and only when the outcome asks.
//!
//! The headers come from one host call for the whole map: each host call (into Envoy, and
//! back into the VM to allocate the answer) costs about as much as the rest of the decision.
//! An unreadable map reads as no headers, which can only keep a request in maintenance.

use std::cell::{OnceCell, RefCell};
use std::ops::Range;

use log::Level;

use crate::host::{header_spans, Host};
use crate::outcome::{Field, RequestInput};
use crate::plugin::unix_now;

/// The request being handled, read through `host` on demand.
pub(crate) struct HostRequest<'h, H> {
    host: RefCell<&'h mut H>,
    map: OnceCell<HeaderMap>,
    /// Lists (`Field::list_separator`), found in the map.
    lists: [OnceCell<Option<List>>; Field::ALL.len()],
    source_address: OnceCell<Option<Vec<u8>>>,
    dynamic_metadata: OnceCell<Option<Vec<u8>>>,
    now: OnceCell<i64>,
}

/// A list header's value: its one line, where it lies in the map, or its lines joined.
enum List {
    Line(Range<usize>),
    Joined(Vec<u8>),
}

/// The request header map as the host serialized it, and where each name and value lies in it.
struct HeaderMap {
    bytes: Vec<u8>,
    spans: Vec<(Range<usize>, Range<usize>)>,
}

impl HeaderMap {
    fn read(host: &mut impl Host) -> HeaderMap {
        let bytes = host.request_header_map().unwrap_or_else(|refused| {
            let line = format!("cannot read the request headers ({refused})");
            host.log(Level::Warn, &line);
            Vec::new()
        });
        let spans = header_spans(&bytes).unwrap_or_default();
        HeaderMap { bytes, spans }
    }

    /// Where each value of `name` (lower case, compared as bytes) lies, in the host's order.
    fn spans<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Range<usize>> + 'a {
        (self.spans.iter())
            .filter(move |(n, _)| self.bytes.get(n.clone()) == Some(name.as_bytes()))
            .map(|(_, value)| value)
    }

    fn first(&self, name: &str) -> Option<&[u8]> {
        self.bytes.get(self.spans(name).next()?.clone())
    }

    /// Every line of `name` as one list, joined with `separator`.
    fn list(&self, name: &str, separator: &[u8]) -> Option<List> {
        let mut lines = self.spans(name);
        let first = lines.next()?;
        let Some(second) = lines.next() else {
            return Some(List::Line(first.clone()));
        };
        let mut joined = Vec::new();
        for (index, line) in [first, second].into_iter().chain(lines).enumerate() {
            if index > 0 {
                joined.extend_from_slice(separator);
            }
            joined.extend_from_slice(self.bytes.get(line.clone()).unwrap_or_default());
        }
        Some(List::Joined(joined))
    }
}

impl<'h, H: Host> HostRequest<'h, H> {
    pub(crate) fn new(host: &'h mut H) -> HostRequest<'h, H> {
        HostRequest {
            host: RefCell::new(host),
            map: OnceCell::new(),
            lists: Default::default(),
            source_address: OnceCell::new(),
            dynamic_metadata: OnceCell::new(),
            now: OnceCell::new(),
        }
    }

    fn map(&self) -> &HeaderMap {
        self.map.get_or_init(|| match self.host.try_borrow_mut() {
            Ok(mut host) => HeaderMap::read(&mut **host),
            Err(_) => HeaderMap {
                bytes: Vec::new(),
                spans: Vec::new(),
            },
        })
    }
}

impl<H: Host> RequestInput for HostRequest<'_, H> {
    fn field(&self, field: Field) -> Option<&[u8]> {
        let map = self.map();
        let Some(separator) = field.list_separator() else {
            return map.first(field.name());
        };
        let list = self.lists[field.index()].get_or_init(|| map.list(field.name(), separator));
        match list.as_ref()? {
            List::Line(line) => map.bytes.get(line.clone()),
            List::Joined(joined) => Some(joined),
        }
    }

    fn header(&self, name: &str) -> Option<Vec<u8>> {
        self.map().first(name).map(<[u8]>::to_vec)
    }

    fn header_names(&self) -> Vec<&[u8]> {
        let map = self.map();
        (map.spans.iter())
            .filter_map(|(name, _)| map.bytes.get(name.clone()))
            .collect()
    }

    fn source_address(&self) -> Option<&[u8]> {
        let address = self.source_address.get_or_init(|| {
            let mut host = self.host.try_borrow_mut().ok()?;
            host.property(&["source", "address"])
        });
        address.as_deref()
    }

    fn dynamic_metadata(&self) -> Option<&[u8]> {
        let metadata = self.dynamic_metadata.get_or_init(|| {
            let mut host = self.host.try_borrow_mut().ok()?;
            host.property(&["metadata"])
        });
        metadata.as_deref()
    }

    fn now(&self) -> i64 {
        *self.now.get_or_init(|| match self.host.try_borrow_mut() {
            Ok(mut host) => unix_now(&mut **host),
            Err(_) => 0,
        })
    }
}
