//! Server functions for SSL certificates (Gcore's `sslData`) and a resource's HTTPS settings.
//! Thin: the rules are in `crate::server::certificates` and `crate::server::resources`. A
//! private key comes in, never goes out: no answer and no kept form value carries it.

use crate::error::AppError;
use crate::model::{CdnResource, Certificate};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    domain::Timestamp,
    model::{CERTIFICATES_PATH, certificate_path, parse_origin_protocol, resource_path},
    server::{certificates, request, resources},
};

/// The signed-in account's certificates, by name, with the resources that use each.
#[server(prefix = "/api", endpoint = "list_certificates")]
pub async fn list_certificates() -> Result<Vec<Certificate>, AppError> {
    let account_id = request::require_account_id().await?;
    certificates::list(&request::pool()?, account_id).await
}

/// One of the signed-in account's certificates, with the resources that use it.
#[server(prefix = "/api", endpoint = "get_certificate")]
pub async fn get_certificate(id: i64) -> Result<Certificate, AppError> {
    let account_id = request::require_account_id().await?;
    certificates::get(&request::pool()?, account_id, id).await
}

/// Uploads a certificate under `name`: `certificate` the PEM chain (the site's certificate
/// first), `private_key` its PEM key. Answers its id, and a plain form post opens its page.
/// Each problem is [`AppError::Invalid`] on `name`, `certificate` or `private_key`; only the name
/// is kept for the form drawn anew.
#[server(prefix = "/api", endpoint = "create_certificate")]
pub async fn create_certificate(name: String, certificate: String, private_key: String) -> Result<i64, AppError> {
    let account_id = request::require_account_id().await?;
    let created = certificates::create(&request::pool()?, account_id, &name, &certificate, &private_key)
        .await
        .map_err(|error| error.keeping_entered([("name", name.as_str())]))?;
    if request::is_plain_form_post() {
        leptos_axum::redirect(&certificate_path(created.id));
    }
    Ok(created.id)
}

/// Replaces a certificate, as loaded at `version` (name, chain and key together); it must still
/// cover every resource using it with HTTPS on. Edges present the new one within a second.
#[server(prefix = "/api", endpoint = "replace_certificate")]
pub async fn replace_certificate(
    id: i64,
    version: i64,
    name: String,
    certificate: String,
    private_key: String,
) -> Result<(), AppError> {
    let account_id = request::require_account_id().await?;
    let replaced =
        certificates::replace(&request::pool()?, account_id, id, Some(version), &name, &certificate, &private_key)
            .await
            .map_err(|error| error.keeping_entered([("name", name.as_str())]))?;
    request::config_committed();
    if request::is_plain_form_post() {
        leptos_axum::redirect(&format!("{}?saved=1", certificate_path(replaced.id)));
    }
    Ok(())
}

/// Deletes a certificate that no resource uses, and opens the list; one in use is refused with
/// [`AppError::CertificateInUse`] naming the resources.
#[server(prefix = "/api", endpoint = "delete_certificate")]
pub async fn delete_certificate(id: i64) -> Result<(), AppError> {
    let account_id = request::require_account_id().await?;
    certificates::delete(&request::pool()?, account_id, id, None).await?;
    leptos_axum::redirect(CERTIFICATES_PATH);
    Ok(())
}

/// Saves a resource's HTTPS settings, as loaded at `version`: `ssl_enabled` a ticked box
/// (present when on), `ssl_data` a certificate's id or empty for none, `origin_protocol` Gcore's
/// `HTTP`, `HTTPS` or `MATCH`. HTTPS on needs a certificate of the account that covers the
/// custom domain and every secondary hostname ([`AppError::Invalid`] on `ssl_data`); a bad
/// protocol is [`AppError::Invalid`] on `origin_protocol`.
#[server(prefix = "/api", endpoint = "save_https_settings")]
pub async fn save_https_settings(
    resource_id: i64,
    version: i64,
    ssl_enabled: Option<String>,
    ssl_data: String,
    origin_protocol: String,
) -> Result<CdnResource, AppError> {
    let actor = request::portal_actor().await?;
    let saved = async {
        let ssl_data =
            match ssl_data.trim() {
                "" => None,
                id => Some(id.parse::<i64>().map_err(|_| {
                    AppError::invalid_field("ssl_data", "Choose one of your SSL certificates, or none.")
                })?),
            };
        let protocol = parse_origin_protocol(&origin_protocol)
            .map_err(|error| AppError::invalid_field("origin_protocol", error))?;
        let update = resources::ResourceUpdate {
            ssl_enabled: Some(ssl_enabled.is_some()),
            ssl_data: Some(ssl_data),
            origin_protocol: Some(protocol),
            ..Default::default()
        };
        let pool = request::pool()?;
        let saved = resources::update(&pool, &actor, resource_id, Some(version), &update, Timestamp::now()).await?;
        request::config_committed();
        Ok::<_, AppError>(saved)
    }
    .await
    .map_err(|error| {
        error.keeping_entered([
            ("ssl_enabled", if ssl_enabled.is_some() { "on" } else { "" }),
            ("ssl_data", ssl_data.as_str()),
            ("origin_protocol", origin_protocol.as_str()),
        ])
    })?;
    if request::is_plain_form_post() {
        leptos_axum::redirect(&format!("{}?saved=1", resource_path(saved.id)));
    }
    Ok(saved)
}
