use crate::api::{DeleteCertificate, ReplaceCertificate, get_certificate};
use crate::components::{
    CertificateFields, ErrorPanel, ExpiryWarning, FormAlert, NotFound, RequireAccount, When, action_error,
};
use crate::error::AppError;
use crate::model::{Certificate, CertificateKind, resource_path};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A certificate's page (`/cdn/ssl/{id}`, `/cdn/trusted-cas/{id}`): what it says, the resources
/// that use it, replacing it and deleting it. Another account's certificate, or none, is "Page
/// not found".
#[component]
pub fn CertificatePage(kind: CertificateKind) -> impl IntoView {
    view! {
        <RequireAccount>
            <CertificateLoaded kind/>
        </RequireAccount>
    }
}

#[component]
fn CertificateLoaded(kind: CertificateKind) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    let certificate =
        Resource::new(id, move |id| async move { get_certificate(kind, id.ok_or(AppError::NotFound)?).await });
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match certificate.await {
                    Ok(certificate) => view! { <CertificateDetails kind certificate/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What the certificate says, then its forms: plain, alike with JavaScript on or off; the
/// redirect after a replacement says how it went.
#[component]
fn CertificateDetails(kind: CertificateKind, certificate: Certificate) -> impl IntoView {
    let replace = ServerAction::<ReplaceCertificate>::new();
    let error = action_error(replace);
    let delete = ServerAction::<DeleteCertificate>::new();
    let delete_error = action_error(delete);
    let saved = use_query_map().with_untracked(|query| query.get("saved").is_some()) && error.get_untracked().is_none();
    let common_name = certificate.common_name_shown();
    let Certificate { id, name, subject_alt, issuer, not_before, not_after, used_by, version, expiry, .. } =
        certificate;
    let (in_use, unused, replacement) = match kind {
        CertificateKind::Ssl => (
            "These CDN resources serve HTTPS with this certificate. A replacement is used for new connections within a second. A certificate in use cannot be deleted: turn HTTPS off, or choose another certificate, in each resource's General settings first.",
            "No CDN resource serves HTTPS with this certificate: you may delete it.",
            "A renewed certificate, with its key: it must still cover the domains of every resource that uses it.",
        ),
        CertificateKind::TrustedCa => (
            "These CDN resources verify their HTTPS origin with this CA. A replacement is used for new connections to the origin within a second. A CA in use cannot be deleted: choose another, or the public roots only, in each resource's General settings first.",
            "No CDN resource verifies its origin with this CA: you may delete it.",
            "The CA's renewed certificates: the origins of the resources that use it must verify against them.",
        ),
    };
    view! {
        <Title text=name.clone()/>
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href=kind.list_path()>{kind.plural_title()}</a>
        </nav>
        <h1>{name.clone()}</h1>
        <section aria-labelledby="details-heading">
            <h2 id="details-heading">"Certificate"</h2>
            <dl class="details">
                <dt>"Common name"</dt>
                <dd class="mono">{common_name}</dd>
                {(kind == CertificateKind::Ssl).then(|| view! {
                    <dt>"Domains"</dt>
                    <dd class="mono">{subject_alt.join(", ")}</dd>
                })}
                <dt>"Issuer"</dt>
                <dd>{issuer}</dd>
                <dt>"Valid from"</dt>
                <dd><When at=not_before/></dd>
                <dt>"Valid until"</dt>
                <dd><When at=not_after/> " " <ExpiryWarning expiry/></dd>
            </dl>
        </section>
        <section aria-labelledby="used-by-heading">
            <h2 id="used-by-heading">"Used by"</h2>
            {if used_by.is_empty() {
                view! { <p>{unused}</p> }.into_any()
            } else {
                view! {
                    <p class="hint">{in_use}</p>
                    <ul>
                        {used_by.into_iter().map(|user| view! {
                            <li><a href=resource_path(user.id)>{user.custom_domain.to_string()}</a></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section aria-labelledby="replace-heading">
            <h2 id="replace-heading">"Replace certificate"</h2>
            <ActionForm action=replace attr:class="panel" attr:aria-labelledby="replace-heading">
                <p class="hint">{replacement}</p>
                <FormAlert error/>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="version" value=version/>
                <CertificateFields kind name error/>
                <div class="form-actions">
                    <button type="submit" class="primary">"Replace certificate"</button>
                    <p class="save-status" role="status">{saved.then_some("Certificate replaced")}</p>
                </div>
            </ActionForm>
            <ActionForm action=delete attr:class="danger-zone">
                <FormAlert error=delete_error/>
                <input type="hidden" name="kind" value=kind.as_str()/>
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="danger">"Delete certificate"</button>
            </ActionForm>
        </section>
    }
}
