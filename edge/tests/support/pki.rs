//! Certificates made at test time (rcgen, on ring): a certificate authority per test, and the
//! certificates it issues for the edge's resources and for HTTPS origins. No key is ever
//! checked in.

use edge_feed::TlsCertificate;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose, date_time_ymd,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use std::sync::Arc;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate authority of the test's own.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    /// Its certificate, PEM: what a client that trusts it is given.
    pub pem: String,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let pem = issuer.pem();
        Ca { issuer, pem }
    }

    /// A certificate for `names` (host names, or IP addresses, which become IP address
    /// names), valid from 2020 to 2100, under the portal's id `id`.
    pub fn issue(&self, id: i64, names: &[&str]) -> Issued {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>()).unwrap();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2100, 1, 1);
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        Issued {
            certificate: TlsCertificate {
                id,
                certificate_chain: format!("{}{}", certificate.pem(), self.pem),
                private_key: key.serialize_pem(),
            },
            leaf: certificate.der().clone(),
        }
    }

    /// A client that trusts this authority alone, speaking TLS 1.3 or 1.2.
    pub fn client(&self) -> Arc<ClientConfig> {
        self.client_of(rustls::DEFAULT_VERSIONS)
    }

    /// A client that trusts this authority alone and speaks only `versions`.
    pub fn client_of(&self, versions: &[&'static rustls::SupportedProtocolVersion]) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(self.pem.as_bytes()).unwrap()).unwrap();
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// A certificate as the portal sends it to the edge, and its leaf, to compare with what a
/// handshake presents.
#[derive(Clone)]
pub struct Issued {
    pub certificate: TlsCertificate,
    pub leaf: CertificateDer<'static>,
}

impl Issued {
    /// A server that presents this certificate whatever name it is asked for: an HTTPS origin.
    pub fn server(&self) -> Arc<ServerConfig> {
        let chain = CertificateDer::pem_slice_iter(self.certificate.certificate_chain.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_slice(self.certificate.private_key.as_bytes()).unwrap();
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        Arc::new(config)
    }
}

/// `name` as a TLS client names the server: a host name is sent as SNI, an IP address is not.
pub fn server_name(name: &str) -> ServerName<'static> {
    ServerName::try_from(name.to_owned()).unwrap()
}
