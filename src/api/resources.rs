use crate::error::AppError;
use crate::model::{CdnResource, ResourceChange, ResourcePage, Rollout};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    domain::Timestamp,
    model::{resource_content_path, resource_path},
    options::OptionName,
    server::{edge_feed, request, resources, resources::Order, ws_traffic},
};

/// One page of the signed-in account's resources, by custom domain; a page past the end is
/// the last page.
#[server(prefix = "/api", endpoint = "list_resources")]
pub async fn list_resources(page: Option<u32>) -> Result<ResourcePage, AppError> {
    let account_id = request::require_account_id().await?;
    let pool = request::pool()?;
    let size = ResourcePage::SIZE;
    let wanted = page.unwrap_or(1).max(1);
    let (mut listed, total) = resources::page(
        &pool,
        account_id,
        &Default::default(),
        Order::Domain,
        size,
        u64::from(wanted - 1) * u64::from(size),
    )
    .await?;
    let total = u64::try_from(total).unwrap_or_default();
    let page = wanted.min(ResourcePage::page_count(total));
    if page != wanted {
        listed = resources::page(
            &pool,
            account_id,
            &Default::default(),
            Order::Domain,
            size,
            u64::from(page - 1) * u64::from(size),
        )
        .await?
        .0;
    }
    let ids: Vec<i64> = listed.iter().map(|resource| resource.id).collect();
    let open_now = ws_traffic::open_now(&pool, &ids, std::time::SystemTime::now()).await?;
    Ok(ResourcePage { resources: listed, open_now, total, page })
}

#[server(prefix = "/api", endpoint = "get_resource")]
pub async fn get_resource(id: i64) -> Result<CdnResource, AppError> {
    let account_id = request::require_account_id().await?;
    resources::get(request::pool()?.db(), account_id, id).await
}

/// Whether the resource's saved settings are in effect on the CDN edges yet.
#[server(prefix = "/api", endpoint = "resource_rollout")]
pub async fn resource_rollout(id: i64) -> Result<Rollout, AppError> {
    let account_id = request::require_account_id().await?;
    let pool = request::pool()?;
    resources::ensure_owned(pool.db(), account_id, id).await?;
    edge_feed::rollout(&pool, id).await
}

/// Every change made to the resource, newest first.
#[server(prefix = "/api", endpoint = "resource_history")]
pub async fn resource_history(id: i64) -> Result<Vec<ResourceChange>, AppError> {
    let account_id = request::require_account_id().await?;
    resources::history(&request::pool()?, account_id, id).await
}

/// Creates a resource for the signed-in account and opens its settings. Its content comes from
/// `origin` (a new group of one, named after it) or, when `origin` is empty, from the account's
/// origin group `origin_group` (its id).
#[server(prefix = "/api", endpoint = "create_resource")]
pub async fn create_resource(
    custom_domain: String,
    origin: String,
    origin_group: Option<String>,
    integration: Option<String>,
) -> Result<(), AppError> {
    let actor = request::portal_actor().await?;
    let origin_group = origin_group.unwrap_or_default();
    let created = async {
        let new = resources::NewResource::parse_form(&custom_domain, &origin, &origin_group, integration.as_deref())?;
        let created = resources::create(&request::pool()?, &actor, &new).await?;
        request::config_committed();
        Ok::<_, AppError>(created)
    }
    .await
    .map_err(|error| {
        error.keeping_entered([
            ("custom_domain", custom_domain.as_str()),
            ("origin", origin.as_str()),
            ("origin_group", origin_group.as_str()),
            ("integration", integration.as_deref().unwrap_or_default()),
        ])
    })?;
    leptos_axum::redirect(&created.settings_path());
    Ok(())
}

/// Saves the Content section of a resource's settings, as loaded at `version`.
#[server(prefix = "/api", endpoint = "save_content_settings")]
pub async fn save_content_settings(
    resource_id: i64,
    version: i64,
    websockets: Option<String>,
) -> Result<CdnResource, AppError> {
    let actor = request::portal_actor().await?;
    let option = OptionName::Websockets;
    let value = option
        .parse_form(websockets.as_deref())
        .map_err(|message| AppError::invalid_field(option.api_name(), message))?;
    let pool = request::pool()?;
    let saved = resources::set_option(&pool, &actor, resource_id, version, option, value, Timestamp::now()).await?;
    request::config_committed();
    if request::is_plain_form_post() {
        leptos_axum::redirect(&format!("{}?saved=1", resource_content_path(saved.id)));
    }
    Ok(saved)
}

/// Saves the General section of a resource's settings (its name, description and secondary
/// hostnames, one per line), as loaded at `version`. Empty fields mean none.
#[server(prefix = "/api", endpoint = "save_general_settings")]
pub async fn save_general_settings(
    resource_id: i64,
    version: i64,
    name: String,
    description: String,
    secondary_hostnames: String,
) -> Result<CdnResource, AppError> {
    let actor = request::portal_actor().await?;
    let saved = async {
        let update = resources::ResourceUpdate::general(&name, &description, &secondary_hostnames)?;
        let pool = request::pool()?;
        let saved = resources::update(&pool, &actor, resource_id, Some(version), &update, Timestamp::now()).await?;
        request::config_committed();
        Ok::<_, AppError>(saved)
    }
    .await
    .map_err(|error| {
        error.keeping_entered([
            ("name", name.as_str()),
            ("description", description.as_str()),
            ("secondary_hostnames", secondary_hostnames.as_str()),
        ])
    })?;
    if request::is_plain_form_post() {
        leptos_axum::redirect(&format!("{}?saved=1", resource_path(saved.id)));
    }
    Ok(saved)
}
