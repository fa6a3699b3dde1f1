//! `/cdn/sslData`: Gcore's SSL certificates, as its SDK (`client.cdn.certificates.*`) sends and
//! reads them. The rules are the portal's (`crate::server::certificates`); this module only
//! translates. A private key comes in (`sslPrivateKey`) and never goes out. Gcore's fields for
//! certificates it issues itself (`automated: true`) or checks against public authorities
//! (`validate_root_ca: true`) are refused by name: this CDN keeps only uploaded certificates,
//! which may be signed by any authority.

use super::auth::ApiCaller;
use super::errors::{BadQuery, InvalidQuery};
use super::input::{ChangeRequest, Checks, EntityTag, NoQuery, parse_body, required_version, resource_id};
use super::responses::{AnyCall, WithBody};
use super::{ApiError, ApiState};
use crate::error::AppError;
use crate::model::Certificate;
use crate::options::present;
use crate::server::certificates;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub(super) const CERTIFICATES_PATH: &str = "/cdn/sslData";
const MAX_PAGE_SIZE: i64 = 1000;

/// An SSL certificate, as Gcore's SDK reads it (`SslDetail`): never its private key.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SslCertificate)]
pub struct CertificateBody {
    #[schema(minimum = 1)]
    id: i64,
    /// Unique within the account.
    name: String,
    /// The subject's common name; empty when it has none.
    cert_subject_cn: String,
    /// The DNS names the certificate covers, separated by commas, wildcards as written.
    #[schema(example = "example.com,*.example.com")]
    cert_subject_alt: String,
    /// Who signed it, as a distinguished name.
    cert_issuer: String,
    /// When it becomes valid (RFC 3339, UTC).
    #[schema(format = DateTime)]
    validity_not_before: String,
    /// When it ends (RFC 3339, UTC).
    #[schema(format = DateTime)]
    validity_not_after: String,
    /// Whether CDN resources use it (then it cannot be deleted).
    #[serde(rename = "hasRelatedResources")]
    has_related_resources: bool,
    /// Always false: every certificate here was uploaded by its owner.
    automated: bool,
    /// Always false (Gcore's deprecated field).
    deleted: bool,
}

impl CertificateBody {
    fn new(certificate: &Certificate) -> Self {
        Self {
            id: certificate.id,
            name: certificate.name.clone(),
            cert_subject_cn: certificate.subject_cn.clone(),
            cert_subject_alt: certificate.subject_alt.join(","),
            cert_issuer: certificate.issuer.clone(),
            validity_not_before: certificate.not_before.to_rfc3339(),
            validity_not_after: certificate.not_after.to_rfc3339(),
            has_related_resources: !certificate.used_by.is_empty(),
            automated: false,
            deleted: false,
        }
    }
}

/// A certificate to upload, or the new one replacing it (name, chain and key together).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SslCertificateUpload)]
pub struct UploadBody {
    /// Unique within the account; 1 to 100 characters.
    name: String,
    /// The certificate chain, PEM: the site's certificate first, then each issuer in turn.
    #[serde(rename = "sslCertificate")]
    ssl_certificate: String,
    /// The certificate's private key, PEM, unencrypted (PKCS#8, PKCS#1 RSA or SEC1 EC): RSA of
    /// 2048 bits or more, ECDSA P-256 or P-384, or Ed25519. Stored encrypted, never shown again.
    #[serde(rename = "sslPrivateKey")]
    ssl_private_key: String,
    /// Gcore checks against public authorities when true; this CDN does not, so only `false`
    /// (or leaving it out) is accepted.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    validate_root_ca: Option<bool>,
    /// Gcore issues a Let's Encrypt certificate when true; this CDN does not, so only `false`
    /// (or leaving it out) is accepted.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = false, nullable = false)]
    automated: Option<bool>,
}

impl UploadBody {
    /// Refuses, by name, what this CDN does not offer.
    fn check_unsupported(&self) -> Result<(), ApiError> {
        let mut checks = Checks::default();
        if self.validate_root_ca == Some(true) {
            checks.fail::<()>(
                "validate_root_ca",
                "This CDN does not check certificates against public authorities: send false or leave it out.",
            );
        }
        if self.automated == Some(true) {
            checks.fail::<()>(
                "automated",
                "This CDN does not issue certificates: upload one with sslCertificate and sslPrivateKey.",
            );
        }
        checks.finish()
    }
}

/// The certificate a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct CertificateId {
    /// The certificate's id.
    id: i64,
}

/// Query of the list: Gcore's paging. Any other parameter is refused with 400 naming it.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificateListQuery {
    /// How many certificates to return, 1 to 1000. With `limit` or `offset` the answer is a page,
    /// `{"count": …, "results": […]}`; without either, a bare array of them all.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// How many to skip (default 0).
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// A page of the list, in Gcore's shape (what its SDK's `SyncOffsetPage` reads).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SslCertificatePage)]
pub struct CertificatePage {
    count: i64,
    results: Vec<CertificateBody>,
}

/// The list's answer: a page when the query has `limit` or `offset`, else a bare array.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = SslCertificateList)]
pub enum CertificateList {
    Page(CertificatePage),
    All(Vec<CertificateBody>),
}

/// The API's answer to a refusal of the certificates' module: its own 404; a name the account's
/// other certificate has is a conflict (409), as a taken origin group name is; problems with the
/// certificate or key are 422 under `sslCertificate` or `sslPrivateKey`.
fn certificate_error(error: AppError) -> ApiError {
    match error {
        AppError::NotFound => ApiError::no_such_certificate(),
        AppError::Invalid(_) if error.for_field("name").is_some_and(|message| message.contains("already have")) => {
            let message = error.for_field("name").unwrap_or_default().to_owned();
            ApiError::conflict(message.clone()).with_field("name", message)
        }
        AppError::Invalid(fields) => {
            let renamed = fields.iter().fold(crate::error::FieldErrors::default(), |mut renamed, (field, message)| {
                let field = match field {
                    "certificate" => "sslCertificate",
                    "private_key" => "sslPrivateKey",
                    other => other,
                };
                renamed.add(field, message);
                renamed
            });
            AppError::Invalid(renamed).into()
        }
        other => other.into(),
    }
}

fn certificate_response(status: StatusCode, certificate: &Certificate) -> Response {
    let mut response = (status, Json(CertificateBody::new(certificate))).into_response();
    response.headers_mut().insert(header::ETAG, EntityTag::of_certificate(certificate).header());
    response
}

#[utoipa::path(
    get,
    path = "/cdn/sslData",
    tag = "SSL certificates",
    operation_id = "listSslCertificates",
    summary = "List the account's SSL certificates",
    description = "By id. As Gcore's: with `limit` or `offset` the answer is a page, `{\"count\": N, \"results\": [...]}`; with neither, a bare array. Any other query parameter is refused with 400 naming it.",
    params(CertificateListQuery),
    responses(
        (status = 200, description = "The certificates.", body = CertificateList),
        (status = 400, response = BadQuery),
        AnyCall,
        (status = 422, response = InvalidQuery),
    )
)]
pub async fn list_certificates(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) = query.map_err(|rejection| ApiError::bad_query(rejection.body_text()))?;
    let mut query = CertificateListQuery::default();
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
    let mut checks = Checks::default();
    if query.limit.is_some_and(|limit| !(1..=MAX_PAGE_SIZE).contains(&limit)) {
        checks.fail::<()>("limit", format!("limit must be from 1 to {MAX_PAGE_SIZE}."));
    }
    if query.offset.is_some_and(|offset| offset < 0) {
        checks.fail::<()>("offset", "offset cannot be negative.");
    }
    checks.finish()?;
    let mut all = certificates::list(&api.pool, caller.account_id).await?;
    all.sort_by_key(|certificate| certificate.id);
    let count = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let bodies = all.iter().map(CertificateBody::new);
    let body = if query.limit.is_some() || query.offset.is_some() {
        let offset = usize::try_from(query.offset.unwrap_or(0)).unwrap_or(usize::MAX);
        let limit = usize::try_from(query.limit.unwrap_or(MAX_PAGE_SIZE)).unwrap_or(usize::MAX);
        CertificateList::Page(CertificatePage { count, results: bodies.skip(offset).take(limit).collect() })
    } else {
        CertificateList::All(bodies.collect())
    };
    Ok(([("x-total-count", count.to_string())], Json(body)).into_response())
}

#[utoipa::path(
    post,
    path = "/cdn/sslData",
    tag = "SSL certificates",
    operation_id = "createSslCertificate",
    summary = "Upload an SSL certificate",
    description = "Checked before it is kept, each problem a 422 under its field: PEM, a chain in order (each certificate issued by the next), a key that matches the first certificate and is of a supported type, and dates that include now. A name the account's other certificate has is 409 under `name`.",
    request_body(content = UploadBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Uploaded.", body = CertificateBody, headers(
            ("Location" = String, description = "The new certificate's address."))),
        AnyCall,
        WithBody,
    )
)]
pub async fn create_certificate(
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    State(api): State<ApiState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: UploadBody = parse_body(&body)?;
    body.check_unsupported()?;
    let created =
        certificates::create(&api.pool, caller.account_id, &body.name, &body.ssl_certificate, &body.ssl_private_key)
            .await
            .map_err(certificate_error)?;
    let mut response = certificate_response(StatusCode::CREATED, &created);
    let location =
        HeaderValue::from_str(&format!("{CERTIFICATES_PATH}/{}", created.id)).expect("a path is a valid header");
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/cdn/sslData/{id}",
    tag = "SSL certificates",
    operation_id = "getSslCertificate",
    summary = "Get an SSL certificate",
    params(CertificateId),
    responses(
        (status = 200, description = "The certificate (never its key).", body = CertificateBody),
        AnyCall,
        (status = 404, response = super::errors::NoSuchResource),
    )
)]
pub async fn get_certificate(
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = resource_id(path).map_err(|_| ApiError::no_such_certificate())?;
    let certificate = certificates::get(&api.pool, caller.account_id, id).await.map_err(certificate_error)?;
    Ok(certificate_response(StatusCode::OK, &certificate))
}

#[utoipa::path(
    put,
    path = "/cdn/sslData/{id}",
    tag = "SSL certificates",
    operation_id = "replaceSslCertificate",
    summary = "Replace an SSL certificate",
    description = "Name, chain and key together, checked as an upload is; the new certificate must also cover every host name of the resources using it with HTTPS on (422 under `sslCertificate` otherwise). The CDN edges present it to new connections within a second.",
    params(CertificateId, super::schema::IfMatch),
    request_body(content = UploadBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The certificate, as stored now.", body = CertificateBody),
        super::responses::ChangeOfOneResource,
        WithBody,
    )
)]
pub async fn replace_certificate(request: ChangeRequest<UploadBody>) -> Result<Response, ApiError> {
    request.body.check_unsupported()?;
    let version = request.version()?;
    let ChangeRequest { api, caller, id, body, .. } = request;
    let replaced = certificates::replace(
        &api.pool,
        caller.account_id,
        id,
        version,
        &body.name,
        &body.ssl_certificate,
        &body.ssl_private_key,
    )
    .await
    .map_err(certificate_error)?;
    api.config_changes.committed();
    Ok(certificate_response(StatusCode::OK, &replaced))
}

#[utoipa::path(
    delete,
    path = "/cdn/sslData/{id}",
    tag = "SSL certificates",
    operation_id = "deleteSslCertificate",
    summary = "Delete an SSL certificate",
    description = "A certificate that CDN resources use is refused with 409, naming them.",
    params(CertificateId, super::schema::IfMatch),
    responses(
        (status = 204, description = "Deleted."),
        super::responses::ChangeOfOneResource,
    )
)]
pub async fn delete_certificate(
    ApiCaller(caller): ApiCaller,
    _: NoQuery,
    State(api): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = resource_id(path).map_err(|_| ApiError::no_such_certificate())?;
    let version = required_version(&headers, id)?;
    certificates::delete(&api.pool, caller.account_id, id, version).await.map_err(certificate_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
