use crate::domain::Timestamp;
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

/// A moment, readable and machine-readable.
#[component]
pub fn When(at: Timestamp) -> impl IntoView {
    view! { <time datetime=at.to_rfc3339()>{at.to_string()}</time> }
}
