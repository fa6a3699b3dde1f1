//! A portal's configuration feed as the edge follows it (the contract in `feed/src/lib.rs`), with
//! the configuration set by the test: an edge following it takes each change the way it takes a
//! real portal's, by long polling.

use bytes::Bytes;
use edge_feed::{ConfigUpdate, EdgeResource, FeedQuery, Version};
use http_body_util::{Empty, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub struct Portal {
    /// `http://127.0.0.1:PORT`, for the edge's settings.
    pub url: String,
    current: watch::Sender<ConfigUpdate>,
}

impl Portal {
    /// A feed that serves `resources` at version 1.
    pub async fn start(resources: Vec<EdgeResource>) -> Portal {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (current, _) = watch::channel(ConfigUpdate::snapshot(1, resources));
        let feed = current.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let feed = feed.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| answer(feed.subscribe(), request));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Portal { url, current }
    }

    /// Replaces every resource, at the next version; returns that version.
    pub fn publish(&self, resources: Vec<EdgeResource>) -> Version {
        let version = self.current.borrow().version + 1;
        self.current.send_replace(ConfigUpdate::snapshot(version, resources));
        version
    }
}

/// The snapshot, at once or (for the changes after a version) as soon as there is a newer one;
/// 204 when none came in time. A whole snapshot is a valid answer to either.
async fn answer(
    mut feed: watch::Receiver<ConfigUpdate>,
    request: Request<Incoming>,
) -> Result<Response<http_body_util::Either<Full<Bytes>, Empty<Bytes>>>, Infallible> {
    use http_body_util::Either;
    if request.uri().path() != edge_feed::CONFIG_PATH {
        // The edge's status reports.
        return Ok(status(StatusCode::NO_CONTENT, Either::Right(Empty::new())));
    }
    let query: FeedQuery = feed_query(request.uri().query().unwrap_or_default());
    if let Some(after) = query.after {
        let wait = Duration::from_millis(query.wait_ms.unwrap_or(0)).min(Duration::from_secs(10));
        let newer = tokio::time::timeout(wait, feed.wait_for(|update| update.version > after)).await;
        if !matches!(newer, Ok(Ok(_))) {
            return Ok(status(StatusCode::NO_CONTENT, Either::Right(Empty::new())));
        }
    }
    let body = serde_json::to_vec(&*feed.borrow()).unwrap();
    Ok(status(StatusCode::OK, Either::Left(Full::new(Bytes::from(body)))))
}

fn status<B>(status: StatusCode, body: B) -> Response<B> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

/// `after=N&wait_ms=W`, as [`edge_feed::changes_path`] writes it.
fn feed_query(query: &str) -> FeedQuery {
    let mut parsed = FeedQuery::default();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("after", value)) => parsed.after = value.parse().ok(),
            Some(("wait_ms", value)) => parsed.wait_ms = value.parse().ok(),
            _ => {}
        }
    }
    parsed
}
