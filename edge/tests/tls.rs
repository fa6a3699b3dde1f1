//! HTTPS and `wss://` through the edge, and HTTPS from the edge to origins, on real sockets with
//! certificates made at test time: each handshake gets the certificate of the resource it names
//! and no other, a replaced certificate serves the next handshake while open tunnels keep theirs,
//! HTTPS is served as HTTP is, and an origin is spoken to over TLS only when its certificate
//! verifies.

mod support;

use edge_feed::{EdgeResource, OriginGroup, OriginProtocol, OriginSource, ResourceOptions};
use std::time::Duration;
use support::origin::{Behaviour, Origin};
use support::pki::{Ca, Issued};
use support::*;

/// A resource served by `sources` (`host:port` each, all primaries), with its `certificate`
/// over HTTPS, if any.
fn resource(id: i64, domain: &str, sources: &[String], websockets: bool, certificate: Option<&Issued>) -> EdgeResource {
    EdgeResource {
        id,
        domain: domain.to_owned(),
        secondary_hostnames: vec![],
        origin: sources[0].clone(),
        origin_group: Some(OriginGroup {
            id,
            sources: sources.iter().map(|source| OriginSource { source: source.clone(), backup: false }).collect(),
            use_next: false,
            proxy_next_upstream: vec![],
        }),
        origin_protocol: OriginProtocol::Http,
        tls: certificate.map(|issued| issued.certificate.clone()),
        origin_ca: None,
        options: ResourceOptions { websockets },
    }
}

fn at(origin: &Origin) -> Vec<String> {
    vec![origin.addr.to_string()]
}

/// The error of a handshake the edge refused, as the visitor's client reports it.
async fn refused(edge: &cdn_edge::RunningEdge, ca: &Ca, name: &str) -> String {
    match tls_connect(edge, ca.client(), name).await {
        Ok(_) => panic!("{name}: the edge completed a handshake it should have refused"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_name_gets_its_resources_certificate_and_any_other_name_or_none_an_alert() {
    let site = Origin::start(Behaviour::Site).await;
    let ca = Ca::new("Edge test CA");
    let (a, b) = (ca.issue(1, &["a.example", "www.a.example"]), ca.issue(2, &["b.example"]));
    let mut broken = ca.issue(4, &["d.example"]);
    broken.certificate.private_key = b.certificate.private_key.clone();
    let resources = vec![
        EdgeResource {
            secondary_hostnames: vec!["www.a.example".into()],
            ..resource(1, "a.example", &at(&site), true, Some(&a))
        },
        resource(2, "b.example", &at(&site), true, Some(&b)),
        resource(3, "c.example", &at(&site), true, None),
        resource(4, "d.example", &at(&site), true, Some(&broken)),
    ];
    let stack = Following::start(resources, Duration::from_secs(10)).await;

    for (name, issued) in [("a.example", &a), ("www.a.example", &a), ("b.example", &b)] {
        let stream = tls_connect(&stack.edge, ca.client(), name).await.expect(name);
        assert!(presented(&stream) == issued.leaf, "{name} is given its resource's certificate");
        let connection = stream.get_ref().1;
        assert_eq!(connection.alpn_protocol(), Some(&b"http/1.1"[..]), "{name}");
    }
    // HTTPS off (c), a certificate whose key is not its own (d), a name no resource has, and no
    // name at all (an address is not sent as SNI): an alert, never some other certificate.
    for name in ["c.example", "d.example", "nobody.example", "127.0.0.1"] {
        let error = refused(&stack.edge, &ca, name).await;
        assert!(error.contains("alert"), "{name}: {error}");
    }
    assert_eq!(metric(&stack.edge, "cdn_edge_tls_handshakes_total{outcome=\"done\"}"), Some(3));
    assert_eq!(metric(&stack.edge, "cdn_edge_tls_handshakes_total{outcome=\"failed\"}"), Some(4));
    assert_eq!(metric(&stack.edge, "cdn_edge_tls_unserved_names_total{reason=\"unknown_name\"}"), Some(3));
    assert_eq!(metric(&stack.edge, "cdn_edge_tls_unserved_names_total{reason=\"no_name\"}"), Some(1));

    // TLS 1.3 by preference, TLS 1.2 for a client that has nothing newer.
    let stream = tls_connect(&stack.edge, ca.client(), "b.example").await.unwrap();
    assert_eq!(stream.get_ref().1.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
    let stream = tls_connect(&stack.edge, ca.client_of(&[&rustls::version::TLS12]), "b.example").await.unwrap();
    assert_eq!(stream.get_ref().1.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_requests_and_wss_tunnels_are_served_as_over_http() {
    let site = Origin::start(Behaviour::Site).await;
    let ca = Ca::new("Edge test CA");
    let (on, off) = (ca.issue(1, &[ON]), ca.issue(2, &[OFF]));
    let resources = vec![resource(1, ON, &at(&site), true, Some(&on)), resource(2, OFF, &at(&site), false, Some(&off))];
    let stack = Following::start(resources, Duration::from_secs(10)).await;
    let host = format!("{ON}:{}", site.addr.port());

    let request = "GET /page HTTP/1.1\r\nHost: on.example\r\nX-Forwarded-Proto: http\r\nForwarded: proto=http\r\n\r\n";
    let answer = send_tls(&stack.edge, ca.client(), ON, request).await;
    assert_eq!((answer.status, answer.body), (200, format!("site {host}")));
    let received = site.take_one();
    assert_eq!(received.one("x-forwarded-proto"), "https", "the edge's word replaces the visitor's");
    assert_eq!(received.one("forwarded"), "for=127.0.0.1;host=on.example;proto=https");
    assert!(!received.tls, "the origin is spoken to in plain HTTP, as originProtocol HTTP says");

    let answer = stack.send("GET /page HTTP/1.1\r\nHost: on.example\r\nX-Forwarded-Proto: https\r\n\r\n").await;
    assert_eq!(answer.status, 200);
    assert_eq!(site.take_one().one("x-forwarded-proto"), "http", "a plain visitor cannot claim HTTPS");

    // wss://: relayed while the Websockets option is on, with half-close as over ws://.
    let mut tunnel =
        send_tls(&stack.edge, ca.client(), ON, &handshake("GET /chat HTTP/1.1", "Host: on.example\r\n")).await;
    assert_eq!(tunnel.status, 101, "{}", tunnel.head);
    assert_eq!(tunnel.first_line().await, format!("site {host}"));
    assert_eq!(tunnel.echo("hello over wss").await, "hello over wss");
    assert_eq!(site.take_one().one("x-forwarded-proto"), "https");
    assert_eq!(stack_metric(&stack, "cdn_edge_open_tunnels"), 1);
    tokio::io::AsyncWriteExt::shutdown(&mut tunnel.stream).await.unwrap();
    assert!(tunnel.closed().await, "the visitor's close reaches the origin, whose close comes back");

    let answer =
        send_tls(&stack.edge, ca.client(), OFF, &handshake("GET /chat HTTP/1.1", "Host: off.example\r\n")).await;
    assert_eq!((answer.status, answer.body.as_str()), (403, "WebSockets are disabled for this resource.\n"));
    assert!(site.take().is_empty(), "the origin heard nothing");

    // A connection whose handshake chose one resource's certificate serves that resource alone.
    let answer = send_tls(&stack.edge, ca.client(), ON, "GET / HTTP/1.1\r\nHost: off.example\r\n\r\n").await;
    assert_eq!(answer.status, 421, "{}", answer.head);
    assert_eq!(metric(&stack.edge, "cdn_edge_refused_requests_total{reason=\"misdirected\"}"), Some(1));
    assert!(site.take().is_empty());
}

fn stack_metric(stack: &Following, series: &str) -> u64 {
    metric(&stack.edge, series).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_certificate_serves_new_handshakes_while_an_open_tunnel_keeps_the_old_one() {
    let site = Origin::start(Behaviour::Site).await;
    let ca = Ca::new("Edge test CA");
    let (first, second) = (ca.issue(5, &[ON]), ca.issue(6, &[ON]));
    let stack = Following::start(vec![resource(1, ON, &at(&site), true, Some(&first))], Duration::from_secs(10)).await;

    let mut tunnel =
        send_tls(&stack.edge, ca.client(), ON, &handshake("GET /chat HTTP/1.1", "Host: on.example\r\n")).await;
    assert_eq!(tunnel.status, 101, "{}", tunnel.head);
    tunnel.first_line().await;
    assert!(presented(&tunnel.stream) == first.leaf);

    let version = stack.portal.publish(vec![resource(1, ON, &at(&site), true, Some(&second))]);
    stack.applied(version).await;
    let stream = tls_connect(&stack.edge, ca.client(), ON).await.unwrap();
    assert!(presented(&stream) == second.leaf, "the next handshake gets the new certificate");
    assert_eq!(tunnel.echo("still open").await, "still open", "the open tunnel goes on, on its own handshake");

    // HTTPS turned off: new handshakes are refused; the open tunnel still goes on.
    let version = stack.portal.publish(vec![resource(1, ON, &at(&site), true, None)]);
    stack.applied(version).await;
    assert!(refused(&stack.edge, &ca, ON).await.contains("alert"));
    assert_eq!(tunnel.echo("and on").await, "and on");
}

/// An origin at 127.0.0.1 that speaks HTTPS with a certificate of a private authority, for its
/// address and for `localhost`.
async fn private_origin(ca: &Ca) -> Origin {
    Origin::https(Behaviour::Site, ca.issue(99, &["127.0.0.1", "localhost"]).server()).await
}

fn https_to(resource: EdgeResource, protocol: OriginProtocol, trusted: Option<&Ca>) -> EdgeResource {
    EdgeResource { origin_protocol: protocol, origin_ca: trusted.map(|ca| ca.pem.clone()), ..resource }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_and_wss_reach_an_https_origin_trusted_through_the_resources_ca() {
    let (edge_ca, private) = (Ca::new("Edge test CA"), Ca::new("Private origin CA"));
    let origin = private_origin(&private).await;
    let on = edge_ca.issue(1, &[ON]);
    let by_name = vec![format!("localhost:{}", origin.addr.port())];
    let resources = vec![
        https_to(resource(1, ON, &at(&origin), true, Some(&on)), OriginProtocol::Https, Some(&private)),
        https_to(resource(2, OFF, &by_name, true, None), OriginProtocol::Https, Some(&private)),
    ];
    let stack = Following::start(resources, Duration::from_secs(10)).await;
    let host = format!("{ON}:{}", origin.addr.port());

    // A plain visitor, and one over HTTPS: the origin is spoken to over TLS either way.
    let answer = stack.send("GET /page HTTP/1.1\r\nHost: on.example\r\n\r\n").await;
    assert_eq!((answer.status, answer.body), (200, format!("site {host}")), "verified by its address");
    assert!(origin.take_one().tls);
    let answer = stack.send("GET /page HTTP/1.1\r\nHost: off.example\r\n\r\n").await;
    assert_eq!(answer.status, 200, "verified by its name, sent as SNI: {}", answer.head);
    assert!(origin.take_one().tls);
    let answer = send_tls(&stack.edge, edge_ca.client(), ON, "GET /again HTTP/1.1\r\nHost: on.example\r\n\r\n").await;
    assert_eq!((answer.status, answer.body), (200, format!("site {host}")));
    assert!(origin.take_one().tls);

    // wss:// to wss://: the tunnel relays between two TLS connections.
    let mut tunnel =
        send_tls(&stack.edge, edge_ca.client(), ON, &handshake("GET /chat HTTP/1.1", "Host: on.example\r\n")).await;
    assert_eq!(tunnel.status, 101, "{}", tunnel.head);
    assert_eq!(tunnel.first_line().await, format!("site {host}"));
    assert_eq!(tunnel.echo("from TLS to TLS").await, "from TLS to TLS");
    assert!(origin.take_one().tls);
    // ws:// to wss:// as well.
    let mut tunnel = stack.send(&handshake("GET /chat HTTP/1.1", "Host: off.example\r\n")).await;
    assert_eq!(tunnel.status, 101, "{}", tunnel.head);
    tunnel.first_line().await;
    assert_eq!(tunnel.echo("from TCP to TLS").await, "from TCP to TLS");
    assert!(origin.take_one().tls);
}

/// The edge's log lines so far that mention `text`. The first call starts recording every line
/// of this test binary's edges.
fn logged(text: &str) -> Vec<String> {
    use std::sync::{Mutex, OnceLock};
    static LINES: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    let lines = LINES.get_or_init(|| {
        let lines: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        tracing_subscriber::fmt()
            .with_env_filter("cdn_edge=info")
            .with_ansi(false)
            .with_writer(move || Log(lines))
            .init();
        lines
    });
    let all = String::from_utf8_lossy(&lines.lock().unwrap()).into_owned();
    all.lines().filter(|line| line.contains(text)).map(str::to_owned).collect()
}

struct Log(&'static std::sync::Mutex<Vec<u8>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_whose_certificate_does_not_verify_gets_a_502_and_the_next_origin_serves() {
    logged("");
    let (private, stranger) = (Ca::new("Private origin CA"), Ca::new("Nobody trusts this CA"));
    let (good, bad) = (private_origin(&private).await, private_origin(&stranger).await);
    let resources = vec![
        https_to(resource(1, ON, &at(&bad), true, None), OriginProtocol::Https, Some(&private)),
        // No CA of its own: the system's roots, which know neither authority.
        https_to(resource(2, OFF, &at(&good), true, None), OriginProtocol::Https, None),
        https_to(
            resource(3, STRICT, &[bad.addr.to_string(), good.addr.to_string()], true, None),
            OriginProtocol::Https,
            Some(&private),
        ),
    ];
    let stack = Following::start(resources, Duration::from_secs(10)).await;

    let answer = stack.send("GET /page HTTP/1.1\r\nHost: on.example\r\n\r\n").await;
    assert_eq!(answer.status, 502, "{}", answer.head);
    let said = logged(&bad.addr.to_string());
    assert_eq!(said.len(), 1, "one line: {said:#?}");
    assert!(said[0].contains("origin request failed") && said[0].contains("UnknownIssuer"), "{}", said[0]);
    let answer = stack.send(&handshake("GET /chat HTTP/1.1", "Host: on.example\r\n")).await;
    assert_eq!(answer.status, 502, "a handshake too: {}", answer.head);
    let answer = stack.send("GET /page HTTP/1.1\r\nHost: off.example\r\n\r\n").await;
    assert_eq!(answer.status, 502, "{}", answer.head);
    assert!(bad.take().is_empty() && good.take().is_empty(), "no request went over an unverified connection");
    assert_eq!(metric(&stack.edge, "cdn_edge_origin_errors_total{kind=\"tls\"}"), Some(3));

    // In a group, the failed handshake moves the request on, as a refused connection does.
    for _ in 0..2 {
        let answer = stack.send("GET /page HTTP/1.1\r\nHost: strict.example\r\n\r\n").await;
        assert_eq!(answer.status, 200, "{}", answer.head);
        assert!(good.take_one().tls);
    }
    let answer = stack.send(&handshake("GET /chat HTTP/1.1", "Host: strict.example\r\n")).await;
    assert_eq!(answer.status, 101, "{}", answer.head);
    assert!(bad.take().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn match_speaks_the_visitors_scheme_to_the_origin() {
    let (edge_ca, private) = (Ca::new("Edge test CA"), Ca::new("Private origin CA"));
    // One port for both schemes: the test origin serves TLS to a connection that opens with a
    // handshake, plain HTTP to any other.
    let origin = private_origin(&private).await;
    let on = edge_ca.issue(1, &[ON]);
    let resources =
        vec![https_to(resource(1, ON, &at(&origin), true, Some(&on)), OriginProtocol::Match, Some(&private))];
    let stack = Following::start(resources, Duration::from_secs(10)).await;

    let answer = stack.send("GET / HTTP/1.1\r\nHost: on.example\r\n\r\n").await;
    assert_eq!(answer.status, 200, "{}", answer.head);
    assert!(!origin.take_one().tls, "HTTP for a visitor over HTTP");
    let answer = send_tls(&stack.edge, edge_ca.client(), ON, "GET / HTTP/1.1\r\nHost: on.example\r\n\r\n").await;
    assert_eq!(answer.status, 200, "{}", answer.head);
    assert!(origin.take_one().tls, "HTTPS for a visitor over HTTPS");

    let mut tunnel = stack.send(&handshake("GET /chat HTTP/1.1", "Host: on.example\r\n")).await;
    assert_eq!(tunnel.status, 101);
    tunnel.first_line().await;
    assert!(!origin.take_one().tls);
    let mut tunnel =
        send_tls(&stack.edge, edge_ca.client(), ON, &handshake("GET /chat HTTP/1.1", "Host: on.example\r\n")).await;
    assert_eq!(tunnel.status, 101);
    tunnel.first_line().await;
    assert_eq!(tunnel.echo("matched").await, "matched");
    assert!(origin.take_one().tls);
}
