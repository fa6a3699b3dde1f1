use serde::{Deserialize, Serialize};
use std::fmt;

/// A fully qualified host name such as `cdn.example.com`, kept in lower case without a
/// trailing dot so that two spellings of one name compare equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DomainName(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainNameError {
    #[error("Enter a domain name, such as cdn.example.com.")]
    Empty,
    #[error("Enter the domain name only, without http:// or https://.")]
    HasScheme,
    #[error("Enter the domain name only, without a path, port or user name.")]
    NotAHostName,
    #[error("A domain name can be at most 253 characters long.")]
    TooLong,
    #[error("Enter an internationalised domain name in its ASCII form (it starts with xn--).")]
    NotAscii,
    #[error("Enter a full domain name with at least two parts, such as example.com.")]
    SingleLabel,
    #[error("Each part of a domain name between dots must be 1 to 63 characters long.")]
    LabelLength,
    #[error("“{0}” cannot be used in a domain name: use letters, digits, hyphens and dots.")]
    InvalidCharacter(char),
    #[error("A part of a domain name cannot start or end with a hyphen.")]
    HyphenAtEdge,
    #[error("The last part of a domain name cannot be all digits.")]
    NumericTopLevel,
}

const MAX_NAME_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

impl DomainName {
    pub fn parse(input: &str) -> Result<Self, DomainNameError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(DomainNameError::Empty);
        }
        if trimmed.contains("://") {
            return Err(DomainNameError::HasScheme);
        }
        if trimmed.contains(['/', ':', '@', '?', '#']) {
            return Err(DomainNameError::NotAHostName);
        }
        if !trimmed.is_ascii() {
            return Err(DomainNameError::NotAscii);
        }
        let name = trimmed.strip_suffix('.').unwrap_or(trimmed).to_ascii_lowercase();
        if name.len() > MAX_NAME_LEN {
            return Err(DomainNameError::TooLong);
        }
        let labels: Vec<&str> = name.split('.').collect();
        if labels.len() < 2 {
            return Err(DomainNameError::SingleLabel);
        }
        for label in &labels {
            if label.is_empty() || label.len() > MAX_LABEL_LEN {
                return Err(DomainNameError::LabelLength);
            }
            if let Some(bad) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
                return Err(DomainNameError::InvalidCharacter(bad));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(DomainNameError::HyphenAtEdge);
            }
        }
        // An all-digit last label would make "10.0.0.1" a domain name; IP addresses are not.
        if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
            return Err(DomainNameError::NumericTopLevel);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for DomainName {
    type Error = DomainNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DomainName> for String {
    fn from(value: DomainName) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_ordinary_names() {
        for (input, expected) in [
            ("cdn.example.com", "cdn.example.com"),
            ("  CDN.Example.COM  ", "cdn.example.com"),
            ("cdn.example.com.", "cdn.example.com"),
            ("a-b.c0.example", "a-b.c0.example"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("3com.com", "3com.com"),
        ] {
            assert_eq!(DomainName::parse(input).unwrap().as_str(), expected, "{input}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_host_name() {
        use DomainNameError::*;
        for (input, expected) in [
            ("", Empty),
            ("   ", Empty),
            ("https://cdn.example.com", HasScheme),
            ("cdn.example.com/path", NotAHostName),
            ("cdn.example.com:8080", NotAHostName),
            ("user@cdn.example.com", NotAHostName),
            ("bücher.example", NotAscii),
            ("localhost", SingleLabel),
            ("cdn..example.com", LabelLength),
            (".example.com", LabelLength),
            ("cdn_1.example.com", InvalidCharacter('_')),
            ("*.example.com", InvalidCharacter('*')),
            ("cdn example.com", InvalidCharacter(' ')),
            ("-cdn.example.com", HyphenAtEdge),
            ("cdn-.example.com", HyphenAtEdge),
            ("10.0.0.1", NumericTopLevel),
        ] {
            assert_eq!(DomainName::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn enforces_label_and_name_lengths() {
        let label63 = "a".repeat(63);
        assert!(DomainName::parse(&format!("{label63}.example")).is_ok());
        assert_eq!(DomainName::parse(&format!("{}a.example", label63)), Err(DomainNameError::LabelLength));
        let long = vec!["abcdefghi"; 26].join(".") + ".example";
        assert!(long.len() > 253);
        assert_eq!(DomainName::parse(&long), Err(DomainNameError::TooLong));
    }

    #[test]
    fn deserialising_validates() {
        let parsed: Result<DomainName, _> = serde_json::from_str("\"Cdn.Example.com\"");
        assert_eq!(parsed.unwrap().as_str(), "cdn.example.com");
        assert!(serde_json::from_str::<DomainName>("\"not a domain\"").is_err());
    }
}
