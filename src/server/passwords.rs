//! Password hashing with Argon2id (OWASP's first choice), off the async threads because each
//! hash deliberately costs tens of milliseconds of CPU.

use crate::domain::NewPassword;
use crate::error::AppError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use std::sync::LazyLock;

/// Anything longer is refused before hashing, so a huge body cannot buy a long hash.
const MAX_PASSWORD_BYTES: usize = 1024;

pub async fn hash(password: NewPassword) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_now(password.expose()))
        .await
        .map_err(|error| AppError::internal("password hashing task failed", error))?
}

/// Checks `password` against `stored_hash`. With no stored hash (unknown account) it still
/// spends the time of a real check, so response times do not tell which accounts exist.
pub async fn verify(password: String, stored_hash: Option<String>) -> Result<bool, AppError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Ok(false);
    }
    tokio::task::spawn_blocking(move || {
        let (hash, account_exists) = match stored_hash {
            Some(hash) => (hash, true),
            None => (DUMMY_HASH.clone(), false),
        };
        let parsed = PasswordHash::new(&hash)
            .map_err(|error| AppError::internal("stored password hash is unreadable", error))?;
        let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(matches && account_exists)
    })
    .await
    .map_err(|error| AppError::internal("password verification task failed", error))?
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
}
