use crate::api::list_certificates;
use crate::components::{CdnNav, CdnPage, ErrorPanel, ExpiryWarning, RequireAccount, When};
use crate::model::{Certificate, CertificateKind, resource_path};
use leptos::prelude::*;
use leptos_meta::Title;

/// CDN → SSL certificates, and CDN → Trusted CA certificates: the account's certificates of
/// `kind`, what each names, until when, and the resources that use each; those ending within 30
/// days are marked.
#[component]
pub fn CertificateListPage(kind: CertificateKind) -> impl IntoView {
    view! {
        <Title text=kind.plural_title()/>
        <RequireAccount>
            <CertificateList kind/>
        </RequireAccount>
    }
}

#[component]
fn CertificateList(kind: CertificateKind) -> impl IntoView {
    let certificates = Resource::new(|| (), move |()| list_certificates(kind));
    let current = match kind {
        CertificateKind::Ssl => CdnPage::Certificates,
        CertificateKind::TrustedCa => CdnPage::TrustedCas,
    };
    view! {
        <CdnNav current/>
        <div class="page-heading">
            <h1>{kind.plural_title()}</h1>
            <a class="button primary" href=kind.new_path()>"Add certificate"</a>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match certificates.await {
                    Ok(certificates) if certificates.is_empty() => view! { <EmptyState kind/> }.into_any(),
                    Ok(certificates) => view! { <CertificateTable kind certificates/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EmptyState(kind: CertificateKind) -> impl IntoView {
    let what = match kind {
        CertificateKind::Ssl => {
            "Add your domain's certificate and its private key to serve a CDN resource over HTTPS, and its WebSockets over wss://. Then turn HTTPS on in the resource's General settings."
        }
        CertificateKind::TrustedCa => {
            "Add the certificate of the CA that signed your origin's certificate when it is not one the public trusts (a private CA). Then choose it in the General settings of each resource that fetches from that origin over HTTPS."
        }
    };
    view! {
        <div class="empty-state">
            <h2>{format!("No {} yet", kind.plural_name())}</h2>
            <p>{what}</p>
        </div>
    }
}

#[component]
fn CertificateTable(kind: CertificateKind, certificates: Vec<Certificate>) -> impl IntoView {
    // An SSL certificate is known by the domains it covers; a CA by its subject.
    let names_heading = match kind {
        CertificateKind::Ssl => "Domains",
        CertificateKind::TrustedCa => "Subject",
    };
    view! {
        <table class="resources">
            <caption class="visually-hidden">{format!("Your {}", kind.plural_name())}</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">{names_heading}</th>
                    <th scope="col">"Valid until"</th>
                    <th scope="col">"Used by"</th>
                </tr>
            </thead>
            <tbody>
                {certificates
                    .into_iter()
                    .map(|certificate| {
                        let common_name = certificate.common_name_shown();
                        view! {
                            <tr>
                                <th scope="row" data-label="Name">
                                    <a href=kind.path(certificate.id)>{certificate.name}</a>
                                </th>
                                <td class="mono" data-label=names_heading>
                                    {match kind {
                                        CertificateKind::Ssl => view! {
                                            <ul class="plain">
                                                {certificate.subject_alt.into_iter().map(|name| view! { <li>{name}</li> }).collect_view()}
                                            </ul>
                                        }.into_any(),
                                        CertificateKind::TrustedCa => common_name.into_any(),
                                    }}
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
