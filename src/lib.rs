//! The CDN customer portal: pages rendered on the server, with islands that run in the browser.

pub mod api;
pub mod app;
mod components;
pub mod domain;
pub mod error;
pub mod model;
pub mod options;
mod pages;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
