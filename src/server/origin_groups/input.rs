//! What a change to an origin group asks for, validated before anything is written.

use crate::domain::{NextUpstreamPolicy, Origin, OriginGroupName, OriginSource, OriginSources};
use crate::error::{AppError, FieldErrors};
use crate::model::SourceInput;
use edge_feed::NextUpstream;

/// A whole group's settings, validated: what creating or replacing a group sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSettings {
    pub name: OriginGroupName,
    pub sources: OriginSources,
    pub next_upstream: NextUpstreamPolicy,
}

/// Settings to change; `None` leaves one as it is. `use_next` and `proxy_next_upstream` are
/// checked together against what is stored ([`NextUpstreamPolicy::new`]) when the change is
/// made, since either may be given alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupUpdate {
    pub name: Option<OriginGroupName>,
    pub sources: Option<OriginSources>,
    pub use_next: Option<bool>,
    pub proxy_next_upstream: Option<Vec<NextUpstream>>,
}

impl From<GroupSettings> for GroupUpdate {
    /// Every setting, as a replacement (Gcore's `PUT`).
    fn from(settings: GroupSettings) -> Self {
        Self {
            name: Some(settings.name),
            sources: Some(settings.sources),
            use_next: Some(settings.next_upstream.use_next()),
            proxy_next_upstream: Some(settings.next_upstream.cases().to_vec()),
        }
    }
}

impl GroupSettings {
    /// A group of one enabled primary `origin` named `name`, with Gcore's defaults otherwise.
    pub fn of_one(name: OriginGroupName, origin: Origin) -> Self {
        Self { name, sources: OriginSources::one(origin), next_upstream: NextUpstreamPolicy::default() }
    }

    /// Checks every field of a group's form and reports each problem next to its field:
    /// `name`, `sources` and `proxy_next_upstream` (`use_next` without a case is reported there).
    pub fn parse(name: &str, sources: &[SourceInput], use_next: bool, cases: &[String]) -> Result<Self, AppError> {
        let mut errors = FieldErrors::default();
        let name = OriginGroupName::parse(name).map_err(|error| errors.add("name", error)).ok();
        let sources = parse_sources(sources).map_err(|error| errors.add("sources", error)).ok();
        let next_upstream = parse_cases(cases)
            .and_then(|cases| NextUpstreamPolicy::new(use_next, cases).map_err(|error| error.to_string()))
            .map_err(|error| errors.add("proxy_next_upstream", error))
            .ok();
        errors.into_result()?;
        match (name, sources, next_upstream) {
            (Some(name), Some(sources), Some(next_upstream)) => Ok(Self { name, sources, next_upstream }),
            _ => Err(AppError::BadRequest),
        }
    }
}

/// The origins of a form or request, each checked as a resource's origin: the message of the
/// first problem, naming the origin by its place (“Origin 2: …”) when there are several.
pub fn parse_sources(inputs: &[SourceInput]) -> Result<OriginSources, String> {
    let mut sources = Vec::with_capacity(inputs.len());
    for (n, input) in inputs.iter().enumerate() {
        match Origin::parse(&input.source) {
            Ok(source) => sources.push(OriginSource { source, enabled: input.enabled, backup: input.backup }),
            Err(error) if inputs.len() == 1 => return Err(error.to_string()),
            Err(error) => return Err(format!("Origin {}: {error}", n + 1)),
        }
    }
    OriginSources::new(sources).map_err(|error| error.to_string())
}

/// The cases named (Gcore's `proxy_next_upstream`), or a message naming the first unknown one.
pub fn parse_cases(names: &[String]) -> Result<Vec<NextUpstream>, String> {
    names
        .iter()
        .map(|name| {
            NextUpstream::from_name(name).ok_or_else(|| {
                let known: Vec<&str> = NextUpstream::ALL.iter().map(|case| case.as_str()).collect();
                format!("“{name}” is not a case this CDN knows; use {}.", known.join(", "))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(source: &str, enabled: bool, backup: bool) -> SourceInput {
        SourceInput { source: source.to_owned(), enabled, backup }
    }

    #[test]
    fn each_bad_field_is_reported_beside_it() {
        let error = GroupSettings::parse(
            " ",
            &[input("a.example.com", true, false), input("http://b.example.com", true, false)],
            true,
            &[],
        )
        .unwrap_err();
        assert!(error.for_field("name").unwrap().contains("Enter a name"));
        assert_eq!(
            error.for_field("sources"),
            Some("Origin 2: Enter the origin without http:// or https://, such as origin.example.com:8080.")
        );
        assert!(error.for_field("proxy_next_upstream").unwrap().contains("at least one case"));
        let unknown =
            GroupSettings::parse("G", &[input("a.example.com", true, false)], false, &["http_418".into()]).unwrap_err();
        assert!(unknown.for_field("proxy_next_upstream").unwrap().starts_with("“http_418” is not a case"));
        let backups = GroupSettings::parse("G", &[input("a.example.com", true, true)], false, &[]).unwrap_err();
        assert!(backups.for_field("sources").unwrap().contains("not a backup"));
    }

    #[test]
    fn a_valid_form_keeps_the_order_given() {
        let settings = GroupSettings::parse(
            " Main ",
            &[input("b.example.com", true, true), input("a.example.com:8080", true, false)],
            true,
            &["http_502".into(), "error".into()],
        )
        .unwrap();
        assert_eq!(settings.name.as_str(), "Main");
        assert_eq!(settings.sources.first_primary().to_string(), "a.example.com:8080");
        assert_eq!(settings.next_upstream.cases(), [NextUpstream::Http502, NextUpstream::Error]);
    }
}
