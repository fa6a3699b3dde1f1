//! Limits on log-in attempts, so that passwords cannot be guessed at speed: per email address
//! tried and per client address, over a sliding window. Counted in this process's memory.

use super::config::LogInLimits;
use crate::domain::EmailAddress;
use crate::error::AppError;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LogInLimiter {
    limits: LogInLimits,
    attempts: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// Any email tried, with or without an account, so that the limit reveals nothing.
    Account(String),
    ClientAddress(IpAddr),
}

/// Beyond this many keys, those with no recent attempt are forgotten.
const KEYS_KEPT: usize = 10_000;

/// An attempt counted against the limits until it turns out to have succeeded.
#[must_use]
pub struct Attempt<'a> {
    limiter: &'a LogInLimiter,
    keys: Vec<Key>,
    at: Instant,
}

impl LogInLimiter {
    pub fn new(limits: LogInLimits) -> Self {
        Self { limits, attempts: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt to log in as `email` from `client`, or refuses it when either has used
    /// up its attempts. Counting before the password is checked keeps a burst of parallel
    /// guesses within the limit too.
    pub fn begin(&self, email: &str, client: Option<IpAddr>) -> Result<Attempt<'_>, AppError> {
        let mut keys = vec![(Key::Account(account_key(email)), self.limits.per_account)];
        if let Some(client) = client {
            keys.push((Key::ClientAddress(client), self.limits.per_client_address));
        }
        let now = Instant::now();
        let mut attempts = self.attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if attempts.len() > KEYS_KEPT {
            attempts.retain(|_, times| times.back().is_some_and(|last| now.duration_since(*last) < self.limits.window));
        }
        let mut wait = Duration::ZERO;
        for (key, limit) in &keys {
            let times = attempts.entry(key.clone()).or_default();
            while times.front().is_some_and(|first| now.duration_since(*first) >= self.limits.window) {
                times.pop_front();
            }
            if times.len() >= *limit as usize {
                let oldest = times[times.len() - *limit as usize];
                wait = wait.max(self.limits.window.saturating_sub(now.duration_since(oldest)));
            }
        }
        if !wait.is_zero() {
            return Err(AppError::TooManyAttempts { retry_after_seconds: wait.as_secs_f64().ceil().max(1.0) as u64 });
        }
        let keys: Vec<Key> = keys.into_iter().map(|(key, _)| key).collect();
        for key in &keys {
            attempts.entry(key.clone()).or_default().push_back(now);
        }
        Ok(Attempt { limiter: self, keys, at: now })
    }
}

impl Attempt<'_> {
    /// A successful log-in does not count against anyone's limit.
    pub fn succeeded(self) {
        let mut attempts = self.limiter.attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for key in &self.keys {
            if let Some(times) = attempts.get_mut(key)
                && let Some(position) = times.iter().rposition(|at| *at == self.at)
            {
                times.remove(position);
            }
        }
    }
}

/// The same mailbox however it was typed; text that is no email address is counted as typed.
fn account_key(email: &str) -> String {
    EmailAddress::parse(email).map(|email| email.as_str().to_owned()).unwrap_or_else(|_| email.trim().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_account: u32, per_client_address: u32) -> LogInLimiter {
        LogInLimiter::new(LogInLimits { per_account, per_client_address, window: Duration::from_secs(60) })
    }

    const HOME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)));
    const ELSEWHERE: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7)));

    #[test]
    fn an_account_is_refused_after_its_failed_attempts_from_anywhere() {
        let limiter = limiter(3, 100);
        for _ in 0..3 {
            drop(limiter.begin("ada@example.com", HOME).unwrap());
        }
        let refused = limiter.begin("ADA@example.com", ELSEWHERE).err().unwrap();
        let AppError::TooManyAttempts { retry_after_seconds } = refused else { panic!("{refused:?}") };
        assert!((59..=60).contains(&retry_after_seconds), "{retry_after_seconds}");
        assert!(limiter.begin("grace@example.com", HOME).is_ok(), "other accounts are unaffected");
    }

    #[test]
    fn a_client_address_is_refused_after_its_failed_attempts_on_any_account() {
        let limiter = limiter(100, 3);
        for n in 0..3 {
            drop(limiter.begin(&format!("user{n}@example.com"), HOME).unwrap());
        }
        assert!(matches!(limiter.begin("new@example.com", HOME), Err(AppError::TooManyAttempts { .. })));
        assert!(limiter.begin("new@example.com", ELSEWHERE).is_ok());
    }

    #[test]
    fn successful_attempts_do_not_count() {
        let limiter = limiter(2, 2);
        for _ in 0..10 {
            limiter.begin("ada@example.com", HOME).unwrap().succeeded();
        }
        assert!(limiter.begin("ada@example.com", HOME).is_ok());
    }

    #[test]
    fn nonexistent_and_malformed_accounts_are_limited_alike() {
        let limiter = limiter(1, 100);
        drop(limiter.begin("  Not An Email ", HOME).unwrap());
        assert!(limiter.begin("not an email", HOME).is_err());
    }
}
