//! The replies the plugin sends itself, assembled for the host: status, headers and body, with
//! gRPC's trailers-only framing and gRPC-web's trailer frame. Which reply a request gets is the
//! outcome's (`outcome/`); the host only sends [`LocalReply::http`].

use std::sync::Arc;

use crate::decision::SetCookie;
use crate::host::Reply;
use crate::reply::assets::AssetReply;
use crate::reply::cors::{CorsHeaders, Preflight};
use crate::reply::format::{Format, Grpc};
use crate::reply::maintenance::{MaintenanceResponse, GRPC_UNAVAILABLE};
use crate::reply::status::{ALLOW, PREVIEW_HEADER};

/// A reply the plugin sends instead of passing the request (or the upstream's response) on.
#[derive(Debug, Clone)]
pub enum LocalReply<'p> {
    /// The maintenance response.
    Maintenance(Page),
    /// The maintenance response as it would be sent now, with status 200 and marked as a
    /// preview (`<status_path>/preview`).
    Preview(Page),
    /// The status document, in `language` when the configuration names languages.
    Status {
        document: String,
        language: Option<&'p str>,
    },
    /// `405` from the status endpoint, for methods other than GET and HEAD; for a gRPC call,
    /// grpc-status 12 (UNIMPLEMENTED) in the trailers-only form the maintenance reply uses.
    NotAllowed(Option<Grpc>),
    /// The cookie link: `302` to `/` setting the bypass cookie (with CORS headers for an
    /// allowed origin).
    GrantCookie(SetCookie, Option<CorsHeaders>),
    /// A CORS preflight answered while maintenance applies (`reply/cors.rs`).
    Preflight(Preflight<'p>),
    /// One of the page's assets, or why not (`reply/assets.rs`), with CORS headers for an
    /// allowed origin.
    Asset(AssetReply<'p>, Option<CorsHeaders>),
}

/// The maintenance response as one request gets it.
#[derive(Debug, Clone)]
pub struct Page {
    pub response: Arc<MaintenanceResponse>,
    /// The translation chosen (`None`: the default language).
    pub language: Option<usize>,
    pub format: Format,
    /// `retry-after` counting down to the window's end (a configured one is in the
    /// response's own headers).
    pub retry_after: Option<Arc<str>>,
    /// For a request from an origin `cors` allows.
    pub cors: Option<CorsHeaders>,
}

impl LocalReply<'_> {
    /// The reply as the host sends it (the host adds `content-length`; Envoy drops the body of a
    /// reply to HEAD but keeps its content-length).
    pub fn http(&self) -> Reply<'_> {
        match self {
            LocalReply::Maintenance(page) => maintenance(page),
            LocalReply::Preview(page) => preview(page),
            LocalReply::Status { document, language } => {
                let mut headers = vec![
                    ("content-type", "application/json"),
                    ("cache-control", "no-store"),
                    ("access-control-allow-origin", "*"),
                ];
                if let Some(language) = language {
                    headers.push(("content-language", language));
                }
                Reply::Http {
                    status: 200,
                    headers,
                    body: Some(document.as_bytes()),
                }
            }
            LocalReply::NotAllowed(None) => Reply::Http {
                status: 405,
                headers: vec![
                    ("allow", ALLOW),
                    ("cache-control", "no-store"),
                    ("access-control-allow-origin", "*"),
                ],
                body: None,
            },
            LocalReply::NotAllowed(Some(grpc)) => {
                // Made here, as the maintenance reply is (see `maintenance`): left to Envoy,
                // the 405 reaches a gRPC client as a status that depends on the build.
                let (content_type, body) = match grpc {
                    Grpc::Web(web) if web.is_text() => {
                        (web.content_type(), Some(UNIMPLEMENTED_TEXT))
                    }
                    Grpc::Web(web) => (web.content_type(), Some(&UNIMPLEMENTED_FRAME[..])),
                    Grpc::Native => ("application/grpc", None),
                };
                Reply::Http {
                    status: 200,
                    headers: vec![
                        ("content-type", content_type),
                        ("grpc-status", GRPC_UNIMPLEMENTED),
                        ("allow", ALLOW),
                        ("cache-control", "no-store"),
                        ("access-control-allow-origin", "*"),
                    ],
                    body,
                }
            }
            LocalReply::GrantCookie(set_cookie, cors) => {
                let mut headers = vec![
                    ("location", "/"),
                    ("set-cookie", set_cookie.0.as_str()),
                    ("cache-control", "no-store"),
                    // The link carries the secret in its query: never pass it on as a referrer.
                    ("referrer-policy", "no-referrer"),
                ];
                if let Some(cors) = cors {
                    cors.add_to(&mut headers);
                }
                Reply::Http {
                    status: 302,
                    headers,
                    body: None,
                }
            }
            LocalReply::Preflight(preflight) => preflight.reply(),
            LocalReply::Asset(answer, cors) => {
                let mut extra = Vec::new();
                if let Some(cors) = cors {
                    cors.add_to(&mut extra);
                }
                answer.reply(extra)
            }
        }
    }
}

/// gRPC's UNIMPLEMENTED: the status endpoint answers GET and HEAD, never a call.
const GRPC_UNIMPLEMENTED: &str = "12";
/// gRPC-web's trailer frame carrying only `grpc-status:12` (flag 0x80, a 16-byte block)...
const UNIMPLEMENTED_FRAME: [u8; 21] = *b"\x80\0\0\0\x10grpc-status:12\r\n";
/// ... and the same frame in base64, for `application/grpc-web-text`.
const UNIMPLEMENTED_TEXT: &[u8] = b"gAAAABBncnBjLXN0YXR1czoxMg0K";

/// The response's own headers, then `retry-after` when it counts down.
fn common<'a>(
    page: &'a Page,
    response: &'a MaintenanceResponse,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    response
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain(
            page.retry_after
                .as_deref()
                .map(|seconds| ("retry-after", seconds)),
        )
}

fn maintenance(page: &Page) -> Reply<'_> {
    let response = page.response.in_language(page.language);
    // One allocation, in the final order: the format's headers, the response's, Retry-After.
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(response.headers.len() + 8);
    match (page.format, response.rendered(page.format)) {
        (Format::Grpc(grpc), _) => {
            // The trailers-only reply, made by the plugin rather than by Envoy's gRPC local
            // reply: Envoy takes a request for gRPC only by the content type it had before the
            // first filter ran, so behind Envoy's grpc_web filter (which turns gRPC-web into
            // gRPC) Envoy's own would answer grpc-status 2. For gRPC, Envoy completes this one
            // (content-type, no body); behind the grpc_web filter, that filter turns it into
            // gRPC-web. gRPC-web also gets the trailers as a trailer frame in the body: Envoy
            // drops the content-type of a reply without a body, and gRPC-web clients need it.
            let (content_type, body) = match grpc {
                Grpc::Web(web) => (web.content_type(), Some(response.grpc_web_body(web))),
                Grpc::Native => ("application/grpc", None),
            };
            headers.push(("content-type", content_type));
            headers.push(("grpc-status", GRPC_UNAVAILABLE));
            if !response.grpc_message_encoded.is_empty() {
                headers.push(("grpc-message", &response.grpc_message_encoded));
            }
            headers.extend(common(page, response));
            if let Some(cors) = &page.cors {
                cors.add_to(&mut headers);
            }
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
            headers.extend(common(page, response));
            if let Some(cors) = &page.cors {
                cors.add_to(&mut headers);
            }
            Reply::Http {
                status: response.status,
                headers,
                body: rendered.map(|rendered| rendered.body.as_slice()),
            }
        }
    }
}

/// The maintenance response as it would be sent now, gRPC's included, with `200` (gRPC's is
/// already) and marked as a preview.
fn preview(page: &Page) -> Reply<'_> {
    let Reply::Http { headers, body, .. } = maintenance(page);
    let mut headers = headers;
    headers.push((PREVIEW_HEADER, "true"));
    Reply::Http {
        status: 200,
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::reply::format::Web;

    fn page(config: &str, format: Format) -> Page {
        let plan = parse(config.as_bytes()).unwrap();
        Page {
            response: Arc::clone(&plan.response),
            language: None,
            format,
            retry_after: Some(Arc::from("42")),
            cors: None,
        }
    }

    fn parts(reply: Reply<'_>) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let Reply::Http {
            status,
            headers,
            body,
        } = reply;
        let headers = headers
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        (status, headers, body.unwrap_or_default().to_vec())
    }

    fn names(headers: &[(String, String)]) -> Vec<&str> {
        headers.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn the_maintenance_reply_in_each_framing() {
        let config = r#"{"reason": "db 100%", "response": {"headers": {"x-extra": "1"}}}"#;
        let html = LocalReply::Maintenance(page(config, Format::Html));
        let (status, headers, body) = parts(html.http());
        assert_eq!(status, 503);
        assert_eq!(
            names(&headers),
            ["content-type", "cache-control", "x-extra", "retry-after"]
        );
        assert!(String::from_utf8_lossy(&body).contains("db 100%"));
        // gRPC: trailers-only, 200, no body; the reason percent-encoded.
        let grpc = LocalReply::Maintenance(page(config, Format::Grpc(Grpc::Native)));
        let (status, headers, body) = parts(grpc.http());
        assert_eq!(status, 200);
        assert_eq!(
            headers[..3],
            [
                ("content-type".to_string(), "application/grpc".to_string()),
                ("grpc-status".to_string(), "14".to_string()),
                ("grpc-message".to_string(), "db 100%25".to_string())
            ]
        );
        assert!(body.is_empty());
        // gRPC-web: the trailer frame as the body, base64 for the text variant.
        let web = LocalReply::Maintenance(page(config, Format::Grpc(Grpc::Web(Web::TextProto))));
        let (_, headers, body) = parts(web.http());
        assert_eq!(headers[0].1, "application/grpc-web-text+proto");
        let block = b"grpc-status:14\r\ngrpc-message:db 100%25\r\n";
        let mut frame = vec![0x80, 0, 0, 0, block.len() as u8];
        frame.extend_from_slice(block);
        assert_eq!(body, crate::bytes::base64_encode(&frame));
        // No reason: no grpc-message at all.
        let quiet = LocalReply::Maintenance(page(r#"{"reason": ""}"#, Format::Grpc(Grpc::Native)));
        let (_, headers, _) = parts(quiet.http());
        assert!(!names(&headers).contains(&"grpc-message"));
    }

    #[test]
    fn the_preview_the_status_document_405_and_the_cookie_link() {
        // The preview is the response as sent, with 200, gRPC's trailers-only reply included.
        let html = LocalReply::Preview(page("{}", Format::Html));
        let (status, headers, body) = parts(html.http());
        assert_eq!(status, 200);
        assert_eq!(headers[0].1, "text/html; charset=utf-8");
        let marked = (PREVIEW_HEADER.to_string(), "true".to_string());
        assert_eq!(headers.last(), Some(&marked));
        let sent = parts(LocalReply::Maintenance(page("{}", Format::Html)).http());
        assert_eq!(
            (&headers[..headers.len() - 1], &body),
            (&sent.1[..], &sent.2)
        );
        let grpc = LocalReply::Preview(page("{}", Format::Grpc(Grpc::Native)));
        let (status, headers, body) = parts(grpc.http());
        assert_eq!(status, 200);
        assert_eq!(names(&headers)[..2], ["content-type", "grpc-status"]);
        assert_eq!(headers[0].1, "application/grpc");
        assert_eq!(headers.last(), Some(&marked));
        assert!(body.is_empty());
        let document = LocalReply::Status {
            document: "{}".to_string(),
            language: Some("fr"),
        };
        let (status, headers, body) = parts(document.http());
        assert_eq!((status, body.as_slice()), (200, &b"{}"[..]));
        assert!(headers.contains(&("content-language".to_string(), "fr".to_string())));
        let (status, headers, _) = parts(LocalReply::NotAllowed(None).http());
        assert_eq!(status, 405);
        assert!(headers.contains(&("allow".to_string(), "GET, HEAD".to_string())));
        let (status, headers, body) = parts(LocalReply::NotAllowed(Some(Grpc::Native)).http());
        assert_eq!((status, body.len()), (200, 0));
        assert!(headers.contains(&("grpc-status".to_string(), "12".to_string())));
        assert!(headers.contains(&("content-type".to_string(), "application/grpc".to_string())));
        let block = b"grpc-status:12\r\n";
        let mut frame = vec![0x80, 0, 0, 0, block.len() as u8];
        frame.extend_from_slice(block);
        let (_, _, body) = parts(LocalReply::NotAllowed(Some(Grpc::Web(Web::Binary))).http());
        assert_eq!(body, frame);
        let (_, headers, body) =
            parts(LocalReply::NotAllowed(Some(Grpc::Web(Web::TextProto))).http());
        assert_eq!(body, crate::bytes::base64_encode(&frame));
        assert!(headers.contains(&(
            "content-type".to_string(),
            Web::TextProto.content_type().to_string()
        )));
        let grant = LocalReply::GrantCookie(SetCookie("mm=abc; Path=/".to_string()), None);
        let (status, headers, _) = parts(grant.http());
        assert_eq!(status, 302);
        assert!(headers.contains(&("set-cookie".to_string(), "mm=abc; Path=/".to_string())));
        assert!(headers.contains(&("referrer-policy".to_string(), "no-referrer".to_string())));
    }
}
