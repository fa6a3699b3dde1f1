//! An origin group's name (Gcore's `name` of `/cdn/origin_groups`): what the customer calls a
//! set of origins, shown in lists and named by resources.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest origin group name, in characters (Unicode scalar values), as a resource's name.
pub const MAX_ORIGIN_GROUP_NAME_CHARS: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OriginGroupNameError {
    #[error("Enter a name for the origin group, such as “Main servers”.")]
    Empty,
    #[error("An origin group's name can be at most {MAX_ORIGIN_GROUP_NAME_CHARS} characters long.")]
    TooLong,
    #[error("An origin group's name cannot contain control characters such as line breaks or tabs.")]
    ControlCharacter,
}

/// An origin group's name: 1 to [`MAX_ORIGIN_GROUP_NAME_CHARS`] characters once the spaces
/// around it are trimmed, none of them a control character. Unique within an account (exactly,
/// letter case included): the database's rule (`origin_groups`, migration 0009).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OriginGroupName(String);

impl OriginGroupName {
    pub fn parse(text: &str) -> Result<Self, OriginGroupNameError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(OriginGroupNameError::Empty);
        }
        if text.chars().any(char::is_control) {
            return Err(OriginGroupNameError::ControlCharacter);
        }
        if text.chars().count() > MAX_ORIGIN_GROUP_NAME_CHARS {
            return Err(OriginGroupNameError::TooLong);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OriginGroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OriginGroupName {
    type Error = OriginGroupNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<OriginGroupName> for String {
    fn from(value: OriginGroupName) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_and_limited() {
        assert_eq!(OriginGroupName::parse("  Main servers ").unwrap().as_str(), "Main servers");
        assert_eq!(OriginGroupName::parse("   "), Err(OriginGroupNameError::Empty));
        assert_eq!(OriginGroupName::parse("a\tb"), Err(OriginGroupNameError::ControlCharacter));
        let long = "é".repeat(MAX_ORIGIN_GROUP_NAME_CHARS);
        assert_eq!(OriginGroupName::parse(&long).unwrap().as_str(), long, "counted in characters");
        assert_eq!(OriginGroupName::parse(&format!("{long}e")), Err(OriginGroupNameError::TooLong));
        assert!(serde_json::from_str::<OriginGroupName>(r#"" ""#).is_err());
    }
}
