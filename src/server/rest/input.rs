//! Reading a request to the resource operations: its body, the id in its path, its `If-Match`,
//! and the checks of its values, each problem reported against the field it is about.

use super::auth::ApiCaller;
use super::schema::{CNAME_PATTERN, MAX_NAME_LEN, ORIGIN_PATTERN};
use super::{ApiError, ApiState};
use crate::domain::{DomainName, Origin, ResourceDescription, ResourceName, SecondaryHostnames};
use crate::model::CdnResource;
use crate::server::resources::Actor;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use regex::Regex;
use serde::Deserializer;
use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{DeserializeOwned, IntoDeserializer, Visitor};
use std::collections::BTreeMap;
use std::sync::LazyLock;

static CNAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(CNAME_PATTERN).expect("valid pattern"));
static ORIGIN: LazyLock<Regex> = LazyLock::new(|| Regex::new(ORIGIN_PATTERN).expect("valid pattern"));

/// A resource's ETag, `"<id>.<version>"`: it names the resource as well as its version, so the
/// tag of one resource never matches another (and ids are never reused, migration 0005).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct EntityTag {
    pub(super) id: i64,
    pub(super) version: i64,
}

impl EntityTag {
    pub(super) fn of(resource: &CdnResource) -> Self {
        Self { id: resource.id, version: resource.version }
    }

    /// An origin group's tag: the same shape, its id and version.
    pub(super) fn of_group(group: &crate::model::OriginGroup) -> Self {
        Self { id: group.id, version: group.version }
    }

    /// An SSL certificate's tag: the same shape, its id and version.
    pub(super) fn of_certificate(certificate: &crate::model::Certificate) -> Self {
        Self { id: certificate.id, version: certificate.version }
    }

    pub(super) fn header(self) -> HeaderValue {
        HeaderValue::from_str(&self.to_string()).expect("digits, a dot and quotes are a valid header")
    }

    /// Exactly the text [`Display`](std::fmt::Display) writes: quoted, both numbers from 1, no
    /// leading zeros, no weak `W/` prefix, one tag.
    fn parse(text: &str) -> Option<Self> {
        let (id, version) = text.strip_prefix('"')?.strip_suffix('"')?.split_once('.')?;
        let number = |digits: &str| {
            digits.bytes().all(|byte| byte.is_ascii_digit()).then(|| digits.parse::<i64>().ok()).flatten()
        };
        let tag = Self { id: number(id)?, version: number(version)? };
        (tag.id >= 1 && tag.version >= 1 && tag.to_string() == text).then_some(tag)
    }
}

impl std::fmt::Display for EntityTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{}.{}\"", self.id, self.version)
    }
}

/// The version of resource `id` that `If-Match` requires: `None` to change whatever is stored
/// (no header, or `*`). A tag that is not one of this resource's ETags can never match, so it is
/// refused as a conflict.
pub(super) fn required_version(headers: &HeaderMap, id: i64) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" {
        return Ok(None);
    }
    let example = EntityTag { id, version: 3 };
    match EntityTag::parse(value) {
        Some(tag) if tag.id == id => Ok(Some(tag.version)),
        Some(tag) => Err(ApiError::conflict(format!(
            "If-Match is the ETag of resource {}, not of resource {id}: send the ETag of resource {id} as you last read it, such as {example}.",
            tag.id
        ))),
        None => Err(ApiError::conflict(format!(
            "If-Match must be the ETag of the resource as you last read it, such as {example}."
        ))),
    }
}

/// Reads a JSON body into `T`; what cannot be read is a 400 that names the field.
pub(super) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|error| ApiError::malformed(None, error.to_string()))?;
    serde_path_to_error::deserialize(ObjectsAsObjects(value)).map_err(|error| {
        let path = error.path().to_string();
        ApiError::malformed(field_of(&path), error.into_inner().to_string())
    })
}

/// A JSON value read as serde_json reads it, except that a struct or a map is read only from an
/// object: serde would also read a struct from an array of its fields (`["origin.example.com"]`
/// as `{"origin": …}`). It asks the target type, so an array is still read where the type wants
/// a list, and an unknown field is reported as such whatever it holds.
struct ObjectsAsObjects(serde_json::Value);

impl<'de> IntoDeserializer<'de, serde_json::Error> for ObjectsAsObjects {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for ObjectsAsObjects {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            serde_json::Value::Array(items) => {
                let mut items = SeqDeserializer::new(items.into_iter().map(ObjectsAsObjects));
                let value = visitor.visit_seq(&mut items)?;
                items.end()?;
                Ok(value)
            }
            serde_json::Value::Object(fields) => {
                let mut fields =
                    MapDeserializer::new(fields.into_iter().map(|(name, value)| (name, ObjectsAsObjects(value))));
                let value = visitor.visit_map(&mut fields)?;
                fields.end()?;
                Ok(value)
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            serde_json::Value::Array(_) => Err(serde::de::Error::custom("expected a JSON object, found an array")),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            serde_json::Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct identifier ignored_any
    }
}

/// The field a path names: none for the body itself ("." or "") or a key the body broke off
/// before naming ("?").
fn field_of(path: &str) -> Option<String> {
    (!matches!(path, "." | "") && !path.split('.').any(|segment| segment == "?")).then(|| path.to_owned())
}

pub(super) fn resource_id(path: Result<Path<String>, PathRejection>) -> Result<i64, ApiError> {
    path.ok().and_then(|Path(id)| id.parse::<i64>().ok()).filter(|id| *id >= 1).ok_or_else(ApiError::not_found)
}

/// Collects a message per invalid field, then refuses them all at once.
#[derive(Default)]
pub(super) struct Checks(BTreeMap<String, String>);

impl Checks {
    pub(super) fn cname(&mut self, field: &str, value: &str) -> Option<DomainName> {
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

    pub(super) fn origin(&mut self, field: &str, value: &str) -> Option<Origin> {
        match Origin::parse(value) {
            Ok(origin) if value.len() <= MAX_NAME_LEN && ORIGIN.is_match(value) => Some(origin),
            Ok(_) => self.fail(
                field,
                "Write the origin exactly, such as origin.example.com:8080, 192.0.2.10 or [2001:db8::10]:8443: no spaces, no leading zeros.",
            ),
            Err(error) => self.fail(field, error),
        }
    }

    /// A name as the body gives it: `Some(None)` to remove it (`null` or `""`).
    pub(super) fn name(&mut self, field: &str, value: Option<&str>) -> Option<Option<ResourceName>> {
        match ResourceName::parse(value.unwrap_or_default()) {
            Ok(name) => Some(name),
            Err(error) => self.fail(field, error),
        }
    }

    /// A description as the body gives it: `Some(None)` to remove it (`null` or `""`).
    pub(super) fn description(&mut self, field: &str, value: Option<&str>) -> Option<Option<ResourceDescription>> {
        match ResourceDescription::parse(value.unwrap_or_default()) {
            Ok(description) => Some(description),
            Err(error) => self.fail(field, error),
        }
    }

    /// Secondary hostnames, each checked as [`Self::cname`] checks a custom domain (its problem
    /// reported under `field[i]`), then the list as a whole (under `field`).
    pub(super) fn secondary_hostnames(&mut self, field: &str, values: &[String]) -> Option<SecondaryHostnames> {
        let names: Vec<Option<DomainName>> =
            values.iter().enumerate().map(|(n, value)| self.cname(&format!("{field}[{n}]"), value)).collect();
        let names: Vec<DomainName> = names.into_iter().collect::<Option<_>>()?;
        // The document's `uniqueItems` compares the strings as written, so names that differ only
        // in letter case are valid there (schemathesis sends them); they name one host, kept once.
        // The same string twice is invalid there, and is refused as listed twice.
        let mut written = std::collections::BTreeSet::new();
        let mut kept: Vec<DomainName> = Vec::with_capacity(names.len());
        for (value, name) in values.iter().zip(names) {
            if written.insert(value.as_str()) && kept.contains(&name) {
                continue;
            }
            kept.push(name);
        }
        match SecondaryHostnames::new(kept) {
            Ok(hostnames) => Some(hostnames),
            Err(error) => self.fail(field, error),
        }
    }

    pub(super) fn fail<T>(&mut self, field: &str, message: impl ToString) -> Option<T> {
        self.0.insert(field.to_owned(), message.to_string());
        None
    }

    pub(super) fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::invalid(self.0)) }
    }
}

/// An operation that takes no query parameters (all but the list, whose are [`super::schema::ListQuery`]'s):
/// one given anyway is refused by name with 400, never ignored, as the list refuses those it
/// does not know. Extracted after the caller, so that no valid token is still a 401.
pub(super) struct NoQuery;

impl<S: Send + Sync> FromRequestParts<S> for NoQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|rejection| ApiError::bad_query(rejection.body_text()))?;
        match pairs.first() {
            Some((name, _)) => Err(ApiError::unknown_parameter(name, false)),
            None => Ok(NoQuery),
        }
    }
}

/// A request to change one resource or origin group with a JSON body: who asks (a valid token
/// first, 401), which resource or group (404), the body read as `B` (400), and the version `If-Match` names, checked
/// by [`Self::version`] once the body's values are (409).
pub(super) struct ChangeRequest<B> {
    pub(super) api: ApiState,
    pub(super) caller: Actor,
    pub(super) id: i64,
    pub(super) body: B,
    version: Result<Option<i64>, ApiError>,
}

impl<B> ChangeRequest<B> {
    pub(super) fn version(&self) -> Result<Option<i64>, ApiError> {
        self.version.clone()
    }
}

impl<B: DeserializeOwned> FromRequest<ApiState> for ChangeRequest<B> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &ApiState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let ApiCaller(caller) =
            ApiCaller::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        NoQuery::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        let is_group = parts.uri.path().starts_with(super::origin_groups::GROUPS_PATH);
        let id = resource_id(Path::from_request_parts(&mut parts, state).await)
            .map_err(|error| if is_group { ApiError::no_such_group() } else { error })
            .map_err(IntoResponse::into_response)?;
        let version = required_version(&parts.headers, id);
        let bytes =
            Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(IntoResponse::into_response)?;
        let body = parse_body(&bytes).map_err(IntoResponse::into_response)?;
        Ok(Self { api: state.clone(), caller, id, body, version })
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::{PatchBody, ReplaceBody};
    use super::*;
    use axum::http::{HeaderValue, StatusCode};

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
    fn if_match_names_one_version_of_one_resource() {
        let with = |value: &str| HeaderMap::from_iter([(header::IF_MATCH, HeaderValue::from_str(value).unwrap())]);
        assert_eq!(required_version(&HeaderMap::new(), 4), Ok(None));
        assert_eq!(required_version(&with("*"), 4), Ok(None));
        assert_eq!(required_version(&with("\"4.7\""), 4), Ok(Some(7)));
        assert_eq!(required_version(&with(" \"4.7\" "), 4), Ok(Some(7)));
        let another = required_version(&with("\"3.7\""), 4).unwrap_err();
        assert_eq!(another.status, StatusCode::CONFLICT);
        assert!(another.body.message.contains("resource 3, not of resource 4"), "{another:?}");
        for never_current in [
            "\"7\"",
            "4.7",
            "W/\"4.7\"",
            "\"4.0\"",
            "\"0.7\"",
            "\"04.7\"",
            "\"4.07\"",
            "\"4.+7\"",
            "\"4.-7\"",
            "\"4.7.1\"",
            "\"x\"",
            "\"4.7\", \"4.8\"",
        ] {
            assert_eq!(
                required_version(&with(never_current), 4).unwrap_err().status,
                StatusCode::CONFLICT,
                "{never_current}"
            );
        }
    }

    #[test]
    fn the_etag_written_is_the_etag_read() {
        let tag = EntityTag { id: 12, version: 345 };
        assert_eq!(tag.header(), "\"12.345\"");
        assert_eq!(EntityTag::parse(&tag.to_string()), Some(tag));
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
        assert!(array.body.message.contains("expected a JSON object, found an array"), "{array:?}");
        let nested = parse_body::<PatchBody>(br#"{"options": {"websockets": [true, false]}}"#).unwrap_err();
        assert!(nested.body.errors.contains_key("options.websockets"), "{nested:?}");
        // An unknown field is named whatever it holds.
        for (body, field) in [
            (&br#"{"rules": []}"#[..], "rules"),
            (br#"{"aliases": ["a.example.com"]}"#, "aliases"),
            (br#"{"options": {"rules": [{"a": 1}]}}"#, "rules"),
        ] {
            let unknown = parse_body::<PatchBody>(body).unwrap_err();
            assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
            assert!(unknown.body.message.contains(&format!("unknown field `{field}`")), "{unknown:?}");
        }
        assert!(parse_body::<PatchBody>(b"{}").is_ok());
        // A field that holds a list is read as one.
        assert!(parse_body::<PatchBody>(br#"{"secondaryHostnames": ["a.example.com"]}"#).is_ok());
    }

    #[test]
    fn an_array_is_read_where_the_type_wants_a_list() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct WithList {
            names: Vec<String>,
            inner: Option<Inner>,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Inner {
            on: bool,
        }
        let read = parse_body::<WithList>(br#"{"names": ["a.example.com", "b.example.com"], "inner": {"on": true}}"#);
        assert_eq!(read.unwrap().names, ["a.example.com", "b.example.com"]);
        let inner_array = parse_body::<WithList>(br#"{"names": [], "inner": [true]}"#).unwrap_err();
        assert!(inner_array.body.errors.contains_key("inner"), "{inner_array:?}");
        let wrong_item = parse_body::<WithList>(br#"{"names": [1]}"#).unwrap_err();
        assert!(wrong_item.body.errors.contains_key("names[0]"), "{wrong_item:?}");
    }
}
