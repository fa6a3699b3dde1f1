use crate::error::AppError;
use crate::model::{ApiToken, IssuedToken};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{
    domain::Timestamp,
    server::{api_tokens, request},
};

/// Where customers manage their API tokens.
pub const API_TOKENS_PATH: &str = "/account/api-tokens";

/// The API tokens page: the account's tokens, and the secret of one just issued to a form
/// posted without JavaScript (shown once, then forgotten).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokensView {
    pub tokens: Vec<ApiToken>,
    pub just_issued: Option<IssuedToken>,
}

#[server(prefix = "/api", endpoint = "api_tokens")]
pub async fn api_tokens() -> Result<ApiTokensView, AppError> {
    let account_id = request::require_account_id().await?;
    let tokens = api_tokens::list(&request::pool()?, account_id, Timestamp::now()).await?;
    let just_issued = request::take_issued_token().await?;
    Ok(ApiTokensView { tokens, just_issued })
}

/// Issues a token for the signed-in account. `expires_in_days`: empty for no expiry.
#[server(prefix = "/api", endpoint = "create_api_token")]
pub async fn create_api_token(name: String, expires_in_days: String) -> Result<IssuedToken, AppError> {
    let account_id = request::require_account_id().await?;
    let (token, secret) = async {
        let new = api_tokens::NewToken::parse(&name, &expires_in_days)?;
        api_tokens::issue(&request::pool()?, account_id, &new, Timestamp::now()).await
    }
    .await
    .map_err(|error| error.keeping_entered([("name", name.as_str()), ("expires_in_days", expires_in_days.as_str())]))?;
    let issued = IssuedToken { token, secret };
    if request::is_plain_form_post() {
        // The secret must not travel in a URL; the page takes it from the session, once.
        request::keep_issued_token(&issued).await?;
        leptos_axum::redirect(API_TOKENS_PATH);
    }
    Ok(issued)
}

/// Revokes one of the signed-in account's tokens: the API refuses it from now on.
#[server(prefix = "/api", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(token_id: i64) -> Result<(), AppError> {
    let account_id = request::require_account_id().await?;
    api_tokens::revoke(&request::pool()?, account_id, token_id, Timestamp::now()).await?;
    if request::is_plain_form_post() {
        leptos_axum::redirect(API_TOKENS_PATH);
    }
    Ok(())
}
