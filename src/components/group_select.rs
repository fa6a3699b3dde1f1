use super::SelectField;
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
    let none = none.map(|none| (String::new(), none.to_owned()));
    let choices = none
        .into_iter()
        .chain(groups.into_iter().map(|OriginGroupUse { group, .. }| (group.id.to_string(), group.name.to_string())))
        .collect();
    view! {
        <SelectField label="Origin group" name="origin_group" choices chosen error>
            "Where the content comes from: one or more origins, with backups, managed under CDN → Origin groups."
        </SelectField>
    }
}
