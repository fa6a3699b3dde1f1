//! The byte relay of an upgraded connection: everything the visitor sends goes to the origin and
//! back, until both sides have finished or the tunnel has been idle too long.

use crate::frames::FrameWatch;
use crate::metrics::Metrics;
use crate::traffic::ResourceCounters;
use bytes::Bytes;
use edge_feed::traffic::{CloseReason, WsCounter};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use std::io;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// A visitor's connection over HTTPS, as the edge serves it.
pub type VisitorTls = tokio_rustls::server::TlsStream<TcpStream>;
/// A connection to an origin over HTTPS, as the edge dials it.
pub type OriginTlsStream = tokio_rustls::client::TlsStream<TcpStream>;

/// Per direction. Small, because an open tunnel keeps both for as long as it lives and most
/// WebSocket messages are far smaller; a bigger message simply takes several reads.
const BUFFER_BYTES: usize = 4 * 1024;

/// How a tunnel ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// This side closed the connection: it sent the first Close frame (RFC 6455 §5.5.1), or,
    /// with no Close frame seen, it stopped sending first. After a Close frame, a failure (a
    /// peer resetting instead of ending TCP cleanly) still counts as that side's close.
    Closed(Side),
    /// No byte went either way for the idle limit.
    Idle,
    /// A side failed (reset, broken pipe).
    Failed(io::ErrorKind),
}

impl Ended {
    /// How the portal is told it ended: which side closed first, idle, or an error.
    pub fn close_reason(&self) -> CloseReason {
        match self {
            Ended::Closed(Side::Visitor) => CloseReason::VisitorClosed,
            Ended::Closed(Side::Origin) => CloseReason::OriginClosed,
            Ended::Idle => CloseReason::Idle,
            Ended::Failed(_) => CloseReason::Error,
        }
    }
}

/// One side of a tunnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The visitor's connection, served by the edge.
    Visitor,
    /// The origin's connection, dialled by the edge.
    Origin,
}

/// Where a tunnel's relayed bytes are counted: in the edge's totals and in its resource's
/// counters (a cell the tunnel holds, so no lock is taken per read).
#[derive(Clone, Copy)]
pub struct Counting<'a> {
    pub metrics: &'a Metrics,
    pub resource: &'a ResourceCounters,
}

impl Counting<'_> {
    fn relayed_to_origin(self, bytes: usize) {
        self.metrics.relayed_to_origin(bytes);
        self.resource.add(WsCounter::BytesToOrigin, bytes as u64);
    }

    fn relayed_to_visitor(self, bytes: usize) {
        self.metrics.relayed_to_visitor(bytes);
        self.resource.add(WsCounter::BytesToVisitor, bytes as u64);
    }
}

/// A connection a tunnel relays, split into its reading and writing halves.
///
/// The relay is generic over it rather than over a boxed stream: every byte of a tunnel goes
/// through these halves, and a plain TCP stream splits into its own borrowed halves (no lock,
/// no allocation, no dynamic call), as before HTTPS. A TLS stream keeps one state for both
/// directions, so it is split by `tokio::io::split`, whose lock is never contended: the relay
/// polls both directions from one task. Four pairings are compiled (each side TCP or TLS).
pub trait Duplex: Send {
    type Reader<'a>: AsyncRead + Unpin + Send
    where
        Self: 'a;
    type Writer<'a>: AsyncWrite + Unpin + Send
    where
        Self: 'a;
    fn halves(&mut self) -> (Self::Reader<'_>, Self::Writer<'_>);
}

impl Duplex for TcpStream {
    type Reader<'a> = tokio::net::tcp::ReadHalf<'a>;
    type Writer<'a> = tokio::net::tcp::WriteHalf<'a>;

    fn halves(&mut self) -> (Self::Reader<'_>, Self::Writer<'_>) {
        self.split()
    }
}

macro_rules! tls_duplex {
    ($stream:ty) => {
        impl Duplex for $stream {
            type Reader<'a> = tokio::io::ReadHalf<&'a mut $stream>;
            type Writer<'a> = tokio::io::WriteHalf<&'a mut $stream>;

            fn halves(&mut self) -> (Self::Reader<'_>, Self::Writer<'_>) {
                tokio::io::split(self)
            }
        }
    };
}
tls_duplex!(VisitorTls);
tls_duplex!(OriginTlsStream);

/// Relays between two upgraded connections, taken back out of hyper as the streams the edge
/// served and dialled (TCP or TLS, see [`Duplex`]), with what hyper had read past each
/// handshake. `Err` for a connection of another kind, which the edge never makes.
pub async fn relay_upgraded(
    visitor: Upgraded,
    origin: Upgraded,
    idle_limit: Duration,
    counting: Counting<'_>,
) -> Result<Ended, &'static str> {
    match visitor.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => with_origin(parts.io.into_inner(), parts.read_buf, origin, idle_limit, counting).await,
        Err(visitor) => match visitor.downcast::<TokioIo<VisitorTls>>() {
            Ok(parts) => with_origin(parts.io.into_inner(), parts.read_buf, origin, idle_limit, counting).await,
            Err(_) => Err("the visitor's upgraded connection is neither TCP nor TLS"),
        },
    }
}

async fn with_origin<V: Duplex>(
    mut visitor: V,
    visitor_early: Bytes,
    origin: Upgraded,
    idle_limit: Duration,
    counting: Counting<'_>,
) -> Result<Ended, &'static str> {
    let (from_visitor, to_visitor) = visitor.halves();
    let visitor = End { reader: from_visitor, writer: to_visitor, early: visitor_early };
    match origin.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => {
            let mut stream = parts.io.into_inner();
            let (reader, writer) = stream.halves();
            Ok(relay(visitor, End { reader, writer, early: parts.read_buf }, idle_limit, counting).await)
        }
        Err(origin) => match origin.downcast::<TokioIo<OriginTlsStream>>() {
            Ok(parts) => {
                let mut stream = parts.io.into_inner();
                let (reader, writer) = stream.halves();
                Ok(relay(visitor, End { reader, writer, early: parts.read_buf }, idle_limit, counting).await)
            }
            Err(_) => Err("the origin's upgraded connection is neither TCP nor TLS"),
        },
    }
}

/// One end of a tunnel: its reading and writing halves (a TCP stream's own halves, which need no
/// lock between them), and what it had already sent when the handshake was read (a visitor may
/// send its first message right behind the handshake).
pub struct End<R, W> {
    pub reader: R,
    pub writer: W,
    pub early: Bytes,
}

/// Relays until the end. When one side stops sending (a half-close), or a direction fails, that
/// is passed on to the receiving side while the opposite direction keeps flowing until it ends
/// too: what a side sent just before it failed (an origin's last answer before it drops the
/// connection) is still delivered. Autobahn's cases 3.4 and 4.1.5 lost that answer while a
/// failed direction still cut the other one short.
pub async fn relay<VR, VW, OR, OW>(
    visitor: End<VR, VW>,
    origin: End<OR, OW>,
    idle_limit: Duration,
    counting: Counting<'_>,
) -> Ended
where
    VR: AsyncRead + Unpin,
    VW: AsyncWrite + Unpin,
    OR: AsyncRead + Unpin,
    OW: AsyncWrite + Unpin,
{
    let End { reader: mut from_visitor, writer: mut to_visitor, early: from_visitor_early } = visitor;
    let End { reader: mut from_origin, writer: mut to_origin, early: from_origin_early } = origin;
    let activity = Activity::new();
    let ends = Ends::default();
    let upstream =
        direction(Side::Visitor, &mut from_visitor, from_visitor_early, &mut to_origin, &activity, &ends, |n| {
            counting.relayed_to_origin(n)
        });
    let downstream =
        direction(Side::Origin, &mut from_origin, from_origin_early, &mut to_visitor, &activity, &ends, |n| {
            counting.relayed_to_visitor(n)
        });
    tokio::select! {
        (up, down) = async { tokio::join!(upstream, downstream) } => ends.ended(up.and(down)),
        () = activity.idle_for(idle_limit) => Ended::Idle,
    }
}

/// What the close reason the portal reports is read from: the side that sent the first Close
/// frame, set as it is read (before it is passed on, so before any answer to it), and the side
/// whose direction ended first (it stopped sending, or failed), set as its pump returns.
#[derive(Default)]
struct Ends {
    first_close: OnceLock<Side>,
    first_done: OnceLock<Side>,
}

impl Ends {
    /// How the tunnel ended, once both directions have, with `result` the first failure if any.
    fn ended(&self, result: io::Result<()>) -> Ended {
        match (result, self.first_close.get()) {
            (_, Some(closer)) => Ended::Closed(*closer),
            // Both directions returned, so the first has set it.
            (Ok(()), None) => Ended::Closed(self.first_done.get().copied().unwrap_or(Side::Visitor)),
            (Err(error), None) => Ended::Failed(error.kind()),
        }
    }
}

/// The direction that `side` sends, pumped to its end, with its first Close frame and its end
/// marked in `ends`.
async fn direction<R, W>(
    side: Side,
    from: &mut R,
    early: Bytes,
    to: &mut W,
    activity: &Activity,
    ends: &Ends,
    count: impl Fn(usize),
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut frames = FrameWatch::default();
    let read = |bytes: &[u8]| {
        if frames.close_seen(bytes) {
            let _ = ends.first_close.set(side);
        }
    };
    let done = pump(from, early, to, activity, read, count).await;
    let _ = ends.first_done.set(side);
    done
}

/// One direction, to its end: the receiver is then told that nothing more comes, whether the
/// sender finished or either side failed. `read` sees each piece as it is read, before it is
/// written on; `count` is told how many bytes were written.
async fn pump<R, W>(
    from: &mut R,
    early: Bytes,
    to: &mut W,
    activity: &Activity,
    mut read: impl FnMut(&[u8]),
    count: impl Fn(usize),
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let copied = async {
        if !early.is_empty() {
            read(&early);
            to.write_all(&early).await?;
            to.flush().await?;
            count(early.len());
        }
        // Even empty, `early` may share the allocation of the connection's whole read buffer: let
        // it go now, not when the tunnel ends (measured: it doubled an idle tunnel's memory).
        drop(early);
        let mut buffer = vec![0_u8; BUFFER_BYTES];
        loop {
            let length = from.read(&mut buffer).await?;
            if length == 0 {
                // The sender is done; the receiver's answer may still be on its way.
                return Ok(());
            }
            activity.touch();
            read(&buffer[..length]);
            to.write_all(&buffer[..length]).await?;
            to.flush().await?;
            activity.touch();
            count(length);
        }
    }
    .await;
    let shut = to.shutdown().await;
    copied.and(shut)
}

/// When a byte last moved, in milliseconds since the tunnel opened.
struct Activity {
    opened: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self { opened: Instant::now(), last_ms: AtomicU64::new(0) }
    }

    fn touch(&self) {
        self.last_ms.store(self.opened.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Completes once nothing has moved for `limit`; each movement pushes the deadline back.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let deadline = self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed)) + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{DuplexStream, ReadHalf, WriteHalf, duplex};

    fn end(stream: DuplexStream, early: &'static [u8]) -> End<ReadHalf<DuplexStream>, WriteHalf<DuplexStream>> {
        let (reader, writer) = tokio::io::split(stream);
        End { reader, writer, early: Bytes::from_static(early) }
    }

    #[tokio::test]
    async fn bytes_flow_both_ways_and_a_half_close_is_passed_on() {
        let (metrics, resource) = (Metrics::default(), ResourceCounters::default());
        let counting = Counting { metrics: &metrics, resource: &resource };
        let (visitor_end, mut visitor) = duplex(64);
        let (origin_end, mut origin) = duplex(64);
        let relay = relay(end(visitor_end, b"early "), end(origin_end, b""), Duration::from_secs(5), counting);
        let peers = async {
            visitor.write_all(b"hello").await.unwrap();
            visitor.shutdown().await.unwrap();
            let mut heard = Vec::new();
            origin.read_to_end(&mut heard).await.unwrap();
            assert_eq!(heard, b"early hello", "the origin sees the visitor's bytes, early ones first, then its end");
            origin.write_all(b"still answering").await.unwrap();
            origin.shutdown().await.unwrap();
            let mut answer = Vec::new();
            visitor.read_to_end(&mut answer).await.unwrap();
            assert_eq!(answer, b"still answering");
        };
        let (ended, ()) = tokio::join!(relay, peers);
        assert_eq!(ended, Ended::Closed(Side::Visitor), "the visitor's direction ended first");
        assert!(metrics.render().contains("cdn_edge_relayed_bytes_total{direction=\"to_visitor\"} 15"));
        assert_eq!(resource.get(WsCounter::BytesToVisitor), 15, "counted for the resource too");
        assert_eq!(resource.get(WsCounter::BytesToOrigin), 11);
    }

    #[tokio::test]
    async fn the_side_that_closed_first_is_told() {
        let (metrics, resource) = (Metrics::default(), ResourceCounters::default());
        let counting = Counting { metrics: &metrics, resource: &resource };
        let (visitor_end, mut visitor) = duplex(64);
        let (origin_end, mut origin) = duplex(64);
        let relay = relay(end(visitor_end, b""), end(origin_end, b""), Duration::from_secs(5), counting);
        let peers = async {
            // The origin says goodbye and closes; the visitor reads it all, answers, then closes.
            origin.write_all(b"bye").await.unwrap();
            origin.shutdown().await.unwrap();
            let mut heard = Vec::new();
            visitor.read_to_end(&mut heard).await.unwrap();
            assert_eq!(heard, b"bye");
            visitor.write_all(b"ok").await.unwrap();
            visitor.shutdown().await.unwrap();
            let mut answer = Vec::new();
            origin.read_to_end(&mut answer).await.unwrap();
            assert_eq!(answer, b"ok", "the other direction kept flowing after the origin's close");
        };
        let (ended, ()) = tokio::join!(relay, peers);
        assert_eq!(ended, Ended::Closed(Side::Origin));
        assert_eq!((resource.get(WsCounter::BytesToVisitor), resource.get(WsCounter::BytesToOrigin)), (3, 2));
    }

    /// RFC 6455 §7.1.1: after the closing handshake the server ends TCP first, whoever began it.
    #[tokio::test]
    async fn the_side_that_sent_the_first_close_frame_closed_though_the_origin_ends_tcp_first() {
        use crate::frames::tests::frame;
        for closer in [Side::Visitor, Side::Origin] {
            let (metrics, resource) = (Metrics::default(), ResourceCounters::default());
            let counting = Counting { metrics: &metrics, resource: &resource };
            let (visitor_end, mut visitor) = duplex(64);
            let (origin_end, mut origin) = duplex(64);
            let relay = relay(end(visitor_end, b""), end(origin_end, b""), Duration::from_secs(5), counting);
            // A visitor's frames are masked, an origin's not (§5.1).
            let (visitor_close, origin_close) = (frame(0x8, &[0x03, 0xe8], true), frame(0x8, &[0x03, 0xe8], false));
            let peers = async {
                visitor.write_all(&frame(0x1, b"hi", true)).await.unwrap();
                origin.read_exact(&mut [0; 8]).await.unwrap();
                // The one who closes sends its Close; the other answers with its own.
                if closer == Side::Visitor {
                    visitor.write_all(&visitor_close).await.unwrap();
                    origin.read_exact(&mut vec![0; visitor_close.len()]).await.unwrap();
                    origin.write_all(&origin_close).await.unwrap();
                    visitor.read_exact(&mut vec![0; origin_close.len()]).await.unwrap();
                } else {
                    origin.write_all(&origin_close).await.unwrap();
                    visitor.read_exact(&mut vec![0; origin_close.len()]).await.unwrap();
                    visitor.write_all(&visitor_close).await.unwrap();
                    origin.read_exact(&mut vec![0; visitor_close.len()]).await.unwrap();
                }
                // Then the server, the origin, ends TCP first; the visitor follows.
                origin.shutdown().await.unwrap();
                visitor.read_to_end(&mut Vec::new()).await.unwrap();
                visitor.shutdown().await.unwrap();
                origin.read_to_end(&mut Vec::new()).await.unwrap();
            };
            let (ended, ()) = tokio::join!(relay, peers);
            assert_eq!(ended, Ended::Closed(closer), "{closer:?} sent the first Close");
        }
    }

    #[tokio::test]
    async fn what_a_side_sent_before_it_failed_is_still_delivered() {
        let (metrics, resource) = (Metrics::default(), ResourceCounters::default());
        let counting = Counting { metrics: &metrics, resource: &resource };
        let (visitor_end, mut visitor) = duplex(64);
        let (origin_end, mut origin) = duplex(64);
        // The origin answers and drops the connection; the visitor, not knowing, sends more,
        // which cannot be written to the origin.
        origin.write_all(b"last answer").await.unwrap();
        drop(origin);
        visitor.write_all(b"more").await.unwrap();
        let ended = relay(end(visitor_end, b""), end(origin_end, b""), Duration::from_secs(5), counting).await;
        assert_eq!(ended, Ended::Failed(io::ErrorKind::BrokenPipe));
        let mut heard = Vec::new();
        visitor.read_to_end(&mut heard).await.unwrap();
        assert_eq!(heard, b"last answer", "delivered, then the end");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_tunnel_closes_and_traffic_keeps_it_open() {
        let (metrics, resource) = (Metrics::default(), ResourceCounters::default());
        let counting = Counting { metrics: &metrics, resource: &resource };
        let (visitor_end, mut visitor) = duplex(64);
        let (origin_end, mut origin) = duplex(64);
        let relay = relay(end(visitor_end, b""), end(origin_end, b""), Duration::from_secs(100), counting);
        let traffic = async {
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_secs(60)).await;
                visitor.write_all(b"ping").await.unwrap();
                let mut ping = [0; 4];
                origin.read_exact(&mut ping).await.unwrap();
            }
            Instant::now()
        };
        let started = Instant::now();
        let (ended, last_traffic) = tokio::join!(relay, traffic);
        assert_eq!(ended, Ended::Idle);
        assert!(last_traffic - started >= Duration::from_secs(300), "open for 300 s of regular traffic");
        assert!(Instant::now() - last_traffic >= Duration::from_secs(100));
    }
}
