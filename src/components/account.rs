use super::{CredentialFields, ErrorPanel, FormAlert, action_error};
use crate::api::{LogIn, current_account};
use crate::error::AppError;
use crate::model::Account;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Who is signed in, loaded once per page and shared by the header and every guarded page.
#[derive(Clone, Copy)]
pub struct AccountContext {
    account: Resource<Result<Option<Account>, AppError>>,
}

impl AccountContext {
    pub fn provide() {
        provide_context(Self { account: Resource::new(|| (), |()| current_account()) });
    }

    pub fn get() -> Self {
        expect_context()
    }

    pub fn account(self) -> Resource<Result<Option<Account>, AppError>> {
        self.account
    }
}

/// Shows its children only to a signed-in customer; anyone else gets the log-in form in their
/// place. (The server functions behind the children check the session too.)
#[component]
pub fn RequireAccount(children: ChildrenFn) -> impl IntoView {
    view! {
        <AccountGate children choose=|account, children| match account {
            Ok(Some(_)) => children().into_any(),
            Ok(None) | Err(AppError::Unauthenticated) => view! { <LogInPanel/> }.into_any(),
            Err(error) => view! { <ErrorPanel error/> }.into_any(),
        }/>
    }
}

/// For pages that only make sense signed out (sign-up): a signed-in customer goes to the CDN section.
#[component]
pub fn SignedOutOnly(children: ChildrenFn) -> impl IntoView {
    view! {
        <AccountGate children choose=|account, children| match account {
            Ok(Some(_)) => view! { <Redirect path="/cdn"/> }.into_any(),
            _ => children().into_any(),
        }/>
    }
}

/// Waits for the signed-in account, then lets `choose` decide what stands in the page.
#[component]
fn AccountGate(
    children: ChildrenFn,
    choose: fn(Result<Option<Account>, AppError>, ChildrenFn) -> AnyView,
) -> impl IntoView {
    let account = AccountContext::get().account();
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {
                let children = children.clone();
                move || {
                    let children = children.clone();
                    Suspend::new(async move { choose(account.await, children) })
                }
            }
        </Transition>
    }
}

#[component]
fn LogInPanel() -> impl IntoView {
    let log_in = ServerAction::<LogIn>::new();
    let error = action_error(log_in);
    view! {
        <section class="auth-panel" aria-labelledby="log-in-heading">
            <h1 id="log-in-heading">"Log in"</h1>
            <p class="lead">"Manage your CDN resources and their settings."</p>
            <ActionForm action=log_in>
                <FormAlert error/>
                <CredentialFields error/>
                <button type="submit" class="primary" disabled=move || log_in.pending().get()>
                    "Log in"
                </button>
            </ActionForm>
            <p class="switch-auth">"New here? " <a href="/signup">"Sign up"</a></p>
        </section>
    }
}
