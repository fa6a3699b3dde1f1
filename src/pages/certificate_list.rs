use crate::api::list_certificates;
use crate::components::{CdnNav, CdnPage, ErrorPanel, ExpiryWarning, RequireAccount, When};
use crate::model::{Certificate, NEW_CERTIFICATE_PATH, certificate_path, resource_path};
use leptos::prelude::*;
use leptos_meta::Title;

/// CDN → SSL certificates: the account's certificates, what each covers, until when, and the
/// resources that use each; those ending within 30 days are marked.
#[component]
pub fn CertificateListPage() -> impl IntoView {
    view! {
        <Title text="SSL certificates"/>
        <RequireAccount>
            <CertificateList/>
        </RequireAccount>
    }
}

#[component]
fn CertificateList() -> impl IntoView {
    let certificates = Resource::new(|| (), |()| list_certificates());
    view! {
        <CdnNav current=CdnPage::Certificates/>
        <div class="page-heading">
            <h1>"SSL certificates"</h1>
            <a class="button primary" href=NEW_CERTIFICATE_PATH>"Add certificate"</a>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match certificates.await {
                    Ok(certificates) if certificates.is_empty() => view! { <EmptyState/> }.into_any(),
                    Ok(certificates) => view! { <CertificateTable certificates/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EmptyState() -> impl IntoView {
    view! {
        <div class="empty-state">
            <h2>"No SSL certificates yet"</h2>
            <p>
                "Add your domain's certificate and its private key to serve a CDN resource over "
                "HTTPS, and its WebSockets over wss://. Then turn HTTPS on in the resource's "
                "General settings."
            </p>
        </div>
    }
}

#[component]
fn CertificateTable(certificates: Vec<Certificate>) -> impl IntoView {
    view! {
        <table class="resources">
            <caption class="visually-hidden">"Your SSL certificates"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Domains"</th>
                    <th scope="col">"Valid until"</th>
                    <th scope="col">"Used by"</th>
                </tr>
            </thead>
            <tbody>
                {certificates
                    .into_iter()
                    .map(|certificate| {
                        view! {
                            <tr>
                                <th scope="row" data-label="Name">
                                    <a href=certificate_path(certificate.id)>{certificate.name}</a>
                                </th>
                                <td class="mono" data-label="Domains">
                                    <ul class="plain">
                                        {certificate.subject_alt.into_iter().map(|name| view! { <li>{name}</li> }).collect_view()}
                                    </ul>
                                </td>
                                <td data-label="Valid until">
                                    <When at=certificate.not_after/>
                                    " "
                                    <ExpiryWarning expiry=certificate.expiry/>
                                </td>
                                <td data-label="Used by">
                                    {if certificate.used_by.is_empty() {
                                        view! { <span class="hint">"No resources"</span> }.into_any()
                                    } else {
                                        view! {
                                            <ul class="plain">
                                                {certificate.used_by.into_iter().map(|user| view! {
                                                    <li><a href=resource_path(user.id)>{user.custom_domain.to_string()}</a></li>
                                                }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
