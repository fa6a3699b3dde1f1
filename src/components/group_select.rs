use crate::model::OriginGroupUse;
use leptos::prelude::*;

/// A select of origin groups named `origin_group` (its value: a group's id), labelled
/// "Origin group", with `chosen` selected. With `none`, a first option of that text and no
/// value leaves the choice to whatever else the form offers.
#[component]
pub fn GroupSelect(
    groups: Vec<OriginGroupUse>,
    chosen: String,
    error: Signal<Option<String>>,
    #[prop(optional)] none: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for="origin_group">"Origin group"</label>
            <p class="hint" id="origin_group-hint">
                "Where the content comes from: one or more origins, with backups, managed under CDN → Origin groups."
            </p>
            <select
                id="origin_group"
                name="origin_group"
                aria-describedby=move || if error.with(Option::is_some) { "origin_group-hint origin_group-error" } else { "origin_group-hint" }
                aria-invalid=move || error.with(Option::is_some).then_some("true")
            >
                {none.map(|none| view! { <option value="" selected=chosen.is_empty()>{none}</option> })}
                {groups.into_iter().map(|OriginGroupUse { group, .. }| {
                    let value = group.id.to_string();
                    let selected = value == chosen;
                    view! { <option value=value selected=selected>{group.name.to_string()}</option> }
                }).collect_view()}
            </select>
            {move || error.get().map(|message| view! { <p class="field-error" id="origin_group-error">{message}</p> })}
        </div>
    }
}
