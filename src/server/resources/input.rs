//! What a change to CDN resources asks for, validated before anything is written.

use crate::domain::{DomainName, Integration, Origin, ResourceDescription, ResourceName, SecondaryHostnames};
use crate::error::{AppError, FieldErrors};
use crate::model::ChangeSource;
use crate::options::{OptionChoice, OptionName, ResourceOptions};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Who makes a change, and from where: recorded with it.
#[derive(Clone, Debug)]
pub struct Actor {
    pub account_id: i64,
    pub source: ChangeSource,
    /// The API token's name, for changes made through the API.
    pub api_token_name: Option<String>,
    pub client_address: Option<IpAddr>,
}

impl Actor {
    pub fn portal(account_id: i64, client_address: Option<IpAddr>) -> Self {
        Self { account_id, source: ChangeSource::Portal, api_token_name: None, client_address }
    }

    pub fn api(account_id: i64, token_name: String, client_address: Option<IpAddr>) -> Self {
        Self { account_id, source: ChangeSource::Api, api_token_name: Some(token_name), client_address }
    }
}

/// Where a resource's content comes from, as a creation or change asks for it: one origin, which
/// makes a group of one named after it (as Gcore does for `origin`; an identical group of that
/// name is reused), or an existing origin group of the account (Gcore's `originGroup`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginChoice {
    Origin(Origin),
    /// An origin group's id; another account's, or none, is refused on `origin_group`.
    Group(i64),
}

/// A resource to create, validated.
#[derive(Clone, Debug)]
pub struct NewResource {
    pub custom_domain: DomainName,
    /// More custom domains, none by default.
    pub secondary_hostnames: SecondaryHostnames,
    pub name: Option<ResourceName>,
    pub description: Option<ResourceDescription>,
    pub origin: OriginChoice,
    pub integration: Integration,
    /// The options it starts with set: none unless chosen (the integration's defaults apply).
    pub options: ResourceOptions,
    pub active: bool,
    /// HTTPS off, no certificate and HTTP to the origin unless chosen.
    pub https: HttpsSettings,
}

/// A resource's HTTPS settings (Gcore's `sslEnabled`, `sslData`, `originProtocol`,
/// `proxy_ssl_ca`). HTTPS on needs a certificate of the account that covers every host name the
/// resource serves, and a trusted CA must be one of the account's; both are checked when it is saved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HttpsSettings {
    pub ssl_enabled: bool,
    pub ssl_data: Option<i64>,
    pub origin_protocol: edge_feed::OriginProtocol,
    /// The trusted CA certificate for an HTTPS origin, beside the system's roots; none by default.
    pub proxy_ssl_ca: Option<i64>,
}

/// Settings to change; `None` (or an option not named) leaves one as it is. One choice per
/// option: a map, so that a later choice replaces an earlier one instead of being a second change
/// of the same setting in one version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceUpdate {
    /// `Some(None)` removes the name.
    pub name: Option<Option<ResourceName>>,
    /// `Some(None)` removes the description.
    pub description: Option<Option<ResourceDescription>>,
    pub secondary_hostnames: Option<SecondaryHostnames>,
    /// A switch of origin group (recorded in the resource's history, and sent to the edges).
    pub origin: Option<OriginChoice>,
    pub active: Option<bool>,
    pub options: BTreeMap<OptionName, OptionChoice>,
    /// HTTPS on or off (Gcore's `sslEnabled`).
    pub ssl_enabled: Option<bool>,
    /// `Some(None)` removes the certificate (Gcore's `sslData: null`).
    pub ssl_data: Option<Option<i64>>,
    pub origin_protocol: Option<edge_feed::OriginProtocol>,
    /// `Some(None)` removes the trusted CA (Gcore's `proxy_ssl_ca: null`).
    pub proxy_ssl_ca: Option<Option<i64>>,
}

impl ResourceUpdate {
    /// The General section's form: a name and a description (empty: none) and secondary
    /// hostnames, one per line (commas and spaces separate them too), each checked as the
    /// custom domain is. Each problem is reported next to its field.
    pub fn general(name: &str, description: &str, secondary_hostnames: &str) -> Result<Self, AppError> {
        let mut errors = FieldErrors::default();
        let name = ResourceName::parse(name).map_err(|error| errors.add("name", error)).ok();
        let description =
            ResourceDescription::parse(description).map_err(|error| errors.add("description", error)).ok();
        let mut hostnames = Vec::new();
        for text in secondary_hostnames.split(|c: char| c.is_whitespace() || c == ',').filter(|text| !text.is_empty()) {
            match DomainName::parse(text) {
                Ok(hostname) => hostnames.push(hostname),
                Err(error) => {
                    errors.add("secondary_hostnames", format!("{text}: {error}"));
                    break;
                }
            }
        }
        let hostnames = if errors.for_field("secondary_hostnames").is_none() {
            SecondaryHostnames::new(hostnames).map_err(|error| errors.add("secondary_hostnames", error)).ok()
        } else {
            None
        };
        errors.into_result()?;
        Ok(Self { name, description, secondary_hostnames: hostnames, ..Self::default() })
    }
}

impl NewResource {
    /// An active resource with no option set: the integration's defaults apply. Its content comes
    /// from a group of `origin` alone ([`OriginChoice::Origin`]).
    pub fn new(custom_domain: DomainName, origin: Origin, integration: Integration) -> Self {
        Self::using(custom_domain, OriginChoice::Origin(origin), integration)
    }

    /// As [`Self::new`], with its content from `origin`: one origin or an existing group.
    pub fn using(custom_domain: DomainName, origin: OriginChoice, integration: Integration) -> Self {
        Self {
            custom_domain,
            secondary_hostnames: SecondaryHostnames::default(),
            name: None,
            description: None,
            origin,
            integration,
            options: ResourceOptions::default(),
            active: true,
            https: HttpsSettings::default(),
        }
    }

    /// The same resource, starting with `choices` made.
    pub fn choosing(mut self, choices: &BTreeMap<OptionName, OptionChoice>) -> Self {
        for (&option, &choice) in choices {
            self.options.set(option, choice.setting());
        }
        self
    }

    /// Checks every field of the creation form (with a single origin) and reports each problem
    /// next to its field.
    pub fn parse(custom_domain: &str, origin: &str, integration: Option<&str>) -> Result<Self, AppError> {
        Self::parse_form(custom_domain, origin, "", integration)
    }

    /// Checks every field of the portal's creation form and reports each problem next to its
    /// field. The content comes from `origin` (a group of one) or, when it is empty, from the
    /// origin group whose id `origin_group` is (whether it is the account's is checked when the
    /// resource is saved); exactly one of the two.
    pub fn parse_form(
        custom_domain: &str,
        origin: &str,
        origin_group: &str,
        integration: Option<&str>,
    ) -> Result<Self, AppError> {
        let mut errors = FieldErrors::default();
        let custom_domain = DomainName::parse(custom_domain).map_err(|error| errors.add("custom_domain", error)).ok();
        let choice = match (origin.trim(), origin_group.trim()) {
            ("", "") => {
                errors.add("origin", "Enter the origin's host name or IP address, or choose an origin group.");
                None
            }
            (origin, "") => {
                Origin::parse(origin).map(OriginChoice::Origin).map_err(|error| errors.add("origin", error)).ok()
            }
            ("", group) => match group.parse::<i64>() {
                Ok(id) if id > 0 => Some(OriginChoice::Group(id)),
                _ => {
                    errors.add("origin_group", "Choose one of your origin groups.");
                    None
                }
            },
            (_, _) => {
                errors.add("origin_group", "Enter an origin or choose an origin group, not both.");
                None
            }
        };
        let integration = integration
            .unwrap_or_default()
            .parse::<Integration>()
            .map_err(|error| errors.add("integration", error))
            .ok();
        errors.into_result()?;
        match (custom_domain, choice, integration) {
            (Some(custom_domain), Some(choice), Some(integration)) => {
                Ok(Self::using(custom_domain, choice, integration))
            }
            _ => Err(AppError::BadRequest),
        }
    }
}

/// The message for a custom domain that another resource already has.
pub fn domain_taken_message(domain: &DomainName) -> String {
    format!("{domain} is already used by a CDN resource. Each custom domain can have only one.")
}

/// The message for a secondary hostname that is already the resource's own custom domain.
pub fn hostname_is_own_domain_message(domain: &DomainName) -> String {
    format!("{domain} is this resource's custom domain already; list only other domains.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{OptionSetting, OptionValue};

    #[test]
    fn the_form_takes_an_origin_or_a_group_and_never_both() {
        let website = Some(Integration::EntireWebsite.as_str());
        let in_group = NewResource::parse_form("cdn.example.com", " ", "7", website).unwrap();
        assert_eq!(in_group.origin, OriginChoice::Group(7));
        let alone = NewResource::parse_form("cdn.example.com", "origin.example.com", "", website).unwrap();
        assert_eq!(alone.origin, OriginChoice::Origin(Origin::parse("origin.example.com").unwrap()));
        let both = NewResource::parse_form("cdn.example.com", "origin.example.com", "7", website).unwrap_err();
        assert_eq!(both.for_field("origin_group"), Some("Enter an origin or choose an origin group, not both."));
        let neither = NewResource::parse_form("cdn.example.com", "", "", website).unwrap_err();
        assert!(neither.for_field("origin").unwrap().ends_with("or choose an origin group."));
        for not_an_id in ["x", "0", "-3", "1.5"] {
            let error = NewResource::parse_form("not a domain", "", not_an_id, None).unwrap_err();
            assert_eq!(error.for_field("origin_group"), Some("Choose one of your origin groups."), "{not_an_id}");
            assert!(error.for_field("custom_domain").is_some() && error.for_field("integration").is_some());
        }
    }

    #[test]
    fn parse_reports_each_bad_field() {
        let error = NewResource::parse("not a domain", "http://x.example", None).unwrap_err();
        assert!(error.for_field("custom_domain").is_some());
        assert!(error.for_field("origin").unwrap().contains("without http://"));
        assert!(error.for_field("integration").unwrap().contains("Entire website"));
        let error = NewResource::parse("cdn.example.com", "origin.example.com", Some("everything")).unwrap_err();
        assert_eq!(error.for_field("custom_domain"), None);
        assert!(error.for_field("integration").is_some());
    }

    #[test]
    fn the_general_form_reads_lines_and_reports_each_field() {
        let update =
            ResourceUpdate::general("Images", "", "a.example.com\r\nB.example.com, c.example.com\n\n").unwrap();
        assert_eq!(update.name, Some(ResourceName::parse("Images").unwrap()));
        assert_eq!(update.description, Some(None), "empty: none");
        let hostnames = update.secondary_hostnames.unwrap();
        assert_eq!(hostnames.join(" "), "a.example.com b.example.com c.example.com");
        assert_eq!(
            ResourceUpdate::general("", "", "").unwrap().secondary_hostnames,
            Some(SecondaryHostnames::default())
        );
        let error = ResourceUpdate::general("a\tb", "", "ok.example.com not_a_domain").unwrap_err();
        assert!(error.for_field("name").unwrap().contains("control characters"));
        assert!(error.for_field("secondary_hostnames").unwrap().starts_with("not_a_domain: "), "{error:?}");
        assert_eq!(error.for_field("description"), None);
        let twice = ResourceUpdate::general("", "", "a.example.com A.example.com").unwrap_err();
        assert!(twice.for_field("secondary_hostnames").unwrap().contains("twice"));
    }

    #[test]
    fn a_choice_made_at_creation_is_stored_as_written_and_a_default_is_not_stored() {
        let new = NewResource::parse("cdn.example.com", "origin.example.com", Some("static_assets")).unwrap();
        assert_eq!(new.options.websockets, None);
        for enabled in [true, false] {
            let setting = OptionSetting { enabled, value: OptionValue::Switch(true) };
            let chosen = new.clone().choosing(&BTreeMap::from([(OptionName::Websockets, OptionChoice::Set(setting))]));
            assert_eq!(chosen.options.websockets, Some(OptionSetting { enabled, value: true }));
            let defaulted = chosen.choosing(&BTreeMap::from([(OptionName::Websockets, OptionChoice::Default)]));
            assert_eq!(defaulted.options, new.options);
        }
    }
}
