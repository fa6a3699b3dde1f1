//! A resource's secondary hostnames: custom domains the resource serves besides its own
//! (Gcore's `secondaryHostnames`, "up to ten additional CNAMEs").

use super::DomainName;
use serde::{Deserialize, Serialize};

/// How many secondary hostnames one resource may have (Gcore's limit).
pub const MAX_SECONDARY_HOSTNAMES: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecondaryHostnamesError {
    #[error("A resource can have at most {MAX_SECONDARY_HOSTNAMES} secondary hostnames.")]
    TooMany,
    #[error("{0} is listed twice.")]
    Repeated(DomainName),
}

/// Up to [`MAX_SECONDARY_HOSTNAMES`] domain names, each at most once, in the order the customer
/// gave them. That no other resource serves them (nor this one as its custom domain) is the
/// database's rule, checked when they are saved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<DomainName>", into = "Vec<DomainName>")]
pub struct SecondaryHostnames(Vec<DomainName>);

impl SecondaryHostnames {
    pub fn new(names: Vec<DomainName>) -> Result<Self, SecondaryHostnamesError> {
        if names.len() > MAX_SECONDARY_HOSTNAMES {
            return Err(SecondaryHostnamesError::TooMany);
        }
        for (n, name) in names.iter().enumerate() {
            if names[..n].contains(name) {
                return Err(SecondaryHostnamesError::Repeated(name.clone()));
            }
        }
        Ok(Self(names))
    }

    pub fn as_slice(&self) -> &[DomainName] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names separated by `separator`, such as `", "` for people or `" "` for storage.
    pub fn join(&self, separator: &str) -> String {
        self.0.iter().map(DomainName::as_str).collect::<Vec<_>>().join(separator)
    }
}

impl TryFrom<Vec<DomainName>> for SecondaryHostnames {
    type Error = SecondaryHostnamesError;
    fn try_from(names: Vec<DomainName>) -> Result<Self, Self::Error> {
        Self::new(names)
    }
}

impl From<SecondaryHostnames> for Vec<DomainName> {
    fn from(value: SecondaryHostnames) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(texts: &[&str]) -> Vec<DomainName> {
        texts.iter().map(|text| DomainName::parse(text).unwrap()).collect()
    }

    #[test]
    fn up_to_ten_distinct_names_in_their_order() {
        let ten: Vec<String> = (0..MAX_SECONDARY_HOSTNAMES).map(|n| format!("a{n}.example.com")).collect();
        let ten: Vec<&str> = ten.iter().map(String::as_str).collect();
        let hostnames = SecondaryHostnames::new(names(&ten)).unwrap();
        assert_eq!(hostnames.as_slice(), names(&ten).as_slice());
        let mut eleven = names(&ten);
        eleven.push(DomainName::parse("more.example.com").unwrap());
        assert_eq!(SecondaryHostnames::new(eleven), Err(SecondaryHostnamesError::TooMany));
        assert_eq!(
            SecondaryHostnames::new(names(&["b.example.com", "a.example.com", "B.example.com"])),
            Err(SecondaryHostnamesError::Repeated(DomainName::parse("b.example.com").unwrap()))
        );
        assert_eq!(
            SecondaryHostnames::new(names(&["b.example.com", "a.example.com"])).unwrap().join(" "),
            "b.example.com a.example.com"
        );
    }
}
