//! One origin of an origin group (Gcore's `sources[]` item of `/cdn/origin_groups`).

use super::Origin;
use serde::{Deserialize, Serialize};

/// One origin of a group: its address, whether the CDN uses it, and whether it is a backup.
///
/// JSON (the database's `origin_groups.sources` items, migration 0009):
/// `{"source": "a.example.com:8080", "enabled": true, "backup": false}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginSource {
    /// Gcore's `source`: `host[:port]`, validated as a resource's origin.
    pub source: Origin,
    /// Gcore's `enabled`: a disabled origin is kept in the group but never used (Gcore's
    /// default: `true`).
    pub enabled: bool,
    /// Gcore's `backup`: used only while none of the group's primaries (enabled, not backup)
    /// can be reached (Gcore's default: `false`).
    pub backup: bool,
}

impl OriginSource {
    /// An enabled primary origin: what a group of one, made from a resource's `origin`, holds.
    pub fn primary(source: Origin) -> Self {
        Self { source, enabled: true, backup: false }
    }

    /// Enabled and not a backup: one the CDN sends requests to while it can be reached.
    pub fn is_active_primary(&self) -> bool {
        self.enabled && !self.backup
    }
}
