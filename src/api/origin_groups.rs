use crate::error::AppError;
use crate::model::{CdnResource, OriginGroup, OriginGroupChange, OriginGroupUse, SourceInput};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{
    model::{ORIGIN_GROUPS_PATH, origin_group_path, resource_path},
    server::{origin_groups, request, resources},
};

/// One row of the origin group form's table of origins, as a browser posts it
/// (`sources[N][source]`, and `sources[N][enabled]`/`sources[N][backup]` only when ticked).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRow {
    #[serde(default)]
    pub source: String,
    pub enabled: Option<String>,
    pub backup: Option<String>,
}

impl SourceRow {
    /// The origin the row names, or `None` for a row left empty, which the form ignores.
    pub fn input(&self) -> Option<SourceInput> {
        let source = self.source.trim();
        (!source.is_empty()).then(|| SourceInput {
            source: source.to_owned(),
            enabled: self.enabled.is_some(),
            backup: self.backup.is_some(),
        })
    }
}

/// The signed-in account's origin groups, by name, with the resources that use each.
#[server(prefix = "/api", endpoint = "list_origin_groups")]
pub async fn list_origin_groups() -> Result<Vec<OriginGroupUse>, AppError> {
    let account_id = request::require_account_id().await?;
    origin_groups::list(&request::pool()?, account_id).await
}

/// One of the signed-in account's origin groups, with the resources that use it.
#[server(prefix = "/api", endpoint = "get_origin_group")]
pub async fn get_origin_group(id: i64) -> Result<OriginGroupUse, AppError> {
    let account_id = request::require_account_id().await?;
    origin_groups::get_with_users(&request::pool()?, account_id, id).await
}

/// Every change made to the origin group, newest first.
#[server(prefix = "/api", endpoint = "origin_group_history")]
pub async fn origin_group_history(id: i64) -> Result<Vec<OriginGroupChange>, AppError> {
    let account_id = request::require_account_id().await?;
    origin_groups::history(&request::pool()?, account_id, id).await
}

/// Creates an origin group for the signed-in account and opens its page. Rows of `sources` left
/// empty are ignored; `use_next` and each case of `proxy_next_upstream` are ticked boxes.
#[server(prefix = "/api", endpoint = "create_origin_group")]
pub async fn create_origin_group(
    name: String,
    sources: Option<Vec<SourceRow>>,
    use_next: Option<String>,
    proxy_next_upstream: Option<Vec<String>>,
) -> Result<(), AppError> {
    let actor = request::portal_actor().await?;
    let form = GroupForm { name, sources, use_next, proxy_next_upstream };
    let created = async {
        let created = origin_groups::create(&request::pool()?, &actor, &form.settings()?).await?;
        request::config_committed();
        Ok::<_, AppError>(created)
    }
    .await
    .map_err(|error| form.keep_entered(error))?;
    leptos_axum::redirect(&origin_group_path(created.id));
    Ok(())
}

/// Saves an origin group's settings, as loaded at `version`; the same fields as
/// [`create_origin_group`].
#[server(prefix = "/api", endpoint = "save_origin_group")]
pub async fn save_origin_group(
    group_id: i64,
    version: i64,
    name: String,
    sources: Option<Vec<SourceRow>>,
    use_next: Option<String>,
    proxy_next_upstream: Option<Vec<String>>,
) -> Result<OriginGroup, AppError> {
    let actor = request::portal_actor().await?;
    let form = GroupForm { name, sources, use_next, proxy_next_upstream };
    let saved = async {
        let update = form.settings()?.into();
        let saved = origin_groups::update(&request::pool()?, &actor, group_id, Some(version), &update).await?;
        request::config_committed();
        Ok::<_, AppError>(saved)
    }
    .await
    .map_err(|error| form.keep_entered(error))?;
    if request::is_plain_form_post() {
        leptos_axum::redirect(&format!("{}?saved=1", origin_group_path(saved.id)));
    }
    Ok(saved)
}

/// Deletes an origin group that no resource uses, and opens the list; a group in use is
/// refused with the resources that use it named.
#[server(prefix = "/api", endpoint = "delete_origin_group")]
pub async fn delete_origin_group(group_id: i64) -> Result<(), AppError> {
    let actor = request::portal_actor().await?;
    origin_groups::delete(&request::pool()?, actor.account_id, group_id, None).await?;
    leptos_axum::redirect(ORIGIN_GROUPS_PATH);
    Ok(())
}

/// Switches a resource, as loaded at `version`, to another of the account's origin groups
/// (`origin_group`: its id).
#[server(prefix = "/api", endpoint = "save_resource_origin_group")]
pub async fn save_resource_origin_group(
    resource_id: i64,
    version: i64,
    origin_group: String,
) -> Result<CdnResource, AppError> {
    let actor = request::portal_actor().await?;
    let group = origin_group
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid_field("origin_group", "Choose one of your origin groups."))?;
    let update =
        resources::ResourceUpdate { origin: Some(resources::OriginChoice::Group(group)), ..Default::default() };
    let pool = request::pool()?;
    let saved =
        resources::update(&pool, &actor, resource_id, Some(version), &update, crate::domain::Timestamp::now()).await?;
    request::config_committed();
    if request::is_plain_form_post() {
        leptos_axum::redirect(&format!("{}?saved=1", resource_path(saved.id)));
    }
    Ok(saved)
}

/// The origin group form as posted, before it is checked.
#[cfg(feature = "ssr")]
struct GroupForm {
    name: String,
    sources: Option<Vec<SourceRow>>,
    use_next: Option<String>,
    proxy_next_upstream: Option<Vec<String>>,
}

#[cfg(feature = "ssr")]
impl GroupForm {
    fn settings(&self) -> Result<origin_groups::GroupSettings, AppError> {
        let sources: Vec<SourceInput> = self.sources.iter().flatten().filter_map(SourceRow::input).collect();
        let cases = self.proxy_next_upstream.clone().unwrap_or_default();
        origin_groups::GroupSettings::parse(&self.name, &sources, self.use_next.is_some(), &cases)
    }

    /// `error`, carrying what was entered, so that the form drawn anew from a refused plain
    /// form post shows it: each row of origins, ticked boxes as `on`.
    fn keep_entered(&self, error: AppError) -> AppError {
        let mut entered = vec![("name".to_owned(), self.name.clone())];
        for (n, row) in self.sources.iter().flatten().enumerate() {
            entered.push((format!("sources[{n}][source]"), row.source.clone()));
            entered.push((format!("sources[{n}][enabled]"), on_or_empty(&row.enabled)));
            entered.push((format!("sources[{n}][backup]"), on_or_empty(&row.backup)));
        }
        entered.push(("use_next".to_owned(), on_or_empty(&self.use_next)));
        for case in self.proxy_next_upstream.iter().flatten() {
            entered.push((format!("proxy_next_upstream:{case}"), "on".to_owned()));
        }
        error.keeping_entered(entered.iter().map(|(field, value)| (field.as_str(), value.as_str())))
    }
}

#[cfg(feature = "ssr")]
fn on_or_empty(ticked: &Option<String>) -> String {
    if ticked.is_some() { "on".to_owned() } else { String::new() }
}
