//! The JSON the resource operations read and write, and what the OpenAPI document says of it.
//!
//! The patterns in the schema and the checks in [`super::input`] are the same strings (a test
//! holds them together), so a value the document calls valid is accepted and one it calls
//! invalid is refused.

use crate::domain::{Integration, MAX_RESOURCE_DESCRIPTION_CHARS, MAX_RESOURCE_NAME_CHARS, MAX_SECONDARY_HOSTNAMES};
use crate::model::{CdnResource, ResourceStatus};
use crate::options::{ResourceOptions, ResourceOptionsInput, present};
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

/// Secondary hostnames as the API reads them: at most ten custom domains, none twice.
pub struct HostnameList;

impl utoipa::PartialSchema for HostnameList {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Cname")))
            .max_items(Some(MAX_SECONDARY_HOSTNAMES))
            .unique_items(true)
            .description(Some("More custom domains, each written as `cname` is and unique across the CDN."))
            .into()
    }
}

impl ToSchema for HostnameList {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("Cname".to_owned(), <Cname as utoipa::PartialSchema>::schema()));
    }
}

/// A resource's name as the API reads it: a string, or `null` for none.
pub struct NameText;

impl utoipa::PartialSchema for NameText {
    fn schema() -> RefOr<Schema> {
        nullable_text_schema(MAX_RESOURCE_NAME_CHARS)
    }
}

impl ToSchema for NameText {}

/// A resource's description as the API reads it: a string, or `null` for none.
pub struct DescriptionText;

impl utoipa::PartialSchema for DescriptionText {
    fn schema() -> RefOr<Schema> {
        nullable_text_schema(MAX_RESOURCE_DESCRIPTION_CHARS)
    }
}

impl ToSchema for DescriptionText {}

fn nullable_text_schema(max: usize) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(max))
        .pattern(Some(TEXT_PATTERN))
        .description(Some(format!(
            "Up to {max} characters, without control characters (line breaks, tabs). `null` or an empty string: none (read back as `null`)."
        )))
        .into()
}

/// No control characters (Unicode category Cc: U+0000 to U+001F and U+007F to U+009F), which
/// is what [`crate::domain::ResourceName`] refuses, in a syntax every JSON Schema tool reads.
pub const TEXT_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";

/// The message for a body that names an origin group.
pub const NO_ORIGIN_GROUPS: &str =
    "Origin groups are not offered yet: give the origin's address in `origin` instead of `originGroup`.";

/// A CDN resource.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Resource)]
pub struct ResourceBody {
    /// The resource's id.
    #[schema(minimum = 1)]
    pub(super) id: i64,
    /// The id of the account the resource belongs to (the API token's account).
    #[schema(minimum = 1)]
    pub(super) client: i64,
    /// The custom domain visitors use; it cannot be changed after creation.
    #[schema(example = "cdn.example.com")]
    pub(super) cname: String,
    /// More custom domains the resource serves (at most ten), in the order given. Visitors
    /// asking for one reach the same origin; the origin is told the `cname` as `Host`.
    #[serde(rename = "secondaryHostnames")]
    #[schema(value_type = Vec<Cname>, max_items = 10)]
    pub(super) secondary_hostnames: Vec<String>,
    /// What the customer calls the resource; `null` for none.
    #[schema(value_type = Option<String>, example = "Images")]
    pub(super) name: Option<String>,
    /// A comment about the resource; `null` for none.
    #[schema(value_type = Option<String>)]
    pub(super) description: Option<String>,
    /// `active` once every CDN edge that reported in the last 90 seconds serves the resource's
    /// latest change; `processed` while that change is still reaching them, and also while no
    /// edge reports at all (then nothing serves the resource, so a script waiting for `active`
    /// keeps waiting); `suspended` when the resource is inactive (`active: false`). Read-only.
    pub(super) status: ResourceStatus,
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
    /// Required (origin groups, Gcore's alternative, are not offered yet).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = OriginAddress, required = true)]
    pub(super) origin: Option<String>,
    /// What the CDN serves; `entire_website` when left out. It cannot be changed after creation.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) integration: Option<Integration>,
    /// What the customer calls the resource; none when left out.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = NameText, required = false)]
    pub(super) name: Option<Option<String>>,
    /// A comment about the resource.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = DescriptionText, required = false)]
    pub(super) description: Option<Option<String>>,
    /// More custom domains (at most ten, each unique across the CDN, none the `cname`), each
    /// written exactly as `cname` is. The list replaces the one stored; `[]` removes them all.
    #[serde(default, rename = "secondaryHostnames", deserialize_with = "present")]
    #[schema(value_type = HostnameList, required = false, nullable = false)]
    pub(super) secondary_hostnames: Option<Vec<String>>,
    /// Gcore's origin group, not offered yet: a body naming it is refused with 422 and a message
    /// under `originGroup`. Read here so as to say so; left out of the document, where no value
    /// of it is valid.
    #[serde(default, rename = "originGroup", deserialize_with = "present")]
    #[schema(ignore)]
    pub(super) origin_group: Option<serde_json::Value>,
    /// Whether the CDN serves the custom domain; true when left out.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) active: Option<bool>,
    /// Left out, or without `websockets`: the integration's default applies, as in the portal.
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
    /// Left out: none, as are `description` and `secondaryHostnames`.
    /// What the customer calls the resource. Left out: none, as for `description` and `secondaryHostnames`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = NameText, required = false)]
    pub(super) name: Option<Option<String>>,
    /// A comment about the resource.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = DescriptionText, required = false)]
    pub(super) description: Option<Option<String>>,
    /// More custom domains (at most ten, each unique across the CDN, none the `cname`), each
    /// written exactly as `cname` is. The list replaces the one stored; `[]` removes them all.
    #[serde(default, rename = "secondaryHostnames", deserialize_with = "present")]
    #[schema(value_type = HostnameList, required = false, nullable = false)]
    pub(super) secondary_hostnames: Option<Vec<String>>,
    /// Gcore's origin group, not offered yet: a body naming it is refused with 422 and a message
    /// under `originGroup`. Read here so as to say so; left out of the document, where no value
    /// of it is valid.
    #[serde(default, rename = "originGroup", deserialize_with = "present")]
    #[schema(ignore)]
    pub(super) origin_group: Option<serde_json::Value>,
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
    /// What the customer calls the resource; `null` or an empty string removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = NameText, required = false)]
    pub(super) name: Option<Option<String>>,
    /// A comment about the resource.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = DescriptionText, required = false)]
    pub(super) description: Option<Option<String>>,
    /// More custom domains (at most ten, each unique across the CDN, none the `cname`), each
    /// written exactly as `cname` is. The list replaces the one stored; `[]` removes them all.
    #[serde(default, rename = "secondaryHostnames", deserialize_with = "present")]
    #[schema(value_type = HostnameList, required = false, nullable = false)]
    pub(super) secondary_hostnames: Option<Vec<String>>,
    /// Gcore's origin group, not offered yet: a body naming it is refused with 422 and a message
    /// under `originGroup`. Read here so as to say so; left out of the document, where no value
    /// of it is valid.
    #[serde(default, rename = "originGroup", deserialize_with = "present")]
    #[schema(ignore)]
    pub(super) origin_group: Option<serde_json::Value>,
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

/// `null` is `Some(None)`, told apart from a field left out (`None`).
fn nullable<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
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

impl ResourceBody {
    /// The resource as the API shows it, with its `status` (see [`ResourceStatus::of`]).
    pub(super) fn new(resource: &CdnResource, status: ResourceStatus) -> Self {
        ResourceBody {
            id: resource.id,
            client: resource.account_id,
            cname: resource.custom_domain.to_string(),
            secondary_hostnames: resource.secondary_hostnames.as_slice().iter().map(ToString::to_string).collect(),
            name: resource.name.as_ref().map(ToString::to_string),
            description: resource.description.as_ref().map(ToString::to_string),
            status,
            origin: resource.origin.to_string(),
            integration: resource.integration,
            active: resource.active,
            created: resource.created_at.to_rfc3339(),
            updated: resource.updated_at.to_rfc3339(),
            options: resource.options,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_pattern_refuses_what_names_and_descriptions_refuse() {
        let pattern = regex::Regex::new(TEXT_PATTERN).unwrap();
        for text in ["", "Images — EU", "  spaced  ", "ünïcode ☃", "\u{a0}non-breaking"] {
            assert!(pattern.is_match(text), "{text:?}");
            assert!(crate::domain::ResourceName::parse(text).is_ok(), "{text:?}");
        }
        for text in ["a\nb", "\t", "\0", "\u{7f}", "\u{85}", "\u{9f}"] {
            assert!(!pattern.is_match(text), "{text:?}");
            assert!(crate::domain::ResourceName::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn the_document_states_the_patterns_that_are_enforced() {
        let document: serde_json::Value = serde_json::from_str(&super::super::openapi_json()).unwrap();
        let schemas = &document["components"]["schemas"];
        // null is refused ("leave it out" is said by leaving it out), and the document says so,
        // except where null means none (a name, a description).
        for schema in ["ResourceCreate", "ResourceReplace", "ResourcePatch", "ResourceOptionsInput"] {
            let mut schema_json = schemas[schema].clone();
            if let Some(properties) = schema_json["properties"].as_object_mut() {
                properties.remove("name");
                properties.remove("description");
            }
            assert!(!schema_json.to_string().contains("null"), "{schema}: {schema_json}");
        }
        assert_eq!(schemas["Cname"]["pattern"], CNAME_PATTERN);
        assert_eq!(schemas["OriginAddress"]["pattern"], ORIGIN_PATTERN);
        assert_eq!(schemas["OriginAddress"]["maxLength"], MAX_NAME_LEN);
        let refers_to = |schema: &serde_json::Value, name: &str| {
            schema.to_string().contains(&format!("#/components/schemas/{name}"))
        };
        assert!(refers_to(&schemas["ResourceCreate"]["properties"]["cname"], "Cname"));
        for (text, max) in [("NameText", MAX_RESOURCE_NAME_CHARS), ("DescriptionText", MAX_RESOURCE_DESCRIPTION_CHARS)]
        {
            assert!(schemas[text]["type"].to_string().contains("null"), "{text}: {}", schemas[text]);
            assert_eq!(schemas[text]["maxLength"], max);
        }
        for schema in ["ResourceCreate", "ResourceReplace", "ResourcePatch"] {
            assert!(refers_to(&schemas[schema]["properties"]["name"], "NameText"), "{schema}");
            assert!(refers_to(&schemas[schema]["properties"]["secondaryHostnames"], "HostnameList"), "{schema}");
        }
        for schema in ["ResourceCreate", "ResourceReplace", "ResourcePatch"] {
            assert!(refers_to(&schemas[schema]["properties"]["origin"], "OriginAddress"), "{schema}");
        }
        let list = &document["paths"]["/cdn/resources"]["get"]["parameters"];
        let cname = list.as_array().unwrap().iter().find(|parameter| parameter["name"] == "cname").unwrap();
        assert!(refers_to(&cname["schema"], "Cname"), "{cname}");
    }
}
