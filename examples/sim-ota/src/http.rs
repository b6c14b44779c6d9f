//! The little HTTP/1.1 both ends speak: one request per connection
//! (`Connection: close`), bodies sized by `Content-Length`, and byte ranges
//! (`Range: bytes=N-`, `If-Range`) so a cut download can resume.
//!
//! Everything read from the peer is bounded ([`MAX_HEAD`]) and parsed
//! without panicking: a head that does not parse is an [`HttpError`].

use std::fmt;
use std::io::{self, BufRead, Read};

/// Longest request or response head accepted (status line plus headers).
pub const MAX_HEAD: usize = 8 * 1024;

/// Why a message head could not be read.
#[derive(Debug)]
pub enum HttpError {
    /// The connection failed.
    Io(io::Error),
    /// The connection closed before the head was complete.
    Closed,
    /// The head is longer than [`MAX_HEAD`].
    TooLong,
    /// The head does not parse; the text says what is wrong.
    Malformed(&'static str),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Io(e) => write!(f, "{e}"),
            HttpError::Closed => f.write_str("connection closed before the message head"),
            HttpError::TooLong => write!(f, "message head longer than {MAX_HEAD} bytes"),
            HttpError::Malformed(what) => write!(f, "malformed HTTP: {what}"),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<io::Error> for HttpError {
    fn from(e: io::Error) -> Self {
        HttpError::Io(e)
    }
}

/// Read a message head: every line up to and including the empty one.
pub fn read_head<R: BufRead>(r: &mut R) -> Result<String, HttpError> {
    let mut head = Vec::new();
    loop {
        let budget = (MAX_HEAD - head.len()) as u64;
        let start = head.len();
        let n = r.by_ref().take(budget).read_until(b'\n', &mut head)?;
        if n == 0 || head.last() != Some(&b'\n') {
            return Err(if head.len() >= MAX_HEAD {
                HttpError::TooLong
            } else {
                HttpError::Closed
            });
        }
        let line = head.get(start..).unwrap_or_default();
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    String::from_utf8(head).map_err(|_| HttpError::Malformed("head is not UTF-8"))
}

/// The header lines of a head (after its first line), as (name, value).
fn headers(head: &str) -> impl Iterator<Item = Result<(&str, &str), HttpError>> {
    head.lines()
        .skip(1)
        .map(|l| l.trim_end_matches('\r'))
        .take_while(|l| !l.is_empty())
        .map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or(HttpError::Malformed("header line without `:`"))
        })
}

/// Whether `s` can be sent in a request line or a header value as is:
/// visible ASCII only (no spaces, no line breaks).
pub fn is_token_safe(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())
}

/// `bytes=START-` or `bytes=START-END` (END inclusive): the one range form
/// used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte, inclusive (`None`: to the end).
    pub end: Option<u64>,
}

impl ByteRange {
    fn parse(v: &str) -> Result<Self, HttpError> {
        let spec = v
            .strip_prefix("bytes=")
            .ok_or(HttpError::Malformed("range unit is not bytes"))?;
        let (a, b) = spec
            .split_once('-')
            .ok_or(HttpError::Malformed("range without `-`"))?;
        let start = parse_u64(a).ok_or(HttpError::Malformed("bad range start"))?;
        let end = match b.trim() {
            "" => None,
            e => Some(parse_u64(e).ok_or(HttpError::Malformed("bad range end"))?),
        };
        if end.is_some_and(|e| e < start) {
            return Err(HttpError::Malformed("range ends before it starts"));
        }
        Ok(ByteRange { start, end })
    }

    /// The bytes of a `len`-byte body this range selects, as `start..end`;
    /// `None` when it selects nothing (416).
    pub fn resolve(&self, len: u64) -> Option<(u64, u64)> {
        if self.start >= len {
            return None;
        }
        let end = self.end.map_or(len, |e| e.saturating_add(1).min(len));
        Some((self.start, end))
    }
}

fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// What the server needs from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, …
    pub method: String,
    /// The path (`/manifest.json`, `/images/NAME`).
    pub path: String,
    /// `Range`, if any.
    pub range: Option<ByteRange>,
    /// `If-Range` (an entity tag), if any.
    pub if_range: Option<String>,
}

impl Request {
    /// Parse a request head (from [`read_head`]).
    pub fn parse(head: &str) -> Result<Self, HttpError> {
        let first = head
            .lines()
            .next()
            .unwrap_or_default()
            .trim_end_matches('\r');
        let mut parts = first.split(' ');
        let (Some(method), Some(path), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HttpError::Malformed("request line"));
        };
        if !version.starts_with("HTTP/1.") {
            return Err(HttpError::Malformed("not HTTP/1.x"));
        }
        if !path.starts_with('/') {
            return Err(HttpError::Malformed("request target is not a path"));
        }
        let mut req = Request {
            method: method.to_string(),
            path: path.to_string(),
            range: None,
            if_range: None,
        };
        for h in headers(head) {
            let (k, v) = h?;
            if k.eq_ignore_ascii_case("range") {
                req.range = Some(ByteRange::parse(v)?);
            } else if k.eq_ignore_ascii_case("if-range") {
                req.if_range = Some(v.to_string());
            }
        }
        Ok(req)
    }
}

/// `Content-Range: bytes START-END/TOTAL` of a 206 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    /// First byte sent.
    pub start: u64,
    /// Last byte sent, inclusive.
    pub end: u64,
    /// Size of the whole body (`None` when the server sent `*`).
    pub total: Option<u64>,
}

impl ContentRange {
    fn parse(v: &str) -> Result<Self, HttpError> {
        let spec = v
            .strip_prefix("bytes ")
            .ok_or(HttpError::Malformed("Content-Range unit is not bytes"))?;
        let (range, total) = spec
            .split_once('/')
            .ok_or(HttpError::Malformed("Content-Range without total"))?;
        let (a, b) = range
            .split_once('-')
            .ok_or(HttpError::Malformed("bad Content-Range"))?;
        let (Some(start), Some(end)) = (parse_u64(a), parse_u64(b)) else {
            return Err(HttpError::Malformed("bad Content-Range bounds"));
        };
        let total = match total.trim() {
            "*" => None,
            t => Some(parse_u64(t).ok_or(HttpError::Malformed("bad Content-Range total"))?),
        };
        if end < start || total.is_some_and(|t| end >= t) {
            return Err(HttpError::Malformed("Content-Range out of order"));
        }
        Ok(ContentRange { start, end, total })
    }
}

/// What the device needs from a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// `Content-Length`.
    pub content_length: Option<u64>,
    /// `Content-Range`.
    pub content_range: Option<ContentRange>,
    /// `ETag`.
    pub etag: Option<String>,
}

impl Response {
    /// Parse a response head (from [`read_head`]).
    pub fn parse(head: &str) -> Result<Self, HttpError> {
        let first = head
            .lines()
            .next()
            .unwrap_or_default()
            .trim_end_matches('\r');
        let mut parts = first.splitn(3, ' ');
        let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
            return Err(HttpError::Malformed("status line"));
        };
        if !version.starts_with("HTTP/1.") {
            return Err(HttpError::Malformed("not HTTP/1.x"));
        }
        let status = match parse_u64(code) {
            Some(c @ 100..=599) => c as u16,
            _ => return Err(HttpError::Malformed("bad status code")),
        };
        let mut resp = Response {
            status,
            content_length: None,
            content_range: None,
            etag: None,
        };
        for h in headers(head) {
            let (k, v) = h?;
            if k.eq_ignore_ascii_case("content-length") {
                let n = parse_u64(v).ok_or(HttpError::Malformed("bad Content-Length"))?;
                if resp.content_length.is_some_and(|old| old != n) {
                    return Err(HttpError::Malformed("conflicting Content-Length"));
                }
                resp.content_length = Some(n);
            } else if k.eq_ignore_ascii_case("content-range") {
                resp.content_range = Some(ContentRange::parse(v)?);
            } else if k.eq_ignore_ascii_case("etag") {
                resp.etag = Some(v.to_string());
            } else if k.eq_ignore_ascii_case("transfer-encoding") {
                return Err(HttpError::Malformed("transfer codings are not supported"));
            }
        }
        Ok(resp)
    }
}

/// Reason phrase for the status codes the server sends.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(s: &str) -> Result<String, HttpError> {
        read_head(&mut io::Cursor::new(s.as_bytes()))
    }

    #[test]
    fn reads_a_head_and_stops_at_the_blank_line() {
        let mut c = io::Cursor::new(&b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nBODY"[..]);
        let h = read_head(&mut c).unwrap();
        assert_eq!(h, "HTTP/1.1 200 OK\r\nA: b\r\n\r\n");
        let mut rest = String::new();
        c.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "BODY");
    }

    #[test]
    fn refuses_truncated_and_endless_heads() {
        assert!(matches!(head(""), Err(HttpError::Closed)));
        assert!(matches!(
            head("HTTP/1.1 200 OK\r\n"),
            Err(HttpError::Closed)
        ));
        let long = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert!(matches!(head(&long), Err(HttpError::TooLong)));
        let many = "X: y\r\n".repeat(MAX_HEAD);
        assert!(matches!(head(&many), Err(HttpError::TooLong)));
    }

    #[test]
    fn parses_range_requests() {
        let r = Request::parse(
            "GET /images/a.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=100-\r\nIf-Range: \"e1\"\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/images/a.bin");
        assert_eq!(
            r.range,
            Some(ByteRange {
                start: 100,
                end: None
            })
        );
        assert_eq!(r.if_range.as_deref(), Some("\"e1\""));
        let r = Request::parse("GET / HTTP/1.1\r\nrange: bytes=5-9\r\n\r\n").unwrap();
        assert_eq!(r.range.unwrap().resolve(100), Some((5, 10)));
        assert_eq!(r.range.unwrap().resolve(7), Some((5, 7)));
        assert_eq!(r.range.unwrap().resolve(5), None);
    }

    #[test]
    fn refuses_malformed_requests() {
        for bad in [
            "GET\r\n\r\n",
            "GET /a HTTP/1.1 extra\r\n\r\n",
            "GET a HTTP/1.1\r\n\r\n",
            "GET /a SPDY/3\r\n\r\n",
            "GET /a HTTP/1.1\r\nno colon\r\n\r\n",
            "GET /a HTTP/1.1\r\nRange: items=1-\r\n\r\n",
            "GET /a HTTP/1.1\r\nRange: bytes=9-1\r\n\r\n",
            "GET /a HTTP/1.1\r\nRange: bytes=-5\r\n\r\n",
            "GET /a HTTP/1.1\r\nRange: bytes=99999999999999999999999-\r\n\r\n",
        ] {
            assert!(Request::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parses_responses() {
        let r = Response::parse(
            "HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\nContent-Range: bytes 90-99/100\r\nETag: \"abc\"\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.status, 206);
        assert_eq!(r.content_length, Some(10));
        assert_eq!(
            r.content_range,
            Some(ContentRange {
                start: 90,
                end: 99,
                total: Some(100)
            })
        );
        assert_eq!(r.etag.as_deref(), Some("\"abc\""));
    }

    #[test]
    fn refuses_malformed_responses() {
        for bad in [
            "HTTP/1.1\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "HTTP/1.1 abc OK\r\n\r\n",
            "ICY 200 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 206 OK\r\nContent-Range: bytes 5-1/10\r\n\r\n",
            "HTTP/1.1 206 OK\r\nContent-Range: bytes 5-10/10\r\n\r\n",
            "HTTP/1.1 206 OK\r\nContent-Range: bytes 5-6\r\n\r\n",
        ] {
            assert!(Response::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// Arbitrary bytes from the peer are an error or a value, never a panic.
    #[test]
    fn garbage_never_panics() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"HTTP/1.1 206 bytes=-/:,\r\n \t0123456789*Content-Range:Length:ETag\"\xff";
        for _ in 0..5000 {
            let len = (next() % 120) as usize;
            let mut msg: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() as usize) % alphabet.len()])
                .collect();
            msg.extend_from_slice(b"\r\n\r\n");
            if let Ok(h) = read_head(&mut io::Cursor::new(&msg)) {
                let _ = Response::parse(&h);
                let _ = Request::parse(&h);
            }
        }
    }

    #[test]
    fn token_safety() {
        assert!(is_token_safe("/images/a_v2.bin"));
        assert!(is_token_safe("\"0123abcd\""));
        assert!(!is_token_safe("/a b"));
        assert!(!is_token_safe("/a\r\nX: y"));
        assert!(!is_token_safe(""));
    }
}
