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
