//! `/cdn/origin_groups`: Gcore's origin groups, as its SDK (`client.cdn.origin_groups.*`) sends
//! and reads them. The rules are the portal's (`crate::server::origin_groups`); this module only
//! translates, with the JSON shapes below, and reads requests with [`super::input`] as the
//! resource operations do (unknown fields and parameters are refused by name; `If-Match` and
//! the ETag `"<id>.<version>"` as for resources).

use super::auth::ApiCaller;
use super::errors::{BadQuery, GroupNameTaken, InvalidQuery};
use super::input::{ChangeRequest, Checks, EntityTag, NoQuery, parse_body, required_version, resource_id};
use super::responses::{AnyCall, WithBody};
use super::{ApiError, ApiState};
use crate::domain::{NextUpstreamPolicy, OriginGroupName, OriginSource, OriginSources};
use crate::error::AppError;
use crate::model::{OriginGroup, OriginGroupUse};
use crate::options::present;
use crate::server::origin_groups::{self, GroupSettings, GroupUpdate, parse_cases};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use edge_feed::NextUpstream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub(super) const GROUPS_PATH: &str = "/cdn/origin_groups";
const MAX_PAGE_SIZE: i64 = 1000;

/// One origin of a group (Gcore's host source).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OriginGroupSource)]
pub struct SourceBody {
    /// The origin: a host name, IPv4 address or bracketed IPv6 address, with an optional port.
    #[schema(value_type = super::schema::OriginAddress)]
    source: String,
    /// Whether the CDN uses it; `true` when left out.
    #[serde(default = "enabled_by_default", deserialize_with = "present_bool")]
    #[schema(required = false, nullable = false)]
    enabled: bool,
    /// Used only while none of the group's other origins (enabled, not backups) can be reached;
    /// `false` when left out.
    #[serde(default, deserialize_with = "present_bool")]
    #[schema(required = false, nullable = false)]
    backup: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// A boolean that may be left out but not `null`.
fn present_bool<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    bool::deserialize(deserializer)
}

/// An origin group, as Gcore's SDK reads it (`OriginGroups`, its `NoneAuth` shape).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OriginGroup)]
pub struct GroupBody {
    #[schema(minimum = 1)]
    id: i64,
    /// Unique within the account.
    name: String,
    /// The group's origins, in order.
    sources: Vec<SourceBody>,
    /// Whether the answers listed in `proxy_next_upstream` move a request on to the next origin.
    use_next: bool,
    /// The cases that move a request on to the next origin when `use_next` is on.
    #[schema(value_type = Vec<NextUpstreamCase>)]
    proxy_next_upstream: Vec<String>,
    /// Whether CDN resources use the group (then it cannot be deleted).
    has_related_resources: bool,
    /// Always `none`: origins are public (Gcore's deprecated field).
    #[schema(example = "none")]
    auth_type: &'static str,
}

/// A case of `proxy_next_upstream` (Gcore's, which are nginx's): the names of
/// [`NextUpstream::ALL`], their one home.
pub struct NextUpstreamCase;

impl utoipa::PartialSchema for NextUpstreamCase {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(NextUpstream::ALL.iter().map(|case| case.as_str())))
            .description(Some("A case that sends a request on to the next origin: an error or timeout while connecting, sending or reading the header, an invalid header, or one of the listed status codes."))
            .into()
    }
}

impl ToSchema for NextUpstreamCase {}

impl GroupBody {
    fn new(group: &OriginGroup, in_use: bool) -> Self {
        GroupBody {
            id: group.id,
            name: group.name.to_string(),
            sources: group
                .sources
                .as_slice()
                .iter()
                .map(|source| SourceBody {
                    source: source.source.to_string(),
                    enabled: source.enabled,
                    backup: source.backup,
                })
                .collect(),
            use_next: group.next_upstream.use_next(),
            proxy_next_upstream: group.next_upstream.cases().iter().map(|case| case.as_str().to_owned()).collect(),
            has_related_resources: in_use,
            auth_type: "none",
        }
    }
}

/// An origin group to create, or all of a group's settings to replace it with (settings left
/// out return to their defaults: `use_next` off, `proxy_next_upstream` `["error", "timeout"]`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OriginGroupCreate)]
pub struct GroupCreateBody {
    /// Unique within the account: 1 to 100 characters once trimmed, no control characters.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// 1 to 10 origins, at least one enabled and not a backup; one listed twice takes two turns.
    #[schema(min_items = 1, max_items = 10)]
    sources: Vec<SourceBody>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    use_next: Option<bool>,
    /// Required (not empty) when `use_next` is on.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Vec<NextUpstreamCase>, required = false, nullable = false)]
    proxy_next_upstream: Option<Vec<String>>,
    /// Gcore's deprecated authentication type: only `none` (public origins).
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false, example = "none", pattern = "^none$")]
    auth_type: Option<String>,
}

/// Settings to change; those left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OriginGroupPatch)]
pub struct GroupPatchBody {
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false, min_length = 1, max_length = 100)]
    name: Option<String>,
    /// The group's origins, replacing those stored.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false, min_items = 1, max_items = 10)]
    sources: Option<Vec<SourceBody>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    use_next: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Vec<NextUpstreamCase>, required = false, nullable = false)]
    proxy_next_upstream: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false, example = "none", pattern = "^none$")]
    auth_type: Option<String>,
}

/// The origin group a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct GroupId {
    /// The origin group's id.
    id: i64,
}

/// Query of the list: Gcore's paging and filters. Any other parameter is refused with 400 naming it.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupListQuery {
    /// How many groups to return, 1 to 1000. With `limit` or `offset` the answer is a page,
    /// `{"count": …, "results": […]}`; without either, a bare array of them all.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// How many groups to skip (default 0).
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// Only the group with this name (exact).
    name: Option<String>,
    /// Only groups with this origin among their sources (exact, as the group shows it).
    sources: Option<String>,
    /// Only groups that CDN resources use (`true`) or that none uses (`false`).
    has_related_resources: Option<bool>,
}

/// A page of the list, in Gcore's shape (what its SDK's `SyncOffsetPage` reads).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OriginGroupPage)]
pub struct GroupPage {
    /// How many groups match, on all pages.
    count: i64,
    /// This page's groups, by id.
    results: Vec<GroupBody>,
}

/// The list's answer: a page when the query has `limit` or `offset`, else a bare array.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = OriginGroupList)]
pub enum GroupList {
    Page(GroupPage),
    All(Vec<GroupBody>),
}

/// The portal's errors as the API answers them about a group: its own 404.
/// The API's answer to a refusal of the group's module. A body's values are checked here first,
/// so a refusal under `name` can only be a name the account's other group has: a conflict with
/// what is stored (409), as a taken `cname` is, not an invalid value.
fn group_error(error: AppError) -> ApiError {
    match error {
        AppError::NotFound => ApiError::no_such_group(),
        AppError::Invalid(_) if error.for_field("name").is_some() => {
            let message = error.for_field("name").unwrap_or_default().to_owned();
            ApiError::conflict(message.clone()).with_field("name", message)
        }
        // Only a patch gets here with it (its body was checked alone): `use_next` or
        // `proxy_next_upstream` given alone, refused for the stored other.
        AppError::Invalid(_) if error.for_field("proxy_next_upstream").is_some() => {
            let message = error.for_field("proxy_next_upstream").unwrap_or_default().to_owned();
            ApiError::conflict(message.clone()).with_field("proxy_next_upstream", message)
        }
        other => other.into(),
    }
}

fn group_response(status: StatusCode, group: &OriginGroup, in_use: bool) -> Response {
    let mut response = (status, Json(GroupBody::new(group, in_use))).into_response();
    response.headers_mut().insert(header::ETAG, EntityTag::of_group(group).header());
    response
}

/// The sources of a body, each origin checked as a resource's is (under `sources[i].source`),
/// then the list (under `sources`).
fn sources(checks: &mut Checks, bodies: &[SourceBody]) -> Option<OriginSources> {
    let checked: Vec<Option<OriginSource>> = bodies
        .iter()
        .enumerate()
        .map(|(n, body)| {
            let source = checks.origin(&format!("sources[{n}].source"), &body.source)?;
            Some(OriginSource { source, enabled: body.enabled, backup: body.backup })
        })
        .collect();
    let checked: Vec<OriginSource> = checked.into_iter().collect::<Option<_>>()?;
    OriginSources::new(checked).map_err(|error| checks.fail::<()>("sources", error)).ok()
}

fn name(checks: &mut Checks, text: &str) -> Option<OriginGroupName> {
    OriginGroupName::parse(text).map_err(|error| checks.fail::<()>("name", error)).ok()
}

fn cases(checks: &mut Checks, names: &[String]) -> Option<Vec<NextUpstream>> {
    parse_cases(names).map_err(|error| checks.fail::<()>("proxy_next_upstream", error)).ok()
}

fn auth_type(checks: &mut Checks, auth_type: Option<&str>) {
    if auth_type.is_some_and(|auth_type| auth_type != "none") {
        checks
            .fail::<()>("auth_type", "Only `none` is offered: origins are public (S3 authentication is not offered).");
    }
}

/// A whole group's settings from a creation or replacement body; `None` when a check failed.
fn settings(checks: &mut Checks, body: &GroupCreateBody) -> Option<GroupSettings> {
    auth_type(checks, body.auth_type.as_deref());
    let name = name(checks, &body.name);
    let sources = sources(checks, &body.sources);
    let cases = match &body.proxy_next_upstream {
        Some(names) => cases(checks, names),
        None => Some(NextUpstreamPolicy::DEFAULT_CASES.to_vec()),
    };
    let next_upstream = NextUpstreamPolicy::new(body.use_next.unwrap_or(false), cases?)
        .map_err(|error| checks.fail::<()>("proxy_next_upstream", error))
        .ok();
    Some(GroupSettings { name: name?, sources: sources?, next_upstream: next_upstream? })
}

#[utoipa::path(
    get,
    path = "/cdn/origin_groups",
    tag = "Origin groups",
    operation_id = "listOriginGroups",
    summary = "List the account's origin groups",
    description = "By id. As Gcore's: with `limit` or `offset` the answer is a page, `{\"count\": N, \"results\": [...]}`; with neither, a bare array. Any other query parameter is refused with 400 naming it.",
    params(GroupListQuery),
    responses(
        (status = 200, description = "The groups that match.", body = GroupList),
        (status = 400, response = BadQuery),
        AnyCall,
        (status = 422, response = InvalidQuery),
    )
)]
pub async fn list_groups(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) = query.map_err(|rejection| ApiError::bad_query(rejection.body_text()))?;
    let mut query = GroupListQuery::default();
    let number = |name: &str, value: &str| {
        value.parse::<i64>().map_err(|_| ApiError::bad_query(format!("`{name}`: it must be a whole number.")))
    };
    for (name, value) in pairs {
        match name.as_str() {
            "limit" => query.limit = Some(number(&name, &value)?),
            "offset" => query.offset = Some(number(&name, &value)?),
            "name" => query.name = Some(value),
            "sources" => query.sources = Some(value),
            "has_related_resources" => {
                query.has_related_resources = Some(match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(ApiError::bad_query("`has_related_resources`: it must be true or false.")),
                })
            }
            other => return Err(ApiError::unknown_parameter(other, false)),
        }
    }
    let mut checks = Checks::default();
    if query.limit.is_some_and(|limit| !(1..=MAX_PAGE_SIZE).contains(&limit)) {
        checks.fail::<()>("limit", format!("limit must be from 1 to {MAX_PAGE_SIZE}."));
    }
    if query.offset.is_some_and(|offset| offset < 0) {
        checks.fail::<()>("offset", "offset cannot be negative.");
    }
    checks.finish()?;
    let mut groups: Vec<OriginGroupUse> = origin_groups::list(&api.pool, caller.account_id)
        .await?
        .into_iter()
        .filter(|used| query.name.as_deref().is_none_or(|name| used.group.name.as_str() == name))
        .filter(|used| {
            query.sources.as_deref().is_none_or(|wanted| {
                used.group.sources.as_slice().iter().any(|source| source.source.to_string() == wanted)
            })
        })
        .filter(|used| query.has_related_resources.is_none_or(|related| related != used.used_by.is_empty()))
        .collect();
    groups.sort_by_key(|used| used.group.id);
    let count = i64::try_from(groups.len()).unwrap_or(i64::MAX);
    let bodies = groups.iter().map(|used| GroupBody::new(&used.group, !used.used_by.is_empty()));
    let body = if query.limit.is_some() || query.offset.is_some() {
        let offset = usize::try_from(query.offset.unwrap_or(0)).unwrap_or(usize::MAX);
        let limit = usize::try_from(query.limit.unwrap_or(MAX_PAGE_SIZE)).unwrap_or(usize::MAX);
        GroupList::Page(GroupPage { count, results: bodies.skip(offset).take(limit).collect() })
    } else {
        GroupList::All(bodies.collect())
    };
    Ok(([("x-total-count", count.to_string())], Json(body)).into_response())
}

#[utoipa::path(
    post,
    path = "/cdn/origin_groups",
    tag = "Origin groups",
    operation_id = "createOriginGroup",
    summary = "Create an origin group",
    request_body(content = GroupCreateBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = GroupBody, headers(
            ("Location" = String, description = "The new group's address."),
            ("ETag" = String, description = "The group's id and version, `\"<id>.<version>\"`, for If-Match."))),
        AnyCall,
        WithBody,
        (status = 409, response = GroupNameTaken),
    ),
    description = "A name the account's other group has is refused with 409 under `name` (also by a replacement or a patch)."
)]
pub async fn create_group(
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    State(api): State<ApiState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: GroupCreateBody = parse_body(&body)?;
    let mut checks = Checks::default();
    let settings = settings(&mut checks, &body);
    checks.finish()?;
    let settings = settings.expect("checks.finish() refuses missing values");
    let created = origin_groups::create(&api.pool, &caller, &settings).await.map_err(group_error)?;
    let mut response = group_response(StatusCode::CREATED, &created, false);
    let location = HeaderValue::from_str(&format!("{GROUPS_PATH}/{}", created.id)).expect("a path is a valid header");
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/cdn/origin_groups/{id}",
    tag = "Origin groups",
    operation_id = "getOriginGroup",
    summary = "Get an origin group",
    params(GroupId),
    responses(
        (status = 200, description = "The group, as stored now.", body = GroupBody, headers(
            ("ETag" = String, description = "The group's id and version, `\"<id>.<version>\"`, for If-Match."))),
        AnyCall,
        (status = 404, response = super::errors::NoSuchResource),
    )
)]
pub async fn get_group(
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = resource_id(path).map_err(|_| ApiError::no_such_group())?;
    let used = origin_groups::get_with_users(&api.pool, caller.account_id, id).await.map_err(group_error)?;
    Ok(group_response(StatusCode::OK, &used.group, !used.used_by.is_empty()))
}

/// Replacing or patching: turns the body into an update (reporting invalid values in
/// `checks`), and saves it from the version `If-Match` names. The edges get a change of origins
/// or cases for every resource that uses the group.
async fn save<B>(
    request: ChangeRequest<B>,
    update: impl FnOnce(&B, &mut Checks) -> Option<GroupUpdate>,
) -> Result<Response, ApiError> {
    let mut checks = Checks::default();
    let update = update(&request.body, &mut checks);
    checks.finish()?;
    let update = update.expect("checks.finish() refuses missing values");
    let version = request.version()?;
    let ChangeRequest { api, caller, id, .. } = request;
    origin_groups::update(&api.pool, &caller, id, version, &update).await.map_err(group_error)?;
    api.config_changes.committed();
    let used = origin_groups::get_with_users(&api.pool, caller.account_id, id).await.map_err(group_error)?;
    Ok(group_response(StatusCode::OK, &used.group, !used.used_by.is_empty()))
}

#[utoipa::path(
    put,
    path = "/cdn/origin_groups/{id}",
    tag = "Origin groups",
    operation_id = "replaceOriginGroup",
    summary = "Replace an origin group's settings",
    description = "Sets every setting: `use_next` and `proxy_next_upstream` left out return to their defaults (off; `error`, `timeout`).",
    params(GroupId, super::schema::IfMatch),
    request_body(content = GroupCreateBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The group, as stored now.", body = GroupBody),
        super::responses::ChangeOfOneResource,
        WithBody,
    )
)]
pub async fn replace_group(request: ChangeRequest<GroupCreateBody>) -> Result<Response, ApiError> {
    save(request, |body, checks| settings(checks, body).map(GroupUpdate::from)).await
}

#[utoipa::path(
    patch,
    path = "/cdn/origin_groups/{id}",
    tag = "Origin groups",
    operation_id = "patchOriginGroup",
    summary = "Change some of an origin group's settings",
    description = "`use_next` given alone is checked against the stored `proxy_next_upstream`, and the other way round: on with no case is refused with 409 under `proxy_next_upstream` (with 422 when the body gives both).",
    params(GroupId, super::schema::IfMatch),
    request_body(content = GroupPatchBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The group, as stored now.", body = GroupBody),
        super::responses::ChangeOfOneResource,
        WithBody,
    )
)]
pub async fn patch_group(request: ChangeRequest<GroupPatchBody>) -> Result<Response, ApiError> {
    save(request, |body, checks| {
        auth_type(checks, body.auth_type.as_deref());
        let update = GroupUpdate {
            name: body.name.as_deref().and_then(|text| name(checks, text)),
            sources: body.sources.as_deref().and_then(|bodies| sources(checks, bodies)),
            use_next: body.use_next,
            proxy_next_upstream: body.proxy_next_upstream.as_deref().and_then(|names| cases(checks, names)),
        };
        // Both given, they are checked together here, as the document's `if`/`then` states it
        // (422); one given alone meets the stored other, and a refusal then is 409 (`group_error`).
        if let (Some(use_next), Some(cases)) = (update.use_next, &update.proxy_next_upstream)
            && let Err(error) = NextUpstreamPolicy::new(use_next, cases.clone())
        {
            checks.fail::<()>("proxy_next_upstream", error);
        }
        Some(update)
    })
    .await
}

#[utoipa::path(
    delete,
    path = "/cdn/origin_groups/{id}",
    tag = "Origin groups",
    operation_id = "deleteOriginGroup",
    summary = "Delete an origin group",
    description = "A group that CDN resources use is refused with 409, naming them: switch them to another group first.",
    params(GroupId, super::schema::IfMatch),
    responses(
        (status = 204, description = "Deleted."),
        super::responses::ChangeOfOneResource,
    )
)]
pub async fn delete_group(
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = resource_id(path).map_err(|_| ApiError::no_such_group())?;
    let version = required_version(&headers, id)?;
    origin_groups::delete(&api.pool, caller.account_id, id, version).await.map_err(group_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
