//! The JSON the resource operations read and write, and what the OpenAPI document says of it.
//!
//! The patterns in the schema and the checks in [`super::input`] are the same strings (a test
//! holds them together), so a value the document calls valid is accepted and one it calls
//! invalid is refused.

use crate::domain::Integration;
use crate::model::CdnResource;
use crate::options::{OptionsInForce, ResourceOptions, ResourceOptionsInput, present};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, ToSchema};

pub const CNAME_PATTERN: &str =
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$";
pub const ORIGIN_PATTERN: &str = r"^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?|(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])|\[(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,7}:|(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,5}(?::[0-9A-Fa-f]{1,4}){1,2}|(?:[0-9A-Fa-f]{1,4}:){1,4}(?::[0-9A-Fa-f]{1,4}){1,3}|(?:[0-9A-Fa-f]{1,4}:){1,3}(?::[0-9A-Fa-f]{1,4}){1,4}|(?:[0-9A-Fa-f]{1,4}:){1,2}(?::[0-9A-Fa-f]{1,4}){1,5}|[0-9A-Fa-f]{1,4}:(?::[0-9A-Fa-f]{1,4}){1,6}|:(?::[0-9A-Fa-f]{1,4}){1,7}|::)\])(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?$";
/// Both a domain name's limit and, with a port, more than any origin needs.
pub const MAX_NAME_LEN: usize = 253;

/// A custom domain, written exactly.
pub struct Cname;

impl utoipa::PartialSchema for Cname {
    fn schema() -> RefOr<Schema> {
        string_schema(
            CNAME_PATTERN,
            "A custom domain such as cdn.example.com: letters, digits and hyphens, in parts separated by dots, the last one starting with a letter.",
            "cdn.example.com",
        )
    }
}

impl ToSchema for Cname {}

/// An origin, written exactly.
pub struct OriginAddress;

impl utoipa::PartialSchema for OriginAddress {
    fn schema() -> RefOr<Schema> {
        string_schema(
            ORIGIN_PATTERN,
            "Where the CDN fetches content: a host name, an IPv4 address or a bracketed IPv6 address, with an optional port from 1 to 65535.",
            "origin.example.com:8080",
        )
    }
}

impl ToSchema for OriginAddress {}

fn string_schema(pattern: &str, description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .max_length(Some(MAX_NAME_LEN))
        .description(Some(description))
        .examples([example])
        .into()
}

/// A CDN resource.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Resource)]
pub struct ResourceBody {
    /// The resource's id.
    #[schema(minimum = 1)]
    pub(super) id: i64,
    /// The custom domain visitors use; it cannot be changed after creation.
    #[schema(example = "cdn.example.com")]
    pub(super) cname: String,
    /// Where the CDN fetches content: a host name, IPv4 address or bracketed IPv6 address, with an optional port.
    #[schema(example = "origin.example.com:8080")]
    pub(super) origin: String,
    pub(super) integration: Integration,
    /// Whether the CDN serves the custom domain.
    pub(super) active: bool,
    /// When the resource was created.
    #[schema(format = DateTime)]
    pub(super) created: String,
    /// When a setting was last changed.
    #[schema(format = DateTime)]
    pub(super) updated: String,
    pub(super) options: ResourceOptions,
    /// Ours, not Gcore's: the value of each option in force (read-only), whether it comes from
    /// `options` (set and enabled) or from the integration's default. What the CDN edges do.
    #[serde(rename = "optionsInForce")]
    pub(super) options_in_force: OptionsInForce,
}

/// A CDN resource to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResourceCreate)]
pub struct CreateBody {
    /// The custom domain visitors use, unique across the CDN.
    #[schema(value_type = Cname)]
    pub(super) cname: String,
    /// Where the CDN fetches content: a host name, IPv4 address or bracketed IPv6 address, with an optional port.
    #[schema(value_type = OriginAddress)]
    pub(super) origin: String,
    pub(super) integration: Integration,
    /// Whether the CDN serves the custom domain; true when left out.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) active: Option<bool>,
    /// Left out, or without `websockets`: the option is not set and the integration's default
    /// applies, as in the portal.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) options: Option<ResourceOptionsInput>,
}

/// A CDN resource's settings, replacing all of them. Settings left out return to their defaults.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResourceReplace)]
pub struct ReplaceBody {
    #[schema(value_type = OriginAddress)]
    pub(super) origin: String,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) active: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) options: Option<ResourceOptionsInput>,
}

/// Settings to change; those left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResourcePatch)]
pub struct PatchBody {
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false, value_type = Option<OriginAddress>)]
    pub(super) origin: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) active: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) options: Option<ResourceOptionsInput>,
}

/// The resource a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ResourceId {
    /// The resource's id.
    pub(super) id: i64,
}

/// The version a change is made from.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatch {
    /// The ETag of the resource as last read: the change is refused with 409 if it changed since.
    #[param(rename = "If-Match", nullable = false)]
    pub(super) if_match: Option<String>,
}

/// Query of the list: a page, optionally only the resource with one custom domain.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many resources to return, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub(super) limit: Option<i64>,
    /// How many resources to skip (default 0).
    #[param(minimum = 0)]
    pub(super) offset: Option<i64>,
    /// Only the resource with this custom domain.
    #[param(value_type = Option<Cname>)]
    pub(super) cname: Option<String>,
}

impl From<&CdnResource> for ResourceBody {
    fn from(resource: &CdnResource) -> Self {
        ResourceBody {
            id: resource.id,
            cname: resource.custom_domain.to_string(),
            origin: resource.origin.to_string(),
            integration: resource.integration,
            active: resource.active,
            created: resource.created_at.to_rfc3339(),
            updated: resource.updated_at.to_rfc3339(),
            options: resource.options,
            options_in_force: resource.options_in_force,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_states_the_patterns_that_are_enforced() {
        let document: serde_json::Value = serde_json::from_str(&super::super::openapi_json()).unwrap();
        let schemas = &document["components"]["schemas"];
        // null is refused ("leave it out" is said by leaving it out), and the document says so;
        // except for an option, where null removes it (Gcore: "the option is not added").
        for schema in ["ResourceCreate", "ResourceReplace", "ResourcePatch"] {
            assert!(!schemas[schema].to_string().contains("null"), "{schema}: {}", schemas[schema]);
        }
        let nullable = |schema: &serde_json::Value| schema.to_string().contains("\"null\"");
        for shape in ["ResourceOptionsInput", "ResourceOptions"] {
            let properties = schemas[shape]["properties"].as_object().unwrap();
            assert_eq!(properties.len(), crate::options::OptionName::ALL.len(), "{shape}");
            for option in crate::options::OptionName::ALL {
                let property = &properties[option.api_name()];
                assert!(nullable(property), "{shape}.{}: {property}", option.api_name());
                let without_null = property.to_string().replace("\"null\"", "");
                assert!(without_null.contains("OptionSetting"), "{shape}.{}: {property}", option.api_name());
            }
        }
        // Every option is in `options` (null or a setting) and in `optionsInForce` (a value).
        let required = |shape: &str| schemas[shape]["required"].as_array().cloned().unwrap_or_default();
        assert_eq!(required("ResourceOptions").len(), crate::options::OptionName::ALL.len());
        assert_eq!(required("ResourceOptionsInput").len(), 0, "each option may be left out");
        let in_force = &schemas["OptionsInForce"];
        assert!(!nullable(in_force), "{in_force}");
        let values = in_force["properties"].as_object().unwrap();
        assert_eq!(values.len(), crate::options::OptionName::ALL.len(), "{in_force}");
        assert!(values.values().all(|value| value["readOnly"] == true), "{in_force}");
        assert_eq!(in_force["required"].as_array().unwrap().len(), crate::options::OptionName::ALL.len());
        assert!(schemas["Resource"]["required"].as_array().unwrap().contains(&"optionsInForce".into()));
        assert_eq!(schemas["Cname"]["pattern"], CNAME_PATTERN);
        assert_eq!(schemas["OriginAddress"]["pattern"], ORIGIN_PATTERN);
        assert_eq!(schemas["OriginAddress"]["maxLength"], MAX_NAME_LEN);
        let refers_to = |schema: &serde_json::Value, name: &str| {
            schema.to_string().contains(&format!("#/components/schemas/{name}"))
        };
        assert!(refers_to(&schemas["ResourceCreate"]["properties"]["cname"], "Cname"));
        assert!(refers_to(&schemas["Resource"]["properties"]["optionsInForce"], "OptionsInForce"));
        for schema in ["ResourceCreate", "ResourceReplace", "ResourcePatch"] {
            assert!(refers_to(&schemas[schema]["properties"]["origin"], "OriginAddress"), "{schema}");
        }
        let list = &document["paths"]["/cdn/resources"]["get"]["parameters"];
        let cname = list.as_array().unwrap().iter().find(|parameter| parameter["name"] == "cname").unwrap();
        assert!(refers_to(&cname["schema"], "Cname"), "{cname}");
    }
}
