//! The fields of a resource that Gcore's scripts read and write besides its settings (issue 17,
//! items 3 and 5): an optional `integration`, `originGroup` (issue 19),
//! `name`, `description`, `secondaryHostnames`, `client` and `status`, over HTTP as a script
//! meets them, and the portal's General section that shows and edits them, on the database of
//! the pass.

use crate::helpers::edge::{FEED_TOKEN, feed_security};
use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use cdn_portal::error::AppError;
use cdn_portal::model::Change;
use cdn_portal::on_db;
use serde_json::{Value, json};

/// A customer with an API token: (cookie, secret).
async fn customer_with_token(portal: &TestPortal, email: &str) -> (String, String) {
    let cookie = portal.customer(email).await;
    let secret = portal.api_token(&cookie, "deploy", None).await.secret;
    (cookie, secret)
}

async fn create(portal: &TestPortal, secret: &str, body: Value) -> Value {
    let reply = portal.api(secret, Method::POST, "/cdn/resources", Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.json()
}

fn site(cname: &str) -> Value {
    json!({"cname": cname, "origin": "origin.example.com"})
}

/// `site(cname)` with `field` set to `value`.
fn with(cname: &str, field: &str, value: Value) -> Value {
    let mut body = site(cname);
    body[field] = value;
    body
}

async fn patch(portal: &TestPortal, secret: &str, id: i64, body: Value) -> Reply {
    portal.api(secret, Method::PATCH, &format!("/cdn/resources/{id}"), Some(body)).await
}

/// The error's status and the fields it names.
fn refused_on(reply: &Reply, status: StatusCode, field: &str) -> String {
    assert_eq!(reply.status, status, "{}", reply.body);
    let body = reply.json();
    body["errors"][field].as_str().unwrap_or_else(|| panic!("no message for {field}: {body}")).to_owned()
}

async fn count(portal: &TestPortal, table: &str) -> i64 {
    on_db!(portal.pool.db(), |e| sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(e).await)
        .unwrap()
}

#[tokio::test]
async fn a_resource_is_created_from_a_cname_and_an_origin_alone_as_the_sdk_sends_them() {
    let portal = spawn_portal().await;
    let (_, secret) = customer_with_token(&portal, "ada%40example.com").await;
    let created = create(&portal, &secret, site("cdn.example.com")).await;
    assert_eq!(created["integration"], "entire_website", "Entire website when left out");
    assert_eq!(created["options"]["websockets"], Value::Null, "no option set");
    assert_eq!(created["optionsInForce"]["websockets"], true, "so the integration's default is in force");
    for (field, expected) in [("name", Value::Null), ("description", Value::Null), ("secondaryHostnames", json!([]))] {
        assert_eq!(created[field], expected, "{field}: {created}");
    }
    let account_id: i64 =
        on_db!(portal.pool.db(), |e| sqlx::query_scalar("SELECT id FROM accounts WHERE email = 'ada@example.com'")
            .fetch_one(e)
            .await)
        .unwrap();
    assert_eq!(created["client"], account_id);
    assert_eq!(created["status"], "processed", "no edge serves it: {created}");
    let mut fields: Vec<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
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
        ],
        "only what this CDN honours"
    );
}

#[tokio::test]
async fn a_resource_names_its_origin_group_or_an_origin_that_makes_one() {
    let portal = spawn_portal().await;
    let (cookie, secret) = customer_with_token(&portal, "ada%40example.com").await;
    let (_, others) = customer_with_token(&portal, "bob%40example.com").await;
    let group = |secret: &str, name: &str| {
        let body = json!({"name": name, "sources": [{"source": "a.example.com"}, {"source": "b.example.com", "backup": true}]});
        let portal = &portal;
        let secret = secret.to_owned();
        async move {
            let reply = portal.api(&secret, Method::POST, "/cdn/origin_groups", Some(body)).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
            reply.json()["id"].as_i64().unwrap()
        }
    };
    let main = group(&secret, "Main").await;
    let bobs = group(&others, "Bob's").await;

    // Another account's group or none (404, as for its path), both fields, or null: refused, and
    // nothing is saved.
    for (body, status, field) in [
        (json!({"cname": "cdn.example.com", "originGroup": bobs}), StatusCode::NOT_FOUND, "originGroup"),
        (json!({"cname": "cdn.example.com", "originGroup": 132}), StatusCode::NOT_FOUND, "originGroup"),
        (with("cdn.example.com", "originGroup", json!(main)), StatusCode::UNPROCESSABLE_ENTITY, "originGroup"),
        (with("cdn.example.com", "originGroup", Value::Null), StatusCode::BAD_REQUEST, "originGroup"),
        (json!({"cname": "cdn.example.com", "originGroup": 0}), StatusCode::UNPROCESSABLE_ENTITY, "originGroup"),
    ] {
        let reply = portal.api(&secret, Method::POST, "/cdn/resources", Some(body.clone())).await;
        refused_on(&reply, status, field);
    }
    assert_eq!(count(&portal, "cdn_resources").await, 0);
    assert_eq!(count(&portal, "origin_groups").await, 2);

    let created = create(&portal, &secret, json!({"cname": "cdn.example.com", "originGroup": main})).await;
    assert_eq!((created["originGroup"].as_i64(), created["originGroup_name"].as_str()), (Some(main), Some("Main")));
    assert_eq!(created["origin"], "a.example.com", "the group's first origin that is not a backup");
    let id = created["id"].as_i64().unwrap();
    // An origin makes a group of one named after it; a replacement may name a group instead.
    let reply = patch(&portal, &secret, id, json!({"origin": "c.example.com:8080"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let single = reply.json()["originGroup"].as_i64().unwrap();
    assert_eq!(reply.json()["originGroup_name"], "c.example.com:8080");
    let path = format!("/cdn/resources/{id}");
    let reply = portal.api(&secret, Method::PUT, &path, Some(json!({"originGroup": main}))).await;
    assert_eq!((reply.status, reply.json()["originGroup"].as_i64()), (StatusCode::OK, Some(main)), "{}", reply.body);
    let reply = portal.api(&secret, Method::PUT, &path, Some(json!({"originGroup": bobs}))).await;
    refused_on(&reply, StatusCode::NOT_FOUND, "originGroup");
    // JSON Schema's integer, as a client made from the document may write it.
    let reply = portal.api(&secret, Method::PATCH, &path, Some(json!({"originGroup": single as f64}))).await;
    assert_eq!((reply.status, reply.json()["originGroup"].as_i64()), (StatusCode::OK, Some(single)), "{}", reply.body);
    let reply = portal.api(&secret, Method::PATCH, &path, Some(json!({"originGroup": 1.5}))).await;
    refused_on(&reply, StatusCode::BAD_REQUEST, "originGroup");
    let reply = portal.api(&secret, Method::PATCH, &path, Some(json!({"originGroup": main}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let switches: Vec<(i64, i64)> = portal
        .history(&cookie, id)
        .await
        .into_iter()
        .filter_map(|entry| match entry.change {
            Change::OriginGroupSwitched { from, to } => Some((from.id, to.id)),
            _ => None,
        })
        .collect();
    assert_eq!(switches, [(single, main), (main, single), (single, main), (main, single)], "newest first");

    // Without either, the origin is what is missing.
    let reply = portal.api(&secret, Method::POST, "/cdn/resources", Some(json!({"cname": "x.example.com"}))).await;
    assert!(refused_on(&reply, StatusCode::BAD_REQUEST, "origin").contains("missing field `origin`"));
    let reply = portal.api(&secret, Method::PUT, &path, Some(json!({"active": true}))).await;
    assert!(refused_on(&reply, StatusCode::BAD_REQUEST, "origin").contains("missing field `origin`"));
}

#[tokio::test]
async fn a_name_and_a_description_are_set_changed_removed_and_recorded() {
    let portal = spawn_portal().await;
    let (cookie, secret) = customer_with_token(&portal, "ada%40example.com").await;
    let mut body = with("cdn.example.com", "name", json!("Images — EU"));
    body["description"] = json!("Served from Frankfurt");
    let created = create(&portal, &secret, body).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        (created["name"].as_str(), created["description"].as_str()),
        (Some("Images — EU"), Some("Served from Frankfurt"))
    );

    let renamed = patch(&portal, &secret, id, json!({"name": "Images"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.json()["description"], "Served from Frankfurt", "left out: left as it is");
    for removal in [json!({"name": null}), json!({"description": ""})] {
        let reply = patch(&portal, &secret, id, removal.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{removal}: {}", reply.body);
    }
    let read = portal.api(&secret, Method::GET, &format!("/cdn/resources/{id}"), None).await.json();
    assert_eq!((read["name"].clone(), read["description"].clone()), (Value::Null, Value::Null), "empty is none");
    // The same again changes nothing and records nothing.
    assert_eq!(patch(&portal, &secret, id, json!({"name": ""})).await.etag_version(), 4);

    let history = portal.history(&cookie, id).await;
    let described: Vec<String> = history.iter().map(|entry| entry.change.describe()).collect();
    assert!(described.contains(&"Name set to “Images — EU”".to_owned()), "{described:?}");
    assert!(described.contains(&"Description set to “Served from Frankfurt”".to_owned()), "{described:?}");
    assert!(matches!(
        &history[0].change,
        Change::DescriptionChanged { from: Some(from), to: None } if from.as_str() == "Served from Frankfurt"
    ));
    assert!(matches!(&history[1].change, Change::NameChanged { to: None, .. }));
    assert_eq!((history[0].version, history[1].version, history[2].version), (4, 3, 2));

    // PUT leaves out both: none, as Gcore.
    let mut named = json!({"origin": "origin.example.com", "name": "Again"});
    let put = portal.api(&secret, Method::PUT, &format!("/cdn/resources/{id}"), Some(named.clone())).await;
    assert_eq!(put.json()["name"], "Again");
    named.as_object_mut().unwrap().remove("name");
    let put = portal.api(&secret, Method::PUT, &format!("/cdn/resources/{id}"), Some(named)).await;
    assert_eq!(put.json()["name"], Value::Null, "{}", put.body);
}

#[tokio::test]
async fn names_and_descriptions_that_are_too_long_or_hold_control_characters_are_refused() {
    let portal = spawn_portal().await;
    let (_, secret) = customer_with_token(&portal, "ada%40example.com").await;
    for (field, value, expected) in [
        ("name", json!("a".repeat(101)), "at most 100 characters"),
        ("name", json!("two\nlines"), "control characters"),
        ("description", json!("tab\tbed"), "control characters"),
        ("description", json!("é".repeat(1001)), "at most 1000 characters"),
    ] {
        let reply =
            portal.api(&secret, Method::POST, "/cdn/resources", Some(with("cdn.example.com", field, value))).await;
        assert!(refused_on(&reply, StatusCode::UNPROCESSABLE_ENTITY, field).contains(expected), "{}", reply.body);
    }
    let reply =
        portal.api(&secret, Method::POST, "/cdn/resources", Some(with("cdn.example.com", "name", json!(7)))).await;
    refused_on(&reply, StatusCode::BAD_REQUEST, "name");
    assert_eq!(count(&portal, "cdn_resources").await, 0);
    let longest = create(&portal, &secret, with("cdn.example.com", "name", json!("é".repeat(100)))).await;
    assert_eq!(longest["name"].as_str().unwrap().chars().count(), 100);
}

#[tokio::test]
async fn secondary_hostnames_are_checked_as_the_cname_is_and_kept_in_their_order() {
    let portal = spawn_portal().await;
    let (cookie, secret) = customer_with_token(&portal, "ada%40example.com").await;
    let hostnames = json!(["www.example.com", "Shop.Example.com"]);
    let created = create(&portal, &secret, with("cdn.example.com", "secondaryHostnames", hostnames)).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["secondaryHostnames"], json!(["www.example.com", "shop.example.com"]));

    for (value, field, expected) in [
        (json!(["no space.example.com"]), "secondaryHostnames[0]", "cannot be used in a domain name"),
        (json!(["ok.example.com", "cdn.example."]), "secondaryHostnames[1]", "Write the domain name exactly"),
        (json!(["a.example.com", "a.example.com"]), "secondaryHostnames", "listed twice"),
        (json!((0..11).map(|n| format!("h{n}.example.com")).collect::<Vec<_>>()), "secondaryHostnames", "at most 10"),
    ] {
        let reply = patch(&portal, &secret, id, json!({"secondaryHostnames": value})).await;
        assert!(refused_on(&reply, StatusCode::UNPROCESSABLE_ENTITY, field).contains(expected), "{}", reply.body);
    }
    // Written in two letter cases, one host: valid in the document (its uniqueItems compares the
    // strings), so kept once, as the first names it; the history below is unchanged by it.
    let cased = patch(
        &portal,
        &secret,
        id,
        json!({"secondaryHostnames": ["www.example.com", "WWW.example.com", "Shop.example.com"]}),
    )
    .await;
    assert_eq!(cased.status, StatusCode::OK, "{}", cased.body);
    assert_eq!(cased.json()["secondaryHostnames"], json!(["www.example.com", "shop.example.com"]));
    let own = patch(&portal, &secret, id, json!({"secondaryHostnames": ["CDN.example.com"]})).await;
    assert!(refused_on(&own, StatusCode::CONFLICT, "secondaryHostnames").contains("this resource's custom domain"));
    for malformed in [
        json!({"secondaryHostnames": null}),
        json!({"secondaryHostnames": "www.example.com"}),
        json!({"secondaryHostnames": [["a.example.com"]]}),
    ] {
        let reply = patch(&portal, &secret, id, malformed.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{malformed}: {}", reply.body);
    }
    let ten: Vec<String> = (0..10).map(|n| format!("h{n}.example.com")).collect();
    let reply = patch(&portal, &secret, id, json!({"secondaryHostnames": ten})).await;
    assert_eq!(reply.json()["secondaryHostnames"], json!(ten));
    let cleared = patch(&portal, &secret, id, json!({"secondaryHostnames": []})).await;
    assert_eq!(cleared.json()["secondaryHostnames"], json!([]));

    let history = portal.history(&cookie, id).await;
    let described: Vec<String> = history.iter().map(|entry| entry.change.describe()).collect();
    assert_eq!(described[0], "Secondary hostnames removed");
    assert!(described[1].starts_with("Secondary hostnames set to h0.example.com, h1.example.com"), "{described:?}");
    assert!(described.contains(&"Secondary hostnames set to www.example.com, shop.example.com".to_owned()));
    assert_eq!(history[0].version, 3, "each refused change changed nothing");
}

#[tokio::test]
async fn a_hostname_belongs_to_one_resource_across_all_accounts() {
    let portal = spawn_portal().await;
    let (_, ada) = customer_with_token(&portal, "ada%40example.com").await;
    let (_, bob) = customer_with_token(&portal, "bob%40example.com").await;
    let first = create(&portal, &ada, with("cdn.example.com", "secondaryHostnames", json!(["www.example.com"]))).await;
    let taken = "is already used by a CDN resource";

    // Bob may claim neither Ada's custom domain nor her secondary hostname, in either role.
    let reply = portal.api(&bob, Method::POST, "/cdn/resources", Some(site("www.example.com"))).await;
    assert!(refused_on(&reply, StatusCode::CONFLICT, "cname").contains(taken));
    for claimed in ["www.example.com", "cdn.example.com"] {
        let body = with("bob.example.com", "secondaryHostnames", json!([claimed]));
        let reply = portal.api(&bob, Method::POST, "/cdn/resources", Some(body)).await;
        assert!(refused_on(&reply, StatusCode::CONFLICT, "secondaryHostnames").contains(taken));
    }
    let bobs = create(&portal, &bob, site("bob.example.com")).await["id"].as_i64().unwrap();
    let reply = patch(&portal, &bob, bobs, json!({"secondaryHostnames": ["www.example.com"]})).await;
    assert!(refused_on(&reply, StatusCode::CONFLICT, "secondaryHostnames").contains(taken));
    assert_eq!(count(&portal, "cdn_resources").await, 2, "nothing half-saved");

    // Given up, it is free: Ada removes it, Bob takes it.
    let ada_id = first["id"].as_i64().unwrap();
    assert_eq!(patch(&portal, &ada, ada_id, json!({"secondaryHostnames": []})).await.status, StatusCode::OK);
    let reply = patch(&portal, &bob, bobs, json!({"secondaryHostnames": ["www.example.com"]})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // And the custom domain of a deleted resource too.
    let gone = portal.api(&ada, Method::DELETE, &format!("/cdn/resources/{ada_id}"), None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let reply = patch(&portal, &bob, bobs, json!({"secondaryHostnames": ["www.example.com", "cdn.example.com"]})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// An edge's report, as a CDN edge sends it to the portal's feed.
async fn report(portal: &TestPortal, edge: &str, version: u64) {
    let request = Request::post("/edge/v1/status")
        .header(header::AUTHORIZATION, format!("Bearer {FEED_TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"edge": edge, "version": version}).to_string()))
        .unwrap();
    assert_eq!(portal.send(request).await.status, StatusCode::NO_CONTENT);
}

async fn status_of(portal: &TestPortal, secret: &str, id: i64) -> String {
    let reply = portal.api(secret, Method::GET, &format!("/cdn/resources/{id}"), None).await;
    reply.json()["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn status_follows_the_edges_and_the_active_switch() {
    let portal = spawn_portal_with(feed_security()).await;
    let (_, secret) = customer_with_token(&portal, "ada%40example.com").await;
    let id = create(&portal, &secret, site("cdn.example.com")).await["id"].as_i64().unwrap();
    assert_eq!(status_of(&portal, &secret, id).await, "processed", "no edge reports: nothing serves it");
    report(&portal, "edge-1", 1).await;
    assert_eq!(status_of(&portal, &secret, id).await, "active");
    report(&portal, "edge-2", 0).await;
    assert_eq!(status_of(&portal, &secret, id).await, "processed", "edge-2 has not caught up");
    report(&portal, "edge-2", 1).await;
    assert_eq!(status_of(&portal, &secret, id).await, "active");

    // A change is processed until every edge serves it, and so is the resource's list entry.
    let renamed = patch(&portal, &secret, id, json!({"name": "Images"})).await;
    assert_eq!(renamed.json()["status"], "processed");
    let listed = portal.api(&secret, Method::GET, "/cdn/resources", None).await.json();
    let entry = listed.as_array().or_else(|| listed["results"].as_array()).unwrap()[0].clone();
    assert_eq!(entry["status"], "processed", "{listed}");
    for edge in ["edge-1", "edge-2"] {
        report(&portal, edge, 2).await;
    }
    assert_eq!(status_of(&portal, &secret, id).await, "active");

    let suspended = patch(&portal, &secret, id, json!({"active": false})).await;
    assert_eq!(suspended.json()["status"], "suspended");
    for edge in ["edge-1", "edge-2"] {
        report(&portal, edge, 3).await;
    }
    assert_eq!(status_of(&portal, &secret, id).await, "suspended", "inactive, however far it has reached");
}

/// The configuration version every edge must report to serve all there is now.
async fn latest_config_version(portal: &TestPortal) -> u64 {
    let latest: i64 =
        on_db!(portal.pool.db(), |e| sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM config_changes")
            .fetch_one(e)
            .await)
        .unwrap();
    u64::try_from(latest).unwrap()
}

/// Gcore's list filters on these fields: `name` (part of it, any case), `status` and
/// `secondaryHostnames` (exact), each finding only what matches.
#[tokio::test]
async fn the_list_filters_by_name_status_and_secondary_hostname() {
    let portal = spawn_portal_with(feed_security()).await;
    let (_, secret) = customer_with_token(&portal, "ada%40example.com").await;
    let mut shop = with("shop.example.com", "name", json!("The Shop 50%"));
    shop["secondaryHostnames"] = json!(["www.shop.example.com"]);
    let shop = create(&portal, &secret, shop).await["id"].as_i64().unwrap();
    let blog = create(&portal, &secret, with("blog.example.com", "name", json!("Blog"))).await["id"].as_i64().unwrap();
    let mut archive = with("archive.example.com", "name", json!("Shop archive"));
    archive["active"] = json!(false);
    let archive = create(&portal, &secret, archive).await["id"].as_i64().unwrap();
    report(&portal, "edge-1", latest_config_version(&portal).await).await;

    let list = |query: &'static str| {
        let (portal, secret) = (&portal, &secret);
        async move { portal.api(secret, Method::GET, &format!("/cdn/resources?{query}"), None).await }
    };
    let matching = |query: &'static str| async move {
        let reply = list(query).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
        let ids: Vec<i64> = reply.json().as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
        assert_eq!(reply.headers["x-total-count"], ids.len().to_string().as_str(), "{query}");
        ids
    };
    assert_eq!(matching("name=SHOP").await, [shop, archive], "part of the name, any case");
    assert_eq!(matching("name=50%25").await, [shop], "% is a character, not a wildcard");
    assert_eq!(matching("name=_").await, Vec::<i64>::new(), "_ is a character, not a wildcard");
    assert_eq!(matching("secondaryHostnames=WWW.shop.example.com").await, [shop]);
    assert_eq!(matching("secondaryHostnames=shop.example.com").await, Vec::<i64>::new(), "a custom domain");
    assert_eq!(matching("status=suspended").await, [archive]);
    assert_eq!(matching("status=active").await, [shop, blog]);
    assert_eq!(matching("status=deleted").await, Vec::<i64>::new(), "resources are deleted outright");
    assert_eq!(matching("status=suspended&active=true").await, Vec::<i64>::new());

    // A change not yet served: the resource is processed until the edge reports it.
    assert_eq!(patch(&portal, &secret, blog, json!({"name": "Journal"})).await.status, StatusCode::OK);
    assert_eq!(matching("status=processed").await, [blog]);
    assert_eq!(matching("status=active&name=shop").await, [shop]);
    let page = list("status=processed&limit=1&offset=0").await.json();
    assert_eq!((page["count"].as_i64(), page["results"][0]["id"].as_i64()), (Some(1), Some(blog)));
    let past = list("status=processed&limit=1&offset=1").await.json();
    assert_eq!((past["count"].as_i64(), past["results"].as_array().map(Vec::len)), (Some(1), Some(0)));

    refused_on(&list("status=gone").await, StatusCode::BAD_REQUEST, "status");
    refused_on(
        &list("secondaryHostnames=not%20a%20domain").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "secondaryHostnames",
    );
}

/// The General section's form as a page's server function call sends it.
fn general_form(id: i64, version: i64, name: &str, description: &str, hostnames: &str) -> String {
    format!(
        "resource_id={id}&version={version}&name={}&description={}&secondary_hostnames={}",
        form_value(name),
        form_value(description),
        form_value(hostnames)
    )
}

#[tokio::test]
async fn the_general_section_shows_and_saves_the_name_description_and_secondary_hostnames() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;

    let form = general_form(id, 1, "Images", "Served from the EU", "www.example.com\r\nShop.example.com\r\n");
    let saved = portal.call("save_general_settings", &form, Some(&cookie)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let saved = saved.resource();
    assert_eq!(saved.name.as_ref().map(|name| name.as_str()), Some("Images"));
    assert_eq!(saved.secondary_hostnames.join(" "), "www.example.com shop.example.com");
    assert_eq!(saved.version, 2, "one version for the three");
    let recorded: Vec<String> =
        portal.history(&cookie, id).await.iter().filter(|e| e.version == 2).map(|e| e.change.describe()).collect();
    assert_eq!(recorded.len(), 3, "{recorded:?}");

    let page = portal.get(&format!("/cdn/resources/{id}"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(input_tag(&page.body, r#"name="name""#).contains(r#"value="Images""#), "{}", page.body);
    assert!(page.body.contains("www.example.com\nshop.example.com</textarea>"), "{}", page.body);
    assert!(page.body.contains("www.example.com, shop.example.com"), "listed in the details: {}", page.body);
    let list = portal.get("/cdn", Some(&cookie)).await;
    assert!(list.body.contains("Images"), "the list shows the name: {}", list.body);

    // Emptied fields remove them.
    let cleared =
        portal.call("save_general_settings", &general_form(id, 2, "", "", ""), Some(&cookie)).await.resource();
    assert_eq!((cleared.name, cleared.description, cleared.secondary_hostnames.is_empty()), (None, None, true));
    // A form loaded before that save changes nothing.
    let stale = portal.call("save_general_settings", &general_form(id, 2, "Late", "", ""), Some(&cookie)).await;
    assert!(matches!(stale.app_error(), AppError::Conflict(current) if current.version == 3), "{}", stale.body);
}

#[tokio::test]
async fn the_general_section_refuses_what_the_api_refuses_and_shows_it_again_without_javascript() {
    let portal = spawn_portal().await;
    let ada = portal.customer("ada%40example.com").await;
    let bob = portal.customer("bob%40example.com").await;
    let id = portal.create_resource(&ada, "cdn.example.com", "entire_website").await;
    portal.create_resource(&bob, "bob.example.com", "entire_website").await;

    for (hostnames, expected) in [
        ("bob.example.com", "already used by a CDN resource"),
        ("cdn.example.com", "this resource's custom domain"),
        ("www.example.com www.example.com", "listed twice"),
        ("http://www.example.com", "without http://"),
    ] {
        let refused = portal.call("save_general_settings", &general_form(id, 1, "", "", hostnames), Some(&ada)).await;
        let error = refused.app_error();
        assert!(error.for_field("secondary_hostnames").is_some_and(|m| m.contains(expected)), "{hostnames}: {error:?}");
    }
    let refused = portal.call("save_general_settings", &general_form(id, 1, "a\tb", "", ""), Some(&ada)).await;
    assert!(refused.app_error().for_field("name").is_some_and(|m| m.contains("control characters")));

    let page = format!("http://localhost/cdn/resources/{id}");
    let refused = portal
        .post_form("save_general_settings", &general_form(id, 1, "Kept", "", "bob.example.com"), &ada, &page)
        .await;
    assert_eq!(refused.status, StatusCode::FOUND);
    let location = refused.headers[header::LOCATION].to_str().unwrap();
    let shown = portal.get(location.trim_start_matches("http://localhost"), Some(&ada)).await;
    assert!(input_tag(&shown.body, r#"name="name""#).contains(r#"value="Kept""#), "{}", shown.body);
    assert!(shown.body.contains("bob.example.com</textarea>"), "{}", shown.body);
    assert!(shown.body.contains("is already used by a CDN resource"), "{}", shown.body);
    assert_eq!(portal.history(&ada, id).await.len(), 1, "nothing was saved");

    let saved = portal.post_form("save_general_settings", &general_form(id, 1, "Kept", "", ""), &ada, &page).await;
    assert_eq!(saved.status, StatusCode::FOUND);
    assert_eq!(saved.headers[header::LOCATION], format!("/cdn/resources/{id}?saved=1"));
    let shown = portal.get(&format!("/cdn/resources/{id}?saved=1"), Some(&ada)).await;
    assert!(shown.body.contains("Changes saved"), "{}", shown.body);
}
