use crate::api::{CreateResource, list_origin_groups};
use crate::components::{
    ErrorPanel, FormAlert, GroupSelect, RequireAccount, TextField, action_error, entered_value, field_error,
};
use crate::domain::Integration;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NewResourcePage() -> impl IntoView {
    view! {
        <Title text="Create CDN resource"/>
        <RequireAccount>
            <NewResourceForm/>
        </RequireAccount>
    }
}

#[component]
fn NewResourceForm() -> impl IntoView {
    let create = ServerAction::<CreateResource>::new();
    let error = action_error(create);
    let integration_error = field_error(error, "integration");
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href="/cdn">"CDN resources"</a>
        </nav>
        <h1>"Create CDN resource"</h1>
        <ActionForm action=create attr:class="panel">
            <FormAlert error/>
            <TextField
                label="Custom domain"
                name="custom_domain"
                placeholder="cdn.example.com"
                hint="The domain your visitors use, such as cdn.example.com. You will point it at the CDN with a CNAME record."
                error=field_error(error, "custom_domain")
                initial=entered_value(error, "custom_domain")
            />
            <TextField
                label="Origin"
                name="origin"
                placeholder="origin.example.com"
                hint="Where the CDN fetches your content: a host name or IP address, with a port if it is not the default, such as origin.example.com:8080. It becomes an origin group of one, named after it. Leave it empty to choose an origin group instead."
                error=field_error(error, "origin")
                initial=entered_value(error, "origin")
                required=false
            />
            <OriginGroupChoice error/>
            <fieldset
                class="field"
                aria-invalid=move || integration_error.with(Option::is_some).then_some("true")
                aria-describedby=move || integration_error.with(Option::is_some).then_some("integration-error")
            >
                <legend>"What should the CDN serve?"</legend>
                {
                    let chosen = entered_value(error, "integration");
                    Integration::ALL
                        .into_iter()
                        .map(|integration| {
                            let checked = chosen.as_deref() == Some(integration.as_str());
                            view! { <IntegrationChoice integration checked/> }
                        })
                        .collect_view()
                }
                {move || integration_error.get().map(|message| view! {
                    <p class="field-error" id="integration-error">{message}</p>
                })}
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Create"</button>
                <a href="/cdn" class="button">"Cancel"</a>
            </div>
        </ActionForm>
    }
}

/// The alternative to a single origin: one of the account's origin groups, or none (the
/// origin above makes one).
#[component]
fn OriginGroupChoice(error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    let groups = Resource::new(|| (), |()| list_origin_groups());
    let chosen = entered_value(error, "origin_group").unwrap_or_default();
    let group_error = field_error(error, "origin_group");
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let chosen = chosen.clone();
                Suspend::new(async move {
                    match groups.await {
                        Ok(groups) => view! { <GroupSelect groups chosen error=group_error none="None: a new group of the origin above"/> }.into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn IntegrationChoice(integration: Integration, checked: bool) -> impl IntoView {
    let id = format!("integration-{}", integration.as_str());
    let hint_id = format!("{id}-hint");
    let hint = match integration {
        Integration::EntireWebsite => {
            "The CDN serves your whole site: pages, API calls and assets. WebSockets are on by default."
        }
        Integration::StaticAssetsOnly => {
            "The CDN serves files such as images, scripts, styles and downloads. WebSockets are off by default."
        }
    };
    view! {
        <div class="choice">
            <input
                type="radio"
                id=id.clone()
                name="integration"
                value=integration.as_str()
                checked=checked
                required
                aria-describedby=hint_id.clone()
            />
            <label for=id>{integration.label()}</label>
            <p class="hint" id=hint_id>{hint}</p>
        </div>
    }
}
