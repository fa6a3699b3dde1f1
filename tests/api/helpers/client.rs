//! What a test does to a portal, written once for the in-process portal and for real portal
//! processes: requests as the portal's own pages and a customer's scripts make them, and the
//! customer, token, resource and save a test needs on demand.

use super::{PORTAL_ORIGIN, Reply};
use axum::body::Body;
use axum::http::header::{self, HeaderName};
use axum::http::{Method, Request, StatusCode, request};
use cdn_portal::model::ResourceChange;
use serde_json::Value;

/// The password every test customer signs up with, form-encoded.
pub const PASSWORD: &str = "correct+horse+battery";

/// An API token as issued in the portal: its id, and its secret (shown once).
pub struct ApiToken {
    pub id: i64,
    pub secret: String,
}

/// A portal a test talks to. [`send`](Portal::send) carries one request (adding `Host` and the
/// connection's details); everything else is built on it.
pub trait Portal: Sync {
    fn send(&self, request: Request<Body>) -> impl Future<Output = Reply> + Send;

    /// The origin of the portal's own pages (what its pages' requests carry in `Origin`).
    fn origin(&self) -> String;

    /// A page as a browser opens it.
    fn get(&self, path: &str, cookie: Option<&str>) -> impl Future<Output = Reply> + Send {
        let request = with_cookie(Request::get(path).header(header::ACCEPT, "text/html"), cookie);
        self.send(request.body(Body::empty()).unwrap())
    }

    /// A server function call as the hydrated app on one of the portal's pages makes it.
    fn call(&self, endpoint: &str, form: &str, cookie: Option<&str>) -> impl Future<Output = Reply> + Send {
        let request = server_fn_request(endpoint, "application/json", cookie).header(header::ORIGIN, self.origin());
        self.send(request.body(Body::from(form.to_owned())).unwrap())
    }

    /// A form post as a browser without JavaScript makes it from the page at `referer`.
    fn post_form(&self, endpoint: &str, form: &str, cookie: &str, referer: &str) -> impl Future<Output = Reply> + Send {
        let request = server_fn_request(endpoint, "text/html,application/xhtml+xml", Some(cookie))
            .header(header::ORIGIN, self.origin())
            .header(header::REFERER, referer)
            .body(Body::from(form.to_owned()))
            .unwrap();
        self.send(request)
    }

    /// Signs up a new customer (`email` form-encoded, `ada%40example.com`) and returns their
    /// session cookie, `name=value`.
    fn customer(&self, email: &str) -> impl Future<Output = String> + Send {
        async move {
            let reply = self.call("sign_up", &format!("email={email}&password={PASSWORD}"), None).await;
            assert_eq!(reply.status, StatusCode::OK, "sign-up: {reply:?}");
            reply.session_cookie().unwrap_or_else(|| panic!("sign-up sets a session cookie: {reply:?}"))
        }
    }

    /// Creates a resource with origin `origin.example.com` through the portal's form (server
    /// function `create_resource`) and returns its id.
    fn create_resource(&self, cookie: &str, domain: &str, integration: &str) -> impl Future<Output = i64> + Send {
        self.create_resource_at(cookie, domain, "origin.example.com", integration)
    }

    /// [`create_resource`](Portal::create_resource) with the origin given.
    fn create_resource_at(
        &self,
        cookie: &str,
        domain: &str,
        origin: &str,
        integration: &str,
    ) -> impl Future<Output = i64> + Send {
        let form = format!("custom_domain={domain}&origin={origin}&integration={integration}");
        async move {
            let reply = self.call("create_resource", &form, Some(cookie)).await;
            assert_eq!(reply.status, StatusCode::OK, "creating {domain}: {reply:?}");
            let location = reply.header("location").unwrap_or_else(|| panic!("no Location after creating: {reply:?}"));
            location.rsplit('/').next().and_then(|id| id.parse().ok()).unwrap_or_else(|| panic!("no id in {location}"))
        }
    }

    /// Saves the Content section (server function `save_content_settings`) from a form loaded at
    /// `version`, with the WebSockets switch `on` or off.
    fn save_websockets(&self, cookie: &str, id: i64, version: i64, on: bool) -> impl Future<Output = Reply> + Send {
        let switch = if on { "&websockets=on" } else { "" };
        let form = format!("resource_id={id}&version={version}{switch}");
        async move { self.call("save_content_settings", &form, Some(cookie)).await }
    }

    /// Issues an API token named `name` (spaces allowed), expiring in `expires_in_days` or never.
    fn api_token(
        &self,
        cookie: &str,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> impl Future<Output = ApiToken> + Send {
        let days = expires_in_days.map(|days| days.to_string()).unwrap_or_default();
        let form = format!("name={}&expires_in_days={days}", name.replace(' ', "+"));
        async move {
            let reply = self.call("create_api_token", &form, Some(cookie)).await;
            assert_eq!(reply.status, StatusCode::OK, "issuing a token: {reply:?}");
            let issued = reply.json();
            let secret = issued["secret"].as_str().unwrap_or_else(|| panic!("the secret is shown once: {reply:?}"));
            ApiToken { id: issued["token"]["id"].as_i64().unwrap(), secret: secret.to_owned() }
        }
    }

    /// A REST API call as a script makes it: the token, no cookie, no `Origin`, `body` as JSON if any.
    fn api(&self, secret: &str, method: Method, path: &str, body: Option<Value>) -> impl Future<Output = Reply> + Send {
        self.api_with(secret, method, path, &[], body)
    }

    /// [`api`](Portal::api) with extra `headers`.
    fn api_with(
        &self,
        secret: &str,
        method: Method,
        path: &str,
        headers: &[(HeaderName, &str)],
        body: Option<Value>,
    ) -> impl Future<Output = Reply> + Send {
        let request = with_headers(api_request(method, path, secret), headers);
        let request = match body {
            Some(body) => request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        self.send(request.unwrap())
    }

    /// A resource's history as its owner's settings page gets it (server function `resource_history`).
    fn history(&self, cookie: &str, id: i64) -> impl Future<Output = Vec<ResourceChange>> + Send {
        async move {
            let reply = self.call("resource_history", &format!("id={id}"), Some(cookie)).await;
            assert_eq!(reply.status, StatusCode::OK, "history of {id}: {reply:?}");
            reply.decode()
        }
    }
}

/// `text` as a form field's value (`application/x-www-form-urlencoded`): every byte but letters,
/// digits and dots percent-encoded.
pub fn form_value(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'.' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The start of a server function call from the in-process portal's own page, before its body.
pub fn server_fn_call(endpoint: &str, cookie: Option<&str>) -> request::Builder {
    server_fn_request(endpoint, "application/json", cookie).header(header::ORIGIN, PORTAL_ORIGIN)
}

/// The start of a form-encoded server function call that says nothing of where it came from.
pub fn server_fn_request(endpoint: &str, accept: &str, cookie: Option<&str>) -> request::Builder {
    let request = Request::post(format!("/api/{endpoint}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, accept);
    with_cookie(request, cookie)
}

/// The start of a REST API call with an API token, answered in JSON.
pub fn api_request(method: Method, path: &str, secret: &str) -> request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("APIKey {secret}"))
        .header(header::ACCEPT, "application/json")
}

/// `request` with each of `headers` added.
pub fn with_headers(request: request::Builder, headers: &[(HeaderName, &str)]) -> request::Builder {
    headers.iter().fold(request, |request, (name, value)| request.header(name, *value))
}

fn with_cookie(request: request::Builder, cookie: Option<&str>) -> request::Builder {
    match cookie {
        Some(cookie) => request.header(header::COOKIE, cookie),
        None => request,
    }
}
