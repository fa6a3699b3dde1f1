use crate::api::list_resources;
use crate::components::{CdnNav, CdnPage, ErrorPanel, OnOff, RequireAccount, When};
use crate::model::{CdnResource, OpenNow, ResourcePage, origin_group_path, resource_list_path, resource_reports_path};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ResourceListPage() -> impl IntoView {
    view! {
        <Title text="CDN resources"/>
        <RequireAccount>
            <ResourceList/>
        </RequireAccount>
    }
}

#[component]
fn ResourceList() -> impl IntoView {
    let query = use_query_map();
    let page = move || query.with(|query| query.get("page").and_then(|page| page.parse::<u32>().ok()));
    let resources = Resource::new(page, list_resources);
    view! {
        <CdnNav current=CdnPage::Resources/>
        <div class="page-heading">
            <h1>"CDN resources"</h1>
            <a class="button primary" href="/cdn/new">"Create CDN resource"</a>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match resources.await {
                    Ok(listed) if listed.total == 0 => view! { <EmptyState/> }.into_any(),
                    Ok(listed) => {
                        let pager = (listed.pages() > 1).then(|| view! { <Pager listed=listed.clone()/> });
                        view! { <ResourceTable resources=listed.resources open_now=listed.open_now/> {pager} }.into_any()
                    }
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
            <h2>"No CDN resources yet"</h2>
            <p>
                "A CDN resource puts one of your domains behind the CDN: visitors reach the "
                "nearest edge server, which serves cached content and fetches the rest from your "
                "origin. Use “Create CDN resource” to add your first."
            </p>
        </div>
    }
}

#[component]
fn ResourceTable(resources: Vec<CdnResource>, open_now: Vec<OpenNow>) -> impl IntoView {
    view! {
        <table class="resources">
            <caption class="visually-hidden">"Your CDN resources"</caption>
            <thead>
                <tr>
                    <th scope="col">"Custom domain"</th>
                    <th scope="col">"Origin group"</th>
                    <th scope="col">"Integration"</th>
                    <th scope="col">"WebSockets"</th>
                    <th scope="col">"Open now"</th>
                    <th scope="col">"Last changed"</th>
                </tr>
            </thead>
            <tbody>
                {resources
                    .into_iter()
                    .zip(open_now.into_iter().chain(std::iter::repeat(OpenNow::default())))
                    .map(|(resource, open_now)| {
                        view! {
                            <tr>
                                <th scope="row" data-label="Custom domain">
                                    <a href=resource.settings_path()>{resource.custom_domain.to_string()}</a>
                                    {(!resource.active).then(|| view! { " " <span class="badge off">"Inactive"</span> })}
                                    {resource.name.as_ref().map(|name| view! { <span class="hint resource-name">{name.to_string()}</span> })}
                                    {(!resource.secondary_hostnames.is_empty()).then(|| view! {
                                        <span class="hint">"Also " {resource.secondary_hostnames.join(", ")}</span>
                                    })}
                                </th>
                                <td data-label="Origin group">
                                    <a href=origin_group_path(resource.origin_group.id)>{resource.origin_group.name.to_string()}</a>
                                </td>
                                <td data-label="Integration">{resource.integration.label()}</td>
                                <td data-label="WebSockets"><OnOff enabled=resource.options_in_force.websockets/></td>
                                <td data-label="Open now">
                                    <a href=resource_reports_path(resource.id)>
                                        {open_now.open}
                                        <span class="visually-hidden">
                                            {if open_now.open == 1 { " open WebSocket connection: reports" } else { " open WebSocket connections: reports" }}
                                        </span>
                                    </a>
                                </td>
                                <td data-label="Last changed"><When at=resource.updated_at/></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// Where the list is, and links to the pages before and after.
#[component]
fn Pager(listed: ResourcePage) -> impl IntoView {
    let (page, pages) = (listed.page, listed.pages());
    view! {
        <nav class="pager" aria-label="Pages of CDN resources">
            <p>{listed.describe()} " · page " {page} " of " {pages}</p>
            {(page > 1).then(|| view! { <a href=resource_list_path(page - 1) rel="prev">"Previous page"</a> })}
            {(page < pages).then(|| view! { <a href=resource_list_path(page + 1) rel="next">"Next page"</a> })}
        </nav>
    }
}
