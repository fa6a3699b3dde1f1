use leptos::prelude::*;

/// A labelled `<select>` named `name`, its hint (the children) and its error tied to it for
/// screen readers: `choices` are `(value, label)` pairs, the one whose value is `chosen`
/// selected. The one shape of every choice among a list in the portal's forms.
#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    choices: Vec<(String, String)>,
    chosen: String,
    error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || if error.with(Option::is_some) { format!("{hint_id} {error_id}") } else { hint_id.clone() }
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <p class="hint" id=hint_id>{children()}</p>
            <select
                id=name
                name=name
                aria-describedby=described_by
                aria-invalid=move || error.with(Option::is_some).then_some("true")
            >
                {choices
                    .into_iter()
                    .map(|(value, label)| {
                        let selected = value == chosen;
                        view! { <option value=value selected=selected>{label}</option> }
                    })
                    .collect_view()}
            </select>
            {move || error.get().map(|message| view! { <p class="field-error" id=error_id.clone()>{message}</p> })}
        </div>
    }
}
