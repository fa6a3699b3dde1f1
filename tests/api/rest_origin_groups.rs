//! `/cdn/origin_groups` over HTTP as Gcore's SDK calls it (issue 19): its shapes, paging,
//! ETags and `If-Match`, other accounts' groups as 404, unknown fields and parameters named,
//! and a group in use refused deletion naming its resources.

use crate::helpers::*;
use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

async fn token(portal: &TestPortal, email: &str) -> String {
    let cookie = portal.customer(email).await;
    portal.api_token(&cookie, "deploy", None).await.secret
}

fn main_group() -> Value {
    json!({
        "name": "Main",
        "sources": [
            {"source": "a.example.com", "enabled": true, "backup": false},
            {"source": "b.example.com:8080", "backup": true},
        ],
        "use_next": true,
        "proxy_next_upstream": ["error", "http_502"],
        "auth_type": "none",
    })
}

fn errors_name(reply: &Reply, status: StatusCode, field: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let body = reply.json();
    assert!(body["errors"][field].as_str().is_some_and(|message| !message.is_empty()), "{field}: {body}");
}

#[tokio::test]
async fn origin_groups_are_created_read_changed_and_deleted_in_gcores_shape() {
    let portal = spawn_portal().await;
    let secret = token(&portal, "ada%40example.com").await;
    let created = portal.api(&secret, Method::POST, "/cdn/origin_groups", Some(main_group())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_i64().unwrap();
    let path = format!("/cdn/origin_groups/{id}");
    assert_eq!(created.header("location"), Some(path.as_str()));
    assert_eq!(created.etag(), format!("\"{id}.1\""));
    assert_eq!(
        created.json(),
        json!({
            "id": id, "name": "Main",
            "sources": [
                {"source": "a.example.com", "enabled": true, "backup": false},
                {"source": "b.example.com:8080", "enabled": true, "backup": true},
            ],
            "use_next": true, "proxy_next_upstream": ["error", "http_502"],
            "has_related_resources": false, "auth_type": "none",
        })
    );
    assert_eq!(portal.api(&secret, Method::GET, &path, None).await.json(), created.json());

    // Gcore's list: a page with limit or offset (its SDK always sends limit), else an array.
    let page = portal.api(&secret, Method::GET, "/cdn/origin_groups?limit=1000", None).await;
    assert_eq!(page.json()["count"], 1);
    assert_eq!(page.json()["results"][0]["id"], id);
    let all = portal.api(&secret, Method::GET, "/cdn/origin_groups?has_related_resources=false&name=Main", None).await;
    assert_eq!(all.json().as_array().map(Vec::len), Some(1), "{}", all.body);
    let none = portal.api(&secret, Method::GET, "/cdn/origin_groups?sources=c.example.com", None).await;
    assert_eq!(none.json(), json!([]));
    let unknown = portal.api(&secret, Method::GET, "/cdn/origin_groups?colour=red", None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.json()["message"].as_str().unwrap().contains("colour"), "{}", unknown.body);

    // PATCH changes what it names; `use_next` alone is checked against the stored cases.
    let patched = portal
        .api_with(&secret, Method::PATCH, &path, &[(header::IF_MATCH, "\"1.1\"")], Some(json!({"use_next": false})))
        .await;
    assert_eq!((patched.status, patched.etag()), (StatusCode::OK, format!("\"{id}.2\"").as_str()), "{}", patched.body);
    assert_eq!(patched.json()["proxy_next_upstream"], json!(["error", "http_502"]));
    // On with no case: 422 when the body says both, 409 when it meets the stored cases.
    let both = json!({"use_next": true, "proxy_next_upstream": []});
    let refused = portal.api(&secret, Method::PATCH, &path, Some(both)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let emptied = portal.api(&secret, Method::PATCH, &path, Some(json!({"proxy_next_upstream": []}))).await;
    assert_eq!(emptied.status, StatusCode::OK, "{}", emptied.body);
    let on = portal.api(&secret, Method::PATCH, &path, Some(json!({"use_next": true}))).await;
    assert_eq!(on.status, StatusCode::CONFLICT, "{}", on.body);
    assert!(on.json()["errors"]["proxy_next_upstream"].is_string(), "{}", on.body);
    let restored = json!({"proxy_next_upstream": ["error", "http_502"]});
    assert_eq!(portal.api(&secret, Method::PATCH, &path, Some(restored)).await.status, StatusCode::OK);
    let outdated = portal
        .api_with(&secret, Method::PATCH, &path, &[(header::IF_MATCH, "\"1.1\"")], Some(json!({"name": "Late"})))
        .await;
    assert_eq!(outdated.status, StatusCode::CONFLICT, "{}", outdated.body);
    // PUT sets every setting: those left out return to their defaults.
    let replaced = portal
        .api(
            &secret,
            Method::PUT,
            &path,
            Some(json!({"name": "Edge", "sources": [{"source": "c.example.com"}], "use_next": false})),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(
        (&replaced.json()["name"], &replaced.json()["proxy_next_upstream"], &replaced.json()["sources"]),
        (
            &json!("Edge"),
            &json!(["error", "timeout"]),
            &json!([{"source": "c.example.com", "enabled": true, "backup": false}])
        )
    );

    let deleted = portal.api(&secret, Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let gone = portal.api(&secret, Method::GET, &path, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(gone.json()["message"].as_str().unwrap().contains("no origin group"), "{}", gone.body);
}

#[tokio::test]
async fn bad_bodies_are_refused_by_field_and_other_accounts_groups_are_not_found() {
    let portal = spawn_portal().await;
    let secret = token(&portal, "ada%40example.com").await;
    let other = token(&portal, "bob%40example.com").await;
    let created = portal.api(&secret, Method::POST, "/cdn/origin_groups", Some(main_group())).await;
    let id = created.json()["id"].as_i64().unwrap();
    let path = format!("/cdn/origin_groups/{id}");

    let mut unknown = main_group();
    unknown["sources"][0]["host_header_override"] = json!("x.example.com");
    let with = |field: &str, value: Value| {
        let mut body = main_group();
        body["name"] = json!("Other");
        body[field] = value;
        body
    };
    for (body, status, field) in [
        (unknown, StatusCode::BAD_REQUEST, "sources[0].host_header_override"),
        (with("colour", json!("red")), StatusCode::BAD_REQUEST, "colour"),
        // A name the account's other group has: a conflict with what is stored, as a taken cname.
        (main_group(), StatusCode::CONFLICT, "name"),
        (with("name", json!(" ")), StatusCode::UNPROCESSABLE_ENTITY, "name"),
        (with("sources", json!([])), StatusCode::UNPROCESSABLE_ENTITY, "sources"),
        (
            with("sources", json!([{"source": "http://a.example.com"}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "sources[0].source",
        ),
        (
            with("sources", json!([{"source": "a.example.com", "backup": true}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "sources",
        ),
        (with("proxy_next_upstream", json!([])), StatusCode::UNPROCESSABLE_ENTITY, "proxy_next_upstream"),
        (with("proxy_next_upstream", json!(["http_418"])), StatusCode::UNPROCESSABLE_ENTITY, "proxy_next_upstream"),
        (with("auth_type", json!("awsSignatureV4")), StatusCode::UNPROCESSABLE_ENTITY, "auth_type"),
    ] {
        let reply = portal.api(&secret, Method::POST, "/cdn/origin_groups", Some(body.clone())).await;
        errors_name(&reply, status, field);
    }
    let listed = portal.api(&secret, Method::GET, "/cdn/origin_groups", None).await;
    assert_eq!(listed.json().as_array().map(Vec::len), Some(1), "nothing else was saved");

    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"name": "Mine"}))),
        (Method::PUT, Some(main_group())),
        (Method::DELETE, None),
    ] {
        let reply = portal.api(&other, method.clone(), &path, body).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method}: {}", reply.body);
    }
    for method in [Method::GET, Method::PATCH] {
        let reply = portal.api(&secret, method, "/cdn/origin_groups/x", Some(json!({}))).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert!(reply.json()["message"].as_str().unwrap().contains("no origin group"), "{}", reply.body);
    }
    let theirs = portal.api(&other, Method::GET, "/cdn/origin_groups", None).await;
    assert_eq!(theirs.json(), json!([]));
    assert_eq!(portal.api(&secret, Method::GET, &path, None).await.etag(), format!("\"{id}.1\""), "unchanged");
}

#[tokio::test]
async fn a_group_in_use_is_not_deleted_and_the_answer_names_its_resources() {
    let portal = spawn_portal().await;
    let secret = token(&portal, "ada%40example.com").await;
    let id = portal.api(&secret, Method::POST, "/cdn/origin_groups", Some(main_group())).await.json()["id"]
        .as_i64()
        .unwrap();
    for cname in ["b.example.com", "a.example.com"] {
        let body = json!({"cname": cname, "originGroup": id});
        assert_eq!(portal.api(&secret, Method::POST, "/cdn/resources", Some(body)).await.status, StatusCode::CREATED);
    }
    let path = format!("/cdn/origin_groups/{id}");
    assert_eq!(portal.api(&secret, Method::GET, &path, None).await.json()["has_related_resources"], true);
    let refused = portal.api(&secret, Method::DELETE, &path, None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    let message = refused.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("a.example.com, b.example.com"), "{message}");
    assert_eq!(portal.api(&secret, Method::GET, &path, None).await.status, StatusCode::OK);
}
