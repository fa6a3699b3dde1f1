//! Private keys encrypted at rest: each is sealed with ChaCha20-Poly1305 (RustCrypto's
//! `chacha20poly1305`, an AEAD) under a 32-byte key from configuration, with a fresh random
//! 96-bit nonce, and stored as text: `v1:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`.
//!
//! Configuration (read once at start-up, [`KeySealer::from_vars`]):
//! - `SSL_KEY_ENCRYPTION_KEY`: the current key, 32 bytes written as base64 (44 characters,
//!   `openssl rand -base64 32`) or hex (64 characters). New and replaced keys are sealed with it.
//! - `SSL_KEY_ENCRYPTION_OLD_KEYS`: earlier keys, comma-separated, same forms; kept only to open
//!   what they sealed.
//!
//! A key's id is the first 8 hex digits of a BLAKE2b-256 hash of the key, so that the stored
//! text names which key opens it without revealing it. Rotation: put the old key in
//! `SSL_KEY_ENCRYPTION_OLD_KEYS` and a new one in `SSL_KEY_ENCRYPTION_KEY`, restart every replica;
//! from then on writes use the new key and reads open either, and each portal re-encrypts at
//! start every stored key that an old key sealed ([`KeySealer::reseal`], `store::reseal_old_keys`).
//! Once one has started with the new key, the old key may go.
//!
//! With `PORTAL_ENV=production` the portal does not start without `SSL_KEY_ENCRYPTION_KEY`. In
//! development a fixed, public development key is used ([`DEVELOPMENT_KEY`]) and a warning
//! logged: keys sealed with it are protected from nothing.

use base64::Engine as _;
use blake2::{Blake2b, Digest, digest::consts::U32};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// The current key's variable.
pub const KEY_VAR: &str = "SSL_KEY_ENCRYPTION_KEY";
/// The earlier keys' variable.
pub const OLD_KEYS_VAR: &str = "SSL_KEY_ENCRYPTION_OLD_KEYS";

/// The development key: 32 bytes anyone can read here, so never for real keys.
pub const DEVELOPMENT_KEY: [u8; 32] = *b"edgeport-development-only-key!!!";

const FORMAT: &str = "v1";
const NONCE_LEN: usize = 12;

/// Why the sealing keys' configuration was refused. Never shows a key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealingConfigError {
    #[error("with PORTAL_ENV=production, {KEY_VAR} must be set (32 bytes as base64 or hex: openssl rand -base64 32)")]
    ProductionNeedsKey,
    #[error("{name} must hold 32-byte keys written as base64 (44 characters) or hex (64 characters)")]
    BadKey { name: &'static str },
}

/// A sealed key could not be opened: no configured key has its id, or it was altered or
/// sealed under another key of the same id. Never carries the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a stored private key could not be decrypted with any configured SSL_KEY_ENCRYPTION key")]
pub struct OpenError;

struct SealingKey {
    id: String,
    cipher: ChaCha20Poly1305,
}

impl SealingKey {
    fn new(bytes: [u8; 32]) -> Self {
        let digest = Blake2b::<U32>::new_with_prefix(b"edgeport ssl key id\0").chain_update(bytes).finalize();
        let id = digest[..4].iter().map(|byte| format!("{byte:02x}")).collect();
        Self { id, cipher: ChaCha20Poly1305::new(Key::from_slice(&bytes)) }
    }
}

/// Seals private keys with the current key and opens them with any configured one.
/// Its `Debug` shows key ids only.
pub struct KeySealer {
    current: SealingKey,
    old: Vec<SealingKey>,
    development: bool,
}

impl fmt::Debug for KeySealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySealer")
            .field("current", &self.current.id)
            .field("old", &self.old.iter().map(|key| key.id.as_str()).collect::<Vec<_>>())
            .field("development", &self.development)
            .finish()
    }
}

impl KeySealer {
    /// The development sealer, [`DEVELOPMENT_KEY`] alone.
    pub fn development() -> Self {
        Self { current: SealingKey::new(DEVELOPMENT_KEY), old: Vec::new(), development: true }
    }

    /// Reads [`KEY_VAR`] and [`OLD_KEYS_VAR`] from `env` (the environment, a parameter for tests).
    pub fn from_vars(env: impl Fn(&str) -> Option<String>, production: bool) -> Result<Self, SealingConfigError> {
        let old = match env(OLD_KEYS_VAR) {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|key| !key.is_empty())
                .map(|key| {
                    decode_key(key).map(SealingKey::new).ok_or(SealingConfigError::BadKey { name: OLD_KEYS_VAR })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        match env(KEY_VAR) {
            Some(key) => {
                let current = decode_key(key.trim()).ok_or(SealingConfigError::BadKey { name: KEY_VAR })?;
                Ok(Self { current: SealingKey::new(current), old, development: false })
            }
            None if production => Err(SealingConfigError::ProductionNeedsKey),
            None => Ok(Self { old, ..Self::development() }),
        }
    }

    /// Whether this is the development key, which protects nothing (the portal logs a warning).
    pub fn is_development(&self) -> bool {
        self.development
    }

    /// Seals `private_key` (PEM) with the current key.
    pub fn seal(&self, private_key: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .current
            .cipher
            .encrypt(&nonce, private_key.as_bytes())
            .expect("ChaCha20-Poly1305 seals any text shorter than 256 GiB");
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{FORMAT}:{}:{}", self.current.id, base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// `sealed` sealed again with the current key, when another key sealed it; `None` when the
    /// current key did already. For rotation: nothing is sealed with an old key afterwards.
    pub fn reseal(&self, sealed: &str) -> Result<Option<String>, OpenError> {
        if sealed
            .strip_prefix(FORMAT)
            .and_then(|rest| rest.strip_prefix(':'))
            .is_some_and(|rest| rest.strip_prefix(self.current.id.as_str()).is_some_and(|body| body.starts_with(':')))
        {
            return Ok(None);
        }
        self.open(sealed).map(|private_key| Some(self.seal(&private_key)))
    }

    /// Opens what [`KeySealer::seal`] made, with whichever configured key its id names.
    pub fn open(&self, sealed: &str) -> Result<String, OpenError> {
        let mut parts = sealed.splitn(3, ':');
        let (Some(FORMAT), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(OpenError);
        };
        let bytes = base64::engine::general_purpose::STANDARD.decode(body).map_err(|_| OpenError)?;
        if bytes.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        std::iter::once(&self.current)
            .chain(&self.old)
            .filter(|key| key.id == id)
            .find_map(|key| key.cipher.decrypt(Nonce::from_slice(nonce), ciphertext).ok())
            .and_then(|plain| String::from_utf8(plain).ok())
            .ok_or(OpenError)
    }
}

fn decode_key(text: &str) -> Option<[u8; 32]> {
    let bytes = if text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        (0..32).map(|index| u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).ok()).collect::<Option<Vec<_>>>()?
    } else {
        base64::engine::general_purpose::STANDARD.decode(text).ok()?
    };
    bytes.try_into().ok()
}

static SEALER: OnceLock<Arc<KeySealer>> = OnceLock::new();

/// Sets the process's sealer, once, at start-up (as `passwords::configure`): one for the process,
/// so that every router and the feed seal and open alike. Logs a warning for the development key.
pub fn configure(sealer: Arc<KeySealer>) {
    if sealer.is_development() {
        tracing::warn!(
            "{KEY_VAR} is not set: SSL private keys are encrypted with the public development key, which protects nothing"
        );
    }
    if SEALER.set(sealer).is_err() {
        panic!("SSL key sealing was configured twice, or after its first use");
    }
}

/// The process's sealer: the configured one, or the development one (tests, and a portal whose
/// start-up did not configure one).
pub fn sealer() -> &'static KeySealer {
    SEALER.get_or_init(|| Arc::new(KeySealer::development()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // bytes 0..32, base64
    const KEY_B: &str = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"; // bytes 32..64, hex

    fn sealer(vars: &[(&str, &str)], production: bool) -> Result<KeySealer, SealingConfigError> {
        KeySealer::from_vars(
            |name| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string()),
            production,
        )
    }

    #[test]
    fn a_sealed_key_opens_and_shows_nothing() {
        let sealer = sealer(&[(KEY_VAR, KEY_A)], true).unwrap();
        let secret = "-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----\n";
        let sealed = sealer.seal(secret);
        assert!(sealed.starts_with("v1:") && !sealed.contains("SECRET"), "{sealed}");
        assert_ne!(sealed, sealer.seal(secret), "a fresh nonce each time");
        assert_eq!(sealer.open(&sealed).unwrap(), secret);
        assert!(!format!("{sealer:?}").contains(KEY_A));
        assert!(!sealer.is_development());
    }

    #[test]
    fn a_wrong_key_or_altered_text_does_not_open() {
        let a = sealer(&[(KEY_VAR, KEY_A)], false).unwrap();
        let b = sealer(&[(KEY_VAR, KEY_B)], false).unwrap();
        let sealed = a.seal("key");
        assert_eq!(b.open(&sealed), Err(OpenError));
        let id = sealed.split(':').nth(1).unwrap();
        let same_id_wrong_key = sealed.replace(&format!(":{id}:"), &format!(":{}:", b.current.id));
        assert_eq!(b.open(&same_id_wrong_key), Err(OpenError), "the tag fails");
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(a.open(&String::from_utf8(altered).unwrap()), Err(OpenError));
        assert_eq!(a.open("plain text"), Err(OpenError));
        assert_eq!(a.open("v1:x:"), Err(OpenError));
    }

    #[test]
    fn rotation_opens_with_old_keys_and_seals_with_the_current() {
        let before = sealer(&[(KEY_VAR, KEY_A)], true).unwrap();
        let sealed_before = before.seal("old secret");
        let after = sealer(&[(KEY_VAR, KEY_B), (OLD_KEYS_VAR, &format!(" {KEY_A} ,"))], true).unwrap();
        assert_eq!(after.open(&sealed_before).unwrap(), "old secret");
        let sealed_after = after.seal("new secret");
        assert_eq!(before.open(&sealed_after), Err(OpenError), "sealed with the new key");
        let new_only = sealer(&[(KEY_VAR, KEY_B)], true).unwrap();
        assert_eq!(new_only.open(&sealed_after).unwrap(), "new secret");
        assert_eq!(new_only.open(&sealed_before), Err(OpenError));

        // Re-sealing moves what an old key sealed to the current key, and leaves the rest.
        let moved = after.reseal(&sealed_before).unwrap().expect("sealed with the old key");
        assert_eq!(new_only.open(&moved).unwrap(), "old secret");
        assert_eq!(after.reseal(&sealed_after), Ok(None));
        assert_eq!(after.reseal(&moved), Ok(None));
        assert_eq!(new_only.reseal(&sealed_before), Err(OpenError), "no configured key opens it");
    }

    #[test]
    fn production_needs_a_key_and_bad_keys_are_refused() {
        assert_eq!(sealer(&[], true).unwrap_err(), SealingConfigError::ProductionNeedsKey);
        let development = sealer(&[], false).unwrap();
        assert!(development.is_development());
        assert_eq!(development.open(&KeySealer::development().seal("k")).unwrap(), "k");
        for bad in ["short", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8fHw==", &KEY_B[..62]] {
            assert_eq!(sealer(&[(KEY_VAR, bad)], false).unwrap_err(), SealingConfigError::BadKey { name: KEY_VAR });
            assert_eq!(
                sealer(&[(KEY_VAR, KEY_A), (OLD_KEYS_VAR, bad)], false).unwrap_err(),
                SealingConfigError::BadKey { name: OLD_KEYS_VAR }
            );
        }
        assert!(!SealingConfigError::BadKey { name: KEY_VAR }.to_string().contains(KEY_A));
    }
}
