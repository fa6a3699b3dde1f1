use crate::api::{ApiTokensView, CreateApiToken, RevokeApiToken, api_tokens};
use crate::components::{
    ErrorPanel, FormAlert, RequireAccount, TextField, When, action_error, entered_value, field_error,
};
use crate::error::AppError;
use crate::model::{ApiToken, IssuedToken, OPENAPI_PATH, TokenState};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    // Loaded here, once per page, rather than inside RequireAccount, which may draw its children
    // more than once while the account loads: loading the page takes the secret of a token just
    // issued from the session, and a second load would find it gone.
    let tokens = Resource::new(|| (), |()| api_tokens());
    view! {
        <Title text="API tokens"/>
        <RequireAccount>
            <ApiTokens tokens/>
        </RequireAccount>
    }
}

/// Lifetimes offered for a new token, in days; empty for none.
const LIFETIMES: [(&str, &str); 4] = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "Never")];
const DEFAULT_LIFETIME: &str = "90";

#[component]
fn ApiTokens(tokens: Resource<Result<ApiTokensView, AppError>>) -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let error = action_error(create);
    let revoke_error = action_error(revoke);
    let chosen_lifetime = entered_value(error, "expires_in_days").unwrap_or_else(|| DEFAULT_LIFETIME.to_owned());
    let lifetime_error = field_error(error, "expires_in_days");
    view! {
        <h1>"API tokens"</h1>
        <p class="lead">
            "Scripts and tools such as Terraform manage your CDN resources through the "
            <a href=OPENAPI_PATH>"REST API"</a>
            ". Each request carries a token: "
            <code>"Authorization: APIKey <token>"</code>
            ". A token acts for your account only; changes made with it appear in each resource's history under the token's name."
        </p>
        <ActionForm action=create attr:class="panel">
            <h2>"Create a token"</h2>
            <FormAlert error/>
            <TextField
                label="Name"
                name="name"
                hint="Where the token is used, such as “deploy script”."
                error=field_error(error, "name")
                initial=entered_value(error, "name")
            />
            <div class="field">
                <label for="expires_in_days">"Expires after"</label>
                <select
                    id="expires_in_days"
                    name="expires_in_days"
                    aria-invalid=move || lifetime_error.with(Option::is_some).then_some("true")
                >
                    {LIFETIMES
                        .into_iter()
                        .map(|(days, label)| view! { <option value=days selected=chosen_lifetime == days>{label}</option> })
                        .collect_view()}
                </select>
                {move || lifetime_error.get().map(|message| view! { <p class="field-error">{message}</p> })}
            </div>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Create token"</button>
            </div>
        </ActionForm>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(view) => {
                        view! {
                            {view.just_issued.map(|issued| view! { <NewSecret issued/> })}
                            {move || revoke_error.get().map(|error| view! { <ErrorPanel error/> })}
                            <TokenTable tokens=view.tokens revoke/>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The secret of a token just created: the only time anyone sees it.
#[component]
fn NewSecret(issued: IssuedToken) -> impl IntoView {
    view! {
        <div class="notice success" role="status">
            <p>
                <strong>"Token “" {issued.token.name} "” created."</strong>
                " Copy it now: it is not stored, and will not be shown again."
            </p>
            <label for="new-token-secret">"New API token"</label>
            <input id="new-token-secret" class="mono secret" type="text" readonly value=issued.secret/>
        </div>
    }
}

#[component]
fn TokenTable(tokens: Vec<ApiToken>, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="empty-state">"No API tokens yet."</p> }.into_any();
    }
    let date = |at: Option<crate::domain::Timestamp>, none: &'static str| match at {
        Some(at) => view! { <When at/> }.into_any(),
        None => none.into_any(),
    };
    view! {
        <table class="resources tokens">
            <caption>"Your API tokens"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Token"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {tokens
                    .into_iter()
                    .map(|token| {
                        let revoke_label = format!("Revoke {}", token.name);
                        view! {
                            <tr>
                                <th scope="row" data-label="Name">{token.name.clone()}</th>
                                <td class="mono" data-label="Token">{format!("{}…", token.secret_start)}</td>
                                <td data-label="Created">{date(Some(token.created_at), "")}</td>
                                <td data-label="Expires">{date(token.expires_at, "Never")}</td>
                                <td data-label="Last used">{date(token.last_used_at, "Never")}</td>
                                <td data-label="Status">{token.state.label()}</td>
                                <td>
                                    {(token.state == TokenState::Active).then(|| view! {
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="token_id" value=token.id/>
                                            <button type="submit" class="quiet danger" aria-label=revoke_label>"Revoke"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
