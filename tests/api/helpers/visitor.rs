//! A visitor of a customer's site, meeting it through a CDN edge: WebSockets and their echoes.

use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

pub type Socket = tokio_tungstenite::WebSocketStream<TcpStream>;

/// A visitor's WebSocket to `domain`, through the edge.
pub async fn websocket(edge: SocketAddr, domain: &str, path: &str) -> Result<Socket, WsError> {
    let stream = TcpStream::connect(edge).await.expect("the edge accepts connections");
    let request = format!("ws://{domain}{path}").into_client_request().unwrap();
    let handshake = tokio_tungstenite::client_async(request, stream);
    match tokio::time::timeout(Duration::from_secs(5), handshake).await {
        Ok(result) => result.map(|(socket, _)| socket),
        Err(_) => panic!("no answer to a WebSocket handshake through the edge within 5 s"),
    }
}

/// Sends `text` over `socket`, failing the test unless the same text comes back within 5 s.
pub async fn echoes(socket: &mut Socket, text: &str) {
    socket.send(Message::text(text)).await.expect("a message sent through the edge");
    let answer = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("an echo within 5 s");
    assert_eq!(answer.expect("an open tunnel").expect("a frame"), Message::text(text));
}

/// The status and body with which the edge refused the upgrade, if it did.
pub fn refused_status(result: Result<Socket, WsError>) -> Option<(u16, String)> {
    match result {
        Err(WsError::Http(response)) => {
            let body =
                response.body().as_ref().map(|body| String::from_utf8_lossy(body).into_owned()).unwrap_or_default();
            Some((response.status().as_u16(), body))
        }
        _ => None,
    }
}

/// Polls `check` until it holds, failing past 1 s; returns how long that took.
pub async fn within_a_second(what: &str, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let since = Instant::now();
    while !check().await {
        assert!(since.elapsed() < Duration::from_secs(1), "{what}: not seen by the edge within 1 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    since.elapsed()
}
