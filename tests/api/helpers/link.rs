//! A cuttable TCP link between a portal and its PostgreSQL server, for outages.

use std::net::SocketAddr;
use std::time::Duration;

/// A TCP relay between the portal and its PostgreSQL server that a test can cut, as a network
/// failure or a stopped server would: open connections are dropped and new ones refused until
/// it is restored, on the same address.
pub struct DatabaseLink {
    /// Where the link listens (127.0.0.1, a free port), in place of the server.
    pub addr: SocketAddr,
    up: tokio::sync::watch::Sender<bool>,
}

impl DatabaseLink {
    /// A link, open, to the server at `upstream`.
    pub async fn to(upstream: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (up, mut watch_up) = tokio::sync::watch::channel(true);
        tokio::spawn(async move {
            let mut listener = Some(listener);
            loop {
                while !*watch_up.borrow_and_update() {
                    if watch_up.changed().await.is_err() {
                        return;
                    }
                }
                let accepting = match listener.take() {
                    Some(listener) => listener,
                    None => tokio::net::TcpListener::bind(addr).await.unwrap(),
                };
                let mut relays = tokio::task::JoinSet::new();
                loop {
                    tokio::select! {
                        accepted = accepting.accept() => {
                            let Ok((mut client, _)) = accepted else { continue };
                            relays.spawn(async move {
                                if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                                }
                            });
                        }
                        changed = watch_up.changed() => {
                            if changed.is_err() || !*watch_up.borrow_and_update() {
                                break;
                            }
                        }
                    }
                }
                drop(accepting);
                relays.abort_all();
                while relays.join_next().await.is_some() {}
            }
        });
        Self { addr, up }
    }

    /// Drops every connection through the link and refuses new ones.
    pub async fn cut(&self) {
        self.up.send_replace(false);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while tokio::net::TcpStream::connect(self.addr).await.is_ok() {
            assert!(std::time::Instant::now() < deadline, "the database link would not close");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Accepts connections again, on the same address.
    pub async fn restore(&self) {
        self.up.send_replace(true);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while tokio::net::TcpStream::connect(self.addr).await.is_err() {
            assert!(std::time::Instant::now() < deadline, "the database link would not reopen");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// `database_url` (a PostgreSQL URL) with its server's address replaced by this link's.
    pub fn url_for(&self, database_url: &str) -> String {
        let (scheme, rest) = database_url.split_once("://").unwrap();
        let (user, rest) = rest.rsplit_once('@').map_or(("", rest), |(user, rest)| (user, rest));
        let path = rest.find('/').map_or("", |slash| &rest[slash..]);
        let user = if user.is_empty() { String::new() } else { format!("{user}@") };
        format!("{scheme}://{user}{}{path}", self.addr)
    }

    /// The address of the PostgreSQL server `database_url` names.
    pub async fn server_of(database_url: &str) -> SocketAddr {
        let rest = database_url.split_once("://").unwrap().1;
        let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
        let authority = rest.split(['/', '?']).next().unwrap();
        tokio::net::lookup_host(authority).await.unwrap().next().unwrap()
    }
}
