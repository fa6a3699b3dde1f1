//! A WebSocket load client, to compare the edge with nginx and with no proxy at all.
//!
//! ```text
//! ws-load echo       --url ws://127.0.0.1:19080/ [--host H] [--connections 100] [--size 20] [--seconds 10] [--pids P,..]
//! ws-load handshakes --url ws://127.0.0.1:19080/ [--host H] [--concurrency 20] [--seconds 10] [--pids P,..]
//! ws-load idle       --url ws://127.0.0.1:19080/ [--host H] [--connections 10000] [--size 20] --pid P [--pid P2 | --pids P2,P3] [--hold-seconds 5]
//! ```
//!
//! A `wss://` URL connects over TLS (rustls, TLS 1.3 or 1.2), asking for `--host` (else the
//! URL's host) as SNI and trusting the PEM certificates of `--ca FILE` alone.
//!
//! `--pid`/`--pids` name the server under test (nginx: its workers). `idle` reports their added
//! memory per connection; `echo` and `handshakes` report their CPU time per operation, which
//! varies far less than throughput when client, proxy and origin share a few cores.
//! Each run prints one `key=value` line for scripts, then a `#` line for people.

use futures_util::{SinkExt, StreamExt, stream};
use std::error::Error;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

type AnyError = Box<dyn Error + Send + Sync>;
/// A connection, plain or TLS: boxed, since the client is the same for every server measured.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
type Ws = WebSocketStream<Box<dyn Io>>;

/// Excluded from every measurement: connection pools, caches and CPU clocks settle first.
const WARM_UP: Duration = Duration::from_secs(1);
/// How many connections are being opened at once, so that listen backlogs do not overflow.
const OPEN_CONCURRENCY: usize = 200;

struct Args {
    mode: String,
    url: String,
    host: Option<String>,
    connections: Option<usize>,
    size: usize,
    seconds: f64,
    concurrency: usize,
    pids: Vec<u32>,
    hold_seconds: f64,
    ca: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut raw = std::env::args().skip(1);
    let mode = raw.next().ok_or("usage: ws-load echo|handshakes|idle --url ws://... [options]")?;
    let mut args = Args {
        mode,
        url: String::new(),
        host: None,
        connections: None,
        size: 20,
        seconds: 10.0,
        concurrency: 20,
        pids: Vec::new(),
        hold_seconds: 5.0,
        ca: None,
    };
    while let Some(flag) = raw.next() {
        let value = raw.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |what: &str| value.parse::<f64>().map_err(|_| format!("{what} must be a number, got {value:?}"));
        match flag.as_str() {
            "--url" => args.url = value.clone(),
            "--host" => args.host = Some(value.clone()),
            "--connections" => args.connections = Some(number(&flag)? as usize),
            "--size" => args.size = number(&flag)? as usize,
            "--seconds" => args.seconds = number(&flag)?,
            "--concurrency" => args.concurrency = number(&flag)? as usize,
            "--hold-seconds" => args.hold_seconds = number(&flag)?,
            "--ca" => args.ca = Some(value.clone()),
            "--pid" | "--pids" => {
                for pid in value.split(',').filter(|pid| !pid.is_empty()) {
                    args.pids.push(pid.parse().map_err(|_| format!("not a pid: {pid:?}"))?);
                }
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if args.url.is_empty() {
        return Err("--url is required".into());
    }
    Ok(args)
}

/// Where to connect and what to ask for; the Host header is separate from the address so that
/// the same run can go straight to an origin or through a proxy that routes by Host.
struct Target {
    url: String,
    host: Option<HeaderValue>,
    address: String,
    /// Small read buffers for the idle test, where the client holds thousands of sockets.
    config: WebSocketConfig,
    /// For `wss://`: the client's TLS configuration and the name it asks for.
    tls: Option<(tokio_rustls::TlsConnector, rustls::pki_types::ServerName<'static>)>,
}

impl Target {
    fn new(args: &Args, read_buffer: usize) -> Result<Self, AnyError> {
        let request = args.url.as_str().into_client_request()?;
        let uri = request.uri();
        let secure = uri.scheme_str() == Some("wss");
        let default_port = if secure { 443 } else { 80 };
        let address = format!("{}:{}", uri.host().unwrap_or("127.0.0.1"), uri.port_u16().unwrap_or(default_port));
        let tls = if secure {
            let name = args.host.as_deref().or(uri.host()).unwrap_or_default().to_owned();
            Some((tls_connector(args.ca.as_deref())?, rustls::pki_types::ServerName::try_from(name)?))
        } else {
            None
        };
        let host = args.host.as_deref().map(HeaderValue::from_str).transpose()?;
        let config = WebSocketConfig::default().read_buffer_size(read_buffer);
        Ok(Self { url: args.url.clone(), host, address, config, tls })
    }

    /// TCP connect and WebSocket handshake, with a fresh key each time.
    async fn open(&self) -> Result<Ws, AnyError> {
        let mut request = self.url.as_str().into_client_request()?;
        if let Some(host) = &self.host {
            request.headers_mut().insert("host", host.clone());
        }
        let socket = TcpStream::connect(&self.address).await?;
        // Small messages in a closed loop: Nagle would add its delay to every round trip.
        socket.set_nodelay(true)?;
        let socket: Box<dyn Io> = match &self.tls {
            None => Box::new(socket),
            Some((connector, name)) => Box::new(connector.connect(name.clone(), socket).await?),
        };
        let (ws, _) = client_async_with_config(request, socket, Some(self.config)).await?;
        Ok(ws)
    }
}

/// A TLS client that trusts the certificates in the PEM file `ca` alone.
fn tls_connector(ca: Option<&str>) -> Result<tokio_rustls::TlsConnector, AnyError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let ca = ca.ok_or("a wss:// URL needs --ca FILE, the PEM certificates to trust")?;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(ca)? {
        roots.add(certificate?)?;
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Every handshake a full one, whatever the server would resume: what a handshake costs.
    config.resumption = rustls::client::Resumption::disabled();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Sends one message and waits for its echo.
async fn round_trip(ws: &mut Ws, payload: &Bytes) -> Result<(), AnyError> {
    ws.send(Message::Binary(payload.clone())).await?;
    match ws.next().await {
        Some(Ok(Message::Binary(echo))) if echo.len() == payload.len() => Ok(()),
        Some(Ok(other)) => Err(format!("unexpected answer: {} bytes of {:?}", other.len(), other).into()),
        Some(Err(error)) => Err(error.into()),
        None => Err("closed by the server".into()),
    }
}

/// Closes politely but without waiting long: a slow close must not stall the next test.
async fn close(mut ws: Ws) {
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = ws.close(None).await;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

fn micros(elapsed: Duration) -> u32 {
    elapsed.as_micros().min(u128::from(u32::MAX)) as u32
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    // The epsilon keeps 99.9 % of 1000 at rank 999: 99.9 has no exact binary form.
    let rank = (p / 100.0 * sorted.len() as f64 - 1e-9).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn echo(
    target: Arc<Target>,
    connections: usize,
    size: usize,
    seconds: f64,
    pids: &[u32],
) -> Result<(), AnyError> {
    // All connections first, so that handshakes do not count as message latency.
    let mut sockets = Vec::with_capacity(connections);
    let opened: Vec<_> =
        stream::iter(0..connections).map(|_| target.open()).buffer_unordered(OPEN_CONCURRENCY).collect().await;
    for socket in opened {
        sockets.push(socket?);
    }
    let payload = Bytes::from(vec![b'x'; size]);
    let measure_from = Instant::now() + WARM_UP;
    let until = measure_from + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|mut ws| {
            let payload = payload.clone();
            tokio::spawn(async move {
                let mut rtts = Vec::with_capacity(1 << 16);
                let mut failure = None;
                loop {
                    let sent = Instant::now();
                    if sent >= until {
                        break;
                    }
                    if let Err(error) = round_trip(&mut ws, &payload).await {
                        failure = Some(error.to_string());
                        break;
                    }
                    let answered = Instant::now();
                    if sent >= measure_from && answered <= until {
                        rtts.push(micros(answered - sent));
                    }
                }
                close(ws).await;
                (rtts, failure)
            })
        })
        .collect();
    let cpu = cpu_during(pids, measure_from, until).await?;
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (rtts, failure) = task.await?;
        all.extend_from_slice(&rtts);
        if let Some(error) = failure {
            errors += 1;
            eprintln!("ws-load: a connection failed: {error}");
        }
    }
    all.sort_unstable();
    let rate = all.len() as f64 / seconds;
    let (p50, p99, p999) = (percentile(&all, 50.0), percentile(&all, 99.0), percentile(&all, 99.9));
    let (cpu_kv, cpu_text) = cpu_report(cpu, all.len());
    println!(
        "mode=echo connections={connections} size={size} seconds={seconds} messages={} msgs_per_s={rate:.0} p50_us={p50} p99_us={p99} p999_us={p999} errors={errors}{cpu_kv}",
        all.len()
    );
    println!(
        "# echo {connections} x {size} B: {rate:.0} msg/s, round trip p50 {p50} us, p99 {p99} us, p99.9 {p999} us{cpu_text}, {errors} failed connections"
    );
    Ok(())
}

async fn handshakes(target: Arc<Target>, concurrency: usize, seconds: f64, pids: &[u32]) -> Result<(), AnyError> {
    let measure_from = Instant::now() + WARM_UP;
    let until = measure_from + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let target = target.clone();
            tokio::spawn(async move {
                let (mut latencies, mut errors, mut last_error) = (Vec::new(), 0_u64, None);
                loop {
                    let started = Instant::now();
                    if started >= until {
                        break;
                    }
                    match target.open().await {
                        Ok(ws) => {
                            let latency = started.elapsed();
                            close(ws).await;
                            // A cycle counts once the socket is closed, so the rate includes teardown.
                            if started >= measure_from && Instant::now() <= until {
                                latencies.push(micros(latency));
                            }
                        }
                        Err(error) => {
                            errors += 1;
                            last_error = Some(error.to_string());
                            // Back off briefly: a refused connect would otherwise spin.
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                (latencies, errors, last_error)
            })
        })
        .collect();
    let cpu = cpu_during(pids, measure_from, until).await?;
    let (mut all, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (latencies, failed, last_error) = task.await?;
        all.extend_from_slice(&latencies);
        errors += failed;
        if let Some(error) = last_error {
            eprintln!("ws-load: {failed} handshakes failed, the last with: {error}");
        }
    }
    all.sort_unstable();
    let rate = all.len() as f64 / seconds;
    let (p50, p99) = (percentile(&all, 50.0), percentile(&all, 99.0));
    let (cpu_kv, cpu_text) = cpu_report(cpu, all.len());
    println!(
        "mode=handshakes concurrency={concurrency} seconds={seconds} handshakes={} per_s={rate:.0} p50_us={p50} p99_us={p99} errors={errors}{cpu_kv}",
        all.len()
    );
    println!(
        "# handshakes x{concurrency}: {rate:.0}/s (open, handshake, close), handshake p50 {p50} us, p99 {p99} us{cpu_text}, {errors} failed"
    );
    Ok(())
}

/// Resident memory of the given processes together, in KiB (nginx has one per worker).
fn rss_kib(pids: &[u32]) -> Result<u64, AnyError> {
    let mut total = 0;
    for pid in pids {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let line = status.lines().find(|line| line.starts_with("VmRSS:")).ok_or("no VmRSS line")?;
        total += line.split_whitespace().nth(1).ok_or("empty VmRSS line")?.parse::<u64>()?;
    }
    Ok(total)
}

/// CPU time (user and system) the given processes have used so far, in microseconds.
fn cpu_micros(pids: &[u32]) -> Result<u64, AnyError> {
    // SAFETY: sysconf has no preconditions.
    let ticks_per_s = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    let mut ticks = 0;
    for pid in pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        // The command name may hold spaces, so fields are counted from its closing parenthesis;
        // utime and stime are fields 14 and 15, the 12th and 13th after it.
        let fields: Vec<&str> = stat.rsplit_once(')').ok_or("unreadable stat")?.1.split_whitespace().collect();
        ticks +=
            fields.get(11).ok_or("short stat")?.parse::<u64>()? + fields.get(12).ok_or("short stat")?.parse::<u64>()?;
    }
    Ok(ticks * 1_000_000 / ticks_per_s)
}

/// The servers' CPU time over the measured window, taken while the load runs.
async fn cpu_during(pids: &[u32], from: Instant, until: Instant) -> Result<Option<u64>, AnyError> {
    if pids.is_empty() {
        return Ok(None);
    }
    tokio::time::sleep_until(from).await;
    let start = cpu_micros(pids)?;
    tokio::time::sleep_until(until).await;
    Ok(Some(cpu_micros(pids)? - start))
}

/// `key=value` and human forms of CPU time per operation, empty when no pid was given.
fn cpu_report(cpu: Option<u64>, operations: usize) -> (String, String) {
    match cpu {
        None => (String::new(), String::new()),
        Some(micros) => {
            let per = micros as f64 / operations.max(1) as f64;
            (format!(" cpu_us_per_op={per:.1}"), format!(", server CPU {per:.1} us each"))
        }
    }
}

async fn idle(target: Arc<Target>, connections: usize, size: usize, pids: &[u32], hold: f64) -> Result<(), AnyError> {
    if pids.is_empty() {
        return Err("idle needs --pid".into());
    }
    let before = rss_kib(pids)?;
    let ping = Bytes::from(vec![b'i'; size]);
    // One message each before going quiet: a real idle tunnel has carried traffic, so its
    // buffers have been touched and count in the resident set (as far as the message reached).
    let opened: Vec<Result<Ws, AnyError>> = stream::iter(0..connections)
        .map(|_| async {
            let mut ws = target.open().await?;
            round_trip(&mut ws, &ping).await?;
            Ok(ws)
        })
        .buffer_unordered(OPEN_CONCURRENCY)
        .collect()
        .await;
    let mut sockets = Vec::with_capacity(connections);
    let mut failed = 0;
    for result in opened {
        match result {
            Ok(ws) => sockets.push(ws),
            Err(error) => {
                failed += 1;
                if failed == 1 {
                    eprintln!("ws-load: could not open an idle connection: {error}");
                }
            }
        }
    }
    tokio::time::sleep(Duration::from_secs_f64(hold)).await;
    let after = rss_kib(pids)?;
    // Proof that the tunnels still work after sitting idle.
    let alive = stream::iter(sockets.iter_mut())
        .map(|ws| round_trip(ws, &ping))
        .buffer_unordered(OPEN_CONCURRENCY)
        .filter(|result| std::future::ready(result.is_ok()))
        .count()
        .await;
    let open = sockets.len();
    let per_conn = (after as f64 - before as f64) * 1024.0 / open.max(1) as f64;
    println!(
        "mode=idle connections={connections} open={open} alive={alive} failed={failed} rss_before_kib={before} rss_after_kib={after} bytes_per_conn={per_conn:.0}"
    );
    println!(
        "# idle: {open} of {connections} open, {alive} still echo; RSS {before} -> {after} KiB, {:.1} KiB per connection",
        per_conn / 1024.0
    );
    // Dropping sends FINs; the proxy cleans up after we exit.
    drop(sockets);
    Ok(())
}

/// Thousands of sockets need thousands of descriptors; the soft limit is often 1024.
fn raise_file_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass, which lives on our stack.
    unsafe {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    raise_file_limit();
    let args = match parse_args() {
        Ok(args) => args,
        Err(error) => {
            eprintln!("ws-load: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    // The default 128 KiB read buffer per socket would make the client, not the proxy, the
    // memory hog of the idle test; 64 KiB keeps 16 KiB echoes to one read.
    let read_buffer = if args.mode == "idle" { 4 * 1024 } else { 64 * 1024 };
    let result = match Target::new(&args, read_buffer) {
        Err(error) => Err(error),
        Ok(target) => {
            let target = Arc::new(target);
            match args.mode.as_str() {
                "echo" => echo(target, args.connections.unwrap_or(100), args.size, args.seconds, &args.pids).await,
                "handshakes" => handshakes(target, args.concurrency, args.seconds, &args.pids).await,
                "idle" => {
                    idle(target, args.connections.unwrap_or(10_000), args.size, &args.pids, args.hold_seconds).await
                }
                other => Err(format!("unknown mode {other:?}; use echo, handshakes or idle").into()),
            }
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ws-load: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<u32> = (1..=1000).collect();
        assert_eq!(percentile(&samples, 50.0), 500);
        assert_eq!(percentile(&samples, 99.0), 990);
        assert_eq!(percentile(&samples, 99.9), 999);
        assert_eq!(percentile(&[7], 99.9), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }
}
