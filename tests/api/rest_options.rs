//! `options.websockets` through the REST API, as Gcore's clients write it: each setting
//! (`{"enabled", "value"}`, any of the four) is stored and read back exactly as written, `null`
//! removes the option, leaving it out leaves it; `optionsInForce` says what applies (the setting's
//! value when enabled, else the integration's default), and that is what the edges are sent.

use crate::helpers::edge::{feed_security, feed_snapshot_request};
use crate::helpers::*;
use axum::http::{Method, StatusCode};
use cdn_portal::model::Change;
use cdn_portal::on_db;
use cdn_portal::options::{OptionName, OptionValue};
use serde_json::{Value, json};

/// Every integration with its WebSockets default.
const INTEGRATIONS: [(&str, bool); 2] = [("entire_website", true), ("static_assets", false)];

/// The four settings a client can write.
const SETTINGS: [(bool, bool); 4] = [(true, true), (true, false), (false, true), (false, false)];

fn setting(enabled: bool, value: bool) -> Value {
    json!({"enabled": enabled, "value": value})
}

/// What applies for a stored setting (`null` when not set) on an integration with `default`.
fn in_force(stored: &Value, default: bool) -> bool {
    match stored["enabled"].as_bool() {
        Some(true) => stored["value"].as_bool().unwrap(),
        _ => default,
    }
}

struct Client {
    portal: TestPortal,
    secret: String,
    cookie: String,
}

impl Client {
    async fn new() -> Self {
        let portal = spawn_portal_with(feed_security()).await;
        let cookie = portal.customer("ada%40example.com").await;
        let secret = portal.api_token(&cookie, "terraform", None).await.secret;
        Client { portal, secret, cookie }
    }

    async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.portal.api(&self.secret, method, path, body).await
    }

    async fn create(&self, cname: &str, integration: &str, options: Option<Value>) -> (i64, Reply) {
        let mut body = json!({"cname": cname, "origin": "origin.example.com", "integration": integration});
        if let Some(options) = options {
            body["options"] = options;
        }
        let reply = self.request(Method::POST, "/cdn/resources", Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        (reply.json()["id"].as_i64().unwrap(), reply)
    }

    async fn change(&self, method: Method, id: i64, body: Value) -> Reply {
        let reply = self.request(method.clone(), &format!("/cdn/resources/{id}"), Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::OK, "{method} {body}: {}", reply.body);
        reply
    }

    async fn get(&self, id: i64) -> Reply {
        let reply = self.request(Method::GET, &format!("/cdn/resources/{id}"), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply
    }

    /// WebSockets as the edges are sent it for resource `id`, in a snapshot of the feed.
    async fn edge_websockets(&self, id: i64) -> bool {
        let reply = self.portal.send(feed_snapshot_request()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let resources = reply.json()["resources"].clone();
        let resource = resources.as_array().unwrap().iter().find(|resource| resource["id"] == id).cloned();
        resource.unwrap_or_else(|| panic!("resource {id} is not in the feed: {resources}"))["websockets"]
            .as_bool()
            .unwrap()
    }
}

/// The reply's stored `options.websockets` and `optionsInForce.websockets`.
fn websockets_of(reply: &Reply) -> (Value, bool) {
    let body = reply.json();
    let options = body["options"].as_object().unwrap();
    assert!(options.contains_key("websockets"), "an option not set is there, as null: {body}");
    (options["websockets"].clone(), body["optionsInForce"]["websockets"].as_bool().unwrap())
}

/// Checks that resource `id` holds `stored`, with the value in force its integration's `default`
/// implies, in the reply, when read back, and at the edges.
async fn holds(client: &Client, id: i64, reply: &Reply, stored: &Value, default: bool, what: &str) {
    let expected = (stored.clone(), in_force(stored, default));
    assert_eq!(websockets_of(reply), expected, "{what}: the reply");
    let fetched = client.get(id).await;
    assert_eq!(websockets_of(&fetched), expected, "{what}: read back");
    assert_eq!(fetched.json(), reply.json(), "{what}: read back as answered");
    assert_eq!(client.edge_websockets(id).await, expected.1, "{what}: sent to the edges");
}

#[tokio::test]
async fn every_setting_written_with_patch_reads_back_exactly_and_the_edges_get_the_value_in_force() {
    let client = Client::new().await;
    for (integration, default) in INTEGRATIONS {
        let (id, created) =
            client.create(&format!("{}.example.com", integration.replace('_', "-")), integration, None).await;
        holds(&client, id, &created, &Value::Null, default, "created without options").await;
        // From every setting (and from none) to every other, so each change is seen from each start.
        let mut previous = Value::Null;
        for (enabled, value) in SETTINGS {
            for written in [setting(enabled, value), Value::Null, setting(enabled, value)] {
                let reply = client.change(Method::PATCH, id, json!({"options": {"websockets": written}})).await;
                let what = format!("{integration}: {previous} then {written}");
                holds(&client, id, &reply, &written, default, &what).await;
                // Left out, in `options` or altogether, it stays as it is.
                for body in [json!({"options": {}}), json!({"active": true})] {
                    let same = client.change(Method::PATCH, id, body.clone()).await;
                    assert_eq!(same.etag(), reply.etag(), "{what}, then {body}: no change, no version");
                    holds(&client, id, &same, &written, default, &format!("{what}, then {body}")).await;
                }
                previous = written;
            }
        }
    }
}

#[tokio::test]
async fn post_and_put_store_each_setting_as_written_and_null_or_leaving_it_out_sets_none() {
    let client = Client::new().await;
    let mut n = 0;
    for (integration, default) in INTEGRATIONS {
        for written in SETTINGS.map(|(enabled, value)| setting(enabled, value)).into_iter().chain([Value::Null]) {
            n += 1;
            let options = json!({"websockets": written});
            let (id, created) = client.create(&format!("r{n}.example.com"), integration, Some(options.clone())).await;
            holds(&client, id, &created, &written, default, &format!("POST {integration} {written}")).await;

            // PUT: what it names is stored as written; what it leaves out is no longer set.
            let put = |body: Value| client.change(Method::PUT, id, body);
            let named = put(json!({"origin": "origin.example.com", "options": options})).await;
            holds(&client, id, &named, &written, default, &format!("PUT {integration} {written}")).await;
            let left_out = put(json!({"origin": "origin.example.com"})).await;
            holds(&client, id, &left_out, &Value::Null, default, &format!("PUT {integration} without options")).await;
        }
    }
}

#[tokio::test]
async fn null_is_accepted_only_for_an_option() {
    let client = Client::new().await;
    let (id, _) = client.create("cdn.example.com", "entire_website", None).await;
    let path = format!("/cdn/resources/{id}");
    for body in [
        json!({"options": null}),
        json!({"active": null}),
        json!({"options": {"websockets": {"enabled": null, "value": true}}}),
        json!({"options": {"websockets": {"enabled": true, "value": null}}}),
        json!({"options": {"websockets": {"enabled": true}}}),
    ] {
        let reply = client.request(Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {}", reply.body);
    }
    assert_eq!(client.get(id).await.etag_version(), 1, "nothing changed");
}

/// A change of the stored setting that leaves the value in force as it was still takes a version
/// and a record (the history guard of migration 0006 needs one), told in words of the customer's.
#[tokio::test]
async fn a_change_that_keeps_the_value_in_force_is_versioned_and_recorded() {
    let client = Client::new().await;
    let (id, _) = client.create("cdn.example.com", "entire_website", None).await;
    let patch = |websockets: Value| client.change(Method::PATCH, id, json!({"options": {"websockets": websockets}}));
    let (on, off) = (OptionValue::Switch(true), OptionValue::Switch(false));
    let option = OptionName::Websockets;

    let steps = [
        (setting(false, false), Change::OptionNotEnabled { option, from: on, to: on, value: off }),
        (setting(false, true), Change::OptionNotEnabled { option, from: on, to: on, value: on }),
        (Value::Null, Change::OptionNotEnabledRemoved { option, from: on, to: on, value: on }),
        (setting(true, true), Change::OptionSet { option, from: on, to: on }),
        (setting(false, false), Change::OptionNotEnabled { option, from: on, to: on, value: off }),
        (setting(true, false), Change::OptionSet { option, from: on, to: off }),
        (setting(false, false), Change::OptionNotEnabled { option, from: off, to: on, value: off }),
        (setting(true, false), Change::OptionSet { option, from: on, to: off }),
        (Value::Null, Change::OptionDefaulted { option, from: off, to: on }),
    ];
    for (version, (written, change)) in (2..).zip(steps) {
        let reply = patch(written.clone()).await;
        assert_eq!(reply.etag_version(), version, "{written}");
        let again = patch(written.clone()).await;
        assert_eq!(again.etag(), reply.etag(), "{written} again: no change");
        let history = client.portal.history(&client.cookie, id).await;
        assert_eq!((history[0].version, &history[0].change), (version, &change), "{written}");
        assert_eq!(history.iter().filter(|entry| entry.version == version).count(), 1);
    }

    let history = client.portal.history(&client.cookie, id).await;
    let texts: Vec<String> = history.iter().rev().map(|entry| entry.change.describe()).collect();
    assert_eq!(
        texts,
        [
            "Created, with WebSockets on",
            "WebSockets follows the integration's default (on): a setting of off was saved without enabling it",
            "WebSockets follows the integration's default (on): a setting of on was saved without enabling it",
            "WebSockets still follows the integration's default (on): the setting of on that was not enabled was removed",
            "WebSockets turned on",
            "WebSockets follows the integration's default (on): a setting of off was saved without enabling it",
            "WebSockets turned off",
            "WebSockets follows the integration's default (on): a setting of off was saved without enabling it",
            "WebSockets turned off",
            "WebSockets set to follow the integration's default (on)",
        ]
    );
    // The history page shows them.
    let page = client.portal.get(&format!("/cdn/resources/{id}/history"), Some(&client.cookie)).await;
    assert!(page.body.contains("a setting of off was saved without enabling it"), "{}", page.body);
}

/// The portal's switch shows the value in force; saving it changed stores the customer's value,
/// enabled, whatever setting the API left; saving it unchanged keeps that setting.
#[tokio::test]
async fn the_portal_shows_the_value_in_force_and_its_save_enables_the_value() {
    let client = Client::new().await;
    let (id, _) = client.create("cdn.example.com", "entire_website", None).await;
    client.change(Method::PATCH, id, json!({"options": {"websockets": setting(false, false)}})).await;

    let content = client.portal.get(&format!("/cdn/resources/{id}/content"), Some(&client.cookie)).await;
    assert_eq!(content.status, StatusCode::OK);
    let switch = input_tag(&content.body, r#"id="websockets""#);
    assert!(switch.contains("checked"), "on, the default in force: {switch}");
    // The paragraph's text, whatever the order of its attributes; an apostrophe may be escaped.
    let note = content.body.split(r#"id="websockets-source""#).nth(1).and_then(|rest| rest.split_once('>'));
    let note = note.map(|(_, text)| text.split("</p>").next().unwrap().replace("&#x27;", "'"));
    assert_eq!(
        note.as_deref(),
        Some(
            "In effect: on (the integration's default: a setting of off was saved through the API without enabling it)."
        )
    );
    let general = client.portal.get(&format!("/cdn/resources/{id}"), Some(&client.cookie)).await;
    assert!(
        general.body.contains("a setting of off was saved through the API without enabling it"),
        "{}",
        general.body
    );

    // Saved unchanged (on): nothing changes, the API's setting stays.
    let same = client.portal.save_websockets(&client.cookie, id, 2, true).await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.body);
    assert_eq!(websockets_of(&client.get(id).await), (setting(false, false), true));
    // Saved off: the customer's value, enabled.
    let off = client.portal.save_websockets(&client.cookie, id, 2, false).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(websockets_of(&client.get(id).await), (setting(true, false), false));
    assert!(!client.edge_websockets(id).await);
}

/// Each column the options have holds what the API shows: the value in force, and the setting
/// as written (NULL while not set).
#[tokio::test]
async fn the_columns_hold_the_setting_as_written_and_the_value_in_force() {
    let client = Client::new().await;
    let (id, _) = client.create("cdn.example.com", "static_assets", None).await;
    let row = || async {
        on_db!(client.portal.pool.db(), |e| sqlx::query_as::<_, (bool, Option<bool>, Option<bool>)>(
            "SELECT websockets, websockets_enabled, websockets_value FROM cdn_resources WHERE id = $1"
        )
        .bind(id)
        .fetch_one(e)
        .await)
        .unwrap()
    };
    assert_eq!(row().await, (false, None, None));
    client.change(Method::PATCH, id, json!({"options": {"websockets": setting(false, true)}})).await;
    assert_eq!(row().await, (false, Some(false), Some(true)));
    client.change(Method::PATCH, id, json!({"options": {"websockets": setting(true, true)}})).await;
    assert_eq!(row().await, (true, Some(true), Some(true)));
    client.change(Method::PATCH, id, json!({"options": {"websockets": null}})).await;
    assert_eq!(row().await, (false, None, None));
}
