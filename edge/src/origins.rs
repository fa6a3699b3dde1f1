//! A resource's origins as the edge uses them: which one a request tries first, which next, and
//! which are skipped for a while because they could not be reached.
//!
//! The rules are the feed's ([`edge_feed::OriginGroup`]), after nginx's upstream groups, whose
//! names Gcore's origin groups take (<https://nginx.org/en/docs/http/ngx_http_upstream_module.html>):
//! requests take turns over the primaries (round robin), the backups serve only while no primary
//! can be reached, and an origin that could not be connected to is skipped for a while
//! (nginx's `fail_timeout`, with `max_fails=1`).
//!
//! What the edge knows of one origin address (whether it is skipped, how often it was tried and
//! failed) lives in one [`OriginState`], shared by every route that names the address, through an
//! [`OriginRegistry`] that holds only the origins some route still uses.

use edge_feed::NextUpstream;
use hyper::header::HeaderValue;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// How long an origin that could not be connected to is skipped when no setting says otherwise:
/// nginx's default `fail_timeout`, 10 s.
pub const DEFAULT_FAIL_TIME: Duration = Duration::from_secs(10);

/// One origin address as the edge has found it, shared by every route that names it and safe to
/// use from every thread at once (atomics only).
#[derive(Debug)]
pub struct OriginState {
    /// `host:port`, with HTTP's port (80) when the source names none: what the edge connects to,
    /// and the `origin` label in `/metrics`.
    address: Arc<str>,
    /// Until when it is skipped, in milliseconds since the registry's epoch; 0 when it is not.
    skipped_until_ms: AtomicU64,
    /// How long a failure skips it, in milliseconds.
    fail_ms: u64,
    /// Requests and handshakes sent (or tried) to it.
    attempts: AtomicU64,
    /// Attempts that did not give the visitor its answer because of the origin: no connection,
    /// no answer in time, a broken answer, or an answer that sent the request on to the next origin.
    failures: AtomicU64,
}

impl OriginState {
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Whether it is skipped at `now_ms` ([`OriginRegistry::now_ms`]).
    pub fn is_skipped(&self, now_ms: u64) -> bool {
        now_ms < self.skipped_until_ms.load(Ordering::Relaxed)
    }

    /// Counts an attempt at it.
    pub fn attempted(&self) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failed attempt. `unreachable` (no connection could be made) also skips it until
    /// `now_ms` plus the fail time, if that is not zero: nginx's `fail_timeout`. Only that skips an origin: an answer,
    /// even a slow or broken one, shows that it is up, and one slow path of one resource should
    /// not take an origin out of rotation for every resource that uses it.
    pub fn failed(&self, now_ms: u64, unreachable: bool) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        if unreachable && self.fail_ms > 0 {
            self.skipped_until_ms.store(now_ms.saturating_add(self.fail_ms).max(1), Ordering::Relaxed);
        }
    }

    /// It answered: no longer skipped (the load first, so that the usual case writes nothing to
    /// a line every thread reads).
    pub fn answered(&self) {
        if self.skipped_until_ms.load(Ordering::Relaxed) != 0 {
            self.skipped_until_ms.store(0, Ordering::Relaxed);
        }
    }

    pub fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::Relaxed)
    }

    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

/// Every origin address some route uses, each with its one [`OriginState`]. Routes hold the
/// states; the registry only finds them again (weakly), so an address that no route names any
/// more is forgotten with its counters, and `/metrics` lists only origins in the configuration.
#[derive(Debug)]
pub struct OriginRegistry {
    epoch: Instant,
    fail_ms: u64,
    by_address: Mutex<HashMap<Arc<str>, Weak<OriginState>>>,
}

impl Default for OriginRegistry {
    fn default() -> Self {
        Self::new(DEFAULT_FAIL_TIME)
    }
}

impl OriginRegistry {
    /// A registry whose origins are skipped for `fail_time` after they could not be reached.
    pub fn new(fail_time: Duration) -> Self {
        Self {
            epoch: Instant::now(),
            fail_ms: u64::try_from(fail_time.as_millis()).unwrap_or(u64::MAX),
            by_address: Mutex::new(HashMap::new()),
        }
    }

    /// Milliseconds since the registry was made: the clock of [`OriginState::is_skipped`].
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The state of `address` (`host:port`), the same one for every caller while any holds it.
    /// Called when a configuration is built, never per request.
    pub fn state(&self, address: &str) -> Arc<OriginState> {
        let mut by_address = self.by_address.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(state) = by_address.get(address).and_then(Weak::upgrade) {
            return state;
        }
        // Forget the addresses no route uses any more, so that the map stays as small as the
        // configuration.
        by_address.retain(|_, state| state.strong_count() > 0);
        let state = Arc::new(OriginState {
            address: Arc::from(address),
            skipped_until_ms: AtomicU64::new(0),
            fail_ms: self.fail_ms,
            attempts: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        });
        by_address.insert(state.address.clone(), Arc::downgrade(&state));
        state
    }

    /// Every origin some route uses now, by address.
    pub fn in_use(&self) -> Vec<Arc<OriginState>> {
        let by_address = self.by_address.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut states: Vec<_> = by_address.values().filter_map(Weak::upgrade).collect();
        states.sort_by(|a, b| a.address.cmp(&b.address));
        states
    }
}

/// One origin of a route: where to connect and what `Host` it is told.
#[derive(Debug)]
pub struct Source {
    pub state: Arc<OriginState>,
    /// The resource's domain, with this origin's port unless it is 80 (see
    /// [`crate::routes::Route`]).
    pub host: HeaderValue,
}

impl Source {
    pub fn address(&self) -> &str {
        self.state.address()
    }
}

/// When a request moves on to the next origin after an attempt failed ([`edge_feed::OriginGroup`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NextRule {
    /// Gcore's `use_next`.
    pub use_next: bool,
    /// Gcore's `proxy_next_upstream`, one bit per case of [`NextUpstream::ALL`].
    cases: u16,
}

/// Why an attempt at one origin did not give the visitor its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No connection: refused, unreachable, or not made within the connect timeout. Nothing of
    /// the request reached the origin.
    Unreachable,
    /// nginx's `error`: the connection failed while the request was sent or the answer awaited.
    Error,
    /// nginx's `timeout`: no answer within the response timeout.
    Timeout,
    /// nginx's `invalid_header`: an answer the edge cannot relay (malformed, or a 101 it did not ask for).
    InvalidHeader,
    /// An answer with this status, which `proxy_next_upstream` may list.
    Status(u16),
}

impl NextRule {
    pub fn new(use_next: bool, cases: &[NextUpstream]) -> Self {
        let cases = cases.iter().fold(0, |bits, case| bits | Self::bit(*case));
        Self { use_next, cases }
    }

    fn bit(case: NextUpstream) -> u16 {
        let index = NextUpstream::ALL.iter().position(|each| *each == case).unwrap_or(0);
        1 << index
    }

    fn lists(&self, case: NextUpstream) -> bool {
        self.cases & Self::bit(case) != 0
    }

    /// Whether `failure` sends the request on to the next origin, for a request that `repeatable`
    /// (a `GET` or `HEAD` without a body, or a WebSocket handshake before its 101) or not.
    ///
    /// A connection never made always does: nothing was sent. Anything else only with `use_next`,
    /// for a case `proxy_next_upstream` lists, and for a repeatable request, since the origin may
    /// have acted on it (nginx's `non_idempotent` off).
    pub fn moves_on(&self, failure: Failure, repeatable: bool) -> bool {
        let case = match failure {
            Failure::Unreachable => return true,
            Failure::Error => Some(NextUpstream::Error),
            Failure::Timeout => Some(NextUpstream::Timeout),
            Failure::InvalidHeader => Some(NextUpstream::InvalidHeader),
            Failure::Status(status) => NextUpstream::ALL.into_iter().find(|case| case.status() == Some(status)),
        };
        self.use_next && repeatable && case.is_some_and(|case| self.lists(case))
    }
}

/// A route's origins: the primaries and backups of its group, in the customer's order, and
/// whose turn it is.
#[derive(Debug)]
pub struct Origins {
    primaries: Vec<Source>,
    backups: Vec<Source>,
    pub next: NextRule,
    /// Counts the requests that took a turn: the first primary tried is the next in line (round
    /// robin), without a lock. Per route: every route that shares a group spreads its own
    /// requests evenly, and so the group's as a whole.
    turn: AtomicUsize,
}

impl Origins {
    /// `primaries` and `backups` as the group lists them; there is at least one of either.
    pub fn new(primaries: Vec<Source>, backups: Vec<Source>, next: NextRule) -> Self {
        Self { primaries, backups, next, turn: AtomicUsize::new(0) }
    }

    /// Every origin, primaries first.
    pub fn all(&self) -> impl Iterator<Item = &Source> {
        self.primaries.iter().chain(&self.backups)
    }

    /// The origins one request tries, in order, at `now_ms`: the primaries from the next in line
    /// round, then the backups likewise; any that is skipped goes after all that are not, so
    /// that a backup serves only while every primary is skipped or failed, and an origin that
    /// could not be reached is tried again only when nothing else is left (never is a request
    /// refused without trying). `now_ms` is asked only when there is a choice to make.
    pub fn plan(&self, now_ms: impl FnOnce() -> u64) -> Plan<'_> {
        if let ([only], []) | ([], [only]) = (self.primaries.as_slice(), self.backups.as_slice()) {
            // Most resources have one origin: nothing to choose, so no turn taken, no clock read
            // and nothing allocated.
            return Plan::One(only);
        }
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        let now_ms = now_ms();
        let in_turn = rotated(&self.primaries, turn).chain(rotated(&self.backups, turn));
        // Each origin's state is read once, so that one marked meanwhile is not listed twice;
        // `skipped` allocates only when there is one.
        let (mut plan, skipped): (Vec<&Source>, Vec<&Source>) =
            in_turn.partition(|source| !source.state.is_skipped(now_ms));
        plan.extend(skipped);
        Plan::Many(plan)
    }
}

/// The origins one request tries, in order ([`Origins::plan`]).
#[derive(Debug)]
pub enum Plan<'a> {
    One(&'a Source),
    Many(Vec<&'a Source>),
}

impl<'a> Plan<'a> {
    pub fn as_slice(&self) -> &[&'a Source] {
        match self {
            Plan::One(only) => std::slice::from_ref(only),
            Plan::Many(plan) => plan,
        }
    }
}

/// `sources` from the one whose turn it is, then round.
fn rotated(sources: &[Source], turn: usize) -> impl Iterator<Item = &Source> {
    let start = if sources.is_empty() { 0 } else { turn % sources.len() };
    let (before, after) = sources.split_at(start);
    after.iter().chain(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(registry: &OriginRegistry, primaries: &[&str], backups: &[&str]) -> Origins {
        let sources = |addresses: &[&str]| {
            addresses
                .iter()
                .map(|address| Source { state: registry.state(address), host: HeaderValue::from_static("a.example") })
                .collect()
        };
        Origins::new(sources(primaries), sources(backups), NextRule::default())
    }

    fn plan(origins: &Origins, now_ms: u64) -> Vec<&str> {
        origins.plan(|| now_ms).as_slice().iter().map(|source| source.address()).collect()
    }

    #[test]
    fn requests_take_turns_over_the_primaries_and_backups_come_last() {
        let registry = OriginRegistry::default();
        let group = origins(&registry, &["p1:80", "p2:80", "p3:80"], &["b1:80", "b2:80"]);
        assert_eq!(plan(&group, 0), ["p1:80", "p2:80", "p3:80", "b1:80", "b2:80"]);
        assert_eq!(plan(&group, 0), ["p2:80", "p3:80", "p1:80", "b2:80", "b1:80"]);
        assert_eq!(plan(&group, 0), ["p3:80", "p1:80", "p2:80", "b1:80", "b2:80"]);
        let mut first = HashMap::new();
        for _ in 0..300 {
            *first.entry(plan(&group, 0)[0].to_owned()).or_insert(0) += 1;
        }
        assert_eq!(first.values().copied().collect::<Vec<_>>(), [100; 3], "evenly: {first:?}");
    }

    #[test]
    fn an_unreachable_origin_is_skipped_for_the_fail_time_then_tried_again() {
        let registry = OriginRegistry::new(Duration::from_millis(1000));
        let group = origins(&registry, &["p1:80", "p2:80"], &["b1:80"]);
        registry.state("p1:80").failed(5_000, true);
        for _ in 0..4 {
            assert_eq!(plan(&group, 5_999), ["p2:80", "b1:80", "p1:80"], "p1 last while skipped");
        }
        assert_eq!(plan(&group, 6_000)[..2], ["p1:80", "p2:80"], "in turn again once the time is up");

        registry.state("p2:80").failed(6_000, true);
        assert_eq!(plan(&group, 6_500)[0], "p1:80");
        registry.state("p1:80").failed(6_500, true);
        assert_eq!(plan(&group, 6_600)[0], "b1:80", "the backup once every primary is skipped");
        registry.state("b1:80").failed(6_600, true);
        assert_eq!(plan(&group, 6_700).len(), 3, "all skipped: all are still tried");

        registry.state("p1:80").answered();
        assert_eq!(plan(&group, 6_800)[0], "p1:80", "an answer ends the skip at once");
        let state = registry.state("b1:80");
        state.failed(7_000, false);
        assert!(state.is_skipped(7_500) && !state.is_skipped(7_600), "only an unreachable origin is skipped longer");
        assert_eq!((state.attempts(), state.failures()), (0, 2));
    }

    #[test]
    fn with_no_fail_time_an_unreachable_origin_is_never_skipped() {
        let registry = OriginRegistry::new(Duration::ZERO);
        let group = origins(&registry, &["p1:80"], &["b1:80"]);
        registry.state("p1:80").failed(0, true);
        assert_eq!(plan(&group, 0), ["p1:80", "b1:80"]);
    }

    #[test]
    fn one_state_per_address_shared_and_forgotten_with_its_last_route() {
        let registry = OriginRegistry::default();
        let first = origins(&registry, &["a:80", "b:80"], &[]);
        let second = origins(&registry, &["b:80"], &["c:80"]);
        registry.state("b:80").failed(0, true);
        assert_eq!(plan(&second, 1)[0], "c:80", "a failure seen through one route counts for all");
        let listed = |registry: &OriginRegistry| {
            registry.in_use().iter().map(|state| state.address().to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(listed(&registry), ["a:80", "b:80", "c:80"]);
        drop(first);
        assert_eq!(listed(&registry), ["b:80", "c:80"]);
        drop(second);
        assert!(listed(&registry).is_empty());
        assert_eq!(registry.state("b:80").failures(), 0, "a new state for an address used again");
    }

    #[test]
    fn the_next_origin_is_tried_for_what_the_group_lists_and_for_repeatable_requests_only() {
        let never = NextRule::new(false, &NextUpstream::ALL);
        assert!(never.moves_on(Failure::Unreachable, false), "a connection never made always moves on");
        assert!(!never.moves_on(Failure::Status(503), true), "only with use_next");
        assert!(!never.moves_on(Failure::Timeout, true));

        let some = NextRule::new(true, &[NextUpstream::Error, NextUpstream::Http503, NextUpstream::InvalidHeader]);
        assert!(some.moves_on(Failure::Status(503), true));
        assert!(!some.moves_on(Failure::Status(503), false), "not for a request that cannot be repeated");
        assert!(!some.moves_on(Failure::Status(502), true), "not listed");
        assert!(!some.moves_on(Failure::Status(200), true));
        assert!(some.moves_on(Failure::Error, true));
        assert!(some.moves_on(Failure::InvalidHeader, true));
        assert!(!some.moves_on(Failure::Timeout, true));
        assert!(some.moves_on(Failure::Unreachable, false));
        for case in NextUpstream::ALL {
            let only = NextRule::new(true, &[case]);
            let listed = NextUpstream::ALL.into_iter().filter(|other| only.lists(*other)).collect::<Vec<_>>();
            assert_eq!(listed, [case]);
        }
    }
}
