//! `/cdn/sslCertificates`: Gcore's trusted CA certificates, as its SDK
//! (`client.cdn.trusted_ca_certificates.*`, `CaCertificate`) sends and reads them: the CA of a
//! customer's private origin, which the edges trust for the resources that name it. The rules
//! are the portal's (`crate::server::certificates::*_ca`); this module only translates.

use super::auth::ApiCaller;
use super::errors::{BadQuery, InvalidQuery};
use super::input::{NoQuery, parse_body, resource_id};
use super::responses::{AnyCall, WithBody};
use super::{ApiError, ApiState};
use crate::error::AppError;
use crate::model::Certificate;
use crate::server::certificates;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub(super) const TRUSTED_CAS_PATH: &str = "/cdn/sslCertificates";
const MAX_PAGE_SIZE: i64 = 1000;

/// A trusted CA certificate, as Gcore's SDK reads it (`CaCertificate`); what is listed of its
/// first certificate.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CaCertificate)]
pub struct CaBody {
    #[schema(minimum = 1)]
    id: i64,
    /// Unique within the account.
    name: String,
    /// The subject's common name; empty when it has none.
    cert_subject_cn: String,
    /// Its DNS names, separated by commas (usually none for a CA).
    cert_subject_alt: String,
    /// Who signed it, as a distinguished name.
    cert_issuer: String,
    /// When it becomes valid (RFC 3339, UTC).
    #[schema(format = DateTime)]
    validity_not_before: String,
    /// When it ends (RFC 3339, UTC).
    #[schema(format = DateTime)]
    validity_not_after: String,
    /// Whether CDN resources trust it for their origin (then it cannot be deleted).
    #[serde(rename = "hasRelatedResources")]
    has_related_resources: bool,
    /// Always false (Gcore's deprecated field).
    deleted: bool,
}

impl CaBody {
    fn new(ca: &Certificate) -> Self {
        Self {
            id: ca.id,
            name: ca.name.clone(),
            cert_subject_cn: ca.subject_cn.clone(),
            cert_subject_alt: ca.subject_alt.join(","),
            cert_issuer: ca.issuer.clone(),
            validity_not_before: ca.not_before.to_rfc3339(),
            validity_not_after: ca.not_after.to_rfc3339(),
            has_related_resources: !ca.used_by.is_empty(),
            deleted: false,
        }
    }
}

/// A trusted CA to upload (Gcore's `TrustedCaCertificateCreateParams`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CaCertificateUpload)]
pub struct CaUploadBody {
    /// Unique within the account; 1 to 100 characters.
    name: String,
    /// One or more certificates, PEM, each valid now: the CA (or CAs) the origin's certificate
    /// is checked against.
    #[serde(rename = "sslCertificate")]
    ssl_certificate: String,
}

/// A trusted CA's new name (Gcore's `TrustedCaCertificateReplaceParams`, which has only
/// `name`) and, beyond Gcore's, optionally new certificates, which then reach the edges of the
/// resources that trust it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CaCertificateReplacement)]
pub struct CaReplaceBody {
    /// Unique within the account; 1 to 100 characters.
    name: String,
    /// New certificates, PEM, checked as an upload's are; left out, the certificates stay.
    #[serde(rename = "sslCertificate", default)]
    #[schema(required = false, nullable = false)]
    ssl_certificate: Option<String>,
}

/// The trusted CA a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct CaId {
    /// The CA certificate's id.
    id: i64,
}

/// Query of the list: Gcore's paging. Any other parameter is refused with 400 naming it.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaListQuery {
    /// How many to return, 1 to 1000. With `limit` or `offset` the answer is a page,
    /// `{"count": …, "results": […]}`; without either, a bare array of them all.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// How many to skip (default 0).
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// A page of the list, in Gcore's shape (what its SDK's `SyncOffsetPage` reads).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CaCertificatePage)]
pub struct CaPage {
    count: i64,
    results: Vec<CaBody>,
}

/// The list's answer: a page when the query has `limit` or `offset`, else a bare array.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = CaCertificateList)]
pub enum CaList {
    Page(CaPage),
    All(Vec<CaBody>),
}

/// The API's answer to a refusal: its own 404; a name the account's other CA has is a conflict
/// (409); a problem with the certificates is 422 under `sslCertificate`.
fn ca_error(error: AppError) -> ApiError {
    match error {
        AppError::NotFound => ApiError::no_such_trusted_ca(),
        AppError::Invalid(_) if error.for_field("name").is_some_and(|message| message.contains("already have")) => {
            let message = error.for_field("name").unwrap_or_default().to_owned();
            ApiError::conflict(message.clone()).with_field("name", message)
        }
        AppError::Invalid(fields) => {
            let renamed = fields.iter().fold(crate::error::FieldErrors::default(), |mut renamed, (field, message)| {
                renamed.add(if field == "certificate" { "sslCertificate" } else { field }, message);
                renamed
            });
            AppError::Invalid(renamed).into()
        }
        other => other.into(),
    }
}

#[utoipa::path(
    get,
    path = "/cdn/sslCertificates",
    tag = "Trusted CA certificates",
    operation_id = "listTrustedCaCertificates",
    summary = "List the account's trusted CA certificates",
    description = "By id. With `limit` or `offset` the answer is a page, `{\"count\": N, \"results\": [...]}`; with neither, a bare array. Any other query parameter is refused with 400 naming it.",
    params(CaListQuery),
    responses(
        (status = 200, description = "The CA certificates.", body = CaList),
        (status = 400, response = BadQuery),
        AnyCall,
        (status = 422, response = InvalidQuery),
    )
)]
pub async fn list_cas(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) = query.map_err(|rejection| ApiError::bad_query(rejection.body_text()))?;
    let mut query = CaListQuery::default();
    let number = |name: &str, value: &str| {
        value.parse::<i64>().map_err(|_| ApiError::bad_query(format!("`{name}`: it must be a whole number.")))
    };
    for (name, value) in pairs {
        match name.as_str() {
            "limit" => query.limit = Some(number(&name, &value)?),
            "offset" => query.offset = Some(number(&name, &value)?),
            other => {
                let gcore = matches!(other, "automated" | "resource_id" | "validity_not_after_lte");
                return Err(ApiError::unknown_parameter(other, gcore));
            }
        }
    }
    let mut checks = super::input::Checks::default();
    if query.limit.is_some_and(|limit| !(1..=MAX_PAGE_SIZE).contains(&limit)) {
        checks.fail::<()>("limit", format!("limit must be from 1 to {MAX_PAGE_SIZE}."));
    }
    if query.offset.is_some_and(|offset| offset < 0) {
        checks.fail::<()>("offset", "offset cannot be negative.");
    }
    checks.finish()?;
    let mut all = certificates::list_cas(&api.pool, caller.account_id).await?;
    all.sort_by_key(|ca| ca.id);
    let count = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let bodies = all.iter().map(CaBody::new);
    let body = if query.limit.is_some() || query.offset.is_some() {
        let offset = usize::try_from(query.offset.unwrap_or(0)).unwrap_or(usize::MAX);
        let limit = usize::try_from(query.limit.unwrap_or(MAX_PAGE_SIZE)).unwrap_or(usize::MAX);
        CaList::Page(CaPage { count, results: bodies.skip(offset).take(limit).collect() })
    } else {
        CaList::All(bodies.collect())
    };
    Ok(([("x-total-count", count.to_string())], Json(body)).into_response())
}

#[utoipa::path(
    post,
    path = "/cdn/sslCertificates",
    tag = "Trusted CA certificates",
    operation_id = "createTrustedCaCertificate",
    summary = "Upload a trusted CA certificate",
    description = "Checked before it is kept, each problem a 422 under `sslCertificate`: PEM, one or more X.509 certificates, each valid now. A name the account's other CA has is 409 under `name`.",
    request_body(content = CaUploadBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Uploaded.", body = CaBody, headers(
            ("Location" = String, description = "The new CA certificate's address."))),
        AnyCall,
        WithBody,
    )
)]
pub async fn create_ca(
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    State(api): State<ApiState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: CaUploadBody = parse_body(&body)?;
    let created = certificates::create_ca(&api.pool, caller.account_id, &body.name, &body.ssl_certificate)
        .await
        .map_err(ca_error)?;
    let mut response = (StatusCode::CREATED, Json(CaBody::new(&created))).into_response();
    let location =
        HeaderValue::from_str(&format!("{TRUSTED_CAS_PATH}/{}", created.id)).expect("a path is a valid header");
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/cdn/sslCertificates/{id}",
    tag = "Trusted CA certificates",
    operation_id = "getTrustedCaCertificate",
    summary = "Get a trusted CA certificate",
    params(CaId),
    responses(
        (status = 200, description = "The CA certificate.", body = CaBody),
        AnyCall,
        (status = 404, response = super::errors::NoSuchResource),
    )
)]
pub async fn get_ca(
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = resource_id(path).map_err(|_| ApiError::no_such_trusted_ca())?;
    let ca = certificates::get_ca(&api.pool, caller.account_id, id).await.map_err(ca_error)?;
    Ok(Json(CaBody::new(&ca)).into_response())
}

#[utoipa::path(
    put,
    path = "/cdn/sslCertificates/{id}",
    tag = "Trusted CA certificates",
    operation_id = "replaceTrustedCaCertificate",
    summary = "Rename a trusted CA certificate, or replace its certificates",
    description = "`name` as Gcore's; `sslCertificate`, beyond Gcore's, replaces the certificates (checked as an upload's are), which then reach the edges of the resources that trust it.",
    params(CaId),
    request_body(content = CaReplaceBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The CA certificate, as stored now.", body = CaBody),
        AnyCall,
        (status = 404, response = super::errors::NoSuchResource),
        WithBody,
    )
)]
pub async fn replace_ca(
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = resource_id(path).map_err(|_| ApiError::no_such_trusted_ca())?;
    let body: CaReplaceBody = parse_body(&body)?;
    let replaced =
        certificates::replace_ca(&api.pool, caller.account_id, id, None, &body.name, body.ssl_certificate.as_deref())
            .await
            .map_err(ca_error)?;
    api.config_changes.committed();
    Ok(Json(CaBody::new(&replaced)).into_response())
}

#[utoipa::path(
    delete,
    path = "/cdn/sslCertificates/{id}",
    tag = "Trusted CA certificates",
    operation_id = "deleteTrustedCaCertificate",
    summary = "Delete a trusted CA certificate",
    description = "A CA that CDN resources trust is refused with 409, naming them.",
    params(CaId),
    responses(
        (status = 204, description = "Deleted."),
        AnyCall,
        (status = 404, response = super::errors::NoSuchResource),
    )
)]
pub async fn delete_ca(
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = resource_id(path).map_err(|_| ApiError::no_such_trusted_ca())?;
    certificates::delete_ca(&api.pool, caller.account_id, id).await.map_err(ca_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
