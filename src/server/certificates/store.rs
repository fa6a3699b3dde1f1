//! The rows of `ssl_certificates` (migration 0010): reading, uploading, replacing and deleting a
//! customer's certificates. Every query names the owning account. Writes take the write lock
//! first ([`Pool::begin_write`]), so that a name found free stays free and the resources found
//! using a certificate stay those until the commit. A replacement reaches the edges of every
//! resource using the certificate by migration 0010's trigger.

use super::pem::{CheckedCertificate, check, covers};
use super::row::{COLUMNS, CertificateRow, Table};
use super::sealing::{KeySealer, sealer};
use crate::domain::{DomainName, Timestamp};
use crate::error::AppError;
use crate::model::{Certificate, GroupUser};
use crate::server::db::{Db, Pool, id_list, on_db, to_completion};
use std::collections::HashMap;

/// The longest name, in characters (the CHECK of migration 0010).
pub const MAX_NAME_CHARS: usize = 100;

/// SSL certificates, named by a resource's `ssl_data_id`.
static TABLE: Table = Table { name: "ssl_certificates", resource_column: "ssl_data_id" };

/// A certificate's name as the customer gives it: trimmed, 1 to [`MAX_NAME_CHARS`] characters.
/// [`AppError::Invalid`] on `name` otherwise.
pub fn parse_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid_field("name", "Enter a name for the certificate."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid_field(
            "name",
            format!("The name is too long: at most {MAX_NAME_CHARS} characters."),
        ));
    }
    Ok(name.to_owned())
}

/// A certificate and key, checked now ([`check`]); each refusal is [`AppError::Invalid`] on the
/// field it is in (`certificate` or `private_key`).
pub fn check_upload(certificate: &str, private_key: &str) -> Result<CheckedCertificate, AppError> {
    check(certificate, private_key, Timestamp::now())
        .map_err(|problem| AppError::invalid_field(problem.field(), problem))
}

fn name_taken(name: &str) -> AppError {
    AppError::invalid_field("name", format!("You already have a certificate named “{name}”. Choose another name."))
}

/// The resources that serve HTTPS with the certificate, by custom domain, with every host name
/// each serves: what a replacement must still cover.
async fn users_over_https(db: &mut Db<'_>, id: i64) -> Result<Vec<(GroupUser, Vec<String>)>, AppError> {
    let rows: Vec<(i64, String, String)> = on_db!(db.reborrow(), |e| sqlx::query_as(
        "SELECT id, custom_domain, secondary_hostnames FROM cdn_resources \
         WHERE ssl_data_id = $1 AND ssl_enabled ORDER BY custom_domain"
    )
    .bind(id)
    .fetch_all(e)
    .await)?;
    rows.into_iter()
        .map(|(id, domain, hostnames)| {
            let corrupt = |error: &dyn std::fmt::Display| {
                AppError::internal(&format!("cdn_resources row {id} is invalid"), error.to_string())
            };
            let custom_domain = DomainName::parse(&domain).map_err(|e| corrupt(&e))?;
            let secondary: Vec<String> = serde_json::from_str(&hostnames).map_err(|e| corrupt(&e))?;
            let names = std::iter::once(domain).chain(secondary).collect();
            Ok((GroupUser { id, custom_domain }, names))
        })
        .collect()
}

/// The account's certificate with this id and the resources that use it; [`AppError::NotFound`]
/// whether it does not exist or belongs to someone else.
pub async fn get(pool: &Pool, account_id: i64, id: i64) -> Result<Certificate, AppError> {
    TABLE.get(pool, account_id, id).await
}

/// Every certificate of the account, by name, each with the resources that use it.
pub async fn list(pool: &Pool, account_id: i64) -> Result<Vec<Certificate>, AppError> {
    TABLE.list(pool, account_id).await
}

/// Uploads a certificate for the account: `name` ([`parse_name`]), a PEM chain and its PEM key
/// ([`check_upload`]); the key is sealed ([`super::sealing`]). A name the account already has is
/// [`AppError::Invalid`] on `name`. The new certificate takes the id after the largest ever given.
pub async fn create(
    pool: &Pool,
    account_id: i64,
    name: &str,
    certificate: &str,
    private_key: &str,
) -> Result<Certificate, AppError> {
    let name = parse_name(name)?;
    let checked = check_upload(certificate, private_key)?;
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let mut db = tx.db();
        if TABLE.named(db.reborrow(), account_id, &name).await?.is_some() {
            return Err(name_taken(&name));
        }
        let now = Timestamp::now().unix_seconds();
        let sql = format!(
            "INSERT INTO ssl_certificates (id, account_id, name, certificate_chain, sealed_private_key, subject_cn, \
             subject_alt, issuer, not_before, not_after, version, created_at, updated_at) \
             VALUES ((SELECT last_id + 1 FROM ssl_certificate_ids), $1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) \
             RETURNING {COLUMNS}"
        );
        let inserted = on_db!(db.reborrow(), |e| sqlx::query_as::<_, CertificateRow>(&sql)
            .bind(account_id)
            .bind(&name)
            .bind(&checked.chain_pem)
            .bind(sealer().seal(&checked.key_pem))
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

/// Replaces the account's certificate (its name, chain and key together, as Gcore's PUT does),
/// if it is still at `expected_version` (any version when `None`): [`AppError::CertificateConflict`]
/// with what is stored otherwise. The new certificate must cover every host name of every
/// resource that uses it with HTTPS on ([`AppError::Invalid`] on `certificate` naming the first it does not).
/// The edges of those resources get it in the same transaction (migration 0010's trigger).
pub async fn replace(
    pool: &Pool,
    account_id: i64,
    id: i64,
    expected_version: Option<i64>,
    name: &str,
    certificate: &str,
    private_key: &str,
) -> Result<Certificate, AppError> {
    let name = parse_name(name)?;
    let checked = check_upload(certificate, private_key)?;
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
        for (user, names) in users_over_https(&mut db, id).await? {
            if let Some(uncovered) = names.iter().find(|host| !checked.covers(host)) {
                return Err(AppError::invalid_field(
                    "certificate",
                    format!(
                        "The new certificate does not cover {uncovered}, which the CDN resource {} serves with this certificate.",
                        user.custom_domain
                    ),
                ));
            }
        }
        let sql = format!(
            "UPDATE ssl_certificates SET name = $1, certificate_chain = $2, sealed_private_key = $3, subject_cn = $4, \
             subject_alt = $5, issuer = $6, not_before = $7, not_after = $8, version = version + 1, updated_at = $9 \
             WHERE id = $10 AND account_id = $11 RETURNING {COLUMNS}"
        );
        let replaced = on_db!(db.reborrow(), |e| sqlx::query_as::<_, CertificateRow>(&sql)
            .bind(&name)
            .bind(&checked.chain_pem)
            .bind(sealer().seal(&checked.key_pem))
            .bind(&checked.subject_cn)
            .bind(serde_json::to_string(&checked.subject_alt).expect("names are JSON"))
            .bind(&checked.issuer)
            .bind(checked.not_before.unix_seconds())
            .bind(checked.not_after.unix_seconds())
            .bind(Timestamp::now().unix_seconds())
            .bind(id)
            .bind(account_id)
            .fetch_one(e)
            .await)?
        .into_certificate(TABLE.name, current.used_by)?;
        tx.commit().await?;
        Ok(replaced)
    })
    .await
}

/// Deletes the account's certificate, if it is still at `expected_version` (any version when
/// `None`) and no resource uses it: [`AppError::CertificateInUse`] naming those that do
/// otherwise (the database refuses it too: `cdn_resources.ssl_data_id`'s key).
pub async fn delete(pool: &Pool, account_id: i64, id: i64, expected_version: Option<i64>) -> Result<(), AppError> {
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let mut db = tx.db();
        let current = TABLE.get_in(&mut db, account_id, id).await?;
        if expected_version.is_some_and(|version| version != current.version) {
            return Err(AppError::CertificateConflict(Box::new(current)));
        }
        if !current.used_by.is_empty() {
            return Err(AppError::CertificateInUse(
                current.used_by.into_iter().map(|user| user.custom_domain).collect(),
            ));
        }
        on_db!(db.reborrow(), |e| sqlx::query("DELETE FROM ssl_certificates WHERE id = $1 AND account_id = $2")
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

/// The names a certificate covers, for a resource write inside its transaction:
/// [`AppError::Invalid`] on `ssl_data` when the account has no certificate with this id.
pub(crate) async fn coverage_in(db: Db<'_>, account_id: i64, id: i64) -> Result<Coverage, AppError> {
    match TABLE.row(db, account_id, id).await {
        Ok(found) => Ok(Coverage {
            subject_cn: found.subject_cn,
            subject_alt: serde_json::from_str(&found.subject_alt).map_err(|error| {
                AppError::internal(&format!("ssl_certificates row {id} is invalid"), error.to_string())
            })?,
        }),
        Err(AppError::NotFound) => Err(AppError::invalid_field(
            "ssl_data",
            format!("There is no SSL certificate {id} in your account. Choose one of your certificates."),
        )),
        Err(error) => Err(error),
    }
}

/// What a certificate covers, as [`covers`] reads it.
pub(crate) struct Coverage {
    subject_cn: String,
    subject_alt: Vec<String>,
}

impl Coverage {
    pub(crate) fn covers(&self, host: &str) -> bool {
        covers(&self.subject_cn, &self.subject_alt, host)
    }
}

/// The chains and opened keys of these certificates, whatever their account, by id: what the
/// feed sends with the resources that use them over HTTPS. A key that no configured key opens is an internal error (logged, never shown).
pub(crate) async fn tls_by_ids(db: Db<'_>, ids: &[i64]) -> Result<HashMap<i64, edge_feed::TlsCertificate>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let listed = id_list(ids.iter().copied());
    let rows: Vec<(i64, String, String)> = on_db!(db, |e| sqlx::query_as(&format!(
        "SELECT id, certificate_chain, sealed_private_key FROM ssl_certificates WHERE id IN ({listed})"
    ))
    .fetch_all(e)
    .await)?;
    rows.into_iter()
        .map(|(id, certificate_chain, sealed)| {
            let private_key = sealer()
                .open(&sealed)
                .map_err(|error| AppError::internal(&format!("ssl_certificates row {id}'s key"), error))?;
            Ok((id, edge_feed::TlsCertificate { id, certificate_chain, private_key }))
        })
        .collect()
}

/// Re-encrypts with `sealer`'s current key every stored private key that an older key sealed
/// (key rotation, [`KeySealer::reseal`]), in one write transaction, and answers how many. Each
/// row is rewritten only if it is still what was read, so replicas starting together re-seal a
/// key once. The edges of the resources using a re-sealed certificate are sent it again (the
/// same key; 0010's trigger cannot tell). A key that no configured key opens is left as it is
/// and logged: the feed reports it too, and a replacement mends it.
pub async fn reseal_old_keys(pool: &Pool, sealer: &KeySealer) -> Result<usize, AppError> {
    let mut tx = pool.begin_write().await?;
    let rows: Vec<(i64, String)> =
        on_db!(tx.db(), |e| sqlx::query_as("SELECT id, sealed_private_key FROM ssl_certificates ORDER BY id")
            .fetch_all(e)
            .await)?;
    let mut resealed = 0;
    for (id, sealed) in rows {
        let again = match sealer.reseal(&sealed) {
            Ok(Some(again)) => again,
            Ok(None) => continue,
            Err(error) => {
                tracing::error!(certificate = id, %error, "an SSL private key could not be re-encrypted");
                continue;
            }
        };
        on_db!(tx.db(), |e| sqlx::query(
            "UPDATE ssl_certificates SET sealed_private_key = $1 WHERE id = $2 AND sealed_private_key = $3"
        )
        .bind(&again)
        .bind(id)
        .bind(&sealed)
        .execute(e)
        .await
        .map(|_| ()))?;
        resealed += 1;
    }
    tx.commit().await?;
    Ok(resealed)
}
