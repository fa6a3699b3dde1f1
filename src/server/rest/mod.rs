//! The public REST API for CDN resources and origin groups, in the shape of Gcore's CDN API so that customers'
//! scripts and tools carry over. It authenticates with API tokens only, never with the portal's
//! session, and describes itself in an OpenAPI document generated from the types below.
//!
//! The API and the portal's pages share `/cdn/resources/{id}`: a browser asking for a page
//! (GET, HTML, no `Authorization`) gets the settings page; everything else gets the API. Any
//! other request under `/cdn/` that carries `Authorization` is a script's too (the portal's pages
//! never need one): it gets the API's JSON, 404 for what does not exist and 501 for Gcore's
//! operations that this CDN does not offer ([`not_offered`]), never a page or the portal's
//! cross-site refusal.

mod auth;
mod certificates;
mod errors;
mod input;
mod origin_groups;
mod resources;
mod responses;
mod schema;
mod statistics;
mod trusted_cas;

use super::db::Pool;
use super::edge_feed::ConfigChanges;
use super::limits::Limits;
use auth::ApiCaller;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get};
pub use errors::{ApiError, UNAVAILABLE_RETRY_AFTER_SECONDS};
use std::sync::Arc;
use tower::ServiceExt;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};

pub use crate::model::{OPENAPI_PATH, ORIGIN_GROUPS_PATH};
const RESOURCES_PATH: &str = "/cdn/resources";

#[derive(Clone)]
struct ApiState {
    pool: Pool,
    config_changes: ConfigChanges,
    limits: Limits,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Edgeport CDN API",
        version = "1.0.0",
        description = "CDN resources and their options, in the shape of Gcore's CDN API. \
            Authenticate with `Authorization: APIKey <token>`, using a token created in the portal under API tokens. \
            Changes take effect on the CDN edges within a second and appear in the resource's history with the token's name."
    ),
    paths(
        resources::list_resources,
        resources::create_resource,
        resources::get_resource,
        resources::replace_resource,
        resources::patch_resource,
        resources::delete_resource,
        origin_groups::list_groups,
        origin_groups::create_group,
        origin_groups::get_group,
        origin_groups::replace_group,
        origin_groups::patch_group,
        origin_groups::delete_group,
        certificates::list_certificates,
        certificates::create_certificate,
        certificates::get_certificate,
        certificates::replace_certificate,
        certificates::delete_certificate,
        trusted_cas::list_cas,
        trusted_cas::create_ca,
        trusted_cas::get_ca,
        trusted_cas::replace_ca,
        trusted_cas::delete_ca,
        statistics::series,
        statistics::live,
    ),
    components(schemas(errors::ErrorBody, schema::StatusFilter), responses(
        errors::MalformedBody,
        errors::BadQuery,
        errors::InvalidQuery,
        errors::DomainTaken,
        errors::GroupNameTaken,
        errors::NoSuchOriginGroup,
        errors::NoValidToken,
        errors::NoSuchResource,
        errors::ChangedSince,
        errors::BodyTooLarge,
        errors::InvalidValues,
        errors::Unavailable,
        errors::TooManyRequests,
    )),
    modifiers(&TokenAuthentication, &FiltersNotOffered),
    security(("APIKey" = [])),
    tags(
        (name = "CDN resources", description = "The CDN resources of the token's account."),
        (name = "Origin groups", description = "The origin groups of the token's account: where its resources' content comes from."),
        (name = "SSL certificates", description = "The SSL certificates of the token's account, which its resources present to visitors over HTTPS."),
        (name = "Trusted CA certificates", description = "The trusted CA certificates of the token's account: the CAs of private origins, which the CDN edges trust for the resources that name one."),
        (name = "Statistics", description = "The WebSocket traffic of the token's account's resources, as the CDN edges report it every second: series in the shape of Gcore's statistics API, and the connections open now.")
    )
)]
struct ApiDocument;

struct TokenAuthentication;

impl utoipa::Modify for TokenAuthentication {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = ApiKeyValue::with_description(
            "Authorization",
            "`APIKey <token>`, with a token created in the portal under API tokens.",
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("APIKey", SecurityScheme::ApiKey(ApiKey::Header(scheme)));
    }
}

/// Names Gcore's list filters that this CDN refuses in the list's description, from
/// [`schema::GCORE_FILTERS_NOT_OFFERED`], the list the list's query is read by.
struct FiltersNotOffered;

impl utoipa::Modify for FiltersNotOffered {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let list = openapi.paths.paths.get_mut(RESOURCES_PATH).and_then(|path| path.get.as_mut());
        let list = list.expect("the document has the list operation");
        let names: Vec<String> = schema::GCORE_FILTERS_NOT_OFFERED.iter().map(|name| format!("`{name}`")).collect();
        let description = list.description.get_or_insert_with(String::new);
        description.push_str(&format!(
            " Among them are Gcore's filters that this CDN does not offer (yet), refused with a 400 that says so: {}.",
            names.join(", ")
        ));
    }
}

/// The OpenAPI 3.1 document of the API, as served.
pub fn openapi_json() -> String {
    let mut document = serde_json::to_value(ApiDocument::openapi()).expect("the OpenAPI document serialises");
    add_constraints_between_fields(&mut document);
    serde_json::to_string_pretty(&document).expect("the OpenAPI document serialises")
}

/// The rules that tie one field of a body to another, which utoipa 5 cannot write (it has no
/// `not` and no `contains`), added to the document's JSON so that a client (and schemathesis)
/// knows them:
/// - a creation or a replacement of a resource names exactly one of `origin` and `originGroup`,
///   a patch at most one;
/// - an origin group's `sources` has one that is enabled (the default) and not a backup;
/// - its `proxy_next_upstream` names each case once, and at least one when `use_next` is on;
/// - its `name` has a character that is not a space, once trimmed (none is a control character).
fn add_constraints_between_fields(document: &mut serde_json::Value) {
    use serde_json::json;
    let schemas = &mut document["components"]["schemas"];
    let exactly_one = json!([{ "required": ["origin"] }, { "required": ["originGroup"] }]);
    for name in ["ResourceCreate", "ResourceReplace"] {
        schemas[name]["oneOf"] = exactly_one.clone();
    }
    schemas["ResourcePatch"]["not"] = json!({ "required": ["origin", "originGroup"] });
    // HTTPS on needs a certificate: in a creation or replacement, `sslData` with it; in a
    // patch, not `sslData: null` with it (one left out is the stored one, which the answer checks).
    let https_needs_a_certificate = json!({
        "if": { "properties": { "sslEnabled": { "const": true } }, "required": ["sslEnabled"] },
        "then": { "properties": { "sslData": { "type": "integer" } }, "required": ["sslData"] }
    });
    for name in ["ResourceCreate", "ResourceReplace"] {
        schemas[name]["if"] = https_needs_a_certificate["if"].clone();
        schemas[name]["then"] = https_needs_a_certificate["then"].clone();
    }
    schemas["ResourcePatch"]["if"] = https_needs_a_certificate["if"].clone();
    schemas["ResourcePatch"]["then"] = json!({ "properties": { "sslData": { "type": "integer" } } });
    // Gcore's switches for what this CDN does not do (check against public roots, issue
    // certificates): only `false` is taken.
    for field in ["validate_root_ca", "automated"] {
        let property = &mut schemas["SslCertificateUpload"]["properties"][field];
        assert!(property.is_object(), "{field}");
        property["const"] = json!(false);
    }
    let a_primary = json!({
        "type": "object",
        "properties": { "enabled": { "const": true }, "backup": { "const": false } }
    });
    let a_case_when_used = json!({
        "if": { "properties": { "use_next": { "const": true } }, "required": ["use_next", "proxy_next_upstream"] },
        "then": { "properties": { "proxy_next_upstream": { "minItems": 1 } } }
    });
    // What `OriginGroupName::parse` takes: no control character (`TEXT_PATTERN`), and one that
    // is not white space.
    let name_pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$";
    for name in ["OriginGroupCreate", "OriginGroupPatch"] {
        let group = &mut schemas[name];
        let properties = &mut group["properties"];
        assert!(properties["sources"].is_object() && properties["name"].is_object(), "{name}");
        properties["sources"]["contains"] = a_primary.clone();
        properties["proxy_next_upstream"]["uniqueItems"] = json!(true);
        properties["name"]["pattern"] = json!(name_pattern);
        group["if"] = a_case_when_used["if"].clone();
        group["then"] = a_case_when_used["then"].clone();
    }
}

/// The API's routes, to be put in front of the portal with [`dispatch`].
pub fn router(pool: Pool, config_changes: ConfigChanges, limits: Limits) -> Router {
    let document = Arc::new(openapi_json());
    Router::new()
        .route(RESOURCES_PATH, only(get(resources::list_resources).post(resources::create_resource), "GET, HEAD, POST"))
        .route(
            "/cdn/resources/{id}",
            only(
                get(resources::get_resource)
                    .put(resources::replace_resource)
                    .patch(resources::patch_resource)
                    .delete(resources::delete_resource),
                "GET, HEAD, PUT, PATCH, DELETE",
            ),
        )
        .route(
            origin_groups::GROUPS_PATH,
            only(get(origin_groups::list_groups).post(origin_groups::create_group), "GET, HEAD, POST"),
        )
        .route(
            "/cdn/origin_groups/{id}",
            only(
                get(origin_groups::get_group)
                    .put(origin_groups::replace_group)
                    .patch(origin_groups::patch_group)
                    .delete(origin_groups::delete_group),
                "GET, HEAD, PUT, PATCH, DELETE",
            ),
        )
        .route(
            certificates::CERTIFICATES_PATH,
            only(get(certificates::list_certificates).post(certificates::create_certificate), "GET, HEAD, POST"),
        )
        .route(
            &format!("{}/{{id}}", certificates::CERTIFICATES_PATH),
            only(
                get(certificates::get_certificate)
                    .put(certificates::replace_certificate)
                    .delete(certificates::delete_certificate),
                "GET, HEAD, PUT, DELETE",
            ),
        )
        .route(
            trusted_cas::TRUSTED_CAS_PATH,
            only(get(trusted_cas::list_cas).post(trusted_cas::create_ca), "GET, HEAD, POST"),
        )
        .route(
            "/cdn/sslCertificates/{id}",
            only(
                get(trusted_cas::get_ca).put(trusted_cas::replace_ca).delete(trusted_cas::delete_ca),
                "GET, HEAD, PUT, DELETE",
            ),
        )
        .route(statistics::SERIES_PATH, only(get(statistics::series), "GET, HEAD"))
        .route(statistics::LIVE_PATH, only(get(statistics::live), "GET, HEAD"))
        .route(
            OPENAPI_PATH,
            only(
                get(move || {
                    let document = document.clone();
                    async move {
                        (
                            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                            document.as_str().to_owned(),
                        )
                    }
                }),
                "GET, HEAD",
            ),
        )
        // Gcore's, and not a resource's id: the route above would take it as one.
        .route("/cdn/resources/rule_templates", any(unknown_operation))
        .fallback(unknown_operation)
        .with_state(ApiState { pool, config_changes, limits })
}

/// `routes`, answering any other method with the API's 405 (after authentication, as every
/// answer about the resources is), naming those it takes in `Allow`.
fn only(routes: MethodRouter<ApiState>, allow: &'static str) -> MethodRouter<ApiState> {
    routes.fallback(move |caller: Result<ApiCaller, ApiError>, method: Method, uri: Uri| async move {
        if uri.path() != OPENAPI_PATH {
            caller?;
        }
        Err::<(), _>(ApiError::method_not_allowed(method.as_str(), uri.path(), HeaderValue::from_static(allow)))
    })
}

/// A request under the API's paths that no route takes: 501 for one of Gcore's operations that
/// this CDN does not offer, 404 for anything else; a valid token first, as for every operation.
async fn unknown_operation(ApiCaller(_): ApiCaller, method: Method, uri: Uri) -> ApiError {
    match not_offered(uri.path()) {
        Some(why) => ApiError::not_offered(why),
        None => ApiError::no_such_operation(method.as_str(), uri.path()),
    }
}

/// Why this CDN does not offer the Gcore operation at `path` (Gcore's CDN API, as its SDK 0.59.0
/// calls it); `None` for a path that is not one of Gcore's.
fn not_offered(path: &str) -> Option<&'static str> {
    const NO_CACHE: &str = "This CDN does not cache content: every request is fetched from the origin, so there is nothing to purge or prefetch.";
    const RULES: &str = "Rules (settings for some paths of a resource) are not offered by this CDN yet.";
    const SSL: &str = "Only uploaded SSL certificates are offered, at /cdn/sslData and /cdn/sslData/{id}: this CDN does not issue certificates.";
    const SHIELDING: &str = "Presets and origin shielding are not offered by this CDN.";
    let segments: Vec<&str> = path.strip_prefix("/cdn/")?.split('/').collect();
    let why = match segments.as_slice() {
        ["resources", "rule_templates", ..] => RULES,
        ["resources", _, "purge" | "prefetch"] | ["purge_statuses", ..] => NO_CACHE,
        ["resources", _, "rules", ..] => RULES,
        ["resources", _, "ssl", ..] | ["sslData", _, _, ..] => SSL,
        ["resources", _, "preset" | "shielding_v2"] | ["presets" | "shieldingpop_v2", ..] => SHIELDING,
        ["originGroups", ..] => "This CDN offers origin groups at /cdn/origin_groups.",
        ["aliases", ..] => "Aliases are not offered by this CDN.",
        ["statistics", ..] => {
            "Of Gcore's statistics, this CDN offers the WebSocket traffic of its resources: GET /cdn/statistics/series (its metrics are the WebSocket ones) and GET /cdn/statistics/websockets/live."
        }
        ["advanced" | "activity_log" | "logs_uploader" | "v2", ..] => {
            "Statistics, logs and the activity log are not offered through this API: see the portal."
        }
        ["clients" | "public-ip-list" | "public-net-list" | "aws_regions" | "alibaba_regions", ..] => {
            "This part of Gcore's CDN API is not offered by this CDN."
        }
        _ => return None,
    };
    Some(why)
}

/// Whether the API, rather than the portal's pages, answers this request.
pub fn handles(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    if path == OPENAPI_PATH || (path.starts_with("/cdn/") && headers.contains_key(header::AUTHORIZATION)) {
        return true;
    }
    // The portal has no page under `/cdn/statistics/`: a request without a token gets the API's 401.
    if path.starts_with(statistics::STATISTICS_PREFIX) {
        return true;
    }
    // A collection or one of its items: `/cdn/resources`, `/cdn/resources/7`, and the same for
    // origin groups, SSL certificates and trusted CA certificates.
    let collections =
        [RESOURCES_PATH, ORIGIN_GROUPS_PATH, certificates::CERTIFICATES_PATH, trusted_cas::TRUSTED_CAS_PATH];
    let api_path = collections.into_iter().any(|collection| {
        path == collection
            || path
                .strip_prefix(collection)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|id| !id.is_empty() && !id.contains('/'))
    });
    api_path && !is_page_request(method, headers)
}

/// A browser opening a page: it asks for HTML and cannot have an API token to send.
fn is_page_request(method: &Method, headers: &HeaderMap) -> bool {
    let accepts_html = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("text/html"));
    matches!(*method, Method::GET | Method::HEAD) && accepts_html && !headers.contains_key(header::AUTHORIZATION)
}

/// Middleware: hands the API's requests to `api`, and the rest to the portal.
pub async fn dispatch(State(api): State<Router>, request: Request, next: Next) -> Response {
    if handles(request.method(), request.uri().path(), request.headers()) {
        match api.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    } else {
        next.run(request).await
    }
}

/// An answer to an API request refused before it reached the API (too large, not text).
pub fn refusal(error: crate::error::AppError) -> Response {
    ApiError::from(error).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (name.clone(), HeaderValue::from_str(value).unwrap())).collect()
    }

    #[test]
    fn browsers_get_pages_and_everything_else_gets_the_api() {
        let browser = headers(&[(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")]);
        let script = headers(&[(header::ACCEPT, "*/*")]);
        let with_token = headers(&[(header::ACCEPT, "text/html"), (header::AUTHORIZATION, "APIKey x")]);
        assert!(!handles(&Method::GET, "/cdn/resources/7", &browser));
        assert!(!handles(&Method::HEAD, "/cdn/resources", &browser));
        assert!(handles(&Method::GET, "/cdn/resources/7", &script));
        assert!(handles(&Method::GET, "/cdn/resources", &HeaderMap::new()));
        assert!(handles(&Method::GET, "/cdn/resources/7", &with_token));
        assert!(handles(&Method::PATCH, "/cdn/resources/7", &browser));
        assert!(handles(&Method::POST, "/cdn/resources", &browser));
        assert!(handles(&Method::GET, OPENAPI_PATH, &browser));
        assert!(handles(&Method::DELETE, "/cdn/sslData/4", &HeaderMap::new()));
        assert!(handles(&Method::GET, "/cdn/sslData", &script));
        assert!(!handles(&Method::GET, "/cdn/ssl/new", &script));
        assert!(handles(&Method::POST, "/cdn/sslCertificates", &HeaderMap::new()));
        assert!(handles(&Method::GET, "/cdn/sslCertificates/4", &script));
        assert!(!handles(&Method::GET, "/cdn/trusted-cas", &script));
        for statistics in ["/cdn/statistics/series", "/cdn/statistics/websockets/live", "/cdn/statistics/aggregate"] {
            assert!(handles(&Method::GET, statistics, &HeaderMap::new()), "{statistics}");
            assert!(handles(&Method::GET, statistics, &browser), "{statistics}");
        }
        for page in ["/cdn", "/cdn/new", "/cdn/resources/7/content", "/cdn/resources/", "/api/list_resources"] {
            assert!(!handles(&Method::GET, page, &script), "{page}");
            assert!(!handles(&Method::POST, page, &script), "{page}");
        }
        // With a token, anything under /cdn/ is the API's, even where the portal has a page.
        for path in
            ["/cdn/resources/7/purge", "/cdn/resources/7/rules", "/cdn/originGroups", "/cdn/new", "/cdn/resources/"]
        {
            assert!(handles(&Method::POST, path, &with_token), "{path}");
            assert!(handles(&Method::GET, path, &with_token), "{path}");
        }
        assert!(!handles(&Method::GET, "/cdn", &with_token));
        assert!(!handles(&Method::GET, "/api/list_resources", &with_token));
    }

    #[test]
    fn gcore_operations_this_cdn_lacks_say_why() {
        for path in [
            "/cdn/resources/7/purge",
            "/cdn/resources/7/prefetch",
            "/cdn/resources/7/rules",
            "/cdn/resources/7/rules/3",
            "/cdn/resources/rule_templates",
            "/cdn/resources/7/ssl/le/pre-validate",
            "/cdn/sslData/4/renew",
            "/cdn/originGroups/2",
            "/cdn/resources/7/shielding_v2",
        ] {
            assert!(not_offered(path).is_some(), "{path}");
        }
        assert!(not_offered("/cdn/resources/7/purge").unwrap().contains("does not cache"));
        assert!(not_offered("/cdn/statistics/aggregate").unwrap().contains("/cdn/statistics/series"));
        for path in ["/cdn/resources/7/content", "/cdn/resources/7/nothing", "/cdn/whatever", "/api/x"] {
            assert_eq!(not_offered(path), None, "{path}");
        }
    }

    #[test]
    fn the_document_is_openapi_3_1_with_every_operation() {
        let document: serde_json::Value = serde_json::from_str(&openapi_json()).unwrap();
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = &document["paths"];
        for (path, methods) in [
            ("/cdn/resources", &["get", "post"][..]),
            ("/cdn/resources/{id}", &["get", "put", "patch", "delete"]),
            ("/cdn/origin_groups", &["get", "post"]),
            ("/cdn/origin_groups/{id}", &["get", "put", "patch", "delete"]),
            ("/cdn/sslData", &["get", "post"]),
            ("/cdn/sslData/{id}", &["get", "put", "delete"]),
            ("/cdn/sslCertificates", &["get", "post"]),
            ("/cdn/sslCertificates/{id}", &["get", "put", "delete"]),
            ("/cdn/statistics/series", &["get"]),
            ("/cdn/statistics/websockets/live", &["get"]),
        ] {
            for method in methods {
                assert!(paths[path][method].is_object(), "{method} {path}");
            }
        }
        assert_eq!(document["components"]["securitySchemes"]["APIKey"]["name"], "Authorization");
    }

    #[test]
    fn every_reference_in_the_document_resolves() {
        fn references<'a>(value: &'a serde_json::Value, found: &mut Vec<&'a str>) {
            match value {
                serde_json::Value::Object(fields) => {
                    found.extend(fields.get("$ref").and_then(serde_json::Value::as_str));
                    fields.values().for_each(|value| references(value, found));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|value| references(value, found)),
                _ => {}
            }
        }
        let document: serde_json::Value = serde_json::from_str(&openapi_json()).unwrap();
        let mut found = Vec::new();
        references(&document, &mut found);
        assert!(found.contains(&"#/components/schemas/Error"), "{found:?}");
        for reference in found {
            let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("not local: {reference}"));
            assert!(document.pointer(pointer).is_some(), "{reference} resolves to nothing");
        }
    }
}
