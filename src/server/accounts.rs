//! Customer accounts: sign-up and log-in rules, and their rows in the database.

use super::db::{Db, Pool, on_db};
use super::limits::Limits;
use super::passwords;
use crate::domain::{EmailAddress, NewPassword, Timestamp};
use crate::error::{AppError, FieldErrors};
use crate::model::Account;
use std::net::IpAddr;

/// What a sign-up with an email that has an account is told, whatever the password.
pub const EMAIL_NOT_AVAILABLE: &str =
    "This email address cannot be used for a new account. If it is yours, log in instead.";

/// Creates an account and returns it. Well-formed sign-ups count against `client`'s sign-up limit,
/// made or not.
///
/// Without email verification, a sign-up cannot hide whether the email was free: it either
/// creates an account for it or does not. So that it tells no more than it must, one with an
/// email that has an account takes the same work and time as one that succeeds (the password is
/// hashed either way), gets the same answer whatever the password (no guessing passwords here,
/// past the log-in limits), and counts against the same limit; and a probe that finds an email
/// free has made an account with it, in plain view.
pub async fn sign_up(
    pool: &Pool,
    limits: &Limits,
    client: Option<IpAddr>,
    email: &str,
    password: String,
) -> Result<Account, AppError> {
    let (email, password) = match (EmailAddress::parse(email), NewPassword::parse(password)) {
        (Ok(email), Ok(password)) => (email, password),
        (email, password) => {
            let mut errors = FieldErrors::default();
            if let Err(error) = email {
                errors.add("email", error);
            }
            if let Err(error) = password {
                errors.add("password", error);
            }
            return Err(AppError::Invalid(errors));
        }
    };
    limits.sign_up(client).await?;
    let password_hash = passwords::hash(password).await?;
    insert(pool.db(), &email, &password_hash, Timestamp::now())
        .await?
        .ok_or_else(|| AppError::invalid_field("email", EMAIL_NOT_AVAILABLE))
}

/// The account whose email and password these are. Both kinds of mismatch give the same
/// error and take the same time, so log-in cannot be used to find out who has an account.
pub async fn log_in(pool: &Pool, email: &str, password: String) -> Result<Account, AppError> {
    let email = EmailAddress::parse(email).map_err(|error| AppError::invalid_field("email", error))?;
    let found = find_with_password_hash(pool.db(), &email).await?;
    let (account, stored_hash) = found.unzip();
    match (passwords::verify(password, stored_hash).await?, account) {
        (true, Some(account)) => Ok(account),
        _ => Err(AppError::InvalidCredentials),
    }
}

/// Inserts an account; `None` when the email is already taken.
pub async fn insert(
    db: Db<'_>,
    email: &EmailAddress,
    password_hash: &str,
    now: Timestamp,
) -> Result<Option<Account>, AppError> {
    let inserted = on_db!(db, |e| sqlx::query_scalar::<_, i64>(
        "INSERT INTO accounts (email, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(email.as_str())
    .bind(password_hash)
    .bind(now.unix_seconds())
    .fetch_one(e)
    .await);
    match inserted {
        Ok(id) => Ok(Some(Account { id, email: email.clone() })),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(None),
        Err(error) => Err(error.into()),
    }
}

pub async fn find(db: Db<'_>, id: i64) -> Result<Option<Account>, AppError> {
    let email = on_db!(db, |e| sqlx::query_scalar::<_, String>("SELECT email FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(e)
        .await)?;
    email.map(|email| Ok(Account { id, email: parse_stored_email(&email)? })).transpose()
}

async fn find_with_password_hash(db: Db<'_>, email: &EmailAddress) -> Result<Option<(Account, String)>, AppError> {
    let row =
        on_db!(db, |e| sqlx::query_as::<_, (i64, String)>("SELECT id, password_hash FROM accounts WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(e)
            .await)?;
    Ok(row.map(|(id, hash)| (Account { id, email: email.clone() }, hash)))
}

pub async fn count(db: Db<'_>) -> Result<i64, AppError> {
    Ok(on_db!(db, |e| sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM accounts").fetch_one(e).await)?)
}

fn parse_stored_email(stored: &str) -> Result<EmailAddress, AppError> {
    EmailAddress::parse(stored).map_err(|error| AppError::internal("stored email is invalid", error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::testing::fresh_database;
    use crate::server::limits::{AbuseLimits, RateStore};

    /// Limits that count no client address (none is given here): the limits have their own tests.
    fn unlimited(pool: &Pool) -> Limits {
        Limits::new(RateStore::new(pool.clone()), AbuseLimits::default())
    }

    #[tokio::test]
    async fn sign_up_then_log_in() {
        let (pool, _guard) = fresh_database().await;
        let account =
            sign_up(&pool, &unlimited(&pool), None, " Ada@Example.com ", "analytical engine".into()).await.unwrap();
        assert_eq!(account.email.as_str(), "ada@example.com");

        let logged_in = log_in(&pool, "ADA@example.com", "analytical engine".into()).await.unwrap();
        assert_eq!(logged_in, account);
        assert_eq!(find(pool.db(), account.id).await.unwrap(), Some(account));
    }

    #[tokio::test]
    async fn the_password_is_stored_only_as_an_argon2id_hash() {
        let (pool, _guard) = fresh_database().await;
        sign_up(&pool, &unlimited(&pool), None, "ada@example.com", "analytical engine".into()).await.unwrap();
        let stored: String =
            on_db!(pool.db(), |e| sqlx::query_scalar("SELECT password_hash FROM accounts").fetch_one(e).await).unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(!stored.contains("analytical"));
    }

    #[tokio::test]
    async fn wrong_password_and_unknown_email_look_the_same() {
        let (pool, _guard) = fresh_database().await;
        sign_up(&pool, &unlimited(&pool), None, "ada@example.com", "analytical engine".into()).await.unwrap();
        let wrong_password = log_in(&pool, "ada@example.com", "difference engine".into()).await;
        let unknown_email = log_in(&pool, "charles@example.com", "analytical engine".into()).await;
        assert_eq!(wrong_password, Err(AppError::InvalidCredentials));
        assert_eq!(unknown_email, Err(AppError::InvalidCredentials));
    }

    #[tokio::test]
    async fn one_account_per_email() {
        let (pool, _guard) = fresh_database().await;
        sign_up(&pool, &unlimited(&pool), None, "ada@example.com", "analytical engine".into()).await.unwrap();
        let again =
            sign_up(&pool, &unlimited(&pool), None, "ADA@example.com", "another password".into()).await.unwrap_err();
        let right_password =
            sign_up(&pool, &unlimited(&pool), None, "ada@example.com", "analytical engine".into()).await.unwrap_err();
        assert_eq!(again.for_field("email"), Some(EMAIL_NOT_AVAILABLE));
        assert_eq!(again, right_password, "the password makes no difference: sign-up is no way to guess it");
        assert_eq!(count(pool.db()).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn invalid_sign_up_reports_every_field_and_stores_nothing() {
        let (pool, _guard) = fresh_database().await;
        let error = sign_up(&pool, &unlimited(&pool), None, "not an email", "short".into()).await.unwrap_err();
        assert_eq!(error.for_field("email"), Some("Enter an email address such as name@example.com."));
        assert_eq!(error.for_field("password"), Some("Use at least 8 characters."));
        assert_eq!(count(pool.db()).await.unwrap(), 0);
    }
}
