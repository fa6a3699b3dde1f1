//! Tells the portal this edge's WebSocket traffic ([`crate::traffic`]) every
//! [`TRAFFIC_INTERVAL`]: `POST` [`TRAFFIC_PATH`] with a [`edge_feed::TrafficReport`], as the
//! contract in `edge_feed::traffic` says.
//!
//! Best effort, in a task of its own: a report the portal did not take (no answer, an error, a
//! status other than 2xx) is logged at debug level and its figures go again in the next one,
//! since they are cumulative; nothing else waits for it.

use crate::portal_client::PortalClient;
use crate::settings::FeedSettings;
use crate::traffic::{Acknowledged, Batch, Traffic};
use bytes::Bytes;
use edge_feed::traffic::{TRAFFIC_INTERVAL, TRAFFIC_PATH};
use hyper::Method;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// The longest a report may take to be answered; a slower portal delays the next report, which
/// then carries whatever changed meanwhile.
const REPORT_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends this edge's traffic reports.
#[derive(Clone)]
pub struct Reporter {
    portal: PortalClient,
    /// The edge's name, as in its status reports.
    edge: String,
    traffic: Arc<Traffic>,
}

impl Reporter {
    /// Reports `traffic` to the portal the feed settings name, as the edge they name.
    pub fn new(settings: &FeedSettings, traffic: Arc<Traffic>) -> Self {
        Self { portal: PortalClient::new(settings), edge: settings.edge_id.clone(), traffic }
    }

    /// Reports every [`TRAFFIC_INTERVAL`], for as long as the edge runs: what changed since the
    /// portal last acknowledged a report, and the resources with a tunnel open
    /// ([`Acknowledged::batches`]); an empty report when there is nothing, so that the portal
    /// knows the edge is alive.
    pub async fn run(self) {
        let mut acknowledged = Acknowledged::default();
        let mut ticks = tokio::time::interval(TRAFFIC_INTERVAL);
        // After a slow answer, the next report goes one interval later, not in a burst.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            for batch in acknowledged.batches(&self.traffic) {
                match self.send(&batch).await {
                    Ok(()) => acknowledged.acknowledge(batch),
                    Err(error) => {
                        tracing::debug!(%error, "traffic report failed; sent again at the next tick");
                        // The portal is unlikely to take the next batch this instant either.
                        break;
                    }
                }
            }
        }
    }

    /// Reports every resource's figures, acknowledged or not: the edge's last report as it stops
    /// (see [`crate::RunningEdge::shut_down`]). Figures the portal already has count nothing twice.
    pub async fn report_everything(&self) -> Result<(), String> {
        for batch in Acknowledged::default().batches(&self.traffic) {
            self.send(&batch).await?;
        }
        Ok(())
    }

    /// One report; `Ok` once the portal answered 2xx.
    async fn send(&self, batch: &Batch) -> Result<(), String> {
        let report = batch.report(&self.edge, self.traffic.boot());
        let body = serde_json::to_vec(&report).map_err(|error| error.to_string())?;
        let request = self.portal.request(Method::POST, TRAFFIC_PATH, Bytes::from(body));
        match tokio::time::timeout(REPORT_TIMEOUT, self.portal.send(request)).await {
            Ok(Ok(response)) if response.status().is_success() => Ok(()),
            Ok(Ok(response)) => Err(format!("the portal answered {}", response.status())),
            Ok(Err(error)) => Err(format!("the portal could not be reached: {error}")),
            Err(_) => Err("no answer in time".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge_feed::traffic::{CloseReason, HandshakeRefusal, TrafficReport, WsCounter};
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    /// A request as the portal received it.
    #[derive(Debug)]
    struct Received {
        request_line: String,
        authorization: Option<String>,
        content_type: Option<String>,
        report: TrafficReport,
    }

    /// A portal that answers its requests with `statuses` in turn (then 204), one request per
    /// connection (it closes each), and hands each request to the test.
    async fn portal(statuses: Vec<u16>) -> (String, mpsc::UnboundedReceiver<Received>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (sender, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut statuses = statuses.into_iter();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let mut stream = BufReader::new(stream);
                let mut request_line = String::new();
                stream.read_line(&mut request_line).await.unwrap();
                let (mut length, mut authorization, mut content_type) = (0, None, None);
                loop {
                    let mut line = String::new();
                    stream.read_line(&mut line).await.unwrap();
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    let (name, value) = line.split_once(':').unwrap();
                    let value = value.trim().to_owned();
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.parse().unwrap(),
                        "authorization" => authorization = Some(value),
                        "content-type" => content_type = Some(value),
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                stream.read_exact(&mut body).await.unwrap();
                let status = statuses.next().unwrap_or(204);
                let answer = format!("HTTP/1.1 {status} Whatever\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                stream.get_mut().write_all(answer.as_bytes()).await.unwrap();
                let report = serde_json::from_slice(&body).expect("a traffic report");
                let _ = sender.send(Received { request_line, authorization, content_type, report });
            }
        });
        (url, received)
    }

    fn settings(portal_url: String) -> FeedSettings {
        FeedSettings {
            portal_url,
            token: "secret-token".to_owned(),
            edge_id: "edge-7".to_owned(),
            long_poll: Duration::from_secs(10),
        }
    }

    async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
        tokio::time::timeout(TRAFFIC_INTERVAL * 5, received.recv()).await.expect("a report in time").unwrap()
    }

    #[tokio::test]
    async fn reports_reach_the_portal_and_a_refused_one_is_sent_again() {
        // The first report is refused (the portal's database is away): its figures go again.
        let (url, mut received) = portal(vec![503]).await;
        let traffic = Arc::new(Traffic::new());
        traffic.count(3, WsCounter::Refused(HandshakeRefusal::OriginRefused));
        let tunnel = traffic.tunnel_opened(3);
        tunnel.counters().add(WsCounter::BytesToOrigin, 120);
        tunnel.end(CloseReason::VisitorClosed);
        let reporter = tokio::spawn(Reporter::new(&settings(url), traffic.clone()).run());

        let first = next(&mut received).await;
        assert_eq!(first.request_line.trim_end(), "POST /edge/v1/traffic HTTP/1.1");
        assert_eq!(first.authorization.as_deref(), Some("Bearer secret-token"));
        assert_eq!(first.content_type.as_deref(), Some("application/json"));
        let expected = TrafficReport {
            edge: "edge-7".to_owned(),
            boot: traffic.boot().to_owned(),
            resources: vec![edge_feed::ResourceTraffic {
                id: 3,
                open: 0,
                counters: [
                    ("accepted", 1),
                    ("refused_origin_refused", 1),
                    ("bytes_to_origin", 120),
                    ("closed_visitor", 1),
                    ("duration_le_1s", 1),
                ]
                .into_iter()
                .map(|(name, count)| (name.to_owned(), count))
                .collect(),
            }],
        };
        assert_eq!(first.report, expected);

        let second = next(&mut received).await;
        assert_eq!(second.report, expected, "refused, so sent again whole");
        let third = next(&mut received).await;
        assert!(third.report.resources.is_empty(), "acknowledged and unchanged: left out, {:?}", third.report);
        assert_eq!(third.report.boot, traffic.boot(), "an empty report still says the edge is alive");

        traffic.count(3, WsCounter::Refused(HandshakeRefusal::OriginRefused));
        let fourth = next(&mut received).await;
        assert_eq!(fourth.report.resources.len(), 1);
        assert_eq!(fourth.report.resources[0].counters["refused_origin_refused"], 2, "cumulative");
        reporter.abort();
    }

    #[tokio::test]
    async fn the_last_report_carries_everything() {
        let (url, mut received) = portal(vec![]).await;
        let traffic = Arc::new(Traffic::new());
        traffic.count(1, WsCounter::Accepted);
        traffic.count(2, WsCounter::Refused(HandshakeRefusal::OptionOff));
        let reporter = Reporter::new(&settings(url), traffic.clone());
        reporter.report_everything().await.unwrap();
        let ids: Vec<i64> = next(&mut received).await.report.resources.iter().map(|resource| resource.id).collect();
        assert_eq!(ids, [1, 2]);
    }

    #[tokio::test]
    async fn an_unreachable_portal_is_an_error_not_a_wait() {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let reporter = Reporter::new(&settings(format!("http://{closed}")), Arc::new(Traffic::new()));
        let error = reporter.report_everything().await.unwrap_err();
        assert!(error.contains("could not be reached"), "{error}");
    }
}
