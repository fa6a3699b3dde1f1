use super::certificates::sealing::{KeySealer, SealingConfigError};
use super::client_address::{
    FORWARDED_HEADER_VAR, ForwardedHeader, ProxySettings, TRUSTED_PROXIES_VAR, TrustedProxies,
};
use super::limits::{AbuseLimits, DEFAULT_API_BURST, DEFAULT_API_REQUESTS_PER_SECOND, Rate};
use ::edge_feed::{MIN_TOKEN_LEN, TOKEN_VAR};
use leptos::config::LeptosOptions;
use std::sync::Arc;
use std::time::Duration;

/// Settings read from the environment at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    /// Create the demo account and its resources when the database has no accounts yet.
    pub seed_demo: bool,
    /// The certificate the demo account gets, with HTTPS on for its resources
    /// (`SEED_DEMO_CERTIFICATE` and `SEED_DEMO_PRIVATE_KEY`: paths of PEM files, both or neither;
    /// `make run` makes them with `scripts/demo-certificate.sh`).
    pub demo_certificate: Option<DemoCertificate>,
    pub security: SecuritySettings,
    /// Seals SSL private keys at rest (`SSL_KEY_ENCRYPTION_KEY`, `SSL_KEY_ENCRYPTION_OLD_KEYS`):
    /// see `certificates::sealing`.
    pub key_sealer: Arc<KeySealer>,
    pub leptos: LeptosOptions,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/portal.db";

/// How the portal guards sessions, log-in and changes. The defaults suit development on
/// plain-HTTP localhost; production sets `PORTAL_ENV=production` and `PORTAL_PUBLIC_URL`.
#[derive(Clone, Debug)]
pub struct SecuritySettings {
    /// The address customers open the portal at. Requests that change something must come from
    /// pages of this origin; without it, from pages of the host the request was sent to.
    pub public_origin: Option<PublicOrigin>,
    /// Session cookies only over HTTPS, named with the `__Host-` prefix.
    pub secure_cookies: bool,
    /// A session ends after this long without a request...
    pub session_idle_limit: Duration,
    /// ...and this long after log-in, however busy.
    pub session_lifetime: Duration,
    /// Log-in, sign-up and REST API limits, shared by every replica (`super::limits`).
    pub limits: AbuseLimits,
    pub password_hashing: PasswordHashLimits,
    /// Server function bodies are a few hundred bytes; anything past this is refused unread.
    pub max_request_body_bytes: usize,
    /// The secret CDN edges present to follow the configuration feed; the feed is off without it.
    pub edge_feed_token: Option<String>,
    /// The proxies (`TRUSTED_PROXIES`) whose forwarding header (`FORWARDED_HEADER`) tells the
    /// client address; by default none, and the client address is the TCP peer.
    pub proxies: ProxySettings,
}

/// How much Argon2 work the portal does at once (`passwords`), so that a flood of sign-ups or
/// wrong passwords slows those requests and not page loads and saves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordHashLimits {
    /// Hashes and verifications running at once, each on a thread of its own for tens of
    /// milliseconds with 19 MiB of memory (`PASSWORD_HASHES_AT_ONCE`).
    pub at_once: usize,
    /// Hashes and verifications waiting for a turn, beyond which one more is refused at once
    /// with [`AppError::Unavailable`](crate::error::AppError::Unavailable) (`PASSWORD_HASH_QUEUE`).
    pub queue: usize,
}

impl PasswordHashLimits {
    /// The most `PASSWORD_HASHES_AT_ONCE` may be: tokio's blocking pool runs at most 512 threads,
    /// so more would only wait there instead of in the portal's queue.
    pub const MAX_AT_ONCE: usize = 512;
    pub const MAX_QUEUE: usize = 100_000;
}

impl Default for PasswordHashLimits {
    fn default() -> Self {
        // Half the cores this process may use (its CPU affinity and cgroup quota, as
        // `available_parallelism` reads them), at least one: the other half stays for pages and
        // saves however many passwords arrive. On 2 cores, one hash at a time.
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            at_once: (cores / 2).max(1),
            // A waiting check holds a connection and its password (at most 1 KiB), not Argon2's
            // memory, so waiting is cheap; but at ~30 ms a hash, 64 in line on one core is about
            // 2 s, about as long as anyone at a log-in form should wait before being told to try
            // again. A longer line would only make every honest log-in slower during a flood.
            queue: 64,
        }
    }
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            public_origin: None,
            secure_cookies: false,
            session_idle_limit: Duration::from_secs(30 * 60),
            session_lifetime: Duration::from_secs(12 * 60 * 60),
            limits: AbuseLimits::default(),
            password_hashing: PasswordHashLimits::default(),
            max_request_body_bytes: 16 * 1024,
            edge_feed_token: None,
            proxies: ProxySettings::default(),
        }
    }
}

/// `scheme://host[:port]` as a browser writes it in the `Origin` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicOrigin(String);

impl PublicOrigin {
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::PublicUrl(url.to_owned());
        let uri = url.parse::<axum::http::Uri>().map_err(|_| invalid())?;
        let scheme = uri.scheme_str().map(str::to_ascii_lowercase).ok_or_else(invalid)?;
        let authority = uri.authority().ok_or_else(invalid)?;
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return Err(invalid()),
        };
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() || authority.as_str().contains('@') {
            return Err(invalid());
        }
        let host = authority.host().to_ascii_lowercase();
        Ok(Self(match authority.port_u16().filter(|port| *port != default_port) {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the Leptos settings: {0}")]
    Leptos(String),
    /// Only the scheme is repeated: the rest of the URL may hold a password.
    #[error("DATABASE_URL must be a sqlite:// or postgres:// URL, got one starting {0:?}")]
    UnsupportedDatabase(String),
    #[error("{name} must be true or false, got {value:?}")]
    Flag { name: &'static str, value: String },
    #[error("{name} must be a whole number from 1 to {max}, got {value:?}")]
    Number { name: &'static str, max: u64, value: String },
    #[error("PORTAL_ENV must be development or production, got {0:?}")]
    Environment(String),
    #[error("PORTAL_PUBLIC_URL must look like https://portal.example.com (scheme and host, nothing else), got {0:?}")]
    PublicUrl(String),
    #[error("with PORTAL_ENV=production, PORTAL_PUBLIC_URL must be set to the portal's https:// address")]
    ProductionNeedsHttps,
    #[error("{TOKEN_VAR} must be at least {MIN_TOKEN_LEN} characters long")]
    EdgeToken,
    #[error(
        "{TRUSTED_PROXIES_VAR} must list IP addresses and CIDR networks separated by commas \
         (like 10.0.0.0/8, 192.0.2.7, fd00::/8): {entry:?} {reason}"
    )]
    TrustedProxy { entry: String, reason: &'static str },
    #[error("{FORWARDED_HEADER_VAR} must be x-forwarded-for or forwarded, got {0:?}")]
    ForwardedHeader(String),
    #[error(transparent)]
    Sealing(#[from] SealingConfigError),
    #[error("SEED_DEMO_CERTIFICATE and SEED_DEMO_PRIVATE_KEY go together: set both or neither")]
    DemoCertificatePair,
    #[error("cannot read {path}: {source}")]
    DemoCertificateFile { path: String, source: std::io::Error },
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
        if !database_url.starts_with("sqlite:") && !super::db::is_postgres_url(&database_url) {
            let scheme = database_url.split(':').next().unwrap_or_default().chars().take(20).collect();
            return Err(ConfigError::UnsupportedDatabase(scheme));
        }
        let seed_demo = flag(env, "SEED_DEMO")?;
        let demo_certificate = DemoCertificate::from_vars(env)?;
        let leptos = leptos_options()?;
        let security = SecuritySettings::from_vars(env)?;
        // PORTAL_ENV was checked by the security settings.
        let production = env("PORTAL_ENV").as_deref() == Some("production");
        let key_sealer = Arc::new(KeySealer::from_vars(env, production)?);
        Ok(Self { database_url, seed_demo, demo_certificate, security, key_sealer, leptos })
    }
}

/// The demo account's certificate and key, PEM, as read from their files at start-up.
#[derive(Clone)]
pub struct DemoCertificate {
    pub chain: String,
    pub private_key: String,
}

impl std::fmt::Debug for DemoCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Config is Debug; a private key never reaches a log, even a demo one.
        f.debug_struct("DemoCertificate").finish_non_exhaustive()
    }
}

impl DemoCertificate {
    fn from_vars(env: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let read = |path: String| {
            std::fs::read_to_string(&path).map_err(|source| ConfigError::DemoCertificateFile { path, source })
        };
        match (env("SEED_DEMO_CERTIFICATE"), env("SEED_DEMO_PRIVATE_KEY")) {
            (None, None) => Ok(None),
            (Some(chain), Some(private_key)) => Ok(Some(Self { chain: read(chain)?, private_key: read(private_key)? })),
            _ => Err(ConfigError::DemoCertificatePair),
        }
    }
}

impl SecuritySettings {
    /// Reads the settings from `vars`, the environment in production (a parameter for tests).
    fn from_vars(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let production = match env("PORTAL_ENV").as_deref() {
            None | Some("development") => false,
            Some("production") => true,
            Some(other) => return Err(ConfigError::Environment(other.to_owned())),
        };
        let public_origin = env("PORTAL_PUBLIC_URL").as_deref().map(PublicOrigin::parse).transpose()?;
        let https = public_origin.as_ref().is_some_and(PublicOrigin::is_https);
        if production && !https {
            return Err(ConfigError::ProductionNeedsHttps);
        }
        let defaults = Self::default();
        let minutes = |name, default: Duration, max| {
            Ok::<_, ConfigError>(number(&env, name, max)?.map_or(default, |n| Duration::from_secs(n * 60)))
        };
        Ok(Self {
            public_origin,
            secure_cookies: https,
            session_idle_limit: minutes("SESSION_IDLE_MINUTES", defaults.session_idle_limit, 7 * 24 * 60)?,
            session_lifetime: minutes("SESSION_LIFETIME_MINUTES", defaults.session_lifetime, 30 * 24 * 60)?,
            limits: abuse_limits(&env, &defaults.limits)?,
            password_hashing: PasswordHashLimits {
                at_once: number(&env, "PASSWORD_HASHES_AT_ONCE", PasswordHashLimits::MAX_AT_ONCE as u64)?
                    .map_or(defaults.password_hashing.at_once, |n| n as usize),
                queue: number(&env, "PASSWORD_HASH_QUEUE", PasswordHashLimits::MAX_QUEUE as u64)?
                    .map_or(defaults.password_hashing.queue, |n| n as usize),
            },
            max_request_body_bytes: defaults.max_request_body_bytes,
            edge_feed_token: match env(TOKEN_VAR) {
                Some(token) if !::edge_feed::is_long_enough(&token) => return Err(ConfigError::EdgeToken),
                token => token,
            },
            proxies: ProxySettings {
                trusted: env(TRUSTED_PROXIES_VAR)
                    .as_deref()
                    .map(TrustedProxies::parse)
                    .transpose()?
                    .unwrap_or_default(),
                header: env(FORWARDED_HEADER_VAR)
                    .as_deref()
                    .map(ForwardedHeader::parse)
                    .transpose()?
                    .unwrap_or_default(),
            },
        })
    }
}

/// Each limit's rate from its variables, or its default. The windows of the log-in limits and of
/// failed API token checks are a minute; those of sign-ups are configurable, being much longer.
fn abuse_limits(env: impl Fn(&str) -> Option<String>, defaults: &AbuseLimits) -> Result<AbuseLimits, ConfigError> {
    let minute = Duration::from_secs(60);
    let count = |name, default: Rate| {
        Ok::<_, ConfigError>(number(&env, name, 1_000_000)?.map_or(default.burst(), |n| n as u32))
    };
    let per_minute = |name, default| Ok::<_, ConfigError>(Rate::per_window(count(name, default)?, minute));
    let sign_up_window = number(&env, "SIGN_UP_WINDOW_MINUTES", 7 * 24 * 60)?
        .map_or(defaults.sign_up_per_client_address.window(), |minutes| Duration::from_secs(minutes * 60));
    let api_per_second = number(&env, "API_REQUESTS_PER_SECOND", 100_000)?;
    let api_burst = number(&env, "API_BURST", 1_000_000)?;
    let api_requests_per_token = match (api_per_second, api_burst) {
        (None, None) => defaults.api_requests_per_token,
        (per_second, burst) => Rate::per_second(
            per_second.map_or(DEFAULT_API_REQUESTS_PER_SECOND, |n| n as u32),
            burst.map_or(DEFAULT_API_BURST, |n| n as u32),
        ),
    };
    Ok(AbuseLimits {
        log_in_per_account: per_minute("LOG_IN_ATTEMPTS_PER_ACCOUNT", defaults.log_in_per_account)?,
        log_in_per_client_address: per_minute(
            "LOG_IN_ATTEMPTS_PER_CLIENT_ADDRESS",
            defaults.log_in_per_client_address,
        )?,
        sign_up_per_client_address: Rate::per_window(
            count("SIGN_UPS_PER_CLIENT_ADDRESS", defaults.sign_up_per_client_address)?,
            sign_up_window,
        ),
        api_requests_per_token,
        api_token_failures_per_client_address: per_minute(
            "API_TOKEN_FAILURES_PER_CLIENT_ADDRESS",
            defaults.api_token_failures_per_client_address,
        )?,
    })
}

/// The portal's `[package.metadata.leptos]`, compiled in: the one place its launch settings are written.
const CARGO_TOML: &str = include_str!("../../Cargo.toml");

/// Leptos' settings: those in `[package.metadata.leptos]` (the site root `target/site`, relative to
/// the working directory, the bundle name `cdn-portal`, the address 127.0.0.1:3000), each
/// overridden by its `LEPTOS_*` variable if set (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, ...).
/// cargo-leptos reads the same section to build, so the portal starts without any variable in the
/// directory it was built in. `env` stays at Leptos' default, `DEV`: neither Leptos 0.8 nor the
/// portal reads it. An unparsable variable is a `ConfigError::Leptos`.
pub fn leptos_options() -> Result<LeptosOptions, ConfigError> {
    leptos::config::get_config_from_str(CARGO_TOML).map_err(|error| ConfigError::Leptos(error.to_string()))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn flag(env: impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match env(name).as_deref() {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ConfigError::Flag { name, value: other.to_owned() }),
    }
}

fn number(env: impl Fn(&str) -> Option<String>, name: &'static str, max: u64) -> Result<Option<u64>, ConfigError> {
    env(name)
        .map(|value| match value.parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ConfigError::Number { name, max, value }),
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<SecuritySettings, ConfigError> {
        SecuritySettings::from_vars(|name| {
            vars.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn development_defaults_work_over_plain_http() {
        let defaults = settings(&[]).unwrap();
        assert!(!defaults.secure_cookies);
        assert_eq!(defaults.public_origin, None);
        assert_eq!(defaults.session_idle_limit, Duration::from_secs(30 * 60));
        assert_eq!(defaults.session_lifetime, Duration::from_secs(12 * 60 * 60));
        assert_eq!(defaults.limits, AbuseLimits::default());
        assert_eq!(
            (defaults.limits.log_in_per_account.burst(), defaults.limits.log_in_per_client_address.burst()),
            (5, 20)
        );
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(defaults.password_hashing, PasswordHashLimits { at_once: (cores / 2).max(1), queue: 64 });
    }

    #[test]
    fn password_hashing_limits_are_configurable_and_nonsense_is_refused() {
        let custom = settings(&[("PASSWORD_HASHES_AT_ONCE", "3"), ("PASSWORD_HASH_QUEUE", "10")]).unwrap();
        assert_eq!(custom.password_hashing, PasswordHashLimits { at_once: 3, queue: 10 });
        for (name, value) in [
            ("PASSWORD_HASHES_AT_ONCE", "0"),
            ("PASSWORD_HASHES_AT_ONCE", "513"),
            ("PASSWORD_HASHES_AT_ONCE", "half"),
            ("PASSWORD_HASH_QUEUE", "0"),
            ("PASSWORD_HASH_QUEUE", "-5"),
            ("PASSWORD_HASH_QUEUE", "100001"),
        ] {
            assert!(
                matches!(settings(&[(name, value)]), Err(ConfigError::Number { name: refused, .. }) if refused == name),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn https_or_production_means_secure_cookies_and_production_insists_on_https() {
        let https = settings(&[("PORTAL_PUBLIC_URL", "https://portal.example.com")]).unwrap();
        assert!(https.secure_cookies);
        let production =
            settings(&[("PORTAL_ENV", "production"), ("PORTAL_PUBLIC_URL", "https://portal.example.com")]).unwrap();
        assert!(production.secure_cookies);
        assert!(matches!(settings(&[("PORTAL_ENV", "production")]), Err(ConfigError::ProductionNeedsHttps)));
        assert!(matches!(
            settings(&[("PORTAL_ENV", "production"), ("PORTAL_PUBLIC_URL", "http://portal.example.com")]),
            Err(ConfigError::ProductionNeedsHttps)
        ));
        assert!(!settings(&[("PORTAL_PUBLIC_URL", "http://127.0.0.1:3000")]).unwrap().secure_cookies);
    }

    #[test]
    fn limits_are_configurable_and_nonsense_is_refused() {
        let custom = settings(&[
            ("SESSION_IDLE_MINUTES", "5"),
            ("SESSION_LIFETIME_MINUTES", "60"),
            ("LOG_IN_ATTEMPTS_PER_ACCOUNT", "3"),
            ("LOG_IN_ATTEMPTS_PER_CLIENT_ADDRESS", "50"),
            ("SIGN_UPS_PER_CLIENT_ADDRESS", "2"),
            ("SIGN_UP_WINDOW_MINUTES", "10"),
            ("API_REQUESTS_PER_SECOND", "4"),
            ("API_TOKEN_FAILURES_PER_CLIENT_ADDRESS", "7"),
        ])
        .unwrap();
        assert_eq!(custom.session_idle_limit, Duration::from_secs(300));
        assert_eq!(custom.session_lifetime, Duration::from_secs(3600));
        let minute = Duration::from_secs(60);
        assert_eq!(
            custom.limits,
            AbuseLimits {
                log_in_per_account: Rate::per_window(3, minute),
                log_in_per_client_address: Rate::per_window(50, minute),
                sign_up_per_client_address: Rate::per_window(2, Duration::from_secs(600)),
                api_requests_per_token: Rate::per_second(4, DEFAULT_API_BURST),
                api_token_failures_per_client_address: Rate::per_window(7, minute),
            }
        );
        for (name, value) in [
            ("SESSION_IDLE_MINUTES", "0"),
            ("SESSION_LIFETIME_MINUTES", "12h"),
            ("LOG_IN_ATTEMPTS_PER_ACCOUNT", "-1"),
            ("SIGN_UP_WINDOW_MINUTES", "0"),
            ("API_REQUESTS_PER_SECOND", "100001"),
            ("API_BURST", "many"),
            ("PORTAL_ENV", "prod"),
        ] {
            assert!(settings(&[(name, value)]).is_err(), "{name}={value}");
        }
    }

    #[test]
    fn trusted_proxies_and_their_header_are_configurable_and_nonsense_is_refused() {
        let defaults = settings(&[]).unwrap();
        assert!(defaults.proxies.trusted.is_empty());
        assert_eq!(defaults.proxies.header, ForwardedHeader::XForwardedFor);
        let behind =
            settings(&[("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7, fd00::/8"), ("FORWARDED_HEADER", "Forwarded")])
                .unwrap();
        assert!(behind.proxies.trusted.contains("10.1.2.3".parse().unwrap()));
        assert!(behind.proxies.trusted.contains("192.0.2.7".parse().unwrap()));
        assert!(behind.proxies.trusted.contains("fd00::1".parse().unwrap()));
        assert!(!behind.proxies.trusted.contains("192.0.2.8".parse().unwrap()));
        assert_eq!(behind.proxies.header, ForwardedHeader::Forwarded);
        match settings(&[("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.300")]) {
            Err(error @ ConfigError::TrustedProxy { .. }) => {
                assert!(
                    error.to_string().starts_with("TRUSTED_PROXIES ") && error.to_string().contains("\"192.0.2.300\"")
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(settings(&[("TRUSTED_PROXIES", "0.0.0.0/0")]), Err(ConfigError::TrustedProxy { .. })));
        match settings(&[("FORWARDED_HEADER", "x-real-ip")]) {
            Err(error @ ConfigError::ForwardedHeader(_)) => {
                assert!(error.to_string().starts_with("FORWARDED_HEADER ") && error.to_string().contains("x-real-ip"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn leptos_settings_come_from_the_manifest_that_cargo_leptos_builds_with() {
        let options = leptos::config::get_config_from_str(CARGO_TOML).unwrap();
        assert_eq!(&*options.output_name, "cdn-portal");
        assert_eq!(&*options.site_root, "target/site");
        assert_eq!(&*options.site_pkg_dir, "pkg");
    }

    #[test]
    fn a_public_url_becomes_the_origin_browsers_send() {
        let origin = PublicOrigin::parse("HTTPS://Portal.Example.com:443/").unwrap();
        assert_eq!(origin.as_str(), "https://portal.example.com");
        assert!(origin.is_https());
        assert_eq!(PublicOrigin::parse("http://127.0.0.1:3000").unwrap().as_str(), "http://127.0.0.1:3000");
        for bad in [
            "portal.example.com",
            "ftp://portal.example.com",
            "https://portal.example.com/cdn",
            "https://user@portal.example.com",
            "",
        ] {
            assert!(PublicOrigin::parse(bad).is_err(), "{bad}");
        }
    }
}
