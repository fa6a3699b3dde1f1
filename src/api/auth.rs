use crate::error::AppError;
use crate::model::Account;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{accounts, request};

/// The account the browser's session is signed in to, if any.
#[server(prefix = "/api", endpoint = "current_account")]
pub async fn current_account() -> Result<Option<Account>, AppError> {
    let Some(account_id) = request::signed_in_account_id().await? else {
        return Ok(None);
    };
    // A session may outlive its account; then it is simply signed out.
    accounts::find(request::pool()?.db(), account_id).await
}

#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(email: String, password: String) -> Result<(), AppError> {
    let limits = request::limits()?;
    let account =
        accounts::sign_up(&request::pool()?, &limits, request::client_address().await, &email, password).await?;
    request::sign_in(account.id).await?;
    leptos_axum::redirect("/cdn");
    Ok(())
}

/// Signs in and stays on the page that asked, which then shows what it guarded.
#[server(prefix = "/api", endpoint = "log_in")]
pub async fn log_in(email: String, password: String) -> Result<(), AppError> {
    let limits = request::limits()?;
    let attempt = limits.begin_log_in(&email, request::client_address().await).await?;
    let account = accounts::log_in(&request::pool()?, &email, password).await?;
    attempt.succeeded().await?;
    request::sign_in(account.id).await?;
    if request::is_plain_form_post() {
        leptos_axum::redirect(&request::referring_page().unwrap_or_else(|| "/cdn".to_owned()));
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "log_out")]
pub async fn log_out() -> Result<(), AppError> {
    request::sign_out().await?;
    leptos_axum::redirect("/");
    Ok(())
}
