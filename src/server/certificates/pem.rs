//! What the portal checks of an uploaded certificate (Gcore's `sslCertificate`, a PEM chain) and
//! its private key (`sslPrivateKey`, PEM) before it keeps them, and which host names a
//! certificate covers (RFC 6125).
//!
//! PEM is read by rustls' own types (`rustls-pki-types`), what a certificate says by x509-parser,
//! and whether the key is the certificate's by rustls on ring (`CertifiedKey::keys_match`): the
//! same provider the edge loads it with, so a key the portal accepts is one the edge can use.

use crate::domain::Timestamp;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::fmt;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Why an upload was refused. Each names the problem in words a customer can act on; the REST
/// API answers 422 with it, the portal shows it beside [`CertificateProblem::field`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateProblem {
    /// The certificate field holds no PEM (`-----BEGIN …-----`) at all, or broken PEM.
    CertificateNotPem,
    /// PEM, but no `CERTIFICATE` section in it.
    NoCertificate,
    /// A `CERTIFICATE` section that is not an X.509 certificate; counted from 1.
    UnreadableCertificate { position: usize },
    /// The private key field holds no PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC).
    KeyNotPem,
    /// A key of a type or size the edge cannot sign with (ring: RSA of 2048 bits or more,
    /// ECDSA P-256 and P-384, Ed25519).
    UnsupportedKey,
    /// The key is not the one the first certificate's public key belongs to.
    KeyMismatch,
    /// The first certificate ended before now.
    Expired { not_after: Timestamp },
    /// The first certificate starts after now.
    NotYetValid { not_before: Timestamp },
    /// Certificate `position` (counted from 1) was not issued by the next one: the chain must
    /// run from the site's certificate up towards the root, each signed by the next.
    ChainOutOfOrder { position: usize },
    /// Certificate `position` (counted from 1) of a trusted CA upload is not valid now: it ends
    /// before now or starts after it.
    CaNotValidNow { position: usize, not_before: Timestamp, not_after: Timestamp },
}

impl CertificateProblem {
    /// The form field (and REST API field) the problem is in: `certificate` or `private_key`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::KeyNotPem | Self::UnsupportedKey | Self::KeyMismatch => "private_key",
            _ => "certificate",
        }
    }
}

impl fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CertificateNotPem => f.write_str(
                "The certificate is not in PEM format: paste it with its -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- lines.",
            ),
            Self::NoCertificate => f.write_str(
                "No certificate was found: the text has no -----BEGIN CERTIFICATE----- section.",
            ),
            Self::UnreadableCertificate { position } => {
                write!(f, "Certificate {position} of the chain could not be read as an X.509 certificate.")
            }
            Self::KeyNotPem => f.write_str(
                "The private key is not a PEM private key: paste it with its -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY) and -----END … lines, unencrypted.",
            ),
            Self::UnsupportedKey => f.write_str(
                "The private key's type is not supported: use an RSA key of 2048 bits or more, an ECDSA P-256 or P-384 key, or an Ed25519 key.",
            ),
            Self::KeyMismatch => f.write_str("The private key does not match the certificate."),
            Self::Expired { not_after } => {
                write!(f, "The certificate expired on {}.", not_after.to_rfc3339())
            }
            Self::NotYetValid { not_before } => {
                write!(f, "The certificate is not valid yet: it starts on {}.", not_before.to_rfc3339())
            }
            Self::ChainOutOfOrder { position } => write!(
                f,
                "The certificate chain is out of order: certificate {position} was not issued by certificate {}. Put the site's certificate first, then each issuer in turn.",
                position + 1
            ),
            Self::CaNotValidNow { position, not_before, not_after } => write!(
                f,
                "Certificate {position} is not valid now: it is valid from {} until {}.",
                not_before.to_rfc3339(),
                not_after.to_rfc3339()
            ),
        }
    }
}

impl std::error::Error for CertificateProblem {}

/// An uploaded certificate and key that passed every check, with what the portal lists of it.
/// Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckedCertificate {
    /// The chain as PEM, one `CERTIFICATE` section each, site's certificate first (what was
    /// uploaded, re-encoded: anything else in the text is dropped).
    pub chain_pem: String,
    /// The private key as PEM, re-encoded from what was uploaded.
    pub key_pem: String,
    pub subject_cn: String,
    /// Subject alternative DNS names, as written (wildcards included).
    pub subject_alt: Vec<String>,
    pub issuer: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

impl fmt::Debug for CheckedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckedCertificate")
            .field("subject_cn", &self.subject_cn)
            .field("subject_alt", &self.subject_alt)
            .field("issuer", &self.issuer)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("key_pem", &format_args!("(never shown)"))
            .finish()
    }
}

impl CheckedCertificate {
    /// Whether the certificate covers `host` (a DNS name), as RFC 6125 says: [`covers`] over its
    /// subject alternative DNS names, or its common name when it has none.
    pub fn covers(&self, host: &str) -> bool {
        covers(&self.subject_cn, &self.subject_alt, host)
    }
}

/// Checks a certificate chain and its private key, both PEM, at `now`: see
/// [`CertificateProblem`] for each refusal, in the order they are checked.
pub fn check(chain: &str, private_key: &str, now: Timestamp) -> Result<CheckedCertificate, CertificateProblem> {
    let ders = read_chain(chain)?;
    let mut parsed = Vec::with_capacity(ders.len());
    for (index, der) in ders.iter().enumerate() {
        match X509Certificate::from_der(der.as_ref()) {
            Ok((&[], certificate)) => parsed.push(certificate),
            _ => return Err(CertificateProblem::UnreadableCertificate { position: index + 1 }),
        }
    }
    for (index, pair) in parsed.windows(2).enumerate() {
        if pair[0].issuer().as_raw() != pair[1].subject().as_raw() {
            return Err(CertificateProblem::ChainOutOfOrder { position: index + 1 });
        }
    }
    let leaf = &parsed[0];
    let not_before = Timestamp::from_unix_seconds(leaf.validity().not_before.timestamp());
    let not_after = Timestamp::from_unix_seconds(leaf.validity().not_after.timestamp());

    let key = PrivateKeyDer::from_pem_slice(private_key.as_bytes()).map_err(|_| CertificateProblem::KeyNotPem)?;
    let signing_key =
        rustls::crypto::ring::sign::any_supported_type(&key).map_err(|_| CertificateProblem::UnsupportedKey)?;
    let certified = rustls::sign::CertifiedKey::new(ders.clone(), signing_key);
    match certified.keys_match() {
        Ok(()) => {}
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            return Err(CertificateProblem::KeyMismatch);
        }
        // ring's keys all give their public key; one that cannot is not one the edge could check.
        Err(_) => return Err(CertificateProblem::UnsupportedKey),
    }

    if now < not_before {
        return Err(CertificateProblem::NotYetValid { not_before });
    }
    if now >= not_after {
        return Err(CertificateProblem::Expired { not_after });
    }

    let subject_cn =
        leaf.subject().iter_common_name().next().and_then(|name| name.as_str().ok()).unwrap_or_default().to_owned();
    let subject_alt = match leaf.subject_alternative_name() {
        Ok(Some(extension)) => extension
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                _ => None,
            })
            .collect(),
        Ok(None) => Vec::new(),
        Err(_) => return Err(CertificateProblem::UnreadableCertificate { position: 1 }),
    };
    let chain_pem = ders.iter().map(|der| pem_encode("CERTIFICATE", der.as_ref())).collect();
    let key_pem = pem_encode(key_label(&key), key.secret_der());
    Ok(CheckedCertificate {
        chain_pem,
        key_pem,
        subject_cn,
        subject_alt,
        issuer: leaf.issuer().to_string(),
        not_before,
        not_after,
    })
}

/// A trusted CA upload (Gcore's `/cdn/sslCertificates`) that passed every check: its
/// certificates, and what the portal lists of the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedCa {
    /// One `CERTIFICATE` section each, in the order uploaded, re-encoded (anything else in the
    /// text is dropped): what the edges add to the roots they trust for the origin.
    pub certificates_pem: String,
    pub subject_cn: String,
    /// Subject alternative DNS names of the first certificate, as written.
    pub subject_alt: Vec<String>,
    pub issuer: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

/// Checks a trusted CA upload, PEM with one or more certificates, at `now`: each must be an
/// X.509 certificate ([`CertificateProblem::UnreadableCertificate`]) valid now
/// ([`CertificateProblem::CaNotValidNow`]). A CA (basicConstraints CA:TRUE) is what an origin's
/// chain is usually checked against, but a self-signed origin certificate trusted as it is
/// works too, so basicConstraints is not required.
pub fn check_ca(certificates: &str, now: Timestamp) -> Result<CheckedCa, CertificateProblem> {
    let ders = read_chain(certificates)?;
    let mut first = None;
    for (index, der) in ders.iter().enumerate() {
        let position = index + 1;
        let certificate = match X509Certificate::from_der(der.as_ref()) {
            Ok((&[], certificate)) => certificate,
            _ => return Err(CertificateProblem::UnreadableCertificate { position }),
        };
        let not_before = Timestamp::from_unix_seconds(certificate.validity().not_before.timestamp());
        let not_after = Timestamp::from_unix_seconds(certificate.validity().not_after.timestamp());
        if now < not_before || now >= not_after {
            return Err(CertificateProblem::CaNotValidNow { position, not_before, not_after });
        }
        if first.is_none() {
            let subject_cn = certificate
                .subject()
                .iter_common_name()
                .next()
                .and_then(|name| name.as_str().ok())
                .unwrap_or_default()
                .to_owned();
            let subject_alt = match certificate.subject_alternative_name() {
                Ok(Some(extension)) => extension
                    .value
                    .general_names
                    .iter()
                    .filter_map(|name| match name {
                        GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                        _ => None,
                    })
                    .collect(),
                Ok(None) => Vec::new(),
                Err(_) => return Err(CertificateProblem::UnreadableCertificate { position }),
            };
            first = Some((subject_cn, subject_alt, certificate.issuer().to_string(), not_before, not_after));
        }
    }
    let (subject_cn, subject_alt, issuer, not_before, not_after) = first.expect("read_chain gives one or more");
    Ok(CheckedCa {
        certificates_pem: ders.iter().map(|der| pem_encode("CERTIFICATE", der.as_ref())).collect(),
        subject_cn,
        subject_alt,
        issuer,
        not_before,
        not_after,
    })
}

/// The chain's certificates in order; no PEM at all, or broken PEM, is
/// [`CertificateProblem::CertificateNotPem`].
fn read_chain(chain: &str) -> Result<Vec<CertificateDer<'static>>, CertificateProblem> {
    if !chain.contains("-----BEGIN ") {
        return Err(CertificateProblem::CertificateNotPem);
    }
    let ders = CertificateDer::pem_slice_iter(chain.as_bytes())
        .collect::<Result<Vec<_>, pem::Error>>()
        .map_err(|_| CertificateProblem::CertificateNotPem)?;
    if ders.is_empty() {
        return Err(CertificateProblem::NoCertificate);
    }
    Ok(ders)
}

fn key_label(key: &PrivateKeyDer<'_>) -> &'static str {
    match key {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    }
}

/// RFC 7468's form: base64 in lines of 64 characters between the label's lines.
fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Whether a certificate with these names covers `host`, as RFC 6125 says: its DNS names
/// (`subject_alt`), or its common name only when it has none (§6.4.4); compared without regard
/// to ASCII case and a final dot; a wildcard only as the whole leftmost label (`*.example.com`),
/// matching exactly one label (`a.example.com`, not `example.com` nor `a.b.example.com`).
pub fn covers(subject_cn: &str, subject_alt: &[String], host: &str) -> bool {
    let host = normalise(host);
    if host.is_empty() {
        return false;
    }
    let matches = |pattern: &str| name_matches(&normalise(pattern), &host);
    if subject_alt.is_empty() {
        !subject_cn.is_empty() && matches(subject_cn)
    } else {
        subject_alt.iter().any(|name| matches(name))
    }
}

fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn name_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(parent) => {
            // A wildcard over a single label (`*.com`) would cover a whole top-level domain.
            if parent.is_empty() || !parent.contains('.') || parent.contains('*') {
                return false;
            }
            host.split_once('.').is_some_and(|(first, rest)| !first.is_empty() && rest == parent)
        }
        None => !pattern.contains('*') && pattern == host,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, IsCa, Issuer, KeyPair};

    /// A test certificate and its key, PEM, made now.
    pub(crate) struct Made {
        pub chain: String,
        pub key: String,
    }

    const DAY: i64 = 86_400;

    fn now() -> Timestamp {
        Timestamp::now()
    }

    fn params(names: &[&str], from: i64, until: i64) -> CertificateParams {
        let mut params =
            CertificateParams::new(names.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>()).unwrap();
        params.not_before = rcgen::date_time_ymd(1970, 1, 1) + std::time::Duration::from_secs(from as u64);
        params.not_after = rcgen::date_time_ymd(1970, 1, 1) + std::time::Duration::from_secs(until as u64);
        params
    }

    /// A certificate for `names` signed by a test CA, valid from a day ago for 90 days: the chain
    /// is the site's certificate, then the CA's.
    pub(crate) fn make(names: &[&str]) -> Made {
        make_valid(names, now().unix_seconds() - DAY, now().unix_seconds() + 90 * DAY)
    }

    pub(crate) fn make_valid(names: &[&str], from: i64, until: i64) -> Made {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = params(&[], from, until + DAY);
        ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "Edgeport Test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, &ca_key);
        let key = KeyPair::generate().unwrap();
        let mut leaf_params = params(names, from, until);
        leaf_params.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("none"));
        let leaf = leaf_params.signed_by(&key, &issuer).unwrap();
        Made { chain: format!("{}{}", leaf.pem(), ca.pem()), key: key.serialize_pem() }
    }

    /// A self-signed test CA (basicConstraints CA:TRUE) named `name`, valid from `from` until
    /// `until` (Unix seconds), PEM.
    pub(crate) fn make_ca(name: &str, from: i64, until: i64) -> String {
        let key = KeyPair::generate().unwrap();
        let mut ca_params = params(&[], from, until);
        ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, name);
        ca_params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn a_trusted_ca_upload_is_read_and_kept_as_it_reads_back() {
        let (from, until) = (now().unix_seconds() - DAY, now().unix_seconds() + 90 * DAY);
        let two = format!("{}\n{}", make_ca("Origin CA", from, until), make_ca("Second CA", from, until));
        let checked = check_ca(&two, now()).unwrap();
        assert_eq!(checked.subject_cn, "Origin CA");
        assert_eq!(checked.issuer, "CN=Origin CA");
        assert!(checked.subject_alt.is_empty());
        assert_eq!(checked.certificates_pem.matches("BEGIN CERTIFICATE").count(), 2);
        assert_eq!(check_ca(&checked.certificates_pem, now()).unwrap(), checked);
        // A site's chain (leaf and CA, not a CA itself at first) is read as well.
        assert!(check_ca(&make(&["origin.example.com"]).chain, now()).is_ok());
    }

    #[test]
    fn each_trusted_ca_refusal_names_its_problem() {
        let (from, until) = (now().unix_seconds() - DAY, now().unix_seconds() + 90 * DAY);
        let good = make_ca("Origin CA", from, until);
        assert_eq!(check_ca("not pem", now()), Err(CertificateProblem::CertificateNotPem));
        assert_eq!(
            check_ca("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", now()),
            Err(CertificateProblem::NoCertificate)
        );
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(
            check_ca(&format!("{good}{garbage}"), now()),
            Err(CertificateProblem::UnreadableCertificate { position: 2 })
        );
        let expired = make_ca("Old CA", from - 90 * DAY, from);
        let problem = check_ca(&format!("{good}{expired}"), now()).unwrap_err();
        assert!(matches!(problem, CertificateProblem::CaNotValidNow { position: 2, .. }), "{problem:?}");
        assert!(problem.to_string().starts_with("Certificate 2 is not valid now"), "{problem}");
        assert_eq!(problem.field(), "certificate");
        let future = make_ca("Future CA", until, until + DAY);
        assert!(matches!(check_ca(&future, now()), Err(CertificateProblem::CaNotValidNow { position: 1, .. })));
    }

    #[test]
    fn a_good_chain_and_key_are_read() {
        let made = make(&["example.com", "*.example.com"]);
        let checked = check(&made.chain, &made.key, now()).unwrap();
        assert_eq!(checked.subject_cn, "example.com");
        assert_eq!(checked.subject_alt, ["example.com", "*.example.com"]);
        assert_eq!(checked.issuer, "CN=Edgeport Test CA");
        assert!(checked.not_before < now() && now() < checked.not_after);
        assert_eq!(checked.chain_pem.matches("BEGIN CERTIFICATE").count(), 2);
        assert!(checked.key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(!format!("{checked:?}").contains("PRIVATE"), "{checked:?}");
        // What was kept reads back the same.
        assert_eq!(check(&checked.chain_pem, &checked.key_pem, now()).unwrap(), checked);
    }

    #[test]
    fn each_refusal_names_its_problem() {
        let made = make(&["example.com"]);
        let other = make(&["example.com"]);
        let refused = |chain: &str, key: &str| check(chain, key, now()).unwrap_err();
        assert_eq!(refused("not a certificate", &made.key), CertificateProblem::CertificateNotPem);
        assert_eq!(
            refused("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", &made.key),
            CertificateProblem::CertificateNotPem
        );
        assert_eq!(refused(&made.key, &made.key), CertificateProblem::NoCertificate);
        assert_eq!(
            refused("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", &made.key),
            CertificateProblem::UnreadableCertificate { position: 1 }
        );
        assert_eq!(refused(&made.chain, "key"), CertificateProblem::KeyNotPem);
        assert_eq!(refused(&made.chain, &made.chain), CertificateProblem::KeyNotPem);
        assert_eq!(refused(&made.chain, &other.key), CertificateProblem::KeyMismatch);
        let leaf_end = made.chain.find("-----END CERTIFICATE-----\n").unwrap() + 26;
        let reversed = format!("{}{}", &made.chain[leaf_end..], &made.chain[..leaf_end]);
        assert_eq!(refused(&reversed, &made.key), CertificateProblem::ChainOutOfOrder { position: 1 }, "the CA first");
        let two_leaves =
            format!("{}{}", &made.chain[..leaf_end], &other.chain[..other.chain.find("-----END").unwrap() + 26]);
        assert_eq!(refused(&two_leaves, &made.key), CertificateProblem::ChainOutOfOrder { position: 1 });
        for problem in
            [CertificateProblem::KeyMismatch, CertificateProblem::KeyNotPem, CertificateProblem::UnsupportedKey]
        {
            assert_eq!(problem.field(), "private_key");
        }
        assert_eq!(CertificateProblem::ChainOutOfOrder { position: 1 }.field(), "certificate");
        assert!(
            CertificateProblem::ChainOutOfOrder { position: 1 }
                .to_string()
                .contains("certificate 1 was not issued by certificate 2")
        );
    }

    #[test]
    fn a_certificate_is_refused_outside_its_dates() {
        let today = now().unix_seconds();
        let expired = make_valid(&["example.com"], today - 90 * DAY, today - DAY);
        let problem = check(&expired.chain, &expired.key, now()).unwrap_err();
        assert!(matches!(problem, CertificateProblem::Expired { .. }), "{problem:?}");
        assert!(problem.to_string().starts_with("The certificate expired on "), "{problem}");
        let early = make_valid(&["example.com"], today + DAY, today + 90 * DAY);
        let problem = check(&early.chain, &early.key, now()).unwrap_err();
        assert!(matches!(problem, CertificateProblem::NotYetValid { .. }), "{problem:?}");
    }

    #[test]
    fn an_unsupported_key_is_refused() {
        // A well-formed PKCS#8 key of an algorithm ring does not sign with: Ed448 (1.3.101.113).
        let mut der =
            vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71, 0x04, 0x22, 0x04, 0x20];
        der.extend([7; 32]);
        let made = make(&["example.com"]);
        let refused = check(&made.chain, &pem_encode("PRIVATE KEY", &der), now()).unwrap_err();
        assert_eq!(refused, CertificateProblem::UnsupportedKey);
    }

    #[test]
    fn host_names_are_covered_as_rfc_6125_says() {
        let alt = |names: &[&str]| names.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>();
        let wild = alt(&["*.example.com"]);
        assert!(covers("", &wild, "a.example.com"));
        assert!(covers("", &wild, "A.Example.COM."));
        assert!(!covers("", &wild, "example.com"), "a wildcard needs a label");
        assert!(!covers("", &wild, "a.b.example.com"), "exactly one label");
        assert!(!covers("", &wild, "aexample.com"));
        assert!(!covers("", &alt(&["*.com"]), "example.com"), "not a whole top-level domain");
        assert!(!covers("", &alt(&["a*.example.com"]), "ab.example.com"), "only a whole leftmost label");
        assert!(covers("", &alt(&["Example.com"]), "example.COM"));
        assert!(covers("example.com", &[], "example.com"), "the CN only without SANs");
        assert!(!covers("example.com", &alt(&["www.example.com"]), "example.com"), "SANs win over the CN");
        assert!(!covers("", &[], "example.com"));
        assert!(!covers("", &wild, ""));
    }
}
