use crate::components::{AccountContext, NotFound, SiteHeader};
use crate::model::CertificateKind;
use crate::pages::{
    ApiTokensPage, CertificateListPage, CertificatePage, GroupSection, HomePage, NewCertificatePage,
    NewOriginGroupPage, NewResourcePage, OriginGroupListPage, OriginGroupPage, ResourceListPage, ResourceSettingsPage,
    Section, SignUpPage,
};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/cdn-portal.css"/>
        <Title formatter=|page: String| format!("{page} · Edgeport CDN")/>
        // Every route renders completely before it is sent (SsrMode::Async): pages then work
        // without JavaScript, and a page can still answer 404 once it knows the resource is not
        // the visitor's.
        <Router>
            <Portal>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::Async/>
                    <Route path=path!("/cdn") view=ResourceListPage ssr=SsrMode::Async/>
                    <Route path=path!("/cdn/resources") view=ResourceListPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/api-tokens") view=ApiTokensPage ssr=SsrMode::Async/>
                    <Route path=path!("/cdn/new") view=NewResourcePage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/cdn/resources/:id")
                        view=|| view! { <ResourceSettingsPage section=Section::General/> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/cdn/resources/:id/content")
                        view=|| view! { <ResourceSettingsPage section=Section::Content/> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/cdn/resources/:id/reports")
                        view=|| view! { <ResourceSettingsPage section=Section::Reports/> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/cdn/resources/:id/history")
                        view=|| view! { <ResourceSettingsPage section=Section::History/> }
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/cdn/ssl") view=|| view! { <CertificateListPage kind=CertificateKind::Ssl/> } ssr=SsrMode::Async/>
                    <Route path=path!("/cdn/ssl/new") view=|| view! { <NewCertificatePage kind=CertificateKind::Ssl/> } ssr=SsrMode::Async/>
                    <Route path=path!("/cdn/ssl/:id") view=|| view! { <CertificatePage kind=CertificateKind::Ssl/> } ssr=SsrMode::Async/>
                    <Route path=path!("/cdn/trusted-cas") view=|| view! { <CertificateListPage kind=CertificateKind::TrustedCa/> } ssr=SsrMode::Async/>
                    <Route path=path!("/cdn/trusted-cas/new") view=|| view! { <NewCertificatePage kind=CertificateKind::TrustedCa/> } ssr=SsrMode::Async/>
                    <Route path=path!("/cdn/trusted-cas/:id") view=|| view! { <CertificatePage kind=CertificateKind::TrustedCa/> } ssr=SsrMode::Async/>
                    <Route path=path!("/cdn/origin_groups") view=OriginGroupListPage ssr=SsrMode::Async/>
                    <Route path=path!("/cdn/origin_groups/new") view=NewOriginGroupPage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/cdn/origin_groups/:id")
                        view=|| view! { <OriginGroupPage section=GroupSection::Settings/> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/cdn/origin_groups/:id/history")
                        view=|| view! { <OriginGroupPage section=GroupSection::History/> }
                        ssr=SsrMode::Async
                    />
                </Routes>
            </Portal>
        </Router>
    }
}

/// The frame around every page, and the account context that pages and header share.
#[component]
fn Portal(children: Children) -> impl IntoView {
    AccountContext::provide();
    view! {
        <SiteHeader/>
        <main id="main">{children()}</main>
    }
}
