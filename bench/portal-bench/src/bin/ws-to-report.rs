//! How long a WebSocket connection opened at an edge takes to show in the portal, and its close
//! to show: `times` times, opens a WebSocket through the edge to the resource (its custom domain
//! as the Host, the echo origin behind it), and from the moment the handshake is answered polls
//! the portal's `resource_open_now` (the server function the Reports section asks every 2 s,
//! signed in with the session cookie) every 20 ms until the open count is one more than before;
//! then closes the connection and polls until the count is back. Each change is made at another
//! point of the edge's report interval (1 s), so the delays spread over it: up to the interval
//! plus the portal's write, give or take the 20 ms between polls.
//!
//! Prints one line of `key=value`: p50/p99/max in ms for opening and for closing.
//!
//! Usage: ws-to-report <portal host:port> <edge host:port> <session cookie> <resource id> <custom domain> [times]

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// How often the portal is asked.
const POLL: Duration = Duration::from_millis(20);
/// The longest either change may take to show before the run is abandoned.
const GIVE_UP: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (portal, edge, cookie, id, domain, times) = match args.as_slice() {
        [portal, edge, cookie, id, domain, rest @ ..] if rest.len() <= 1 => (
            portal,
            edge,
            cookie,
            id,
            domain,
            rest.first().map_or(30, |t| t.parse::<usize>().expect("times is a number")),
        ),
        _ => {
            eprintln!("usage: ws-to-report <portal> <edge> <session cookie> <resource id> <domain> [times=30]");
            std::process::exit(2);
        }
    };
    assert!(times >= 1, "nothing to measure");
    let mut opening = Vec::with_capacity(times);
    let mut closing = Vec::with_capacity(times);
    // Each change is made at a different point of the edge's 1 s report interval, spread evenly
    // over it: right after a change shows is right after a report, and the next change would
    // otherwise always wait a whole interval.
    let phase = |n: usize| Duration::from_millis((n % times * 1000 / times) as u64);
    for n in 0..times {
        // Whatever was open before (nothing, once the last close has shown).
        let before = open_now(portal, cookie, id).await;
        tokio::time::sleep(phase(n)).await;
        let mut socket = connect(edge, domain).await;
        let opened = Instant::now();
        wait_for(portal, cookie, id, opened, |open| open > before).await;
        opening.push(opened.elapsed());

        tokio::time::sleep(phase(n * 7 + 3)).await;
        let closed = Instant::now();
        socket.close(None).await.expect("close sent");
        drop(socket);
        wait_for(portal, cookie, id, closed, |open| open <= before).await;
        closing.push(closed.elapsed());
    }
    println!("times={times} {} {}", summary("open", &mut opening), summary("close", &mut closing));
}

/// A WebSocket through the edge to `domain`, once the handshake is answered 101: tried again
/// for up to 10 s, while the edge has yet to learn of the resource or of its Websockets option.
async fn connect(edge: &str, domain: &str) -> WebSocketStream<TcpStream> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let request = format!("ws://{domain}/").into_client_request().expect("a valid URL");
        let stream = TcpStream::connect(edge).await.expect("the edge is listening");
        match tokio_tungstenite::client_async(request, stream).await {
            Ok((socket, _)) => return socket,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("the edge refused the WebSocket for 10 s: {error}"),
        }
    }
}

/// `name_p50_ms=… name_p99_ms=… name_max_ms=…`.
fn summary(name: &str, delays: &mut [Duration]) -> String {
    delays.sort();
    let percentile = |p: f64| delays[((delays.len() as f64 * p).ceil() as usize).clamp(1, delays.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "{name}_p50_ms={:.0} {name}_p99_ms={:.0} {name}_max_ms={:.0}",
        ms(percentile(0.50)),
        ms(percentile(0.99)),
        ms(delays[delays.len() - 1])
    )
}

/// Polls every [`POLL`] until the open count satisfies `shown`.
async fn wait_for(portal: &str, cookie: &str, id: &str, since: Instant, shown: impl Fn(u64) -> bool) {
    while !shown(open_now(portal, cookie, id).await) {
        assert!(since.elapsed() < GIVE_UP, "the portal did not show the change within {GIVE_UP:?}");
        tokio::time::sleep(POLL).await;
    }
}

/// `POST /api/resource_open_now` (`id=…`), as the Reports section asks: the `open` of its
/// `{"open": N, "edges": N}`.
async fn open_now(portal: &str, cookie: &str, id: &str) -> u64 {
    let body = format!("id={id}");
    let request = format!(
        "POST /api/resource_open_now HTTP/1.1\r\nHost: {portal}\r\nCookie: {cookie}\r\nOrigin: http://{portal}\r\n\
         Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(portal).await.expect("the portal is listening");
    stream.write_all(request.as_bytes()).await.expect("request sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "resource_open_now failed: {answer}");
    let (_, after) = answer.split_once(r#""open":"#).unwrap_or_else(|| panic!("no open count in {answer}"));
    let digits: String = after.trim_start().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("no open count in {answer}"))
}
