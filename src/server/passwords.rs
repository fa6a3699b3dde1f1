//! Password hashing with Argon2id (OWASP's first choice), off the async threads because each
//! hash deliberately costs tens of milliseconds of CPU and 19 MiB of memory.
//!
//! Every hash and every check (the dummy one for unknown accounts too, so that timing tells
//! nothing) takes a turn from one [`HashLimiter`] for the whole process: at most
//! [`PasswordHashLimits::at_once`] run at once, so a flood of sign-ups or wrong passwords leaves
//! the other cores to page loads and saves; at most [`PasswordHashLimits::queue`] wait, so a flood
//! cannot pile up connections and memory without end, and past that a request is refused at once
//! with [`AppError::Unavailable`] (503 with `Retry-After`).

use crate::domain::NewPassword;
use crate::error::AppError;
use crate::server::config::PasswordHashLimits;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};
use tokio::sync::Semaphore;

/// Anything longer is refused before hashing, so a huge body cannot buy a long hash.
const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes `password` with Argon2id and a fresh salt: the PHC string (`$argon2id$v=19$...`).
/// [`AppError::Unavailable`] when more hashes are waiting than the queue takes.
pub async fn hash(password: NewPassword) -> Result<String, AppError> {
    hash_with(limiter(), password).await
}

/// Checks `password` against `stored_hash`. With no stored hash (unknown account) it still
/// spends the time of a real check, in the same queue, so response times do not tell which
/// accounts exist. [`AppError::Unavailable`] when more checks are waiting than the queue takes.
pub async fn verify(password: String, stored_hash: Option<String>) -> Result<bool, AppError> {
    verify_with(limiter(), password, stored_hash).await
}

/// Sets the limits of the process's Argon2 work; called once by `app::run` before anything is
/// hashed (the demo account's seed included). Without it (tests) the limits are the defaults.
///
/// # Panics
/// If the limits were already set or used: a second set of limits could not take effect.
pub fn configure(limits: PasswordHashLimits) {
    if LIMITER.set(HashLimiter::new(limits)).is_err() {
        panic!("password hashing was configured twice, or after its first use");
    }
}

/// One for the process rather than one per router: what it guards, the CPU, is the process's,
/// and a router built twice (as tests do) must not double the work allowed at once.
static LIMITER: OnceLock<HashLimiter> = OnceLock::new();

fn limiter() -> &'static HashLimiter {
    LIMITER.get_or_init(|| HashLimiter::new(PasswordHashLimits::default()))
}

async fn hash_with(limiter: &HashLimiter, password: NewPassword) -> Result<String, AppError> {
    limiter.run(move || hash_now(password.expose())).await?
}

async fn verify_with(limiter: &HashLimiter, password: String, stored_hash: Option<String>) -> Result<bool, AppError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Ok(false);
    }
    limiter
        .run(move || {
            let (hash, account_exists) = match stored_hash {
                Some(hash) => (hash, true),
                None => (DUMMY_HASH.clone(), false),
            };
            let parsed = PasswordHash::new(&hash)
                .map_err(|error| AppError::internal("stored password hash is unreadable", error))?;
            let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
            Ok(matches && account_exists)
        })
        .await?
}

/// Runs CPU-heavy jobs on tokio's blocking threads, at most `at_once` at a time, with at most
/// `queue` more waiting for a turn.
///
/// The jobs run on `spawn_blocking` rather than a pool of our own: its threads are reused and
/// already sized for the process, and since a job is spawned only once it holds a turn, no more
/// than `at_once` of them ever run Argon2, whatever the pool's size. A job waits for its turn on an
/// async semaphore, as a future parked without a thread, never on the async workers nor in the
/// blocking pool's own unbounded queue.
pub struct HashLimiter {
    turns: Arc<Semaphore>,
    /// Jobs running or waiting, against `capacity` (`at_once + queue`).
    admitted: Arc<AtomicUsize>,
    capacity: usize,
}

impl HashLimiter {
    pub fn new(limits: PasswordHashLimits) -> Self {
        let at_once = limits.at_once.max(1);
        Self {
            turns: Arc::new(Semaphore::new(at_once)),
            admitted: Arc::new(AtomicUsize::new(0)),
            capacity: at_once + limits.queue,
        }
    }

    /// Runs `job` on a blocking thread when its turn comes, and gives its result. With the queue
    /// full it returns [`AppError::Unavailable`] at once, without waiting or running `job`.
    ///
    /// A caller that stops waiting (its request dropped) gives its place up; a job already
    /// running keeps its turn until it ends, so the bound counts every running job.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let admission = self.admit()?;
        let turn = Arc::clone(&self.turns)
            .acquire_owned()
            .await
            .map_err(|error| AppError::internal("the password hashing semaphore was closed", error))?;
        tokio::task::spawn_blocking(move || {
            let result = job();
            drop((turn, admission));
            result
        })
        .await
        .map_err(|error| AppError::internal("password hashing task failed", error))
    }

    fn admit(&self) -> Result<Admission, AppError> {
        self.admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |admitted| {
                (admitted < self.capacity).then_some(admitted + 1)
            })
            .map_err(|_| {
                AppError::unavailable(
                    "password hashing",
                    "more passwords are waiting to be checked than PASSWORD_HASH_QUEUE allows",
                )
            })?;
        Ok(Admission(Arc::clone(&self.admitted)))
    }
}

/// A place among the jobs running or waiting, given back when dropped.
struct Admission(Arc<AtomicUsize>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AppError::internal("password hashing failed", error))
}

static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_now("no account has this password").expect("hashing a constant"));

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use std::cell::Cell;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let hash = hash(NewPassword::parse("correct horse battery".into()).unwrap()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify("correct horse battery".into(), Some(hash.clone())).await.unwrap());
        assert!(!verify("correct horse battery!".into(), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        assert!(!verify("no account has this password".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn salts_differ_between_hashes() {
        let first = hash(NewPassword::parse("same password".into()).unwrap()).await.unwrap();
        let second = hash(NewPassword::parse("same password".into()).unwrap()).await.unwrap();
        assert_ne!(first, second);
    }

    fn limiter_of(at_once: usize, queue: usize) -> Arc<HashLimiter> {
        Arc::new(HashLimiter::new(PasswordHashLimits { at_once, queue }))
    }

    /// Takes every turn of `limiter` (`at_once` of them) with jobs that run until the returned
    /// sender is dropped, and waits until they all run.
    async fn occupy(limiter: &Arc<HashLimiter>, at_once: usize) -> std::sync::mpsc::Sender<()> {
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(std::sync::Mutex::new(gate));
        let started = Arc::new(AtomicUsize::new(0));
        for _ in 0..at_once {
            let (limiter, gate, started) = (Arc::clone(limiter), Arc::clone(&gate), Arc::clone(&started));
            tokio::spawn(async move {
                limiter
                    .run(move || {
                        started.fetch_add(1, Ordering::SeqCst);
                        while gate.lock().unwrap().recv().is_ok() {}
                    })
                    .await
            });
        }
        while started.load(Ordering::SeqCst) < at_once {
            tokio::task::yield_now().await;
        }
        release
    }

    /// Lets `limiter` take `count` more jobs into its queue, then waits until they are in it.
    async fn queue_up(limiter: &Arc<HashLimiter>, count: usize) -> Vec<tokio::task::JoinHandle<Result<(), AppError>>> {
        let before = limiter.admitted.load(Ordering::Acquire);
        let waiting = (0..count)
            .map(|_| {
                let limiter = Arc::clone(limiter);
                tokio::spawn(async move { limiter.run(|| ()).await })
            })
            .collect();
        while limiter.admitted.load(Ordering::Acquire) < before + count {
            tokio::task::yield_now().await;
        }
        waiting
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_more_than_at_once_jobs_run_together() {
        let limiter = limiter_of(2, 64);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..20).map(|_| {
            let (running, most) = (Arc::clone(&running), Arc::clone(&most));
            limiter.run(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(10));
                running.fetch_sub(1, Ordering::SeqCst);
            })
        });
        let results = futures_util::future::join_all(jobs).await;
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(most.load(Ordering::SeqCst), 2, "at most 2 at once, and the 2 are used");
        assert_eq!(limiter.admitted.load(Ordering::SeqCst), 0, "every place given back");
    }

    #[tokio::test]
    async fn past_the_queue_a_job_is_refused_at_once_and_places_come_back() {
        let limiter = limiter_of(1, 2);
        let release = occupy(&limiter, 1).await;
        let waiting = queue_up(&limiter, 2).await;
        let ran = Arc::new(AtomicUsize::new(0));
        let refused = {
            let ran = Arc::clone(&ran);
            limiter.run(move || ran.fetch_add(1, Ordering::SeqCst))
        };
        assert_eq!(refused.now_or_never(), Some(Err(AppError::Unavailable)), "refused without waiting");
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the refused job never runs");
        drop(release);
        for job in waiting {
            assert_eq!(job.await.unwrap(), Ok(()));
        }
        assert_eq!(limiter.run(|| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn a_caller_that_stops_waiting_gives_its_place_up() {
        let limiter = limiter_of(1, 1);
        let release = occupy(&limiter, 1).await;
        let mut gave_up = Box::pin(limiter.run(|| ()));
        assert_eq!((&mut gave_up).now_or_never(), None, "waiting in the queue");
        assert!(limiter.run(|| ()).now_or_never().is_some_and(|result| result.is_err()), "the queue is full");
        drop(gave_up);
        let mut next = Box::pin(limiter.run(|| ()));
        assert_eq!((&mut next).now_or_never(), None, "takes the freed place and waits");
        drop(release);
        assert_eq!(next.await, Ok(()));
    }

    #[tokio::test]
    async fn checks_of_unknown_accounts_and_new_hashes_wait_in_the_same_queue() {
        let stored = hash_now("correct horse battery").unwrap();
        let limiter = limiter_of(1, 1);
        let release = occupy(&limiter, 1).await;
        let waiting = queue_up(&limiter, 1).await;
        for (account, stored_hash) in [("unknown", None), ("known", Some(stored.clone()))] {
            let refused = verify_with(&limiter, "wrong password".into(), stored_hash).now_or_never();
            assert_eq!(refused, Some(Err(AppError::Unavailable)), "{account} account");
        }
        let new = NewPassword::parse("correct horse battery".into()).unwrap();
        assert_eq!(hash_with(&limiter, new).now_or_never(), Some(Err(AppError::Unavailable)));
        drop(release);
        for job in waiting {
            job.await.unwrap().unwrap();
        }
        assert_eq!(verify_with(&limiter, "wrong password".into(), None).await, Ok(false));
        assert_eq!(verify_with(&limiter, "correct horse battery".into(), Some(stored)).await, Ok(true));
    }

    /// On one async thread (the current-thread runtime), a timer keeps ticking while a job holds
    /// the only turn for 300 ms and 20 real verifications wait behind it, then run: neither the
    /// running nor the waiting takes the async thread.
    #[tokio::test(flavor = "current_thread")]
    async fn the_async_thread_stays_free_while_verifications_queue() {
        let limiter = limiter_of(1, 64);
        let hold = Duration::from_millis(300);
        let held = limiter.run(move || std::thread::sleep(hold));
        let verifications = (0..20)
            .map(|n| verify_with(&limiter, format!("wrong password {n}"), (n % 2 == 0).then(|| DUMMY_HASH.clone())));
        let (most_between_ticks, ticks) = (Cell::new(Duration::ZERO), Cell::new(0_u32));
        let ticker = async {
            let mut timer = tokio::time::interval(Duration::from_millis(5));
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            timer.tick().await;
            let mut last = Instant::now();
            loop {
                timer.tick().await;
                most_between_ticks.set(most_between_ticks.get().max(last.elapsed()));
                ticks.set(ticks.get() + 1);
                last = Instant::now();
            }
        };
        let started = Instant::now();
        let (held, verified) = tokio::select! {
            done = async { (held.await, futures_util::future::join_all(verifications).await) } => done,
            never = ticker => never,
        };
        let took = started.elapsed();
        assert_eq!(held, Ok(()));
        assert!(verified.iter().all(|result| *result == Ok(false)), "{verified:?}");
        // Hashing on the async thread would stop the timer for the whole 300 ms hold at least.
        assert!(took >= hold);
        assert!(most_between_ticks.get() < hold / 2, "the timer stalled {:?}", most_between_ticks.get());
        assert!(ticks.get() as u128 >= took.as_millis() / 5 / 4, "{} ticks in {took:?}", ticks.get());
    }
}
