//! How the edge reads a visitor's request and relays what comes back, tried with raw bytes on
//! real sockets, as attackers and sloppy clients and origins send them: whatever the bytes,
//! routing, the Websockets option and what the origin hears agree on one authority, bodies
//! arrive whole or not at all, and no tunnel opens to a resource whose Websockets option is off.

mod support;

use support::origin::Received;
use support::*;

/// The `Host` an origin at `port` hears for `domain`: the resource's domain and the origin's
/// own port, never the edge's.
fn host_at(domain: &str, origin: &support::origin::Origin) -> String {
    format!("{domain}:{}", origin.addr.port())
}

fn is_handshake(received: &Received) -> bool {
    received.all("upgrade").iter().any(|value| value.eq_ignore_ascii_case("websocket"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absolute_form_target_decides_the_resource_and_the_origin_hears_the_same() {
    let stack = Stack::start().await;

    let mut answer =
        stack.send(&handshake("GET http://on.example/chat?room=1 HTTP/1.1", "Host: off.example\r\n")).await;
    assert_eq!(answer.status, 101, "{}", answer.head);
    assert_eq!(answer.first_line().await, format!("site {}", host_at(ON, &stack.site)));
    let received = stack.site.take_one();
    assert_eq!(received.request_line(), "GET /chat?room=1 HTTP/1.1");
    assert_eq!(received.one("host"), host_at(ON, &stack.site));
    assert_eq!(received.one("x-forwarded-host"), ON);

    // The other way round: the target names the resource with WebSockets off.
    let answer = stack.send(&handshake("GET http://off.example/chat HTTP/1.1", "Host: on.example\r\n")).await;
    assert_eq!((answer.status, answer.body.as_str()), (403, "WebSockets are disabled for this resource.\n"));
    assert!(stack.site.take().is_empty(), "the origin heard nothing");

    let answer = stack.send("GET http://off.example/page HTTP/1.1\r\nHost: on.example\r\n\r\n").await;
    assert_eq!((answer.status, answer.body), (200, format!("site {}", host_at(OFF, &stack.site))));
    assert_eq!(stack.site.take_one().one("host"), host_at(OFF, &stack.site));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_exactly_one_valid_host_is_refused_before_any_origin() {
    let stack = Stack::start().await;
    let cases = [
        (handshake("GET / HTTP/1.1", "Host: on.example\r\nHost: off.example\r\n"), 400, "duplicate_host"),
        (handshake("GET / HTTP/1.1", "Host: off.example\r\nHost: on.example\r\n"), 400, "duplicate_host"),
        (handshake("GET / HTTP/1.1", "Host: on.example\r\nHost: on.example\r\n"), 400, "duplicate_host"),
        ("GET / HTTP/1.1\r\nHost: on.example\r\nHost: on.example\r\n\r\n".to_owned(), 400, "duplicate_host"),
        (handshake("GET / HTTP/1.1", ""), 400, "missing_host"),
        ("GET / HTTP/1.1\r\n\r\n".to_owned(), 400, "missing_host"),
        ("GET / HTTP/1.1\r\nHost:\r\n\r\n".to_owned(), 400, "missing_host"),
        ("GET / HTTP/1.0\r\n\r\n".to_owned(), 400, "missing_host"),
        (handshake("GET / HTTP/1.1", "Host: user@on.example\r\n"), 400, "invalid_host"),
        (handshake("GET / HTTP/1.1", "Host: on.example:80x\r\n"), 400, "invalid_host"),
        (handshake("GET http://user@on.example/ HTTP/1.1", "Host: on.example\r\n"), 400, "invalid_host"),
        (handshake("GET ws://on.example/ HTTP/1.1", "Host: on.example\r\n"), 400, "unsupported_scheme"),
        ("GET on.example HTTP/1.1\r\nHost: on.example\r\n\r\n".to_owned(), 400, "invalid_target"),
        ("GET * HTTP/1.1\r\nHost: on.example\r\n\r\n".to_owned(), 400, "invalid_target"),
        ("POST / HTTP/1.1\r\nHost: on.example\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nGZIPD\r\n0\r\n\r\n".to_owned(), 501, "unsupported_transfer_coding"),
        ("POST / HTTP/1.1\r\nHost: on.example\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_owned(), 501, "unsupported_transfer_coding"),
        ("CONNECT on.example:80 HTTP/1.1\r\nHost: on.example:80\r\n\r\n".to_owned(), 405, "connect"),
        ("CONNECT rogue.example:80 HTTP/1.1\r\nHost: rogue.example:80\r\n\r\n".to_owned(), 405, "connect"),
        (handshake("GET / HTTP/1.1", "Host: nobody.example\r\n"), 404, "unknown_host"),
    ];
    for (request, status, reason) in cases {
        let before = stack.refused(reason);
        let mut answer = stack.send(&request).await;
        assert_eq!(answer.status, status, "{request:?}: {}", answer.head);
        assert_eq!(stack.refused(reason), before + 1, "{request:?} counted as {reason}");
        if status == 400 || status == 501 {
            assert!(answer.closed().await, "{request:?}: a malformed request ends its connection");
        }
    }
    for origin in [&stack.site, &stack.strict, &stack.rogue, &stack.h2c] {
        assert!(origin.take().is_empty(), "no origin heard any of these");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_origin_is_told_the_resources_domain_and_never_the_edges_port() {
    let stack = Stack::start().await;
    // A visitor names the edge's port, as a browser does on a port other than 80. The origin
    // checks the port in Host against its own, as Autobahn's server does.
    let mut answer = stack.send(&handshake("GET /ws HTTP/1.1", "Host: Strict.Example:8080\r\n")).await;
    assert_eq!(answer.status, 101, "{}", answer.head);
    assert_eq!(answer.first_line().await, format!("site {}", host_at(STRICT, &stack.strict)));
    let received = stack.strict.take_one();
    assert_eq!(received.one("host"), host_at(STRICT, &stack.strict));
    assert_eq!(received.one("x-forwarded-host"), "strict.example:8080", "the visitor's port is for the origin's links");

    let answer = stack.send("GET /page HTTP/1.1\r\nHost: strict.example.:8080\r\n\r\n").await;
    assert_eq!((answer.status, answer.body), (200, format!("site {}", host_at(STRICT, &stack.strict))));
    assert_eq!(stack.strict.take_one().one("host"), host_at(STRICT, &stack.strict));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_options_cannot_strip_what_the_origin_needs() {
    let stack = Stack::start().await;
    let answer = stack.send("GET / HTTP/1.1\r\nHost: on.example\r\nConnection: keep-alive, Host\r\n\r\n").await;
    assert_eq!(answer.status, 200, "{}", answer.head);
    assert_eq!(stack.site.take_one().one("host"), host_at(ON, &stack.site));

    let tricks = "Host: on.example\r\nConnection: Upgrade, Host, Sec-WebSocket-Key, Sec-WebSocket-Version, X-Forwarded-For, X-Real-IP, Forwarded\r\nX-Forwarded-For: 198.51.100.7\r\n";
    let answer = stack.send(&handshake("GET /ws HTTP/1.1", tricks)).await;
    assert_eq!(answer.status, 101, "{}", answer.head);
    let received = stack.site.take_one();
    assert_eq!(received.one("host"), host_at(ON, &stack.site));
    assert_eq!(received.one("sec-websocket-key"), "dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(received.one("sec-websocket-version"), "13");
    assert_eq!(received.one("x-forwarded-for"), "198.51.100.7, 127.0.0.1");
    assert_eq!(received.one("x-real-ip"), "127.0.0.1");
    assert_eq!(
        received.one("connection").to_ascii_lowercase(),
        "upgrade",
        "the edge's own Connection, not the visitor's"
    );

    let answer = stack
        .send("POST /form HTTP/1.1\r\nHost: on.example\r\nConnection: Content-Length, X-Hop\r\nX-Hop: 1\r\nContent-Length: 5\r\n\r\nhello")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.head);
    let received = stack.site.take_one();
    assert_eq!((received.one("content-length").as_str(), received.body.as_slice()), ("5", &b"hello"[..]));
    assert!(received.all("x-hop").is_empty(), "a field the visitor named as hop-by-hop is still dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_1_0_upgrade_is_an_ordinary_request_and_opens_nothing() {
    let stack = Stack::start().await;
    let answer = stack.send(&handshake("GET /chat HTTP/1.0", "Host: on.example\r\n")).await;
    assert_eq!((answer.status, answer.body), (200, format!("site {}", host_at(ON, &stack.site))), "{}", answer.head);
    let received = stack.site.take_one();
    assert!(!is_handshake(&received) && received.all("connection").is_empty(), "{}", received.head);
    assert_eq!(stack.metric("cdn_edge_websocket_upgrades_total{resource=\"on.example\",outcome=\"accepted\"}"), 0);

    // Behind a resource with WebSockets off, an origin that switches protocols anyway: no 101.
    let answer = stack.send(&handshake("GET /chat HTTP/1.0", "Host: rogue.example\r\n")).await;
    assert_eq!(answer.status, 502, "{}", answer.head);
    assert!(!is_handshake(&stack.rogue.take_one()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_with_a_body_is_refused_and_an_ordinary_body_is_relayed_whole() {
    let stack = Stack::start().await;
    for body in ["Content-Length: 5\r\n\r\nhello", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"] {
        let request = handshake("GET /ws HTTP/1.1", "Host: on.example\r\n").trim_end().to_owned() + "\r\n" + body;
        let mut answer = stack.send(&request).await;
        assert_eq!((answer.status, answer.body.as_str()), (400, "A WebSocket handshake cannot carry a body.\n"));
        assert!(answer.closed().await);
    }
    assert_eq!(stack.refused("upgrade_with_body"), 2);
    assert!(stack.site.take().is_empty(), "the origin heard nothing");

    let empty = handshake("GET /ws HTTP/1.1", "Host: on.example\r\nContent-Length: 0\r\n");
    assert_eq!(stack.send(&empty).await.status, 101, "an empty body is no body");
    assert!(stack.site.take_one().all("content-length").iter().all(|length| length == "0"));

    let chunked = "POST /upload HTTP/1.1\r\nHost: on.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    assert_eq!(stack.send(chunked).await.status, 200);
    assert_eq!(stack.site.take_one().body, b"hello world");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_headers_are_the_edges_and_keep_the_visitors_chain() {
    let stack = Stack::start().await;
    let claims = "X-Forwarded-For: 198.51.100.7\r\nX-Forwarded-For: 203.0.113.9, 10.0.0.1\r\nX-Real-IP: 1.1.1.1\r\nForwarded: for=1.1.1.1;host=off.example\r\nX-Forwarded-Host: off.example\r\nX-Forwarded-Proto: https\r\nX_Forwarded_Host: off.example\r\nX_Real_IP: 6.6.6.6\r\n";
    let plain = format!("GET / HTTP/1.1\r\nHost: on.example:8080\r\n{claims}\r\n");
    assert_eq!(stack.send(&plain).await.status, 200);
    assert_eq!(
        stack.send(&handshake("GET / HTTP/1.1", &format!("Host: on.example:8080\r\n{claims}"))).await.status,
        101
    );
    for received in stack.site.take() {
        assert_eq!(received.one("x-forwarded-for"), "198.51.100.7, 203.0.113.9, 10.0.0.1, 127.0.0.1");
        assert_eq!(received.one("x-real-ip"), "127.0.0.1");
        assert_eq!(received.one("forwarded"), "for=127.0.0.1;host=\"on.example:8080\";proto=http");
        assert_eq!(received.one("x-forwarded-host"), "on.example:8080");
        assert_eq!(received.one("x-forwarded-proto"), "http");
        // A CGI-style origin reads these as the fields above: they are not passed on at all.
        assert!(
            received.all("x_forwarded_host").is_empty() && received.all("x_real_ip").is_empty(),
            "{}",
            received.head
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_101_reaches_a_visitor_unless_a_websocket_handshake_was_allowed() {
    let stack = Stack::start().await;
    let answer = stack.send("GET / HTTP/1.1\r\nHost: rogue.example\r\n\r\n").await;
    assert_eq!(answer.status, 502, "a 101 to an ordinary request: {}", answer.head);
    assert_eq!(stack.rogue.take().len(), 1);
    let answer = stack.send(&handshake("GET / HTTP/1.1", "Host: rogue.example\r\n")).await;
    assert_eq!(answer.status, 403, "WebSockets are off for rogue.example");
    assert!(stack.rogue.take().is_empty());
    let answer = stack.send(&handshake("GET / HTTP/1.1", "Host: h2c.example\r\n")).await;
    assert_eq!(answer.status, 502, "a 101 that does not switch to WebSocket: {}", answer.head);
    assert_eq!(stack.metric("cdn_edge_origin_errors_total{kind=\"protocol\"}"), 2);
}

/// Every trick above, aimed at the resource with WebSockets off: none opens a tunnel, and no
/// handshake reaches its origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_trick_opens_a_websocket_to_a_resource_with_websockets_off() {
    let stack = Stack::start().await;
    let tricks = [
        handshake("GET / HTTP/1.1", "Host: off.example\r\n"),
        handshake("GET http://on.example/ HTTP/1.1", "Host: off.example\r\n")
            .replace("http://on.example/", "http://off.example/"),
        handshake("GET http://off.example/ HTTP/1.1", "Host: on.example\r\n"),
        handshake("GET / HTTP/1.1", "Host: on.example\r\nHost: off.example\r\n"),
        handshake("GET / HTTP/1.1", "Host: off.example\r\nHost: on.example\r\n"),
        handshake("GET / HTTP/1.1", "Host: OFF.example.:8080\r\n"),
        handshake("GET / HTTP/1.0", "Host: off.example\r\n"),
        handshake("GET / HTTP/1.1", "Host: off.example\r\nConnection: keep-alive, Host\r\n"),
        handshake("GET / HTTP/1.1", "Host: off.example\r\nContent-Length: 0\r\n"),
    ];
    for trick in &tricks {
        let answer = stack.send(trick).await;
        assert_ne!(answer.status, 101, "{trick:?}: {}", answer.status_line);
    }
    // A handshake for on.example, which may open, claiming off.example in the fields an origin
    // behind a proxy may prefer to `Host`.
    let claims = "Host: on.example\r\nX-Forwarded-Host: off.example\r\nForwarded: host=off.example\r\n";
    assert_eq!(stack.send(&handshake("GET / HTTP/1.1", claims)).await.status, 101);
    for received in stack.site.take() {
        let names = [received.all("host"), received.all("x-forwarded-host"), received.all("forwarded")].concat();
        let for_off = names.iter().any(|name| name.contains("off.example"));
        assert!(
            !(for_off && is_handshake(&received)),
            "a handshake for off.example reached the origin:\n{}",
            received.head
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_reaches_the_origin_as_sent_or_the_visitor_is_told() {
    let stack = Stack::start().await;
    // hyper alone would send a GET of unknown length as empty.
    for method in ["GET", "DELETE"] {
        let request = format!(
            "{method} /with-body HTTP/1.1\r\nHost: on.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        );
        assert_eq!(stack.send(&request).await.status, 200);
        let received = stack.site.take_one();
        assert_eq!(
            (received.one("transfer-encoding").as_str(), received.body.as_slice()),
            ("chunked", &b"hello"[..]),
            "{method}"
        );
    }

    // Broken chunks are the visitor's fault, not the origin's.
    let mut answer = stack
        .send("POST /upload HTTP/1.1\r\nHost: on.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n")
        .await;
    assert_eq!((answer.status, answer.body.as_str()), (400, "The request body was malformed or ended early.\n"));
    assert!(answer.closed().await);
    assert_eq!(stack.refused("invalid_body"), 1);
    assert_eq!(stack.metric("cdn_edge_origin_errors_total{kind=\"other\"}"), 0);
    assert!(stack.site.take().iter().all(|received| received.body.is_empty()), "the origin never had a whole body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origins_answer_is_framed_as_rfc_9112_says_or_not_passed_on() {
    let stack = Stack::start().await;
    // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3): all 11 bytes, and no length of 5.
    let answer = stack.send("GET /framing/both HTTP/1.1\r\nHost: on.example\r\n\r\n").await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "hello world"), "{}", answer.head);
    assert!(answer.all("content-length").iter().all(|length| length == "11"), "{}", answer.head);

    // A coding the edge cannot relay as such.
    let answer = stack.send("GET /framing/gzip HTTP/1.1\r\nHost: on.example\r\n\r\n").await;
    assert_eq!(answer.status, 502, "{}", answer.head);
    assert_eq!(stack.metric("cdn_edge_origin_errors_total{kind=\"protocol\"}"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_that_stalls_mid_body_is_given_up_after_the_response_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stack = Stack::start().await;
    let mut stream = tokio::net::TcpStream::connect(stack.edge.addr).await.unwrap();
    stream.write_all(b"GET /stall HTTP/1.1\r\nHost: on.example\r\n\r\n").await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    // The fixture's response timeout is 2 s; the edge then ends the connection.
    tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the edge gave up on the stalled body within 5 s")
        .ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("\r\n\r\nabc"), "a cut answer: {answer}");
    assert!(started.elapsed() >= std::time::Duration::from_secs(2), "not before the timeout");
    assert_eq!(stack.metric("cdn_edge_origin_errors_total{kind=\"timeout\"}"), 1);
}
