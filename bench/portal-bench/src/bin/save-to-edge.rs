//! How long a saved change takes to reach the edge: toggles a resource's WebSockets option
//! through the REST API and times, from the moment the save is sent, until a WebSocket
//! handshake through the edge is answered the new way (101 when on, 403 when off).
//!
//! Usage: save-to-edge <portal host:port> <edge host:port> <api token> <resource id> <custom domain> <toggles>

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [portal, edge, token, id, domain, toggles] = args.as_slice() else {
        eprintln!("usage: save-to-edge <portal> <edge> <token> <resource id> <domain> <toggles>");
        std::process::exit(2);
    };
    let toggles: usize = toggles.parse().expect("toggles is a number");
    // Start from a known state: on, and obeyed.
    save(portal, token, id, true).await;
    wait_until_obeyed(edge, domain, true).await;
    let mut delays = Vec::with_capacity(toggles);
    for toggle in 0..toggles {
        let on = toggle % 2 == 1;
        let sent = Instant::now();
        save(portal, token, id, on).await;
        wait_until_obeyed(edge, domain, on).await;
        delays.push(sent.elapsed());
    }
    delays.sort();
    let percentile = |p: f64| delays[((delays.len() as f64 * p).ceil() as usize).clamp(1, delays.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "toggles={} p50_ms={:.1} p99_ms={:.1} max_ms={:.1}",
        delays.len(),
        ms(percentile(0.50)),
        ms(percentile(0.99)),
        ms(*delays.last().expect("at least one toggle"))
    );
}

async fn save(portal: &str, token: &str, id: &str, on: bool) {
    let body = format!(r#"{{"options": {{"websockets": {{"enabled": true, "value": {on}}}}}}}"#);
    let request = format!(
        "PATCH /cdn/resources/{id} HTTP/1.1\r\nHost: {portal}\r\nAuthorization: APIKey {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(portal).await.expect("the portal is listening");
    stream.write_all(request.as_bytes()).await.expect("request sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "the save failed: {answer}");
}

/// Polls the edge every millisecond until a handshake is let through (`on`) or refused (off).
async fn wait_until_obeyed(edge: &str, domain: &str, on: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stream = TcpStream::connect(edge).await.expect("the edge is listening");
        let request = format!("ws://{domain}/").into_client_request().expect("a valid URL");
        let accepted = tokio_tungstenite::client_async(request, stream).await.is_ok();
        if accepted == on {
            return;
        }
        assert!(Instant::now() < deadline, "the edge did not obey within 10 s");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
