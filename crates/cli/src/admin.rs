//! Envoy's admin interface, through a tiny HTTP/1.1 client (GET only, `connection: close`,
//! plain and chunked bodies): enough to read the ECDS update counters.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(2);
/// Largest admin response read (the filtered stats are a few hundred bytes).
const MAX_RESPONSE: u64 = 4 * 1024 * 1024;

/// GET `path` from `address` (`HOST:PORT`): the status and the body.
pub fn get(address: &str, path: &str) -> Result<(u16, Vec<u8>), String> {
    let addrs: Vec<_> = address
        .to_socket_addrs()
        .map_err(|e| format!("{address} is not a HOST:PORT address ({e})"))?
        .collect();
    let mut last = String::from("no address");
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let mut stream = stream.ok_or(last)?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\naccept: */*\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE)
        .read_to_end(&mut raw)
        .map_err(|e| e.to_string())?;
    parse_response(&raw)
}

/// Status and body of a complete HTTP/1.1 response.
fn parse_response(raw: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the answer is not HTTP (no end of headers)")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.strip_prefix("HTTP/1."))
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or("the answer is not HTTP (no status line)")?;
    let chunked = lines.any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("transfer-encoding:") && lower.contains("chunked")
    });
    let body = &raw[end + 4..];
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok((status, body))
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunked body")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = body.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        body = body.get(size + 2..).ok_or("truncated chunk")?;
    }
}

/// How many ECDS updates of the filter `filter` Envoy has applied and rejected so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Updates {
    pub applied: u64,
    pub rejected: u64,
}

pub fn updates(address: &str, filter: &str) -> Result<Updates, String> {
    let prefix = format!("extension_config_discovery.http_filter.{filter}.");
    let regex: String = format!("^{}update_", prefix.replace('.', "[.]"));
    let path = format!("/stats?format=json&filter={}", percent_encode(&regex));
    let (status, body) = get(address, &path)?;
    if status != 200 {
        return Err(format!("its admin answered {status} to {path}"));
    }
    let json: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| format!("its admin's /stats is not JSON ({e})"))?;
    let stats = json
        .get("stats")
        .and_then(|s| s.as_array())
        .ok_or("its admin's /stats has no `stats` list")?;
    let value = |name: &str| -> u64 {
        stats
            .iter()
            .find(|s| s.get("name").and_then(|n| n.as_str()) == Some(&format!("{prefix}{name}")))
            .and_then(|s| s.get("value"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    Ok(Updates {
        applied: value("update_success"),
        rejected: value("update_rejected"),
    })
}

fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_chunked_responses() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi";
        assert_eq!(parse_response(plain).unwrap(), (200, b"hi".to_vec()));
        let chunked =
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), (404, b"abcde".to_vec()));
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n").is_err());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab")
                .is_err()
        );
    }

    #[test]
    fn nothing_listening_is_an_error() {
        // Bind then drop: a loopback port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = get(&format!("127.0.0.1:{port}"), "/ready").unwrap_err();
        assert!(err.to_lowercase().contains("refused"), "{err}");
        assert!(get("not an address", "/").is_err());
    }

    #[test]
    fn stats_filter_is_percent_encoded() {
        assert_eq!(percent_encode("^a[.]b c"), "%5Ea%5B.%5Db%20c");
    }
}
