use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a customer put the CDN in front of their site, chosen when a resource is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Integration {
    /// Full integration: the CDN serves the whole site, pages and assets.
    EntireWebsite,
    /// Partial integration: the CDN serves only static files such as images, scripts and styles.
    #[serde(rename = "static_assets")]
    StaticAssetsOnly,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Choose what the CDN serves: Entire website or Static assets only.")]
pub struct IntegrationError;

impl Integration {
    pub const ALL: [Integration; 2] = [Integration::EntireWebsite, Integration::StaticAssetsOnly];

    /// The value used in forms, URLs and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Integration::EntireWebsite => "entire_website",
            Integration::StaticAssetsOnly => "static_assets",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Integration::EntireWebsite => "Entire website",
            Integration::StaticAssetsOnly => "Static assets only",
        }
    }
}

impl FromStr for Integration {
    type Err = IntegrationError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value).ok_or(IntegrationError)
    }
}

impl fmt::Display for Integration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_round_trip() {
        for kind in Integration::ALL {
            assert_eq!(kind.as_str().parse::<Integration>(), Ok(kind));
        }
        assert_eq!("full".parse::<Integration>(), Err(IntegrationError));
        assert_eq!("".parse::<Integration>(), Err(IntegrationError));
    }

    #[test]
    fn serde_uses_the_form_values() {
        for kind in Integration::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }
}
