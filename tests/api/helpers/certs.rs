//! Test certificates, made at test time (rcgen) and never checked in: a chain of the site's
//! certificate and its own test CA's, and the site's key, as PEM.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::time::{Duration, SystemTime};

pub struct TestCertificate {
    pub chain: String,
    pub key: String,
}

/// A certificate for `names` (DNS names, wildcards allowed), valid from an hour ago for 90 days.
pub fn certificate_for(names: &[&str]) -> TestCertificate {
    let now = SystemTime::now();
    certificate_valid(names, now - Duration::from_secs(3600), now + Duration::from_secs(90 * 86_400))
}

/// A certificate for `names` valid from `from` until `until`.
pub fn certificate_valid(names: &[&str], from: SystemTime, until: SystemTime) -> TestCertificate {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "Edgeport Test CA");
    ca_params.not_before = from.into();
    ca_params.not_after = (until + Duration::from_secs(86_400)).into();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, &ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(names.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("none"));
    params.not_before = from.into();
    params.not_after = until.into();
    let leaf = params.signed_by(&key, &issuer).unwrap();
    TestCertificate { chain: format!("{}{}", leaf.pem(), ca.pem()), key: key.serialize_pem() }
}

/// A self-signed CA certificate (basicConstraints CA:TRUE) named `name`, valid from an hour ago
/// for a year, as PEM: what a customer uploads as a trusted CA for a private origin.
pub fn ca_certificate(name: &str) -> String {
    let now = SystemTime::now();
    ca_certificate_valid(name, now - Duration::from_secs(3600), now + Duration::from_secs(365 * 86_400))
}

/// A self-signed CA certificate named `name`, valid from `from` until `until`, as PEM.
pub fn ca_certificate_valid(name: &str, from: SystemTime, until: SystemTime) -> String {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.not_before = from.into();
    params.not_after = until.into();
    params.self_signed(&key).unwrap().pem()
}
