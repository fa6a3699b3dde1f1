//! The CDN customer portal: a Leptos app rendered on the server and hydrated in the browser.

pub mod api;
pub mod app;
mod components;
pub mod domain;
pub mod error;
pub mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
