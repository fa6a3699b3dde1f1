use crate::domain::{DomainName, Timestamp};
use crate::error::AppError;
use crate::model::{Certificate, CertificateExpiry, GroupUser};
use crate::server::db::{Db, Pool, on_db, to_completion};
use std::collections::HashMap;

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

/// A table of certificates and the column of `cdn_resources` that names one: what reading
/// either kind differs by. The reads here serve both kinds alike.
pub(super) struct Table {
    /// `ssl_certificates` or `trusted_ca_certificates`.
    pub(super) name: &'static str,
    /// `ssl_data_id` or `proxy_ssl_ca_id`.
    pub(super) resource_column: &'static str,
}

impl Table {
    /// The account's row with this id; [`AppError::NotFound`] whether there is none or it is
    /// another account's.
    pub(super) async fn row(&self, db: Db<'_>, account_id: i64, id: i64) -> Result<CertificateRow, AppError> {
        let sql = format!("SELECT {COLUMNS} FROM {} WHERE id = $1 AND account_id = $2", self.name);
        on_db!(db, |e| sqlx::query_as::<_, CertificateRow>(&sql).bind(id).bind(account_id).fetch_optional(e).await)?
            .ok_or(AppError::NotFound)
    }

    /// The id of the account's certificate named `name`, if any.
    pub(super) async fn named(&self, db: Db<'_>, account_id: i64, name: &str) -> Result<Option<i64>, AppError> {
        let sql = format!("SELECT id FROM {} WHERE account_id = $1 AND name = $2", self.name);
        Ok(on_db!(db, |e| sqlx::query_scalar::<_, i64>(&sql).bind(account_id).bind(name).fetch_optional(e).await)?)
    }

    /// The account's certificate with this id and the resources that name it.
    pub(super) async fn get_in(&self, db: &mut Db<'_>, account_id: i64, id: i64) -> Result<Certificate, AppError> {
        let found = self.row(db.reborrow(), account_id, id).await?;
        let used_by = self.users(db.reborrow(), account_id, Some(id)).await?.into_values().next().unwrap_or_default();
        found.into_certificate(self.name, used_by)
    }

    /// [`Table::get_in`] in a read transaction of its own.
    pub(super) async fn get(&'static self, pool: &Pool, account_id: i64, id: i64) -> Result<Certificate, AppError> {
        let pool = pool.clone();
        to_completion(async move {
            let mut tx = pool.begin_read().await?;
            let found = self.get_in(&mut tx.db(), account_id, id).await?;
            tx.commit().await?;
            Ok(found)
        })
        .await
    }

    /// Every certificate of the account, by name, each with the resources that name it.
    pub(super) async fn list(&'static self, pool: &Pool, account_id: i64) -> Result<Vec<Certificate>, AppError> {
        let pool = pool.clone();
        to_completion(async move {
            let mut tx = pool.begin_read().await?;
            let sql = format!("SELECT {COLUMNS} FROM {} WHERE account_id = $1 ORDER BY name, id", self.name);
            let rows =
                on_db!(tx.db(), |e| sqlx::query_as::<_, CertificateRow>(&sql).bind(account_id).fetch_all(e).await)?;
            let mut users = self.users(tx.db(), account_id, None).await?;
            tx.commit().await?;
            rows.into_iter()
                .map(|row| {
                    let used_by = users.remove(&row.id).unwrap_or_default();
                    row.into_certificate(self.name, used_by)
                })
                .collect()
        })
        .await
    }

    /// The account's resources that name a certificate (`only` this one, or any), by
    /// certificate, each list by custom domain: one query for a page of one or of all.
    async fn users(
        &self,
        db: Db<'_>,
        account_id: i64,
        only: Option<i64>,
    ) -> Result<HashMap<i64, Vec<GroupUser>>, AppError> {
        let column = self.resource_column;
        let sql = format!(
            "SELECT {column}, id, custom_domain FROM cdn_resources \
             WHERE account_id = $1 AND {column} IS NOT NULL AND ({column} = $2 OR $2 IS NULL) ORDER BY custom_domain"
        );
        let rows: Vec<(i64, i64, String)> =
            on_db!(db, |e| sqlx::query_as(&sql).bind(account_id).bind(only).fetch_all(e).await)?;
        let mut by_certificate: HashMap<i64, Vec<GroupUser>> = HashMap::new();
        for (certificate, id, domain) in rows {
            let custom_domain = DomainName::parse(&domain).map_err(|error| {
                AppError::internal(&format!("cdn_resources row {id} is invalid"), error.to_string())
            })?;
            by_certificate.entry(certificate).or_default().push(GroupUser { id, custom_domain });
        }
        Ok(by_certificate)
    }
}
