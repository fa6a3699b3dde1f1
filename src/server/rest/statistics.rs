//! `/cdn/statistics/…`: the WebSocket traffic the edges report (`crate::server::ws_traffic`), in
//! the shape of Gcore's CDN statistics API where one fits:
//!
//! - `GET /cdn/statistics/series` (Gcore's `client.cdn.statistics.get_resource_usage_series`):
//!   each metric asked for, per point of `granularity` from `from` to `to`, summed over the
//!   resources or, with `group_by=resource`, per resource;
//! - `GET /cdn/statistics/websockets/live`: the connections open now, per resource.
//!
//! Both read only the token's account's resources: a `resource` that is not one of them is 404,
//! as for its own path. Every parameter is checked, and one that is not offered is refused by
//! name with 400, never ignored.

use super::auth::ApiCaller;
use super::errors::BadQuery;
use super::{ApiError, ApiState};
use crate::domain::Timestamp;
use crate::error::AppError;
use crate::server::resources;
use crate::server::ws_traffic::{self, Granularity, Points, Range, WsMetric};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::SystemTime;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, ToSchema};

pub(super) const SERIES_PATH: &str = "/cdn/statistics/series";
pub(super) const LIVE_PATH: &str = "/cdn/statistics/websockets/live";
/// Where this module's paths start: every request under it is the API's (there is no page).
pub(super) const STATISTICS_PREFIX: &str = "/cdn/statistics/";

/// The most points one series may have (`(to - from) / granularity`).
pub const MAX_POINTS_PER_METRIC: i64 = 10_000;
/// The most values one answer may hold (points × metrics × resources), so that an account with
/// many resources cannot ask for more than the portal should build at once.
pub const MAX_VALUES: i64 = 1_000_000;

/// Gcore's statistics filters that this CDN has no meaning for (its edges are not placed in
/// regions or countries): refused with a 400 that says so.
const GCORE_FILTERS_NOT_OFFERED: [&str; 2] = ["countries", "regions"];
/// Gcore's `group_by` values other than `resource`, refused with a 400 naming the one offered.
const GCORE_GROUPINGS_NOT_OFFERED: [&str; 4] = ["region", "country", "vhost", "client_country"];

/// The query of `GET /cdn/statistics/series`, as Gcore's statistics API names it. Any other
/// parameter is refused with 400 naming it.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SeriesQuery {
    /// The start of the period (RFC 3339, UTC, such as 2026-01-31T12:00:00Z). The first point
    /// starts at the start of the granularity's period that holds it. No earlier than the
    /// granularity's rows are kept: 2 days for `1m`, `5m` and `15m`, 35 days for `1h`, 400 days
    /// for `1d`.
    #[param(rename = "from", value_type = String, format = DateTime)]
    from: String,
    /// The end of the period (RFC 3339), after `from`; not included.
    #[param(value_type = String, format = DateTime)]
    to: String,
    /// How long each point is.
    #[param(inline, value_type = GranularityName)]
    granularity: String,
    /// The metrics, separated by commas (or `metrics` given once per metric).
    #[param(inline, value_type = MetricNames)]
    metrics: String,
    /// Gcore's service name: only `CDN`.
    #[param(inline, value_type = ServiceName)]
    service: String,
    /// `resource`: one series per resource rather than their sum. Gcore's other groupings are
    /// not offered.
    #[param(inline, value_type = Option<GroupByName>)]
    group_by: Option<String>,
    /// The resources (`&resource=1&resource=2`); all the account's when left out. A resource
    /// that is not the account's is 404.
    #[param(value_type = Option<Vec<i64>>, style = Form, explode)]
    resource: Option<Vec<i64>>,
}

/// The query of `GET /cdn/statistics/websockets/live`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LiveQuery {
    /// The resources (`&resource=1&resource=2`); all the account's when left out. A resource
    /// that is not the account's is 404.
    #[param(value_type = Option<Vec<i64>>, style = Form, explode)]
    resource: Option<Vec<i64>>,
}

/// `granularity`: Gcore's values, from [`Granularity::ALL`].
pub struct GranularityName;

impl utoipa::PartialSchema for GranularityName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Granularity::ALL.iter().map(|(_, name)| *name)))
            .description(Some("`1m`, `5m` or `15m` (read from the minute rows), `1h` or `1d`."))
            .into()
    }
}

impl ToSchema for GranularityName {}

/// `metrics`: names of [`WsMetric::all`], separated by commas.
pub struct MetricNames;

impl utoipa::PartialSchema for MetricNames {
    fn schema() -> RefOr<Schema> {
        let one = format!("(?:{})", metric_names().join("|"));
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("^{one}(?:,{one})*$")))
            .description(Some(format!(
                "Of the WebSocket connections through the CDN: `open_peak`, the most open at once in the point \
                 (a sum of peaks over resources when not grouped); `accepted` handshakes; handshakes refused, by why \
                 (`refused_option_off`, `refused_origin_refused`, `refused_origin_unreachable`); bytes relayed \
                 (`bytes_to_origin`, `bytes_to_visitor`); connections closed, by how (`closed_visitor`, \
                 `closed_origin`, `closed_idle`, `closed_shutdown`, `closed_error`); and connections closed, by how \
                 long they lasted (`duration_le_1s` … `duration_longer`). All of them: {}.",
                metric_names().join(", ")
            )))
            .examples(["accepted,closed_visitor"])
            .into()
    }
}

impl ToSchema for MetricNames {}

/// `service`: only `CDN`.
pub struct ServiceName;

impl utoipa::PartialSchema for ServiceName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["CDN"])).into()
    }
}

impl ToSchema for ServiceName {}

/// `group_by`: only `resource`.
pub struct GroupByName;

impl utoipa::PartialSchema for GroupByName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["resource"])).into()
    }
}

impl ToSchema for GroupByName {}

/// One point of a series: `[start, value]`, the start of its period in Unix seconds.
pub struct StatisticsPoint;

impl utoipa::PartialSchema for StatisticsPoint {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)))
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some(
                "`[start, value]`: the start of the point's period in Unix seconds, and the metric's value over it.",
            ))
            .examples([serde_json::json!([1_767_225_600, 3])])
            .into()
    }
}

impl ToSchema for StatisticsPoint {}

/// Series by metric name: every point of the range in order, zero where nothing happened.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StatisticsMetrics)]
pub struct MetricsBody {
    #[schema(value_type = BTreeMap<String, Vec<StatisticsPoint>>)]
    metrics: BTreeMap<&'static str, Points>,
}

/// The series of each resource, by id.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StatisticsByResource)]
pub struct ByResourceBody {
    resource: BTreeMap<String, MetricsBody>,
}

/// The answer of `/cdn/statistics/series`: by resource with `group_by=resource`, else summed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = StatisticsSeries)]
pub enum SeriesBody {
    ByResource(ByResourceBody),
    Total(MetricsBody),
}

/// A resource's WebSocket connections open now.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebSocketsLive)]
pub struct LiveBody {
    /// Open across the edges that reported in the last 3 seconds (they report every second).
    #[schema(minimum = 0)]
    open_connections: u64,
    /// How many of those edges have one or more open.
    #[schema(minimum = 0)]
    edges: u64,
}

/// The answer of `/cdn/statistics/websockets/live`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebSocketsLiveByResource)]
pub struct LiveByResourceBody {
    /// By resource id.
    resource: BTreeMap<String, LiveBody>,
}

fn metric_names() -> Vec<&'static str> {
    WsMetric::all().map(WsMetric::name).collect()
}

/// A 400 about the value of parameter `name`.
fn bad_value(name: &str, problem: impl Into<String>) -> ApiError {
    let problem = problem.into();
    ApiError::bad_query(format!("`{name}`: {problem}")).with_field(name, problem)
}

/// A series request, read and checked but for its resources' owner.
#[derive(Debug, PartialEq)]
struct Series {
    range: Range,
    metrics: Vec<WsMetric>,
    by_resource: bool,
    /// `None`: every resource of the account.
    resources: Option<Vec<i64>>,
}

/// Reads `resource=…` (repeatable): whole numbers, each kept once in the order first given.
/// An id below 1 names no resource: 404, as on its own path.
fn read_resource(value: &str, into: &mut Vec<i64>) -> Result<(), ApiError> {
    let id: i64 =
        value.trim().parse().map_err(|_| bad_value("resource", "it must be a resource's id, a whole number."))?;
    if id < 1 {
        return Err(ApiError::not_found());
    }
    if !into.contains(&id) {
        into.push(id);
    }
    Ok(())
}

fn unknown(name: &str) -> ApiError {
    ApiError::unknown_parameter(name, GCORE_FILTERS_NOT_OFFERED.contains(&name))
}

fn once(name: &str, slot: &mut Option<String>, value: String) -> Result<(), ApiError> {
    if slot.replace(value).is_some() {
        return Err(bad_value(name, "it is given more than once."));
    }
    Ok(())
}

fn required(name: &str, value: Option<String>) -> Result<String, ApiError> {
    value.ok_or_else(|| bad_value(name, "it is required."))
}

fn moment(name: &str, value: &str) -> Result<i64, ApiError> {
    Timestamp::parse_rfc3339(value)
        .map(Timestamp::unix_seconds)
        .ok_or_else(|| bad_value(name, "it must be a moment in RFC 3339, such as 2026-01-31T12:00:00Z."))
}

impl Series {
    /// Reads and checks the query's pairs at `now` (Unix seconds): every problem is a 400
    /// naming the parameter.
    fn read(pairs: Vec<(String, String)>, now: i64) -> Result<Self, ApiError> {
        let (mut from, mut to, mut granularity, mut service) = (None, None, None, None);
        let mut metric_values: Vec<String> = Vec::new();
        let mut group_by: Vec<String> = Vec::new();
        let mut resources: Option<Vec<i64>> = None;
        for (name, value) in pairs {
            match name.as_str() {
                "from" => once(&name, &mut from, value)?,
                "to" => once(&name, &mut to, value)?,
                "granularity" => once(&name, &mut granularity, value)?,
                "service" => once(&name, &mut service, value)?,
                "metrics" => metric_values.push(value),
                "group_by" => group_by.push(value),
                "resource" => read_resource(&value, resources.get_or_insert_with(Vec::new))?,
                other => return Err(unknown(other)),
            }
        }
        let service = required("service", service)?;
        if service != "CDN" {
            return Err(bad_value("service", "the only service is CDN."));
        }
        let mut metrics = Vec::new();
        for name in metric_values.iter().flat_map(|value| value.split(',')).map(str::trim) {
            let Some(metric) = WsMetric::from_name(name) else {
                let problem = if name.is_empty() { "an empty name".to_owned() } else { format!("`{name}`") };
                return Err(bad_value(
                    "metrics",
                    format!("{problem} is not a metric this CDN offers; they are: {}.", metric_names().join(", ")),
                ));
            };
            if !metrics.contains(&metric) {
                metrics.push(metric);
            }
        }
        if metrics.is_empty() {
            return Err(bad_value("metrics", format!("it is required: one or more of {}.", metric_names().join(", "))));
        }
        let mut by_resource = false;
        for value in group_by.iter().flat_map(|value| value.split(',')).map(str::trim) {
            match value {
                "resource" => by_resource = true,
                other => {
                    let which = if GCORE_GROUPINGS_NOT_OFFERED.contains(&other) {
                        format!("`{other}` is one of Gcore's groupings, but this CDN does not offer it")
                    } else {
                        format!("`{other}` is not a grouping")
                    };
                    return Err(bad_value("group_by", format!("{which}: only `resource` is offered.")));
                }
            }
        }
        let granularity = required("granularity", granularity)?;
        let granularity = Granularity::from_name(&granularity).ok_or_else(|| {
            let names: Vec<&str> = Granularity::ALL.iter().map(|(_, name)| *name).collect();
            bad_value("granularity", format!("`{granularity}` is not offered; it must be one of {}.", names.join(", ")))
        })?;
        let from = moment("from", &required("from", from)?)?;
        let to = moment("to", &required("to", to)?)?;
        if from >= to {
            return Err(bad_value("to", "it must be after `from`."));
        }
        let retention = granularity.resolution().retention().as_secs() as i64;
        let oldest = now - retention;
        if from < oldest {
            return Err(bad_value(
                "from",
                format!(
                    "points of granularity {} are kept for {} days: `from` must be {} or later (or ask for a coarser granularity).",
                    granularity.name(),
                    retention / 86_400,
                    Timestamp::from_unix_seconds(oldest).to_rfc3339()
                ),
            ));
        }
        let step = granularity.seconds();
        let first = from - from.rem_euclid(step);
        let points = (to - first + step - 1) / step;
        if points > MAX_POINTS_PER_METRIC {
            return Err(bad_value(
                "to",
                format!(
                    "the range has {points} points of {}; at most {MAX_POINTS_PER_METRIC} are answered: ask for a shorter range or a coarser granularity.",
                    granularity.name()
                ),
            ));
        }
        Ok(Series { range: Range { from, to, granularity }, metrics, by_resource, resources })
    }
}

/// Reads the live query: `resource` only.
fn read_live(pairs: Vec<(String, String)>) -> Result<Option<Vec<i64>>, ApiError> {
    let mut resources: Option<Vec<i64>> = None;
    for (name, value) in pairs {
        match name.as_str() {
            "resource" => read_resource(&value, resources.get_or_insert_with(Vec::new))?,
            other => return Err(unknown(other)),
        }
    }
    Ok(resources)
}

/// The resources asked for, each checked to be the account's (404 otherwise), or all the
/// account's when none was named.
async fn account_resources(api: &ApiState, account_id: i64, asked: Option<Vec<i64>>) -> Result<Vec<i64>, ApiError> {
    let owned = resources::owned_ids(api.pool.db(), account_id, asked.as_deref()).await?;
    match asked {
        Some(ids) if ids.iter().all(|id| owned.binary_search(id).is_ok()) => Ok(ids),
        Some(_) => Err(AppError::NotFound.into()),
        None => Ok(owned),
    }
}

fn named(by_metric: BTreeMap<WsMetric, Points>) -> MetricsBody {
    MetricsBody { metrics: by_metric.into_iter().map(|(metric, points)| (metric.name(), points)).collect() }
}

#[utoipa::path(
    get,
    path = "/cdn/statistics/series",
    tag = "Statistics",
    operation_id = "getResourceUsageSeries",
    summary = "WebSocket traffic of the account's CDN resources, as series",
    description = "As Gcore's `GET /cdn/statistics/series`, with this CDN's metrics: those of the WebSocket \
        connections its edges relay. Each metric is a list of `[start, value]` points, one per `granularity` \
        from the start of the one that holds `from` to `to` (not included), zero where nothing happened. \
        Summed over the resources, or with `group_by=resource` one set per resource (by id). \
        `1m`, `5m` and `15m` reach back 2 days, `1h` 35 days, `1d` 400 days; a series has at most 10,000 points. \
        Every problem with the query is a 400 naming the parameter; a `resource` that is not the account's is 404.",
    params(SeriesQuery),
    responses(
        (status = 200, description = "The series: `{\"metrics\": {…}}`, or `{\"resource\": {\"<id>\": {\"metrics\": {…}}}}` with `group_by=resource`.", body = SeriesBody),
        (status = 400, response = BadQuery),
        super::responses::AboutOneResource,
    )
)]
pub async fn series(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<SeriesBody>, ApiError> {
    let Query(pairs) = query.map_err(|rejection| ApiError::bad_query(rejection.body_text()))?;
    let asked = Series::read(pairs, Timestamp::now().unix_seconds())?;
    let ids = account_resources(&api, caller.account_id, asked.resources).await?;
    let values = asked.range.len() as i64 * asked.metrics.len() as i64 * ids.len().max(1) as i64;
    if values > MAX_VALUES {
        return Err(bad_value(
            "resource",
            format!(
                "the answer would hold {values} values (points × metrics × resources); at most {MAX_VALUES} are answered: ask for fewer resources or metrics, a shorter range or a coarser granularity."
            ),
        ));
    }
    let by_resource = ws_traffic::series(&api.pool, &ids, &asked.metrics, asked.range).await?;
    let body = if asked.by_resource {
        SeriesBody::ByResource(ByResourceBody {
            resource: by_resource.into_iter().map(|(id, by_metric)| (id.to_string(), named(by_metric))).collect(),
        })
    } else {
        // Every metric asked for, zeros too when the account has no resource.
        let mut total: BTreeMap<WsMetric, Points> = asked
            .metrics
            .iter()
            .map(|metric| (*metric, asked.range.starts().map(|start| (start, 0)).collect()))
            .collect();
        total.extend(ws_traffic::total(&by_resource));
        SeriesBody::Total(named(total))
    };
    Ok(Json(body))
}

#[utoipa::path(
    get,
    path = "/cdn/statistics/websockets/live",
    tag = "Statistics",
    operation_id = "getWebSocketsLive",
    summary = "WebSocket connections open now, per CDN resource",
    description = "Each resource asked for (all the account's when `resource` is left out), by id: the WebSocket \
        connections open now across the CDN edges, and on how many edges. Edges report every second; one that has \
        not reported for 3 seconds no longer counts. A `resource` that is not the account's is 404.",
    params(LiveQuery),
    responses(
        (status = 200, description = "By resource id.", body = LiveByResourceBody),
        (status = 400, response = BadQuery),
        super::responses::AboutOneResource,
    )
)]
pub async fn live(
    ApiCaller(caller): ApiCaller,
    State(api): State<ApiState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<LiveByResourceBody>, ApiError> {
    let Query(pairs) = query.map_err(|rejection| ApiError::bad_query(rejection.body_text()))?;
    let asked = read_live(pairs)?;
    let ids = account_resources(&api, caller.account_id, asked).await?;
    let open = ws_traffic::open_now(&api.pool, &ids, SystemTime::now()).await?;
    let resource = ids
        .iter()
        .zip(open)
        .map(|(id, now)| (id.to_string(), LiveBody { open_connections: now.open, edges: now.edges }))
        .collect();
    Ok(Json(LiveByResourceBody { resource }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

    fn read(query: &[(&str, &str)]) -> Result<Series, ApiError> {
        Series::read(query.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect(), NOW)
    }

    fn valid() -> Vec<(&'static str, &'static str)> {
        vec![
            ("from", "2025-12-31T23:00:00Z"),
            ("to", "2026-01-01T00:00:00Z"),
            ("granularity", "1m"),
            ("metrics", "accepted,closed_visitor"),
            ("service", "CDN"),
        ]
    }

    fn refused(query: &[(&str, &str)], field: &str, says: &str) {
        let error = read(query).unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST, "{error:?}");
        assert!(error.body.errors.contains_key(field), "{field}: {error:?}");
        assert!(error.body.message.contains(says), "{says}: {error:?}");
    }

    #[test]
    fn a_gcore_query_is_read() {
        let mut query = valid();
        query.extend([("group_by", "resource"), ("resource", "3"), ("resource", "1"), ("resource", "3")]);
        query.push(("metrics", "open_peak"));
        let series = read(&query).unwrap();
        assert_eq!(series.range, Range { from: NOW - 3_600, to: NOW, granularity: Granularity::OneMinute });
        assert_eq!(series.range.len(), 60);
        assert_eq!(
            series.metrics.iter().map(|metric| metric.name()).collect::<Vec<_>>(),
            ["accepted", "closed_visitor", "open_peak"]
        );
        assert!(series.by_resource);
        assert_eq!(series.resources, Some(vec![3, 1]));
        let plain = read(&valid()).unwrap();
        assert_eq!((plain.by_resource, plain.resources), (false, None));
    }

    #[test]
    fn every_problem_is_a_400_naming_its_parameter() {
        let with = |name: &'static str, value: &'static str| {
            let mut query: Vec<_> = valid().into_iter().filter(|(known, _)| *known != name).collect();
            query.push((name, value));
            query
        };
        refused(&with("metrics", "accepted,requests"), "metrics", "`requests` is not a metric");
        refused(&with("metrics", "accepted,requests"), "metrics", "refused_option_off");
        refused(&with("metrics", ""), "metrics", "an empty name");
        refused(&with("granularity", "2m"), "granularity", "1m, 5m, 15m, 1h, 1d");
        refused(&with("service", "CDN2"), "service", "CDN");
        refused(&with("from", "yesterday"), "from", "RFC 3339");
        refused(&with("to", "2025-12-31T22:00:00Z"), "to", "after `from`");
        refused(&with("from", "2026-01-01T00:00:00Z"), "to", "after `from`");
        refused(&with("from", "2025-12-29T00:00:00Z"), "from", "kept for 2 days");
        refused(&with("to", "2026-02-01T00:00:00Z"), "to", "at most 10000");
        refused(&[valid(), vec![("group_by", "country")]].concat(), "group_by", "only `resource`");
        refused(&[valid(), vec![("resource", "x")]].concat(), "resource", "whole number");
        refused(&[valid(), vec![("from", "2025-12-31T23:30:00Z")]].concat(), "from", "more than once");
        refused(&[valid(), vec![("regions", "eu")]].concat(), "regions", "Gcore's filters");
        refused(&[valid(), vec![("limit", "1")]].concat(), "limit", "Unknown query parameter `limit`");
        let without_service: Vec<_> = valid().into_iter().filter(|(name, _)| *name != "service").collect();
        refused(&without_service, "service", "required");
        // A coarser granularity reaches further back.
        let hours = [with("granularity", "1h"), vec![]].concat();
        let hours: Vec<_> =
            hours.into_iter().map(|(n, v)| if n == "from" { (n, "2025-12-01T00:00:00Z") } else { (n, v) }).collect();
        assert_eq!(read(&hours).unwrap().range.len(), 31 * 24);
        // An id below 1 names no resource: 404, as on its path.
        let zero = read(&[valid(), vec![("resource", "0")]].concat()).unwrap_err();
        assert_eq!(zero.status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_live_query_takes_resources_only() {
        let pairs = |query: &[(&str, &str)]| query.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        assert_eq!(read_live(pairs(&[("resource", "2"), ("resource", "5")])).unwrap(), Some(vec![2, 5]));
        assert_eq!(read_live(pairs(&[])).unwrap(), None);
        let unknown = read_live(pairs(&[("metrics", "accepted")])).unwrap_err();
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        assert!(unknown.body.errors.contains_key("metrics"), "{unknown:?}");
    }

    #[test]
    fn the_metrics_pattern_takes_every_metric_and_only_them() {
        let RefOr::T(Schema::Object(schema)) = <MetricNames as utoipa::PartialSchema>::schema() else { panic!() };
        let pattern = regex::Regex::new(schema.pattern.as_deref().unwrap()).unwrap();
        assert!(pattern.is_match(&metric_names().join(",")));
        assert!(pattern.is_match("accepted"));
        for wrong in ["", "accepted,", "requests", "accepted,,closed_visitor", "open_peak accepted"] {
            assert!(!pattern.is_match(wrong), "{wrong}");
        }
    }
}
