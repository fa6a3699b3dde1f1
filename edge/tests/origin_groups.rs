//! Origin groups with real processes: an edge following a portal's feed in front of several
//! origins on real sockets, some stopped and started again mid-test. Requests and handshakes
//! take turns over the primaries, go on to the next origin when one cannot be reached (the
//! visitor never sees the failed attempt), reach a backup only while every primary is down, come
//! back to a primary once it is up again, and follow a change of group at once without cutting a
//! tunnel already open.

mod support;

use edge_feed::NextUpstream;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::origin::{Behaviour, Origin};
use support::*;
use tokio::io::AsyncWriteExt;

/// How long the edge skips an origin it could not reach, in these tests: short, so that the
/// return of an origin is seen quickly. No assertion depends on it being short.
const SKIP: Duration = Duration::from_millis(300);

fn get(domain: &str) -> String {
    format!("GET /page HTTP/1.1\r\nHost: {domain}\r\n\r\n")
}

fn post(domain: &str, body: &str) -> String {
    format!("POST /form HTTP/1.1\r\nHost: {domain}\r\nContent-Length: {}\r\n\r\n{body}", body.len())
}

/// What a site origin says, in an answer's body or first in a tunnel: `site <Host>`, the `Host`
/// it heard carrying its own port.
fn site(domain: &str, origin: &Origin) -> String {
    format!("site {domain}:{}", origin.addr.port())
}

/// The origin among `origins` that served `answer` (200, or 101 with its first line in `line`).
fn served_by<'a>(domain: &str, line: &str, origins: &[&'a Origin]) -> Option<&'a Origin> {
    origins.iter().copied().find(|origin| line == site(domain, origin))
}

/// A GET's answer: status and body.
async fn plain(edge: &Following, domain: &str) -> (u16, String) {
    let answer = edge.send(&get(domain)).await;
    (answer.status, answer.body)
}

/// A handshake's answer: 101 and the tunnel's first line, or the status and body.
async fn websocket(edge: &Following, domain: &str) -> (u16, String) {
    let mut answer = edge.send(&handshake("GET /ws HTTP/1.1", &format!("Host: {domain}\r\n"))).await;
    if answer.status == 101 { (101, answer.first_line().await) } else { (answer.status, answer.body) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_origin_serves_while_one_is_down_and_a_backup_only_while_every_primary_is() {
    let (first, second, backup) = tokio::join!(
        Origin::closing(Behaviour::Site),
        Origin::closing(Behaviour::Site),
        Origin::closing(Behaviour::Site)
    );
    let edge = Following::start(vec![grouped(1, ON, &[&first, &second], &[&backup], None)], SKIP).await;
    for origin in [&first, &second, &first, &second] {
        assert_eq!(plain(&edge, ON).await, (200, site(ON, origin)), "the primaries take turns");
    }
    first.take();
    second.take();

    first.stop().await;
    // The first's turn, and the edge does not know yet that it is down: the POST is refused a
    // connection there, and reaches the second whole, as if nothing had happened.
    let answer = edge.send(&post(ON, "hello")).await;
    assert_eq!((answer.status, answer.body), (200, site(ON, &second)));
    assert_eq!(second.take_one().body, b"hello");
    for _ in 0..3 {
        assert_eq!(plain(&edge, ON).await, (200, site(ON, &second)));
        assert_eq!(websocket(&edge, ON).await, (101, site(ON, &second)));
    }
    assert!(backup.take().is_empty(), "no backup while a primary serves");
    let (attempts, failures) = edge.counted(&first).unwrap();
    assert!(failures >= 1, "the refused attempt is counted");
    assert_eq!(attempts - failures, 2, "the first served the two GETs before it stopped, and nothing since");

    second.stop().await;
    for _ in 0..3 {
        assert_eq!(plain(&edge, ON).await, (200, site(ON, &backup)), "every primary down: the backup");
        assert_eq!(websocket(&edge, ON).await, (101, site(ON, &backup)));
    }

    first.restart().await;
    // The first is tried again once its skip time is over; until then the backup serves.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, body) = plain(&edge, ON).await;
        assert_eq!(status, 200);
        match served_by(ON, &body, &[&first, &backup]) {
            Some(origin) if std::ptr::eq(origin, &first) => break,
            Some(_) => assert!(Instant::now() < deadline, "traffic never came back to the first"),
            None => panic!("served by neither the first nor the backup: {body}"),
        }
    }
    backup.take();
    for _ in 0..3 {
        assert_eq!(plain(&edge, ON).await, (200, site(ON, &first)));
        assert_eq!(websocket(&edge, ON).await, (101, site(ON, &first)));
    }
    assert!(backup.take().is_empty(), "the backup rests again once a primary is back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_every_origin_is_skipped_each_is_still_tried() {
    let (primary, backup) = tokio::join!(Origin::closing(Behaviour::Site), Origin::closing(Behaviour::Site));
    // Skipped for a minute: longer than the test, so that the primary is still skipped below.
    let edge = Following::start(vec![grouped(1, ON, &[&primary], &[&backup], None)], Duration::from_secs(60)).await;
    primary.stop().await;
    backup.stop().await;
    assert_eq!(plain(&edge, ON).await.0, 502, "nothing can be reached");
    assert_eq!(websocket(&edge, ON).await.0, 502);
    assert_eq!(edge.counted(&primary), Some((2, 2)));
    assert_eq!(edge.counted(&backup), Some((2, 2)));

    primary.restart().await;
    assert_eq!(plain(&edge, ON).await, (200, site(ON, &primary)), "skipped, yet tried rather than refused");
    assert_eq!(websocket(&edge, ON).await, (101, site(ON, &primary)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn use_next_sends_a_get_or_a_handshake_on_for_a_listed_answer_but_never_a_post() {
    let (unavailable, up) = tokio::join!(Origin::closing(Behaviour::Unavailable), Origin::closing(Behaviour::Site));
    let on_503: &[NextUpstream] = &[NextUpstream::Http503];
    let edge = Following::start(
        vec![
            grouped(1, ON, &[&unavailable, &up], &[], Some(on_503)),
            grouped(2, OFF, &[&unavailable, &up], &[], None),
            grouped(3, STRICT, &[&unavailable], &[], Some(on_503)),
        ],
        SKIP,
    )
    .await;
    for _ in 0..4 {
        assert_eq!(plain(&edge, ON).await, (200, site(ON, &up)), "whichever origin's turn it was");
    }
    assert_eq!((unavailable.take().len(), up.take().len()), (2, 4), "the 503s were asked, then the next origin");
    for _ in 0..2 {
        assert_eq!(websocket(&edge, ON).await, (101, site(ON, &up)));
    }
    assert_eq!((unavailable.take().len(), up.take().len()), (1, 2));

    // A POST may have been acted on: whichever origin's turn it was answers, 503 or not.
    let mut statuses = Vec::new();
    for _ in 0..2 {
        statuses.push(edge.send(&post(ON, "once")).await.status);
    }
    statuses.sort();
    assert_eq!(statuses, [200, 503]);
    assert_eq!((unavailable.take_one().body, up.take_one().body), (b"once".to_vec(), b"once".to_vec()));

    // Without use_next, a 503 goes back as it is.
    let mut statuses = vec![plain(&edge, OFF).await.0, plain(&edge, OFF).await.0];
    statuses.sort();
    assert_eq!(statuses, [200, 503]);
    // So does the last origin's, listed or not: there is no next one.
    assert_eq!(plain(&edge, STRICT).await, (503, "unavailable".to_owned()));
    let (attempts, failures) = edge.counted(&unavailable).unwrap();
    assert_eq!((attempts, failures), (6, 3), "failures: the three answers that sent a request on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn use_next_sends_a_get_on_after_an_error_a_timeout_or_an_invalid_answer_only_when_listed() {
    let (hangs_up, silent, rogue, up) = tokio::join!(
        Origin::closing(Behaviour::HangsUp),
        Origin::closing(Behaviour::Silent),
        Origin::closing(Behaviour::AlwaysUpgrades),
        Origin::closing(Behaviour::Site)
    );
    let (error, timeout, invalid) = (NextUpstream::Error, NextUpstream::Timeout, NextUpstream::InvalidHeader);
    // Each resource's first request goes to its group's first origin, the one that fails.
    let edge = Following::start(
        vec![
            grouped(1, ON, &[&hangs_up, &up], &[], Some(&[error])),
            grouped(2, OFF, &[&hangs_up, &up], &[], None),
            grouped(3, STRICT, &[&silent, &up], &[], Some(&[timeout])),
            grouped(4, H2C, &[&silent, &up], &[], Some(&[error, invalid])),
            grouped(5, ROGUE, &[&rogue, &up], &[], Some(&[invalid])),
        ],
        SKIP,
    )
    .await;
    assert_eq!(plain(&edge, ON).await, (200, site(ON, &up)), "error listed: on to the next origin");
    assert_eq!(plain(&edge, OFF).await.0, 502, "without use_next, the edge's 502");
    assert_eq!(plain(&edge, ROGUE).await, (200, site(ROGUE, &up)), "a 101 to a GET is an invalid answer");
    // The fixture's response timeout is 2 s: both wait for it, side by side.
    let (listed, unlisted) = tokio::join!(plain(&edge, STRICT), plain(&edge, H2C));
    assert_eq!(listed, (200, site(STRICT, &up)), "timeout listed: on to the next origin");
    assert_eq!(unlisted.0, 504, "timeout not listed: the edge's 504");

    // ON's third request has the failing origin's turn again; a POST is not repeated after it
    // may have been read.
    assert_eq!(plain(&edge, ON).await, (200, site(ON, &up)));
    assert_eq!(edge.send(&post(ON, "once")).await.status, 502);
    assert_eq!(hangs_up.take().len(), 3, "the first GETs of ON and OFF, and the POST");
    assert!(up.take().iter().all(|received| received.body.is_empty()), "the POST never reached the next origin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_and_handshakes_take_turns_evenly_over_the_primaries() {
    let (a, b, backup) =
        tokio::join!(Origin::start(Behaviour::Site), Origin::start(Behaviour::Site), Origin::start(Behaviour::Site));
    let edge = Following::start(vec![grouped(1, ON, &[&a, &b], &[&backup], None)], SKIP).await;
    let mut served: HashMap<(u16, u16), usize> = HashMap::new();
    for _ in 0..10 {
        let (status, body) = plain(&edge, ON).await;
        let origin = served_by(ON, &body, &[&a, &b]).unwrap_or_else(|| panic!("{status} {body}"));
        *served.entry((status, origin.addr.port())).or_default() += 1;
    }
    for _ in 0..10 {
        let (status, line) = websocket(&edge, ON).await;
        let origin = served_by(ON, &line, &[&a, &b]).unwrap_or_else(|| panic!("{status} {line}"));
        *served.entry((status, origin.addr.port())).or_default() += 1;
    }
    let expected: HashMap<(u16, u16), usize> =
        [(200, a.addr.port()), (200, b.addr.port()), (101, a.addr.port()), (101, b.addr.port())]
            .into_iter()
            .map(|key| (key, 5))
            .collect();
    assert_eq!(served, expected);
    assert!(backup.take().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_change_applies_at_once_and_leaves_open_tunnels_alone() {
    let (old, new) = tokio::join!(Origin::start(Behaviour::Site), Origin::start(Behaviour::Site));
    let edge = Following::start(vec![grouped(1, ON, &[&old], &[], None)], SKIP).await;
    let mut tunnel = edge.send(&handshake("GET /ws HTTP/1.1", &format!("Host: {ON}\r\n"))).await;
    assert_eq!((tunnel.status, tunnel.first_line().await), (101, site(ON, &old)));

    edge.portal.publish(vec![grouped(1, ON, &[&new], &[], None)]);
    let published = Instant::now();
    loop {
        let (status, body) = plain(&edge, ON).await;
        if (status, &body) == (200, &site(ON, &new)) {
            break;
        }
        assert_eq!((status, body), (200, site(ON, &old)), "the old group until the change");
        assert!(published.elapsed() < Duration::from_secs(1), "the change reached new requests within 1 s");
    }
    assert_eq!(websocket(&edge, ON).await, (101, site(ON, &new)));

    // The tunnel opened before the change still relays, both ways, to the old origin.
    tunnel.stream.write_all(b"still here\n").await.unwrap();
    assert_eq!(tunnel.first_line().await, "still here");
    // `/metrics` lists the origins of the configuration, and no longer the old one.
    let deadline = Instant::now() + Duration::from_secs(5);
    while edge.counted(&old).is_some() {
        assert!(Instant::now() < deadline, "the old origin is still listed:\n{}", edge.edge.metrics());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(edge.counted(&new), Some((2, 0)));
}
