//! Server functions of a resource's Reports section: its WebSocket traffic.

use crate::error::AppError;
use crate::model::{OpenNow, ReportPeriod, WsReport};
#[cfg(feature = "ssr")]
use crate::server::{request, resources, ws_traffic};
use leptos::prelude::*;

/// The resource's WebSocket traffic over `period`, ending now, with its charts drawn.
#[server(prefix = "/api", endpoint = "resource_ws_report")]
pub async fn resource_ws_report(id: i64, period: ReportPeriod) -> Result<WsReport, AppError> {
    let account_id = request::require_account_id().await?;
    let pool = request::pool()?;
    resources::ensure_owned(pool.db(), account_id, id).await?;
    ws_traffic::report(&pool, id, period, std::time::SystemTime::now()).await
}

/// The resource's WebSocket connections open now, across the CDN edges.
#[server(prefix = "/api", endpoint = "resource_open_now")]
pub async fn resource_open_now(id: i64) -> Result<OpenNow, AppError> {
    let account_id = request::require_account_id().await?;
    let pool = request::pool()?;
    resources::ensure_owned(pool.db(), account_id, id).await?;
    Ok(ws_traffic::open_now(&pool, &[id], std::time::SystemTime::now()).await?.pop().unwrap_or_default())
}
