use super::{ErrorPanel, When};
use crate::domain::{EmailAddress, Timestamp};
use crate::error::AppError;
use crate::model::ChangeSource;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One line of a history table: a change to a resource or an origin group, as people read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub changed_at: Timestamp,
    /// What changed, in a sentence such as "Use next origin switched on".
    pub description: String,
    pub changed_by: EmailAddress,
    pub source: ChangeSource,
    /// The name of the API token the change was made with.
    pub api_token_name: Option<String>,
    pub client_address: Option<String>,
    /// The resource's or group's version once the change was made.
    pub version: i64,
}

impl HistoryEntry {
    /// Where the change came from: "Portal", or "API, token “deploy”", with the client's
    /// address in brackets when it is known.
    fn from(&self) -> String {
        let source = match &self.api_token_name {
            Some(token) => format!("{}, token “{token}”", self.source.label()),
            None => self.source.label().to_owned(),
        };
        match &self.client_address {
            Some(address) => format!("{source} ({address})"),
            None => source,
        }
    }
}

/// A settings page's History section: its heading, `hint` (what it lists) and the table of
/// `entries`, newest first, once loaded.
#[component]
pub fn HistorySection(hint: &'static str, entries: Resource<Result<Vec<HistoryEntry>, AppError>>) -> impl IntoView {
    view! {
        <section aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <p class="hint">{hint}</p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(entries) => view! { <HistoryTable entries/> }.into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Every change made to something, newest first, as a table labelled by its section's heading.
#[component]
fn HistoryTable(entries: Vec<HistoryEntry>) -> impl IntoView {
    view! {
        <table class="resources history" aria-labelledby="history-heading">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Change"</th>
                    <th scope="col">"By"</th>
                    <th scope="col">"From"</th>
                    <th scope="col">"Version"</th>
                </tr>
            </thead>
            <tbody>
                {entries.into_iter().map(|entry| {
                    let from = entry.from();
                    view! {
                        <tr>
                            <td data-label="When"><When at=entry.changed_at/></td>
                            <th scope="row" data-label="Change">{entry.description}</th>
                            <td data-label="By">{entry.changed_by.to_string()}</td>
                            <td data-label="From">{from}</td>
                            <td class="mono" data-label="Version">{entry.version}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
