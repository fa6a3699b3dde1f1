//! TLS at the edge, both ways: the certificate a visitor's handshake gets, chosen by the name it
//! asks for (SNI) among the resources served over HTTPS, and what the edge trusts when it speaks
//! HTTPS to an origin. rustls on ring, TLS 1.3 and 1.2 only, ALPN `http/1.1` only (HTTP/2 is not
//! served).
//!
//! Everything here that costs (reading PEM, loading a key, building a client configuration) is
//! done once per configuration change, when a [`RouteTable`] is built; a handshake only looks up
//! what the table in use holds, so a replaced certificate serves the next handshake, and a
//! connection keeps the one it was made with.

use crate::body::Body;
use crate::metrics::{Metrics, UnservedName};
use crate::routes::RouteTable;
use edge_feed::TlsCertificate;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::watch;

/// The protocol versions the edge speaks, either way: TLS 1.3, then 1.2.
pub static VERSIONS: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The one application protocol offered and accepted (RFC 7301): HTTP/1.1.
const ALPN_HTTP_1_1: &[u8] = b"http/1.1";

/// The crypto provider of every TLS configuration here: ring.
pub fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())).clone()
}

/// Why a resource's certificate cannot be served. Never says anything of the key itself.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("the certificate chain has no PEM certificate")]
    NoCertificate,
    #[error("the certificate chain is not valid PEM: {0}")]
    Chain(String),
    /// The PEM parser's own message is left out: it may quote a line of the key.
    #[error("the private key is not one PEM key (PKCS #8, PKCS #1 or SEC 1)")]
    KeyPem,
    #[error("the private key cannot be used: {0}")]
    Key(String),
}

/// A resource's certificate and key, parsed and ready for handshakes. Its `Debug` shows only how
/// long the chain is: the key is never printed.
#[derive(Clone)]
pub struct ServedCertificate(pub Arc<CertifiedKey>);

impl std::fmt::Debug for ServedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServedCertificate({} certificates, key never shown)", self.0.cert.len())
    }
}

/// Reads `certificate` (PEM chain, leaf first; PEM key) into what a handshake presents; a key
/// that does not match the leaf's public key is refused.
pub fn served_certificate(certificate: &TlsCertificate) -> Result<ServedCertificate, CertificateError> {
    let chain = CertificateDer::pem_slice_iter(certificate.certificate_chain.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| CertificateError::Chain(error.to_string()))?;
    if chain.is_empty() {
        return Err(CertificateError::NoCertificate);
    }
    let key =
        PrivateKeyDer::from_pem_slice(certificate.private_key.as_bytes()).map_err(|_| CertificateError::KeyPem)?;
    let certified =
        CertifiedKey::from_der(chain, key, &provider()).map_err(|error| CertificateError::Key(error.to_string()))?;
    Ok(ServedCertificate(Arc::new(certified)))
}

/// Picks each handshake's certificate from the routes in use, by the name the visitor asked for:
/// the resource's custom domain or a secondary hostname, with HTTPS on. Any other name, or none,
/// gets no certificate, and rustls ends the handshake with an alert: no default certificate
/// tells a visitor which customers this edge serves.
pub struct SniResolver {
    routes: watch::Receiver<Arc<RouteTable>>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for SniResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SniResolver").finish_non_exhaustive()
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let Some(name) = hello.server_name() else {
            self.metrics.unserved_name(UnservedName::NoName);
            return None;
        };
        let found = self.routes.borrow().certificate(name);
        if found.is_none() {
            self.metrics.unserved_name(UnservedName::UnknownName);
        }
        found
    }
}

/// The visitors' TLS configuration: certificates by SNI from `routes` as it changes.
pub fn server_config(routes: watch::Receiver<Arc<RouteTable>>, metrics: Arc<Metrics>) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)
        .expect("ring supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SniResolver { routes, metrics }));
    config.alpn_protocols = vec![ALPN_HTTP_1_1.to_vec()];
    Arc::new(config)
}

/// The system's trusted roots (rustls-native-certs: `SSL_CERT_FILE`/`SSL_CERT_DIR`, else the
/// platform's store, `/etc/ssl/certs` on Debian), read once, on first use. None loaded is said
/// once, loudly: HTTPS to a public origin then fails verification (502), never skips it.
pub fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (added, unusable) = roots.add_parsable_certificates(found.certs);
            for error in &found.errors {
                tracing::warn!(%error, "could not read some of the system's root certificates");
            }
            if added == 0 {
                tracing::error!(
                    "no system root certificates loaded (install ca-certificates, or set SSL_CERT_FILE): \
                     HTTPS to origins is verified against each resource's trusted CAs alone"
                );
            } else {
                tracing::info!(added, unusable, "system root certificates loaded for HTTPS to origins");
            }
            Arc::new(roots)
        })
        .clone()
}

/// The edge's TLS client configuration for a resource's origins: the system's roots, plus
/// `origin_ca` (PEM, the customer's trusted CAs) when given. A bundle with nothing usable is
/// logged once and left out: verification goes on against the system's roots alone. Resources
/// without their own CAs share one configuration.
pub fn origin_client_config(resource: i64, origin_ca: Option<&str>) -> Arc<ClientConfig> {
    static SHARED: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    let Some(bundle) = origin_ca else {
        return SHARED.get_or_init(|| client_config(system_roots())).clone();
    };
    let mut roots = (*system_roots()).clone();
    let parsed: Vec<_> = CertificateDer::pem_slice_iter(bundle.as_bytes()).collect();
    let (mut added, mut unusable) = (0, 0);
    for certificate in parsed {
        match certificate.map(|certificate| roots.add(certificate)) {
            Ok(Ok(())) => added += 1,
            _ => unusable += 1,
        }
    }
    if added == 0 || unusable > 0 {
        tracing::warn!(resource, added, unusable, "some of the resource's trusted CA certificates are unusable");
    }
    client_config(Arc::new(roots))
}

fn client_config(roots: Arc<RootCertStore>) -> Arc<ClientConfig> {
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![ALPN_HTTP_1_1.to_vec()];
    Arc::new(config)
}

/// How the edge speaks HTTPS to one resource's origins: its client configuration, and the pool
/// of connections its requests reuse. The pool is the resource's own (made on first use): a
/// connection verified against one resource's trusted CAs never carries another's requests.
pub struct OriginTls {
    pub config: Arc<ClientConfig>,
    client: OnceLock<Client<HttpsConnector<HttpConnector>, Body>>,
}

impl std::fmt::Debug for OriginTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OriginTls").field("client_made", &self.client.get().is_some()).finish_non_exhaustive()
    }
}

impl OriginTls {
    pub fn new(config: Arc<ClientConfig>) -> Self {
        Self { config, client: OnceLock::new() }
    }

    /// The client for ordinary requests: HTTPS only, each connection within `connect_timeout`
    /// for its TCP connection (the TLS handshake then runs within the response timeout, as the
    /// request does), the origin's name as SNI (none for an address).
    pub fn client(&self, connect_timeout: Duration) -> &Client<HttpsConnector<HttpConnector>, Body> {
        self.client.get_or_init(|| {
            let mut http = HttpConnector::new();
            http.set_connect_timeout(Some(connect_timeout));
            http.set_nodelay(true);
            http.enforce_http(false);
            // The connector offers ALPN `http/1.1` itself, and refuses a configuration that
            // already names protocols.
            let mut config = (*self.config).clone();
            config.alpn_protocols.clear();
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(config)
                .https_only()
                .enable_http1()
                .wrap_connector(http);
            Client::builder(TokioExecutor::new()).build(connector)
        })
    }
}

/// The name an origin's certificate must carry, from its `host:port`: a DNS name (sent as SNI),
/// or an IP address (no SNI; the certificate must list the address). `None` for neither.
pub fn origin_server_name(address: &str) -> Option<ServerName<'static>> {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_owned()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_names_are_dns_names_or_addresses() {
        assert!(matches!(origin_server_name("origin.example.com:443"), Some(ServerName::DnsName(_))));
        assert!(matches!(origin_server_name("127.0.0.1:8443"), Some(ServerName::IpAddress(_))));
        assert!(matches!(origin_server_name("[::1]:443"), Some(ServerName::IpAddress(_))));
    }

    #[test]
    fn a_certificate_that_is_not_pem_is_refused_without_quoting_the_key() {
        let secret = "-----BEGIN PRIVATE KEY-----\nSECRET-LINE\n-----END PRIVATE KEY-----\n";
        let missing = TlsCertificate { id: 1, certificate_chain: String::new(), private_key: secret.into() };
        assert_eq!(served_certificate(&missing).unwrap_err(), CertificateError::NoCertificate);
        let generated = rcgen::generate_simple_self_signed(vec!["a.example".to_owned()]).unwrap();
        let bad_key = TlsCertificate { id: 1, certificate_chain: generated.cert.pem(), private_key: secret.into() };
        let error = served_certificate(&bad_key).unwrap_err().to_string();
        assert!(!error.contains("SECRET"), "{error}");
        let other = rcgen::generate_simple_self_signed(vec!["b.example".to_owned()]).unwrap();
        let mismatched = TlsCertificate {
            id: 1,
            certificate_chain: generated.cert.pem(),
            private_key: other.signing_key.serialize_pem(),
        };
        assert!(matches!(served_certificate(&mismatched), Err(CertificateError::Key(_))));
        let good = TlsCertificate {
            id: 1,
            certificate_chain: generated.cert.pem(),
            private_key: generated.signing_key.serialize_pem(),
        };
        let served = served_certificate(&good).unwrap();
        assert_eq!(format!("{served:?}"), "ServedCertificate(1 certificates, key never shown)");
    }
}
