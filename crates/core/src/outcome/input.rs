//! What the outcome may read: a request's headers, source address and clock, a response's
//! headers and origin. A host answers from its own (`plugin/request.rs` over the `Host`), tests
//! from a list; each value is read at most once, and only when the outcome asks for it.

/// The request headers the outcome reads by name, besides the configured token headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Path,
    Authority,
    Method,
    ContentType,
    Accept,
    AcceptLanguage,
    Cookie,
    /// CORS (`reply/cors.rs`): the page's origin, and what a preflight asks for.
    Origin,
    RequestMethod,
    RequestHeaders,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::Path,
        Field::Authority,
        Field::Method,
        Field::ContentType,
        Field::Accept,
        Field::AcceptLanguage,
        Field::Cookie,
        Field::Origin,
        Field::RequestMethod,
        Field::RequestHeaders,
    ];

    /// The header's name, in lower case as hosts give them.
    pub fn name(self) -> &'static str {
        match self {
            Field::Path => ":path",
            Field::Authority => ":authority",
            Field::Method => ":method",
            Field::ContentType => "content-type",
            Field::Accept => "accept",
            Field::AcceptLanguage => "accept-language",
            Field::Cookie => "cookie",
            Field::Origin => "origin",
            Field::RequestMethod => "access-control-request-method",
            Field::RequestHeaders => "access-control-request-headers",
        }
    }

    /// For a header whose field lines make one list, the separator that joins them (RFC 9110
    /// section 5.3; `cookie` as HTTP/2 joins it, RFC 9113 section 8.2.3): a bypass cookie in a
    /// later line must be seen and removed too, and a second `Accept-Language` line counts.
    pub fn list_separator(self) -> Option<&'static [u8]> {
        match self {
            Field::Cookie => Some(b"; "),
            Field::AcceptLanguage => Some(b", "),
            _ => None,
        }
    }

    /// The field called `name` (lower case), if it is one.
    pub fn named(name: &[u8]) -> Option<Field> {
        // By length first: one comparison per header of a request, most of which are none.
        let field = match name.len() {
            5 => Field::Path,
            6 => match name.first() {
                Some(b'a') => Field::Accept,
                Some(b'o') => Field::Origin,
                _ => Field::Cookie,
            },
            7 => Field::Method,
            10 => Field::Authority,
            12 => Field::ContentType,
            15 => Field::AcceptLanguage,
            29 => Field::RequestMethod,
            30 => Field::RequestHeaders,
            _ => return None,
        };
        (name == field.name().as_bytes()).then_some(field)
    }

    /// Position in [`Field::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A request, as the outcome reads it.
pub trait RequestInput {
    /// The field's value: its first line, or every line joined for a list (see
    /// [`Field::list_separator`]).
    fn field(&self, field: Field) -> Option<&[u8]>;
    /// The first value of another header (`name` in lower case: a bypass token header).
    fn header(&self, name: &str) -> Option<Vec<u8>>;
    /// Every header name in the request, in the host's order.
    fn header_names(&self) -> Vec<&[u8]>;
    /// Envoy's `source.address` property (`ip:port`).
    fn source_address(&self) -> Option<&[u8]>;
    /// Envoy's `metadata` property: the stream's dynamic metadata (a serialized
    /// `envoy.config.core.v3.Metadata`), where `jwt_authn` keeps verified payloads.
    fn dynamic_metadata(&self) -> Option<&[u8]>;
    /// The host clock in unix seconds (1970 when unreadable: outside every window).
    fn now(&self) -> i64;
}

/// A response, as the outcome reads it.
pub trait ResponseInput {
    /// The first value of a response header (`:status`, `grpc-status`).
    fn header(&mut self, name: &str) -> Option<Vec<u8>>;
    /// Envoy's `response.code_details` property: where the response came from.
    fn code_details(&mut self) -> Option<Vec<u8>>;
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;

    use super::*;

    #[test]
    fn fields_are_known_by_their_names() {
        for (index, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(field.index(), index);
            assert_eq!(Field::named(field.name().as_bytes()), Some(field));
        }
        assert_eq!(Field::named(b"Accept"), None);
        assert_eq!(Field::named(b"x-path"), None);
    }

    /// A request given as a list of headers, recording what was read.
    #[derive(Default)]
    pub(crate) struct ListedRequest {
        pub(crate) headers: Vec<(&'static str, &'static [u8])>,
        pub(crate) source_address: Option<&'static [u8]>,
        pub(crate) dynamic_metadata: Option<Vec<u8>>,
        pub(crate) now: i64,
        joined: [std::cell::OnceCell<Option<Vec<u8>>>; Field::ALL.len()],
        pub(crate) reads: RefCell<Vec<String>>,
    }

    impl ListedRequest {
        pub(crate) fn new(headers: &[(&'static str, &'static [u8])]) -> ListedRequest {
            ListedRequest {
                headers: headers.to_vec(),
                ..ListedRequest::default()
            }
        }

        fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'static [u8]> + 'a {
            self.reads.borrow_mut().push(name.to_string());
            self.headers
                .iter()
                .filter(move |(n, _)| *n == name)
                .map(|(_, v)| *v)
        }
    }

    impl RequestInput for ListedRequest {
        fn field(&self, field: Field) -> Option<&[u8]> {
            match field.list_separator() {
                None => self.values(field.name()).next(),
                Some(separator) => self.joined[field.index()]
                    .get_or_init(|| {
                        self.values(field.name()).fold(None, |joined, value| {
                            let mut joined: Vec<u8> = match joined {
                                None => Vec::new(),
                                Some(mut joined) => {
                                    joined.extend_from_slice(separator);
                                    joined
                                }
                            };
                            joined.extend_from_slice(value);
                            Some(joined)
                        })
                    })
                    .as_deref(),
            }
        }

        fn header(&self, name: &str) -> Option<Vec<u8>> {
            self.values(name).next().map(<[u8]>::to_vec)
        }

        fn header_names(&self) -> Vec<&[u8]> {
            self.reads.borrow_mut().push("*".to_string());
            self.headers.iter().map(|(n, _)| n.as_bytes()).collect()
        }

        fn source_address(&self) -> Option<&[u8]> {
            self.source_address
        }

        fn dynamic_metadata(&self) -> Option<&[u8]> {
            self.reads.borrow_mut().push("metadata".to_string());
            self.dynamic_metadata.as_deref()
        }

        fn now(&self) -> i64 {
            self.reads.borrow_mut().push("now".to_string());
            self.now
        }
    }
}
