//! Real portal processes (the `cdn-portal` binary, as deployed), each on its own port of
//! 127.0.0.1. The one place the tests start a portal process; its launch settings are its own
//! (`[package.metadata.leptos]`, see `cdn_portal::server::config::leptos_options`).

use super::edge::FEED_TOKEN;
use super::{Portal, Reply, ScratchDatabase, wire};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a replica may take to answer its first page.
const START_TIME_LIMIT: Duration = Duration::from_secs(30);
/// A replica that could not listen on the free port it was given (taken by someone else
/// between our probe and its bind) is started again on another, this many times in all.
const START_ATTEMPTS: usize = 3;

/// Replicas A and B (as behind a load balancer) over one fresh database: SQLite by default, a new
/// PostgreSQL database when `TEST_POSTGRES_URL` names a server. Fields drop in order: the
/// processes end before their database is removed.
pub struct Replicas {
    pub a: Replica,
    pub b: Replica,
    _database: ScratchDatabase,
}

/// [`Replicas`] with the test defaults of [`Replica::start_with`].
pub async fn two_replicas() -> Replicas {
    two_replicas_with(&[]).await
}

/// [`Replicas`] with these environment variables too (see [`Replica::start_with`]).
pub async fn two_replicas_with(env: &[(&str, &str)]) -> Replicas {
    let database = ScratchDatabase::new().await;
    // Both at once over the new database: they take turns bringing its schema up to date.
    let (a, b) =
        tokio::join!(Replica::start_with("A", database.url(), env), Replica::start_with("B", database.url(), env));
    Replicas { a, b, _database: database }
}

/// One portal process serving on its own port of 127.0.0.1, killed when dropped.
pub struct Replica {
    /// "A (127.0.0.1:port)", for failure messages.
    pub name: String,
    pub addr: SocketAddr,
    child: Child,
    stderr_path: PathBuf,
    _logs: tempfile::TempDir,
}

impl Replica {
    /// Starts `cdn-portal` over `database_url` with the edge feed open to [`FEED_TOKEN`], the
    /// test defaults and then `env` (which wins over them), and waits until it answers `GET /`;
    /// `name` ("A", "B") is for failure messages.
    pub async fn start_with(name: &str, database_url: &str, env: &[(&str, &str)]) -> Replica {
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(name, database_url, env).await {
                Ok(replica) => return replica,
                Err(StartFailure::PortTaken(why)) => failures.push(why),
                Err(StartFailure::Other(why)) => panic!("{why}"),
            }
        }
        panic!("replica {name} could not start ({START_ATTEMPTS} attempts):\n{}", failures.join("\n---\n"));
    }

    async fn try_start(name: &str, database_url: &str, env: &[(&str, &str)]) -> Result<Replica, StartFailure> {
        let addr = free_port();
        let name = if name.is_empty() { addr.to_string() } else { format!("{name} ({addr})") };
        let name = name.as_str();
        let logs = tempfile::tempdir().expect("a folder for the replica's log");
        let stderr_path = logs.path().join("stderr.log");
        let stderr = File::create(&stderr_path).expect("the replica's log file");
        let child = Command::new(env!("CARGO_BIN_EXE_cdn-portal"))
            // The site root of its launch settings is relative to the package, as in development.
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("EDGE_FEED_TOKEN", FEED_TOKEN)
            .env("SEED_DEMO", "false")
            // Every request of a test comes from 127.0.0.1, faster than any person: the limits
            // per address and per token would refuse what the tests are about (as in
            // `portal::test_settings`). The tests of the limits set their own.
            .env("LOG_IN_ATTEMPTS_PER_CLIENT_ADDRESS", "1000")
            .env("SIGN_UPS_PER_CLIENT_ADDRESS", "100000")
            .env("API_REQUESTS_PER_SECOND", "100000")
            .env("API_BURST", "100000")
            .env("API_TOKEN_FAILURES_PER_CLIENT_ADDRESS", "100000")
            .envs(env.iter().copied())
            // Requests must come from the replica's own origin, whatever the developer's shell says.
            .env_remove("PORTAL_ENV")
            .env_remove("PORTAL_PUBLIC_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(stderr))
            .spawn()
            .unwrap_or_else(|error| panic!("could not run {}: {error}", env!("CARGO_BIN_EXE_cdn-portal")));
        let mut replica = Replica { name: name.to_owned(), addr, child, stderr_path, _logs: logs };
        let deadline = Instant::now() + START_TIME_LIMIT;
        loop {
            if let Some(status) = replica.child.try_wait().expect("the replica's state") {
                let stderr = replica.stderr();
                let why = format!("replica {name} exited while starting ({status}); its stderr:\n{stderr}");
                // The portal's own words for a failed bind (StartupError::Listen).
                let port_taken = stderr.contains(&format!("could not listen on {addr}"));
                return Err(if port_taken { StartFailure::PortTaken(why) } else { StartFailure::Other(why) });
            }
            // Still alive once it answers: the answer was its own, not another server's on a port it failed to get.
            if replica.answers_home_page().await && replica.child.try_wait().expect("the replica's state").is_none() {
                return Ok(replica);
            }
            if Instant::now() > deadline {
                return Err(StartFailure::Other(format!(
                    "replica {name} did not answer GET / within {START_TIME_LIMIT:?}; its stderr:\n{}",
                    replica.stderr()
                )));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn answers_home_page(&self) -> bool {
        let request = Request::get("/").header("accept", "text/html").body(Body::empty()).unwrap();
        match tokio::time::timeout(Duration::from_secs(5), wire::send(self.addr, request)).await {
            Ok(Ok(reply)) => reply.status == StatusCode::OK,
            _ => false,
        }
    }

    /// `http://127.0.0.1:port`: the replica's base URL, and the origin of its own pages.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything the replica has logged so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_else(|error| format!("(unreadable: {error})"))
    }
}

impl Portal for Replica {
    /// Sends `request` over a new connection; a failed exchange fails the test with the replica's log.
    async fn send(&self, request: Request<Body>) -> Reply {
        let what = format!("{} {} to replica {}", request.method(), request.uri(), self.name);
        wire::send(self.addr, request)
            .await
            .unwrap_or_else(|why| panic!("{what}: {why}\nreplica {}'s stderr:\n{}", self.name, self.stderr()))
    }

    fn origin(&self) -> String {
        self.url()
    }
}

enum StartFailure {
    /// Someone took the port first: worth another try on another port.
    PortTaken(String),
    /// Anything else (it died, or runs but does not answer): the test fails with the log.
    Other(String),
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port of 127.0.0.1 that nothing listens on at the moment.
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("the port's address")
}
