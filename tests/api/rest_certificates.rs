//! `/cdn/sslData` over HTTP as Gcore's SDK calls it (issue 20), and a resource's `sslEnabled`,
//! `sslData` and `originProtocol`: shapes, the key never sent back, refusals named (422, or 409
//! for what the stored certificate refuses), other accounts' certificates 404, a certificate in
//! use refused deletion naming its resources.

use crate::helpers::certs::certificate_for;
use crate::helpers::*;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn token(portal: &TestPortal, email: &str) -> String {
    let cookie = portal.customer(email).await;
    portal.api_token(&cookie, "deploy", None).await.secret
}

fn upload(name: &str, names: &[&str]) -> Value {
    let made = certificate_for(names);
    json!({"name": name, "sslCertificate": made.chain, "sslPrivateKey": made.key})
}

fn errors_name(reply: &Reply, status: StatusCode, field: &str) -> String {
    assert_eq!(reply.status, status, "{}", reply.body);
    let body = reply.json();
    let message = body["errors"][field].as_str().unwrap_or_else(|| panic!("{field}: {body}")).to_owned();
    assert!(!message.is_empty());
    message
}

#[tokio::test]
async fn certificates_are_uploaded_read_replaced_and_deleted_in_gcores_shape() {
    let portal = spawn_portal().await;
    let secret = token(&portal, "ada%40example.com").await;
    let created = portal
        .api(&secret, Method::POST, "/cdn/sslData", Some(upload("Site", &["example.com", "*.example.com"])))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(!created.body.contains("PRIVATE KEY"), "{}", created.body);
    let body = created.json();
    let id = body["id"].as_i64().unwrap();
    let path = format!("/cdn/sslData/{id}");
    assert_eq!(created.header("location"), Some(path.as_str()));
    assert_eq!(body["name"], "Site");
    assert_eq!(body["cert_subject_cn"], "example.com");
    assert_eq!(body["cert_subject_alt"], "example.com,*.example.com");
    assert_eq!(body["cert_issuer"], "CN=Edgeport Test CA");
    assert!(body["validity_not_before"].as_str().unwrap().ends_with('Z'));
    assert!(body["validity_not_after"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["hasRelatedResources"], false);
    assert_eq!(portal.api(&secret, Method::GET, &path, None).await.json(), body);
    let page = portal.api(&secret, Method::GET, "/cdn/sslData?limit=1000", None).await;
    assert_eq!(page.json()["count"], 1);
    assert_eq!(page.json()["results"][0]["id"], id);
    assert_eq!(portal.api(&secret, Method::GET, "/cdn/sslData", None).await.json(), json!([body]));
    let filter = portal.api(&secret, Method::GET, "/cdn/sslData?automated=true", None).await;
    errors_name(&filter, StatusCode::BAD_REQUEST, "automated");

    // Refusals name their field; nothing is stored.
    let mut not_pem = upload("Other", &["example.com"]);
    not_pem["sslCertificate"] = json!("not a certificate");
    let reply = portal.api(&secret, Method::POST, "/cdn/sslData", Some(not_pem)).await;
    assert!(errors_name(&reply, StatusCode::UNPROCESSABLE_ENTITY, "sslCertificate").contains("PEM"));
    let mut mismatched = upload("Other", &["example.com"]);
    mismatched["sslPrivateKey"] = upload("x", &["example.com"])["sslPrivateKey"].clone();
    let reply = portal.api(&secret, Method::POST, "/cdn/sslData", Some(mismatched)).await;
    assert!(errors_name(&reply, StatusCode::UNPROCESSABLE_ENTITY, "sslPrivateKey").contains("does not match"));
    let mut automated = upload("Other", &["example.com"]);
    automated["automated"] = json!(true);
    let reply = portal.api(&secret, Method::POST, "/cdn/sslData", Some(automated)).await;
    errors_name(&reply, StatusCode::UNPROCESSABLE_ENTITY, "automated");
    let mut validated = upload("Other", &["example.com"]);
    validated["validate_root_ca"] = json!(true);
    let reply = portal.api(&secret, Method::POST, "/cdn/sslData", Some(validated)).await;
    errors_name(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validate_root_ca");
    let taken = portal.api(&secret, Method::POST, "/cdn/sslData", Some(upload("Site", &["example.com"]))).await;
    errors_name(&taken, StatusCode::CONFLICT, "name");
    assert_eq!(portal.api(&secret, Method::GET, "/cdn/sslData", None).await.json().as_array().unwrap().len(), 1);

    // Another account's certificate is not found, on its path and as a resource's sslData.
    let bob = token(&portal, "bob%40example.com").await;
    assert_eq!(portal.api(&bob, Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(portal.api(&bob, Method::DELETE, &path, None).await.status, StatusCode::NOT_FOUND);
    let foreign = json!({"cname": "a.example.com", "origin": "origin.example.com", "sslEnabled": true, "sslData": id});
    let reply = portal.api(&bob, Method::POST, "/cdn/resources", Some(foreign)).await;
    errors_name(&reply, StatusCode::NOT_FOUND, "sslData");

    // A resource with HTTPS on, its certificate covering its names.
    let resource = json!({
        "cname": "a.example.com", "origin": "origin.example.com",
        "sslEnabled": true, "sslData": id, "originProtocol": "MATCH",
    });
    let made = portal.api(&secret, Method::POST, "/cdn/resources", Some(resource)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let resource = made.json();
    assert_eq!((resource["sslEnabled"].clone(), resource["sslData"].clone()), (json!(true), json!(id)));
    assert_eq!(resource["originProtocol"], "MATCH");
    let resource_path = format!("/cdn/resources/{}", resource["id"]);
    // A body that contradicts itself is 422; one the document allows that the stored
    // certificate (or its absence) refuses is 409.
    let reply = portal
        .api(&secret, Method::PATCH, &resource_path, Some(json!({"secondaryHostnames": ["b.a.example.com"]})))
        .await;
    assert!(errors_name(&reply, StatusCode::CONFLICT, "sslData").contains("does not cover b.a.example.com"));
    let reply = portal.api(&secret, Method::PATCH, &resource_path, Some(json!({"originProtocol": "FTP"}))).await;
    errors_name(&reply, StatusCode::UNPROCESSABLE_ENTITY, "originProtocol");
    let reply = portal.api(&secret, Method::PATCH, &resource_path, Some(json!({"sslData": null}))).await;
    assert!(errors_name(&reply, StatusCode::CONFLICT, "sslData").contains("Choose an SSL certificate"));
    let both = json!({"sslEnabled": true, "sslData": null});
    let reply = portal.api(&secret, Method::PATCH, &resource_path, Some(both)).await;
    assert!(errors_name(&reply, StatusCode::UNPROCESSABLE_ENTITY, "sslData").contains("HTTPS on needs a certificate"));
    let without = json!({"cname": "b.example.com", "origin": "origin.example.com", "sslEnabled": true});
    let reply = portal.api(&secret, Method::POST, "/cdn/resources", Some(without)).await;
    assert!(errors_name(&reply, StatusCode::UNPROCESSABLE_ENTITY, "sslData").contains("HTTPS on needs a certificate"));
    let plain = json!({"cname": "c.example.com", "origin": "origin.example.com"});
    let plain = portal.api(&secret, Method::POST, "/cdn/resources", Some(plain)).await.json();
    let plain_path = format!("/cdn/resources/{}", plain["id"]);
    let reply = portal.api(&secret, Method::PATCH, &plain_path, Some(json!({"sslEnabled": true}))).await;
    assert!(errors_name(&reply, StatusCode::CONFLICT, "sslData").contains("Choose an SSL certificate"));
    assert_eq!(portal.api(&secret, Method::GET, &plain_path, None).await.json()["sslEnabled"], false);

    // In use: a replacement must cover it, a deletion is refused naming it.
    let reply = portal.api(&secret, Method::PUT, &path, Some(upload("Site", &["b.example.com"]))).await;
    assert!(errors_name(&reply, StatusCode::UNPROCESSABLE_ENTITY, "sslCertificate").contains("a.example.com"));
    let replaced = portal.api(&secret, Method::PUT, &path, Some(upload("Renamed", &["*.example.com"]))).await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(
        (replaced.json()["name"].clone(), replaced.json()["hasRelatedResources"].clone()),
        (json!("Renamed"), json!(true))
    );
    let refused = portal.api(&secret, Method::DELETE, &path, None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("a.example.com"), "{}", refused.body);

    // Off and without a certificate, the resource lets it go.
    let off =
        portal.api(&secret, Method::PATCH, &resource_path, Some(json!({"sslEnabled": false, "sslData": null}))).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!((off.json()["sslEnabled"].clone(), off.json()["sslData"].clone()), (json!(false), Value::Null));
    assert_eq!(portal.api(&secret, Method::DELETE, &path, None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(portal.api(&secret, Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
}

/// `/cdn/sslCertificates` as Gcore's SDK calls it (`trusted_ca_certificates`): uploaded, read,
/// listed, renamed and replaced, refusals named, other accounts' 404, deleted; in use (chosen
/// for a resource) refused deletion naming the resource.
#[tokio::test]
async fn trusted_ca_certificates_are_uploaded_read_replaced_and_deleted_in_gcores_shape() {
    use crate::helpers::certs::ca_certificate;
    let portal = spawn_portal().await;
    let secret = token(&portal, "ada%40example.com").await;
    let upload = json!({"name": "Private", "sslCertificate": ca_certificate("Origin CA")});
    let created = portal.api(&secret, Method::POST, "/cdn/sslCertificates", Some(upload)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let body = created.json();
    let id = body["id"].as_i64().unwrap();
    let path = format!("/cdn/sslCertificates/{id}");
    assert_eq!(created.header("location"), Some(path.as_str()));
    assert_eq!(body["name"], "Private");
    assert_eq!(body["cert_subject_cn"], "Origin CA");
    assert_eq!(body["cert_issuer"], "CN=Origin CA");
    assert_eq!(body["hasRelatedResources"], false);
    assert!(body["validity_not_after"].as_str().unwrap().ends_with('Z'));
    assert_eq!(portal.api(&secret, Method::GET, &path, None).await.json(), body);
    assert_eq!(portal.api(&secret, Method::GET, "/cdn/sslCertificates", None).await.json(), json!([body]));
    let page = portal.api(&secret, Method::GET, "/cdn/sslCertificates?limit=10&offset=0", None).await;
    assert_eq!((page.json()["count"].clone(), page.json()["results"][0]["id"].clone()), (json!(1), json!(id)));
    let filter = portal.api(&secret, Method::GET, "/cdn/sslCertificates?resource_id=3", None).await;
    errors_name(&filter, StatusCode::BAD_REQUEST, "resource_id");

    // Refusals name their field; nothing is stored.
    let reply = portal
        .api(&secret, Method::POST, "/cdn/sslCertificates", Some(json!({"name": "Other", "sslCertificate": "nope"})))
        .await;
    assert!(errors_name(&reply, StatusCode::UNPROCESSABLE_ENTITY, "sslCertificate").contains("PEM"));
    let taken = json!({"name": "Private", "sslCertificate": ca_certificate("Another CA")});
    errors_name(
        &portal.api(&secret, Method::POST, "/cdn/sslCertificates", Some(taken)).await,
        StatusCode::CONFLICT,
        "name",
    );
    assert_eq!(
        portal.api(&secret, Method::GET, "/cdn/sslCertificates", None).await.json().as_array().unwrap().len(),
        1
    );

    // Another account's CA is not found.
    let bob = token(&portal, "bob%40example.com").await;
    assert_eq!(portal.api(&bob, Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(portal.api(&bob, Method::DELETE, &path, None).await.status, StatusCode::NOT_FOUND);

    // Renamed as Gcore's PUT does, then its certificates replaced.
    let renamed = portal.api(&secret, Method::PUT, &path, Some(json!({"name": "Renamed"}))).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(
        (renamed.json()["name"].clone(), renamed.json()["cert_subject_cn"].clone()),
        (json!("Renamed"), json!("Origin CA"))
    );
    let replacement = json!({"name": "Renamed", "sslCertificate": ca_certificate("Renewed CA")});
    let replaced = portal.api(&secret, Method::PUT, &path, Some(replacement)).await;
    assert_eq!(replaced.json()["cert_subject_cn"], "Renewed CA", "{}", replaced.body);

    // Named by a resource (Gcore's `proxy_ssl_ca`), it is not deleted; the refusal names the
    // resource. Another account's CA, or none, is 404 under `proxy_ssl_ca`.
    let resource = json!({"cname": "a.example.com", "origin": "origin.example.com", "proxy_ssl_ca": id});
    let made = portal.api(&secret, Method::POST, "/cdn/resources", Some(resource)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.json()["proxy_ssl_ca"], id);
    let resource_path = format!("/cdn/resources/{}", made.json()["id"]);
    let foreign = json!({"cname": "b.example.com", "origin": "origin.example.com", "proxy_ssl_ca": id});
    errors_name(
        &portal.api(&bob, Method::POST, "/cdn/resources", Some(foreign)).await,
        StatusCode::NOT_FOUND,
        "proxy_ssl_ca",
    );
    let zero = portal.api(&secret, Method::PATCH, &resource_path, Some(json!({"proxy_ssl_ca": 0}))).await;
    errors_name(&zero, StatusCode::UNPROCESSABLE_ENTITY, "proxy_ssl_ca");
    assert_eq!(portal.api(&secret, Method::GET, &path, None).await.json()["hasRelatedResources"], true);
    let in_use = portal.api(&secret, Method::DELETE, &path, None).await;
    assert_eq!(in_use.status, StatusCode::CONFLICT, "{}", in_use.body);
    assert!(in_use.body.contains("a.example.com"), "{}", in_use.body);
    let cleared = portal.api(&secret, Method::PATCH, &resource_path, Some(json!({"proxy_ssl_ca": null}))).await;
    assert_eq!((cleared.status, cleared.json()["proxy_ssl_ca"].clone()), (StatusCode::OK, Value::Null));
    assert_eq!(portal.api(&secret, Method::DELETE, &path, None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(portal.api(&secret, Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
}
