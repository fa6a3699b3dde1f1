use crate::api::CreateCertificate;
use crate::components::{CertificateFields, FormAlert, RequireAccount, action_error};
use crate::model::CERTIFICATES_PATH;
use leptos::prelude::*;
use leptos_meta::Title;

/// CDN → SSL certificates → Add certificate: a plain form, alike with JavaScript on or off.
#[component]
pub fn NewCertificatePage() -> impl IntoView {
    view! {
        <Title text="Add SSL certificate"/>
        <RequireAccount>
            <NewCertificateForm/>
        </RequireAccount>
    }
}

#[component]
fn NewCertificateForm() -> impl IntoView {
    let create = ServerAction::<CreateCertificate>::new();
    let error = action_error(create);
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href=CERTIFICATES_PATH>"SSL certificates"</a>
        </nav>
        <h1>"Add SSL certificate"</h1>
        <ActionForm action=create attr:class="panel">
            <FormAlert error/>
            <CertificateFields name=String::new() error/>
            <div class="form-actions">
                <button type="submit" class="primary">"Add certificate"</button>
                <a href=CERTIFICATES_PATH class="button">"Cancel"</a>
            </div>
        </ActionForm>
    }
}
