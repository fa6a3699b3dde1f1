use super::{TextField, field_error};
use crate::error::AppError;
use leptos::prelude::*;

/// The email and password fields of the log-in and sign-up forms. `new_password` asks password
/// managers to suggest a new one (`autocomplete="new-password"`) and says what a good one is.
#[component]
pub fn CredentialFields(error: Signal<Option<AppError>>, #[prop(optional)] new_password: bool) -> impl IntoView {
    view! {
        <TextField
            label="Email"
            name="email"
            input_type="email"
            autocomplete="username"
            error=field_error(error, "email")
        />
        <TextField
            label="Password"
            name="password"
            input_type="password"
            autocomplete=if new_password { "new-password" } else { "current-password" }
            hint=new_password
                .then_some("At least 8 characters. A passphrase of a few words is easy to remember and hard to guess.")
            error=field_error(error, "password")
        />
    }
}
