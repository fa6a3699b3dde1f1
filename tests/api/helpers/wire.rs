//! The one HTTP/1.1 client of the tests that go over TCP (to portal processes, to the edge, to
//! a portal's feed): one connection per request, `Connection: close`, the whole answer read.

use super::Reply;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, header};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one request may take, from connecting to the last byte of the answer.
pub const REQUEST_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Sends `request` to `addr`, with `Connection: close`, `Host` (the request's own, else `addr`)
/// and `Content-Length` (for a body, or any method but GET, HEAD and DELETE) added.
pub async fn send(addr: SocketAddr, request: Request<Body>) -> Result<Reply, String> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|error| format!("the request's body: {error}"))?.to_bytes();
    let target = parts.uri.path_and_query().map_or("/", |target| target.as_str());
    let mut head = format!("{} {target} HTTP/1.1\r\n", parts.method).into_bytes();
    let mut line = |name: &[u8], value: &[u8]| {
        head.extend_from_slice(name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    };
    if !parts.headers.contains_key(header::HOST) {
        line(b"Host", addr.to_string().as_bytes());
    }
    line(b"Connection", b"close");
    for (name, value) in &parts.headers {
        line(name.as_str().as_bytes(), value.as_bytes());
    }
    if !parts.headers.contains_key(header::CONTENT_LENGTH)
        && (!body.is_empty() || !matches!(parts.method.as_str(), "GET" | "HEAD" | "DELETE"))
    {
        line(b"Content-Length", body.len().to_string().as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head.extend_from_slice(&body);
    exchange(addr, &head).await
}

/// `GET target` to `addr` for `host`; panics if no whole answer comes back.
pub async fn get(addr: SocketAddr, host: &str, target: &str) -> Reply {
    let request = Request::get(target).header(header::HOST, host).body(Body::empty()).unwrap();
    send(addr, request).await.unwrap_or_else(|why| panic!("GET {target} for {host} at {addr}: {why}"))
}

/// Sends `request`, bytes as they are (for requests no builder writes), and reads the answer;
/// panics if no whole answer comes back.
pub async fn raw(addr: SocketAddr, request: &str) -> Reply {
    let what = request.lines().next().unwrap_or_default().to_owned();
    exchange(addr, request.as_bytes()).await.unwrap_or_else(|why| panic!("{what} at {addr}: {why}"))
}

/// Writes `request` on a new connection to `addr` and reads the answer to the connection's end.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> Result<Reply, String> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        let (mut reader, mut writer) = stream.split();
        // Read while writing: a server may refuse a request before reading its body (401, 413)
        // and close, so that the rest of the write fails with a broken pipe, or the close comes
        // as a reset after the answer. Either way the answer it sent is what the test is about.
        let mut answer = Vec::new();
        let (written, read) = tokio::join!(writer.write_all(request), reader.read_to_end(&mut answer));
        match (written, read) {
            (_, Ok(_)) => Ok(answer),
            (_, Err(_)) if !answer.is_empty() => Ok(answer),
            (Err(error), Err(_)) | (Ok(()), Err(error)) => Err(error),
        }
    };
    let answer = match tokio::time::timeout(REQUEST_TIME_LIMIT, exchange).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) => return Err(error.to_string()),
        Err(_) => return Err(format!("no (complete) answer within {REQUEST_TIME_LIMIT:?}")),
    };
    parse(&answer).map_err(|why| format!("unreadable answer ({why}):\n{}", String::from_utf8_lossy(&answer)))
}

/// Reads one whole HTTP/1.1 answer: status line, headers, then a body sized by
/// `Transfer-Encoding: chunked`, `Content-Length`, or the end of the connection.
fn parse(answer: &[u8]) -> Result<Reply, String> {
    let end_of_head = find(answer, b"\r\n\r\n").ok_or("no end of the header section")?;
    let head = std::str::from_utf8(&answer[..end_of_head]).map_err(|_| "the head is not UTF-8")?;
    let rest = &answer[end_of_head + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    if !parts.next().is_some_and(|version| version.starts_with("HTTP/1.")) {
        return Err(format!("not an HTTP/1.x status line: {status_line:?}"));
    }
    let status = parts
        .next()
        .and_then(|code| StatusCode::from_bytes(code.as_bytes()).ok())
        .ok_or_else(|| format!("no status code in {status_line:?}"))?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or_else(|| format!("not a header: {line:?}"))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| format!("header name {name:?}"))?;
        let value = HeaderValue::from_bytes(value.trim().as_bytes()).map_err(|_| format!("header value {value:?}"))?;
        headers.append(name, value);
    }
    let chunked = headers
        .get(header::TRANSFER_ENCODING)
        .and_then(|coding| coding.to_str().ok())
        .is_some_and(|coding| coding.to_ascii_lowercase().split(',').any(|c| c.trim() == "chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(length) = headers.get(header::CONTENT_LENGTH) {
        let length =
            length.to_str().ok().and_then(|n| n.parse::<usize>().ok()).ok_or(format!("Content-Length {length:?}"))?;
        if rest.len() < length {
            return Err(format!("the body ended after {} of {length} bytes", rest.len()));
        }
        rest[..length].to_vec()
    } else {
        rest.to_vec()
    };
    let body = String::from_utf8(body).map_err(|_| "the body is not UTF-8")?;
    Ok(Reply { status, headers, body })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// The body of a chunked message: `<hex size>[;ext]\r\n<bytes>\r\n`… until a zero size.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n").ok_or("a chunk size line without its end")?;
        let line = std::str::from_utf8(&rest[..line_end]).map_err(|_| "a chunk size that is not text")?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| format!("chunk size {line:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            // Trailers, if any, are of no interest here.
            return Ok(body);
        }
        if rest.len() < size + 2 {
            return Err(format!("a chunk of {size} bytes cut short at {}", rest.len()));
        }
        if &rest[size..size + 2] != b"\r\n" {
            return Err("a chunk not followed by CRLF".to_owned());
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[test]
fn chunked_and_sized_bodies_and_repeated_headers_are_read() {
    let chunked = b"HTTP/1.1 200 OK\r\nset-cookie: a=1; Path=/\r\nTransfer-Encoding: chunked\r\nSet-Cookie: portal_session=xyz; HttpOnly\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
    let reply = parse(chunked).unwrap();
    assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, "hello, world"));
    assert_eq!(reply.headers.get_all("SET-COOKIE").iter().count(), 2);
    assert_eq!(reply.session_cookie().as_deref(), Some("portal_session=xyz"));

    let sized = b"HTTP/1.1 409 Conflict\r\nContent-Length: 2\r\nETag: \"3.41\"\r\n\r\n{}";
    let reply = parse(sized).unwrap();
    assert_eq!((reply.status.as_u16(), reply.body.as_str(), reply.etag_version()), (409, "{}", 41));

    assert!(parse(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").is_err());
    assert!(parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel").is_err());
}
