//! Chooses the maintenance response's format from the request's `content-type` and `Accept`.

/// The format of a maintenance response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// gRPC or gRPC-web: HTTP 200, `grpc-status: 14`, `grpc-message` (see [`Grpc`]).
    Grpc(Grpc),
    Html,
    /// RFC 9457 `application/problem+json`.
    Json,
    Plain,
}

impl Format {
    /// Whether the request speaks gRPC or gRPC-web.
    pub fn is_grpc(self) -> bool {
        matches!(self, Format::Grpc(_))
    }
}

/// The gRPC protocol a request speaks, by its `content-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grpc {
    /// `application/grpc`, `application/grpc+<codec>`.
    Native,
    /// gRPC-web: the content type the reply echoes.
    Web(Web),
}

/// The gRPC-web content types a reply can echo. Other codecs (`+json`, `+thrift`) are answered
/// with the family's plain type: the reply carries no message, only the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Web {
    Binary,
    BinaryProto,
    /// Base64 (`application/grpc-web-text`): the body is base64-encoded too.
    Text,
    TextProto,
}

impl Web {
    pub fn content_type(self) -> &'static str {
        match self {
            Web::Binary => "application/grpc-web",
            Web::BinaryProto => "application/grpc-web+proto",
            Web::Text => "application/grpc-web-text",
            Web::TextProto => "application/grpc-web-text+proto",
        }
    }

    pub fn is_text(self) -> bool {
        matches!(self, Web::Text | Web::TextProto)
    }
}

/// The gRPC protocol of a request with this `content-type`, if any. The media type (before any
/// `;` parameters) is compared without regard to case and must be `application/grpc` or
/// `application/grpc-web` or `application/grpc-web-text`, each optionally with a `+codec`
/// suffix: `application/grpcfoo` and `application/grpc-webfoo` are not gRPC.
pub fn grpc(content_type: &[u8]) -> Option<Grpc> {
    let value = content_type.trim_ascii();
    let media = value
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let (base, codec) = match media.iter().position(|&b| b == b'+') {
        Some(plus) => (&media[..plus], Some(&media[plus + 1..])),
        None => (media, None),
    };
    let proto = codec.is_some_and(|codec| codec.eq_ignore_ascii_case(b"proto"));
    if base.eq_ignore_ascii_case(b"application/grpc") {
        Some(Grpc::Native)
    } else if base.eq_ignore_ascii_case(b"application/grpc-web") {
        Some(Grpc::Web(if proto {
            Web::BinaryProto
        } else {
            Web::Binary
        }))
    } else if base.eq_ignore_ascii_case(b"application/grpc-web-text") {
        Some(Grpc::Web(if proto { Web::TextProto } else { Web::Text }))
    } else {
        None
    }
}

/// Picks the format: gRPC by content type; otherwise by `Accept`. Only explicit `text/html`
/// counts for HTML and only explicit `application/json` or `application/problem+json` for JSON,
/// so `*/*` (curl, scripts) gets plain text. On equal quality: HTML, then JSON, then plain text.
pub fn choose(content_type: Option<&[u8]>, accept: Option<&[u8]>) -> Format {
    if let Some(grpc) = content_type.and_then(grpc) {
        return Format::Grpc(grpc);
    }
    match accept {
        Some(accept) => by_accept(accept),
        None => Format::Plain,
    }
}

/// [`choose`], remembering the last `Accept` value and its format: clients send the same
/// value request after request, and parsing it costs more than the rest of the page's
/// decision. One per VM (the root context's, shared by its streams).
#[derive(Debug, Default)]
pub(crate) struct AcceptMemo {
    accept: Vec<u8>,
    format: Option<Format>,
}

impl AcceptMemo {
    /// Values longer than this are parsed every time (bounded memory).
    const LONGEST: usize = 512;

    pub(crate) fn choose(&mut self, content_type: Option<&[u8]>, accept: Option<&[u8]>) -> Format {
        if let Some(grpc) = content_type.and_then(grpc) {
            return Format::Grpc(grpc);
        }
        let Some(accept) = accept else {
            return Format::Plain;
        };
        match self.format {
            Some(format) if self.accept == accept => format,
            _ => {
                let format = by_accept(accept);
                if accept.len() <= Self::LONGEST {
                    self.accept.clear();
                    self.accept.extend_from_slice(accept);
                    self.format = Some(format);
                }
                format
            }
        }
    }
}

/// The format `Accept` asks for (see [`choose`]).
fn by_accept(accept: &[u8]) -> Format {
    let mut html = 0u16;
    let mut json = 0u16;
    // Plain text takes its quality from the most specific range that names it.
    let mut plain_exact: Option<u16> = None;
    let mut plain_text_any: Option<u16> = None;
    let mut plain_any: Option<u16> = None;
    for entry in accept.split(|&b| b == b',') {
        let mut parts = entry.split(|&b| b == b';');
        let media_range = parts.next().unwrap_or_default().trim_ascii();
        let Some(quality) = quality(parts) else {
            continue;
        };
        let is = |name: &[u8]| media_range.eq_ignore_ascii_case(name);
        if is(b"text/html") {
            html = html.max(quality);
        } else if is(b"application/json") || is(b"application/problem+json") {
            json = json.max(quality);
        } else if is(b"text/plain") {
            plain_exact = Some(plain_exact.unwrap_or(0).max(quality));
        } else if is(b"text/*") {
            plain_text_any = Some(plain_text_any.unwrap_or(0).max(quality));
        } else if is(b"*/*") {
            plain_any = Some(plain_any.unwrap_or(0).max(quality));
        }
    }
    let plain = plain_exact.or(plain_text_any).or(plain_any).unwrap_or(0);
    if html > 0 && html >= json && html >= plain {
        Format::Html
    } else if json > 0 && json >= plain {
        Format::Json
    } else {
        Format::Plain
    }
}

/// The `q` parameter in thousandths (1000 when absent); `None` for an unparsable one, which
/// makes the entry count for nothing.
pub(crate) fn quality<'a>(parameters: impl Iterator<Item = &'a [u8]>) -> Option<u16> {
    for parameter in parameters {
        let parameter = parameter.trim_ascii();
        let Some(value) = parameter
            .strip_prefix(b"q=")
            .or_else(|| parameter.strip_prefix(b"Q="))
        else {
            continue;
        };
        return parse_qvalue(value.trim_ascii());
    }
    Some(1000)
}

/// RFC 9110 qvalue: `0`, `0.d{0,3}`, `1` or `1.0{0,3}`.
fn parse_qvalue(value: &[u8]) -> Option<u16> {
    let (whole, fraction) = match value.iter().position(|&b| b == b'.') {
        Some(dot) => (&value[..dot], &value[dot + 1..]),
        None => (value, &b""[..]),
    };
    if fraction.len() > 3 || !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = 0u16;
    for (position, digit) in fraction.iter().enumerate() {
        thousandths += u16::from(digit - b'0') * [100, 10, 1][position];
    }
    match whole {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(accept: &str) -> Format {
        choose(None, Some(accept.as_bytes()))
    }

    #[test]
    fn grpc_by_content_type() {
        let cases = [
            ("application/grpc", Grpc::Native),
            ("application/grpc+proto", Grpc::Native),
            ("application/grpc+json", Grpc::Native),
            ("application/grpc+proto; charset=utf-8", Grpc::Native),
            (" application/grpc ", Grpc::Native),
            ("application/grpc;charset=utf-8", Grpc::Native),
            ("Application/GRPC", Grpc::Native),
            ("APPLICATION/GRPC+PROTO", Grpc::Native),
            ("application/grpc-web", Grpc::Web(Web::Binary)),
            ("Application/GRPC-web", Grpc::Web(Web::Binary)),
            ("application/grpc-web+proto", Grpc::Web(Web::BinaryProto)),
            ("application/grpc-web+PROTO", Grpc::Web(Web::BinaryProto)),
            ("application/grpc-web+json", Grpc::Web(Web::Binary)),
            (
                "application/grpc-web; charset=utf-8",
                Grpc::Web(Web::Binary),
            ),
            ("application/grpc-web-text", Grpc::Web(Web::Text)),
            ("application/grpc-web-text+proto", Grpc::Web(Web::TextProto)),
            (
                "application/grpc-web-text+proto;x=y",
                Grpc::Web(Web::TextProto),
            ),
        ];
        for (content_type, expected) in cases {
            assert_eq!(
                choose(Some(content_type.as_bytes()), Some(b"text/html")),
                Format::Grpc(expected),
                "{content_type}"
            );
        }
        for not_grpc in [
            "application/grpcfoo",
            "application/grpc-webfoo",
            "application/grpc-web-textfoo",
            "application/grpc-",
            "application/grpc-text",
            "application/grp",
            "text/grpc",
            "application/json",
            "",
        ] {
            assert_eq!(
                choose(Some(not_grpc.as_bytes()), Some(b"text/html")),
                Format::Html,
                "{not_grpc}"
            );
        }
        assert!(Format::Grpc(Grpc::Native).is_grpc() && !Format::Plain.is_grpc());
        assert!(Web::Text.is_text() && Web::TextProto.is_text() && !Web::Binary.is_text());
    }

    #[test]
    fn browsers_get_html() {
        assert_eq!(
            format("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            Format::Html
        );
    }

    #[test]
    fn apis_get_json() {
        assert_eq!(format("application/json"), Format::Json);
        assert_eq!(format("application/problem+json"), Format::Json);
        assert_eq!(format("application/json, */*;q=0.1"), Format::Json);
        assert_eq!(format("text/html;q=0.5, application/json"), Format::Json);
    }

    #[test]
    fn everything_else_gets_plain_text() {
        assert_eq!(choose(None, None), Format::Plain);
    }

    #[test]
    fn the_memo_chooses_as_choose_does() {
        let mut memo = AcceptMemo::default();
        let long = format!("{}, application/json", "x/y;q=0.1, ".repeat(60));
        let cases: [(Option<&str>, Option<&str>); 8] = [
            (None, Some("text/html")),
            (None, Some("text/html")),
            (None, Some("application/json")),
            (Some("application/grpc"), Some("application/json")),
            (None, Some("application/json")),
            (None, None),
            (None, Some(long.as_str())),
            (None, Some("text/html;q=0.1, text/plain")),
        ];
        for (content_type, accept) in cases {
            let (content_type, accept) =
                (content_type.map(str::as_bytes), accept.map(str::as_bytes));
            assert_eq!(
                memo.choose(content_type, accept),
                choose(content_type, accept),
                "{accept:?}"
            );
        }
        assert_eq!(format("*/*"), Format::Plain);
        assert_eq!(format(""), Format::Plain);
        assert_eq!(format("image/png"), Format::Plain);
        assert_eq!(format("text/plain, text/html;q=0.9"), Format::Plain);
        assert_eq!(format("text/*, application/json;q=0.5"), Format::Plain);
    }

    #[test]
    fn ties_go_to_html_then_json() {
        assert_eq!(format("application/json, text/html"), Format::Html);
        assert_eq!(format("text/html, */*"), Format::Html);
        assert_eq!(
            format("application/json;q=0.8, text/plain;q=0.8"),
            Format::Json
        );
    }

    #[test]
    fn q_zero_excludes_and_bad_q_is_ignored() {
        assert_eq!(
            format("text/html;q=0, application/json;q=0.1"),
            Format::Json
        );
        assert_eq!(format("text/html;q=0.000"), Format::Plain);
        assert_eq!(
            format("text/html;q=2, application/json;q=0.1"),
            Format::Json
        );
        assert_eq!(format("text/html;q=abc"), Format::Plain);
        assert_eq!(
            format("text/html; charset=utf-8; q=0.9, application/json;q=0.8"),
            Format::Html
        );
        assert_eq!(format(" TEXT/HTML ; Q=1.000"), Format::Html);
    }

    #[test]
    fn qvalues_parse_strictly() {
        assert_eq!(parse_qvalue(b"0.5"), Some(500));
        assert_eq!(parse_qvalue(b"0.123"), Some(123));
        assert_eq!(parse_qvalue(b"1"), Some(1000));
        assert_eq!(parse_qvalue(b"1.000"), Some(1000));
        assert_eq!(parse_qvalue(b"1.001"), None);
        assert_eq!(parse_qvalue(b"0.1234"), None);
        assert_eq!(parse_qvalue(b"-1"), None);
        assert_eq!(parse_qvalue(b""), None);
    }
}
