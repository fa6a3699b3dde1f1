//! WebSocket traffic per resource, counted as the contract in `edge_feed::traffic` lists it
//! ([`WsCounter`]): cumulative since this edge started (its [`Traffic::boot`]), plus the tunnels
//! open now. [`crate::reporter`] sends it to the portal; what changed since the portal last
//! acknowledged a report is chosen here ([`Acknowledged`]).
//!
//! Each resource's counters are atomics in a cell of their own ([`ResourceCounters`]): the map
//! of cells is locked only to find or add one (a handshake, a refusal, a report), while an open
//! tunnel holds its resource's cell and counts every read without any lock.

use edge_feed::ResourceId;
use edge_feed::traffic::{
    CloseReason, DURATION_BOUNDS_S, HandshakeRefusal, MAX_RESOURCES_PER_REPORT, ResourceTraffic, TrafficReport,
    WsCounter,
};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::time::Instant;

/// How many counters [`WsCounter::all`] lists: each resource keeps one atomic per counter.
pub const COUNTERS: usize = 1 + HandshakeRefusal::ALL.len() + 2 + CloseReason::ALL.len() + DURATION_BOUNDS_S.len() + 1;

/// The position of `counter` in [`WsCounter::all`], by a match rather than a search, since
/// bytes are counted with it on every read of a tunnel. A counter the contract adds fails to
/// compile here; one it reorders fails the test `indexes_follow_the_contracts_order`.
fn index(counter: WsCounter) -> usize {
    match counter {
        WsCounter::Accepted => 0,
        WsCounter::Refused(HandshakeRefusal::OptionOff) => 1,
        WsCounter::Refused(HandshakeRefusal::OriginRefused) => 2,
        WsCounter::Refused(HandshakeRefusal::OriginUnreachable) => 3,
        WsCounter::BytesToOrigin => 4,
        WsCounter::BytesToVisitor => 5,
        WsCounter::Closed(CloseReason::VisitorClosed) => 6,
        WsCounter::Closed(CloseReason::OriginClosed) => 7,
        WsCounter::Closed(CloseReason::Idle) => 8,
        WsCounter::Closed(CloseReason::EdgeShutdown) => 9,
        WsCounter::Closed(CloseReason::Error) => 10,
        // A bucket past the last one is "longer", as in `WsCounter::name`.
        WsCounter::Duration(bucket) => 11 + bucket.min(DURATION_BOUNDS_S.len()),
    }
}

/// One resource's WebSocket figures at this edge: tunnels open now, and one cumulative count
/// per [`WsCounter`].
#[derive(Default)]
pub struct ResourceCounters {
    open: AtomicU64,
    /// Indexed by [`index`], that is like [`WsCounter::all`].
    counts: [AtomicU64; COUNTERS],
}

impl ResourceCounters {
    /// Adds `n` (a count, or bytes for the byte counters) to `counter`.
    pub fn add(&self, counter: WsCounter, n: u64) {
        self.counts[index(counter)].fetch_add(n, Ordering::Relaxed);
    }

    /// The count of `counter` since the edge started.
    pub fn get(&self, counter: WsCounter) -> u64 {
        self.counts[index(counter)].load(Ordering::Relaxed)
    }

    /// Tunnels of the resource open now.
    pub fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    fn figures(&self) -> Figures {
        Figures { open: self.open(), counts: std::array::from_fn(|i| self.counts[i].load(Ordering::Relaxed)) }
    }
}

/// Every resource's WebSocket traffic at this edge since it started, and the signal that tells
/// open tunnels the edge is shutting down.
pub struct Traffic {
    boot: String,
    resources: Mutex<HashMap<ResourceId, Arc<ResourceCounters>>>,
    /// `true` once the edge shuts down. Every open [`Tunnel`] holds a receiver until it has been
    /// counted, so that [`Traffic::tunnels_ended`] knows when the last one is.
    shutdown: watch::Sender<bool>,
}

impl Default for Traffic {
    fn default() -> Self {
        Self::new()
    }
}

impl Traffic {
    /// No traffic yet, under a new random [`Traffic::boot`].
    pub fn new() -> Self {
        Self { boot: new_boot(), resources: Mutex::default(), shutdown: watch::Sender::new(false) }
    }

    /// This start's id in traffic reports: 16 lowercase hex digits, new at each start.
    pub fn boot(&self) -> &str {
        &self.boot
    }

    /// The counters of resource `id`, made at zero the first time it is asked for.
    pub fn resource(&self, id: ResourceId) -> Arc<ResourceCounters> {
        self.lock().entry(id).or_default().clone()
    }

    /// Adds one to `counter` of resource `id`: a handshake's outcome. (A tunnel counts its
    /// bytes and its end through its [`Tunnel`], without looking the resource up each time.)
    pub fn count(&self, id: ResourceId, counter: WsCounter) {
        self.resource(id).add(counter, 1);
    }

    /// Counts an accepted handshake (the origin's 101) for resource `id` and a tunnel open until
    /// the returned guard is dropped, which counts how and after how long it ended.
    pub fn tunnel_opened(&self, id: ResourceId) -> Tunnel {
        let counters = self.resource(id);
        counters.add(WsCounter::Accepted, 1);
        counters.open.fetch_add(1, Ordering::Relaxed);
        Tunnel { counters, opened: Instant::now(), reason: CloseReason::Error, shutdown: self.shutdown.subscribe() }
    }

    /// Tells every open tunnel, and any opened from now on, that the edge is shutting down:
    /// each stops relaying and counts itself closed by [`CloseReason::EdgeShutdown`].
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Completes once no [`Tunnel`] is left: each has been counted as it ended.
    pub async fn tunnels_ended(&self) {
        self.shutdown.closed().await;
    }

    /// Every resource's figures now, in no particular order.
    pub fn figures(&self) -> Vec<(ResourceId, Figures)> {
        self.lock().iter().map(|(&id, counters)| (id, counters.figures())).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ResourceId, Arc<ResourceCounters>>> {
        self.resources.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// 16 hex digits that differ from one start to the next: the clock, the process id and the
/// random keys the standard library seeds each `RandomState` with, hashed together.
fn new_boot() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    hasher.write_u128(now.as_nanos());
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

/// An open tunnel of a resource, counted in its [`ResourceCounters`] (`open`, and its bytes
/// through [`Tunnel::counters`]). Dropped, it counts its end: [`WsCounter::Closed`] with the
/// reason given to [`Tunnel::end`] ([`CloseReason::Error`] if none was, such as a tunnel whose
/// task was cut short), and [`WsCounter::duration`] of its life since the origin's 101.
pub struct Tunnel {
    counters: Arc<ResourceCounters>,
    opened: Instant,
    reason: CloseReason,
    /// Held until the tunnel is counted, see [`Traffic::tunnels_ended`].
    shutdown: watch::Receiver<bool>,
}

impl Tunnel {
    /// Its resource's counters, for the bytes it relays.
    pub fn counters(&self) -> &ResourceCounters {
        &self.counters
    }

    /// Completes once the edge shuts down ([`Traffic::begin_shutdown`]); never if it does not.
    pub async fn shutdown(&self) {
        // A receiver of its own, so that the relay may keep using the tunnel's counters meanwhile.
        let mut shutdown = self.shutdown.clone();
        if shutdown.wait_for(|&shutting_down| shutting_down).await.is_err() {
            // The edge's `Traffic` is gone without a shutdown: nothing will ever say it.
            std::future::pending::<()>().await;
        }
    }

    /// Ends the tunnel, counted as closed for `reason`.
    pub fn end(mut self, reason: CloseReason) {
        self.reason = reason;
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        let counters = &self.counters;
        counters.add(WsCounter::Closed(self.reason), 1);
        counters.add(WsCounter::duration(self.opened.elapsed().as_secs_f64()), 1);
        counters.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A resource's figures at one instant: tunnels open, and each counter (indexed like
/// [`WsCounter::all`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    pub open: u64,
    pub counts: [u64; COUNTERS],
}

impl Figures {
    const ZERO: Figures = Figures { open: 0, counts: [0; COUNTERS] };

    /// As the report carries them: counters at zero left out, the others by [`WsCounter::name`].
    fn traffic(&self, id: ResourceId) -> ResourceTraffic {
        let counters = WsCounter::all()
            .zip(self.counts)
            .filter(|&(_, count)| count > 0)
            .map(|(counter, count)| (counter.name().to_owned(), count))
            .collect();
        ResourceTraffic { id, open: self.open, counters }
    }
}

/// The figures of one report, kept until the portal acknowledges it.
#[derive(Clone, Debug)]
pub struct Batch {
    figures: Vec<(ResourceId, Figures)>,
}

impl Batch {
    /// The report of these figures, from edge `edge` at `boot`; resources in id order.
    pub fn report(&self, edge: &str, boot: &str) -> TrafficReport {
        TrafficReport {
            edge: edge.to_owned(),
            boot: boot.to_owned(),
            resources: self.figures.iter().map(|(id, figures)| figures.traffic(*id)).collect(),
        }
    }
}

/// The figures of each resource as the portal last acknowledged them (answered 2xx to the report
/// that carried them): what the next report may leave out.
#[derive(Default)]
pub struct Acknowledged {
    figures: HashMap<ResourceId, Figures>,
}

impl Acknowledged {
    /// The reports to send now, each of at most [`MAX_RESOURCES_PER_REPORT`] resources: every
    /// resource whose figures differ from those acknowledged (a resource never reported counts
    /// as acknowledged at zero), and every one with a tunnel open, so that the portal's "open
    /// now" stays fresh. Always at least one report, empty if need be: the portal also learns
    /// from it that the edge is alive.
    pub fn batches(&self, traffic: &Traffic) -> Vec<Batch> {
        let mut changed: Vec<(ResourceId, Figures)> = traffic
            .figures()
            .into_iter()
            .filter(|(id, figures)| figures.open > 0 || self.figures.get(id).unwrap_or(&Figures::ZERO) != figures)
            .collect();
        changed.sort_unstable_by_key(|&(id, _)| id);
        if changed.is_empty() {
            return vec![Batch { figures: Vec::new() }];
        }
        changed.chunks(MAX_RESOURCES_PER_REPORT).map(|chunk| Batch { figures: chunk.to_vec() }).collect()
    }

    /// The portal recorded `batch`: its figures need not be sent again until they change.
    pub fn acknowledge(&mut self, batch: Batch) {
        self.figures.extend(batch.figures);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A resource as a report carries it: id, open, and its counters by name.
    type Reported = (ResourceId, u64, Vec<(String, u64)>);

    fn names(batch: &Batch) -> Vec<Reported> {
        batch
            .report("e", "b")
            .resources
            .into_iter()
            .map(|resource| (resource.id, resource.open, resource.counters.into_iter().collect()))
            .collect()
    }

    #[test]
    fn indexes_follow_the_contracts_order() {
        let all: Vec<WsCounter> = WsCounter::all().collect();
        assert_eq!(all.len(), COUNTERS);
        for (position, counter) in all.into_iter().enumerate() {
            assert_eq!(index(counter), position, "{counter:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn tunnels_count_their_opening_bytes_and_end() {
        let traffic = Traffic::new();
        traffic.count(7, WsCounter::Refused(HandshakeRefusal::OptionOff));
        let first = traffic.tunnel_opened(7);
        let second = traffic.tunnel_opened(7);
        first.counters().add(WsCounter::BytesToOrigin, 10);
        second.counters().add(WsCounter::BytesToVisitor, 32);
        let counters = traffic.resource(7);
        assert_eq!((counters.open(), counters.get(WsCounter::Accepted)), (2, 2));

        tokio::time::advance(Duration::from_secs(3)).await;
        first.end(CloseReason::VisitorClosed);
        tokio::time::advance(Duration::from_secs(100)).await;
        drop(second); // Ended without a reason: an error.

        assert_eq!(counters.open(), 0);
        assert_eq!(counters.get(WsCounter::Closed(CloseReason::VisitorClosed)), 1);
        assert_eq!(counters.get(WsCounter::Closed(CloseReason::Error)), 1);
        assert_eq!(counters.get(WsCounter::duration(3.0)), 1, "3 s: the bucket up to 5 s");
        assert_eq!(counters.get(WsCounter::duration(103.0)), 1, "103 s: the bucket up to 300 s");
        assert_eq!(counters.get(WsCounter::BytesToOrigin), 10);
        assert_eq!(counters.get(WsCounter::BytesToVisitor), 32);
        assert_eq!(counters.get(WsCounter::Refused(HandshakeRefusal::OptionOff)), 1);
        assert_eq!(traffic.resource(8).get(WsCounter::Accepted), 0, "other resources are apart");
    }

    #[tokio::test]
    async fn shutdown_reaches_open_tunnels_and_waits_for_their_count() {
        let traffic = Arc::new(Traffic::new());
        tokio::time::timeout(Duration::from_millis(10), traffic.tunnels_ended())
            .await
            .expect("no tunnel: nothing to wait for");
        let tunnel = traffic.tunnel_opened(1);
        let relaying = tokio::spawn(async move {
            tunnel.shutdown().await;
            tunnel.end(CloseReason::EdgeShutdown);
        });
        assert!(tokio::time::timeout(Duration::from_millis(20), traffic.tunnels_ended()).await.is_err());
        traffic.begin_shutdown();
        tokio::time::timeout(Duration::from_secs(5), traffic.tunnels_ended()).await.expect("the tunnel ended");
        relaying.await.unwrap();
        let counters = traffic.resource(1);
        assert_eq!(counters.get(WsCounter::Closed(CloseReason::EdgeShutdown)), 1);
        assert_eq!(counters.open(), 0);
    }

    #[test]
    fn reports_carry_what_changed_since_the_portal_acknowledged_it() {
        let traffic = Traffic::new();
        let mut acknowledged = Acknowledged::default();
        let batches = acknowledged.batches(&traffic);
        assert_eq!(batches.len(), 1);
        assert!(batches[0].report("edge-1", traffic.boot()).resources.is_empty(), "an empty report still goes");

        traffic.count(1, WsCounter::Accepted);
        traffic.count(2, WsCounter::Refused(HandshakeRefusal::OriginUnreachable));
        traffic.resource(3); // Looked up, never counted: nothing to say.
        let open = traffic.tunnel_opened(4);
        let batches = acknowledged.batches(&traffic);
        assert_eq!(batches.len(), 1);
        assert_eq!(
            names(&batches[0]),
            [
                (1, 0, vec![("accepted".to_owned(), 1)]),
                (2, 0, vec![("refused_origin_unreachable".to_owned(), 1)]),
                (4, 1, vec![("accepted".to_owned(), 1)]),
            ],
            "counters at zero left out"
        );
        let report = batches[0].report("edge-1", traffic.boot());
        assert_eq!((report.edge.as_str(), report.boot.as_str()), ("edge-1", traffic.boot()));

        // That report was lost: the next one says it all again.
        let again = acknowledged.batches(&traffic);
        assert_eq!(names(&again[0]).len(), 3);
        acknowledged.acknowledge(again.into_iter().next().unwrap());

        // Acknowledged: only the resource with a tunnel open, and what changed since.
        traffic.count(2, WsCounter::Refused(HandshakeRefusal::OriginUnreachable));
        assert_eq!(
            names(&acknowledged.batches(&traffic)[0]),
            [(2, 0, vec![("refused_origin_unreachable".to_owned(), 2)]), (4, 1, vec![("accepted".to_owned(), 1)]),]
        );
        acknowledged.acknowledge(acknowledged.batches(&traffic).remove(0));
        // The tunnel closes: its resource is sent once more with nothing open, then left out.
        open.end(CloseReason::OriginClosed);
        let closed = acknowledged.batches(&traffic);
        assert_eq!(names(&closed[0]).iter().map(|(id, open, _)| (*id, *open)).collect::<Vec<_>>(), [(4, 0)]);
        acknowledged.acknowledge(closed.into_iter().next().unwrap());
        assert!(names(&acknowledged.batches(&traffic)[0]).is_empty());
    }

    #[test]
    fn many_resources_are_split_across_reports() {
        let traffic = Traffic::new();
        for id in 0..(MAX_RESOURCES_PER_REPORT as i64 + 3) {
            traffic.count(id, WsCounter::Accepted);
        }
        let batches = Acknowledged::default().batches(&traffic);
        let sizes: Vec<usize> = batches.iter().map(|batch| batch.figures.len()).collect();
        assert_eq!(sizes, [MAX_RESOURCES_PER_REPORT, 3]);
    }

    #[test]
    fn boots_are_valid_and_new_at_each_start() {
        let (first, second) = (Traffic::new(), Traffic::new());
        assert!(edge_feed::traffic::is_valid_boot(first.boot()), "{}", first.boot());
        assert_eq!(first.boot().len(), 16);
        assert_ne!(first.boot(), second.boot());
    }
}
