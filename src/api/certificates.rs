//! Server functions for an account's certificates, both kinds ([`CertificateKind`]: SSL
//! certificates, Gcore's `sslData`, and trusted CA certificates), and a resource's HTTPS
//! settings. Thin: the rules are in `crate::server::certificates` and `crate::server::resources`.
//! A private key comes in, never goes out: no answer and no kept form value carries it.

use crate::error::AppError;
use crate::model::{CdnResource, Certificate, CertificateKind};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    domain::Timestamp,
    model::{parse_origin_protocol, resource_path},
    server::{certificates, request, resources},
};

/// The signed-in account's certificates of this kind, by name, with the resources that use each.
#[server(prefix = "/api", endpoint = "list_certificates")]
pub async fn list_certificates(kind: CertificateKind) -> Result<Vec<Certificate>, AppError> {
    let account_id = request::require_account_id().await?;
    let pool = request::pool()?;
    match kind {
        CertificateKind::Ssl => certificates::list(&pool, account_id).await,
        CertificateKind::TrustedCa => certificates::list_cas(&pool, account_id).await,
    }
}

/// One of the signed-in account's certificates of this kind, with the resources that use it.
#[server(prefix = "/api", endpoint = "get_certificate")]
pub async fn get_certificate(kind: CertificateKind, id: i64) -> Result<Certificate, AppError> {
    let account_id = request::require_account_id().await?;
    let pool = request::pool()?;
    match kind {
        CertificateKind::Ssl => certificates::get(&pool, account_id, id).await,
        CertificateKind::TrustedCa => certificates::get_ca(&pool, account_id, id).await,
    }
}

/// The private key a form sent, which an SSL certificate needs and a trusted CA has none of:
/// [`AppError::Invalid`] on `private_key` otherwise.
#[cfg(feature = "ssr")]
fn private_key_for(kind: CertificateKind, private_key: Option<&str>) -> Result<&str, AppError> {
    match (kind.has_private_key(), private_key) {
        (true, Some(key)) => Ok(key),
        (true, None) => Err(AppError::invalid_field("private_key", "Paste the certificate's private key (PEM).")),
        (false, None) => Ok(""),
        (false, Some(_)) => {
            Err(AppError::invalid_field("private_key", "A trusted CA certificate is uploaded without a private key."))
        }
    }
}

/// Uploads a certificate of this kind under `name`: `certificate` PEM (an SSL certificate's
/// chain, the site's certificate first; a CA's certificates), `private_key` the SSL
/// certificate's PEM key (none for a CA). Answers its id, and a plain form post opens its page.
/// Each problem is [`AppError::Invalid`] on `name`, `certificate` or `private_key`; only the name
/// is kept for the form drawn anew.
#[server(prefix = "/api", endpoint = "create_certificate")]
pub async fn create_certificate(
    kind: CertificateKind,
    name: String,
    certificate: String,
    private_key: Option<String>,
) -> Result<i64, AppError> {
    let account_id = request::require_account_id().await?;
    let created = async {
        let key = private_key_for(kind, private_key.as_deref())?;
        let pool = request::pool()?;
        match kind {
            CertificateKind::Ssl => certificates::create(&pool, account_id, &name, &certificate, key).await,
            CertificateKind::TrustedCa => certificates::create_ca(&pool, account_id, &name, &certificate).await,
        }
    }
    .await
    .map_err(|error| error.keeping_entered([("name", name.as_str())]))?;
    if request::is_plain_form_post() {
        leptos_axum::redirect(&kind.path(created.id));
    }
    Ok(created.id)
}

/// Replaces a certificate of this kind, as loaded at `version` (name and PEM together, and an SSL
/// certificate's key); an SSL certificate must still cover every resource using it with HTTPS
/// on. Edges use the new one within a second.
#[server(prefix = "/api", endpoint = "replace_certificate")]
pub async fn replace_certificate(
    kind: CertificateKind,
    id: i64,
    version: i64,
    name: String,
    certificate: String,
    private_key: Option<String>,
) -> Result<(), AppError> {
    let account_id = request::require_account_id().await?;
    let replaced = async {
        let key = private_key_for(kind, private_key.as_deref())?;
        let pool = request::pool()?;
        match kind {
            CertificateKind::Ssl => {
                certificates::replace(&pool, account_id, id, Some(version), &name, &certificate, key).await
            }
            CertificateKind::TrustedCa => {
                certificates::replace_ca(&pool, account_id, id, Some(version), &name, Some(&certificate)).await
            }
        }
    }
    .await
    .map_err(|error| error.keeping_entered([("name", name.as_str())]))?;
    request::config_committed();
    if request::is_plain_form_post() {
        leptos_axum::redirect(&format!("{}?saved=1", kind.path(replaced.id)));
    }
    Ok(())
}

/// Deletes a certificate of this kind that no resource uses, and opens the list; one in use is
/// refused ([`AppError::CertificateInUse`], [`AppError::TrustedCaInUse`]) naming the resources.
#[server(prefix = "/api", endpoint = "delete_certificate")]
pub async fn delete_certificate(kind: CertificateKind, id: i64) -> Result<(), AppError> {
    let account_id = request::require_account_id().await?;
    let pool = request::pool()?;
    match kind {
        CertificateKind::Ssl => certificates::delete(&pool, account_id, id, None).await?,
        CertificateKind::TrustedCa => certificates::delete_ca(&pool, account_id, id).await?,
    }
    leptos_axum::redirect(kind.list_path());
    Ok(())
}

/// Saves a resource's HTTPS settings, as loaded at `version`: `ssl_enabled` a ticked box
/// (present when on), `ssl_data` a certificate's id or empty for none, `origin_protocol` Gcore's
/// `HTTP`, `HTTPS` or `MATCH`, `proxy_ssl_ca` a trusted CA's id or empty for the public roots
/// only. HTTPS on needs a certificate of the account that covers the custom domain and every
/// secondary hostname ([`AppError::Invalid`] on `ssl_data`); a bad protocol or CA is
/// [`AppError::Invalid`] on `origin_protocol` or `proxy_ssl_ca`.
#[server(prefix = "/api", endpoint = "save_https_settings")]
pub async fn save_https_settings(
    resource_id: i64,
    version: i64,
    ssl_enabled: Option<String>,
    ssl_data: String,
    origin_protocol: String,
    proxy_ssl_ca: String,
) -> Result<CdnResource, AppError> {
    let actor = request::portal_actor().await?;
    let saved = async {
        let ssl_data = chosen_id(&ssl_data, "ssl_data", "Choose one of your SSL certificates, or none.")?;
        let proxy_ssl_ca = chosen_id(
            &proxy_ssl_ca,
            "proxy_ssl_ca",
            "Choose one of your trusted CA certificates, or the public roots only.",
        )?;
        let protocol = parse_origin_protocol(&origin_protocol)
            .map_err(|error| AppError::invalid_field("origin_protocol", error))?;
        let update = resources::ResourceUpdate {
            ssl_enabled: Some(ssl_enabled.is_some()),
            ssl_data: Some(ssl_data),
            origin_protocol: Some(protocol),
            proxy_ssl_ca: Some(proxy_ssl_ca),
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
            ("proxy_ssl_ca", proxy_ssl_ca.as_str()),
        ])
    })?;
    if request::is_plain_form_post() {
        leptos_axum::redirect(&format!("{}?saved=1", resource_path(saved.id)));
    }
    Ok(saved)
}

/// A `<select>`'s id, or `None` for its empty choice; anything else is [`AppError::Invalid`] on
/// `field` with `message`.
#[cfg(feature = "ssr")]
fn chosen_id(value: &str, field: &str, message: &str) -> Result<Option<i64>, AppError> {
    match value.trim() {
        "" => Ok(None),
        id => {
            id.parse::<i64>().ok().filter(|id| *id > 0).map(Some).ok_or_else(|| AppError::invalid_field(field, message))
        }
    }
}
