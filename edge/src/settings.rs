//! The edge's settings, from the environment, with defaults for a portal and an edge on one machine.

use edge_feed::{MIN_TOKEN_LEN, TOKEN_VAR};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Where visitors connect over HTTP.
    pub listen: SocketAddr,
    /// Where visitors connect over HTTPS (each resource's certificate chosen by SNI); `None`
    /// serves no HTTPS.
    pub tls_listen: Option<SocketAddr>,
    /// Where `/metrics` and `/healthz` are served; keep it off the public network.
    pub admin_listen: SocketAddr,
    pub feed: FeedSettings,
    /// The last configuration applied, to start from when the portal cannot be reached.
    pub state_file: PathBuf,
    pub timeouts: Timeouts,
}

#[derive(Clone, Debug)]
pub struct FeedSettings {
    /// The portal's base address, such as `http://127.0.0.1:3000`.
    pub portal_url: String,
    /// The secret that the portal and its edges share; never a customer's session.
    pub token: String,
    /// This edge's name in the portal's reports.
    pub edge_id: String,
    /// How long the portal may hold a request for changes before answering "nothing new".
    pub long_poll: Duration,
}

#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// To open a connection to an origin; past it, 502.
    pub connect: Duration,
    /// For an origin's answer (response head, or the handshake's answer); past it, 504. Also the
    /// longest pause within an answer's body; past it, the visitor's connection ends.
    pub response: Duration,
    /// A tunnel with no byte in either direction for this long is closed.
    pub tunnel_idle: Duration,
    /// An origin that could not be connected to (refused, unreachable, or past `connect`) is
    /// skipped for this long: the other origins of its group serve, then it is tried again.
    /// nginx's `fail_timeout` with `max_fails=1` (<https://nginx.org/r/server>), whose default,
    /// 10 s, it takes. Every origin skipped: they are all tried anyway. Zero: never skipped, each
    /// request tries it again (nginx's `max_fails=0`).
    pub origin_fail: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            response: Duration::from_secs(30),
            tunnel_idle: Duration::from_secs(100),
            origin_fail: crate::origins::DEFAULT_FAIL_TIME,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{name} must be an address such as 127.0.0.1:8080, got {value:?}")]
    Address { name: &'static str, value: String },
    #[error("EDGE_TLS_LISTEN must be an address such as 127.0.0.1:8443, or off, got {0:?}")]
    TlsAddress(String),
    #[error("{name} must be a whole number of milliseconds from 1, got {value:?}")]
    Millis { name: &'static str, value: String },
    #[error("{name} must be a whole number of milliseconds (0 for never), got {value:?}")]
    MillisOrNever { name: &'static str, value: String },
    #[error("EDGE_PORTAL_URL must start with http://, got {0:?}")]
    PortalUrl(String),
    #[error("{TOKEN_VAR} must be set to the portal's edge feed token (at least {MIN_TOKEN_LEN} characters)")]
    Token,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
    }

    pub fn from_vars(env: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let address = |name: &'static str, default: &str| {
            let value = env(name).unwrap_or_else(|| default.to_owned());
            value.parse::<SocketAddr>().map_err(|_| SettingsError::Address { name, value })
        };
        let millis = |name: &'static str, default: Duration| match env(name) {
            None => Ok(default),
            Some(value) => match value.parse::<u64>() {
                Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
                _ => Err(SettingsError::Millis { name, value }),
            },
        };
        let millis_or_never = |name: &'static str, default: Duration| match env(name) {
            None => Ok(default),
            Some(value) => value
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| SettingsError::MillisOrNever { name, value }),
        };
        let portal_url = env("EDGE_PORTAL_URL").unwrap_or_else(|| "http://127.0.0.1:3000".to_owned());
        if !portal_url.starts_with("http://") {
            return Err(SettingsError::PortalUrl(portal_url));
        }
        let token = env(TOKEN_VAR).filter(|token| edge_feed::is_long_enough(token)).ok_or(SettingsError::Token)?;
        let defaults = Timeouts::default();
        // HTTPS is served unless turned off in so many words: a typo must not quietly leave
        // every customer's HTTPS unserved.
        let tls_listen = match env("EDGE_TLS_LISTEN") {
            Some(value) if value == "off" => None,
            Some(value) => Some(value.parse::<SocketAddr>().map_err(|_| SettingsError::TlsAddress(value))?),
            None => Some(SocketAddr::from(([127, 0, 0, 1], 8443))),
        };
        Ok(Self {
            listen: address("EDGE_LISTEN", "127.0.0.1:8080")?,
            tls_listen,
            admin_listen: address("EDGE_ADMIN_LISTEN", "127.0.0.1:9080")?,
            feed: FeedSettings {
                portal_url: portal_url.trim_end_matches('/').to_owned(),
                token,
                edge_id: env("EDGE_ID").unwrap_or_else(|| "edge-1".to_owned()),
                long_poll: millis("EDGE_LONG_POLL_MS", Duration::from_secs(25))?,
            },
            state_file: PathBuf::from(env("EDGE_STATE_FILE").unwrap_or_else(|| "data/edge-config.json".to_owned())),
            timeouts: Timeouts {
                connect: millis("EDGE_CONNECT_TIMEOUT_MS", defaults.connect)?,
                response: millis("EDGE_RESPONSE_TIMEOUT_MS", defaults.response)?,
                tunnel_idle: millis("EDGE_TUNNEL_IDLE_MS", defaults.tunnel_idle)?,
                origin_fail: millis_or_never("EDGE_ORIGIN_FAIL_MS", defaults.origin_fail)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::from_vars(|name| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string()))
    }

    #[test]
    fn defaults_suit_one_machine_and_everything_is_configurable() {
        let token = ("EDGE_FEED_TOKEN", "0123456789abcdef");
        let defaults = settings(&[token]).unwrap();
        assert_eq!(defaults.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(defaults.tls_listen.map(|addr| addr.to_string()).as_deref(), Some("127.0.0.1:8443"));
        assert_eq!(defaults.timeouts.tunnel_idle, Duration::from_secs(100));
        assert_eq!(defaults.timeouts.origin_fail, Duration::from_secs(10));
        assert_eq!(defaults.feed.portal_url, "http://127.0.0.1:3000");
        let custom = settings(&[
            token,
            ("EDGE_LISTEN", "0.0.0.0:80"),
            ("EDGE_TLS_LISTEN", "0.0.0.0:443"),
            ("EDGE_TUNNEL_IDLE_MS", "250"),
            ("EDGE_ORIGIN_FAIL_MS", "300"),
            ("EDGE_PORTAL_URL", "http://portal:3000/"),
        ])
        .unwrap();
        assert_eq!(custom.listen.port(), 80);
        assert_eq!(custom.tls_listen.map(|addr| addr.port()), Some(443));
        assert_eq!(settings(&[token, ("EDGE_TLS_LISTEN", "off")]).unwrap().tls_listen, None);
        assert_eq!(custom.timeouts.tunnel_idle, Duration::from_millis(250));
        assert_eq!(custom.timeouts.origin_fail, Duration::from_millis(300));
        assert_eq!(custom.feed.portal_url, "http://portal:3000");
    }

    #[test]
    fn nonsense_and_missing_tokens_are_refused() {
        assert!(matches!(settings(&[]), Err(SettingsError::Token)));
        assert!(matches!(settings(&[("EDGE_FEED_TOKEN", "short")]), Err(SettingsError::Token)));
        let token = ("EDGE_FEED_TOKEN", "0123456789abcdef");
        assert!(settings(&[token, ("EDGE_LISTEN", "localhost")]).is_err());
        assert!(matches!(settings(&[token, ("EDGE_TLS_LISTEN", "no")]), Err(SettingsError::TlsAddress(_))));
        assert!(settings(&[token, ("EDGE_CONNECT_TIMEOUT_MS", "0")]).is_err());
        assert!(settings(&[token, ("EDGE_ORIGIN_FAIL_MS", "-1")]).is_err());
        let never = settings(&[token, ("EDGE_ORIGIN_FAIL_MS", "0")]).unwrap();
        assert_eq!(never.timeouts.origin_fail, Duration::ZERO, "0: an origin is never skipped");
        assert!(settings(&[token, ("EDGE_PORTAL_URL", "https://portal.example.com")]).is_err());
    }
}
