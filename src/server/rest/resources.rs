//! `/cdn/resources`: the operations, and the JSON they read and write. The rules are those of
//! the portal (`crate::server::resources`); this module only translates.
//!
//! The patterns in the schema and the checks here are the same strings (a test holds them
//! together), so a value the document calls valid is accepted and one it calls invalid is refused.

use super::auth::ApiCaller;
use super::errors::{
    BodyTooLarge, ChangedSince, ErrorBody, InvalidValues, MalformedBody, NoSuchResource, NoValidToken, Unavailable,
};
use super::{ApiError, ApiState};
use crate::domain::{DomainName, Integration, Origin, Timestamp};
use crate::model::CdnResource;
use crate::server::resources::{self, NewResource, ResourceUpdate, WebsocketsSetting};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use regex::Regex;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, ToSchema};

pub const CNAME_PATTERN: &str =
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$";
pub const ORIGIN_PATTERN: &str = r"^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?|(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])|\[(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,7}:|(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,5}(?::[0-9A-Fa-f]{1,4}){1,2}|(?:[0-9A-Fa-f]{1,4}:){1,4}(?::[0-9A-Fa-f]{1,4}){1,3}|(?:[0-9A-Fa-f]{1,4}:){1,3}(?::[0-9A-Fa-f]{1,4}){1,4}|(?:[0-9A-Fa-f]{1,4}:){1,2}(?::[0-9A-Fa-f]{1,4}){1,5}|[0-9A-Fa-f]{1,4}:(?::[0-9A-Fa-f]{1,4}){1,6}|:(?::[0-9A-Fa-f]{1,4}){1,7}|::)\])(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?$";
/// Both a domain name's limit and, with a port, more than any origin needs.
pub const MAX_NAME_LEN: usize = 253;
const DEFAULT_PAGE_SIZE: i64 = 100;
const MAX_PAGE_SIZE: i64 = 1000;

static CNAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(CNAME_PATTERN).expect("valid pattern"));
static ORIGIN: LazyLock<Regex> = LazyLock::new(|| Regex::new(ORIGIN_PATTERN).expect("valid pattern"));

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
    id: i64,
    /// The custom domain visitors use; it cannot be changed after creation.
    #[schema(example = "cdn.example.com")]
    cname: String,
    /// Where the CDN fetches content: a host name, IPv4 address or bracketed IPv6 address, with an optional port.
    #[schema(example = "origin.example.com:8080")]
    origin: String,
    integration: Integration,
    /// Whether the CDN serves the custom domain.
    active: bool,
    /// When the resource was created.
    #[schema(format = DateTime)]
    created: String,
    /// When a setting was last changed.
    #[schema(format = DateTime)]
    updated: String,
    options: OptionsBody,
}

/// The resource's options.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ResourceOptions)]
struct OptionsBody {
    websockets: WebsocketsOption,
}

/// Permanent WebSocket connections between visitors and the origin.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebsocketsOption {
    /// Whether the option is set. When false, the resource uses its integration's default
    /// (on for `entire_website`, off for `static_assets`) and `value` is ignored.
    enabled: bool,
    /// Whether WebSocket connections are relayed to the origin.
    value: bool,
}

/// Options to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResourceOptionsInput)]
pub struct OptionsInput {
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    websockets: Option<WebsocketsOption>,
}

/// A CDN resource to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResourceCreate)]
pub struct CreateBody {
    /// The custom domain visitors use, unique across the CDN.
    #[schema(value_type = Cname)]
    cname: String,
    /// Where the CDN fetches content: a host name, IPv4 address or bracketed IPv6 address, with an optional port.
    #[schema(value_type = OriginAddress)]
    origin: String,
    integration: Integration,
    /// Whether the CDN serves the custom domain; true when left out.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    active: Option<bool>,
    /// Left out, or without `websockets`: the integration's default applies, as in the portal.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    options: Option<OptionsInput>,
}

/// A CDN resource's settings, replacing all of them. Settings left out return to their defaults.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResourceReplace)]
pub struct ReplaceBody {
    #[schema(value_type = OriginAddress)]
    origin: String,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    active: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    options: Option<OptionsInput>,
}

/// Settings to change; those left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResourcePatch)]
pub struct PatchBody {
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false, value_type = Option<OriginAddress>)]
    origin: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    active: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    options: Option<OptionsInput>,
}

/// The resource a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ResourceId {
    /// The resource's id.
    id: i64,
}

/// The version a change is made from.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatch {
    /// The ETag of the resource as last read: the change is refused with 409 if it changed since.
    #[param(rename = "If-Match", nullable = false)]
    if_match: Option<String>,
}

/// Query of the list: a page, optionally only the resource with one custom domain.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many resources to return, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// How many resources to skip (default 0).
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// Only the resource with this custom domain.
    #[param(value_type = Option<Cname>)]
    cname: Option<String>,
}

/// Explicit `null` is refused: "leave it out" is said by leaving it out.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

impl From<WebsocketsOption> for WebsocketsSetting {
    fn from(option: WebsocketsOption) -> Self {
        if option.enabled { WebsocketsSetting::Chosen(option.value) } else { WebsocketsSetting::IntegrationDefault }
    }
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
            options: OptionsBody {
                websockets: WebsocketsOption { enabled: resource.websockets_explicit, value: resource.websockets },
            },
        }
    }
}

/// The resource with its ETag, which names its version.
fn resource_response(status: StatusCode, resource: &CdnResource) -> Response {
    let mut response = (status, Json(ResourceBody::from(resource))).into_response();
    response.headers_mut().insert(header::ETAG, entity_tag(resource));
    response
}

fn entity_tag(resource: &CdnResource) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", resource.version)).expect("digits and quotes are a valid header")
}

/// The version `If-Match` requires: `None` to change whatever is stored (no header, or `*`).
/// A tag that is not a current version can never match, so it is refused as a conflict.
fn required_version(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" {
        return Ok(None);
    }
    value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .and_then(|version| version.parse::<i64>().ok())
        .filter(|version| *version >= 1)
        .map(Some)
        .ok_or_else(|| {
            ApiError::conflict("If-Match must be the ETag of the resource as you last read it, such as \"3\".")
        })
}

/// Reads a JSON body into `T`; what cannot be read is a 400 that names the field.
fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|error| ApiError::malformed(None, error.to_string()))?;
    // Every body is made of objects; serde would also read a struct from an array of its fields.
    if let Some(path) = first_array(&value, "") {
        return Err(ApiError::malformed(field_of(&path), "expected a JSON object, found an array"));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        ApiError::malformed(field_of(&path), error.into_inner().to_string())
    })
}

/// Where in `value` the first array is, as a dotted path ("" for the body itself).
fn first_array(value: &serde_json::Value, path: &str) -> Option<String> {
    match value {
        serde_json::Value::Array(_) => Some(path.to_owned()),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(name, value)| {
            first_array(value, &if path.is_empty() { name.clone() } else { format!("{path}.{name}") })
        }),
        _ => None,
    }
}

/// The field a path names: none for the body itself ("." or "") or a key the body broke off
/// before naming ("?").
fn field_of(path: &str) -> Option<String> {
    (!matches!(path, "." | "") && !path.split('.').any(|segment| segment == "?")).then(|| path.to_owned())
}

fn resource_id(path: Result<Path<String>, PathRejection>) -> Result<i64, ApiError> {
    path.ok().and_then(|Path(id)| id.parse::<i64>().ok()).filter(|id| *id >= 1).ok_or_else(ApiError::not_found)
}

/// Collects a message per invalid field, then refuses them all at once.
#[derive(Default)]
struct Checks(BTreeMap<String, String>);

impl Checks {
    fn cname(&mut self, field: &str, value: &str) -> Option<DomainName> {
        let parsed = DomainName::parse(value);
        match parsed {
            Ok(name) if value.len() <= MAX_NAME_LEN && CNAME.is_match(value) => Some(name),
            Ok(_) => self.fail(
                field,
                "Write the domain name exactly, such as cdn.example.com: no spaces or final dot, and a last part that starts with a letter.",
            ),
            Err(error) => self.fail(field, error),
        }
    }

    fn origin(&mut self, field: &str, value: &str) -> Option<Origin> {
        match Origin::parse(value) {
            Ok(origin) if value.len() <= MAX_NAME_LEN && ORIGIN.is_match(value) => Some(origin),
            Ok(_) => self.fail(
                field,
                "Write the origin exactly, such as origin.example.com:8080, 192.0.2.10 or [2001:db8::10]:8443: no spaces, no leading zeros.",
            ),
            Err(error) => self.fail(field, error),
        }
    }

    fn fail<T>(&mut self, field: &str, message: impl ToString) -> Option<T> {
        self.0.insert(field.to_owned(), message.to_string());
        None
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::invalid(self.0)) }
    }
}

fn websockets_of(options: Option<OptionsInput>) -> Option<WebsocketsSetting> {
    options.and_then(|options| options.websockets).map(WebsocketsSetting::from)
}

#[utoipa::path(
    get,
    path = "/cdn/resources",
    tag = "CDN resources",
    operation_id = "listResources",
    summary = "List the account's CDN resources",
    description = "In order of creation, a page at a time. `X-Total-Count` says how many match in all.",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of resources.", body = Vec<ResourceBody>,
            headers(("X-Total-Count" = i64, description = "How many resources match, on all pages."))),
        (status = 400, description = "The query string could not be read.", body = ErrorBody),
        (status = 401, response = NoValidToken),
        (status = 503, response = Unavailable),
        (status = 422, description = "A query value is out of range or not a domain name.", body = ErrorBody),
    )
)]
pub async fn list_resources(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::bad_query(rejection.body_text()))?;
    let mut checks = Checks::default();
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        checks.fail::<()>("limit", format!("limit must be from 1 to {MAX_PAGE_SIZE}."));
    }
    let offset = query.offset.unwrap_or(0);
    if offset < 0 {
        checks.fail::<()>("offset", "offset cannot be negative.");
    }
    let cname = query.cname.as_deref().map(|cname| checks.cname("cname", cname));
    checks.finish()?;
    let (page, total) = resources::page(
        &api.pool,
        caller.account_id,
        cname.flatten().as_ref(),
        resources::Order::Created,
        u32::try_from(limit).unwrap_or(u32::MAX),
        u64::try_from(offset).unwrap_or_default(),
    )
    .await?;
    let body: Vec<ResourceBody> = page.iter().map(ResourceBody::from).collect();
    Ok(([("x-total-count", total.to_string())], Json(body)).into_response())
}

#[utoipa::path(
    post,
    path = "/cdn/resources",
    tag = "CDN resources",
    operation_id = "createResource",
    summary = "Create a CDN resource",
    request_body(content = CreateBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = ResourceBody, headers(
            ("Location" = String, description = "The new resource's address."),
            ("ETag" = String, description = "The resource's version, for If-Match."))),
        (status = 400, response = MalformedBody),
        (status = 401, response = NoValidToken),
        (status = 503, response = Unavailable),
        (status = 409, description = "The custom domain is already used by a CDN resource.", body = ErrorBody),
        (status = 413, response = BodyTooLarge),
        (status = 422, response = InvalidValues),
    )
)]
pub async fn create_resource(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: CreateBody = parse_body(&body)?;
    let mut checks = Checks::default();
    let cname = checks.cname("cname", &body.cname);
    let origin = checks.origin("origin", &body.origin);
    checks.finish()?;
    let (Some(custom_domain), Some(origin)) = (cname, origin) else {
        unreachable!("checks.finish() refuses missing values");
    };
    let new = NewResource {
        custom_domain,
        origin,
        integration: body.integration,
        websockets: websockets_of(body.options).unwrap_or(WebsocketsSetting::IntegrationDefault),
        active: body.active.unwrap_or(true),
    };
    let created = resources::try_create(&api.pool, &caller, &new).await?.ok_or_else(|| {
        let message = resources::domain_taken_message(&new.custom_domain);
        ApiError::conflict(message.clone()).with_field("cname", message)
    })?;
    api.config_changes.committed();
    let mut response = resource_response(StatusCode::CREATED, &created);
    let location = HeaderValue::from_str(&format!("/cdn/resources/{}", created.id)).expect("a path is a valid header");
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/cdn/resources/{id}",
    tag = "CDN resources",
    operation_id = "getResource",
    summary = "Get a CDN resource",
    params(ResourceId),
    responses(
        (status = 200, description = "The resource.", body = ResourceBody,
            headers(("ETag" = String, description = "The resource's version, for If-Match."))),
        (status = 401, response = NoValidToken),
        (status = 503, response = Unavailable),
        (status = 404, response = NoSuchResource),
    )
)]
pub async fn get_resource(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = resource_id(path)?;
    let resource = resources::get(api.pool.db(), caller.account_id, id).await?;
    Ok(resource_response(StatusCode::OK, &resource))
}

#[utoipa::path(
    put,
    path = "/cdn/resources/{id}",
    tag = "CDN resources",
    operation_id = "replaceResource",
    summary = "Replace a CDN resource's settings",
    description = "Sets every setting: those left out return to their defaults (active, and WebSockets following the integration). The custom domain and integration stay as created.",
    params(
        ResourceId,
        IfMatch,
    ),
    request_body(content = ReplaceBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The resource as saved.", body = ResourceBody,
            headers(("ETag" = String, description = "The resource's version, for If-Match."))),
        (status = 400, response = MalformedBody),
        (status = 401, response = NoValidToken),
        (status = 503, response = Unavailable),
        (status = 404, response = NoSuchResource),
        (status = 409, response = ChangedSince),
        (status = 413, response = BodyTooLarge),
        (status = 422, response = InvalidValues),
    )
)]
pub async fn replace_resource(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = resource_id(path)?;
    let body: ReplaceBody = parse_body(&body)?;
    let mut checks = Checks::default();
    let origin = checks.origin("origin", &body.origin);
    checks.finish()?;
    let update = ResourceUpdate {
        origin,
        active: Some(body.active.unwrap_or(true)),
        websockets: Some(websockets_of(body.options).unwrap_or(WebsocketsSetting::IntegrationDefault)),
    };
    save(&api, &caller, id, &headers, &update).await
}

#[utoipa::path(
    patch,
    path = "/cdn/resources/{id}",
    tag = "CDN resources",
    operation_id = "patchResource",
    summary = "Change some of a CDN resource's settings",
    params(
        ResourceId,
        IfMatch,
    ),
    request_body(content = PatchBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The resource as saved.", body = ResourceBody,
            headers(("ETag" = String, description = "The resource's version, for If-Match."))),
        (status = 400, response = MalformedBody),
        (status = 401, response = NoValidToken),
        (status = 503, response = Unavailable),
        (status = 404, response = NoSuchResource),
        (status = 409, response = ChangedSince),
        (status = 413, response = BodyTooLarge),
        (status = 422, response = InvalidValues),
    )
)]
pub async fn patch_resource(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = resource_id(path)?;
    let body: PatchBody = parse_body(&body)?;
    let mut checks = Checks::default();
    let origin = body.origin.as_deref().and_then(|origin| checks.origin("origin", origin));
    checks.finish()?;
    let update = ResourceUpdate { origin, active: body.active, websockets: websockets_of(body.options) };
    save(&api, &caller, id, &headers, &update).await
}

async fn save(
    api: &ApiState,
    caller: &resources::Actor,
    id: i64,
    headers: &HeaderMap,
    update: &ResourceUpdate,
) -> Result<Response, ApiError> {
    let version = required_version(headers)?;
    let saved = resources::update(&api.pool, caller, id, version, update, Timestamp::now()).await?;
    api.config_changes.committed();
    Ok(resource_response(StatusCode::OK, &saved))
}

#[utoipa::path(
    delete,
    path = "/cdn/resources/{id}",
    tag = "CDN resources",
    operation_id = "deleteResource",
    summary = "Delete a CDN resource",
    description = "The CDN stops serving its custom domain, and its history is deleted with it.",
    params(
        ResourceId,
        IfMatch,
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, response = NoValidToken),
        (status = 503, response = Unavailable),
        (status = 404, response = NoSuchResource),
        (status = 409, response = ChangedSince),
    )
)]
pub async fn delete_resource(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = resource_id(path)?;
    let version = required_version(&headers)?;
    resources::delete(&api.pool, caller.account_id, id, version).await?;
    api.config_changes.committed();
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_states_the_patterns_that_are_enforced() {
        let document: serde_json::Value = serde_json::from_str(&super::super::openapi_json()).unwrap();
        let schemas = &document["components"]["schemas"];
        // null is refused ("leave it out" is said by leaving it out), and the document says so.
        for schema in ["ResourceCreate", "ResourceReplace", "ResourcePatch", "ResourceOptionsInput"] {
            assert!(!schemas[schema].to_string().contains("null"), "{schema}: {}", schemas[schema]);
        }
        assert_eq!(schemas["Cname"]["pattern"], CNAME_PATTERN);
        assert_eq!(schemas["OriginAddress"]["pattern"], ORIGIN_PATTERN);
        assert_eq!(schemas["OriginAddress"]["maxLength"], MAX_NAME_LEN);
        let refers_to = |schema: &serde_json::Value, name: &str| {
            schema.to_string().contains(&format!("#/components/schemas/{name}"))
        };
        assert!(refers_to(&schemas["ResourceCreate"]["properties"]["cname"], "Cname"));
        for schema in ["ResourceCreate", "ResourceReplace", "ResourcePatch"] {
            assert!(refers_to(&schemas[schema]["properties"]["origin"], "OriginAddress"), "{schema}");
        }
        let list = &document["paths"]["/cdn/resources"]["get"]["parameters"];
        let cname = list.as_array().unwrap().iter().find(|parameter| parameter["name"] == "cname").unwrap();
        assert!(refers_to(&cname["schema"], "Cname"), "{cname}");
    }

    #[test]
    fn what_the_patterns_accept_the_portal_accepts() {
        let mut checks = Checks::default();
        for cname in ["cdn.example.com", "A.B", "x-1.example.co", &format!("{}.example.com", "a".repeat(63))] {
            assert!(checks.cname("cname", cname).is_some(), "{cname}");
        }
        for origin in [
            "origin.example.com",
            "origin.example.com:8080",
            "192.0.2.10:65535",
            "[2001:db8::10]:8443",
            "[::1]",
            "[1::]",
        ] {
            assert!(checks.origin("origin", origin).is_some(), "{origin}");
        }
        assert!(checks.finish().is_ok());
    }

    #[test]
    fn values_the_document_calls_invalid_are_refused_even_where_the_portal_is_lenient() {
        let mut checks = Checks::default();
        for cname in [" cdn.example.com", "cdn.example.com.", "cdn.example.1a", "localhost", "cdn..example.com"] {
            assert!(checks.cname("cname", cname).is_none(), "{cname}");
        }
        for origin in
            ["origin.example.com:080", "origin.example.com:0", "01.2.3.4", "::1", "https://origin.example.com", ""]
        {
            assert!(checks.origin("origin", origin).is_none(), "{origin}");
        }
        // A host name the portal accepts, made too long by its port.
        let long = format!("{}.com:8080", ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(56)].join("."));
        assert!(Origin::parse(&long).is_ok() && long.len() > MAX_NAME_LEN);
        assert!(checks.origin("origin", &long).is_none());
    }

    #[test]
    fn if_match_names_one_version() {
        let with = |value: &str| HeaderMap::from_iter([(header::IF_MATCH, HeaderValue::from_str(value).unwrap())]);
        assert_eq!(required_version(&HeaderMap::new()), Ok(None));
        assert_eq!(required_version(&with("*")), Ok(None));
        assert_eq!(required_version(&with("\"7\"")), Ok(Some(7)));
        for never_current in ["7", "W/\"7\"", "\"0\"", "\"x\"", "\"7\", \"8\""] {
            assert_eq!(
                required_version(&with(never_current)).unwrap_err().status,
                StatusCode::CONFLICT,
                "{never_current}"
            );
        }
    }

    #[test]
    fn bodies_that_cannot_be_read_name_the_field() {
        let error =
            parse_body::<PatchBody>(br#"{"options": {"websockets": {"enabled": "yes", "value": true}}}"#).unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert!(error.body.errors.contains_key("options.websockets.enabled"), "{error:?}");
        let unknown = parse_body::<PatchBody>(br#"{"cname": "other.example.com"}"#).unwrap_err();
        assert!(unknown.body.message.contains("unknown field `cname`"), "{unknown:?}");
        let null = parse_body::<PatchBody>(br#"{"origin": null}"#).unwrap_err();
        assert_eq!(null.status, StatusCode::BAD_REQUEST);
        assert!(parse_body::<PatchBody>(br#"{} {}"#).is_err(), "trailing data");
        let array = parse_body::<ReplaceBody>(br#"["a.example"]"#).unwrap_err();
        assert_eq!((array.status, array.body.errors.len()), (StatusCode::BAD_REQUEST, 0));
        let nested = parse_body::<PatchBody>(br#"{"options": {"websockets": [true, false]}}"#).unwrap_err();
        assert!(nested.body.errors.contains_key("options.websockets"), "{nested:?}");
        assert!(parse_body::<PatchBody>(b"{}").is_ok());
    }
}
