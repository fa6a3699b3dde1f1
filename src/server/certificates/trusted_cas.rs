//! The rows of `trusted_ca_certificates` and `resource_trusted_cas` (migration 0011): a
//! customer's trusted CA certificates (Gcore's `/cdn/sslCertificates`), and the one each
//! resource's edges trust for its origin (Gcore's resource option `proxy_ssl_ca`). Every query
//! names the owning account; writes take the write lock first ([`Pool::begin_write`]). A CA is
//! described as a [`Certificate`] (the same fields Gcore's `CaCertificate` has); its `used_by`
//! are the resources that name it. Choosing, clearing and replacing reach the edges by 0011's
//! triggers.

use super::pem::{CheckedCa, check_ca};
use super::store::parse_name;
use crate::domain::{DomainName, Timestamp};
use crate::error::AppError;
use crate::model::{Certificate, CertificateExpiry, GroupUser};
use crate::server::db::{Db, Pool, on_db, to_completion};
use std::collections::HashMap;

const COLUMNS: &str = "id, name, subject_cn, subject_alt, issuer, not_before, not_after, version";

#[derive(sqlx::FromRow)]
struct CaRow {
    id: i64,
    name: String,
    subject_cn: String,
    subject_alt: String,
    issuer: String,
    not_before: i64,
    not_after: i64,
    version: i64,
}

impl CaRow {
    fn into_certificate(self, used_by: Vec<GroupUser>) -> Result<Certificate, AppError> {
        let subject_alt = serde_json::from_str(&self.subject_alt).map_err(|error| {
            AppError::internal(&format!("trusted_ca_certificates row {} is invalid", self.id), error.to_string())
        })?;
        Ok(Certificate {
            id: self.id,
            name: self.name,
            subject_cn: self.subject_cn,
            subject_alt,
            issuer: self.issuer,
            not_before: Timestamp::from_unix_seconds(self.not_before),
            not_after: Timestamp::from_unix_seconds(self.not_after),
            used_by,
            version: self.version,
            expiry: CertificateExpiry::at(Timestamp::from_unix_seconds(self.not_after), Timestamp::now()),
        })
    }
}

/// A trusted CA upload, checked now ([`check_ca`]); each refusal is [`AppError::Invalid`] on
/// `certificate`.
pub fn check_ca_upload(certificates: &str) -> Result<CheckedCa, AppError> {
    check_ca(certificates, Timestamp::now()).map_err(|problem| AppError::invalid_field(problem.field(), problem))
}

fn name_taken(name: &str) -> AppError {
    AppError::invalid_field("name", format!("You already have a CA certificate named “{name}”. Choose another name."))
}

fn corrupt_resource(id: i64, error: impl std::fmt::Display) -> AppError {
    AppError::internal(&format!("cdn_resources row {id} is invalid"), error.to_string())
}

async fn users(db: Db<'_>, ca_id: i64) -> Result<Vec<GroupUser>, AppError> {
    let rows: Vec<(i64, String)> = on_db!(db, |e| sqlx::query_as(
        "SELECT r.id, r.custom_domain FROM resource_trusted_cas c JOIN cdn_resources r ON r.id = c.resource_id \
         WHERE c.ca_id = $1 ORDER BY r.custom_domain"
    )
    .bind(ca_id)
    .fetch_all(e)
    .await)?;
    rows.into_iter()
        .map(|(id, domain)| {
            Ok(GroupUser { id, custom_domain: DomainName::parse(&domain).map_err(|e| corrupt_resource(id, e))? })
        })
        .collect()
}

async fn get_in(db: &mut Db<'_>, account_id: i64, id: i64) -> Result<Certificate, AppError> {
    let found = on_db!(db.reborrow(), |e| sqlx::query_as::<_, CaRow>(&format!(
        "SELECT {COLUMNS} FROM trusted_ca_certificates WHERE id = $1 AND account_id = $2"
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(e)
    .await)?
    .ok_or(AppError::NotFound)?;
    let used_by = users(db.reborrow(), id).await?;
    found.into_certificate(used_by)
}

/// The account's CA with this id and the resources that name it; [`AppError::NotFound`]
/// whether it does not exist or belongs to someone else.
pub async fn get_ca(pool: &Pool, account_id: i64, id: i64) -> Result<Certificate, AppError> {
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_read().await?;
        let found = get_in(&mut tx.db(), account_id, id).await?;
        tx.commit().await?;
        Ok(found)
    })
    .await
}

/// Every CA of the account, by name, each with the resources that name it.
pub async fn list_cas(pool: &Pool, account_id: i64) -> Result<Vec<Certificate>, AppError> {
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_read().await?;
        let rows: Vec<CaRow> = on_db!(tx.db(), |e| sqlx::query_as::<_, CaRow>(&format!(
            "SELECT {COLUMNS} FROM trusted_ca_certificates WHERE account_id = $1 ORDER BY name, id"
        ))
        .bind(account_id)
        .fetch_all(e)
        .await)?;
        let used: Vec<(i64, i64, String)> = on_db!(tx.db(), |e| sqlx::query_as(
            "SELECT c.ca_id, r.id, r.custom_domain FROM resource_trusted_cas c JOIN cdn_resources r ON r.id = c.resource_id \
             WHERE r.account_id = $1 ORDER BY r.custom_domain"
        )
        .bind(account_id)
        .fetch_all(e)
        .await)?;
        tx.commit().await?;
        let mut by_ca: HashMap<i64, Vec<GroupUser>> = HashMap::new();
        for (ca, id, domain) in used {
            let custom_domain = DomainName::parse(&domain).map_err(|e| corrupt_resource(id, e))?;
            by_ca.entry(ca).or_default().push(GroupUser { id, custom_domain });
        }
        rows.into_iter().map(|row| {
            let used_by = by_ca.remove(&row.id).unwrap_or_default();
            row.into_certificate(used_by)
        }).collect()
    })
    .await
}

async fn named(db: Db<'_>, account_id: i64, name: &str) -> Result<Option<i64>, AppError> {
    Ok(on_db!(db, |e| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM trusted_ca_certificates WHERE account_id = $1 AND name = $2"
    )
    .bind(account_id)
    .bind(name)
    .fetch_optional(e)
    .await)?)
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
        if named(db.reborrow(), account_id, &name).await?.is_some() {
            return Err(name_taken(&name));
        }
        let now = Timestamp::now().unix_seconds();
        let sql = format!(
            "INSERT INTO trusted_ca_certificates (id, account_id, name, certificates, subject_cn, subject_alt, issuer, \
             not_before, not_after, version, created_at, updated_at) \
             VALUES ((SELECT last_id + 1 FROM trusted_ca_certificate_ids), $1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) \
             RETURNING {COLUMNS}"
        );
        let inserted = on_db!(db.reborrow(), |e| sqlx::query_as::<_, CaRow>(&sql)
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
            Ok(row) => row.into_certificate(Vec::new())?,
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => return Err(name_taken(&name)),
            Err(error) => return Err(error.into()),
        };
        tx.commit().await?;
        Ok(created)
    })
    .await
}

/// Renames the account's CA and, with `certificates`, replaces them (checked as an upload's
/// are). The edges of the resources that name it get new certificates in the same transaction
/// (migration 0011's trigger).
pub async fn replace_ca(
    pool: &Pool,
    account_id: i64,
    id: i64,
    name: &str,
    certificates: Option<&str>,
) -> Result<Certificate, AppError> {
    let name = parse_name(name)?;
    let checked = certificates.map(check_ca_upload).transpose()?;
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let mut db = tx.db();
        let current = get_in(&mut db, account_id, id).await?;
        if named(db.reborrow(), account_id, &name).await?.is_some_and(|other| other != id) {
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
                on_db!(db.reborrow(), |e| sqlx::query_as::<_, CaRow>(&sql)
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
                on_db!(db.reborrow(), |e| sqlx::query_as::<_, CaRow>(&sql)
                    .bind(&name)
                    .bind(now)
                    .bind(id)
                    .bind(account_id)
                    .fetch_one(e)
                    .await)?
            }
        }
        .into_certificate(current.used_by)?;
        tx.commit().await?;
        Ok(replaced)
    })
    .await
}

/// Deletes the account's CA if no resource names it: [`AppError::TrustedCaInUse`] naming those
/// that do otherwise (the database refuses it too: `resource_trusted_cas.ca_id`'s key).
pub async fn delete_ca(pool: &Pool, account_id: i64, id: i64) -> Result<(), AppError> {
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let mut db = tx.db();
        let current = get_in(&mut db, account_id, id).await?;
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

/// The CA the account's resource `resource_id` trusts for its origin (Gcore's
/// `options.proxy_ssl_ca.value`), `None` when it trusts the system's roots only;
/// [`AppError::NotFound`] when the account has no such resource.
pub async fn resource_ca(pool: &Pool, account_id: i64, resource_id: i64) -> Result<Option<i64>, AppError> {
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_read().await?;
        let found: Option<(i64, Option<i64>)> = on_db!(tx.db(), |e| sqlx::query_as(
            "SELECT r.id, c.ca_id FROM cdn_resources r LEFT JOIN resource_trusted_cas c ON c.resource_id = r.id \
             WHERE r.id = $1 AND r.account_id = $2"
        )
        .bind(resource_id)
        .bind(account_id)
        .fetch_optional(e)
        .await)?;
        tx.commit().await?;
        found.map(|(_, ca)| ca).ok_or(AppError::NotFound)
    })
    .await
}

/// Sets the CA the account's resource trusts for its origin (`None`: the system's roots only).
/// [`AppError::NotFound`] when the account has no such resource; [`AppError::Invalid`] on
/// `proxy_ssl_ca` when it has no such CA. The resource's edges get it in the same transaction.
pub async fn set_resource_ca(pool: &Pool, account_id: i64, resource_id: i64, ca: Option<i64>) -> Result<(), AppError> {
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let mut db = tx.db();
        let current: Option<(i64, Option<i64>)> = on_db!(db.reborrow(), |e| sqlx::query_as(
            "SELECT r.id, c.ca_id FROM cdn_resources r LEFT JOIN resource_trusted_cas c ON c.resource_id = r.id \
             WHERE r.id = $1 AND r.account_id = $2"
        )
        .bind(resource_id)
        .bind(account_id)
        .fetch_optional(e)
        .await)?;
        let (_, current) = current.ok_or(AppError::NotFound)?;
        if current == ca {
            return Ok(());
        }
        match ca {
            Some(ca) => {
                match get_in(&mut db, account_id, ca).await {
                    Ok(_) => {}
                    Err(AppError::NotFound) => {
                        return Err(AppError::invalid_field(
                            "proxy_ssl_ca",
                            format!("There is no trusted CA certificate {ca} in your account. Choose one of yours."),
                        ));
                    }
                    Err(error) => return Err(error),
                }
                let sql = if current.is_some() {
                    "UPDATE resource_trusted_cas SET ca_id = $2 WHERE resource_id = $1"
                } else {
                    "INSERT INTO resource_trusted_cas (resource_id, ca_id) VALUES ($1, $2)"
                };
                on_db!(db.reborrow(), |e| sqlx::query(sql).bind(resource_id).bind(ca).execute(e).await.map(|_| ()))?;
            }
            None => {
                on_db!(db.reborrow(), |e| sqlx::query("DELETE FROM resource_trusted_cas WHERE resource_id = $1")
                    .bind(resource_id)
                    .execute(e)
                    .await
                    .map(|_| ()))?;
            }
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The CA certificates (PEM) each of these resources trusts for its origin, by resource id,
/// for those that name one: what the feed sends as `origin_ca`. Ids are numbers, written into
/// the statement.
pub(crate) async fn origin_cas_by_resource(db: Db<'_>, resource_ids: &[i64]) -> Result<HashMap<i64, String>, AppError> {
    if resource_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let listed = resource_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let rows: Vec<(i64, String)> = on_db!(db, |e| sqlx::query_as(&format!(
        "SELECT c.resource_id, t.certificates FROM resource_trusted_cas c \
         JOIN trusted_ca_certificates t ON t.id = c.ca_id WHERE c.resource_id IN ({listed})"
    ))
    .fetch_all(e)
    .await)?;
    Ok(rows.into_iter().collect())
}
