//! `/cdn/resources`: the operations. The rules are those of the portal
//! (`crate::server::resources`); this module only translates, with [`super::schema`] for the
//! JSON and [`super::input`] for reading requests.

use super::auth::ApiCaller;
use super::errors::{BadQuery, DomainTaken, InvalidQuery, NoSuchOriginGroup};
use super::input::{ChangeRequest, Checks, EntityTag, NoQuery, parse_body, required_version, resource_id};
use super::responses::{AboutOneResource, AnyCall, ChangeOfOneResource, TheResource, WithBody};
use super::schema::{
    CreateBody, IfMatch, ListQuery, PatchBody, ReplaceBody, ResourceBody, ResourceId, ResourceList, ResourcePage,
    StatusFilter,
};
use super::{ApiError, ApiState};
use crate::domain::{Integration, SecondaryHostnames, Timestamp};
use crate::model::{CdnResource, ResourceStatus, parse_origin_protocol};
use crate::options::{OptionChoice, OptionName, ResourceOptionsInput};
use crate::server::certificates::NO_SUCH_TRUSTED_CA;
use crate::server::db::Pool;
use crate::server::edge_feed;
use crate::server::resources::{self, HttpsSettings, NewResource, OriginChoice, ResourceFilter, ResourceUpdate};
use ::edge_feed::OriginProtocol;
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
async fn resource_response(pool: &Pool, status: StatusCode, resource: &CdnResource) -> Result<Response, ApiError> {
    let [body] = bodies(pool, std::slice::from_ref(resource)).await?.try_into().expect("one body per resource");
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(header::ETAG, EntityTag::of(resource).header());
    Ok(response)
}

/// The resources as the API shows them, each with its `status` as of now.
async fn bodies(pool: &Pool, resources: &[CdnResource]) -> Result<Vec<ResourceBody>, ApiError> {
    let ids: Vec<i64> = resources.iter().map(|resource| resource.id).collect();
    let rollouts = edge_feed::rollouts(pool, &ids).await?;
    Ok(resources
        .iter()
        .zip(rollouts)
        .map(|(resource, rollout)| ResourceBody::new(resource, ResourceStatus::of(resource.active, rollout)))
        .collect())
}

/// The API's answer to a refusal of a body whose values were each valid. A secondary hostname
/// that another resource serves (or that is this one's `cname`) is a 409 naming
/// `secondaryHostnames`, as a taken `cname` is. The portal reports both next to their fields,
/// as its other refusals.
fn refusal_of_a_valid_body(error: crate::error::AppError) -> ApiError {
    if let Some(message) = error.for_field("secondary_hostnames") {
        return ApiError::conflict(message).with_field("secondaryHostnames", message);
    }
    // The body's `originGroup` is checked here first ([`origin_choice`]), so a refusal under it
    // can only mean that the account has no such group: 404, as for a group's own path.
    if let Some(message) = error.for_field("origin_group") {
        return ApiError::no_such_group().with_field("originGroup", message);
    }
    // A certificate the account does not have is 404, as for a certificate's own path. Any other
    // refusal under `sslData` comes from what is stored, not from the body (which
    // [`https_choice`] has checked): the resource's own certificate, left out of a patch, is
    // missing or does not cover its host names; or the named one does not. A body the document
    // allows, refused for the state it meets: 409, as a taken host name is.
    if let Some(message) = error.for_field("proxy_ssl_ca").filter(|message| message.starts_with(NO_SUCH_TRUSTED_CA)) {
        return ApiError::no_such_trusted_ca().with_field("proxy_ssl_ca", message);
    }
    if let Some(message) = error.for_field("ssl_data") {
        if message.starts_with(NO_SUCH_CERTIFICATE) {
            return ApiError::no_such_certificate().with_field("sslData", message);
        }
        return ApiError::conflict(message).with_field("sslData", message);
    }
    error.into()
}

/// How a refusal of an `sslData` the account does not have starts (`certificates::coverage_in`).
const NO_SUCH_CERTIFICATE: &str = "There is no SSL certificate";

/// What a body's `sslData` left out means: in a creation or replacement, none; in a patch, the
/// resource's current certificate.
#[derive(Clone, Copy, PartialEq)]
enum LeftOut {
    NoCertificate,
    TheStoredOne,
}

/// The HTTPS settings a body gives, each `None` when left out. Reported in `checks`: a bad
/// `originProtocol`, and `sslEnabled: true` with no certificate in the body (`sslData` null, or
/// left out where that means none), which the document's `if`/`then` rules out too.
fn https_choice(
    checks: &mut Checks,
    ssl_enabled: Option<bool>,
    ssl_data: Option<Option<i64>>,
    left_out: LeftOut,
    origin_protocol: Option<&str>,
) -> (Option<Option<i64>>, Option<OriginProtocol>) {
    let no_certificate = match ssl_data {
        Some(certificate) => certificate.is_none(),
        None => left_out == LeftOut::NoCertificate,
    };
    let ssl_data = match ssl_data {
        Some(Some(id)) if id < 1 => checks.fail("sslData", "An SSL certificate's id is a whole number from 1."),
        _ if ssl_enabled == Some(true) && no_certificate => checks
            .fail("sslData", "HTTPS on needs a certificate: give sslData, the id of one of your SSL certificates."),
        other => other,
    };
    let protocol = match origin_protocol.map(parse_origin_protocol) {
        Some(Ok(protocol)) => Some(protocol),
        Some(Err(error)) => checks.fail("originProtocol", error),
        None => None,
    };
    (ssl_data, protocol)
}

/// The body's `proxy_ssl_ca`, `None` when left out; an id below 1 is reported in `checks`.
fn trusted_ca_choice(checks: &mut Checks, proxy_ssl_ca: Option<Option<i64>>) -> Option<Option<i64>> {
    match proxy_ssl_ca {
        Some(Some(id)) if id < 1 => {
            checks.fail("proxy_ssl_ca", "A trusted CA certificate's id is a whole number from 1.")
        }
        other => other,
    }
}

/// Where a body says the content comes from: `origin` (a group of one) or `originGroup` (an
/// existing group), never both; `None` when it names neither. Problems are reported in `checks`.
fn origin_choice(checks: &mut Checks, origin: Option<&str>, origin_group: Option<i64>) -> Option<OriginChoice> {
    match (origin, origin_group) {
        (Some(_), Some(_)) => checks.fail("originGroup", "Give either `origin` or `originGroup`, not both."),
        (Some(origin), None) => checks.origin("origin", origin).map(OriginChoice::Origin),
        (None, Some(id)) if id >= 1 => Some(OriginChoice::Group(id)),
        (None, Some(_)) => checks.fail("originGroup", "An origin group's id is a whole number from 1."),
        (None, None) => None,
    }
}

/// A creation or a replacement names where the content comes from: a body with neither field is
/// malformed, as one missing any other required field.
fn required_origin(origin: Option<&str>, origin_group: Option<i64>) -> Result<(), ApiError> {
    match (origin, origin_group) {
        (None, None) => Err(ApiError::malformed(
            Some("origin".to_owned()),
            "missing field `origin` (or `originGroup`, an origin group's id)",
        )),
        _ => Ok(()),
    }
}

/// What a body asks of the name, the description and the secondary hostnames, checked (each
/// problem reported in `checks`).
struct Details {
    name: Option<Option<crate::domain::ResourceName>>,
    description: Option<Option<crate::domain::ResourceDescription>>,
    secondary_hostnames: Option<SecondaryHostnames>,
}

fn details(
    checks: &mut Checks,
    name: &Option<Option<String>>,
    description: &Option<Option<String>>,
    secondary_hostnames: &Option<Vec<String>>,
) -> Details {
    Details {
        name: name.as_ref().and_then(|name| checks.name("name", name.as_deref())),
        description: description
            .as_ref()
            .and_then(|description| checks.description("description", description.as_deref())),
        secondary_hostnames: secondary_hostnames
            .as_ref()
            .and_then(|hostnames| checks.secondary_hostnames("secondaryHostnames", hostnames)),
    }
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
    let secondary_hostname =
        query.secondary_hostnames.as_deref().and_then(|hostname| checks.cname("secondaryHostnames", hostname));
    checks.finish()?;
    let status = query.status.map(StatusFilter::status);
    let filter = ResourceFilter {
        custom_domain: cname,
        active: query.active,
        // `deleted` matches none, as `deleted=true` does; `suspended` is exactly the inactive.
        deleted: if status == Some(None) { Some(true) } else { query.deleted },
        created_from: query.min_created,
        created_until: query.max_created,
        updated_from: query.min_updated,
        updated_until: query.max_updated,
        name: query.name.clone(),
        secondary_hostname,
        in_service: status.flatten().map(|status| status != ResourceStatus::Suspended),
    };
    let (limit, offset) = (u32::try_from(limit).unwrap_or(u32::MAX), u64::try_from(offset).unwrap_or_default());
    let (results, count) = match status.flatten() {
        // Whether an active resource is `active` or `processed` depends on what the edges
        // report, which no column holds: every match is read, and the page cut from them.
        Some(wanted @ (ResourceStatus::Active | ResourceStatus::Processed)) => {
            let (all, _) =
                resources::page(&api.pool, caller.account_id, &filter, resources::Order::Created, u32::MAX, 0).await?;
            let matching: Vec<ResourceBody> =
                bodies(&api.pool, &all).await?.into_iter().filter(|body| body.status == wanted).collect();
            let count = i64::try_from(matching.len()).unwrap_or(i64::MAX);
            let start = usize::try_from(offset).unwrap_or(usize::MAX);
            (matching.into_iter().skip(start).take(limit as usize).collect(), count)
        }
        _ => {
            let (page, count) =
                resources::page(&api.pool, caller.account_id, &filter, resources::Order::Created, limit, offset)
                    .await?;
            (bodies(&api.pool, &page).await?, count)
        }
    };
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
        (status = 404, response = NoSuchOriginGroup),
        (status = 409, response = DomainTaken),
    ),
    description = "`integration` may be left out: `entire_website`. The content comes from `origin` (a group of that origin alone, made or reused) or `originGroup` (one of the account's groups; another's, or none, is refused with 404 under `originGroup`, as are an `sslData` and a `proxy_ssl_ca` the account does not have), exactly one of the two. A secondary hostname that another resource serves, or the `cname` among them, is refused with 409 under `secondaryHostnames`, as a taken `cname` is."
)]
pub async fn create_resource(
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    State(api): State<ApiState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: CreateBody = parse_body(&body)?;
    required_origin(body.origin.as_deref(), body.origin_group)?;
    let mut checks = Checks::default();
    let cname = checks.cname("cname", &body.cname);
    let origin = origin_choice(&mut checks, body.origin.as_deref(), body.origin_group);
    let details = details(&mut checks, &body.name, &body.description, &body.secondary_hostnames);
    let (ssl_data, origin_protocol) = https_choice(
        &mut checks,
        body.ssl_enabled,
        body.ssl_data,
        LeftOut::NoCertificate,
        body.origin_protocol.as_deref(),
    );
    let proxy_ssl_ca = trusted_ca_choice(&mut checks, body.proxy_ssl_ca);
    checks.finish()?;
    let (Some(custom_domain), Some(origin)) = (cname, origin) else {
        unreachable!("checks.finish() refuses missing values");
    };
    let integration = body.integration.unwrap_or(Integration::EntireWebsite);
    let new = NewResource {
        active: body.active.unwrap_or(true),
        name: details.name.flatten(),
        description: details.description.flatten(),
        secondary_hostnames: details.secondary_hostnames.unwrap_or_default(),
        https: HttpsSettings {
            ssl_enabled: body.ssl_enabled.unwrap_or(false),
            ssl_data: ssl_data.flatten(),
            origin_protocol: origin_protocol.unwrap_or_default(),
            proxy_ssl_ca: proxy_ssl_ca.flatten(),
        },
        ..NewResource::using(custom_domain, origin, integration).choosing(&choices(body.options))
    };
    let created =
        resources::try_create(&api.pool, &caller, &new).await.map_err(refusal_of_a_valid_body)?.ok_or_else(|| {
            let message = resources::domain_taken_message(&new.custom_domain);
            ApiError::conflict(message.clone()).with_field("cname", message)
        })?;
    api.config_changes.committed();
    let mut response = resource_response(&api.pool, StatusCode::CREATED, &created).await?;
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
    _: NoQuery,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = resource_id(path)?;
    let resource = resources::get(api.pool.db(), caller.account_id, id).await?;
    resource_response(&api.pool, StatusCode::OK, &resource).await
}

#[utoipa::path(
    put,
    path = "/cdn/resources/{id}",
    tag = "CDN resources",
    operation_id = "replaceResource",
    summary = "Replace a CDN resource's settings",
    description = "Sets every setting: those left out return to their defaults (active, no name, description or secondary hostnames, and WebSockets following the integration). The custom domain and integration stay as created. A secondary hostname that another resource serves is refused with 409 under `secondaryHostnames`. `origin` or `originGroup` switches the resource's origin group, as in a creation.",
    params(ResourceId, IfMatch),
    request_body(content = ReplaceBody, content_type = "application/json"),
    responses(TheResource, ChangeOfOneResource, WithBody)
)]
pub async fn replace_resource(request: ChangeRequest<ReplaceBody>) -> Result<Response, ApiError> {
    required_origin(request.body.origin.as_deref(), request.body.origin_group)?;
    save(request, |body, checks| {
        let origin = origin_choice(checks, body.origin.as_deref(), body.origin_group);
        let details = details(checks, &body.name, &body.description, &body.secondary_hostnames);
        // Every option the body leaves out returns to its default; one it names takes its choice.
        let mut options: BTreeMap<_, _> =
            OptionName::ALL.into_iter().map(|option| (option, OptionChoice::Default)).collect();
        options.extend(choices(body.options));
        let (ssl_data, origin_protocol) = https_choice(
            checks,
            body.ssl_enabled,
            body.ssl_data,
            LeftOut::NoCertificate,
            body.origin_protocol.as_deref(),
        );
        let proxy_ssl_ca = trusted_ca_choice(checks, body.proxy_ssl_ca);
        // So do the name, description and secondary hostnames (none) and HTTPS (off, no
        // certificate, HTTP to the origin, the public roots only).
        ResourceUpdate {
            name: Some(details.name.flatten()),
            description: Some(details.description.flatten()),
            secondary_hostnames: Some(details.secondary_hostnames.unwrap_or_default()),
            origin,
            active: Some(body.active.unwrap_or(true)),
            options,
            ssl_enabled: Some(body.ssl_enabled.unwrap_or(false)),
            ssl_data: Some(ssl_data.flatten()),
            origin_protocol: Some(origin_protocol.unwrap_or_default()),
            proxy_ssl_ca: Some(proxy_ssl_ca.flatten()),
        }
    })
    .await
}

#[utoipa::path(
    patch,
    path = "/cdn/resources/{id}",
    tag = "CDN resources",
    operation_id = "patchResource",
    summary = "Change some of a CDN resource's settings",
    description = "A secondary hostname that another resource serves, or the `cname` among them, is refused with 409 under `secondaryHostnames`. `origin` or `originGroup` switches the resource's origin group, as in a creation.",
    params(ResourceId, IfMatch),
    request_body(content = PatchBody, content_type = "application/json"),
    responses(TheResource, ChangeOfOneResource, WithBody)
)]
pub async fn patch_resource(request: ChangeRequest<PatchBody>) -> Result<Response, ApiError> {
    save(request, |body, checks| {
        let origin = origin_choice(checks, body.origin.as_deref(), body.origin_group);
        let details = details(checks, &body.name, &body.description, &body.secondary_hostnames);
        let (ssl_data, origin_protocol) = https_choice(
            checks,
            body.ssl_enabled,
            body.ssl_data,
            LeftOut::TheStoredOne,
            body.origin_protocol.as_deref(),
        );
        let proxy_ssl_ca = trusted_ca_choice(checks, body.proxy_ssl_ca);
        ResourceUpdate {
            name: details.name,
            description: details.description,
            secondary_hostnames: details.secondary_hostnames,
            origin,
            active: body.active,
            options: choices(body.options),
            ssl_enabled: body.ssl_enabled,
            ssl_data,
            origin_protocol,
            proxy_ssl_ca,
        }
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
    let saved = resources::update(&api.pool, &caller, id, version, &update, Timestamp::now())
        .await
        .map_err(refusal_of_a_valid_body)?;
    api.config_changes.committed();
    resource_response(&api.pool, StatusCode::OK, &saved).await
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
    _: NoQuery,
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
