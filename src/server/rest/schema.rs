//! The JSON the resource operations read and write, and what the OpenAPI document says of it.
//!
//! The patterns in the schema and the checks in [`super::input`] are the same strings (a test
//! holds them together), so a value the document calls valid is accepted and one it calls
//! invalid is refused.

use super::ApiError;
use crate::domain::{
    Integration, MAX_RESOURCE_DESCRIPTION_CHARS, MAX_RESOURCE_NAME_CHARS, MAX_SECONDARY_HOSTNAMES, Timestamp,
};
use crate::model::{CdnResource, ResourceStatus};
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
    /// The first enabled origin (not a backup) of the resource's origin group: a host name, IPv4
    /// address or bracketed IPv6 address, with an optional port. Read from the group.
    #[schema(example = "origin.example.com:8080")]
    pub(super) origin: String,
    /// The id of the origin group the CDN fetches the resource's content from.
    #[serde(rename = "originGroup")]
    #[schema(minimum = 1)]
    pub(super) origin_group: i64,
    /// The name of that origin group.
    #[serde(rename = "originGroup_name")]
    #[schema(example = "origin.example.com:8080")]
    pub(super) origin_group_name: String,
    pub(super) integration: Integration,
    /// Whether the CDN serves the custom domain.
    pub(super) active: bool,
    /// HTTPS for visitors (Gcore's `sslEnabled`).
    #[serde(rename = "sslEnabled")]
    pub(super) ssl_enabled: bool,
    /// The id of the SSL certificate the CDN presents (Gcore's `sslData`); `null` for none.
    #[serde(rename = "sslData")]
    #[schema(minimum = 1)]
    pub(super) ssl_data: Option<i64>,
    /// How the CDN speaks to the origin (Gcore's `originProtocol`).
    #[serde(rename = "originProtocol")]
    #[schema(value_type = OriginProtocolName)]
    pub(super) origin_protocol: &'static str,
    /// The id of the trusted CA certificate (Gcore's `proxy_ssl_ca`, `/cdn/sslCertificates`) the
    /// CDN trusts, beside the public roots, when it verifies an HTTPS origin; `null` for the
    /// public roots only. Origins are always verified.
    #[schema(minimum = 1)]
    pub(super) proxy_ssl_ca: Option<i64>,
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
    /// Where the CDN fetches content: a host name, IPv4 address or bracketed IPv6 address, with an
    /// optional port. It makes an origin group of this origin alone, named after it (one the
    /// account has already, exactly this origin, is used). Give this or `originGroup`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = OriginAddress, required = false)]
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
    /// The id of one of the account's origin groups, where the CDN fetches content from (Gcore's
    /// `originGroup`). Give this or `origin`, not both.
    #[serde(default, rename = "originGroup", deserialize_with = "present_id")]
    #[schema(value_type = i64, minimum = 1, required = false, nullable = false)]
    pub(super) origin_group: Option<i64>,
    /// Whether the CDN serves the custom domain; true when left out.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) active: Option<bool>,
    /// HTTPS for visitors (Gcore's `sslEnabled`): on needs `sslData` (422 without it), a certificate
    /// of the account covering the `cname` and every secondary hostname (409 under `sslData` when
    /// it does not).
    #[serde(default, rename = "sslEnabled", deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) ssl_enabled: Option<bool>,
    /// The id of the account's SSL certificate (Gcore's `sslData`, `/cdn/sslData`); `null` for
    /// none. Another account's, or none, is refused with 404 under `sslData`.
    #[serde(default, rename = "sslData", deserialize_with = "nullable_id")]
    #[schema(value_type = Option<i64>, minimum = 1, required = false)]
    pub(super) ssl_data: Option<Option<i64>>,
    /// How the CDN speaks to the origin (Gcore's `originProtocol`): `HTTP`, `HTTPS`, or `MATCH`
    /// (the visitor's scheme).
    #[serde(default, rename = "originProtocol", deserialize_with = "present")]
    #[schema(value_type = OriginProtocolName, required = false, nullable = false)]
    pub(super) origin_protocol: Option<String>,
    /// The id of the account's trusted CA certificate (Gcore's `proxy_ssl_ca`,
    /// `/cdn/sslCertificates`) to trust, beside the public roots, when verifying an HTTPS origin;
    /// `null` for the public roots only. Another account's, or none, is refused with 404 under
    /// `proxy_ssl_ca`.
    #[serde(default, deserialize_with = "nullable_id")]
    #[schema(value_type = Option<i64>, minimum = 1, required = false)]
    pub(super) proxy_ssl_ca: Option<Option<i64>>,
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
    /// As in a creation: this or `originGroup` is required.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = OriginAddress, required = false)]
    pub(super) origin: Option<String>,
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
    /// The id of one of the account's origin groups, where the CDN fetches content from (Gcore's
    /// `originGroup`). Give this or `origin`, not both.
    #[serde(default, rename = "originGroup", deserialize_with = "present_id")]
    #[schema(value_type = i64, minimum = 1, required = false, nullable = false)]
    pub(super) origin_group: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) active: Option<bool>,
    /// HTTPS for visitors (Gcore's `sslEnabled`): on needs `sslData` (422 without it), a certificate
    /// of the account covering the `cname` and every secondary hostname (409 under `sslData` when
    /// it does not).
    #[serde(default, rename = "sslEnabled", deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) ssl_enabled: Option<bool>,
    /// The id of the account's SSL certificate (Gcore's `sslData`, `/cdn/sslData`); `null` for
    /// none. Another account's, or none, is refused with 404 under `sslData`.
    #[serde(default, rename = "sslData", deserialize_with = "nullable_id")]
    #[schema(value_type = Option<i64>, minimum = 1, required = false)]
    pub(super) ssl_data: Option<Option<i64>>,
    /// How the CDN speaks to the origin (Gcore's `originProtocol`): `HTTP`, `HTTPS`, or `MATCH`
    /// (the visitor's scheme).
    #[serde(default, rename = "originProtocol", deserialize_with = "present")]
    #[schema(value_type = OriginProtocolName, required = false, nullable = false)]
    pub(super) origin_protocol: Option<String>,
    /// The id of the account's trusted CA certificate (Gcore's `proxy_ssl_ca`,
    /// `/cdn/sslCertificates`) to trust, beside the public roots, when verifying an HTTPS origin;
    /// `null` for the public roots only. Another account's, or none, is refused with 404 under
    /// `proxy_ssl_ca`.
    #[serde(default, deserialize_with = "nullable_id")]
    #[schema(value_type = Option<i64>, minimum = 1, required = false)]
    pub(super) proxy_ssl_ca: Option<Option<i64>>,
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
    /// The id of one of the account's origin groups, where the CDN fetches content from (Gcore's
    /// `originGroup`). Give this or `origin`, not both.
    #[serde(default, rename = "originGroup", deserialize_with = "present_id")]
    #[schema(value_type = i64, minimum = 1, required = false, nullable = false)]
    pub(super) origin_group: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false, value_type = Option<OriginAddress>)]
    pub(super) origin: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) active: Option<bool>,
    /// HTTPS for visitors (Gcore's `sslEnabled`): on needs a certificate, `sslData` or the one the
    /// resource has (422 when the body removes `sslData`; 409 under it when the resource has
    /// none), that covers the `cname` and every secondary hostname (409 under `sslData` when it
    /// does not).
    #[serde(default, rename = "sslEnabled", deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) ssl_enabled: Option<bool>,
    /// The id of the account's SSL certificate (Gcore's `sslData`, `/cdn/sslData`); `null` for
    /// none. Another account's, or none, is refused with 404 under `sslData`.
    #[serde(default, rename = "sslData", deserialize_with = "nullable_id")]
    #[schema(value_type = Option<i64>, minimum = 1, required = false)]
    pub(super) ssl_data: Option<Option<i64>>,
    /// How the CDN speaks to the origin (Gcore's `originProtocol`): `HTTP`, `HTTPS`, or `MATCH`
    /// (the visitor's scheme).
    #[serde(default, rename = "originProtocol", deserialize_with = "present")]
    #[schema(value_type = OriginProtocolName, required = false, nullable = false)]
    pub(super) origin_protocol: Option<String>,
    /// The id of the account's trusted CA certificate (Gcore's `proxy_ssl_ca`,
    /// `/cdn/sslCertificates`) to trust, beside the public roots, when verifying an HTTPS origin;
    /// `null` for the public roots only. Another account's, or none, is refused with 404 under
    /// `proxy_ssl_ca`.
    #[serde(default, deserialize_with = "nullable_id")]
    #[schema(value_type = Option<i64>, minimum = 1, required = false)]
    pub(super) proxy_ssl_ca: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    pub(super) options: Option<ResourceOptionsInput>,
}

/// An id, given: a whole number, also when written with a zero fraction (`34.0`), which JSON
/// Schema's `integer` is too (so a client made from the document may send it); `null` and any
/// other number are refused.
fn present_id<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    // Past 2^53 a float no longer holds every whole number exactly.
    let whole = |float: f64| (float.fract() == 0.0 && float.abs() <= 9_007_199_254_740_992.0).then_some(float as i64);
    number
        .as_i64()
        .or_else(|| number.as_f64().and_then(whole))
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("{number} is not a whole number")))
}

/// An id or `null` (`Some(None)`), told apart from a field left out (`None`); as [`present_id`].
fn nullable_id<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Option<i64>>, D::Error> {
    match Option::<serde_json::Number>::deserialize(deserializer)? {
        None => Ok(Some(None)),
        Some(number) => present_id(serde_json::Value::Number(number)).map(Some).map_err(serde::de::Error::custom),
    }
}

/// Gcore's `originProtocol` values.
#[derive(ToSchema)]
#[allow(dead_code, clippy::upper_case_acronyms)]
pub enum OriginProtocolName {
    HTTP,
    HTTPS,
    MATCH,
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
    /// The ETag of the resource as last read, `"<id>.<version>"`: the change is refused with 409 if it
    /// changed since, or if the tag is another resource's. `*`, or no header: whatever is stored.
    #[param(rename = "If-Match", nullable = false)]
    pub(super) if_match: Option<String>,
}

/// Query of the list: Gcore's paging and the filters this CDN offers. Every other parameter is
/// refused with 400 naming it ([`GCORE_FILTERS_NOT_OFFERED`] says which are Gcore's).
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many resources to return, 1 to 1000 (default 100). With `limit` or `offset` the
    /// answer is a page, `{"count": …, "results": […]}`; without either, a bare array.
    #[param(minimum = 1, maximum = 1000)]
    pub(super) limit: Option<i64>,
    /// How many resources to skip (default 0); see `limit` for the answer's shape.
    #[param(minimum = 0)]
    pub(super) offset: Option<i64>,
    /// Only the resource with this custom domain (exact, any letter case).
    #[param(value_type = Option<Cname>)]
    pub(super) cname: Option<String>,
    /// Only active (`true`) or inactive (`false`) resources.
    pub(super) active: Option<bool>,
    /// As Gcore's: whether deleted resources are wanted. This CDN deletes resources outright, so
    /// `true` matches none and `false` every one.
    pub(super) deleted: Option<bool>,
    /// Only resources created at or after this moment (RFC 3339, such as 2026-01-31T12:00:00Z).
    #[param(value_type = Option<String>, format = DateTime)]
    pub(super) min_created: Option<Timestamp>,
    /// Only resources created at or before this moment (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub(super) max_created: Option<Timestamp>,
    /// Only resources whose settings last changed at or after this moment (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub(super) min_updated: Option<Timestamp>,
    /// Only resources whose settings last changed at or before this moment (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub(super) max_updated: Option<Timestamp>,
    /// Only resources whose name contains this text, whatever the letter case (as Gcore's).
    pub(super) name: Option<String>,
    /// Only resources in this status (see the resource's `status`). `deleted`, one of Gcore's,
    /// matches none: this CDN deletes resources outright.
    #[param(value_type = Option<StatusFilter>)]
    pub(super) status: Option<StatusFilter>,
    /// Only the resource with this secondary hostname (exact, any letter case).
    #[param(rename = "secondaryHostnames", value_type = Option<Cname>)]
    pub(super) secondary_hostnames: Option<String>,
}

/// Gcore's values of the list's `status` filter: a status a resource can be in here, or
/// `deleted`, which none is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum StatusFilter {
    Active,
    Processed,
    Suspended,
    Deleted,
}

impl StatusFilter {
    /// The status it asks for; `None` for `deleted`.
    pub(super) fn status(self) -> Option<ResourceStatus> {
        match self {
            StatusFilter::Active => Some(ResourceStatus::Active),
            StatusFilter::Processed => Some(ResourceStatus::Processed),
            StatusFilter::Suspended => Some(ResourceStatus::Suspended),
            StatusFilter::Deleted => None,
        }
    }
}

/// The query parameters of Gcore's resource list (`CDNResourceListParams` of Gcore's SDK 0.59.0,
/// by their names on the wire) that this CDN does not offer: refused with a 400 that says so.
pub const GCORE_FILTERS_NOT_OFFERED: [&str; 14] = [
    "enabled",
    "is_primary",
    "originGroup",
    "originGroup__in",
    "originProtocol",
    "rules",
    "shield_dc",
    "shielded",
    "sslData",
    "sslData_in",
    "sslEnabled",
    "suspend",
    "suspended",
    "vp_enabled",
];

impl ListQuery {
    /// Reads the query string's pairs. A parameter that is not ours, given twice, or whose value
    /// is not of its type (a whole number, `true`/`false`, RFC 3339) is a 400 naming it; ranges
    /// and domain names are checked by the caller (422).
    pub(super) fn read(pairs: Vec<(String, String)>) -> Result<Self, ApiError> {
        let mut query = Self::default();
        let mut seen = std::collections::BTreeSet::new();
        for (name, value) in pairs {
            if !seen.insert(name.clone()) {
                return Err(unreadable(&name, "it is given more than once."));
            }
            match name.as_str() {
                "limit" => query.limit = Some(whole_number(&name, &value)?),
                "offset" => query.offset = Some(whole_number(&name, &value)?),
                "cname" => query.cname = Some(value),
                "active" => query.active = Some(boolean(&name, &value)?),
                "deleted" => query.deleted = Some(boolean(&name, &value)?),
                "min_created" => query.min_created = Some(moment(&name, &value)?),
                "max_created" => query.max_created = Some(moment(&name, &value)?),
                "min_updated" => query.min_updated = Some(moment(&name, &value)?),
                "max_updated" => query.max_updated = Some(moment(&name, &value)?),
                "name" => query.name = Some(value),
                "status" => query.status = Some(status(&name, &value)?),
                "secondaryHostnames" => query.secondary_hostnames = Some(value),
                other => return Err(ApiError::unknown_parameter(other, GCORE_FILTERS_NOT_OFFERED.contains(&other))),
            }
        }
        Ok(query)
    }

    /// Whether the answer is a page (`{"count", "results"}`) rather than a bare array: Gcore
    /// answers a page exactly when the query asks for one with `limit` or `offset`.
    pub(super) fn paged(&self) -> bool {
        self.limit.is_some() || self.offset.is_some()
    }
}

fn unreadable(name: &str, problem: &str) -> ApiError {
    ApiError::bad_query(format!("`{name}`: {problem}")).with_field(name, problem)
}

fn whole_number(name: &str, value: &str) -> Result<i64, ApiError> {
    value.parse().map_err(|_| unreadable(name, "it must be a whole number."))
}

fn boolean(name: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(unreadable(name, "it must be true or false.")),
    }
}

fn status(name: &str, value: &str) -> Result<StatusFilter, ApiError> {
    match value {
        "active" => Ok(StatusFilter::Active),
        "processed" => Ok(StatusFilter::Processed),
        "suspended" => Ok(StatusFilter::Suspended),
        "deleted" => Ok(StatusFilter::Deleted),
        _ => Err(unreadable(name, "it must be active, processed, suspended or deleted.")),
    }
}

fn moment(name: &str, value: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse_rfc3339(value)
        .ok_or_else(|| unreadable(name, "it must be a moment in RFC 3339, such as 2026-01-31T12:00:00Z."))
}

/// A page of the list, in Gcore's shape, when the query has `limit` or `offset`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ResourcePage)]
pub struct ResourcePage {
    /// How many resources match, on all pages.
    #[schema(minimum = 0)]
    pub(super) count: i64,
    /// This page's resources, in order of creation.
    pub(super) results: Vec<ResourceBody>,
}

/// The list's answer: a page when the query has `limit` or `offset`, else a bare array.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = ResourceList)]
pub enum ResourceList {
    Page(ResourcePage),
    All(Vec<ResourceBody>),
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
            origin_group: resource.origin_group.id,
            origin_group_name: resource.origin_group.name.to_string(),
            integration: resource.integration,
            active: resource.active,
            ssl_enabled: resource.ssl_enabled,
            ssl_data: resource.ssl_data,
            origin_protocol: resource.origin_protocol.as_str(),
            proxy_ssl_ca: resource.proxy_ssl_ca,
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
    fn an_id_written_with_a_zero_fraction_is_read_exactly() {
        let read = |json: &str| present_id(&mut serde_json::Deserializer::from_str(json)).map_err(|e| e.to_string());
        assert_eq!(read("34"), Ok(Some(34)));
        assert_eq!(read("34.0"), Ok(Some(34)));
        // Found by schemathesis: without exact float parsing this read as 4288506285096169.5.
        assert_eq!(read("4288506285096170.0"), Ok(Some(4_288_506_285_096_170)));
        assert!(read("34.5").unwrap_err().contains("not a whole number"));
        assert!(read("null").is_err());
    }

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
        // null is refused ("leave it out" is said by leaving it out), and the document says so;
        // except where null means none (a name, a description) or, for an option, removes it
        // (Gcore: "the option is not added").
        for schema in ["ResourceCreate", "ResourceReplace", "ResourcePatch"] {
            let mut schema_json = schemas[schema].clone();
            if let Some(properties) = schema_json["properties"].as_object_mut() {
                properties.remove("name");
                properties.remove("description");
                // `sslData: null` removes the certificate, `proxy_ssl_ca: null` the trusted CA
                // (Gcore's).
                properties.remove("sslData");
                properties.remove("proxy_ssl_ca");
            }
            assert!(!schema_json.to_string().contains("null"), "{schema}: {schema_json}");
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

    #[test]
    fn the_list_documents_both_shapes_and_the_parameters_it_reads() {
        let document: serde_json::Value = serde_json::from_str(&super::super::openapi_json()).unwrap();
        let list = &document["paths"]["/cdn/resources"]["get"];
        let names: Vec<&str> = list["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|parameter| parameter["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "limit",
                "offset",
                "cname",
                "active",
                "deleted",
                "min_created",
                "max_created",
                "min_updated",
                "max_updated",
                "name",
                "status",
                "secondaryHostnames"
            ]
        );
        // Every parameter the document names is read, and every one read is in the document.
        for name in &names {
            let read = ListQuery::read(vec![((*name).to_owned(), "x".to_owned())]);
            let refusal = read.err().map(|error| error.body.message).unwrap_or_default();
            assert!(!refusal.contains("Unknown") && !refusal.contains("Gcore's filters"), "{name}: {refusal}");
        }
        let description = list["description"].as_str().unwrap();
        for gcore in GCORE_FILTERS_NOT_OFFERED {
            assert!(!names.contains(&gcore), "{gcore}");
            assert!(description.contains(&format!("`{gcore}`")), "{gcore}: {description}");
            let refusal = ListQuery::read(vec![(gcore.to_owned(), "1".to_owned())]).unwrap_err();
            assert!(refusal.body.message.contains("does not offer it"), "{gcore}: {refusal:?}");
        }
        let shapes = document["components"]["schemas"]["ResourceList"]["oneOf"].to_string();
        assert!(shapes.contains("#/components/schemas/ResourcePage") && shapes.contains("\"array\""), "{shapes}");
        assert_eq!(
            document["components"]["schemas"]["ResourcePage"]["required"],
            serde_json::json!(["count", "results"])
        );
        for (status, response) in list["responses"].as_object().unwrap() {
            let name = response["$ref"].as_str().map(|reference| reference.rsplit('/').next().unwrap());
            if let Some(name) = name.filter(|_| status.starts_with('4')) {
                let headers = &document["components"]["responses"][name]["headers"];
                assert!(headers["x-should-retry"].is_object(), "{status} {name}");
            }
        }
    }

    #[test]
    fn the_query_is_read_strictly_naming_the_parameter() {
        let read = |query: &[(&str, &str)]| {
            ListQuery::read(query.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect())
        };
        let query =
            read(&[("active", "false"), ("deleted", "true"), ("limit", "5"), ("min_created", "2026-01-01T00:00:00Z")])
                .unwrap();
        assert_eq!((query.active, query.deleted, query.limit), (Some(false), Some(true), Some(5)));
        assert_eq!(query.min_created, Some(Timestamp::from_unix_seconds(1_767_225_600)));
        assert!(query.paged() && !read(&[("cname", "a.example.com")]).unwrap().paged());
        for (name, value) in [
            ("active", "maybe"),
            ("active", "True"),
            ("active", "1"),
            ("deleted", ""),
            ("limit", "ten"),
            ("offset", "1.5"),
            ("max_updated", "yesterday"),
        ] {
            let refusal = read(&[(name, value)]).unwrap_err();
            assert_eq!(refusal.status, axum::http::StatusCode::BAD_REQUEST, "{name}={value}");
            assert!(refusal.body.errors.contains_key(name), "{name}={value}: {refusal:?}");
        }
        let twice = read(&[("active", "true"), ("active", "false")]).unwrap_err();
        assert!(twice.body.errors.contains_key("active"), "{twice:?}");
        let unknown = read(&[("colour", "red")]).unwrap_err();
        assert_eq!(unknown.body.message, "Unknown query parameter `colour`.");
        assert!(unknown.body.errors.contains_key("colour"));
    }
}
