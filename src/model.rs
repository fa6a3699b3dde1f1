//! What the portal shows, shared by the server (which loads it) and the browser (which renders it).

use crate::domain::{DomainName, EmailAddress, Integration, Origin, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub email: EmailAddress,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdnResource {
    pub id: i64,
    pub custom_domain: DomainName,
    pub origin: Origin,
    pub integration: Integration,
    pub websockets: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Counts the resource's changes; a save names the version it was loaded at.
    pub version: i64,
}

/// How far a resource's latest saved change has reached the CDN edges that report to the portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollout {
    /// Edges that reported recently.
    pub edges: u32,
    /// Of those, the ones that serve the latest change.
    pub applied: u32,
}

impl Rollout {
    pub fn is_live(self) -> bool {
        self.edges > 0 && self.applied == self.edges
    }

    /// Some connected edge has not caught up yet.
    pub fn is_pending(self) -> bool {
        self.applied < self.edges
    }

    pub fn describe(self) -> String {
        match (self.edges, self.applied) {
            (0, _) => "No CDN edge is connected: saved settings take effect when one connects.".to_owned(),
            (edges, applied) if applied == edges => {
                format!("Live: the saved settings are in effect on {}.", plural(edges, "CDN edge"))
            }
            (edges, applied) => format!("Pending: {applied} of {} apply the saved settings so far.", plural(edges, "CDN edge")),
        }
    }
}

fn plural(count: u32, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}

/// One entry of a resource's history: who changed what, when and from where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// The resource's version once this change was made.
    pub version: i64,
    pub changed_at: Timestamp,
    pub changed_by: EmailAddress,
    pub source: ChangeSource,
    pub client_address: Option<String>,
    pub change: Change,
}

/// The way a change reached the portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeSource {
    Portal,
    Api,
}

impl ChangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSource::Portal => "portal",
            ChangeSource::Api => "api",
        }
    }

    /// The source whose [`as_str`](Self::as_str) this is.
    pub fn parse(text: &str) -> Option<Self> {
        [ChangeSource::Portal, ChangeSource::Api].into_iter().find(|source| source.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ChangeSource::Portal => "Portal",
            ChangeSource::Api => "API",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// The resource was created, with WebSockets as its integration's default set it.
    Created { websockets: bool },
    WebsocketsSwitched { from: bool, to: bool },
}

impl Change {
    pub fn describe(self) -> String {
        let on_off = |on: bool| if on { "on" } else { "off" };
        match self {
            Change::Created { websockets } => format!("Created, with WebSockets {}", on_off(websockets)),
            Change::WebsocketsSwitched { to, .. } => format!("WebSockets turned {}", on_off(to)),
        }
    }
}

impl CdnResource {
    pub fn settings_path(&self) -> String {
        resource_path(self.id)
    }
}

pub fn resource_path(id: i64) -> String {
    format!("/cdn/resources/{id}")
}

pub fn resource_content_path(id: i64) -> String {
    format!("/cdn/resources/{id}/content")
}

pub fn resource_history_path(id: i64) -> String {
    format!("/cdn/resources/{id}/history")
}
