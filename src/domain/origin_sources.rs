//! An origin group's origins (Gcore's `sources` of `/cdn/origin_groups`).

use super::{Origin, OriginSource};
use serde::{Deserialize, Serialize};

/// How many origins one group may have: the portal's limit, so that a request cannot cost the
/// edge more connection attempts than this.
pub const MAX_ORIGIN_SOURCES: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OriginSourcesError {
    #[error("Add at least one origin to the group.")]
    Empty,
    #[error("An origin group can have at most {MAX_ORIGIN_SOURCES} origins.")]
    TooMany,
    #[error(
        "At least one origin must be enabled and not a backup: backups are used only when no other origin can be reached."
    )]
    NoActivePrimary,
}

/// 1 to [`MAX_ORIGIN_SOURCES`] origins in the customer's order, at least one of them enabled and
/// not a backup (Gcore: "Origin group must contain at least one enabled origin"; a group of
/// backups alone would never be used). An origin may be listed more than once, as a server may in
/// nginx's `upstream` (Gcore states no rule against it): it then takes a turn for each time.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<OriginSource>", into = "Vec<OriginSource>")]
pub struct OriginSources(Vec<OriginSource>);

impl OriginSources {
    pub fn new(sources: Vec<OriginSource>) -> Result<Self, OriginSourcesError> {
        if sources.is_empty() {
            return Err(OriginSourcesError::Empty);
        }
        if sources.len() > MAX_ORIGIN_SOURCES {
            return Err(OriginSourcesError::TooMany);
        }
        if !sources.iter().any(OriginSource::is_active_primary) {
            return Err(OriginSourcesError::NoActivePrimary);
        }
        Ok(Self(sources))
    }

    /// One enabled primary origin: a resource's `origin` as a group (Gcore makes one when a
    /// resource is created with `origin`).
    pub fn one(origin: Origin) -> Self {
        Self(vec![OriginSource::primary(origin)])
    }

    pub fn as_slice(&self) -> &[OriginSource] {
        &self.0
    }

    /// The first enabled primary: the resource's `origin` for those that show or send only one
    /// (the feed's `origin`, for edges from before origin groups; the resource list). There is
    /// always one ([`Self::new`]).
    pub fn first_primary(&self) -> &Origin {
        let first = self.0.iter().find(|source| source.is_active_primary()).unwrap_or(&self.0[0]);
        &first.source
    }

    /// The enabled origins, in order: those the edges use.
    pub fn enabled(&self) -> impl Iterator<Item = &OriginSource> {
        self.0.iter().filter(|source| source.enabled)
    }
}

impl TryFrom<Vec<OriginSource>> for OriginSources {
    type Error = OriginSourcesError;
    fn try_from(sources: Vec<OriginSource>) -> Result<Self, Self::Error> {
        Self::new(sources)
    }
}

impl From<OriginSources> for Vec<OriginSource> {
    fn from(value: OriginSources) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str, enabled: bool, backup: bool) -> OriginSource {
        OriginSource { source: Origin::parse(text).unwrap(), enabled, backup }
    }

    #[test]
    fn needs_an_enabled_primary_and_at_most_ten_origins() {
        let sources = OriginSources::new(vec![
            source("b.example.com", false, false),
            source("backup.example.com", true, true),
            source("a.example.com:8080", true, false),
        ])
        .unwrap();
        assert_eq!(sources.first_primary().to_string(), "a.example.com:8080");
        assert_eq!(sources.enabled().count(), 2);
        assert_eq!(OriginSources::new(vec![]), Err(OriginSourcesError::Empty));
        assert_eq!(
            OriginSources::new(vec![source("a.example.com", false, false), source("b.example.com", true, true)]),
            Err(OriginSourcesError::NoActivePrimary)
        );
        let twice = vec![source("a.example.com", true, false), source("A.example.com", true, true)];
        assert_eq!(OriginSources::new(twice.clone()).map(|sources| sources.as_slice().to_vec()), Ok(twice));
        let many = (0..=MAX_ORIGIN_SOURCES).map(|n| source(&format!("o{n}.example.com"), true, false)).collect();
        assert_eq!(OriginSources::new(many), Err(OriginSourcesError::TooMany));
    }

    #[test]
    fn json_reads_only_what_new_accepts() {
        let sources = OriginSources::one(Origin::parse("a.example.com").unwrap());
        let json = serde_json::to_string(&sources).unwrap();
        assert_eq!(json, r#"[{"source":"a.example.com","enabled":true,"backup":false}]"#);
        assert_eq!(serde_json::from_str::<OriginSources>(&json).unwrap(), sources);
        assert!(
            serde_json::from_str::<OriginSources>(r#"[{"source":"a.example.com","enabled":true,"backup":true}]"#)
                .is_err()
        );
        assert!(
            serde_json::from_str::<OriginSources>(
                r#"[{"source":"http://a.example.com","enabled":true,"backup":false}]"#
            )
            .is_err()
        );
    }
}
