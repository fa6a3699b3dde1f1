//! Origins for the edge's tests, on real sockets: each records the raw head (and body) of every
//! request it receives, and answers in one of the ways origins behave, well or badly.

use rustls::ServerConfig;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{AbortHandle, JoinHandle};
use tokio_rustls::TlsAcceptor;

/// How an origin answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Serves sites by `Host`: an ordinary request gets `200` with `site <Host>` as its body,
    /// after reading the body it announces (waiting for it as long as it takes); a WebSocket
    /// handshake gets `101`, then the site's name, then an echo of every byte. Some paths answer
    /// as sloppy origins do: `/framing/both` with `Content-Length: 5` and a chunked body of 11
    /// bytes, `/framing/gzip` with `Transfer-Encoding: gzip, chunked`, and `/stall` with the
    /// first 3 of 100 bytes, then nothing.
    Site,
    /// Checks `Host` against its own address, as Autobahn's server does: a port other than the
    /// one it listens on, or none (meaning 80), gets `400`; otherwise as [`Behaviour::Site`].
    StrictHost,
    /// Answers `101 Switching Protocols` to anything, handshake or not, then echoes.
    AlwaysUpgrades,
    /// Answers a handshake with a `101` that switches to `h2c`, not WebSocket.
    SwitchesToH2c,
    /// Answers everything, handshakes too, `503 Service Unavailable`, as an origin that is
    /// overloaded or being deployed does.
    Unavailable,
    /// Reads a request, then closes the connection without a word (nginx's `error` case).
    HangsUp,
    /// Reads a request and never answers, keeping the connection open (nginx's `timeout` case).
    Silent,
}

/// One request as the origin read it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The request line and header lines, without the blank line.
    pub head: String,
    pub body: Vec<u8>,
    /// Whether it came over TLS.
    pub tls: bool,
}

impl Received {
    /// The request line.
    pub fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or_default()
    }

    /// Every value of the header `name` (any case), in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        header_values(&self.head, name)
    }

    /// The single value of `name`; fails the test if there are none or several.
    pub fn one(&self, name: &str) -> String {
        let values = self.all(name);
        assert_eq!(values.len(), 1, "exactly one {name} in\n{}", self.head);
        values.into_iter().next().unwrap()
    }
}

/// Every value of the header `name` (any case) in a head, in order.
pub fn header_values(head: &str, name: &str) -> Vec<String> {
    head.lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .filter(|(key, _)| key.trim().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim().to_owned())
        .collect()
}

pub struct Origin {
    pub addr: SocketAddr,
    behaviour: Behaviour,
    /// Whether each answer ends its connection (`Connection: close`).
    closes: bool,
    /// With a certificate, a connection that opens with a TLS handshake is served over TLS;
    /// others are still served in plain HTTP, on the same port.
    tls: Option<TlsAcceptor>,
    received: Arc<Mutex<Vec<Received>>>,
    /// The accepting task, while it runs.
    accepting: Mutex<Option<JoinHandle<()>>>,
    /// Every connection's task.
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Origin {
    pub async fn start(behaviour: Behaviour) -> Origin {
        Self::listen(behaviour, false).await
    }

    /// An origin that answers each request on a connection of its own (`Connection: close`), so
    /// that the edge keeps none open to it: once it is stopped, nothing of it answers.
    pub async fn closing(behaviour: Behaviour) -> Origin {
        Self::listen(behaviour, true).await
    }

    /// An origin that speaks HTTPS with `certificate` (and plain HTTP to a connection that does
    /// not open with a TLS handshake, on the same port).
    pub async fn https(behaviour: Behaviour, certificate: Arc<ServerConfig>) -> Origin {
        Self::listen_on(behaviour, false, Some(TlsAcceptor::from(certificate))).await
    }

    async fn listen(behaviour: Behaviour, closes: bool) -> Origin {
        Self::listen_on(behaviour, closes, None).await
    }

    async fn listen_on(behaviour: Behaviour, closes: bool, tls: Option<TlsAcceptor>) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = Origin {
            addr: listener.local_addr().unwrap(),
            behaviour,
            closes,
            tls,
            received: Arc::new(Mutex::new(Vec::new())),
            accepting: Mutex::new(None),
            connections: Arc::new(Mutex::new(Vec::new())),
        };
        origin.accept(listener);
        origin
    }

    fn accept(&self, listener: TcpListener) {
        let (log, behaviour, closes, port) = (self.received.clone(), self.behaviour, self.closes, self.addr.port());
        let connections = self.connections.clone();
        let tls = self.tls.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, tls) = (log.clone(), tls.clone());
                let task = tokio::spawn(async move {
                    let mut first = [0; 1];
                    // 22: a TLS record of the handshake protocol, which every TLS connection opens with.
                    let opens_tls = matches!(stream.peek(&mut first).await, Ok(1) if first[0] == 22);
                    match tls {
                        Some(acceptor) if opens_tls => {
                            // A handshake that fails (the edge refused the certificate) ends here.
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve(stream, true, behaviour, closes, port, log).await;
                            }
                        }
                        _ => serve(stream, false, behaviour, closes, port, log).await,
                    }
                });
                connections.lock().unwrap().push(task.abort_handle());
            }
        });
        *self.accepting.lock().unwrap() = Some(accepting);
    }

    /// Stops listening and ends every connection: from now on a connection to it is refused.
    pub async fn stop(&self) {
        let accepting = self.accepting.lock().unwrap().take();
        if let Some(accepting) = accepting {
            accepting.abort();
            // Once the task is gone, so is its listener: the port is closed.
            let _ = accepting.await;
        }
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Listens again on the same port, as before [`Origin::stop`].
    pub async fn restart(&self) {
        // The listener sets SO_REUSEADDR, so that the stopped connections' TIME_WAIT does not
        // keep the port.
        self.accept(TcpListener::bind(self.addr).await.unwrap());
    }

    /// Everything received so far, and forgets it.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.received.lock().unwrap())
    }

    /// The one request received since the last `take`; fails the test if there were none or several.
    pub fn take_one(&self) -> Received {
        let mut received = self.take();
        assert_eq!(received.len(), 1, "one request at the origin, got {received:#?}");
        received.pop().unwrap()
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    tls: bool,
    behaviour: Behaviour,
    closes: bool,
    port: u16,
    log: Arc<Mutex<Vec<Received>>>,
) {
    loop {
        let Some(head) = read_head(&mut stream).await else { return };
        let Some(body) = read_body(&mut stream, &head).await else { return };
        log.lock().unwrap().push(Received { head: head.clone(), body, tls });

        let host = header_values(&head, "host").join(",");
        let handshake = header_values(&head, "upgrade").iter().any(|value| value.eq_ignore_ascii_case("websocket"));
        let host_port = host.rsplit_once(':').and_then(|(_, port)| port.parse::<u16>().ok()).unwrap_or(80);
        let answer = match behaviour {
            Behaviour::HangsUp => return,
            Behaviour::Silent => {
                // Whatever comes next is read and dropped until the edge gives up and closes.
                let _ = tokio::io::copy(&mut stream, &mut tokio::io::sink()).await;
                return;
            }
            Behaviour::StrictHost if host_port != port => {
                Answer::Plain(400, format!("port {host_port} in Host is not mine ({port})"))
            }
            Behaviour::AlwaysUpgrades => Answer::Upgrade("websocket"),
            Behaviour::Unavailable => Answer::Plain(503, "unavailable".to_owned()),
            Behaviour::SwitchesToH2c if handshake => Answer::Upgrade("h2c"),
            _ if handshake => Answer::Upgrade("websocket"),
            _ => match head.split(' ').nth(1).unwrap_or_default() {
                "/framing/both" => {
                    Answer::Raw("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n")
                }
                "/framing/gzip" => Answer::Raw("Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nGZIPD\r\n0\r\n\r\n"),
                "/stall" => Answer::Raw("Content-Length: 100\r\n\r\nabc"),
                _ => Answer::Plain(200, format!("site {host}")),
            },
        };
        match answer {
            Answer::Raw(rest) => {
                let written = stream.write_all(format!("HTTP/1.1 200 OK\r\n{rest}").as_bytes()).await;
                if written.is_err() || stream.flush().await.is_err() {
                    return;
                }
            }
            Answer::Plain(status, text) => {
                let close = if closes { "Connection: close\r\n" } else { "" };
                let response =
                    format!("HTTP/1.1 {status} Whatever\r\n{close}Content-Length: {}\r\n\r\n{text}", text.len());
                let written = stream.write_all(response.as_bytes()).await;
                if written.is_err() || stream.flush().await.is_err() || closes {
                    return;
                }
            }
            Answer::Upgrade(protocol) => {
                let response = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: {protocol}\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nsite {host}\n"
                );
                if stream.write_all(response.as_bytes()).await.is_ok() && stream.flush().await.is_ok() {
                    let (mut reader, mut writer) = tokio::io::split(stream);
                    let _ = tokio::io::copy(&mut reader, &mut writer).await;
                    let _ = writer.shutdown().await;
                }
                return;
            }
        }
    }
}

/// The body `head` announces: `Content-Length` bytes, or chunks until the last (trailers
/// ignored). `None` if the peer closed first.
pub async fn read_body<S: AsyncRead + Unpin>(stream: &mut S, head: &str) -> Option<Vec<u8>> {
    let chunked = header_values(head, "transfer-encoding").iter().any(|coding| coding.eq_ignore_ascii_case("chunked"));
    if !chunked {
        let length = header_values(head, "content-length").first().and_then(|value| value.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await.ok()?;
        return Some(body);
    }
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        while !line.ends_with(b"\r\n") {
            line.push(stream.read_u8().await.ok()?);
        }
        let size = std::str::from_utf8(&line).ok()?.trim_end().split(';').next()?;
        let size = usize::from_str_radix(size, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        stream.read_exact(&mut chunk).await.ok()?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

enum Answer {
    Plain(u16, String),
    /// `200 OK`, then these header lines and body bytes as they are.
    Raw(&'static str),
    Upgrade(&'static str),
}

/// Reads up to the blank line that ends a head, a byte at a time so that nothing after it is
/// consumed. `None` once the peer has closed, or sent nothing for 30 s.
pub async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Option<String> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = tokio::time::timeout(Duration::from_secs(30), stream.read_u8()).await.ok()?.ok()?;
        head.push(byte);
    }
    head.truncate(head.len() - 4);
    Some(String::from_utf8_lossy(&head).into_owned())
}
