use super::DomainName;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An account's email address, kept in lower case so that one mailbox is one account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailAddressError {
    #[error("Enter your email address.")]
    Empty,
    #[error("An email address can be at most 254 characters long.")]
    TooLong,
    #[error("Enter an email address such as name@example.com.")]
    Malformed,
}

const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, EmailAddressError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(EmailAddressError::Empty);
        }
        if input.len() > MAX_LEN {
            return Err(EmailAddressError::TooLong);
        }
        let (local, domain) = input.split_once('@').ok_or(EmailAddressError::Malformed)?;
        let local_is_plausible = !local.is_empty()
            && local.len() <= MAX_LOCAL_LEN
            && !local.starts_with('.')
            && !local.ends_with('.')
            && local.chars().all(|c| {
                c.is_ascii_graphic()
                    && !matches!(c, '@' | '"' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | '\\' | ']')
            });
        if !local_is_plausible {
            return Err(EmailAddressError::Malformed);
        }
        let domain = DomainName::parse(domain).map_err(|_| EmailAddressError::Malformed)?;
        Ok(Self(format!("{}@{domain}", local.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailAddressError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(
            EmailAddress::parse(" Ada.Lovelace+cdn@Example.COM ").unwrap().as_str(),
            "ada.lovelace+cdn@example.com"
        );
    }

    #[test]
    fn rejects_what_cannot_be_an_address() {
        use EmailAddressError::*;
        for (input, expected) in [
            ("", Empty),
            ("  ", Empty),
            ("ada", Malformed),
            ("ada@", Malformed),
            ("@example.com", Malformed),
            ("ada@@example.com", Malformed),
            ("ada lovelace@example.com", Malformed),
            ("ada@localhost", Malformed),
            (".ada@example.com", Malformed),
            ("ada@exa mple.com", Malformed),
        ] {
            assert_eq!(EmailAddress::parse(input), Err(expected), "{input:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(TooLong));
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(EmailAddress::parse(&long_local), Err(Malformed));
    }
}
