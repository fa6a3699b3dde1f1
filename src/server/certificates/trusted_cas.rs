//! The rows of `trusted_ca_certificates` (migration 0011): a customer's trusted CA certificates
//! (Gcore's `/cdn/sslCertificates`), which a resource names in `cdn_resources.proxy_ssl_ca_id`
//! (Gcore's `proxy_ssl_ca`, a setting of the resource written by `server::resources`). Every
//! query names the owning account; writes take the write lock first ([`Pool::begin_write`]). A
//! CA is described as a [`Certificate`] (the same fields Gcore's `CaCertificate` has); its
//! `used_by` are the resources that name it. A replacement reaches the edges by 0011's trigger.

use super::pem::{CheckedCa, check_ca};
use super::row::{COLUMNS, CertificateRow, Table};
use super::store::parse_name;
use crate::domain::Timestamp;
use crate::error::AppError;
use crate::model::Certificate;
use crate::server::db::{Db, Pool, id_list, on_db, to_completion};
use std::collections::HashMap;

/// Trusted CA certificates, named by a resource's `proxy_ssl_ca_id`.
static TABLE: Table = Table { name: "trusted_ca_certificates", resource_column: "proxy_ssl_ca_id" };

/// A trusted CA upload, checked now ([`check_ca`]); each refusal is [`AppError::Invalid`] on
/// `certificate`.
pub fn check_ca_upload(certificates: &str) -> Result<CheckedCa, AppError> {
    check_ca(certificates, Timestamp::now()).map_err(|problem| AppError::invalid_field(problem.field(), problem))
}

fn name_taken(name: &str) -> AppError {
    AppError::invalid_field("name", format!("You already have a CA certificate named “{name}”. Choose another name."))
}

/// The account's CA with this id and the resources that name it; [`AppError::NotFound`]
/// whether it does not exist or belongs to someone else.
pub async fn get_ca(pool: &Pool, account_id: i64, id: i64) -> Result<Certificate, AppError> {
    TABLE.get(pool, account_id, id).await
}

/// Every CA of the account, by name, each with the resources that name it.
pub async fn list_cas(pool: &Pool, account_id: i64) -> Result<Vec<Certificate>, AppError> {
    TABLE.list(pool, account_id).await
}

/// Uploads a trusted CA for the account: `name` ([`parse_name`]) and PEM certificates
/// ([`check_ca_upload`]). A name the account already has is [`AppError::Invalid`] on `name`.
/// The new CA takes the id after the largest ever given.
pub async fn create_ca(pool: &Pool, account_id: i64, name: &str, certificates: &str) -> Result<Certificate, AppError> {
    let name = parse_name(name)?;
    let checked = check_ca_upload(certificates)?;
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let mut db = tx.db();
        if TABLE.named(db.reborrow(), account_id, &name).await?.is_some() {
            return Err(name_taken(&name));
        }
        let now = Timestamp::now().unix_seconds();
        let sql = format!(
            "INSERT INTO trusted_ca_certificates (id, account_id, name, certificates, subject_cn, subject_alt, issuer, \
             not_before, not_after, version, created_at, updated_at) \
             VALUES ((SELECT last_id + 1 FROM trusted_ca_certificate_ids), $1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) \
             RETURNING {COLUMNS}"
        );
        let inserted = on_db!(db.reborrow(), |e| sqlx::query_as::<_, CertificateRow>(&sql)
            .bind(account_id)
            .bind(&name)
            .bind(&checked.certificates_pem)
            .bind(&checked.subject_cn)
            .bind(serde_json::to_string(&checked.subject_alt).expect("names are JSON"))
            .bind(&checked.issuer)
            .bind(checked.not_before.unix_seconds())
            .bind(checked.not_after.unix_seconds())
            .bind(now)
            .fetch_one(e)
            .await);
        let created = match inserted {
            Ok(row) => row.into_certificate(TABLE.name, Vec::new())?,
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => return Err(name_taken(&name)),
            Err(error) => return Err(error.into()),
        };
        tx.commit().await?;
        Ok(created)
    })
    .await
}

/// Renames the account's CA and, with `certificates`, replaces them (checked as an upload's
/// are), from `expected_version` when given ([`AppError::CertificateConflict`] if it moved on;
/// Gcore's API gives none). The edges of the resources that name it get new certificates in the same transaction
/// (migration 0011's trigger).
pub async fn replace_ca(
    pool: &Pool,
    account_id: i64,
    id: i64,
    expected_version: Option<i64>,
    name: &str,
    certificates: Option<&str>,
) -> Result<Certificate, AppError> {
    let name = parse_name(name)?;
    let checked = certificates.map(check_ca_upload).transpose()?;
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let mut db = tx.db();
        let current = TABLE.get_in(&mut db, account_id, id).await?;
        if expected_version.is_some_and(|version| version != current.version) {
            return Err(AppError::CertificateConflict(Box::new(current)));
        }
        if TABLE.named(db.reborrow(), account_id, &name).await?.is_some_and(|other| other != id) {
            return Err(name_taken(&name));
        }
        let now = Timestamp::now().unix_seconds();
        let replaced = match &checked {
            Some(checked) => {
                let sql = format!(
                    "UPDATE trusted_ca_certificates SET name = $1, certificates = $2, subject_cn = $3, subject_alt = $4, \
                     issuer = $5, not_before = $6, not_after = $7, version = version + 1, updated_at = $8 \
                     WHERE id = $9 AND account_id = $10 RETURNING {COLUMNS}"
                );
                on_db!(db.reborrow(), |e| sqlx::query_as::<_, CertificateRow>(&sql)
                    .bind(&name)
                    .bind(&checked.certificates_pem)
                    .bind(&checked.subject_cn)
                    .bind(serde_json::to_string(&checked.subject_alt).expect("names are JSON"))
                    .bind(&checked.issuer)
                    .bind(checked.not_before.unix_seconds())
                    .bind(checked.not_after.unix_seconds())
                    .bind(now)
                    .bind(id)
                    .bind(account_id)
                    .fetch_one(e)
                    .await)?
            }
            None => {
                let sql = format!(
                    "UPDATE trusted_ca_certificates SET name = $1, version = version + 1, updated_at = $2 \
                     WHERE id = $3 AND account_id = $4 RETURNING {COLUMNS}"
                );
                on_db!(db.reborrow(), |e| sqlx::query_as::<_, CertificateRow>(&sql)
                    .bind(&name)
                    .bind(now)
                    .bind(id)
                    .bind(account_id)
                    .fetch_one(e)
                    .await)?
            }
        }
        .into_certificate(TABLE.name, current.used_by)?;
        tx.commit().await?;
        Ok(replaced)
    })
    .await
}

/// Deletes the account's CA if no resource names it: [`AppError::TrustedCaInUse`] naming those
/// that do otherwise (the database refuses it too: `cdn_resources.proxy_ssl_ca_id`'s key).
pub async fn delete_ca(pool: &Pool, account_id: i64, id: i64) -> Result<(), AppError> {
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let mut db = tx.db();
        let current = TABLE.get_in(&mut db, account_id, id).await?;
        if !current.used_by.is_empty() {
            return Err(AppError::TrustedCaInUse(current.used_by.into_iter().map(|user| user.custom_domain).collect()));
        }
        on_db!(db.reborrow(), |e| sqlx::query(
            "DELETE FROM trusted_ca_certificates WHERE id = $1 AND account_id = $2"
        )
        .bind(id)
        .bind(account_id)
        .execute(e)
        .await
        .map(|_| ()))?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// How a refusal of a `proxy_ssl_ca` the account does not have starts.
pub(crate) const NO_SUCH_TRUSTED_CA: &str = "There is no trusted CA certificate";

/// Checks that the account has the trusted CA `id`, for a resource to name it:
/// [`AppError::Invalid`] on `proxy_ssl_ca` ([`NO_SUCH_TRUSTED_CA`]) when it does not. Run in the
/// write transaction; the database refuses another account's CA all the same (0011's triggers).
pub(crate) async fn trusted_ca_in(mut db: Db<'_>, account_id: i64, id: i64) -> Result<(), AppError> {
    match TABLE.get_in(&mut db, account_id, id).await {
        Ok(_) => Ok(()),
        Err(AppError::NotFound) => Err(AppError::invalid_field(
            "proxy_ssl_ca",
            format!("{NO_SUCH_TRUSTED_CA} {id} in your account. Choose one of your trusted CA certificates, or none."),
        )),
        Err(error) => Err(error),
    }
}

/// The certificates (PEM) of these trusted CAs, whatever their account, by id: what the feed
/// sends as `origin_ca` for the resources that name them.
pub(crate) async fn origin_cas_by_ids(db: Db<'_>, ids: &[i64]) -> Result<HashMap<i64, String>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let listed = id_list(ids.iter().copied());
    let rows: Vec<(i64, String)> = on_db!(db, |e| sqlx::query_as(&format!(
        "SELECT id, certificates FROM trusted_ca_certificates WHERE id IN ({listed})"
    ))
    .fetch_all(e)
    .await)?;
    Ok(rows.into_iter().collect())
}
