//! The portal's write load from edges reporting WebSocket traffic: simulates `edges` edges, each
//! sending a traffic report (`POST /edge/v1/traffic`, the contract in `feed/src/traffic.rs`) every
//! second for `seconds` seconds, as the real edge's reporter does (one report at a time per edge,
//! the next one a second after the last tick, on one keep-alive HTTP/1.1 connection).
//!
//! The worst case: each edge reports every resource of `first..=last` every second, each with
//! connections open and its counters grown since the last report (handshakes accepted, bytes
//! both ways, connections closed by the visitor, all lasting under a second), under a fresh
//! `boot` per simulated edge, so that every report writes for every resource. The edges start
//! spread over the first second, as independent edges would be.
//!
//! An edge's second may be sent as several reports of at most `per_report` resources each (all of
//! them in one by default, as the real edge does up to 5,000): the portal refuses request bodies
//! over 16 KiB, about 100 busy resources.
//!
//! Prints one line of `key=value`: reports answered 2xx and failed, the largest report's size,
//! the portal's latency per report (request sent to answer read) p50/p99/max, the same for each
//! edge's whole second (`round_`), reports per edge per minute, and the rows the portal writes
//! per edge per minute: for each resource of a report answered 2xx, its `ws_edge_traffic` row and
//! its minute's `ws_traffic` row, as `src/server/ws_traffic/record.rs` does (at most: reports
//! written in one transaction write a minute's row once).
//!
//! Usage: traffic-load <portal host:port> <feed token> <first id> <last id> [edges=10] [seconds=30] [per_report=all]

use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::MissedTickBehavior;

/// The counters each simulated resource grows every second, and by how much: a busy resource.
const GROWTH: [(&str, u64); 5] = [
    ("accepted", 3),
    ("bytes_to_origin", 4_096),
    ("bytes_to_visitor", 16_384),
    ("closed_visitor", 3),
    ("duration_le_1s", 3),
];

/// `ws_edge_traffic` and `ws_traffic` rows the portal writes for one busy resource in a report:
/// its last figures, and its minute (migration 0014; the hours and days are rolled up later).
const ROWS_PER_RESOURCE: u64 = 2;

#[derive(Default)]
struct EdgeResult {
    /// Each report answered 2xx: its latency.
    reports: Vec<Duration>,
    /// Each second whose reports were all answered 2xx: from the first sent to the last answered.
    rounds: Vec<Duration>,
    /// Resources carried by reports answered 2xx.
    resources_recorded: u64,
    failed: usize,
    body_bytes: usize,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |at: usize, default: u64| {
        args.get(at).map_or(default, |n| n.parse::<u64>().unwrap_or_else(|_| panic!("{n} is not a number")))
    };
    let (portal, token) = match args.as_slice() {
        [portal, token, _, _, rest @ ..] if rest.len() <= 3 => (portal.clone(), token.clone()),
        _ => {
            eprintln!(
                "usage: traffic-load <portal> <feed token> <first id> <last id> [edges=10] [seconds=30] [resources per report=all]"
            );
            std::process::exit(2);
        }
    };
    let (first, last) = (number(2, 0), number(3, 0));
    let (edges, seconds) = (number(4, 10), number(5, 30));
    assert!(first >= 1 && last >= first && edges >= 1 && seconds >= 1, "nothing to send");
    let resources = last - first + 1;
    let per_report = number(6, resources).clamp(1, resources);
    let nonce = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_nanos();
    let tasks: Vec<_> = (0..edges)
        .map(|edge| {
            let (portal, token) = (portal.clone(), token.clone());
            let offset = Duration::from_secs(1) * edge as u32 / edges as u32;
            let boot = format!("{nonce:x}e{edge}");
            tokio::spawn(async move {
                tokio::time::sleep(offset).await;
                let name = format!("bench-edge-{edge}");
                run_edge(&portal, &token, &name, &boot, (first, last, per_report), seconds).await
            })
        })
        .collect();
    let mut all = EdgeResult::default();
    for task in tasks {
        let result = task.await.expect("an edge's task ended normally");
        all.reports.extend(result.reports);
        all.rounds.extend(result.rounds);
        all.resources_recorded += result.resources_recorded;
        all.failed += result.failed;
        all.body_bytes = all.body_bytes.max(result.body_bytes);
    }
    let (ok, failed) = (all.reports.len(), all.failed);
    if ok == 0 {
        println!("edges={edges} resources={resources} per_report={per_report} reports=0 failed={failed}");
        std::process::exit(1);
    }
    // Each edge sends for `seconds` (after its start within the first second): fewer reports
    // than due when the portal answers slower than that.
    let per_edge_minute = |count: f64| count / edges as f64 / seconds as f64 * 60.0;
    println!(
        "edges={edges} resources={resources} per_report={per_report} reports={ok} failed={failed} \
         report_bytes={} {} {} reports_per_edge_minute={:.1} rounds_per_edge_minute={:.1} \
         rows_per_resource={ROWS_PER_RESOURCE} rows_per_edge_minute={:.0}",
        all.body_bytes,
        summary("", &mut all.reports),
        summary("round_", &mut all.rounds),
        per_edge_minute(ok as f64),
        per_edge_minute(all.rounds.len() as f64),
        per_edge_minute((all.resources_recorded * ROWS_PER_RESOURCE) as f64),
    );
}

/// `{prefix}p50_ms=… {prefix}p99_ms=… {prefix}max_ms=…` (`-` for each when there are none).
fn summary(prefix: &str, delays: &mut [Duration]) -> String {
    delays.sort();
    let ms = |d: Option<&Duration>| d.map_or("-".to_owned(), |d| format!("{:.1}", d.as_secs_f64() * 1000.0));
    let percentile = |p: f64| delays.get(((delays.len() as f64 * p).ceil() as usize).max(1) - 1);
    format!(
        "{prefix}p50_ms={} {prefix}p99_ms={} {prefix}max_ms={}",
        ms(percentile(0.50)),
        ms(percentile(0.99)),
        ms(delays.last())
    )
}

/// One edge: every second for `seconds` seconds, reports of the resources `first..=last`,
/// `per_report` at a time, each answered before the next is sent.
async fn run_edge(
    portal: &str,
    token: &str,
    edge: &str,
    boot: &str,
    (first, last, per_report): (u64, u64, u64),
    seconds: u64,
) -> EdgeResult {
    let mut result = EdgeResult::default();
    let mut connection: Option<BufReader<TcpStream>> = None;
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    for second in 1_u64.. {
        ticks.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        let round = Instant::now();
        let mut whole = true;
        for low in (first..=last).step_by(per_report as usize) {
            let high = (low + per_report - 1).min(last);
            let body = report(edge, boot, low, high, second);
            result.body_bytes = result.body_bytes.max(body.len());
            let sent = Instant::now();
            match post(&mut connection, portal, token, &body).await {
                Ok(status) if (200..300).contains(&status) => {
                    result.reports.push(sent.elapsed());
                    result.resources_recorded += high - low + 1;
                }
                Ok(status) => {
                    eprintln!("{edge}: the portal answered {status}");
                    (result.failed, whole) = (result.failed + 1, false);
                }
                Err(error) => {
                    eprintln!("{edge}: {error}");
                    connection = None;
                    (result.failed, whole) = (result.failed + 1, false);
                }
            }
        }
        if whole {
            result.rounds.push(round.elapsed());
        }
    }
    result
}

/// The JSON of a report at `second` since boot: every counter at `second` times its growth.
fn report(edge: &str, boot: &str, first: u64, last: u64, second: u64) -> String {
    let mut json = format!(r#"{{"edge":"{edge}","boot":"{boot}","resources":["#);
    for id in first..=last {
        if id > first {
            json.push(',');
        }
        let _ = write!(json, r#"{{"id":{id},"open":{},"counters":{{"#, 1 + id % 5);
        for (index, (name, per_second)) in GROWTH.iter().enumerate() {
            let separator = if index == 0 { "" } else { "," };
            let _ = write!(json, r#"{separator}"{name}":{}"#, per_second * second);
        }
        json.push_str("}}");
    }
    json.push_str("]}");
    json
}

/// `POST /edge/v1/traffic` on the keep-alive `connection` (opened when there is none): the status.
async fn post(
    connection: &mut Option<BufReader<TcpStream>>,
    portal: &str,
    token: &str,
    body: &str,
) -> std::io::Result<u16> {
    let stream = match connection {
        Some(stream) => stream,
        None => connection.insert(BufReader::new(TcpStream::connect(portal).await?)),
    };
    let head = format!(
        "POST /edge/v1/traffic HTTP/1.1\r\nHost: {portal}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.get_mut().write_all(head.as_bytes()).await?;
    stream.get_mut().write_all(body.as_bytes()).await?;
    let (status, close) = read_answer(stream).await?;
    if close {
        *connection = None;
    }
    Ok(status)
}

/// Reads one HTTP/1.1 answer (its body by Content-Length or chunked, and dropped): its status,
/// and whether the portal closes the connection after it.
async fn read_answer(stream: &mut BufReader<TcpStream>) -> std::io::Result<(u16, bool)> {
    let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let mut line = String::new();
    if stream.read_line(&mut line).await? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the portal closed the connection"));
    }
    let status: u16 =
        line.split_whitespace().nth(1).and_then(|code| code.parse().ok()).ok_or_else(|| invalid("no status line"))?;
    let (mut length, mut chunked, mut close) = (0_usize, false, false);
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Err(invalid("the answer's head ended early"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else { continue };
        let value = value.trim().to_ascii_lowercase();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().map_err(|_| invalid("a bad Content-Length"))?,
            "transfer-encoding" => chunked = value.contains("chunked"),
            "connection" => close = value.contains("close"),
            _ => {}
        }
    }
    if chunked {
        loop {
            line.clear();
            stream.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| invalid("a bad chunk size"))?;
            // The chunk and its CRLF; the last (empty) chunk's CRLF ends the body (no trailers).
            let mut chunk = vec![0; size + 2];
            stream.read_exact(&mut chunk).await?;
            if size == 0 {
                break;
            }
        }
    } else {
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await?;
    }
    Ok((status, close))
}
