use leptos::prelude::*;
use leptos_meta::Title;

/// The page for anything that does not exist or is not the visitor's to see, answered with 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <section class="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address, or it belongs to another account."</p>
            <p><a href="/cdn">"Go to your CDN resources"</a></p>
        </section>
    }
}
