use crate::domain::Timestamp;
use crate::error::AppError;
use crate::model::{Certificate, CertificateExpiry, GroupUser};

/// Every column a [`CertificateRow`] reads, the same in `ssl_certificates` (0010) and
/// `trusted_ca_certificates` (0011): never a sealed key.
pub(super) const COLUMNS: &str = "id, name, subject_cn, subject_alt, issuer, not_before, not_after, version";

/// What the portal shows of a certificate of either kind, as stored.
#[derive(sqlx::FromRow)]
pub(super) struct CertificateRow {
    pub(super) id: i64,
    name: String,
    pub(super) subject_cn: String,
    pub(super) subject_alt: String,
    issuer: String,
    not_before: i64,
    not_after: i64,
    version: i64,
}

impl CertificateRow {
    /// The certificate, with the resources that use it; a row of `table` that is not one (its
    /// `subject_alt` not a JSON list) is an internal error.
    pub(super) fn into_certificate(self, table: &str, used_by: Vec<GroupUser>) -> Result<Certificate, AppError> {
        let subject_alt = serde_json::from_str(&self.subject_alt)
            .map_err(|error| AppError::internal(&format!("{table} row {} is invalid", self.id), error.to_string()))?;
        let not_after = Timestamp::from_unix_seconds(self.not_after);
        Ok(Certificate {
            id: self.id,
            name: self.name,
            subject_cn: self.subject_cn,
            subject_alt,
            issuer: self.issuer,
            not_before: Timestamp::from_unix_seconds(self.not_before),
            not_after,
            used_by,
            version: self.version,
            // Where it stands as it is read: what every page that shows it warns of.
            expiry: CertificateExpiry::at(not_after, Timestamp::now()),
        })
    }
}
