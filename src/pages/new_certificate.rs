use crate::api::CreateCertificate;
use crate::components::{CertificateFields, FormAlert, RequireAccount, action_error};
use crate::model::CertificateKind;
use leptos::prelude::*;
use leptos_meta::Title;

/// CDN → SSL certificates (or Trusted CA certificates) → Add certificate: a plain form, alike
/// with JavaScript on or off.
#[component]
pub fn NewCertificatePage(kind: CertificateKind) -> impl IntoView {
    view! {
        <Title text=format!("Add {}", kind.name())/>
        <RequireAccount>
            <NewCertificateForm kind/>
        </RequireAccount>
    }
}

#[component]
fn NewCertificateForm(kind: CertificateKind) -> impl IntoView {
    let create = ServerAction::<CreateCertificate>::new();
    let error = action_error(create);
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href=kind.list_path()>{kind.plural_title()}</a>
        </nav>
        <h1>{format!("Add {}", kind.name())}</h1>
        <ActionForm action=create attr:class="panel">
            <FormAlert error/>
            <CertificateFields kind name=String::new() error/>
            <div class="form-actions">
                <button type="submit" class="primary">"Add certificate"</button>
                <a href=kind.list_path() class="button">"Cancel"</a>
            </div>
        </ActionForm>
    }
}
