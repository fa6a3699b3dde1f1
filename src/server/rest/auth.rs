//! Who is calling: the account and name of the API token in `Authorization: APIKey <token>`, within
//! the API's limits (`crate::server::limits`): a client address past its failed token checks is
//! refused before its token is looked at, and a valid token within its rate.

use super::{ApiError, ApiState};
use crate::domain::Timestamp;
use crate::server::resources::Actor;
use crate::server::{api_tokens, client_address};
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};

/// The caller of an API operation, as recorded in the history of what it changes.
pub struct ApiCaller(pub Actor);

impl FromRequestParts<ApiState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let client_address = client_address::of(parts);
        state.limits.api_token_check(client_address).await?;
        let holder = match presented_secret(&parts.headers) {
            Some(secret) => api_tokens::authenticate(&state.pool, secret, Timestamp::now()).await?,
            None => None,
        };
        let Some(holder) = holder else {
            state.limits.api_token_failed(client_address).await?;
            return Err(ApiError::unauthenticated());
        };
        state.limits.api_request(holder.token_id).await?;
        Ok(ApiCaller(Actor::api(holder.account_id, holder.token_name, client_address)))
    }
}

/// The token of an `APIKey` authorization (the scheme's case does not matter).
fn presented_secret(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("APIKey").then(|| secret.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_the_apikey_scheme_carries_a_token() {
        let with = |value: &str| HeaderMap::from_iter([(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap())]);
        assert_eq!(presented_secret(&with("APIKey cdnp_abc")), Some("cdnp_abc"));
        assert_eq!(presented_secret(&with("apikey  cdnp_abc ")), Some("cdnp_abc"));
        assert_eq!(presented_secret(&with("Bearer cdnp_abc")), None);
        assert_eq!(presented_secret(&with("cdnp_abc")), None);
        assert_eq!(presented_secret(&HeaderMap::new()), None);
    }
}
