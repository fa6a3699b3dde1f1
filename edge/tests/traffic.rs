//! WebSocket traffic per resource, as the edge counts it for the portal's traffic reports: each
//! handshake's outcome where it is decided, the bytes of each tunnel, which side closed it, and
//! the tunnels still open when the edge shuts down.

mod support;

use edge_feed::traffic::{CloseReason, HandshakeRefusal, WsCounter};
use edge_feed::{EdgeResource, OriginProtocol, ResourceOptions};
use std::time::{Duration, Instant};
use support::origin::{Behaviour, Origin};
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

fn resource(id: i64, domain: &str, origin: String, websockets: bool) -> EdgeResource {
    EdgeResource {
        id,
        domain: domain.to_owned(),
        secondary_hostnames: vec![],
        origin,
        origin_group: None,
        origin_protocol: OriginProtocol::Http,
        tls: None,
        origin_ca: None,
        options: ResourceOptions { websockets },
    }
}

async fn handshake_to(edge: &Following, domain: &str) -> Answer {
    edge.send(&handshake("GET /ws HTTP/1.1", &format!("Host: {domain}\r\n"))).await
}

/// Waits until `done` holds (at most 5 s).
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_outcome_is_counted_for_its_resource_and_shutdown_ends_open_tunnels() {
    let (site, unavailable) = tokio::join!(Origin::start(Behaviour::Site), Origin::start(Behaviour::Unavailable));
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let edge = Following::start(
        vec![
            resource(10, "open.example", site.addr.to_string(), true),
            resource(11, "off.example", site.addr.to_string(), false),
            resource(12, "busy.example", unavailable.addr.to_string(), true),
            resource(13, "gone.example", closed.to_string(), true),
        ],
        Duration::ZERO,
    )
    .await;
    let traffic = |id| edge.edge.traffic().resource(id);

    assert_eq!(handshake_to(&edge, "off.example").await.status, 403);
    assert_eq!(handshake_to(&edge, "busy.example").await.status, 503, "the origin's refusal, relayed");
    assert_eq!(handshake_to(&edge, "gone.example").await.status, 502);
    assert_eq!(traffic(11).get(WsCounter::Refused(HandshakeRefusal::OptionOff)), 1);
    assert_eq!(traffic(12).get(WsCounter::Refused(HandshakeRefusal::OriginRefused)), 1);
    assert_eq!(traffic(13).get(WsCounter::Refused(HandshakeRefusal::OriginUnreachable)), 1);
    assert_eq!(traffic(10).get(WsCounter::Accepted), 0, "nothing counted for another resource");

    // A tunnel the visitor closes.
    let mut closing = handshake_to(&edge, "open.example").await;
    assert_eq!(closing.status, 101);
    let greeting = closing.first_line().await;
    assert_eq!(closing.echo("hello").await, "hello");
    closing.stream.shutdown().await.unwrap();
    assert!(closing.closed().await, "the origin closes in turn");
    let open = traffic(10);
    eventually("the tunnel counted as closed", || open.get(WsCounter::Closed(CloseReason::VisitorClosed)) == 1).await;
    assert_eq!(open.get(WsCounter::Accepted), 1);
    assert_eq!(open.get(WsCounter::BytesToOrigin), "hello\n".len() as u64);
    assert_eq!(open.get(WsCounter::BytesToVisitor), (greeting.len() + 1 + "hello\n".len()) as u64);
    assert_eq!(open.get(WsCounter::duration(0.5)), 1, "within a second");

    // A tunnel still open when the edge stops.
    let mut staying = handshake_to(&edge, "open.example").await;
    assert_eq!(staying.status, 101);
    staying.first_line().await;
    assert_eq!(open.open(), 1);
    let Following { edge: running, portal: _portal, .. } = edge;
    let stopping = Instant::now();
    running.shut_down().await;
    assert!(stopping.elapsed() < Duration::from_secs(3), "bounded: {:?}", stopping.elapsed());
    assert_eq!(open.get(WsCounter::Closed(CloseReason::EdgeShutdown)), 1);
    assert_eq!((open.open(), open.get(WsCounter::Accepted)), (0, 2));
    assert!(staying.closed().await, "the edge dropped the tunnel's connections");
    drop(site);
}
