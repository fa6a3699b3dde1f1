use crate::model::CertificateExpiry;
use leptos::prelude::*;

/// A warning badge for a certificate that has ended or ends within
/// [`crate::model::EXPIRY_WARNING_DAYS`]; nothing for one that does not.
#[component]
pub fn ExpiryWarning(expiry: CertificateExpiry) -> impl IntoView {
    expiry.warning().map(|warning| {
        let class = if expiry == CertificateExpiry::Expired { "badge expired" } else { "badge expiring" };
        view! { <span class=class>{warning}</span> }
    })
}
