//! The public REST API over HTTP, as a customer's script meets it: API tokens issued in the
//! portal, `/cdn/resources` and its rules, and how it lives beside the portal's pages, sessions
//! and history on the same paths and the same rows.

use crate::helpers::edge::{feed_security, feed_snapshot_request};
use crate::helpers::*;
use axum::body::Body;
use axum::http::header;
use axum::http::{Method, Request, StatusCode};
use cdn_portal::domain::{OriginGroupName, Timestamp};
use cdn_portal::error::AppError;
use cdn_portal::model::{Change, ChangeSource, OriginGroupRef};
use cdn_portal::on_db;
use serde_json::{Value, json};

/// Sends `text` as the JSON body, verbatim, for bodies that `json!` cannot write.
async fn api_raw(portal: &TestPortal, secret: &str, method: Method, path: &str, text: impl Into<Body>) -> Reply {
    let request = api_request(method, path, secret).header(header::CONTENT_TYPE, "application/json");
    portal.send(request.body(text.into()).unwrap()).await
}

fn assert_refused_without_a_valid_token(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "APIKey");
    let message = reply.json()["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("Authorization: APIKey"), "{message}");
}

/// The error body of a refusal: its status, and its field messages.
fn assert_error(reply: &Reply, status: StatusCode, fields: &[&str]) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert!(reply.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    let body = reply.json();
    assert!(!body["message"].as_str().unwrap_or_default().is_empty(), "{body}");
    let mut named: Vec<&str> =
        body["errors"].as_object().map(|errors| errors.keys().map(String::as_str).collect()).unwrap_or_default();
    named.sort_unstable();
    assert_eq!(named, fields, "{body}");
    for field in fields {
        assert!(!body["errors"][field].as_str().unwrap().is_empty(), "{body}");
    }
}

/// A resource's row: origin, active, websockets (in force), websockets_enabled (NULL as false), version.
type Row = (String, bool, bool, bool, i64);

async fn stored(portal: &TestPortal, id: i64) -> Option<Row> {
    let row: Option<Row> = on_db!(portal.pool.db(), |e| sqlx::query_as(
        "SELECT g.sources, r.active, r.websockets, COALESCE(r.websockets_enabled, FALSE), r.version \
         FROM cdn_resources r JOIN origin_groups g ON g.id = r.origin_group_id WHERE r.id = $1"
    )
    .bind(id)
    .fetch_optional(e)
    .await)
    .unwrap();
    // The origin is its group's (first) origin.
    row.map(|(sources, active, websockets, enabled, version)| {
        let sources: Value = serde_json::from_str(&sources).unwrap();
        (sources[0]["source"].as_str().unwrap().to_owned(), active, websockets, enabled, version)
    })
}

async fn count(portal: &TestPortal, table: &str) -> i64 {
    on_db!(portal.pool.db(), |e| sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(e).await)
        .unwrap()
}

async fn create(portal: &TestPortal, secret: &str, body: Value) -> (i64, Reply) {
    let reply = portal.api(secret, Method::POST, "/cdn/resources", Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    (reply.json()["id"].as_i64().unwrap(), reply)
}

fn site(cname: &str) -> Value {
    json!({"cname": cname, "origin": "origin.example.com", "integration": "entire_website"})
}

/// The feed's origin group `id` of `origin` alone, as a resource's `origin` makes it (one group
/// per origin and account, reused by the account's resources with that origin).
fn group_of_one(id: i64, origin: &str) -> Value {
    json!({"id": id, "sources": [{"source": origin, "backup": false}], "use_next": false,
           "proxy_next_upstream": ["error", "timeout"]})
}

/// The ETag of resource `id` at `version`.
fn tag(id: i64, version: i64) -> String {
    format!("\"{id}.{version}\"")
}

/// Origin group `id` as a resource's history names it.
fn group(id: i64, name: &str) -> OriginGroupRef {
    OriginGroupRef { id, name: OriginGroupName::parse(name).unwrap() }
}

/// The reply's `options.websockets` as stored (null or `{enabled, value}`), and WebSockets in force.
fn websockets_of(reply: &Reply) -> (Value, bool) {
    let body = reply.json();
    (body["options"]["websockets"].clone(), body["optionsInForce"]["websockets"].as_bool().unwrap())
}

fn setting(enabled: bool, value: bool) -> Value {
    json!({"enabled": enabled, "value": value})
}

#[tokio::test]
async fn a_token_issued_in_the_portal_opens_the_api_and_nothing_else_does() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy script", None).await.secret;
    assert!(secret.starts_with("cdnp_"), "{secret}");

    let listed = portal.api(&secret, Method::GET, "/cdn/resources", None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.json(), json!([]));
    assert_eq!(listed.headers["x-total-count"], "0");

    let unknown = format!("cdnp_{}", "0".repeat(64));
    for authorization in [
        None,
        Some(format!("Bearer {secret}")),
        Some(format!("APIKey {unknown}")),
        Some("APIKey".to_owned()),
        Some(secret.clone()),
    ] {
        let mut request = Request::get("/cdn/resources").header(header::ACCEPT, "application/json");
        if let Some(value) = &authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        let reply = portal.send(request.body(Body::empty()).unwrap()).await;
        assert_refused_without_a_valid_token(&reply);
        assert!(!reply.body.contains(&secret[5..]), "{authorization:?}");
    }

    // The owner sees the token, when it was last used, and never its secret again.
    let tokens = portal.call("api_tokens", "", Some(&cookie)).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let view = tokens.json();
    assert_eq!(view["tokens"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(view["tokens"][0]["name"], "deploy script");
    assert_eq!(view["tokens"][0]["state"], "Active");
    assert!(view["tokens"][0]["last_used_at"].is_i64(), "{view}");
    assert!(!tokens.body.contains(&secret[12..]), "{}", tokens.body);
}

#[tokio::test]
async fn revoked_and_expired_tokens_are_refused() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let stranger = portal.customer("eve%40example.com").await;
    let ApiToken { id: revoked_id, secret: revoked } = portal.api_token(&cookie, "old laptop", None).await;
    let ApiToken { id: expiring_id, secret: expiring } = portal.api_token(&cookie, "ci", Some(30)).await;
    for secret in [&revoked, &expiring] {
        assert_eq!(portal.api(secret, Method::GET, "/cdn/resources", None).await.status, StatusCode::OK);
    }

    let not_theirs = portal.call("revoke_api_token", &format!("token_id={revoked_id}"), Some(&stranger)).await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND, "{}", not_theirs.body);
    assert_eq!(portal.api(&revoked, Method::GET, "/cdn/resources", None).await.status, StatusCode::OK);

    let revoke = portal.call("revoke_api_token", &format!("token_id={revoked_id}"), Some(&cookie)).await;
    assert_eq!(revoke.status, StatusCode::OK, "{}", revoke.body);
    assert_refused_without_a_valid_token(&portal.api(&revoked, Method::GET, "/cdn/resources", None).await);
    let refused = portal.api(&revoked, Method::POST, "/cdn/resources", Some(site("cdn.example.com"))).await;
    assert_refused_without_a_valid_token(&refused);
    assert_eq!(count(&portal, "cdn_resources").await, 0);

    let expires_at: i64 =
        on_db!(portal.pool.db(), |e| sqlx::query_scalar("SELECT expires_at FROM api_tokens WHERE id = $1")
            .bind(expiring_id)
            .fetch_one(e)
            .await)
        .unwrap();
    let lifetime = expires_at - Timestamp::now().unix_seconds();
    assert!((30 * 86_400 - 5..=30 * 86_400).contains(&lifetime), "30 days from issue: {lifetime}");
    on_db!(portal.pool.db(), |e| sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = $2")
        .bind(Timestamp::now().unix_seconds() - 1)
        .bind(expiring_id)
        .execute(e)
        .await
        .map(|_| ()))
    .unwrap();
    assert_refused_without_a_valid_token(&portal.api(&expiring, Method::GET, "/cdn/resources", None).await);

    let states: Vec<Value> = portal.call("api_tokens", "", Some(&cookie)).await.json()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|token| json!([token["name"], token["state"]]))
        .collect();
    assert_eq!(states, [json!(["ci", "Expired"]), json!(["old laptop", "Revoked"])]);
}

#[tokio::test]
async fn the_api_ignores_the_session_and_server_functions_ignore_api_tokens() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;

    // A signed-in browser, even from the portal's own origin, gets no API without a token.
    let by_cookie = |method: Method, path: &str, body: &str| {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, PORTAL_ORIGIN)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    assert_refused_without_a_valid_token(&portal.send(by_cookie(Method::GET, "/cdn/resources", "")).await);
    assert_refused_without_a_valid_token(
        &portal.send(by_cookie(Method::GET, &format!("/cdn/resources/{id}"), "")).await,
    );
    let created = portal.send(by_cookie(Method::POST, "/cdn/resources", &site("other.example.com").to_string())).await;
    assert_refused_without_a_valid_token(&created);
    let patched = portal.send(by_cookie(Method::PATCH, &format!("/cdn/resources/{id}"), r#"{"active": false}"#)).await;
    assert_refused_without_a_valid_token(&patched);

    for (endpoint, form) in [
        ("list_resources", String::new()),
        ("save_content_settings", format!("resource_id={id}&version=1")),
        (
            "create_resource",
            "custom_domain=other.example.com&origin=origin.example.com&integration=entire_website".to_owned(),
        ),
    ] {
        let request = server_fn_call(endpoint, None).header(header::AUTHORIZATION, format!("APIKey {secret}"));
        let reply = portal.send(request.body(Body::from(form)).unwrap()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{endpoint}: {}", reply.body);
        assert_eq!(reply.app_error(), AppError::Unauthenticated, "{endpoint}: {}", reply.body);
    }

    assert_eq!(stored(&portal, id).await, Some(("origin.example.com".into(), true, true, false, 1)));
    assert_eq!(count(&portal, "cdn_resources").await, 1);
    // And the API never starts a session.
    let reply = portal.api(&secret, Method::GET, "/cdn/resources", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.set_cookie_header().is_none(), "{:?}", reply.headers);
}

#[tokio::test]
async fn a_token_reaches_only_its_own_accounts_resources() {
    let portal = spawn_portal().await;
    let ada = portal.customer("ada%40example.com").await;
    let eve = portal.customer("eve%40example.com").await;
    let id = portal.create_resource(&ada, "cdn.example.com", "entire_website").await;
    let eves_secret = portal.api_token(&eve, "snooping", None).await.secret;
    let path = format!("/cdn/resources/{id}");

    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"active": false}))),
        (Method::PUT, Some(json!({"origin": "evil.example.com"}))),
        (Method::DELETE, None),
    ] {
        let reply = portal.api(&eves_secret, method.clone(), &path, body).await;
        assert_error(&reply, StatusCode::NOT_FOUND, &[]);
        assert!(!reply.body.contains("cdn.example.com"), "{method}: {}", reply.body);
    }
    for query in ["", "?cname=cdn.example.com"] {
        let listed = portal.api(&eves_secret, Method::GET, &format!("/cdn/resources{query}"), None).await;
        assert_eq!(listed.json(), json!([]), "{query}");
        assert_eq!(listed.headers["x-total-count"], "0", "{query}");
    }

    assert_eq!(stored(&portal, id).await, Some(("origin.example.com".into(), true, true, false, 1)));
    assert_eq!(portal.history(&ada, id).await.len(), 1, "nothing was recorded");
}

#[tokio::test]
async fn creating_answers_201_with_location_etag_and_the_resource_in_full() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;

    let (id, created) = create(&portal, &secret, site("Cdn.Example.com")).await;
    assert_eq!(created.headers[header::LOCATION], format!("/cdn/resources/{id}"));
    assert_eq!(created.etag(), tag(id, 1).as_str());
    let body = created.json();
    let mut fields: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "active",
            "client",
            "cname",
            "created",
            "description",
            "id",
            "integration",
            "name",
            "options",
            "optionsInForce",
            "origin",
            "originGroup",
            "originGroup_name",
            "originProtocol",
            "proxy_ssl_ca",
            "secondaryHostnames",
            "sslData",
            "sslEnabled",
            "status",
            "updated"
        ]
    );
    let created_at: i64 =
        on_db!(portal.pool.db(), |e| sqlx::query_scalar("SELECT created_at FROM cdn_resources WHERE id = $1")
            .bind(id)
            .fetch_one(e)
            .await)
        .unwrap();
    let when = Timestamp::from_unix_seconds(created_at).to_rfc3339();
    assert_eq!(
        body,
        json!({
            "id": id,
            "client": body["client"],
            "cname": "cdn.example.com",
            "secondaryHostnames": [],
            "name": null,
            "description": null,
            "status": "processed",
            "origin": "origin.example.com",
            "originGroup": 1,
            "originGroup_name": "origin.example.com",
            "integration": "entire_website",
            "active": true,
            "sslEnabled": false,
            "sslData": null,
            "originProtocol": "HTTP",
            "proxy_ssl_ca": null,
            "created": when,
            "updated": when,
            "options": {"websockets": null},
            "optionsInForce": {"websockets": true},
        })
    );
    assert_eq!(stored(&portal, id).await, Some(("origin.example.com".into(), true, true, false, 1)));

    let fetched = portal.api(&secret, Method::GET, &format!("/cdn/resources/{id}"), None).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!((fetched.json(), fetched.etag()), (body, tag(id, 1).as_str()));

    // As in the portal, static assets start with WebSockets off; a chosen value wins over either default.
    let (assets, reply) = create(
        &portal,
        &secret,
        json!({"cname": "static.example.com", "origin": "192.0.2.10:8080", "integration": "static_assets"}),
    )
    .await;
    assert_eq!(websockets_of(&reply), (Value::Null, false));
    assert_eq!(stored(&portal, assets).await, Some(("192.0.2.10:8080".into(), true, false, false, 1)));
    let chosen = json!({
        "cname": "live.example.com",
        "origin": "[2001:db8::10]:8443",
        "integration": "entire_website",
        "active": false,
        "options": {"websockets": {"enabled": true, "value": false}},
    });
    let (live, reply) = create(&portal, &secret, chosen).await;
    assert_eq!(websockets_of(&reply), (setting(true, false), false));
    assert_eq!(reply.json()["active"], false);
    assert_eq!(stored(&portal, live).await, Some(("[2001:db8::10]:8443".into(), false, false, true, 1)));
    let portal_view = portal.call("get_resource", &format!("id={live}"), Some(&cookie)).await;
    assert!(!portal_view.resource().options_in_force.websockets, "{}", portal_view.body);
}

#[tokio::test]
async fn creation_refuses_taken_domains_invalid_values_and_unreadable_bodies_storing_nothing() {
    let portal = spawn_portal().await;
    let ada = portal.customer("ada%40example.com").await;
    let eve = portal.customer("eve%40example.com").await;
    portal.create_resource(&eve, "cdn.example.com", "entire_website").await;
    let secret = portal.api_token(&ada, "deploy", None).await.secret;
    let post = |body: Value| portal.api(&secret, Method::POST, "/cdn/resources", Some(body));

    let taken = post(site("CDN.example.COM")).await;
    assert_error(&taken, StatusCode::CONFLICT, &["cname"]);
    assert!(taken.json()["errors"]["cname"].as_str().unwrap().contains("already used"), "{}", taken.body);

    for (body, fields) in [
        (
            json!({"cname": "not a domain", "origin": "https://origin.example.com", "integration": "entire_website"}),
            &["cname", "origin"][..],
        ),
        (
            json!({"cname": "cdn.example.", "origin": "origin.example.com:080", "integration": "static_assets"}),
            &["cname", "origin"],
        ),
        (
            json!({"cname": "new.example.com", "origin": "origin.example.com:70000", "integration": "static_assets"}),
            &["origin"],
        ),
    ] {
        assert_error(&post(body).await, StatusCode::UNPROCESSABLE_ENTITY, fields);
    }

    let with = |field: &str, value: Value| {
        let mut body = site("new.example.com");
        body[field] = value;
        body
    };
    for (body, field) in [
        (with("ssl", json!(true)), Some("ssl")),
        (with("integration", json!("everything")), Some("integration")),
        (with("active", json!("yes")), Some("active")),
        (with("origin", json!(8080)), Some("origin")),
        (with("active", Value::Null), Some("active")),
        (with("options", Value::Null), Some("options")),
        (with("options", json!({"websockets": {"enabled": true}})), Some("options.websockets")),
        (
            with("options", json!({"websockets": {"enabled": true, "value": true, "when": "always"}})),
            Some("options.websockets.when"),
        ),
        (json!(["new.example.com"]), None),
    ] {
        let reply = post(body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {}", reply.body);
        let error = reply.json();
        assert!(error["message"].as_str().unwrap().starts_with("The request body is not valid"), "{error}");
        if let Some(field) = field {
            assert!(error["errors"][field].is_string(), "{body}: {error}");
        }
    }
    let unknown = post(with("ssl", json!(true))).await;
    assert!(unknown.json()["message"].as_str().unwrap().contains("unknown field `ssl`"), "{}", unknown.body);
    for text in [&b"{\"cname\": \"new.example.com\""[..], b"", b"{} {}", b"\xff\xfe{}"] {
        let reply = api_raw(&portal, &secret, Method::POST, "/cdn/resources", text.to_vec()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert!(
            reply.json()["message"].as_str().unwrap().starts_with("The request body is not valid"),
            "{}",
            reply.body
        );
    }

    assert_eq!(count(&portal, "cdn_resources").await, 1, "only eve's");
    assert_eq!(count(&portal, "resource_changes").await, 1);
}

/// `errors` is documented as keyed by a field's path in the request; a client shows each
/// message next to that field, so a key that names no field is a message lost.
#[tokio::test]
async fn a_body_cut_short_is_refused_without_naming_a_field_that_does_not_exist() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let (id, _) = create(&portal, &secret, site("cdn.example.com")).await;
    let fields = [
        "cname",
        "origin",
        "integration",
        "active",
        "options",
        "options.websockets",
        "options.websockets.enabled",
        "options.websockets.value",
    ];

    for (method, path, text) in [
        (Method::POST, "/cdn/resources".to_owned(), r#"{"cname": "new.example.com","#),
        (Method::POST, "/cdn/resources".to_owned(), r#"{"cname": "new.example.com", "options": {"#),
        (Method::PATCH, format!("/cdn/resources/{id}"), r#"{"active": false,"#),
    ] {
        let reply = api_raw(&portal, &secret, method.clone(), &path, text).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{text}: {}", reply.body);
        let body = reply.json();
        assert!(body["message"].as_str().unwrap().contains("EOF while parsing"), "{body}");
        for named in body["errors"].as_object().into_iter().flat_map(|errors| errors.keys()) {
            assert!(
                fields.contains(&named.as_str()),
                "{method} {text}: `errors` names {named:?}, which is no field: {body}"
            );
        }
    }
    assert_eq!(count(&portal, "cdn_resources").await, 1);
    assert_eq!(stored(&portal, id).await, Some(("origin.example.com".into(), true, true, false, 1)));
}

/// The ids in a list's answer: a bare array, or Gcore's page (`{"count", "results"}`).
fn ids_of(reply: &Reply) -> Vec<i64> {
    let body = reply.json();
    let resources = if body.is_object() { body["results"].clone() } else { body };
    resources
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", reply.body))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_list_answers_gcores_page_with_limit_or_offset_and_a_bare_array_without() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let mut ids = Vec::new();
    // Created out of alphabetical order: the list keeps the order of creation.
    for name in ["e", "b", "d", "a", "c"] {
        ids.push(create(&portal, &secret, site(&format!("{name}.example.com"))).await.0);
    }
    let (portal, secret) = (&portal, &secret);
    let list = move |query: &str| {
        let path = format!("/cdn/resources{query}");
        async move { portal.api(secret, Method::GET, &path, None).await }
    };

    let all = list("").await;
    assert!(all.json().is_array(), "no limit or offset: a bare array, as Gcore's: {}", all.body);
    assert_eq!(ids_of(&all), ids);
    assert_eq!(all.headers["x-total-count"], "5");
    let page = list("?limit=2&offset=1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.json()["count"], 5, "{}", page.body);
    assert_eq!(page.json().as_object().unwrap().len(), 2, "count and results only: {}", page.body);
    assert_eq!(ids_of(&page), ids[1..3]);
    assert_eq!(page.headers["x-total-count"], "5");
    // The SDK sends limit=1000 by default, and offset alone also asks for a page.
    let sdk = list("?limit=1000").await;
    assert_eq!((sdk.json()["count"].as_i64(), ids_of(&sdk)), (Some(5), ids.clone()));
    assert_eq!(ids_of(&list("?limit=2&offset=4").await), ids[4..]);
    let beyond = list("?offset=9").await;
    assert_eq!(beyond.json(), json!({"count": 5, "results": []}));
    assert_eq!(beyond.headers["x-total-count"], "5");

    let one = list("?cname=D.example.com").await;
    assert_eq!(ids_of(&one), [ids[2]]);
    assert_eq!(one.json()[0]["cname"], "d.example.com");
    assert_eq!(one.headers["x-total-count"], "1");
    let looked_up = list("?cname=d.example.com&limit=1000").await;
    assert_eq!((looked_up.json()["count"].as_i64(), ids_of(&looked_up)), (Some(1), vec![ids[2]]));
    let none = list("?cname=f.example.com").await;
    assert!(ids_of(&none).is_empty());
    assert_eq!(none.headers["x-total-count"], "0");

    assert_error(&list("?limit=0").await, StatusCode::UNPROCESSABLE_ENTITY, &["limit"]);
    assert_error(&list("?limit=1001").await, StatusCode::UNPROCESSABLE_ENTITY, &["limit"]);
    assert_error(&list("?offset=-1").await, StatusCode::UNPROCESSABLE_ENTITY, &["offset"]);
    assert_error(&list("?limit=0&cname=not_a..domain").await, StatusCode::UNPROCESSABLE_ENTITY, &["cname", "limit"]);
    for (unreadable, parameter) in [
        ("?limit=abc", "limit"),
        ("?offset=1.5", "offset"),
        ("?limit=99999999999999999999", "limit"),
        ("?limit=1&limit=2", "limit"),
    ] {
        let reply = list(unreadable).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, &[parameter]);
        let message = reply.json()["message"].as_str().unwrap().to_owned();
        assert!(message.starts_with("The query string is not valid") && message.contains(parameter), "{message}");
    }
}

#[tokio::test]
async fn the_list_filters_by_what_it_offers_and_refuses_every_other_parameter_by_name() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let mut ids = Vec::new();
    for (n, name) in (0_i64..).zip(["old", "off", "new"]) {
        let (id, _) = create(&portal, &secret, site(&format!("{name}.example.com"))).await;
        // Created a day apart, the last changed a day later still (2026-01-01, -02, -03; -04).
        let created = 1_767_225_600 + 86_400 * n;
        let updated = if name == "new" { created + 86_400 } else { created };
        on_db!(portal.pool.db(), |e| sqlx::query(
            "UPDATE cdn_resources SET created_at = $1, updated_at = $2 WHERE id = $3"
        )
        .bind(created)
        .bind(updated)
        .bind(id)
        .execute(e)
        .await
        .map(|_| ()))
        .unwrap();
        ids.push(id);
    }
    let off = format!("/cdn/resources/{}", ids[1]);
    assert_eq!(portal.api(&secret, Method::PATCH, &off, Some(json!({"active": false}))).await.status, StatusCode::OK);
    let (portal, secret) = (&portal, &secret);
    let list = move |query: &str| {
        let path = format!("/cdn/resources?{query}");
        async move { portal.api(secret, Method::GET, &path, None).await }
    };
    let matching = |query: &'static str| async move {
        let reply = list(query).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
        let ids = ids_of(&reply);
        assert_eq!(reply.headers["x-total-count"], ids.len().to_string().as_str(), "{query}");
        ids
    };

    // The patch moved `updated` of "off" to now.
    assert_eq!(matching("active=false").await, [ids[1]]);
    assert_eq!(matching("active=true").await, [ids[0], ids[2]]);
    assert_eq!(matching("active=true&cname=new.example.com").await, [ids[2]]);
    assert_eq!(matching("active=true&cname=off.example.com").await, Vec::<i64>::new());
    assert_eq!(matching("deleted=false").await, ids);
    assert_eq!(matching("deleted=true").await, Vec::<i64>::new(), "resources are deleted outright");
    assert_eq!(matching("min_created=2026-01-02T00:00:00Z").await, ids[1..]);
    assert_eq!(matching("max_created=2026-01-02T00:00:00Z").await, ids[..2]);
    assert_eq!(matching("min_created=2026-01-01T00:00:01Z&max_created=2026-01-02T01:00:00%2B01:00").await, [ids[1]]);
    assert_eq!(matching("min_updated=2026-01-04T00:00:00Z&max_updated=2026-01-04T00:00:00Z").await, [ids[2]]);
    assert_eq!(matching("max_updated=2026-01-03T23:59:59Z").await, [ids[0]]);
    let page = list("active=true&limit=1&offset=1").await;
    assert_eq!((page.json()["count"].as_i64(), ids_of(&page)), (Some(2), vec![ids[2]]));

    for (query, parameter) in [
        ("active=maybe", "active"),
        ("active=1", "active"),
        ("deleted=yes", "deleted"),
        ("min_created=2026-01-01", "min_created"),
    ] {
        assert_error(&list(query).await, StatusCode::BAD_REQUEST, &[parameter]);
    }
    // Gcore's filters that this CDN has no meaning for (yet) say so; anything else is unknown.
    for (query, parameter) in
        [("originGroup=3", "originGroup"), ("sslEnabled=true", "sslEnabled"), ("suspended=false", "suspended")]
    {
        let reply = list(query).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, &[parameter]);
        let message = reply.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(&format!("`{parameter}`")) && message.contains("does not offer it"), "{message}");
    }
    let typo = list("cnmae=new.example.com").await;
    assert_error(&typo, StatusCode::BAD_REQUEST, &["cnmae"]);
    assert_eq!(typo.json()["message"], "Unknown query parameter `cnmae`.");
}

#[tokio::test]
async fn patch_changes_only_what_it_names_and_versions_only_real_changes() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let (id, created) = create(&portal, &secret, site("cdn.example.com")).await;
    let path = format!("/cdn/resources/{id}");
    let patch = |body: Value| portal.api(&secret, Method::PATCH, &path, Some(body));

    let off = patch(json!({"active": false})).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(off.etag(), tag(id, 2).as_str());
    let (mut expected, saved) = (created.json(), off.json());
    expected["active"] = json!(false);
    expected["status"] = json!("suspended");
    expected["updated"] = saved["updated"].clone();
    assert_eq!(saved, expected, "nothing else changed");
    assert_eq!(stored(&portal, id).await, Some(("origin.example.com".into(), false, true, false, 2)));

    let again = patch(json!({"active": false})).await;
    assert_eq!((again.status, again.etag()), (StatusCode::OK, tag(id, 2).as_str()), "the same value is no change");
    assert_eq!(again.json(), saved);
    let empty = patch(json!({})).await;
    assert_eq!((empty.status, empty.etag()), (StatusCode::OK, tag(id, 2).as_str()));

    let moved = patch(json!({"origin": "192.0.2.20:8080"})).await;
    assert_eq!((moved.status, moved.etag()), (StatusCode::OK, tag(id, 3).as_str()), "{}", moved.body);
    assert_eq!(moved.json()["active"], false);
    assert_eq!(websockets_of(&moved), (Value::Null, true));
    let chosen = patch(json!({"options": {"websockets": {"enabled": true, "value": false}}})).await;
    assert_eq!((chosen.status, chosen.etag()), (StatusCode::OK, tag(id, 4).as_str()), "{}", chosen.body);
    assert_eq!(websockets_of(&chosen), (setting(true, false), false));
    assert_eq!(chosen.json()["origin"], "192.0.2.20:8080");
    assert_eq!(stored(&portal, id).await, Some(("192.0.2.20:8080".into(), false, false, true, 4)));
    let defaulted = patch(json!({"options": {"websockets": {"enabled": false, "value": false}}})).await;
    assert_eq!(defaulted.etag(), tag(id, 5).as_str());
    assert_eq!(websockets_of(&defaulted), (setting(false, false), true), "stored as written; the default is in force");

    let renamed = patch(json!({"cname": "other.example.com"})).await;
    assert_error(&renamed, StatusCode::BAD_REQUEST, &["cname"]);
    assert!(renamed.json()["message"].as_str().unwrap().contains("unknown field `cname`"), "{}", renamed.body);
    assert_error(&patch(json!({"origin": null})).await, StatusCode::BAD_REQUEST, &["origin"]);
    assert_error(
        &patch(json!({"origin": "origin.example.com/path", "active": true})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        &["origin"],
    );
    assert_eq!(
        stored(&portal, id).await,
        Some(("192.0.2.20:8080".into(), false, true, false, 5)),
        "refused patches change nothing"
    );
    let cname: String =
        on_db!(portal.pool.db(), |e| sqlx::query_scalar("SELECT custom_domain FROM cdn_resources WHERE id = $1")
            .bind(id)
            .fetch_one(e)
            .await)
        .unwrap();
    assert_eq!(cname, "cdn.example.com");
}

#[tokio::test]
async fn if_match_lets_a_change_through_only_from_the_current_version() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let (id, _) = create(&portal, &secret, site("cdn.example.com")).await;
    let path = format!("/cdn/resources/{id}");

    let current = portal
        .api_with(
            &secret,
            Method::PATCH,
            &path,
            &[(header::IF_MATCH, tag(id, 1).as_str())],
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!((current.status, current.etag()), (StatusCode::OK, tag(id, 2).as_str()), "{}", current.body);

    for (method, body) in
        [(Method::PATCH, json!({"active": true})), (Method::PUT, json!({"origin": "other.example.com"}))]
    {
        let outdated = portal
            .api_with(&secret, method.clone(), &path, &[(header::IF_MATCH, tag(id, 1).as_str())], Some(body))
            .await;
        assert_error(&outdated, StatusCode::CONFLICT, &[]);
        assert!(
            outdated.json()["message"].as_str().unwrap().contains(tag(id, 2).as_str()),
            "{method}: {}",
            outdated.body
        );
    }
    let unparsable =
        portal.api_with(&secret, Method::PATCH, &path, &[(header::IF_MATCH, "2")], Some(json!({"active": true}))).await;
    assert_error(&unparsable, StatusCode::CONFLICT, &[]);
    assert_eq!(stored(&portal, id).await, Some(("origin.example.com".into(), false, true, false, 2)));
    assert_eq!(portal.history(&cookie, id).await.len(), 2, "creation and the one accepted change");

    let any =
        portal.api_with(&secret, Method::PATCH, &path, &[(header::IF_MATCH, "*")], Some(json!({"active": true}))).await;
    assert_eq!((any.status, any.etag()), (StatusCode::OK, tag(id, 3).as_str()), "{}", any.body);
}

#[tokio::test]
async fn put_replaces_every_setting_and_what_it_leaves_out_returns_to_its_default() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let body = json!({
        "cname": "cdn.example.com", "origin": "origin.example.com", "integration": "entire_website",
        "active": false, "options": {"websockets": {"enabled": true, "value": false}},
    });
    let (id, _) = create(&portal, &secret, body).await;
    let path = format!("/cdn/resources/{id}");

    let replaced = portal.api(&secret, Method::PUT, &path, Some(json!({"origin": "origin.example.com:8443"}))).await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(replaced.etag(), tag(id, 2).as_str(), "one version for the whole replacement");
    let saved = replaced.json();
    assert_eq!((saved["origin"].as_str(), saved["active"].as_bool()), (Some("origin.example.com:8443"), Some(true)));
    assert_eq!(websockets_of(&replaced), (Value::Null, true), "not set: the integration's default");
    assert_eq!(
        (saved["cname"].as_str(), saved["integration"].as_str()),
        (Some("cdn.example.com"), Some("entire_website"))
    );
    assert_eq!(stored(&portal, id).await, Some(("origin.example.com:8443".into(), true, true, false, 2)));
    let changes: Vec<(i64, Change)> =
        portal.history(&cookie, id).await.into_iter().map(|entry| (entry.version, entry.change)).collect();
    assert_eq!(
        changes,
        [
            // A new origin is a new group of one, named after it.
            (
                2,
                Change::OriginGroupSwitched {
                    from: group(1, "origin.example.com"),
                    to: group(2, "origin.example.com:8443")
                }
            ),
            (2, Change::ActiveSwitched { to: true }),
            (
                2,
                Change::OptionDefaulted {
                    option: cdn_portal::options::OptionName::Websockets,
                    from: cdn_portal::options::OptionValue::Switch(false),
                    to: cdn_portal::options::OptionValue::Switch(true)
                }
            ),
            (
                1,
                Change::Created {
                    option: cdn_portal::options::OptionName::Websockets,
                    value: cdn_portal::options::OptionValue::Switch(false)
                }
            ),
            (1, Change::ActiveSwitched { to: false }),
        ]
    );

    let same = portal
        .api(&secret, Method::PUT, &path, Some(json!({"origin": "origin.example.com:8443", "active": true})))
        .await;
    assert_eq!(
        (same.status, same.etag()),
        (StatusCode::OK, tag(id, 2).as_str()),
        "replacing with the same is no change"
    );
    assert_error(
        &portal.api(&secret, Method::PUT, &path, Some(json!({"active": false}))).await,
        StatusCode::BAD_REQUEST,
        &["origin"],
    );
    let renamed = portal
        .api(&secret, Method::PUT, &path, Some(json!({"origin": "origin.example.com", "cname": "x.example.com"})))
        .await;
    assert_error(&renamed, StatusCode::BAD_REQUEST, &["cname"]);
    assert_eq!(stored(&portal, id).await, Some(("origin.example.com:8443".into(), true, true, false, 2)));
}

#[tokio::test]
async fn every_api_change_is_in_the_history_under_the_tokens_name() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy script", None).await.secret;
    let (id, _) = create(&portal, &secret, site("cdn.example.com")).await;
    let path = format!("/cdn/resources/{id}");
    assert_eq!(portal.api(&secret, Method::PATCH, &path, Some(json!({"active": false}))).await.status, StatusCode::OK);
    let saved = portal.call("save_content_settings", &format!("resource_id={id}&version=2"), Some(&cookie)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let put = portal.api(&secret, Method::PUT, &path, Some(json!({"origin": "origin.example.com"}))).await;
    assert_eq!(put.etag(), tag(id, 4).as_str());

    let history = portal.history(&cookie, id).await;
    let entries: Vec<(i64, ChangeSource, Option<&str>, Change)> = history
        .iter()
        .map(|entry| (entry.version, entry.source, entry.api_token_name.as_deref(), entry.change.clone()))
        .collect();
    let by_token = Some("deploy script");
    assert_eq!(
        entries,
        [
            (4, ChangeSource::Api, by_token, Change::ActiveSwitched { to: true }),
            (
                4,
                ChangeSource::Api,
                by_token,
                Change::OptionDefaulted {
                    option: cdn_portal::options::OptionName::Websockets,
                    from: cdn_portal::options::OptionValue::Switch(false),
                    to: cdn_portal::options::OptionValue::Switch(true)
                }
            ),
            (
                3,
                ChangeSource::Portal,
                None,
                Change::OptionSet {
                    option: cdn_portal::options::OptionName::Websockets,
                    from: cdn_portal::options::OptionValue::Switch(true),
                    to: cdn_portal::options::OptionValue::Switch(false)
                }
            ),
            (2, ChangeSource::Api, by_token, Change::ActiveSwitched { to: false }),
            (
                1,
                ChangeSource::Api,
                by_token,
                Change::Created {
                    option: cdn_portal::options::OptionName::Websockets,
                    value: cdn_portal::options::OptionValue::Switch(true)
                }
            ),
        ]
    );
    for entry in &history {
        assert_eq!(entry.changed_by.as_str(), "ada@example.com");
        assert_eq!(entry.client_address.as_deref(), Some("192.0.2.1"));
    }

    let page = portal.get(&format!("/cdn/resources/{id}/history"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("API, token “deploy script” (192.0.2.1)"), "{}", page.body);
    assert!(page.body.contains("Portal (192.0.2.1)"), "{}", page.body);
}

#[tokio::test]
async fn the_portal_and_the_api_do_not_lose_each_others_changes() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;
    let path = format!("/cdn/resources/{id}");

    // The settings page was loaded at version 1; a script changes the origin meanwhile.
    let fetched = portal.api(&secret, Method::GET, &path, None).await;
    assert_eq!(fetched.etag(), tag(id, 1).as_str());
    let moved = portal
        .api_with(
            &secret,
            Method::PATCH,
            &path,
            &[(header::IF_MATCH, tag(id, 1).as_str())],
            Some(json!({"origin": "192.0.2.20"})),
        )
        .await;
    assert_eq!((moved.status, moved.etag()), (StatusCode::OK, tag(id, 2).as_str()), "{}", moved.body);
    let stale = portal.call("save_content_settings", &format!("resource_id={id}&version=1"), Some(&cookie)).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(stale.body.contains("192.0.2.20"), "the portal is told what is stored now: {}", stale.body);
    assert_eq!(stored(&portal, id).await, Some(("192.0.2.20".into(), true, true, false, 2)));

    // Now the portal saves from the current version, and the script's ETag is the outdated one.
    let saved = portal.call("save_content_settings", &format!("resource_id={id}&version=2"), Some(&cookie)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let outdated = portal
        .api_with(
            &secret,
            Method::PATCH,
            &path,
            &[(header::IF_MATCH, tag(id, 2).as_str())],
            Some(json!({"origin": "192.0.2.30"})),
        )
        .await;
    assert_error(&outdated, StatusCode::CONFLICT, &[]);
    assert_eq!(stored(&portal, id).await, Some(("192.0.2.20".into(), true, false, true, 3)));
    let fetched = portal.api(&secret, Method::GET, &path, None).await;
    assert_eq!(
        (fetched.etag(), websockets_of(&fetched)),
        (tag(id, 3).as_str(), (setting(true, false), false)),
        "the API sees the portal's change"
    );
}

#[tokio::test]
async fn delete_removes_the_resource_unless_its_etag_is_outdated() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let (id, _) = create(&portal, &secret, site("cdn.example.com")).await;
    let (kept, _) = create(&portal, &secret, site("kept.example.com")).await;
    let path = format!("/cdn/resources/{id}");
    assert_eq!(portal.api(&secret, Method::PATCH, &path, Some(json!({"active": false}))).await.status, StatusCode::OK);

    let outdated =
        portal.api_with(&secret, Method::DELETE, &path, &[(header::IF_MATCH, tag(id, 1).as_str())], None).await;
    assert_error(&outdated, StatusCode::CONFLICT, &[]);
    assert_eq!(portal.api(&secret, Method::GET, &path, None).await.status, StatusCode::OK, "still there");

    let deleted =
        portal.api_with(&secret, Method::DELETE, &path, &[(header::IF_MATCH, tag(id, 2).as_str())], None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(deleted.body, "");
    assert_error(&portal.api(&secret, Method::GET, &path, None).await, StatusCode::NOT_FOUND, &[]);
    assert_error(&portal.api(&secret, Method::DELETE, &path, None).await, StatusCode::NOT_FOUND, &[]);
    assert_eq!(stored(&portal, id).await, None);
    let records: i64 = on_db!(portal.pool.db(), |e| sqlx::query_scalar(
        "SELECT count(*) FROM resource_changes WHERE resource_id = $1"
    )
    .bind(id)
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(records, 0, "its history goes with it");
    assert!(stored(&portal, kept).await.is_some());
    let listed = portal.api(&secret, Method::GET, "/cdn/resources", None).await;
    assert_eq!(listed.headers["x-total-count"], "1");
    // The custom domain is free again.
    create(&portal, &secret, site("cdn.example.com")).await;
}

#[tokio::test]
async fn what_the_api_changes_reaches_the_edges_feed() {
    let portal = spawn_portal_with(feed_security()).await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let snapshot = || async {
        let reply = portal.send(feed_snapshot_request()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()["resources"].clone()
    };
    let (site_id, _) = create(&portal, &secret, site("www.example.com")).await;
    let (assets_id, _) = create(
        &portal,
        &secret,
        json!({"cname": "static.example.com", "origin": "origin.example.com", "integration": "static_assets"}),
    )
    .await;
    create(&portal, &secret, json!({"cname": "dark.example.com", "origin": "origin.example.com", "integration": "static_assets", "active": false})).await;
    assert_eq!(
        snapshot().await,
        json!([
            {"id": site_id, "domain": "www.example.com", "secondary_hostnames": [], "origin": "origin.example.com",
             "origin_group": group_of_one(1, "origin.example.com"), "websockets": true},
            {"id": assets_id, "domain": "static.example.com", "secondary_hostnames": [], "origin": "origin.example.com",
             "origin_group": group_of_one(1, "origin.example.com"), "websockets": false},
        ]),
        "an inactive resource is not served"
    );

    let site_path = format!("/cdn/resources/{site_id}");
    let moved = json!({"origin": "192.0.2.20:8080", "options": {"websockets": {"enabled": true, "value": false}}});
    assert_eq!(portal.api(&secret, Method::PATCH, &site_path, Some(moved)).await.status, StatusCode::OK);
    let off = portal
        .api(&secret, Method::PATCH, &format!("/cdn/resources/{assets_id}"), Some(json!({"active": false})))
        .await;
    assert_eq!(off.status, StatusCode::OK);
    assert_eq!(
        snapshot().await,
        json!([{"id": site_id, "domain": "www.example.com", "secondary_hostnames": [], "origin": "192.0.2.20:8080",
                "origin_group": group_of_one(2, "192.0.2.20:8080"), "websockets": false}])
    );
    assert_eq!(portal.api(&secret, Method::DELETE, &site_path, None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(snapshot().await, json!([]));
}

#[tokio::test]
async fn a_browser_gets_the_settings_page_and_a_script_gets_json_on_the_same_path() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;
    let path = format!("/cdn/resources/{id}");

    let page = portal.get(&path, Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(page.body.contains("cdn.example.com") && page.body.contains("</html>"), "{}", page.body);

    let browser_with_token = portal
        .api_with(&secret, Method::GET, &path, &[(header::ACCEPT, "text/html,application/xhtml+xml")], None)
        .await;
    let script = portal.api(&secret, Method::GET, &path, None).await;
    for reply in [&browser_with_token, &script] {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(reply.json()["cname"], "cdn.example.com");
    }

    // The portal's other pages under the same prefix stay pages.
    let content = portal.get(&format!("{path}/content"), Some(&cookie)).await;
    assert_eq!(content.status, StatusCode::OK);
    assert!(content.body.contains(r#"role="switch""#), "{}", content.body);

    for accept in ["application/json", "text/html"] {
        let request = Request::get("/cdn/openapi.json").header(header::ACCEPT, accept).body(Body::empty()).unwrap();
        let document = portal.send(request).await;
        assert_eq!(document.status, StatusCode::OK, "{}", document.body);
        assert_eq!(document.headers[header::CONTENT_TYPE], "application/json");
        let document = document.json();
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1"), "{}", document["openapi"]);
        assert!(document["paths"]["/cdn/resources/{id}"]["patch"].is_object());
    }
}

#[tokio::test]
async fn api_writes_need_no_origin_header_but_bodies_over_16_kib_are_refused() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;

    // `api` sends neither Origin nor Referer, as scripts do not.
    let (id, _) = create(&portal, &secret, site("cdn.example.com")).await;
    let path = format!("/cdn/resources/{id}");
    let patched = portal.api(&secret, Method::PATCH, &path, Some(json!({"active": false}))).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    // The portal's own server functions are still guarded against forgery.
    let forged = portal
        .send(server_fn_request("list_resources", "application/json", Some(&cookie)).body(Body::empty()).unwrap())
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);

    let padding = "x".repeat(16 * 1024);
    let huge = json!({"cname": "big.example.com", "origin": "origin.example.com", "integration": "entire_website", "padding": padding});
    let length = huge.to_string().len().to_string();
    let declared = portal
        .api_with(
            &secret,
            Method::POST,
            "/cdn/resources",
            &[(header::CONTENT_LENGTH, length.as_str())],
            Some(huge.clone()),
        )
        .await;
    let streamed = portal.api(&secret, Method::POST, "/cdn/resources", Some(huge)).await;
    let patch =
        portal.api(&secret, Method::PATCH, &path, Some(json!({"origin": format!("{padding}.example.com")}))).await;
    for reply in [&declared, &streamed, &patch] {
        assert_error(reply, StatusCode::PAYLOAD_TOO_LARGE, &[]);
        assert!(reply.json()["message"].as_str().unwrap().contains("too large"), "{}", reply.body);
    }
    assert_eq!(count(&portal, "cdn_resources").await, 1);
    assert_eq!(stored(&portal, id).await, Some(("origin.example.com".into(), false, true, false, 2)));
}

/// Only the list takes query parameters; any other operation refuses one by name, before it
/// changes anything, rather than ignoring it (a script's `?force=true` is not silently dropped).
#[tokio::test]
async fn operations_without_parameters_refuse_any_query_parameter_by_name() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let (id, _) = create(&portal, &secret, site("cdn.example.com")).await;
    let path = format!("/cdn/resources/{id}?force=true");
    for (method, path, body) in [
        (Method::GET, path.as_str(), None),
        (Method::PATCH, path.as_str(), Some(json!({"active": false}))),
        (Method::PUT, path.as_str(), Some(json!({"origin": "192.0.2.1"}))),
        (Method::DELETE, path.as_str(), None),
        (Method::POST, "/cdn/resources?force=true", Some(site("other.example.com"))),
    ] {
        let reply = portal.api(&secret, method.clone(), path, body).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, &["force"]);
        assert!(reply.json()["message"].as_str().unwrap().contains("`force`"), "{method} {path}: {}", reply.body);
    }
    assert_eq!(count(&portal, "cdn_resources").await, 1);
    assert_eq!(stored(&portal, id).await, Some(("origin.example.com".into(), true, true, false, 1)));
    // No token: still a 401 first.
    let anonymous = portal.api("not-a-token", Method::GET, &path, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn gcore_operations_this_cdn_lacks_get_json_501_and_unknown_paths_json_404_never_a_page() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let (id, _) = create(&portal, &secret, site("cdn.example.com")).await;
    let resource = format!("/cdn/resources/{id}");

    // Sent as scripts send them: a token, no Origin or Referer (which the portal's cross-site
    // guard would refuse), and for GETs a browser's Accept too, which must not bring a page.
    let not_offered = [
        (Method::POST, format!("{resource}/purge"), "does not cache"),
        (Method::POST, format!("{resource}/prefetch"), "does not cache"),
        (Method::GET, format!("{resource}/rules"), "Rules"),
        (Method::POST, format!("{resource}/rules"), "Rules"),
        (Method::PATCH, format!("{resource}/rules/4"), "Rules"),
        (Method::GET, "/cdn/resources/rule_templates".to_owned(), "Rules"),
        (Method::POST, format!("{resource}/ssl/le/pre-validate"), "SSL"),
        (Method::POST, "/cdn/sslData/4/renew".to_owned(), "does not issue certificates"),
        (Method::GET, "/cdn/originGroups".to_owned(), "/cdn/origin_groups"),
    ];
    for (method, path, why) in &not_offered {
        let reply =
            portal.api_with(&secret, method.clone(), path, &[(header::ACCEPT, "text/html,*/*;q=0.8")], None).await;
        assert_error(&reply, StatusCode::NOT_IMPLEMENTED, &[]);
        assert!(reply.json()["message"].as_str().unwrap().contains(why), "{method} {path}: {}", reply.body);
        assert_eq!(reply.headers["x-should-retry"], "false", "{method} {path}");
    }
    for (method, path) in [
        (Method::GET, format!("{resource}/nothing")),
        (Method::POST, format!("{resource}/content")),
        (Method::GET, "/cdn/resources/".to_owned()),
        (Method::DELETE, "/cdn/resources/x".to_owned()),
        (Method::GET, "/cdn/new".to_owned()),
        (Method::GET, "/cdn/no/such/thing".to_owned()),
    ] {
        let reply = portal.api(&secret, method.clone(), &path, None).await;
        assert_error(&reply, StatusCode::NOT_FOUND, &[]);
        assert_eq!(reply.headers["x-should-retry"], "false", "{method} {path}");
    }
    for (method, path, allow) in [
        (Method::POST, resource.clone(), "GET, HEAD, PUT, PATCH, DELETE"),
        (Method::DELETE, "/cdn/resources".to_owned(), "GET, HEAD, POST"),
    ] {
        let reply = portal.api(&secret, method.clone(), &path, None).await;
        assert_error(&reply, StatusCode::METHOD_NOT_ALLOWED, &[]);
        assert_eq!(reply.headers[header::ALLOW], allow, "{method} {path}");
    }
    assert_eq!(count(&portal, "cdn_resources").await, 1, "nothing was changed");

    // A valid token still comes first.
    for (method, path) in [
        (Method::POST, format!("{resource}/purge")),
        (Method::GET, "/cdn/nothing".to_owned()),
        (Method::POST, resource.clone()),
    ] {
        let request = api_request(method.clone(), &path, &format!("cdnp_{}", "0".repeat(64)));
        assert_refused_without_a_valid_token(&portal.send(request.body(Body::empty()).unwrap()).await);
    }
    // Browsers without a token still get the portal's pages.
    let content = portal.get(&format!("{resource}/content"), Some(&cookie)).await;
    assert_eq!(content.status, StatusCode::OK);
    assert!(content.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let page = portal.get("/cdn/new", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("</html>"), "{}", page.body);
}

#[tokio::test]
async fn errors_a_retry_cannot_fix_tell_gcores_sdk_not_to_retry() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let (id, _) = create(&portal, &secret, site("cdn.example.com")).await;
    let path = format!("/cdn/resources/{id}");
    let stale = tag(id, 1);
    assert_eq!(portal.api(&secret, Method::PATCH, &path, Some(json!({"active": false}))).await.status, StatusCode::OK);

    let refusals = [
        (
            portal
                .api_with(&secret, Method::PATCH, &path, &[(header::IF_MATCH, stale.as_str())], Some(json!({})))
                .await,
            409,
        ),
        (portal.api(&secret, Method::POST, "/cdn/resources", Some(site("cdn.example.com"))).await, 409),
        (portal.api(&secret, Method::GET, "/cdn/resources/999999", None).await, 404),
        (portal.api(&secret, Method::PATCH, &path, Some(json!({"origin": "bad origin"}))).await, 422),
        (portal.api(&secret, Method::PATCH, &path, Some(json!({"colour": "red"}))).await, 400),
        (portal.api(&secret, Method::GET, "/cdn/resources?colour=red", None).await, 400),
        (portal.api("cdnp_unknown", Method::GET, "/cdn/resources", None).await, 401),
    ];
    for (reply, status) in &refusals {
        assert_eq!(reply.status.as_u16(), *status, "{}", reply.body);
        assert_eq!(reply.headers["x-should-retry"], "false", "{status}: {}", reply.body);
    }
    let fine = portal.api(&secret, Method::GET, &path, None).await;
    assert!(!fine.headers.contains_key("x-should-retry"));
}

#[tokio::test]
async fn an_unknown_field_is_named_whatever_it_holds() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let (id, _) = create(&portal, &secret, site("cdn.example.com")).await;
    let path = format!("/cdn/resources/{id}");
    let mut with_rules = site("other.example.com");
    with_rules["rules"] = json!([]);
    for (method, path, body, field) in [
        (Method::POST, "/cdn/resources", with_rules, "rules"),
        (Method::PATCH, path.as_str(), json!({"aliases": ["a.example.com"]}), "aliases"),
        (
            Method::PUT,
            path.as_str(),
            json!({"origin": "origin.example.com", "proxy_ssl_data": [1, 2]}),
            "proxy_ssl_data",
        ),
        (Method::PATCH, path.as_str(), json!({"options": {"rewrite": [{"body": "/(.*) /$1"}]}}), "options.rewrite"),
    ] {
        let reply = portal.api(&secret, method.clone(), path, Some(body)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, &[field]);
        let message = reply.json()["message"].as_str().unwrap().to_owned();
        let name = field.rsplit('.').next().unwrap();
        assert!(message.contains(&format!("unknown field `{name}`")), "{method} {path}: {message}");
    }
    // An array where an object belongs is still refused as such.
    let array = portal.api(&secret, Method::PATCH, &path, Some(json!({"options": {"websockets": [true, true]}}))).await;
    assert_error(&array, StatusCode::BAD_REQUEST, &["options.websockets"]);
    assert!(array.body.contains("expected a JSON object, found an array"), "{}", array.body);
    assert_eq!(count(&portal, "cdn_resources").await, 1);
    assert_eq!(stored(&portal, id).await, Some(("origin.example.com".into(), true, true, false, 1)));
}

#[tokio::test]
async fn a_deleted_resources_id_and_etag_never_reach_another_resource() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    let (kept, _) = create(&portal, &secret, site("kept.example.com")).await;
    // The newest resource is deleted: SQLite used to give its id to the next one.
    let (first, first_reply) = create(&portal, &secret, site("cdn.example.com")).await;
    let first_tag = first_reply.etag().to_owned();
    assert_eq!(first_tag, tag(first, 1));
    let path = format!("/cdn/resources/{first}");
    let deleted =
        portal.api_with(&secret, Method::DELETE, &path, &[(header::IF_MATCH, first_tag.as_str())], None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);

    let (second, second_reply) = create(&portal, &secret, site("cdn.example.com")).await;
    assert!(second > first && first > kept, "ids only grow: {kept}, {first}, then {second}");
    assert_eq!(second_reply.etag(), tag(second, 1));
    assert_error(&portal.api(&secret, Method::GET, &path, None).await, StatusCode::NOT_FOUND, &[]);
    // The stale request, meant for the first, reaches nothing; the first's tag never matches the second.
    let stale = portal.api_with(&secret, Method::DELETE, &path, &[(header::IF_MATCH, first_tag.as_str())], None).await;
    assert_error(&stale, StatusCode::NOT_FOUND, &[]);
    let second_path = format!("/cdn/resources/{second}");
    let mismatched =
        portal.api_with(&secret, Method::DELETE, &second_path, &[(header::IF_MATCH, first_tag.as_str())], None).await;
    assert_error(&mismatched, StatusCode::CONFLICT, &[]);
    assert!(
        mismatched.json()["message"].as_str().unwrap().contains(&format!("resource {first}")),
        "{}",
        mismatched.body
    );
    assert!(stored(&portal, second).await.is_some(), "the second resource is still there");

    // Again after the last two are gone, and through the portal's own form too.
    for id in [second, kept] {
        let reply = portal.api(&secret, Method::DELETE, &format!("/cdn/resources/{id}"), None).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    }
    let third = portal.create_resource(&cookie, "third.example.com", "entire_website").await;
    assert!(third > second, "{third} after {second}");
    let (fourth, _) = create(&portal, &secret, site("cdn.example.com")).await;
    assert!(fourth > third, "{fourth} after {third}");
}
