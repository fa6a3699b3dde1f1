//! `/cdn/resources`: the operations. The rules are those of the portal
//! (`crate::server::resources`); this module only translates, with [`super::schema`] for the
//! JSON and [`super::input`] for reading requests.

use super::auth::ApiCaller;
use super::errors::{BadQuery, DomainTaken, InvalidQuery};
use super::input::{ChangeRequest, Checks, EntityTag, parse_body, required_version, resource_id};
use super::responses::{AboutOneResource, AnyCall, ChangeOfOneResource, TheResource, WithBody};
use super::schema::{
    CreateBody, IfMatch, ListQuery, PatchBody, ReplaceBody, ResourceBody, ResourceId, ResourceList, ResourcePage,
};
use super::{ApiError, ApiState};
use crate::domain::Timestamp;
use crate::model::CdnResource;
use crate::options::{OptionChoice, OptionName, ResourceOptionsInput};
use crate::server::resources::{self, NewResource, ResourceFilter, ResourceUpdate};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

const DEFAULT_PAGE_SIZE: i64 = 100;
const MAX_PAGE_SIZE: i64 = 1000;

/// The resource with its ETag, which names it and its version.
fn resource_response(status: StatusCode, resource: &CdnResource) -> Response {
    let mut response = (status, Json(ResourceBody::from(resource))).into_response();
    response.headers_mut().insert(header::ETAG, EntityTag::of(resource).header());
    response
}

/// What the body's `options` ask of each option it names.
fn choices(options: Option<ResourceOptionsInput>) -> BTreeMap<OptionName, OptionChoice> {
    options.map(|options| options.choices().into_iter().collect()).unwrap_or_default()
}

#[utoipa::path(
    get,
    path = "/cdn/resources",
    tag = "CDN resources",
    operation_id = "listResources",
    summary = "List the account's CDN resources",
    description = "In order of creation. As Gcore's: with `limit` or `offset` the answer is a page, \
        `{\"count\": N, \"results\": [...]}`; with neither, a bare array of the first 100. \
        `X-Total-Count` says how many match in all, either way. \
        Any other query parameter is refused with 400 naming it.",
    params(ListQuery),
    responses(
        (status = 200, description = "The resources that match: a page (`ResourcePage`) with `limit` or `offset`, else an array.",
            body = ResourceList,
            headers(("X-Total-Count" = i64, description = "How many resources match, on all pages."))),
        (status = 400, response = BadQuery),
        AnyCall,
        (status = 422, response = InvalidQuery),
    )
)]
pub async fn list_resources(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) = query.map_err(|rejection| ApiError::bad_query(rejection.body_text()))?;
    let query = ListQuery::read(pairs)?;
    let mut checks = Checks::default();
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        checks.fail::<()>("limit", format!("limit must be from 1 to {MAX_PAGE_SIZE}."));
    }
    let offset = query.offset.unwrap_or(0);
    if offset < 0 {
        checks.fail::<()>("offset", "offset cannot be negative.");
    }
    let cname = query.cname.as_deref().and_then(|cname| checks.cname("cname", cname));
    checks.finish()?;
    let filter = ResourceFilter {
        custom_domain: cname,
        active: query.active,
        deleted: query.deleted,
        created_from: query.min_created,
        created_until: query.max_created,
        updated_from: query.min_updated,
        updated_until: query.max_updated,
    };
    let (page, count) = resources::page(
        &api.pool,
        caller.account_id,
        &filter,
        resources::Order::Created,
        u32::try_from(limit).unwrap_or(u32::MAX),
        u64::try_from(offset).unwrap_or_default(),
    )
    .await?;
    let results: Vec<ResourceBody> = page.iter().map(ResourceBody::from).collect();
    let body =
        if query.paged() { ResourceList::Page(ResourcePage { count, results }) } else { ResourceList::All(results) };
    Ok(([("x-total-count", count.to_string())], Json(body)).into_response())
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
            ("ETag" = String, description = "The resource's id and version, `\"<id>.<version>\"`, for If-Match."))),
        AnyCall,
        WithBody,
        (status = 409, response = DomainTaken),
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
        active: body.active.unwrap_or(true),
        ..NewResource::new(custom_domain, origin, body.integration).choosing(&choices(body.options))
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
    responses(TheResource, AboutOneResource,)
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
    params(ResourceId, IfMatch),
    request_body(content = ReplaceBody, content_type = "application/json"),
    responses(TheResource, ChangeOfOneResource, WithBody)
)]
pub async fn replace_resource(request: ChangeRequest<ReplaceBody>) -> Result<Response, ApiError> {
    save(request, |body, checks| {
        let origin = checks.origin("origin", &body.origin);
        // Every option the body leaves out returns to its default; one it names takes its choice.
        let mut options: BTreeMap<_, _> =
            OptionName::ALL.into_iter().map(|option| (option, OptionChoice::Default)).collect();
        options.extend(choices(body.options));
        ResourceUpdate { origin, active: Some(body.active.unwrap_or(true)), options }
    })
    .await
}

#[utoipa::path(
    patch,
    path = "/cdn/resources/{id}",
    tag = "CDN resources",
    operation_id = "patchResource",
    summary = "Change some of a CDN resource's settings",
    params(ResourceId, IfMatch),
    request_body(content = PatchBody, content_type = "application/json"),
    responses(TheResource, ChangeOfOneResource, WithBody)
)]
pub async fn patch_resource(request: ChangeRequest<PatchBody>) -> Result<Response, ApiError> {
    save(request, |body, checks| {
        let origin = body.origin.as_deref().and_then(|origin| checks.origin("origin", origin));
        ResourceUpdate { origin, active: body.active, options: choices(body.options) }
    })
    .await
}

/// Replacing or patching: turns the body into an update (reporting invalid values in
/// `checks`), and saves it from the version `If-Match` names.
async fn save<B>(
    request: ChangeRequest<B>,
    update: impl FnOnce(&B, &mut Checks) -> ResourceUpdate,
) -> Result<Response, ApiError> {
    let mut checks = Checks::default();
    let update = update(&request.body, &mut checks);
    checks.finish()?;
    let version = request.version()?;
    let ChangeRequest { api, caller, id, .. } = request;
    let saved = resources::update(&api.pool, &caller, id, version, &update, Timestamp::now()).await?;
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
    params(ResourceId, IfMatch),
    responses(
        (status = 204, description = "Deleted."),
        ChangeOfOneResource,
    )
)]
pub async fn delete_resource(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = resource_id(path)?;
    let version = required_version(&headers, id)?;
    resources::delete(&api.pool, caller.account_id, id, version).await?;
    api.config_changes.committed();
    Ok(StatusCode::NO_CONTENT.into_response())
}
