//! A request's headers, source address and clock as the outcome reads them (`RequestInput`),
//! through the host, each at most once and only when the outcome asks.
//!
//! Headers come from one host call for the whole map when the host says that is cheaper
//! (`Host::reads_whole_map`: proxy-wasm in Envoy, where a call costs about as much as the map
//! of a browser's request), else one call per header; lists and header names always come from
//! the map. An unreadable map reads as no headers, which can only keep a request in
//! maintenance.

use std::cell::{OnceCell, RefCell};
use std::ops::Range;

use log::Level;

use crate::host::{header_spans, unix_now, Host};
use crate::outcome::{Field, RequestInput};

/// The request being handled, read through `host` on demand.
pub(crate) struct HostRequest<'h, H> {
    host: RefCell<&'h mut H>,
    whole_map: bool,
    map: OnceCell<HeaderMap>,
    /// Fields read one by one, and lists of several lines joined. Inline: a few words to
    /// initialize, where a box cost an allocation and a free per request.
    own: OwnFields,
    source_address: OnceCell<Option<Vec<u8>>>,
    dynamic_metadata: OnceCell<Option<Vec<u8>>>,
    now: OnceCell<i64>,
}

/// Each field's own bytes, once read.
type OwnFields = [OnceCell<Option<Vec<u8>>>; Field::ALL.len()];

/// The request header map as the host serialized it, and where each field's first line lies
/// in it (found in one pass when the map is read).
#[derive(Default)]
struct HeaderMap {
    bytes: Vec<u8>,
    fields: [Found; Field::ALL.len()],
}

/// Where a field's first line lies, and whether it has more.
#[derive(Default, Clone)]
struct Found {
    first: Option<Range<usize>>,
    more: bool,
}

impl HeaderMap {
    fn read(host: &mut impl Host) -> HeaderMap {
        let bytes = host.request_header_map().unwrap_or_else(|refused| {
            let line = format!("cannot read the request headers ({refused})");
            host.log(Level::Warn, &line);
            Vec::new()
        });
        let mut fields: [Found; Field::ALL.len()] = Default::default();
        let mut spans = header_spans(&bytes);
        for (name, value) in spans.by_ref() {
            let Some(field) = bytes.get(name).and_then(Field::named) else {
                continue;
            };
            let found = &mut fields[field.index()];
            match found.first {
                None => found.first = Some(value),
                Some(_) => found.more = true,
            }
        }
        if !spans.complete() {
            return HeaderMap::default();
        }
        HeaderMap { bytes, fields }
    }

    /// Every value of `name` (lower case, compared as bytes), in the host's order.
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        header_spans(&self.bytes).filter_map(move |(n, v)| {
            (self.bytes.get(n)? == name.as_bytes()).then_some(())?;
            self.bytes.get(v)
        })
    }

    /// Every line of a list `field` joined with `separator`, when it has several.
    fn joined(&self, field: Field, separator: &[u8]) -> Vec<u8> {
        let mut joined = Vec::new();
        for (index, line) in self.values(field.name()).enumerate() {
            if index > 0 {
                joined.extend_from_slice(separator);
            }
            joined.extend_from_slice(line);
        }
        joined
    }
}

impl<'h, H: Host> HostRequest<'h, H> {
    pub(crate) fn new(host: &'h mut H) -> HostRequest<'h, H> {
        HostRequest {
            whole_map: host.reads_whole_map(),
            host: RefCell::new(host),
            map: OnceCell::new(),
            own: Default::default(),
            source_address: OnceCell::new(),
            dynamic_metadata: OnceCell::new(),
            now: OnceCell::new(),
        }
    }

    fn map(&self) -> &HeaderMap {
        self.map.get_or_init(|| match self.host.try_borrow_mut() {
            Ok(mut host) => HeaderMap::read(&mut **host),
            Err(_) => HeaderMap::default(),
        })
    }

    /// One header alone, from the host.
    fn single(&self, name: &str) -> Option<Vec<u8>> {
        self.host.try_borrow_mut().ok()?.request_header(name)
    }
}

impl<H: Host> RequestInput for HostRequest<'_, H> {
    fn field(&self, field: Field) -> Option<&[u8]> {
        let own = || &self.own[field.index()];
        let separator = field.list_separator();
        if separator.is_none() && !self.whole_map {
            return own().get_or_init(|| self.single(field.name())).as_deref();
        }
        let map = self.map();
        let found = &map.fields[field.index()];
        match separator {
            Some(separator) if found.more => {
                (own().get_or_init(|| Some(map.joined(field, separator)))).as_deref()
            }
            _ => map.bytes.get(found.first.clone()?),
        }
    }

    fn header(&self, name: &str) -> Option<Vec<u8>> {
        match self.whole_map {
            true => self.map().values(name).next().map(<[u8]>::to_vec),
            false => self.single(name),
        }
    }

    fn header_names(&self) -> Vec<&[u8]> {
        let map = self.map();
        (header_spans(&map.bytes))
            .filter_map(|(name, _)| map.bytes.get(name))
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
