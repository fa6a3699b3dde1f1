//! A resource's Reports section: its WebSocket traffic, now and over a chosen window.

use crate::api::{resource_open_now, resource_ws_report};
use crate::components::ErrorPanel;
use crate::model::{OpenNow, ReportChart, ReportPeriod, WsReport};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// How often the open connections are asked for again while the page is open: about as often
/// as the edges report ([`edge_feed::TRAFFIC_INTERVAL`]), so the figure is at most a few
/// seconds old.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// The section, for the window in the address's `period` (the last hour when absent).
#[component]
pub fn ReportsSection(resource_id: i64) -> impl IntoView {
    let asked = use_query_map().with_untracked(|query| query.get("period"));
    let period = match asked.as_deref() {
        None | Some("") => Ok(ReportPeriod::default()),
        Some(other) => ReportPeriod::parse(other).ok_or_else(|| other.to_owned()),
    };
    let chosen = period.clone().unwrap_or_default();
    let unknown = format!(
        "There is no report window “{}”. Choose the last hour, the last 24 hours or the last 7 days above.",
        asked.clone().unwrap_or_default(),
    );
    let report = Resource::new(
        move || period.clone(),
        move |period| async move {
            match period {
                Ok(period) => resource_ws_report(resource_id, period).await.map(Some),
                Err(_) => Ok(None),
            }
        },
    );
    view! {
        <section class="reports" aria-labelledby="reports-heading">
            <h2 id="reports-heading">"WebSocket traffic"</h2>
            <p class="hint">"Across every CDN edge. Times are in UTC."</p>
            <nav class="report-periods" aria-label="Report window">
                {ReportPeriod::ALL
                    .into_iter()
                    .map(|period| {
                        let current = (period == chosen && asked.as_deref().is_none_or(|asked| ReportPeriod::parse(asked).is_some()))
                            .then_some("page");
                        view! { <a href=period.path(resource_id) aria-current=current>{period.label()}</a> }
                    })
                    .collect_view()}
            </nav>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let unknown = unknown.clone();
                    Suspend::new(async move {
                    match report.await {
                        Ok(Some(report)) => view! { <Report resource_id report/> }.into_any(),
                        Ok(None) => view! {
                            <p class="error-panel" role="alert">{unknown}</p>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn Report(resource_id: i64, report: WsReport) -> impl IntoView {
    let WsReport { period, open_now, totals, charts } = report;
    view! {
        <h3>"Now"</h3>
        <LiveOpenNow resource_id initial=open_now/>
        <h3>{period.label()}</h3>
        <dl class="report-totals">
            {totals
                .into_iter()
                .map(|(label, figure)| view! { <div><dt>{label}</dt><dd>{figure}</dd></div> })
                .collect_view()}
        </dl>

        // Erased, each chart a view of its own: the section's whole type nested too deep for
        // the compiler's limit in the browser's release build.
        {charts.into_iter().map(|chart| view! { <Chart chart/> }.into_any()).collect_view()}
    }
}

/// One chart: the SVG, named by its text alternative, and its figures in a table.
#[component]
fn Chart(chart: ReportChart) -> impl IntoView {
    let ReportChart { title, svg, summary, columns, rows } = chart;
    view! {
        <figure class="report-chart">
            <figcaption>{title.clone()}</figcaption>
            <div class="chart" role="img" aria-label=summary.clone() inner_html=svg></div>
            // The same words as the chart's name, for those who see it: not read twice.
            <p class="chart-summary" aria-hidden="true">{summary}</p>
            <details>
                <summary>{format!("{title}: figures")}</summary>
                <div class="table-scroll">
                    <table>
                        <caption>{title}</caption>
                        <thead>
                            <tr>{columns.into_iter().map(|column| view! { <th scope="col">{column}</th> }).collect_view()}</tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|row| {
                                    let mut cells = row.into_iter();
                                    let time = cells.next().unwrap_or_default();
                                    view! {
                                        <tr>
                                            <th scope="row">{time}</th>
                                            {cells.map(|cell| view! { <td>{cell}</td> }).collect_view()}
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
}

/// The open connections now: as loaded with the page (right without JavaScript too), then asked
/// again every [`REFRESH_EVERY`] while the page is open.
#[island]
fn LiveOpenNow(resource_id: i64, initial: OpenNow) -> impl IntoView {
    let latest = RwSignal::new(initial);
    Effect::new(move |_| refresh(resource_id, latest));
    view! {
        <p class="open-now" role="status" data-open=move || latest.get().open.to_string()>
            {move || latest.get().describe()}
        </p>
    }
}

fn refresh(resource_id: i64, latest: RwSignal<OpenNow>) {
    set_timeout(
        move || {
            leptos::task::spawn_local(async move {
                // `try_`: the customer may have left the page meanwhile; then it stops.
                let gone = match resource_open_now(resource_id).await {
                    Ok(now) => latest.try_set(now).is_some(),
                    Err(_) => latest.try_get_untracked().is_none(),
                };
                if !gone {
                    refresh(resource_id, latest);
                }
            });
        },
        REFRESH_EVERY,
    );
}
