use leptos::prelude::*;

/// An option's state in a list or summary.
#[component]
pub fn OnOff(enabled: bool) -> impl IntoView {
    view! {
        <span class=if enabled { "badge on" } else { "badge off" }>
            {if enabled { "On" } else { "Off" }}
        </span>
    }
}
