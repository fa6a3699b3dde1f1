use crate::api::{DeleteOriginGroup, SaveOriginGroup, get_origin_group, origin_group_history};
use crate::components::{
    ErrorPanel, FormAlert, HistoryEntry, HistorySection, NotFound, OriginGroupFields, RequireAccount, When,
    action_error,
};
use crate::error::AppError;
use crate::model::{
    ORIGIN_GROUPS_PATH, OriginGroupChange, OriginGroupUse, origin_group_history_path, origin_group_path, resource_path,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The sections of an origin group's page, each at its own address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupSection {
    /// Its settings, the resources that use it, and deleting it.
    Settings,
    History,
}

/// An origin group's page: `/cdn/origin_groups/{id}` and its history. Another account's group,
/// or none, is "Page not found".
#[component]
pub fn OriginGroupPage(section: GroupSection) -> impl IntoView {
    view! {
        <RequireAccount>
            <OriginGroupLoaded section/>
        </RequireAccount>
    }
}

#[component]
fn OriginGroupLoaded(section: GroupSection) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    let group = Resource::new(id, |id| async move { get_origin_group(id.ok_or(AppError::NotFound)?).await });
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match group.await {
                    Ok(group) => view! { <GroupLayout group section/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn GroupLayout(group: OriginGroupUse, section: GroupSection) -> impl IntoView {
    let name = group.group.name.to_string();
    let id = group.group.id;
    view! {
        <Title text=name.clone()/>
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href=ORIGIN_GROUPS_PATH>"Origin groups"</a>
        </nav>
        <h1>{name}</h1>
        <div class="settings">
            <nav class="section-nav" aria-label="Origin group sections">
                <A href=origin_group_path(id) exact=true>"Settings"</A>
                <A href=origin_group_history_path(id) exact=true>"History"</A>
            </nav>
            <div class="settings-panel">
                {match section {
                    GroupSection::Settings => view! { <SettingsSection group/> }.into_any(),
                    GroupSection::History => view! { <GroupHistory group_id=id/> }.into_any(),
                }}
            </div>
        </div>
    }
}

/// The group's form (plain: alike with JavaScript on or off; the redirect after a save says how
/// it went), the resources that use it, and deleting it.
#[component]
fn SettingsSection(group: OriginGroupUse) -> impl IntoView {
    let save = ServerAction::<SaveOriginGroup>::new();
    let error = action_error(save);
    let delete = ServerAction::<DeleteOriginGroup>::new();
    let delete_error = action_error(delete);
    let saved = use_query_map().with_untracked(|query| query.get("saved").is_some()) && error.get_untracked().is_none();
    let OriginGroupUse { group, used_by } = group;
    let (id, version, updated_at) = (group.id, group.version, group.updated_at);
    view! {
        <section aria-labelledby="settings-heading">
            <h2 id="settings-heading">"Settings"</h2>
            <p class="hint">"Last changed " <When at=updated_at/> "."</p>
            <ActionForm action=save attr:class="panel" attr:aria-labelledby="settings-heading">
                <FormAlert error/>
                <input type="hidden" name="group_id" value=id/>
                <input type="hidden" name="version" value=version/>
                <OriginGroupFields group=Some(group) error/>
                <div class="form-actions">
                    <button type="submit" class="primary">"Save origin group"</button>
                    <p class="save-status" role="status">{saved.then_some("Changes saved")}</p>
                </div>
            </ActionForm>
        </section>
        <section aria-labelledby="used-by-heading">
            <h2 id="used-by-heading">"Used by"</h2>
            {if used_by.is_empty() {
                view! { <p>"No CDN resource uses this group: you may delete it."</p> }.into_any()
            } else {
                view! {
                    <p class="hint">"A change to this group applies to each of these CDN resources within a second. A group in use cannot be deleted: switch each resource to another group first, in its General settings."</p>
                    <ul>
                        {used_by.into_iter().map(|user| view! {
                            <li><a href=resource_path(user.id)>{user.custom_domain.to_string()}</a></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <ActionForm action=delete attr:class="danger-zone">
                <FormAlert error=delete_error/>
                <input type="hidden" name="group_id" value=id/>
                <button type="submit" class="danger">"Delete origin group"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn GroupHistory(group_id: i64) -> impl IntoView {
    let entries = Resource::new(
        move || group_id,
        |id| async move { Ok(origin_group_history(id).await?.into_iter().map(history_entry).collect()) },
    );
    view! { <HistorySection hint="Every change to this origin group, newest first." entries/> }
}

/// A change to the group as a line of its history table.
fn history_entry(change: OriginGroupChange) -> HistoryEntry {
    HistoryEntry {
        changed_at: change.changed_at,
        description: change.describe(),
        changed_by: change.changed_by,
        source: change.source,
        api_token_name: change.api_token_name,
        client_address: change.client_address,
        version: change.version,
    }
}
