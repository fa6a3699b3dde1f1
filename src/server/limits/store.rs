//! Rate limits counted in the database (table `rate_limits`, migration 0008), so that every
//! replica of the portal shares them: two replicas together allow exactly what one allows.
//!
//! Each limited key keeps one number, its theoretical arrival time (GCRA, the generic cell rate
//! algorithm of ITU-T I.371; the `governor` crate and redis-cell count the same way): the moment
//! its allowance is whole again. Taking one event moves it `interval` later, and is allowed while
//! it stays within `burst × interval` of now. One conditional upsert does the check and the count
//! at once, so concurrent takes on any replica can never both get the last event (PostgreSQL locks
//! the row for `ON CONFLICT DO UPDATE`; SQLite runs one writer at a time). `governor` itself keeps
//! its state in one process's memory, which is exactly what this replaces.

use crate::error::AppError;
use crate::server::db::{Pool, on_db};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often something may happen: `burst` events at once, and the allowance refills steadily,
/// one event every `interval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    burst: u32,
    interval: Duration,
}

impl Rate {
    /// `count` events at once, refilled over `window`: on average `count` per `window`.
    /// `count` is at least 1 and `window` at least a microsecond per event.
    pub fn per_window(count: u32, window: Duration) -> Self {
        let count = count.max(1);
        Self { burst: count, interval: (window / count).max(Duration::from_micros(1)) }
    }

    /// `per_second` events a second on average, `burst` of them at once (both at least 1).
    pub fn per_second(per_second: u32, burst: u32) -> Self {
        Self { burst: burst.max(1), interval: Duration::from_secs(1) / per_second.max(1) }
    }

    /// Events allowed at once.
    pub fn burst(self) -> u32 {
        self.burst
    }

    /// The time over which a whole burst refills.
    pub fn window(self) -> Duration {
        self.interval * self.burst
    }

    fn interval_us(self) -> i64 {
        micros(self.interval)
    }

    fn tolerance_us(self) -> i64 {
        micros(self.interval * self.burst)
    }
}

/// Whether one more event may happen now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Not before this long from now.
    Refused {
        retry_after: Duration,
    },
}

/// The shared counters. Cheap to clone: it holds the pool.
#[derive(Clone, Debug)]
pub struct RateStore {
    pool: Pool,
}

impl RateStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Counts one event for `key` if `rate` allows it now, and says whether it did.
    pub async fn take(&self, key: &str, rate: Rate) -> Result<Verdict, AppError> {
        if self.count(key, rate, now_us()).await? {
            return Ok(Verdict::Allowed);
        }
        // The wait from the moment of the refusal, not from before the upsert waited its turn.
        self.refusal(key, rate, now_us()).await
    }

    /// Whether `rate` would allow one more event for `key` now, counting nothing.
    pub async fn check(&self, key: &str, rate: Rate) -> Result<Verdict, AppError> {
        Ok(verdict(self.state(key).await?, rate, now_us()))
    }

    /// Undoes one [`RateStore::take`] for `key` (an attempt that turned out not to count).
    pub async fn give_back(&self, key: &str, rate: Rate) -> Result<(), AppError> {
        on_db!(self.pool.db(), |e| sqlx::query("UPDATE rate_limits SET tat_us = tat_us - $1 WHERE key = $2")
            .bind(rate.interval_us())
            .bind(key)
            .execute(e)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Deletes the keys whose allowance is whole again: without a row they count the same.
    pub async fn forget_refilled(&self) -> Result<u64, AppError> {
        let deleted = on_db!(self.pool.db(), |e| sqlx::query("DELETE FROM rate_limits WHERE tat_us < $1")
            .bind(now_us())
            .execute(e)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(deleted)
    }

    /// [`RateStore::take`] with the clock reading `now` (microseconds since the Unix epoch).
    #[cfg(test)]
    async fn take_at(&self, key: &str, rate: Rate, now: i64) -> Result<Verdict, AppError> {
        if self.count(key, rate, now).await? { Ok(Verdict::Allowed) } else { self.refusal(key, rate, now).await }
    }

    /// Counts one event for `key` as of `now` if `rate` allows it, and says whether it did.
    async fn count(&self, key: &str, rate: Rate, now: i64) -> Result<bool, AppError> {
        // [`verdict`]'s rule in SQL, `AT` being the later of `now` and the key's `seen_us`.
        // `CASE` rather than MAX/GREATEST: the one spelling both databases accept. No row comes
        // back when the `WHERE` refuses the update: the event would go past the allowance.
        const AT: &str = "(CASE WHEN rate_limits.seen_us > $2 THEN rate_limits.seen_us ELSE $2 END)";
        let next = format!("(CASE WHEN rate_limits.tat_us > {AT} THEN rate_limits.tat_us ELSE {AT} END) + $3");
        let taken = on_db!(self.pool.db(), |e| sqlx::query_scalar::<_, i64>(&format!(
            "INSERT INTO rate_limits (key, tat_us, seen_us) VALUES ($1, $2 + $3, $2) \
             ON CONFLICT (key) DO UPDATE SET tat_us = {next}, seen_us = {AT} \
             WHERE {next} - {AT} <= $4 \
             RETURNING tat_us"
        ))
        .bind(key)
        .bind(now)
        .bind(rate.interval_us())
        .bind(rate.tolerance_us())
        .fetch_optional(e)
        .await)?;
        Ok(taken.is_some())
    }

    /// How long until `key` may have one more event, as of `now`. Read apart from the refusal, so
    /// another replica may have counted meanwhile: the wait is then a little short, and the retry
    /// is told to wait again.
    async fn refusal(&self, key: &str, rate: Rate, now: i64) -> Result<Verdict, AppError> {
        Ok(match verdict(self.state(key).await?, rate, now) {
            Verdict::Allowed => Verdict::Refused { retry_after: rate.interval },
            refused => refused,
        })
    }

    /// The key's arrival time and latest clock reading, if it has a row.
    async fn state(&self, key: &str) -> Result<Option<(i64, i64)>, AppError> {
        Ok(on_db!(self.pool.db(), |e| sqlx::query_as::<_, (i64, i64)>(
            "SELECT tat_us, seen_us FROM rate_limits WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(e)
        .await)?)
    }
}

/// GCRA's rule: one more event moves the arrival time `interval` past the later of it and now,
/// and is allowed while that stays within the tolerance of now. "Now" is never earlier than the
/// latest reading already counted for the key (`state`: arrival time, latest reading).
fn verdict(state: Option<(i64, i64)>, rate: Rate, now: i64) -> Verdict {
    let (arrival, seen) = state.unwrap_or((now, now));
    let now = now.max(seen);
    let next = arrival.max(now) + rate.interval_us();
    let over = next - now - rate.tolerance_us();
    if over <= 0 { Verdict::Allowed } else { Verdict::Refused { retry_after: Duration::from_micros(over as u64) } }
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX / 4)
}

fn now_us() -> i64 {
    micros(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::testing::fresh_database;

    const SECOND: i64 = 1_000_000;

    #[test]
    fn rates_spread_their_window_over_their_events() {
        let rate = Rate::per_window(5, Duration::from_secs(60));
        assert_eq!((rate.burst(), rate.interval, rate.window()), (5, Duration::from_secs(12), Duration::from_secs(60)));
        let rate = Rate::per_second(10, 50);
        assert_eq!((rate.burst(), rate.interval), (50, Duration::from_millis(100)));
        assert_eq!(Rate::per_second(0, 0), Rate::per_second(1, 1), "nonsense is clamped, never a division by zero");
    }

    #[tokio::test]
    async fn a_burst_is_allowed_then_one_event_per_interval() {
        let (pool, _guard) = fresh_database().await;
        let store = RateStore::new(pool);
        let rate = Rate::per_window(3, Duration::from_secs(30));
        for _ in 0..3 {
            assert_eq!(store.take_at("k", rate, 0).await.unwrap(), Verdict::Allowed);
        }
        assert_eq!(
            store.take_at("k", rate, 0).await.unwrap(),
            Verdict::Refused { retry_after: Duration::from_secs(10) }
        );
        assert_eq!(store.take_at("other", rate, 0).await.unwrap(), Verdict::Allowed, "keys are counted apart");
        assert_eq!(
            store.take_at("k", rate, 4 * SECOND).await.unwrap(),
            Verdict::Refused { retry_after: Duration::from_secs(6) }
        );
        assert_eq!(store.take_at("k", rate, 10 * SECOND).await.unwrap(), Verdict::Allowed);
        assert!(matches!(store.take_at("k", rate, 10 * SECOND).await.unwrap(), Verdict::Refused { .. }));
        // Long after, the whole burst again, and not more.
        for _ in 0..3 {
            assert_eq!(store.take_at("k", rate, 100 * SECOND).await.unwrap(), Verdict::Allowed);
        }
        assert!(matches!(store.take_at("k", rate, 100 * SECOND).await.unwrap(), Verdict::Refused { .. }));
    }

    #[tokio::test]
    async fn a_refused_event_is_not_counted_and_a_given_back_one_is_not_either() {
        let (pool, _guard) = fresh_database().await;
        let store = RateStore::new(pool);
        let rate = Rate::per_window(2, Duration::from_secs(2));
        store.take_at("k", rate, 0).await.unwrap();
        store.take_at("k", rate, 0).await.unwrap();
        for _ in 0..10 {
            assert!(matches!(store.take_at("k", rate, 0).await.unwrap(), Verdict::Refused { .. }));
        }
        assert_eq!(store.take_at("k", rate, SECOND).await.unwrap(), Verdict::Allowed, "refusals cost nothing");
        store.give_back("k", rate).await.unwrap();
        assert_eq!(store.take_at("k", rate, SECOND).await.unwrap(), Verdict::Allowed);
        assert!(matches!(store.take_at("k", rate, SECOND).await.unwrap(), Verdict::Refused { .. }));
    }

    #[tokio::test]
    async fn an_event_counted_late_with_an_earlier_clock_reading_takes_no_one_s_allowance() {
        let (pool, _guard) = fresh_database().await;
        let store = RateStore::new(pool);
        let rate = Rate::per_window(3, Duration::from_secs(30));
        assert_eq!(store.take_at("k", rate, 5 * SECOND).await.unwrap(), Verdict::Allowed);
        // Read the clock before the first, counted after it: the rest of the burst all the same.
        assert_eq!(store.take_at("k", rate, 5 * SECOND - 40_000).await.unwrap(), Verdict::Allowed);
        assert_eq!(store.take_at("k", rate, 5 * SECOND - 80_000).await.unwrap(), Verdict::Allowed);
        assert_eq!(
            store.take_at("k", rate, 5 * SECOND - 80_000).await.unwrap(),
            Verdict::Refused { retry_after: Duration::from_secs(10) }
        );
    }

    #[tokio::test]
    async fn concurrent_takes_never_pass_the_allowance() {
        let (pool, _guard) = fresh_database().await;
        let store = RateStore::new(pool);
        let rate = Rate::per_window(7, Duration::from_secs(3600));
        let takes = (0..40).map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.take("k", rate).await.unwrap() })
        });
        let verdicts = futures_util::future::join_all(takes).await;
        let allowed = verdicts.into_iter().filter(|verdict| *verdict.as_ref().unwrap() == Verdict::Allowed).count();
        assert_eq!(allowed, 7);
    }

    #[tokio::test]
    async fn keys_whose_allowance_is_whole_again_are_forgotten() {
        let (pool, _guard) = fresh_database().await;
        let store = RateStore::new(pool);
        store.take_at("long ago", Rate::per_second(1, 1), 0).await.unwrap();
        store.take("just now", Rate::per_window(1, Duration::from_secs(3600))).await.unwrap();
        assert_eq!(store.forget_refilled().await.unwrap(), 1);
        assert_eq!(store.check("long ago", Rate::per_second(1, 1)).await.unwrap(), Verdict::Allowed);
        assert!(matches!(
            store.check("just now", Rate::per_window(1, Duration::from_secs(3600))).await.unwrap(),
            Verdict::Refused { .. }
        ));
    }
}
