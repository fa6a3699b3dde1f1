//! A small origin server for exercising a CDN edge.
//!
//! One listener serves both plain HTTP/1.1 and WebSockets:
//!
//! * Any HTTP request is answered `200 OK` with a `text/plain` body echoing the request:
//!   `echo-origin: <METHOD> <target>`, one `<name>: <value>` line per header in the order
//!   received, a blank line, then the request body (`Content-Length` framed, up to 1 MiB).
//! * `/status/<code>` answers with that status, `/slow/<millis>` answers after that delay.
//! * A WebSocket upgrade on any path is accepted and every Text and Binary message is echoed,
//!   except on `/ws/refuse`, which answers a plain `403 Forbidden` instead of upgrading.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite;

/// Longest request head (request line and headers) we accept.
const MAX_HEAD: usize = 16 * 1024;
/// Most headers we accept; below tungstenite's own limit (124), so it accepts every
/// WebSocket handshake we hand it.
const MAX_HEADERS: usize = 100;
/// Largest request body we accept.
const MAX_BODY: usize = 1024 * 1024;
/// How much we ask the socket for at a time while reading a head.
const READ_CHUNK: usize = 4096;
/// Bound on what we discard, and for how long, while closing a connection gracefully.
const LINGER_BYTES: u64 = 4 * MAX_BODY as u64;
const LINGER_TIME: Duration = Duration::from_secs(2);

/// Serves until the returned future is dropped or the process ends.
///
/// Dropping the future also ends every connection it accepted. It never returns on its own:
/// accept errors are logged and retried after a pause, because they are almost always
/// transient (a client that went away, or running out of file descriptors).
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    let mut connections = JoinSet::new();
    loop {
        // Reap finished connections so the set only holds live ones.
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((stream, peer)) => {
                connections.spawn(async move {
                    if let Err(err) = handle_connection(stream).await {
                        eprintln!("echo-origin: connection from {peer}: {err}");
                    }
                });
            }
            Err(err) => {
                eprintln!("echo-origin: accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Binds `addr` (pass `127.0.0.1:0` for an ephemeral port), spawns [`serve`] on the current
/// tokio runtime and returns the bound address. The server lives as long as that runtime.
pub async fn spawn(addr: SocketAddr) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(err) = serve(listener).await {
            eprintln!("echo-origin: server on {local} stopped: {err}");
        }
    });
    Ok(local)
}

/// Why a connection ended early; logged once per connection.
#[derive(Debug)]
enum ConnError {
    /// The request cannot be answered normally. We reply with this status and close, since we
    /// can no longer tell where the next request would start.
    Reject(u16, String),
    Io(io::Error),
    WebSocket(tungstenite::Error),
}

impl fmt::Display for ConnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reject(status, why) => write!(f, "answered {status}: {why}"),
            Self::Io(err) => write!(f, "{err}"),
            Self::WebSocket(err) => write!(f, "websocket: {err}"),
        }
    }
}

impl From<io::Error> for ConnError {
    fn from(err: io::Error) -> Self {
        Self::Io(err)
    }
}

impl From<tungstenite::Error> for ConnError {
    fn from(err: tungstenite::Error) -> Self {
        Self::WebSocket(err)
    }
}

fn reject(status: u16, why: impl Into<String>) -> ConnError {
    ConnError::Reject(status, why.into())
}

/// What to do with a connection once it stops speaking plain HTTP.
enum Next {
    Close,
    /// `buf` holds a WebSocket upgrade request of `head_len` bytes, possibly followed by frames.
    WebSocket {
        head_len: usize,
    },
}

async fn handle_connection(mut stream: TcpStream) -> Result<(), ConnError> {
    // WebSocket echoes are many small writes; Nagle would hold them back.
    stream.set_nodelay(true)?;
    let mut buf = Vec::new();
    match serve_http(&mut stream, &mut buf).await {
        Ok(Next::Close) => {
            linger_close(stream).await;
            Ok(())
        }
        Ok(Next::WebSocket { head_len }) => echo_websocket(Replay::new(stream, buf, head_len)).await,
        Err(ConnError::Reject(status, why)) => {
            // Best effort: the client may already be gone, and the rejection is what we log.
            let _ = stream.write_all(&response(status, why.as_bytes(), true, true)).await;
            linger_close(stream).await;
            Err(ConnError::Reject(status, why))
        }
        Err(err) => Err(err),
    }
}

/// Answers HTTP requests until the connection should close or switch to WebSocket.
async fn serve_http(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Next, ConnError> {
    loop {
        let Some(req) = read_head(stream, buf).await? else {
            return Ok(Next::Close);
        };
        let body_len = req.body_len()?;
        if req.is_websocket_upgrade() && req.path() != "/ws/refuse" {
            if !req.is_valid_websocket_handshake() {
                // tungstenite would drop such a request without any answer.
                return Err(reject(400, "invalid WebSocket handshake"));
            }
            return Ok(Next::WebSocket { head_len: req.head_len });
        }

        let total = req.head_len + body_len;
        if buf.len() < total {
            if req.expects_continue() {
                stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
            }
            buf.reserve(total - buf.len());
            while buf.len() < total {
                if stream.read_buf(buf).await? == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed in the middle of a request body",
                    )
                    .into());
                }
            }
        }

        let (status, body) = route(&req, &buf[req.head_len..total]).await;
        let keep_alive = req.keep_alive();
        let send_body = req.method != "HEAD";
        stream.write_all(&response(status, &body, send_body, !keep_alive)).await?;
        if !keep_alive {
            return Ok(Next::Close);
        }
        buf.drain(..total);
        if buf.is_empty() {
            // Give the allocation back so idle keep-alive connections cost no buffer.
            *buf = Vec::new();
        }
    }
}

/// Reads until `buf` starts with a complete request head. `None` means the client closed the
/// connection cleanly between requests.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Option<Request>, ConnError> {
    loop {
        // RFC 9112 asks servers to skip empty lines before a request line; some clients send a
        // stray CRLF after a body.
        let blank = buf.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        buf.drain(..blank);
        match head_end(buf) {
            Some(end) if end <= MAX_HEAD => return Request::parse(&buf[..end]).map(Some),
            // Refuse binary input (a TLS handshake, say) at once rather than wait for a line
            // end that may never come.
            None if !printable_first_line(buf) => return Err(reject(400, "not an HTTP/1 request")),
            None if buf.len() <= MAX_HEAD => {}
            _ => return Err(reject(431, "request head larger than 16 KiB")),
        }
        buf.reserve(READ_CHUNK);
        if stream.read_buf(buf).await? == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            let err = io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed in the middle of a request head");
            return Err(err.into());
        }
    }
}

/// The length of the head at the start of `buf`, up to and including the empty line ending it.
/// Bare LF line ends are accepted, as RFC 9112 allows.
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    for (i, &b) in buf.iter().enumerate() {
        if b == b'\n' {
            if matches!(&buf[line_start..i], b"" | b"\r") {
                return Some(i + 1);
            }
            line_start = i + 1;
        }
    }
    None
}

/// Whether what we have of the request line could still become a valid one.
fn printable_first_line(buf: &[u8]) -> bool {
    buf.iter().take_while(|&&b| b != b'\n').all(|&b| b == b'\r' || (0x20..0x7f).contains(&b))
}

/// `Some` if `bytes` is an RFC 9110 token, as methods and header names must be.
fn token(bytes: &[u8]) -> Option<&str> {
    let tchar = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    if bytes.is_empty() || !bytes.iter().all(tchar) {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// A parsed request head, owned so that the buffer behind it can keep filling.
struct Request {
    method: String,
    target: String,
    /// The `x` in `HTTP/1.x`.
    minor_version: u8,
    headers: Vec<(String, Vec<u8>)>,
    head_len: usize,
}

impl Request {
    /// Parses a complete head, as found by [`head_end`].
    fn parse(head: &[u8]) -> Result<Self, ConnError> {
        let bad = |why: &str| reject(400, format!("malformed request head: {why}"));
        let mut lines = head.split(|&b| b == b'\n').map(|line| line.strip_suffix(b"\r").unwrap_or(line));

        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.split(|&b| b == b' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("request line is not `METHOD target HTTP/1.x`"));
        };
        let method = token(method).ok_or_else(|| bad("invalid method"))?;
        let target = Some(target)
            .filter(|t| !t.is_empty() && t.iter().all(u8::is_ascii_graphic))
            .and_then(|t| std::str::from_utf8(t).ok())
            .ok_or_else(|| bad("invalid request target"))?;
        let minor_version = match version {
            b"HTTP/1.1" => 1,
            b"HTTP/1.0" => 0,
            _ => return Err(bad("not HTTP/1.0 or HTTP/1.1")),
        };

        let mut headers = Vec::new();
        for line in lines.take_while(|line| !line.is_empty()) {
            if headers.len() == MAX_HEADERS {
                return Err(reject(431, format!("more than {MAX_HEADERS} request headers")));
            }
            let colon = line.iter().position(|&b| b == b':').ok_or_else(|| bad("header line without a colon"))?;
            // Also rejects whitespace before the colon and obsolete line folding, both of
            // which proxies are known to read differently.
            let name = token(&line[..colon]).ok_or_else(|| bad("invalid header name"))?;
            let value = line[colon + 1..].trim_ascii();
            if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(bad("control character in a header value"));
            }
            headers.push((name.to_owned(), value.to_owned()));
        }

        Ok(Self { method: method.to_owned(), target: target.to_owned(), minor_version, headers, head_len: head.len() })
    }

    fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(path, _query)| path)
    }

    fn header_values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    /// Whether a comma-separated header such as `Connection` lists `token`.
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.header_values(name)
            .flat_map(|v| v.split(|&b| b == b','))
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    }

    fn keep_alive(&self) -> bool {
        if self.has_token("connection", "close") {
            false
        } else if self.minor_version == 0 {
            self.has_token("connection", "keep-alive")
        } else {
            true
        }
    }

    fn expects_continue(&self) -> bool {
        self.minor_version >= 1 && self.has_token("expect", "100-continue")
    }

    fn is_websocket_upgrade(&self) -> bool {
        self.has_token("connection", "upgrade")
            && self.header_values("upgrade").any(|v| v.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    }

    /// The checks tungstenite makes before it will answer at all.
    fn is_valid_websocket_handshake(&self) -> bool {
        self.method == "GET"
            && self.minor_version >= 1
            && self.header_values("sec-websocket-key").next().is_some()
            && self.header_values("sec-websocket-version").any(|v| v.trim_ascii() == b"13")
    }

    /// The body length announced by `Content-Length`, or the reason we cannot read the body.
    fn body_len(&self) -> Result<usize, ConnError> {
        if self.header_values("transfer-encoding").next().is_some() {
            return Err(reject(501, "Transfer-Encoding is not supported; send Content-Length"));
        }
        let mut len = None;
        for value in self.header_values("content-length") {
            // Digits only: `parse` would also accept a leading `+`.
            let n = Some(value.trim_ascii())
                .filter(|v| !v.is_empty() && v.iter().all(u8::is_ascii_digit))
                .and_then(|v| std::str::from_utf8(v).ok()?.parse::<u64>().ok());
            match (n, len) {
                (Some(n), None) => len = Some(n),
                (Some(n), Some(prev)) if n == prev => {}
                // Disagreeing lengths are a request-smuggling vector, not something to guess at.
                _ => return Err(reject(400, "invalid Content-Length")),
            }
        }
        match len.unwrap_or(0) {
            n if n > MAX_BODY as u64 => Err(reject(413, "request body larger than 1 MiB")),
            // Fits: it is at most MAX_BODY.
            n => Ok(n as usize),
        }
    }
}

/// Picks the answer to a fully read request: a status and a body.
async fn route(req: &Request, body: &[u8]) -> (u16, Vec<u8>) {
    let path = req.path();
    if path == "/ws/refuse" {
        (403, b"refused by origin".to_vec())
    } else if let Some(code) = path.strip_prefix("/status/") {
        match code.parse::<u16>() {
            // 1xx are not final answers and would confuse the client's framing.
            Ok(code @ 200..=599) => (code, format!("echo-origin: status {code}\n").into_bytes()),
            _ => (400, b"status code must be 200..=599\n".to_vec()),
        }
    } else if let Some(millis) = path.strip_prefix("/slow/") {
        match millis.parse::<u64>() {
            Ok(millis) => {
                tokio::time::sleep(Duration::from_millis(millis)).await;
                (200, echo(req, body))
            }
            Err(_) => (400, b"delay must be a number of milliseconds\n".to_vec()),
        }
    } else {
        (200, echo(req, body))
    }
}

fn echo(req: &Request, body: &[u8]) -> Vec<u8> {
    let mut out = format!("echo-origin: {} {}\n", req.method, req.target).into_bytes();
    for (name, value) in &req.headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

fn response(status: u16, body: &[u8], send_body: bool, close: bool) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    // These statuses never carry a body, so announcing a length would be wrong.
    let has_body = !matches!(status, 204 | 304);
    if has_body {
        out += "Content-Type: text/plain; charset=utf-8\r\n";
        out += &format!("Content-Length: {}\r\n", body.len());
    }
    out += if close { "Connection: close\r\n\r\n" } else { "Connection: keep-alive\r\n\r\n" };
    let mut out = out.into_bytes();
    if has_body && send_body {
        out.extend_from_slice(body);
    }
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        // The reason phrase is informational; an empty one is valid.
        _ => "",
    }
}

/// Closes without destroying the last response: dropping a socket that still has unread
/// input makes the kernel send a reset, which can discard the response before the client
/// reads it. So we send FIN, then discard what the client still sends, for a bounded time.
async fn linger_close(mut stream: TcpStream) {
    if stream.shutdown().await.is_ok() {
        let mut unread = (&mut stream).take(LINGER_BYTES);
        let _ = tokio::time::timeout(LINGER_TIME, tokio::io::copy(&mut unread, &mut tokio::io::sink())).await;
    }
}

async fn echo_websocket(stream: Replay) -> Result<(), ConnError> {
    let mut ws = tokio_tungstenite::accept_async(stream).await?;
    // tungstenite answers Ping itself, and after a Close it queues the reply, sends it on the
    // next read and then ends the stream; so only data messages need handling here.
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_text() || msg.is_binary() {
            ws.send(msg).await?;
        }
    }
    Ok(())
}

/// The socket as tungstenite must see it: first the bytes we already read while deciding
/// what the request was, then the socket itself.
struct Replay {
    stream: TcpStream,
    read: Vec<u8>,
    pos: usize,
    head_end: usize,
}

impl Replay {
    fn new(stream: TcpStream, read: Vec<u8>, head_len: usize) -> Self {
        Self { stream, read, pos: 0, head_end: head_len }
    }
}

impl AsyncRead for Replay {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pos == this.read.len() {
            return Pin::new(&mut this.stream).poll_read(cx, out);
        }
        // Hand over the head on its own: tungstenite rejects a handshake whose read also
        // returned further bytes, which would lose frames a client sent without waiting
        // for our 101.
        let end = if this.pos < this.head_end { this.head_end } else { this.read.len() };
        let n = (end - this.pos).min(out.remaining());
        out.put_slice(&this.read[this.pos..this.pos + n]);
        this.pos += n;
        if this.pos == this.read.len() {
            // Free the replayed bytes; the connection may stay open for a long time.
            this.read = Vec::new();
            this.pos = 0;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Replay {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, data)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
