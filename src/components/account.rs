use super::{ErrorPanel, FormAlert, TextField, action_error, field_error};
use crate::api::{LogIn, current_account};
use crate::error::AppError;
use crate::model::Account;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::Redirect;

/// Who is signed in, shared by the header and every guarded page. It reloads whenever a
/// log-in, sign-up or log-out succeeds, so the page follows the session without a reload.
#[derive(Clone, Copy)]
pub struct AccountContext {
    account: Resource<Result<Option<Account>, AppError>>,
    generation: RwSignal<u64>,
}

impl AccountContext {
    pub fn provide() {
        let generation = RwSignal::new(0_u64);
        let account = Resource::new(move || generation.get(), |_| current_account());
        provide_context(Self { account, generation });
    }

    pub fn get() -> Self {
        expect_context()
    }

    pub fn account(self) -> Resource<Result<Option<Account>, AppError>> {
        self.account
    }

    /// Reloads the account after each successful run of `action`.
    pub fn reload_after<S>(self, action: ServerAction<S>)
    where
        S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        S::Output: Clone + Send + Sync + 'static,
    {
        Effect::new(move |_| {
            if action.value().with(|outcome| matches!(outcome, Some(Ok(_)))) {
                self.generation.update(|generation| *generation += 1);
            }
        });
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
    AccountContext::get().reload_after(log_in);
    let error = action_error(log_in);
    view! {
        <section class="auth-panel" aria-labelledby="log-in-heading">
            <h1 id="log-in-heading">"Log in"</h1>
            <p class="lead">"Manage your CDN resources and their settings."</p>
            <ActionForm action=log_in>
                <FormAlert error/>
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
                    autocomplete="current-password"
                    error=field_error(error, "password")
                />
                <button type="submit" class="primary" disabled=move || log_in.pending().get()>
                    "Log in"
                </button>
            </ActionForm>
            <p class="switch-auth">"New here? " <a href="/signup">"Sign up"</a></p>
        </section>
    }
}
