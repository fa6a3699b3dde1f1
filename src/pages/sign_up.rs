use crate::api::SignUp;
use crate::components::{CredentialFields, FormAlert, SignedOutOnly, action_error};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignUpPage() -> impl IntoView {
    view! {
        <Title text="Sign up"/>
        <SignedOutOnly>
            <SignUpForm/>
        </SignedOutOnly>
    }
}

#[component]
fn SignUpForm() -> impl IntoView {
    let sign_up = ServerAction::<SignUp>::new();
    let error = action_error(sign_up);
    view! {
        <section class="auth-panel" aria-labelledby="sign-up-heading">
            <h1 id="sign-up-heading">"Create your account"</h1>
            <p class="lead">"Put your domains behind the CDN in a few minutes."</p>
            <ActionForm action=sign_up>
                <FormAlert error/>
                <CredentialFields error new_password=true/>
                <button type="submit" class="primary" disabled=move || sign_up.pending().get()>
                    "Create account"
                </button>
            </ActionForm>
            <p class="switch-auth">"Already have an account? " <a href="/">"Log in"</a></p>
        </section>
    }
}
