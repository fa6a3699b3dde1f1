use crate::components::RequireAccount;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// Signed out: the log-in form. Signed in: straight on to the CDN section.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Log in"/>
        <RequireAccount>
            <Redirect path="/cdn"/>
        </RequireAccount>
    }
}
