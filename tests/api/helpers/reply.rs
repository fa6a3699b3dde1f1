//! An answer of the portal or the edge, whichever way it came (in-process or over TCP).

use axum::http::{HeaderMap, StatusCode, header};
use cdn_portal::error::AppError;
use cdn_portal::model::CdnResource;
use serde::de::DeserializeOwned;

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    /// Every header as received (repeated ones, such as `Set-Cookie`, each kept).
    pub headers: HeaderMap,
    /// The body as text (lossy where it is not UTF-8), after any chunked framing is removed.
    pub body: String,
}

impl Reply {
    /// The first header named `name` (any case), if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body as JSON; panics, showing the reply, when it is not.
    pub fn json(&self) -> serde_json::Value {
        self.decode()
    }

    /// The body as JSON of type `T`; panics, showing the reply, when it is not.
    pub fn decode<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("not the JSON expected ({error}): {self:?}"))
    }

    /// The resource a server function answered with.
    pub fn resource(&self) -> CdnResource {
        self.decode()
    }

    /// The error a server function answered with (they answer [`AppError`] as JSON).
    pub fn app_error(&self) -> AppError {
        self.decode()
    }

    /// The whole `Set-Cookie` header of the portal's session cookie, attributes and all.
    pub fn set_cookie_header(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("portal_session=") || value.starts_with("__Host-portal_session="))
            .map(str::to_owned)
    }

    /// `name=value` of the portal's session cookie, as a browser sends it back.
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookie_header().map(|value| value.split(';').next().unwrap_or_default().trim().to_owned())
    }

    /// The `ETag` header, quotes and all; panics without one.
    pub fn etag(&self) -> &str {
        self.header("etag").unwrap_or_else(|| panic!("no ETag: {self:?}"))
    }

    /// The ETag's version: `"3.7"` (resource 3 at version 7) is 7.
    pub fn etag_version(&self) -> i64 {
        let etag = self.etag();
        let version = etag.trim_matches('"').rsplit_once('.').map(|(_, version)| version);
        version
            .and_then(|version| version.parse().ok())
            .unwrap_or_else(|| panic!("an ETag that is not a version: {etag}"))
    }
}
