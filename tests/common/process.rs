//! Real portal processes (the `cdn-portal` binary, as deployed) and a minimal HTTP/1.1 client
//! to talk to them over TCP, one connection per request.
#![allow(dead_code)] // Each test file uses its own part of these helpers.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one request may take, from connecting to the last byte of the answer.
pub const REQUEST_TIME_LIMIT: Duration = Duration::from_secs(10);
/// How long a replica may take to answer its first page.
const START_TIME_LIMIT: Duration = Duration::from_secs(30);
/// A replica that could not listen on the free port it was given (taken by someone else
/// between our probe and its bind) is started again on another, this many times in all.
const START_ATTEMPTS: usize = 3;

/// One portal process serving on its own port of 127.0.0.1, killed when dropped.
pub struct Replica {
    pub name: String,
    pub addr: SocketAddr,
    child: Child,
    stderr_path: PathBuf,
    _logs: tempfile::TempDir,
}

impl Replica {
    /// Starts `cdn-portal` over `database_url` with the edge feed open to `feed_token`, and waits
    /// until it answers `GET /`.
    pub async fn start(database_url: &str, feed_token: &str) -> Replica {
        Self::start_named("", database_url, feed_token).await
    }

    /// [`start`](Self::start), with a name for failure messages ("A", "B").
    pub async fn start_named(name: &str, database_url: &str, feed_token: &str) -> Replica {
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(name, database_url, feed_token).await {
                Ok(replica) => return replica,
                Err(StartFailure::PortTaken(why)) => failures.push(why),
                Err(StartFailure::Other(why)) => panic!("{why}"),
            }
        }
        panic!("replica {name} could not start ({START_ATTEMPTS} attempts):\n{}", failures.join("\n---\n"));
    }

    async fn try_start(name: &str, database_url: &str, feed_token: &str) -> Result<Replica, StartFailure> {
        let addr = free_port();
        let name = if name.is_empty() { addr.to_string() } else { format!("{name} ({addr})") };
        let name = name.as_str();
        let logs = tempfile::tempdir().expect("a folder for the replica's log");
        let stderr_path = logs.path().join("stderr.log");
        let stderr = File::create(&stderr_path).expect("the replica's log file");
        let child = Command::new(env!("CARGO_BIN_EXE_cdn-portal"))
            // LEPTOS_SITE_ROOT is relative to the package, as in development.
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("LEPTOS_OUTPUT_NAME", "cdn-portal")
            .env("LEPTOS_ENV", "PROD")
            .env("EDGE_FEED_TOKEN", feed_token)
            .env("SEED_DEMO", "false")
            // Every request of a test comes from 127.0.0.1; no test here is about the limit.
            .env("LOG_IN_ATTEMPTS_PER_CLIENT_ADDRESS", "1000")
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
        let Ok(Ok(mut stream)) = tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(self.addr)).await
        else {
            return false;
        };
        let request =
            format!("GET / HTTP/1.1\r\nHost: {}\r\nAccept: text/html\r\nConnection: close\r\n\r\n", self.addr);
        let exchange = async {
            stream.write_all(request.as_bytes()).await?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await?;
            Ok::<_, std::io::Error>(answer)
        };
        match tokio::time::timeout(Duration::from_secs(5), exchange).await {
            Ok(Ok(answer)) => answer.starts_with(b"HTTP/1.1 200"),
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

    /// Sends `request` to this replica, with `Host` and `Connection: close` added.
    pub async fn send(&self, request: Request) -> Reply {
        let what = format!("{} {} to replica {}", request.method, request.target, self.name);
        let mut head =
            format!("{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", request.method, request.target, self.addr);
        for (name, value) in &request.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !request.body.is_empty() || !matches!(request.method.as_str(), "GET" | "HEAD" | "DELETE") {
            head.push_str(&format!("Content-Length: {}\r\n", request.body.len()));
        }
        head.push_str("\r\n");
        let exchange = async {
            let mut stream = TcpStream::connect(self.addr).await?;
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(request.body.as_bytes()).await?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await?;
            Ok::<_, std::io::Error>(answer)
        };
        let answer = match tokio::time::timeout(REQUEST_TIME_LIMIT, exchange).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(error)) => panic!("{what} failed: {error}\nreplica {}'s stderr:\n{}", self.name, self.stderr()),
            Err(_) => panic!(
                "{what} got no (complete) answer within {REQUEST_TIME_LIMIT:?}\nreplica {}'s stderr:\n{}",
                self.name,
                self.stderr()
            ),
        };
        Reply::parse(&answer)
            .unwrap_or_else(|why| panic!("{what}: unreadable answer ({why}):\n{}", String::from_utf8_lossy(&answer)))
    }

    /// A page as a browser opens it.
    pub async fn get_page(&self, path: &str, cookie: Option<&str>) -> Reply {
        self.send(Request::new("GET", path).header("Accept", "text/html").cookie(cookie)).await
    }

    /// A server function call as the hydrated app on one of the replica's own pages makes it.
    pub async fn call(&self, endpoint: &str, form: &str, cookie: Option<&str>) -> Reply {
        let request = Request::new("POST", &format!("/api/{endpoint}"))
            .header("Origin", &self.url())
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .cookie(cookie)
            .body(form);
        self.send(request).await
    }

    /// A REST API call as a script makes it: an API token, no cookie, no `Origin`.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        secret: &str,
        if_match: Option<&str>,
        json: Option<&str>,
    ) -> Reply {
        let mut request = Request::new(method, path)
            .header("Authorization", &format!("APIKey {secret}"))
            .header("Accept", "application/json");
        if let Some(version) = if_match {
            request = request.header("If-Match", version);
        }
        if let Some(json) = json {
            request = request.header("Content-Type", "application/json").body(json);
        }
        self.send(request).await
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

pub struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    pub fn new(method: &str, target: &str) -> Self {
        Self { method: method.to_owned(), target: target.to_owned(), headers: Vec::new(), body: String::new() }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn cookie(self, cookie: Option<&str>) -> Self {
        match cookie {
            Some(cookie) => self.header("Cookie", cookie),
            None => self,
        }
    }

    pub fn body(mut self, body: &str) -> Self {
        self.body = body.to_owned();
        self
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// In the order received, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// Reads one whole HTTP/1.1 answer: status line, headers, then a body sized by
    /// `Transfer-Encoding: chunked`, `Content-Length`, or the end of the connection.
    pub fn parse(answer: &[u8]) -> Result<Reply, String> {
        let end_of_head = find(answer, b"\r\n\r\n").ok_or("no end of the header section")?;
        let head = std::str::from_utf8(&answer[..end_of_head]).map_err(|_| "the head is not UTF-8")?;
        let rest = &answer[end_of_head + 4..];
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        if !parts.next().is_some_and(|version| version.starts_with("HTTP/1.")) {
            return Err(format!("not an HTTP/1.x status line: {status_line:?}"));
        }
        let status = parts
            .next()
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| format!("no status code in {status_line:?}"))?;
        let headers = lines
            .map(|line| {
                line.split_once(':')
                    .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
                    .ok_or_else(|| format!("not a header: {line:?}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut reply = Reply { status, headers, body: String::new() };
        let chunked = reply
            .header("transfer-encoding")
            .is_some_and(|coding| coding.to_ascii_lowercase().split(',').any(|c| c.trim() == "chunked"));
        let body = if chunked {
            dechunk(rest)?
        } else if let Some(length) = reply.header("content-length") {
            let length = length.parse::<usize>().map_err(|_| format!("Content-Length {length:?}"))?;
            if rest.len() < length {
                return Err(format!("the body ended after {} of {length} bytes", rest.len()));
            }
            rest[..length].to_vec()
        } else {
            rest.to_vec()
        };
        reply.body = String::from_utf8(body).map_err(|_| "the body is not UTF-8")?;
        Ok(reply)
    }

    /// The first header named `name`, whatever its case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// Every header named `name`, whatever its case, in order (`Set-Cookie` comes several times).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// `name=value` of the portal's session cookie, as a browser sends it back.
    pub fn session_cookie(&self) -> Option<String> {
        self.all("set-cookie")
            .map(|cookie| cookie.split(';').next().unwrap_or_default().trim())
            .find(|pair| pair.starts_with("portal_session=") || pair.starts_with("__Host-portal_session="))
            .map(str::to_owned)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("not JSON ({error}): {self:?}"))
    }

    /// The ETag's version: `"7"` is 7.
    pub fn etag_version(&self) -> i64 {
        let etag = self.header("etag").unwrap_or_else(|| panic!("no ETag: {self:?}"));
        etag.trim_matches('"').parse().unwrap_or_else(|_| panic!("an ETag that is not a version: {etag}"))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// The body of a chunked message: `<hex size>[;ext]\r\n<bytes>\r\n`… until a zero size.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n").ok_or("a chunk size line without its end")?;
        let line = std::str::from_utf8(&rest[..line_end]).map_err(|_| "a chunk size that is not text")?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| format!("chunk size {line:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            // Trailers, if any, are of no interest here.
            return Ok(body);
        }
        if rest.len() < size + 2 {
            return Err(format!("a chunk of {size} bytes cut short at {}", rest.len()));
        }
        if &rest[size..size + 2] != b"\r\n" {
            return Err("a chunk not followed by CRLF".to_owned());
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::Reply;

    #[test]
    fn chunked_and_sized_bodies_and_repeated_headers_are_read() {
        let chunked = b"HTTP/1.1 200 OK\r\nset-cookie: a=1; Path=/\r\nTransfer-Encoding: chunked\r\nSet-Cookie: portal_session=xyz; HttpOnly\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
        let reply = Reply::parse(chunked).unwrap();
        assert_eq!((reply.status, reply.body.as_str()), (200, "hello, world"));
        assert_eq!(reply.all("SET-COOKIE").count(), 2);
        assert_eq!(reply.session_cookie().as_deref(), Some("portal_session=xyz"));

        let sized = b"HTTP/1.1 409 Conflict\r\nContent-Length: 2\r\nETag: \"41\"\r\n\r\n{}";
        let reply = Reply::parse(sized).unwrap();
        assert_eq!((reply.status, reply.body.as_str(), reply.etag_version()), (409, "{}", 41));

        assert!(Reply::parse(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").is_err());
        assert!(Reply::parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel").is_err());
    }
}
