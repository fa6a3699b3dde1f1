use super::AccountContext;
use crate::api::LogOut;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn SiteHeader() -> impl IntoView {
    let log_out = ServerAction::<LogOut>::new();
    let account = AccountContext::get().account();
    view! {
        <header class="site-header">
            <a class="brand" href="/">"Edgeport"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    account.await.ok().flatten().map(|account| view! {
                        <nav class="main-nav" aria-label="Main">
                            <A href="/cdn">"CDN"</A>
                            <A href=crate::api::API_TOKENS_PATH>"API tokens"</A>
                        </nav>
                        <div class="account-menu">
                            <span class="account-email">{account.email.to_string()}</span>
                            <ActionForm action=log_out>
                                <button type="submit" class="quiet">"Log out"</button>
                            </ActionForm>
                        </div>
                    })
                })}
            </Transition>
        </header>
    }
}
