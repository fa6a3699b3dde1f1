use leptos::prelude::*;

/// The pages of the CDN section's own navigation, as Gcore's CDN navigation lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CdnPage {
    Resources,
    OriginGroups,
    Certificates,
    TrustedCas,
}

/// The CDN section's navigation: its resources, origin groups, SSL certificates and trusted CA
/// certificates, the one being shown
/// marked `aria-current="page"` (told, not guessed from the path: the resource list is at
/// both `/cdn` and `/cdn/resources`).
#[component]
pub fn CdnNav(current: CdnPage) -> impl IntoView {
    let link = move |page: CdnPage, href: &'static str, label: &'static str| {
        view! { <a href=href aria-current=(page == current).then_some("page")>{label}</a> }
    };
    view! {
        <nav class="cdn-nav" aria-label="CDN">
            {link(CdnPage::Resources, "/cdn/resources", "CDN resources")}
            {link(CdnPage::OriginGroups, crate::model::ORIGIN_GROUPS_PATH, "Origin groups")}
            {link(CdnPage::Certificates, crate::model::CERTIFICATES_PATH, "SSL certificates")}
            {link(CdnPage::TrustedCas, crate::model::TRUSTED_CAS_PATH, "Trusted CA certificates")}
        </nav>
    }
}
