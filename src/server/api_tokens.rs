//! API tokens: each acts for one account in the public REST API. A token's secret is shown once,
//! when it is issued; only a hash of it is stored, and since secrets are 256 random bits, a fast
//! hash is as safe as a slow one and lets every API request be checked with one indexed lookup.

use super::db::{Pool, on_db};
use crate::domain::Timestamp;
use crate::error::AppError;
use crate::model::{ApiToken, TokenState};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use blake2::{Blake2s256, Digest};
use std::fmt::Write;

/// Every secret starts with this, so that a leaked one is easy to recognise (secret scanners,
/// logs) and a request carrying something else is refused without a database lookup.
pub const SECRET_PREFIX: &str = "cdnp_";
const SECRET_HEX_LEN: usize = 64;
/// Enough of the secret to tell tokens apart, far too little to guess the rest.
const SHOWN_START_LEN: usize = SECRET_PREFIX.len() + 6;

pub const MAX_NAME_CHARS: usize = 60;
/// The longest lifetime a customer can choose, in days.
pub const MAX_LIFETIME_DAYS: u32 = 366;

/// The account and token behind an authenticated API request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenHolder {
    /// The token's own id, which its rate limit is counted by.
    pub token_id: i64,
    pub account_id: i64,
    pub token_name: String,
}

/// What a customer asked for, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    name: String,
    lifetime_days: Option<u32>,
}

impl NewToken {
    /// `lifetime_days`: empty for a token that never expires, else a whole number of days.
    pub fn parse(name: &str, lifetime_days: &str) -> Result<Self, AppError> {
        let mut errors = crate::error::FieldErrors::default();
        let name = name.trim();
        if name.is_empty() {
            errors.add("name", "Enter a name that says where the token is used, such as “deploy script”.");
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.add("name", format!("A token's name can be at most {MAX_NAME_CHARS} characters long."));
        } else if name.chars().any(char::is_control) {
            errors.add("name", "A token's name cannot contain line breaks or other control characters.");
        }
        let lifetime_days = match lifetime_days.trim() {
            "" => None,
            days => match days.parse::<u32>() {
                Ok(days @ 1..=MAX_LIFETIME_DAYS) => Some(days),
                _ => {
                    errors.add(
                        "expires_in_days",
                        format!("Choose an expiry from 1 to {MAX_LIFETIME_DAYS} days, or none."),
                    );
                    None
                }
            },
        };
        errors.into_result()?;
        Ok(Self { name: name.to_owned(), lifetime_days })
    }
}

fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_HEX_LEN / 2];
    OsRng.fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", hex(&bytes))
}

fn hash_of(secret: &str) -> String {
    hex(&Blake2s256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// Only strings shaped like a secret are looked up.
fn looks_like_secret(text: &str) -> bool {
    text.strip_prefix(SECRET_PREFIX)
        .is_some_and(|hex| hex.len() == SECRET_HEX_LEN && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// Issues a token; its secret is returned here and never again.
pub async fn issue(
    pool: &Pool,
    account_id: i64,
    new: &NewToken,
    now: Timestamp,
) -> Result<(ApiToken, String), AppError> {
    let secret = new_secret();
    let expires_at =
        new.lifetime_days.map(|days| Timestamp::from_unix_seconds(now.unix_seconds() + i64::from(days) * 86_400));
    let inserted = on_db!(pool.db(), |e| sqlx::query_as::<_, TokenRow>(&format!(
        "INSERT INTO api_tokens (account_id, name, secret_hash, secret_start, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {TOKEN_COLUMNS}"
    ))
    .bind(account_id)
    .bind(&new.name)
    .bind(hash_of(&secret))
    .bind(&secret[..SHOWN_START_LEN])
    .bind(now.unix_seconds())
    .bind(expires_at.map(Timestamp::unix_seconds))
    .fetch_one(e)
    .await);
    match inserted {
        Ok(row) => Ok((row.into_token(now), secret)),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Err(AppError::invalid_field(
            "name",
            format!("You already have a token named “{}”. Choose another name, or revoke that token first.", new.name),
        )),
        Err(error) => Err(error.into()),
    }
}

const TOKEN_COLUMNS: &str = "id, name, secret_start, created_at, expires_at, revoked_at, last_used_at";

/// The account's tokens, newest first, revoked and expired ones included.
pub async fn list(pool: &Pool, account_id: i64, now: Timestamp) -> Result<Vec<ApiToken>, AppError> {
    Ok(on_db!(pool.db(), |e| sqlx::query_as::<_, TokenRow>(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE account_id = $1 ORDER BY id DESC"
    ))
    .bind(account_id)
    .fetch_all(e)
    .await)?
    .into_iter()
    .map(|row| row.into_token(now))
    .collect())
}

/// Revokes the account's token: from now on it is refused. Revoking it again changes nothing.
pub async fn revoke(pool: &Pool, account_id: i64, token_id: i64, now: Timestamp) -> Result<(), AppError> {
    let found = on_db!(pool.db(), |e| {
        sqlx::query_scalar::<_, i64>(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND account_id = $3 RETURNING id",
    )
    .bind(now.unix_seconds())
    .bind(token_id)
    .bind(account_id)
    .fetch_optional(e)
    .await
    })?;
    found.map(|_| ()).ok_or(AppError::NotFound)
}

/// Who `secret` acts for; `None` for a secret that is unknown, revoked or expired.
pub async fn authenticate(pool: &Pool, secret: &str, now: Timestamp) -> Result<Option<TokenHolder>, AppError> {
    if !looks_like_secret(secret) {
        return Ok(None);
    }
    let found = on_db!(pool.db(), |e| sqlx::query_as::<_, (i64, i64, String, Option<i64>)>(
        "SELECT id, account_id, name, last_used_at FROM api_tokens \
         WHERE secret_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(hash_of(secret))
    .bind(now.unix_seconds())
    .fetch_optional(e)
    .await)?;
    let Some((token_id, account_id, token_name, last_used_at)) = found else {
        return Ok(None);
    };
    // "Last used" to the minute is all a customer needs, and spares a write per request.
    if last_used_at.is_none_or(|at| now.unix_seconds() - at >= 60) {
        on_db!(pool.db(), |e| sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now.unix_seconds())
            .bind(token_id)
            .execute(e)
            .await
            .map(|_| ()))?;
    }
    Ok(Some(TokenHolder { token_id, account_id, token_name }))
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    secret_start: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

impl TokenRow {
    fn into_token(self, now: Timestamp) -> ApiToken {
        let expires_at = self.expires_at.map(Timestamp::from_unix_seconds);
        let revoked_at = self.revoked_at.map(Timestamp::from_unix_seconds);
        ApiToken {
            state: TokenState::of(revoked_at, expires_at, now),
            id: self.id,
            name: self.name,
            secret_start: self.secret_start,
            created_at: Timestamp::from_unix_seconds(self.created_at),
            expires_at,
            revoked_at,
            last_used_at: self.last_used_at.map(Timestamp::from_unix_seconds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EmailAddress;
    use crate::server::{accounts, db::testing::fresh_database};

    async fn account(pool: &Pool, email: &str) -> i64 {
        let email = EmailAddress::parse(email).unwrap();
        accounts::insert(pool.db(), &email, "hash", Timestamp::now()).await.unwrap().unwrap().id
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(seconds)
    }

    #[test]
    fn names_and_lifetimes_are_checked() {
        assert_eq!(NewToken::parse("  deploy  ", "").unwrap(), NewToken { name: "deploy".into(), lifetime_days: None });
        assert_eq!(NewToken::parse("ci", "30").unwrap().lifetime_days, Some(30));
        assert!(NewToken::parse(" ", "").unwrap_err().for_field("name").is_some());
        assert!(NewToken::parse(&"n".repeat(MAX_NAME_CHARS + 1), "").unwrap_err().for_field("name").is_some());
        assert!(NewToken::parse("a\nb", "").unwrap_err().for_field("name").is_some());
        for bad in ["0", "-1", "367", "soon", "1.5"] {
            assert!(NewToken::parse("ci", bad).unwrap_err().for_field("expires_in_days").is_some(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_random_recognisable_and_hashed() {
        let (first, second) = (new_secret(), new_secret());
        assert_ne!(first, second);
        assert!(looks_like_secret(&first), "{first}");
        assert!(!looks_like_secret(&first.to_uppercase()));
        assert!(!looks_like_secret(&first[..first.len() - 1]));
        assert!(!looks_like_secret("Bearer abc"));
        assert_eq!(hash_of(&first), hash_of(&first));
        assert_ne!(hash_of(&first), hash_of(&second));
        assert!(!hash_of(&first).contains(&first[SECRET_PREFIX.len()..]));
    }

    #[tokio::test]
    async fn a_token_acts_for_its_account_until_revoked() {
        let (pool, _guard) = fresh_database().await;
        let ada = account(&pool, "ada@example.com").await;
        let (token, secret) = issue(&pool, ada, &NewToken::parse("deploy", "").unwrap(), at(1_000)).await.unwrap();
        assert_eq!(token.name, "deploy");
        assert!(secret.starts_with(&token.secret_start));
        let stored: String =
            on_db!(pool.db(), |e| sqlx::query_scalar("SELECT secret_hash FROM api_tokens").fetch_one(e).await).unwrap();
        assert_ne!(stored, secret, "only the hash is stored");

        let holder = authenticate(&pool, &secret, at(2_000)).await.unwrap().unwrap();
        assert_eq!((holder.account_id, holder.token_name.as_str()), (ada, "deploy"));
        assert_eq!(list(&pool, ada, at(5_000)).await.unwrap()[0].last_used_at, Some(at(2_000)));
        assert_eq!(authenticate(&pool, &new_secret(), at(2_000)).await.unwrap(), None);

        let eve = account(&pool, "eve@example.com").await;
        assert_eq!(revoke(&pool, eve, token.id, at(3_000)).await, Err(AppError::NotFound));
        assert!(authenticate(&pool, &secret, at(3_000)).await.unwrap().is_some(), "another account cannot revoke it");
        revoke(&pool, ada, token.id, at(3_000)).await.unwrap();
        revoke(&pool, ada, token.id, at(4_000)).await.unwrap();
        assert_eq!(authenticate(&pool, &secret, at(3_001)).await.unwrap(), None);
        let listed = list(&pool, ada, at(5_000)).await.unwrap();
        assert_eq!(listed[0].revoked_at, Some(at(3_000)), "the first revocation stands");
        assert_eq!(listed[0].state, TokenState::Revoked);
        assert!(list(&pool, eve, at(5_000)).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn expired_tokens_are_refused_and_live_names_are_unique() {
        let (pool, _guard) = fresh_database().await;
        let ada = account(&pool, "ada@example.com").await;
        let (token, secret) = issue(&pool, ada, &NewToken::parse("ci", "1").unwrap(), at(0)).await.unwrap();
        assert_eq!(token.expires_at, Some(at(86_400)));
        assert!(authenticate(&pool, &secret, at(86_399)).await.unwrap().is_some());
        assert_eq!(authenticate(&pool, &secret, at(86_400)).await.unwrap(), None);

        let taken = issue(&pool, ada, &NewToken::parse("ci", "").unwrap(), at(1)).await.unwrap_err();
        assert!(taken.for_field("name").unwrap().contains("already have a token named “ci”"));
        revoke(&pool, ada, token.id, at(2)).await.unwrap();
        issue(&pool, ada, &NewToken::parse("ci", "").unwrap(), at(3)).await.unwrap();
        assert_eq!(list(&pool, ada, at(5_000)).await.unwrap().len(), 2);
    }
}
