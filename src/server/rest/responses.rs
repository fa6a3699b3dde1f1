//! The error answers operations share, grouped once for the OpenAPI document: an operation
//! lists its own successes and the groups that apply, never the same error twice by hand.

use super::errors::{
    BodyTooLarge, ChangedSince, InvalidValues, MalformedBody, NoSuchResource, NoValidToken, TooManyRequests,
    Unavailable,
};
use super::schema::ResourceBody;
use std::collections::BTreeMap;
use utoipa::openapi::{Ref, RefOr, Response};
use utoipa::{IntoResponses, ToResponse};

/// A reference to the shared response `R`, answered with `status`.
fn entry<'a, R: ToResponse<'a>>(status: u16) -> (String, RefOr<Response>) {
    (status.to_string(), RefOr::Ref(Ref::from_response_name(R::response().0)))
}

/// What any call can get: no valid token (401), too many requests (429), or the database
/// unreachable (503).
pub struct AnyCall;

impl IntoResponses for AnyCall {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([entry::<NoValidToken>(401), entry::<TooManyRequests>(429), entry::<Unavailable>(503)])
    }
}

/// A call about one resource: also no such resource in the token's account (404).
pub struct AboutOneResource;

impl IntoResponses for AboutOneResource {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = AnyCall::responses();
        responses.extend([entry::<NoSuchResource>(404)]);
        responses
    }
}

/// A change of one resource: also changed since the `If-Match` ETag (409).
pub struct ChangeOfOneResource;

impl IntoResponses for ChangeOfOneResource {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = AboutOneResource::responses();
        responses.extend([entry::<ChangedSince>(409)]);
        responses
    }
}

/// A call with a JSON body: unreadable (400), too large (413), or with invalid values (422).
pub struct WithBody;

impl IntoResponses for WithBody {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([entry::<MalformedBody>(400), entry::<BodyTooLarge>(413), entry::<InvalidValues>(422)])
    }
}

/// The resource as stored now, with its ETag.
#[derive(IntoResponses)]
#[response(
    status = 200,
    description = "The resource, as stored now.",
    headers(("ETag" = String, description = "The resource's id and version, `\"<id>.<version>\"`, for If-Match."))
)]
pub struct TheResource(#[allow(dead_code)] ResourceBody);
