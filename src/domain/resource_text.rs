//! A CDN resource's name and description: free text the customer chooses, shown in the portal
//! and returned by the API (Gcore's `name` and `description`). Both are optional; an empty value
//! means none, so that "no name" has one form (`None`, JSON `null`) whichever way it was written.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest name, in characters (Unicode scalar values): a label for lists and headings.
pub const MAX_RESOURCE_NAME_CHARS: usize = 100;
/// The longest description, in characters: a comment, well inside the API's 16 KiB body limit.
pub const MAX_RESOURCE_DESCRIPTION_CHARS: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResourceTextError {
    #[error("{what} can be at most {max} characters long.")]
    TooLong { what: &'static str, max: usize },
    #[error("{what} cannot contain control characters such as line breaks or tabs.")]
    ControlCharacter { what: &'static str },
}

/// Checks `text` as the value of `what`: `None` when it is empty, the text as written otherwise.
fn checked(text: &str, what: &'static str, max: usize) -> Result<Option<String>, ResourceTextError> {
    if text.chars().any(char::is_control) {
        return Err(ResourceTextError::ControlCharacter { what });
    }
    if text.chars().count() > max {
        return Err(ResourceTextError::TooLong { what, max });
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// A resource's name: 1 to [`MAX_RESOURCE_NAME_CHARS`] characters, none of them a control
/// character (Unicode category Cc: line breaks, tabs, NUL…), kept exactly as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourceName(String);

impl ResourceName {
    /// The name `text` gives: `Ok(None)` for an empty text (no name).
    pub fn parse(text: &str) -> Result<Option<Self>, ResourceTextError> {
        Ok(checked(text, "A name", MAX_RESOURCE_NAME_CHARS)?.map(Self))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A resource's description: 1 to [`MAX_RESOURCE_DESCRIPTION_CHARS`] characters, none of them
/// a control character, kept exactly as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourceDescription(String);

impl ResourceDescription {
    /// The description `text` gives: `Ok(None)` for an empty text (no description).
    pub fn parse(text: &str) -> Result<Option<Self>, ResourceTextError> {
        Ok(checked(text, "A description", MAX_RESOURCE_DESCRIPTION_CHARS)?.map(Self))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_conversions {
    ($type:ident) => {
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// For serde: an empty text is refused here, since `None` stands for it.
        impl TryFrom<String> for $type {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                $type::parse(&value)
                    .map_err(|error| error.to_string())?
                    .ok_or_else(|| "an empty text stands for none".to_owned())
            }
        }

        impl From<$type> for String {
            fn from(value: $type) -> String {
                value.0
            }
        }
    };
}

text_conversions!(ResourceName);
text_conversions!(ResourceDescription);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_kept_as_written_and_empty_is_none() {
        let name = ResourceName::parse("  Images — EU ").unwrap().unwrap();
        assert_eq!(name.as_str(), "  Images — EU ");
        assert_eq!(ResourceName::parse("").unwrap(), None);
        assert_eq!(ResourceDescription::parse("").unwrap(), None);
        let long = "é".repeat(MAX_RESOURCE_NAME_CHARS);
        assert_eq!(ResourceName::parse(&long).unwrap().unwrap().as_str(), long, "counted in characters, not bytes");
    }

    #[test]
    fn control_characters_and_long_texts_are_refused() {
        for bad in ["two\nlines", "tab\there", "nul\0", "bell\u{7}", "del\u{7f}", "c1\u{85}"] {
            assert_eq!(
                ResourceName::parse(bad),
                Err(ResourceTextError::ControlCharacter { what: "A name" }),
                "{bad:?}"
            );
            assert!(ResourceDescription::parse(bad).is_err(), "{bad:?}");
        }
        let name_error = ResourceName::parse(&"a".repeat(MAX_RESOURCE_NAME_CHARS + 1)).unwrap_err();
        assert_eq!(name_error.to_string(), "A name can be at most 100 characters long.");
        assert!(ResourceDescription::parse(&"a".repeat(MAX_RESOURCE_DESCRIPTION_CHARS)).is_ok());
        assert!(ResourceDescription::parse(&"a".repeat(MAX_RESOURCE_DESCRIPTION_CHARS + 1)).is_err());
    }

    #[test]
    fn serde_reads_only_what_parse_accepts() {
        assert!(serde_json::from_str::<ResourceName>(r#""""#).is_err());
        assert!(serde_json::from_str::<ResourceName>(r#""a\nb""#).is_err());
        let name: ResourceName = serde_json::from_str(r#""Images""#).unwrap();
        assert_eq!(serde_json::to_string(&name).unwrap(), r#""Images""#);
    }
}
