//! A real edge on port 0 in front of origins that behave in the ways the tests need, and a
//! visitor that speaks raw bytes to it.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

pub mod origin;
pub mod pki;
pub mod portal;

use cdn_edge::RunningEdge;
use cdn_edge::routes::{ConfigUpdate, EdgeResource};
use cdn_edge::settings::{FeedSettings, Settings, Timeouts};
use edge_feed::{NextUpstream, OriginGroup, OriginSource};
use origin::{Behaviour, Origin, read_body, read_head};
use portal::Portal;
use rustls::ClientConfig;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The resources the edge serves, by domain, and what each is for.
pub const ON: &str = "on.example";
/// Same origin as [`ON`], Websockets off: what the edge must never open a tunnel to.
pub const OFF: &str = "off.example";
/// Websockets on, at an origin that checks `Host` against its own port.
pub const STRICT: &str = "strict.example";
/// Websockets off, at an origin that answers 101 to anything.
pub const ROGUE: &str = "rogue.example";
/// Websockets on, at an origin whose 101 switches to h2c.
pub const H2C: &str = "h2c.example";

pub struct Stack {
    pub edge: RunningEdge,
    /// Serves [`ON`] and [`OFF`].
    pub site: Origin,
    pub strict: Origin,
    pub rogue: Origin,
    pub h2c: Origin,
    _state: tempfile::TempDir,
}

impl Stack {
    /// An edge serving the resources above from a saved configuration: the portal it follows is
    /// a closed port, so that nothing but these tests' configuration is ever applied.
    pub async fn start() -> Stack {
        let (site, strict, rogue, h2c) = tokio::join!(
            Origin::start(Behaviour::Site),
            Origin::start(Behaviour::StrictHost),
            Origin::start(Behaviour::AlwaysUpgrades),
            Origin::start(Behaviour::SwitchesToH2c),
        );
        let resource = |id: i64, domain: &str, origin: &Origin, websockets: bool| EdgeResource {
            id,
            domain: domain.to_owned(),
            secondary_hostnames: vec![],
            origin: origin.addr.to_string(),
            origin_group: None,
            origin_protocol: ::edge_feed::OriginProtocol::Http,
            tls: None,
            origin_ca: None,
            options: edge_feed::ResourceOptions { websockets },
        };
        let configuration = ConfigUpdate {
            version: 1,
            full: true,
            resources: vec![
                resource(1, ON, &site, true),
                resource(2, OFF, &site, false),
                resource(3, STRICT, &strict, true),
                resource(4, ROGUE, &rogue, false),
                resource(5, H2C, &h2c, true),
            ],
            removed: vec![],
        };
        let state = tempfile::tempdir().unwrap();
        let state_file = state.path().join("edge.json");
        std::fs::write(&state_file, serde_json::to_vec(&configuration).unwrap()).unwrap();
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls_listen: Some("127.0.0.1:0".parse().unwrap()),
            admin_listen: "127.0.0.1:0".parse().unwrap(),
            feed: FeedSettings {
                portal_url: format!("http://{closed}"),
                token: "edge-feed-token-for-tests".to_owned(),
                edge_id: "edge-test".to_owned(),
                long_poll: Duration::from_secs(10),
            },
            state_file,
            timeouts: Timeouts {
                connect: Duration::from_millis(500),
                response: Duration::from_secs(2),
                ..Timeouts::default()
            },
        };
        let edge = cdn_edge::start(settings).await.unwrap();
        Stack { edge, site, strict, rogue, h2c, _state: state }
    }

    /// Sends `request` as it is and reads the edge's answer.
    pub async fn send(&self, request: &str) -> Answer {
        send(&self.edge, request).await
    }

    /// The value of one series of the edge's `/metrics`, 0 if absent.
    pub fn metric(&self, series: &str) -> u64 {
        metric(&self.edge, series).unwrap_or(0)
    }

    /// How many requests the edge refused for `reason` (a label of `cdn_edge_refused_requests_total`).
    pub fn refused(&self, reason: &str) -> u64 {
        self.metric(&format!("cdn_edge_refused_requests_total{{reason=\"{reason}\"}}"))
    }
}

/// Sends `request` to `edge` as it is and reads the edge's answer.
pub async fn send(edge: &RunningEdge, request: &str) -> Answer {
    let mut stream = TcpStream::connect(edge.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    Answer::read(stream).await
}

/// The value of one series of the edge's `/metrics`, `None` if it lists none.
pub fn metric(edge: &RunningEdge, series: &str) -> Option<u64> {
    edge.metrics().lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// An edge that follows a [`Portal`] whose configuration the test changes, for origin groups.
pub struct Following {
    pub edge: RunningEdge,
    pub portal: Portal,
    _state: tempfile::TempDir,
}

impl Following {
    /// An edge serving `resources` once it has them, skipping an unreachable origin for `origin_fail`.
    pub async fn start(resources: Vec<EdgeResource>, origin_fail: Duration) -> Following {
        let portal = Portal::start(resources).await;
        let state = tempfile::tempdir().unwrap();
        let settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls_listen: Some("127.0.0.1:0".parse().unwrap()),
            admin_listen: "127.0.0.1:0".parse().unwrap(),
            feed: FeedSettings {
                portal_url: portal.url.clone(),
                token: "edge-feed-token-for-tests".to_owned(),
                edge_id: "edge-test".to_owned(),
                long_poll: Duration::from_secs(10),
            },
            state_file: state.path().join("edge.json"),
            timeouts: Timeouts {
                connect: Duration::from_millis(500),
                response: Duration::from_secs(2),
                origin_fail,
                ..Timeouts::default()
            },
        };
        let following = Following { edge: cdn_edge::start(settings).await.unwrap(), portal, _state: state };
        following.applied(1).await;
        following
    }

    /// Waits until the edge serves `version` (at most 5 s).
    pub async fn applied(&self, version: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while metric(&self.edge, "cdn_edge_config_version") < Some(version) {
            assert!(tokio::time::Instant::now() < deadline, "the edge never applied version {version}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub async fn send(&self, request: &str) -> Answer {
        send(&self.edge, request).await
    }

    /// The attempts and failures `/metrics` counts for `origin`, `None` if it does not list it.
    pub fn counted(&self, origin: &Origin) -> Option<(u64, u64)> {
        let series = |name: &str| metric(&self.edge, &format!("{name}{{origin=\"{}\"}}", origin.addr));
        Some((series("cdn_edge_origin_attempts_total")?, series("cdn_edge_origin_failures_total")?))
    }
}

/// A resource served by an origin group of `primaries` then `backups`, moving on for `cases`
/// when `use_next`.
pub fn grouped(
    id: i64,
    domain: &str,
    primaries: &[&Origin],
    backups: &[&Origin],
    next: Option<&[NextUpstream]>,
) -> EdgeResource {
    let source = |origin: &&Origin, backup| OriginSource { source: origin.addr.to_string(), backup };
    let sources = primaries.iter().map(|origin| source(origin, false)).chain(backups.iter().map(|o| source(o, true)));
    EdgeResource {
        id,
        domain: domain.to_owned(),
        secondary_hostnames: vec![],
        origin: primaries[0].addr.to_string(),
        origin_group: Some(OriginGroup {
            id,
            sources: sources.collect(),
            use_next: next.is_some(),
            proxy_next_upstream: next.unwrap_or_default().to_vec(),
        }),
        origin_protocol: ::edge_feed::OriginProtocol::Http,
        tls: None,
        origin_ca: None,
        options: edge_feed::ResourceOptions { websockets: true },
    }
}

/// A visitor's connection to the edge over HTTPS.
pub type TlsVisitor = tokio_rustls::client::TlsStream<TcpStream>;

/// A TLS connection to `edge`'s HTTPS address asking for `name` (as SNI; an IP address is not
/// sent), from a client that trusts `client`'s roots; the handshake's error if it fails.
pub async fn tls_connect(edge: &RunningEdge, client: Arc<ClientConfig>, name: &str) -> std::io::Result<TlsVisitor> {
    let stream = TcpStream::connect(edge.tls_addr.expect("the edge serves HTTPS")).await?;
    tokio_rustls::TlsConnector::from(client).connect(pki::server_name(name), stream).await
}

/// Sends `request` as it is over HTTPS, asking for `name` in the handshake, and reads the answer.
pub async fn send_tls(edge: &RunningEdge, client: Arc<ClientConfig>, name: &str, request: &str) -> Answer<TlsVisitor> {
    let mut stream = tls_connect(edge, client, name).await.expect("a TLS handshake");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    Answer::read(stream).await
}

/// The certificate `stream`'s handshake was given (its leaf).
pub fn presented(stream: &TlsVisitor) -> rustls::pki_types::CertificateDer<'static> {
    stream.get_ref().1.peer_certificates().expect("a certificate")[0].clone()
}

/// The edge's answer to a visitor.
pub struct Answer<S = TcpStream> {
    /// `HTTP/1.1 101 Switching Protocols`, say.
    pub status_line: String,
    pub status: u16,
    pub head: String,
    /// Framed by `Content-Length` or chunks; empty for a 101.
    pub body: String,
    /// The connection, for what follows a 101.
    pub stream: S,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Answer<S> {
    async fn read(mut stream: S) -> Answer<S> {
        let head = tokio::time::timeout(Duration::from_secs(10), read_head(&mut stream))
            .await
            .expect("an answer within 10 s")
            .expect("an answer before the edge closed");
        let status_line = head.lines().next().unwrap_or_default().to_owned();
        let status = status_line.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
        let body = read_body(&mut stream, &head).await.expect("the whole body before the edge closed");
        Answer { status_line, status, head, body: String::from_utf8_lossy(&body).into_owned(), stream }
    }

    /// Every header line named `name` (any case).
    pub fn all(&self, name: &str) -> Vec<String> {
        origin::header_values(&self.head, name)
    }

    /// The first line the tunnel carries after a 101: the test origins send `site <Host>` first.
    pub async fn first_line(&mut self) -> String {
        let mut line = Vec::new();
        while !line.ends_with(b"\n") {
            let byte =
                tokio::time::timeout(Duration::from_secs(5), self.stream.read_u8()).await.expect("a line within 5 s");
            line.push(byte.expect("a line before the tunnel closed"));
        }
        String::from_utf8_lossy(&line).trim_end().to_owned()
    }

    /// Sends `line` through the tunnel and reads what comes back: the test origins echo it.
    pub async fn echo(&mut self, line: &str) -> String {
        self.stream.write_all(format!("{line}\n").as_bytes()).await.expect("the tunnel takes a line");
        self.stream.flush().await.unwrap();
        self.first_line().await
    }

    /// Whether the edge closed the connection after this answer (within a second).
    pub async fn closed(&mut self) -> bool {
        let mut byte = [0; 1];
        matches!(tokio::time::timeout(Duration::from_secs(1), self.stream.read(&mut byte)).await, Ok(Ok(0) | Err(_)))
    }
}

/// A WebSocket opening handshake (RFC 6455 §4.1) with the request line and any extra lines
/// given, each ending in CRLF.
pub fn handshake(request_line: &str, lines: &str) -> String {
    format!(
        "{request_line}\r\n{lines}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
}
