use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout};
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{WebSocketStream, client_async};

/// A connection that keeps bytes read past one response for the next one.
type Conn = BufReader<TcpStream>;

struct Response {
    status: u16,
    /// Names lower-cased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("body is UTF-8")
    }
}

async fn origin() -> SocketAddr {
    echo_origin::spawn("127.0.0.1:0".parse().unwrap()).await.expect("origin starts")
}

async fn connect(addr: SocketAddr) -> Conn {
    let stream = TcpStream::connect(addr).await.expect("connect to origin");
    // So that separate writes really arrive as separate segments.
    stream.set_nodelay(true).unwrap();
    BufReader::new(stream)
}

/// Reads one response, framed by Content-Length (none means no body, as for 101).
async fn read_response(conn: &mut Conn) -> Response {
    timeout(Duration::from_secs(5), async {
        let mut line = String::new();
        conn.read_line(&mut line).await.unwrap();
        let status = line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut headers = Vec::new();
        loop {
            line.clear();
            conn.read_line(&mut line).await.unwrap();
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("header has a colon");
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        let mut response = Response { status, headers, body: Vec::new() };
        if let Some(len) = response.header("content-length") {
            response.body = vec![0; len.parse().unwrap()];
            conn.read_exact(&mut response.body).await.unwrap();
        }
        response
    })
    .await
    .expect("response within 5 s")
}

async fn request(conn: &mut Conn, raw: impl AsRef<[u8]>) -> Response {
    conn.get_mut().write_all(raw.as_ref()).await.unwrap();
    read_response(conn).await
}

/// Asserts the origin closes the connection (rather than, say, waiting for another request).
async fn assert_closed(conn: &mut Conn) {
    let mut rest = Vec::new();
    let read = timeout(Duration::from_secs(5), conn.read_to_end(&mut rest)).await;
    assert!(matches!(read, Ok(Ok(0))), "expected EOF, got {read:?} and {rest:?}");
}

/// Reads a response head byte by byte, so that nothing the origin sends after it is consumed.
async fn read_head_exactly(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(timeout(Duration::from_secs(5), stream.read_u8()).await.expect("head within 5 s").unwrap());
    }
    String::from_utf8(head).unwrap()
}

const UPGRADE: &str = "Host: origin\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                       Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

#[tokio::test]
async fn echoes_method_target_headers_and_body() {
    let mut conn = connect(origin().await).await;
    let res = request(
        &mut conn,
        "POST /some/path?q=1 HTTP/1.1\r\nHost: origin\r\nX-Trace: abc\r\nContent-Length: 11\r\n\r\nhello\nworld",
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(res.header("content-length"), Some(res.body.len().to_string().as_str()));
    assert_eq!(
        res.text(),
        "echo-origin: POST /some/path?q=1\nHost: origin\nX-Trace: abc\nContent-Length: 11\n\nhello\nworld"
    );
}

#[tokio::test]
async fn keep_alive_serves_several_requests_then_honours_connection_close() {
    let mut conn = connect(origin().await).await;
    let first = request(&mut conn, "GET /one HTTP/1.1\r\nHost: origin\r\n\r\n").await;
    assert_eq!(first.status, 200);
    assert!(first.text().starts_with("echo-origin: GET /one\n"));
    assert_eq!(first.header("connection"), Some("keep-alive"));

    let second = request(&mut conn, "GET /two HTTP/1.1\r\nHost: origin\r\nConnection: close\r\n\r\n").await;
    assert_eq!(second.status, 200);
    assert!(second.text().starts_with("echo-origin: GET /two\n"));
    assert_eq!(second.header("connection"), Some("close"));
    assert_closed(&mut conn).await;
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let mut conn = connect(origin().await).await;
    conn.get_mut()
        .write_all(
            b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n\r\nHEAD /c HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\n\r\n",
        )
        .await
        .unwrap();
    let a = read_response(&mut conn).await;
    assert_eq!(a.text(), "echo-origin: POST /a\nContent-Length: 3\n\nabc");
    let b = read_response(&mut conn).await;
    assert_eq!(b.text(), "echo-origin: GET /b\n\n");

    // HEAD announces the length of the echo but sends no body, so /d must follow directly.
    let mut line = String::new();
    conn.read_line(&mut line).await.unwrap();
    assert_eq!(line, "HTTP/1.1 200 OK\r\n");
    let mut head = String::new();
    while line != "\r\n" {
        line.clear();
        conn.read_line(&mut line).await.unwrap();
        head += &line;
    }
    assert!(head.contains("Content-Length: 22\r\n"), "{head}");
    let d = read_response(&mut conn).await;
    assert_eq!(d.text(), "echo-origin: GET /d\n\n");
}

#[tokio::test]
async fn status_paths_answer_with_the_requested_code() {
    let mut conn = connect(origin().await).await;
    let res = request(&mut conn, "GET /status/503 HTTP/1.1\r\n\r\n").await;
    assert_eq!(res.status, 503);
    assert_eq!(res.text(), "echo-origin: status 503\n");

    let res = request(&mut conn, "GET /status/404 HTTP/1.1\r\n\r\n").await;
    assert_eq!(res.status, 404);

    let res = request(&mut conn, "GET /status/nope HTTP/1.1\r\n\r\n").await;
    assert_eq!(res.status, 400);
}

#[tokio::test]
async fn slow_path_waits_before_answering() {
    let mut conn = connect(origin().await).await;
    let start = Instant::now();
    let res = request(&mut conn, "GET /slow/200 HTTP/1.1\r\n\r\n").await;
    let elapsed = start.elapsed();
    assert_eq!(res.status, 200);
    assert!(res.text().starts_with("echo-origin: GET /slow/200\n"));
    assert!(elapsed >= Duration::from_millis(200), "answered after {elapsed:?}");
}

#[tokio::test]
async fn websocket_echoes_text_and_binary_and_answers_ping_and_close() {
    let addr = origin().await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut ws, res) = client_async(format!("ws://{addr}/chat"), stream).await.expect("handshake");
    assert_eq!(res.status(), 101);

    ws.send(Message::text("héllo")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("héllo"));

    let binary = vec![0u8, 1, 2, 254, 255];
    ws.send(Message::binary(binary.clone())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(binary));

    ws.send(Message::Ping(b"are you there".to_vec().into())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::Pong(b"are you there".to_vec().into()));

    ws.close(None).await.unwrap();
    assert!(matches!(ws.next().await, Some(Ok(Message::Close(_)))));
    assert!(ws.next().await.is_none());
}

#[tokio::test]
async fn websocket_refuse_path_answers_403_without_upgrading() {
    let addr = origin().await;
    let mut conn = connect(addr).await;
    let res = request(&mut conn, &format!("GET /ws/refuse HTTP/1.1\r\n{UPGRADE}")).await;
    assert_eq!(res.status, 403);
    assert_eq!(res.text(), "refused by origin");
    assert_eq!(res.header("upgrade"), None);
    // The connection still speaks HTTP.
    let res = request(&mut conn, "GET /after HTTP/1.1\r\n\r\n").await;
    assert_eq!(res.status, 200);
    assert!(res.text().starts_with("echo-origin: GET /after\n"));

    // And a WebSocket client sees the refusal.
    let stream = TcpStream::connect(addr).await.unwrap();
    match client_async(format!("ws://{addr}/ws/refuse"), stream).await {
        Err(tungstenite::Error::Http(res)) => assert_eq!(res.status(), 403),
        other => panic!("expected an HTTP 403, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_request_gets_400_and_close() {
    // A header line without a colon, and the start of a TLS ClientHello.
    for raw in [&b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n"[..], b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"] {
        let mut conn = connect(origin().await).await;
        let res = request(&mut conn, raw).await;
        assert_eq!(res.status, 400, "for {:?}", String::from_utf8_lossy(raw));
        assert_eq!(res.header("connection"), Some("close"));
        assert_closed(&mut conn).await;
    }
}

#[tokio::test]
async fn oversized_head_gets_431_and_oversized_body_413() {
    let addr = origin().await;
    let mut conn = connect(addr).await;
    let big = "a".repeat(17 * 1024);
    let res = request(&mut conn, &format!("GET / HTTP/1.1\r\nX-Big: {big}\r\n\r\n")).await;
    assert_eq!(res.status, 431);
    assert_closed(&mut conn).await;

    let mut conn = connect(addr).await;
    let res = request(&mut conn, "POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n").await;
    assert_eq!(res.status, 413);
    assert_closed(&mut conn).await;
}

#[tokio::test]
async fn request_split_across_writes_still_works() {
    let mut conn = connect(origin().await).await;
    for part in ["PO", "ST /sp", "lit HTTP/1.1\r\nHo", "st: origin\r", "\nContent-Length: 4\r\n", "\r\n", "bo", "dy"] {
        conn.get_mut().write_all(part.as_bytes()).await.unwrap();
        sleep(Duration::from_millis(20)).await;
    }
    let res = read_response(&mut conn).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "echo-origin: POST /split\nHost: origin\nContent-Length: 4\n\nbody");
}

#[tokio::test]
async fn websocket_handshake_split_across_writes_still_upgrades() {
    let mut conn = connect(origin().await).await;
    let raw = format!("GET /split HTTP/1.1\r\n{UPGRADE}");
    for part in raw.as_bytes().chunks(25) {
        conn.get_mut().write_all(part).await.unwrap();
        sleep(Duration::from_millis(10)).await;
    }
    let mut stream = conn.into_inner();
    let head = read_head_exactly(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    // The RFC 6455 sample key and its accept value.
    let accept = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("sec-websocket-accept").then_some(value.trim())
    });
    assert_eq!(accept, Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");

    let mut ws = WebSocketStream::from_raw_socket(stream, Role::Client, None).await;
    ws.send(Message::text("after a split handshake")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("after a split handshake"));
}

#[tokio::test]
async fn websocket_frame_sent_with_the_handshake_is_not_lost() {
    let conn = connect(origin().await).await;
    // A masked text frame "hi"; an all-zero mask leaves the payload as is.
    let frame = [0x81, 0x82, 0, 0, 0, 0, b'h', b'i'];
    let mut raw = format!("GET /eager HTTP/1.1\r\n{UPGRADE}").into_bytes();
    raw.extend_from_slice(&frame);
    let mut stream = conn.into_inner();
    stream.write_all(&raw).await.unwrap();
    let head = read_head_exactly(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");

    let mut ws = WebSocketStream::from_raw_socket(stream, Role::Client, None).await;
    let echoed = timeout(Duration::from_secs(5), ws.next()).await.expect("echo within 5 s");
    assert_eq!(echoed.unwrap().unwrap(), Message::text("hi"));
}
