use std::fmt;

/// A password chosen at sign-up that meets the portal's rules. It is never serialised, so it
/// cannot travel back to a browser or into a log by accident.
pub struct NewPassword(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NewPasswordError {
    #[error("Use at least {MIN_CHARS} characters.")]
    TooShort,
    #[error("Use at most {MAX_CHARS} characters.")]
    TooLong,
}

// NIST SP 800-63B: at least 8 characters, allow long passphrases, no composition rules.
pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

impl NewPassword {
    pub fn parse(input: String) -> Result<Self, NewPasswordError> {
        let chars = input.chars().count();
        if chars < MIN_CHARS {
            Err(NewPasswordError::TooShort)
        } else if chars > MAX_CHARS {
            Err(NewPasswordError::TooLong)
        } else {
            Ok(Self(input))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_in_characters_not_bytes() {
        assert_eq!(NewPassword::parse("short".into()).unwrap_err(), NewPasswordError::TooShort);
        assert!(NewPassword::parse("ééééééé".into()).is_err(), "7 characters, 14 bytes");
        assert!(NewPassword::parse("éééééééé".into()).is_ok());
        assert!(NewPassword::parse("x".repeat(MAX_CHARS)).is_ok());
        assert_eq!(NewPassword::parse("x".repeat(MAX_CHARS + 1)).unwrap_err(), NewPasswordError::TooLong);
    }

    #[test]
    fn debug_output_hides_the_password() {
        let password = NewPassword::parse("correct horse".into()).unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }
}
