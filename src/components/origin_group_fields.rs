use super::{TextField, entered_value, field_error};
use crate::domain::{MAX_ORIGIN_SOURCES, NextUpstreamPolicy};
use crate::error::AppError;
use crate::model::{OriginGroup, SourceInput};
use edge_feed::NextUpstream;
use leptos::prelude::*;

/// How many empty rows of origins the form offers below those the group has: enough to add a
/// backup or two. It is a plain form, which cannot add rows by itself; after a save, more
/// empty rows appear, up to [`MAX_ORIGIN_SOURCES`].
const EMPTY_ROWS: usize = 2;

/// The fields of an origin group's form (to create one, or to change one): its name, its
/// origins in order, and when to use the next origin. `group` is what is stored (none for a new
/// group); a refused form post (`error`) shows what was entered instead.
#[component]
pub fn OriginGroupFields(group: Option<OriginGroup>, error: Signal<Option<AppError>>) -> impl IntoView {
    let refused = error.with_untracked(|error| error.as_ref().is_some_and(|error| error.entered("name").is_some()));
    let entered_on = |field: &str| entered_value(error, field).is_some_and(|value| value == "on");
    let (name, rows, use_next, cases) = if refused {
        let rows = (0..MAX_ORIGIN_SOURCES)
            .map_while(|n| {
                entered_value(error, &format!("sources[{n}][source]")).map(|source| SourceInput {
                    source,
                    enabled: entered_on(&format!("sources[{n}][enabled]")),
                    backup: entered_on(&format!("sources[{n}][backup]")),
                })
            })
            .filter(|row| !row.source.trim().is_empty())
            .collect::<Vec<_>>();
        let cases = NextUpstream::ALL
            .into_iter()
            .filter(|case| entered_on(&format!("proxy_next_upstream:{}", case.as_str())))
            .collect();
        (entered_value(error, "name").unwrap_or_default(), rows, entered_on("use_next"), cases)
    } else {
        match &group {
            Some(group) => (
                group.name.to_string(),
                group
                    .sources
                    .as_slice()
                    .iter()
                    .map(|source| SourceInput {
                        source: source.source.to_string(),
                        enabled: source.enabled,
                        backup: source.backup,
                    })
                    .collect(),
                group.next_upstream.use_next(),
                group.next_upstream.cases().to_vec(),
            ),
            None => {
                let policy = NextUpstreamPolicy::default();
                (String::new(), Vec::new(), policy.use_next(), policy.cases().to_vec())
            }
        }
    };
    let blank = SourceInput { source: String::new(), enabled: true, backup: false };
    let shown = (rows.len() + EMPTY_ROWS).clamp(1 + EMPTY_ROWS, MAX_ORIGIN_SOURCES).max(rows.len());
    let rows: Vec<SourceInput> = rows.into_iter().chain(std::iter::repeat(blank)).take(shown).collect();
    let sources_error = field_error(error, "sources");
    let cases_error = field_error(error, "proxy_next_upstream");
    view! {
        <TextField
            label="Name"
            name="name"
            hint="What you call this group of origins, such as “Main servers”; unique among your groups."
            error=field_error(error, "name")
            initial=Some(name)
        />
        <fieldset
            class="field"
            aria-invalid=move || sources_error.with(Option::is_some).then_some("true")
            aria-describedby="sources-hint"
        >
            <legend>"Origins"</legend>
            <p class="hint" id="sources-hint">
                "Where the CDN fetches your content, in order: a host name or IP address, with a port if it is not 80, such as origin.example.com:8080. "
                "Requests are spread evenly over the enabled origins that are not backups; backups are used only while none of those can be reached. "
                "Leave a row empty to remove it; after saving, more empty rows appear."
            </p>
            <table class="origin-rows">
                <thead>
                    <tr>
                        <th scope="col">"Origin"</th>
                        <th scope="col">"Enabled"</th>
                        <th scope="col">"Backup"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .enumerate()
                        .map(|(n, row)| view! { <SourceRowFields n row error=sources_error/> })
                        .collect_view()}
                </tbody>
            </table>
            {move || sources_error.get().map(|message| view! {
                <p class="field-error" id="sources-error">{message}</p>
            })}
        </fieldset>
        <fieldset
            class="field"
            aria-invalid=move || cases_error.with(Option::is_some).then_some("true")
            aria-describedby=move || if cases_error.with(Option::is_some) { "use-next-hint proxy_next_upstream-error" } else { "use-next-hint" }
        >
            <legend>"When an origin fails"</legend>
            <p class="hint" id="use-next-hint">
                "An origin that refuses the connection, or does not accept it in time, is always skipped for the next one. "
                "With “Use next origin”, the cases ticked below also send the request on, when it can safely be sent again: a GET or HEAD request, or a WebSocket handshake."
            </p>
            <div class="choice">
                <input type="checkbox" id="use_next" name="use_next" checked=use_next/>
                <label for="use_next">"Use next origin"</label>
            </div>
            <div class="cases">
                {NextUpstream::ALL
                    .into_iter()
                    .enumerate()
                    .map(|(n, case)| {
                        let id = format!("case-{}", case.as_str());
                        view! {
                            <div class="choice">
                                <input
                                    type="checkbox"
                                    id=id.clone()
                                    name=format!("proxy_next_upstream[{n}]")
                                    value=case.as_str()
                                    checked=cases.contains(&case)
                                />
                                <label for=id>{case_label(case)}</label>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
            {move || cases_error.get().map(|message| view! {
                <p class="field-error" id="proxy_next_upstream-error">{message}</p>
            })}
        </fieldset>
    }
}

/// One origin's row: its address, and whether it is enabled and a backup. The address is named
/// "Origin N" (its place in the group, as error messages name it) and described by the table's
/// error too.
#[component]
fn SourceRowFields(n: usize, row: SourceInput, error: Signal<Option<String>>) -> impl IntoView {
    let label = format!("Origin {}", n + 1);
    let id = format!("source-{n}");
    view! {
        <tr>
            <td data-label="Origin">
                <label class="visually-hidden" for=id.clone()>{label.clone()}</label>
                <input
                    id=id
                    type="text"
                    name=format!("sources[{n}][source]")
                    value=row.source
                    autocomplete="off"
                    placeholder=(n == 0).then_some("origin.example.com")
                    aria-invalid=move || error.with(Option::is_some).then_some("true")
                    aria-describedby=move || error.with(Option::is_some).then_some("sources-hint sources-error")
                />
            </td>
            <td data-label="Enabled">
                <input
                    type="checkbox"
                    name=format!("sources[{n}][enabled]")
                    checked=row.enabled
                    aria-label=format!("{label} enabled")
                />
            </td>
            <td data-label="Backup">
                <input
                    type="checkbox"
                    name=format!("sources[{n}][backup]")
                    checked=row.backup
                    aria-label=format!("{label} is a backup")
                />
            </td>
        </tr>
    }
}

/// A case that sends a request on to the next origin, as the form names it.
fn case_label(case: NextUpstream) -> &'static str {
    match case {
        NextUpstream::Error => "An error while connecting, sending the request or reading the answer",
        NextUpstream::Timeout => "A timeout while connecting, sending the request or reading the answer",
        NextUpstream::InvalidHeader => "The origin's answer was empty or invalid",
        NextUpstream::Http403 => "The origin answered 403",
        NextUpstream::Http404 => "The origin answered 404",
        NextUpstream::Http429 => "The origin answered 429",
        NextUpstream::Http500 => "The origin answered 500",
        NextUpstream::Http502 => "The origin answered 502",
        NextUpstream::Http503 => "The origin answered 503",
        NextUpstream::Http504 => "The origin answered 504",
    }
}
