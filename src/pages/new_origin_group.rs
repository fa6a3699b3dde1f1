use crate::api::CreateOriginGroup;
use crate::components::{FormAlert, OriginGroupFields, RequireAccount, action_error};
use crate::model::ORIGIN_GROUPS_PATH;
use leptos::prelude::*;
use leptos_meta::Title;

/// CDN → Origin groups → Create origin group: a plain form, alike with JavaScript on or off.
#[component]
pub fn NewOriginGroupPage() -> impl IntoView {
    view! {
        <Title text="Create origin group"/>
        <RequireAccount>
            <NewOriginGroupForm/>
        </RequireAccount>
    }
}

#[component]
fn NewOriginGroupForm() -> impl IntoView {
    let create = ServerAction::<CreateOriginGroup>::new();
    let error = action_error(create);
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href=ORIGIN_GROUPS_PATH>"Origin groups"</a>
        </nav>
        <h1>"Create origin group"</h1>
        <ActionForm action=create attr:class="panel">
            <FormAlert error/>
            <OriginGroupFields group=None error/>
            <div class="form-actions">
                <button type="submit" class="primary">"Create origin group"</button>
                <a href=ORIGIN_GROUPS_PATH class="button">"Cancel"</a>
            </div>
        </ActionForm>
    }
}
