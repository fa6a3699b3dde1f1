//! The portal's write load from edges reporting WebSocket traffic: simulates `edges` edges, each
//! sending a traffic report (`POST /edge/v1/traffic`, the contract in `feed/src/traffic.rs`) every
//! second for `seconds` seconds, as the real edge's reporter does (one report at a time per edge,
//! the next one a second after the last tick, on one keep-alive HTTP/1.1 connection).
//!
//! The worst case: every report carries every resource of `first_id..=last_id`, each with
//! connections open and its counters grown since the last report (handshakes accepted, bytes
//! both ways, connections closed by the visitor, all lasting under a second), under a fresh
//! `boot` per simulated edge, so that every report writes for every resource. The edges start
//! spread over the first second, as independent edges would be.
//!
//! Prints one line of `key=value`: reports answered 2xx and failed, the portal's latency per
//! report (request sent to answer read) p50/p99/max, the report's size, and the rows the portal
//! writes: per report, one `ws_edge_traffic` row per resource plus, per resource, three
//! `ws_traffic` rows (minute, hour, day) for each counter that grew and for `open_peak`
//! (as `src/server/ws_traffic/record.rs` does); per edge per minute, that times the reports
//! each edge had answered per minute.
//!
//! Usage: traffic-load <portal host:port> <feed token> <first resource id> <last resource id> [edges] [seconds]

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

/// Each resolution a report adds to (minute, hour, day).
const RESOLUTIONS: u64 = 3;

struct EdgeResult {
    latencies: Vec<Duration>,
    failed: usize,
    body_bytes: usize,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (portal, token, first, last, edges, seconds) = match args.as_slice() {
        [portal, token, first, last, rest @ ..] if rest.len() <= 2 => (
            portal.clone(),
            token.clone(),
            first.parse::<i64>().expect("first resource id is a number"),
            last.parse::<i64>().expect("last resource id is a number"),
            rest.first().map_or(10, |edges| edges.parse::<usize>().expect("edges is a number")),
            rest.get(1).map_or(30, |seconds| seconds.parse::<u64>().expect("seconds is a number")),
        ),
        _ => {
            eprintln!("usage: traffic-load <portal> <feed token> <first id> <last id> [edges=10] [seconds=30]");
            std::process::exit(2);
        }
    };
    assert!(first >= 1 && last >= first && edges >= 1 && seconds >= 1, "nothing to send");
    let resources = (last - first + 1) as u64;
    let nonce = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_nanos();
    let started = Instant::now();
    let tasks: Vec<_> = (0..edges)
        .map(|edge| {
            let (portal, token) = (portal.clone(), token.clone());
            let offset = Duration::from_secs(1) * edge as u32 / edges as u32;
            let boot = format!("{nonce:x}e{edge}");
            tokio::spawn(async move {
                tokio::time::sleep(offset).await;
                run_edge(&portal, &token, &format!("bench-edge-{edge}"), &boot, first, last, seconds).await
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let (mut failed, mut body_bytes) = (0, 0);
    for task in tasks {
        let result = task.await.expect("an edge's task ended normally");
        latencies.extend(result.latencies);
        failed += result.failed;
        body_bytes = body_bytes.max(result.body_bytes);
    }
    let elapsed = started.elapsed();
    assert!(!latencies.is_empty(), "no report was answered 2xx ({failed} failed)");
    let ok = latencies.len();
    latencies.sort();
    let percentile = |p: f64| latencies[((ok as f64 * p).ceil() as usize).clamp(1, ok) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    // Every counter grows in every report, and every resource has connections open.
    let rows_per_report = resources + resources * (GROWTH.len() as u64 + 1) * RESOLUTIONS;
    let reports_per_edge_minute = ok as f64 / edges as f64 / elapsed.as_secs_f64() * 60.0;
    println!(
        "edges={edges} resources={resources} seconds={:.1} reports={ok} failed={failed} report_bytes={body_bytes} \
         p50_ms={:.1} p99_ms={:.1} max_ms={:.1} reports_per_edge_minute={reports_per_edge_minute:.1} \
         rows_per_report={rows_per_report} rows_per_edge_minute={:.0}",
        elapsed.as_secs_f64(),
        ms(percentile(0.50)),
        ms(percentile(0.99)),
        ms(*latencies.last().expect("at least one report")),
        reports_per_edge_minute * rows_per_report as f64,
    );
}

/// One edge: a report every second for `seconds` seconds, each answered before the next.
async fn run_edge(
    portal: &str,
    token: &str,
    edge: &str,
    boot: &str,
    first: i64,
    last: i64,
    seconds: u64,
) -> EdgeResult {
    let mut result = EdgeResult { latencies: Vec::new(), failed: 0, body_bytes: 0 };
    let mut connection: Option<BufReader<TcpStream>> = None;
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    for second in 1_u64.. {
        ticks.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        let body = report(edge, boot, first, last, second);
        result.body_bytes = body.len();
        let sent = Instant::now();
        match post(&mut connection, portal, token, &body).await {
            Ok(status) if (200..300).contains(&status) => result.latencies.push(sent.elapsed()),
            Ok(status) => {
                eprintln!("{edge}: the portal answered {status}");
                result.failed += 1;
            }
            Err(error) => {
                eprintln!("{edge}: {error}");
                connection = None;
                result.failed += 1;
            }
        }
    }
    result
}

/// The JSON of a report at `second` since boot: every counter at `second` times its growth.
fn report(edge: &str, boot: &str, first: i64, last: i64, second: u64) -> String {
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
