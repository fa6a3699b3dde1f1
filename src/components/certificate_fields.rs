use super::{TextField, entered_value, field_error};
use crate::error::AppError;
use crate::model::CertificateKind;
use leptos::prelude::*;

/// The fields of a certificate's form, to upload one or to replace one: its kind (hidden), its
/// name, the PEM certificates and, for an SSL certificate, the PEM private key. `name` is what is
/// stored (empty for a new certificate); a refused form post (`error`) shows the name entered.
/// The PEM fields always start empty: a refused post never sends a private key back (it would
/// travel in the redirect's address), so the customer pastes them again.
#[component]
pub fn CertificateFields(kind: CertificateKind, name: String, error: Signal<Option<AppError>>) -> impl IntoView {
    let name = entered_value(error, "name").unwrap_or(name);
    let (name_hint, certificate_hint) = match kind {
        CertificateKind::Ssl => (
            "What you call this certificate, such as the domains it covers; unique among your certificates.",
            "PEM: your domain's certificate first, then each intermediate certificate that signed the one before it (-----BEGIN CERTIFICATE----- …).",
        ),
        CertificateKind::TrustedCa => (
            "What you call this CA, such as the origins it signs for; unique among your trusted CA certificates.",
            "PEM: the certificate of the CA that signed your origin's certificate (-----BEGIN CERTIFICATE----- …); several CAs may follow one another.",
        ),
    };
    view! {
        <input type="hidden" name="kind" value=kind.as_str()/>
        <TextField label="Name" name="name" hint=name_hint error=field_error(error, "name") initial=Some(name)/>
        <PemField label="Certificate" name="certificate" hint=certificate_hint error=field_error(error, "certificate")/>
        {kind.has_private_key().then(|| view! {
            <PemField
                label="Private key"
                name="private_key"
                hint="PEM: the certificate's private key, RSA, ECDSA or Ed25519, not protected by a passphrase. It is stored encrypted and never shown again."
                error=field_error(error, "private_key")
            />
        })}
    }
}

/// A labelled text area for PEM text, with its hint and error tied to it for screen readers.
#[component]
fn PemField(
    label: &'static str,
    name: &'static str,
    hint: &'static str,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || if error.with(Option::is_some) { format!("{hint_id} {error_id}") } else { hint_id.clone() }
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <p class="hint" id=hint_id>{hint}</p>
            <textarea
                id=name
                name=name
                class="mono"
                rows="8"
                required=true
                autocomplete="off"
                spellcheck="false"
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=described_by
            ></textarea>
            {move || error.get().map(|message| view! { <p class="field-error" id=error_id.clone()>{message}</p> })}
        </div>
    }
}
