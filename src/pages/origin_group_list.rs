use crate::api::list_origin_groups;
use crate::components::{CdnNav, CdnPage, ErrorPanel, RequireAccount};
use crate::model::{NEW_ORIGIN_GROUP_PATH, OriginGroupUse, origin_group_path, resource_path};
use leptos::prelude::*;
use leptos_meta::Title;

/// CDN → Origin groups: the account's groups, their origins, and the resources that use each.
#[component]
pub fn OriginGroupListPage() -> impl IntoView {
    view! {
        <Title text="Origin groups"/>
        <RequireAccount>
            <OriginGroupList/>
        </RequireAccount>
    }
}

#[component]
fn OriginGroupList() -> impl IntoView {
    let groups = Resource::new(|| (), |()| list_origin_groups());
    view! {
        <CdnNav current=CdnPage::OriginGroups/>
        <div class="page-heading">
            <h1>"Origin groups"</h1>
            <a class="button primary" href=NEW_ORIGIN_GROUP_PATH>"Create origin group"</a>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Ok(groups) if groups.is_empty() => view! { <EmptyState/> }.into_any(),
                    Ok(groups) => view! { <GroupTable groups/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EmptyState() -> impl IntoView {
    view! {
        <div class="empty-state">
            <h2>"No origin groups yet"</h2>
            <p>
                "An origin group is where a CDN resource's content comes from: one or more origin "
                "servers, and backups for when they cannot be reached. Creating a CDN resource with "
                "a single origin makes a group of one; use “Create origin group” for more."
            </p>
        </div>
    }
}

#[component]
fn GroupTable(groups: Vec<OriginGroupUse>) -> impl IntoView {
    view! {
        <table class="resources">
            <caption class="visually-hidden">"Your origin groups"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Origins"</th>
                    <th scope="col">"Used by"</th>
                </tr>
            </thead>
            <tbody>
                {groups
                    .into_iter()
                    .map(|OriginGroupUse { group, used_by }| {
                        view! {
                            <tr>
                                <th scope="row" data-label="Name">
                                    <a href=origin_group_path(group.id)>{group.name.to_string()}</a>
                                </th>
                                <td class="mono" data-label="Origins">
                                    <ul class="plain">
                                        {group.sources.as_slice().iter().map(|source| {
                                            let note = match (source.enabled, source.backup) {
                                                (false, _) => " (disabled)",
                                                (true, true) => " (backup)",
                                                (true, false) => "",
                                            };
                                            view! { <li>{source.source.to_string()} {note}</li> }
                                        }).collect_view()}
                                    </ul>
                                </td>
                                <td data-label="Used by">
                                    {if used_by.is_empty() {
                                        view! { <span class="hint">"No resources"</span> }.into_any()
                                    } else {
                                        view! {
                                            <ul class="plain">
                                                {used_by.into_iter().map(|user| view! {
                                                    <li><a href=resource_path(user.id)>{user.custom_domain.to_string()}</a></li>
                                                }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
