//! The portal's abuse limits, one door at a time: log-in (per email address tried and per client
//! address), sign-up (per client address) and the REST API (requests per token, failed token
//! checks per client address), as OWASP ASVS 5.0 asks (V6.3.1 against credential stuffing and
//! brute force; V2.4.1 against excessive calls). Counted in the database ([`store`]), so that
//! several replicas behind a load balancer allow together exactly what one allows.
//!
//! What is counted, and when:
//! - **log-in**: every attempt, before its password is checked (so a burst of parallel guesses is
//!   counted too), given back when it succeeds. Emails that have no account are counted alike, so a
//!   refusal reveals nothing; they are stored only as a hash.
//! - **sign-up**: every well-formed attempt, made or not: each costs an Argon2 hash, and each
//!   tells its sender whether the email was free (see `accounts::sign_up`).
//! - **REST API**: a client address past its failed token checks is refused before its token is
//!   looked at, so a refusal says nothing of whether the token exists; a request with a valid token
//!   then counts against that token's rate.

mod store;

pub use store::{Rate, RateStore, Verdict};

use crate::domain::EmailAddress;
use crate::error::{AppError, Limit};
use blake2::{Blake2s256, Digest};
use std::net::IpAddr;
use std::time::Duration;

/// The rate of every limit, read at start-up (`config.rs`; each variable and its default is in the
/// README's settings table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbuseLimits {
    /// Failed log-ins for one email address, from anywhere (`LOG_IN_ATTEMPTS_PER_ACCOUNT` a minute).
    pub log_in_per_account: Rate,
    /// Failed log-ins from one client address, on any account (`LOG_IN_ATTEMPTS_PER_CLIENT_ADDRESS`
    /// a minute); higher than per account: offices and mobile networks share one address.
    pub log_in_per_client_address: Rate,
    /// Sign-ups from one client address (`SIGN_UPS_PER_CLIENT_ADDRESS` per `SIGN_UP_WINDOW_MINUTES`).
    pub sign_up_per_client_address: Rate,
    /// REST API requests per token (`API_REQUESTS_PER_SECOND`, `API_BURST` at once).
    pub api_requests_per_token: Rate,
    /// REST API requests with a missing or invalid token from one client address
    /// (`API_TOKEN_FAILURES_PER_CLIENT_ADDRESS` a minute).
    pub api_token_failures_per_client_address: Rate,
}

/// REST API requests a second per token, on average, unless `API_REQUESTS_PER_SECOND` says
/// otherwise. Cloudflare allows 4 a second per token on average, Gcore documents no limit for its
/// CDN API; 10 carries any deploy script.
pub const DEFAULT_API_REQUESTS_PER_SECOND: u32 = 10;
/// REST API requests per token at once (`API_BURST`): enough to list and change a few pages of
/// resources without waiting.
pub const DEFAULT_API_BURST: u32 = 50;

impl Default for AbuseLimits {
    fn default() -> Self {
        let minute = Duration::from_secs(60);
        Self {
            log_in_per_account: Rate::per_window(5, minute),
            log_in_per_client_address: Rate::per_window(20, minute),
            // A household or an office signs up a few accounts, not dozens an hour.
            sign_up_per_client_address: Rate::per_window(5, Duration::from_secs(3600)),
            api_requests_per_token: Rate::per_second(DEFAULT_API_REQUESTS_PER_SECOND, DEFAULT_API_BURST),
            api_token_failures_per_client_address: Rate::per_window(20, minute),
        }
    }
}

/// The limits and their shared counters; one per process, in every request's context.
#[derive(Clone, Debug)]
pub struct Limits {
    store: RateStore,
    rates: AbuseLimits,
}

/// A log-in attempt counted against the limits until it turns out to have succeeded.
#[must_use = "a successful log-in must give its attempt back with `succeeded`"]
pub struct LogInAttempt<'a> {
    limits: &'a Limits,
    counted: Vec<(String, Rate)>,
}

impl Limits {
    pub fn new(store: RateStore, rates: AbuseLimits) -> Self {
        Self { store, rates }
    }

    pub fn rates(&self) -> &AbuseLimits {
        &self.rates
    }

    /// Counts an attempt to log in as `email` (as typed) from `client`, or refuses it with
    /// [`AppError::RateLimited`] when either has used up its attempts.
    pub async fn begin_log_in(&self, email: &str, client: Option<IpAddr>) -> Result<LogInAttempt<'_>, AppError> {
        let mut keys = Vec::with_capacity(2);
        if let Some(client) = client {
            keys.push((address_key("log-in", client), self.rates.log_in_per_client_address));
        }
        keys.push((account_key(email), self.rates.log_in_per_account));
        let mut attempt = LogInAttempt { limits: self, counted: Vec::with_capacity(2) };
        for (key, rate) in keys {
            if let Err(refused) = allowed(Limit::LogIn, self.store.take(&key, rate).await?) {
                // A refused attempt checks no password, so it costs no one any of their allowance.
                attempt.give_back().await?;
                return Err(refused);
            }
            attempt.counted.push((key, rate));
        }
        Ok(attempt)
    }

    /// Counts a sign-up from `client`, or refuses it when the address has used up its sign-ups.
    pub async fn sign_up(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        match client {
            Some(client) => allowed(
                Limit::SignUp,
                self.store.take(&address_key("sign-up", client), self.rates.sign_up_per_client_address).await?,
            ),
            None => Ok(()),
        }
    }

    /// Refuses an API request from `client` before its token is checked when the address has
    /// used up its failed checks, whatever token it carries this time.
    pub async fn api_token_check(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        match client {
            Some(client) => allowed(
                Limit::ApiTokenChecks,
                self.store
                    .check(&address_key("api-token", client), self.rates.api_token_failures_per_client_address)
                    .await?,
            ),
            None => Ok(()),
        }
    }

    /// Counts a failed token check from `client`. Checked by [`Limits::api_token_check`] and
    /// counted here, apart: a valid token costs one read, not two writes. So requests already in
    /// flight when the limit is reached are still checked: at most the client's concurrency more.
    pub async fn api_token_failed(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        if let Some(client) = client {
            self.store
                .take(&address_key("api-token", client), self.rates.api_token_failures_per_client_address)
                .await?;
        }
        Ok(())
    }

    /// Counts a request with the API token `token_id`, or refuses it past the token's rate.
    pub async fn api_request(&self, token_id: i64) -> Result<(), AppError> {
        allowed(
            Limit::ApiRequests,
            self.store.take(&format!("api/token/{token_id}"), self.rates.api_requests_per_token).await?,
        )
    }

    /// Deletes counters with nothing left to count (see [`RateStore::forget_refilled`]).
    pub async fn forget_refilled(&self) -> Result<u64, AppError> {
        self.store.forget_refilled().await
    }
}

impl LogInAttempt<'_> {
    /// A successful log-in does not count against anyone's limit.
    pub async fn succeeded(mut self) -> Result<(), AppError> {
        self.give_back().await
    }

    async fn give_back(&mut self) -> Result<(), AppError> {
        for (key, rate) in self.counted.drain(..) {
            self.limits.store.give_back(&key, rate).await?;
        }
        Ok(())
    }
}

fn allowed(limit: Limit, verdict: Verdict) -> Result<(), AppError> {
    match verdict {
        Verdict::Allowed => Ok(()),
        Verdict::Refused { retry_after } => Err(AppError::RateLimited {
            limit,
            retry_after_ms: u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX).max(1),
        }),
    }
}

/// The same mailbox however it was typed (text that is no email address is counted as typed),
/// kept as a hash: the table of counters holds no one's email address.
fn account_key(email: &str) -> String {
    let email = EmailAddress::parse(email)
        .map(|email| email.as_str().to_owned())
        .unwrap_or_else(|_| email.trim().to_lowercase());
    let digest = Blake2s256::digest(email.as_bytes());
    let hex: String = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
    format!("log-in/account/{hex}")
}

/// IPv6 clients by their /64 network (see `client_address::limit_key`).
fn address_key(door: &str, client: IpAddr) -> String {
    format!("{door}/address/{}", super::client_address::limit_key(client))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::testing::{ScratchDatabase, fresh_database};

    const HOME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)));
    const ELSEWHERE: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7)));

    fn rates(per_account: u32, per_client_address: u32) -> AbuseLimits {
        let minute = Duration::from_secs(60);
        AbuseLimits {
            log_in_per_account: Rate::per_window(per_account, minute),
            log_in_per_client_address: Rate::per_window(per_client_address, minute),
            ..AbuseLimits::default()
        }
    }

    async fn limits(rates: AbuseLimits) -> (Limits, ScratchDatabase) {
        let (pool, guard) = fresh_database().await;
        (Limits::new(RateStore::new(pool), rates), guard)
    }

    fn refused(result: Result<LogInAttempt<'_>, AppError>) -> u64 {
        match result {
            Err(AppError::RateLimited { limit: Limit::LogIn, retry_after_ms }) => retry_after_ms,
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("allowed"),
        }
    }

    #[tokio::test]
    async fn an_account_is_refused_after_its_failed_attempts_from_anywhere() {
        let (limits, _guard) = limits(rates(3, 100)).await;
        for _ in 0..3 {
            drop(limits.begin_log_in("ada@example.com", HOME).await.unwrap());
        }
        let wait = refused(limits.begin_log_in("ADA@example.com", ELSEWHERE).await);
        assert!((19_000..=20_000).contains(&wait), "one attempt comes back every 20 s: {wait}");
        assert!(limits.begin_log_in("grace@example.com", HOME).await.is_ok(), "other accounts are unaffected");
    }

    #[tokio::test]
    async fn a_client_address_is_refused_after_its_failed_attempts_on_any_account() {
        let (limits, _guard) = limits(rates(100, 3)).await;
        for n in 0..3 {
            drop(limits.begin_log_in(&format!("user{n}@example.com"), HOME).await.unwrap());
        }
        refused(limits.begin_log_in("new@example.com", HOME).await);
        assert!(limits.begin_log_in("new@example.com", ELSEWHERE).await.is_ok());
    }

    #[tokio::test]
    async fn an_ipv6_client_is_counted_by_its_64_network() {
        let (limits, _guard) = limits(rates(100, 2)).await;
        let address = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        drop(limits.begin_log_in("user1@example.com", address("2001:db8:1:2::1")).await.unwrap());
        drop(limits.begin_log_in("user2@example.com", address("2001:db8:1:2:ffff::9")).await.unwrap());
        refused(limits.begin_log_in("user3@example.com", address("2001:db8:1:2::abcd")).await);
        assert!(limits.begin_log_in("user3@example.com", address("2001:db8:1:3::1")).await.is_ok());
    }

    #[tokio::test]
    async fn successful_and_refused_attempts_do_not_count() {
        let (limits, _guard) = limits(rates(2, 2)).await;
        for _ in 0..10 {
            limits.begin_log_in("ada@example.com", HOME).await.unwrap().succeeded().await.unwrap();
        }
        drop(limits.begin_log_in("ada@example.com", HOME).await.unwrap());
        drop(limits.begin_log_in("ada@example.com", ELSEWHERE).await.unwrap());
        for _ in 0..5 {
            refused(limits.begin_log_in("ada@example.com", HOME).await);
        }
        // Refused on the account, the attempts gave HOME's allowance back: one is left there.
        assert!(limits.begin_log_in("grace@example.com", HOME).await.is_ok());
    }

    #[tokio::test]
    async fn nonexistent_and_malformed_accounts_are_limited_alike_and_stored_as_hashes() {
        let (limits, _guard) = limits(rates(1, 100)).await;
        drop(limits.begin_log_in("  Not An Email ", HOME).await.unwrap());
        refused(limits.begin_log_in("not an email", HOME).await);
        assert!(account_key("Ada@Example.com ").starts_with("log-in/account/"));
        assert_eq!(account_key("Ada@Example.com "), account_key("ada@example.com"));
        assert!(!account_key("ada@example.com").contains("ada"));
    }

    #[tokio::test]
    async fn sign_ups_and_api_requests_have_their_own_limits() {
        let (limits, _guard) = limits(AbuseLimits {
            sign_up_per_client_address: Rate::per_window(2, Duration::from_secs(3600)),
            api_requests_per_token: Rate::per_second(1, 3),
            api_token_failures_per_client_address: Rate::per_window(2, Duration::from_secs(60)),
            ..AbuseLimits::default()
        })
        .await;
        limits.sign_up(HOME).await.unwrap();
        limits.sign_up(HOME).await.unwrap();
        let Err(AppError::RateLimited { limit: Limit::SignUp, retry_after_ms }) = limits.sign_up(HOME).await else {
            panic!("a third sign-up within the hour")
        };
        assert!((1_790_000..=1_800_000).contains(&retry_after_ms), "{retry_after_ms}");
        limits.sign_up(ELSEWHERE).await.unwrap();

        for _ in 0..3 {
            limits.api_request(7).await.unwrap();
        }
        assert!(matches!(limits.api_request(7).await, Err(AppError::RateLimited { limit: Limit::ApiRequests, .. })));
        limits.api_request(8).await.unwrap();

        limits.api_token_check(HOME).await.unwrap();
        limits.api_token_failed(HOME).await.unwrap();
        limits.api_token_failed(HOME).await.unwrap();
        assert!(matches!(
            limits.api_token_check(HOME).await,
            Err(AppError::RateLimited { limit: Limit::ApiTokenChecks, .. })
        ));
        limits.api_token_check(ELSEWHERE).await.unwrap();
    }
}
