//! What the portal shows, shared by the server (which loads it) and the browser (which renders it).

use crate::domain::{
    DomainName, EmailAddress, Integration, NextUpstreamPolicy, Origin, OriginGroupName, OriginSources,
    ResourceDescription, ResourceName, SecondaryHostnames, Timestamp,
};
use crate::options::{OptionName, OptionValue, OptionsInForce, ResourceOptions};
use serde::{Deserialize, Serialize};

mod ws_report;
pub use ws_report::{OpenNow, ReportChart, ReportPeriod, WsReport, resource_reports_path};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub email: EmailAddress,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdnResource {
    pub id: i64,
    /// The account that owns the resource (the API's `client`).
    pub account_id: i64,
    pub custom_domain: DomainName,
    /// More custom domains the resource serves, besides `custom_domain`.
    pub secondary_hostnames: SecondaryHostnames,
    /// What the customer calls the resource, if anything.
    pub name: Option<ResourceName>,
    pub description: Option<ResourceDescription>,
    /// The first enabled primary origin of its group ([`OriginSources::first_primary`]), for
    /// those that show one origin: derived from the group, which is its one home.
    pub origin: Origin,
    /// The origin group the resource's content comes from (Gcore's `originGroup` and
    /// `originGroup_name`).
    pub origin_group: OriginGroupRef,
    pub integration: Integration,
    /// Each option's setting, as stored (Gcore's `options`): not set, or set exactly as written.
    pub options: ResourceOptions,
    /// Each option's value in force: what the edges do and the portal shows. Follows from
    /// `options` and `integration` ([`ResourceOptions::all_in_force`]), and is stored with them.
    pub options_in_force: OptionsInForce,
    /// An inactive resource is kept with its settings, but the CDN does not serve its domain.
    pub active: bool,
    /// HTTPS for visitors (Gcore's `sslEnabled`): on only with a certificate, `ssl_data`.
    pub ssl_enabled: bool,
    /// The id of the account's certificate the edges present (Gcore's `sslData`), if any; kept
    /// while HTTPS is off, so that turning it on again needs no choice.
    pub ssl_data: Option<i64>,
    /// How the edges speak to the origin (Gcore's `originProtocol`).
    pub origin_protocol: edge_feed::OriginProtocol,
    /// The id of the account's trusted CA certificate the edges trust for an HTTPS origin, beside
    /// the system's roots (Gcore's `proxy_ssl_ca`, `/cdn/sslCertificates`); `None`: the roots only.
    pub proxy_ssl_ca: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Counts the resource's changes; a save names the version it was loaded at.
    pub version: i64,
}

/// One page of the portal's list of CDN resources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourcePage {
    pub resources: Vec<CdnResource>,
    /// Each resource's WebSocket connections open now, in the order of `resources`.
    pub open_now: Vec<OpenNow>,
    /// How many resources the account has in all.
    pub total: u64,
    /// Counted from 1.
    pub page: u32,
}

impl ResourcePage {
    pub const SIZE: u32 = 50;

    pub fn pages(&self) -> u32 {
        Self::page_count(self.total)
    }

    /// How many pages `total` resources fill; an empty list is one (empty) page.
    pub fn page_count(total: u64) -> u32 {
        u32::try_from(total.div_ceil(u64::from(Self::SIZE))).unwrap_or(u32::MAX).max(1)
    }

    /// "Showing 51–100 of 1,002", for lists longer than a page.
    pub fn describe(&self) -> String {
        let first = u64::from(self.page - 1) * u64::from(Self::SIZE) + 1;
        let last = first + self.resources.len() as u64 - 1;
        format!("Showing {first}–{last} of {}", self.total)
    }
}

/// The address of a page of the portal's list.
pub fn resource_list_path(page: u32) -> String {
    if page <= 1 { "/cdn".to_owned() } else { format!("/cdn?page={page}") }
}

/// An API token as its owner sees it: never with its secret, which is shown only once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The secret's first characters, to tell tokens apart.
    pub secret_start: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    /// As of when the token was loaded, so that server and browser render the same.
    pub state: TokenState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

impl TokenState {
    pub fn of(revoked_at: Option<Timestamp>, expires_at: Option<Timestamp>, now: Timestamp) -> Self {
        if revoked_at.is_some() {
            TokenState::Revoked
        } else if expires_at.is_some_and(|expiry| expiry <= now) {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TokenState::Active => "Active",
            TokenState::Expired => "Expired",
            TokenState::Revoked => "Revoked",
        }
    }
}

/// A token just issued, with the secret its owner must copy now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
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
    /// Whether the latest change is in effect: at least one edge reported recently and every
    /// one of them serves it. With no edge reporting, nothing serves the resource, so it is not.
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
            (edges, applied) => {
                format!("Pending: {applied} of {} apply the saved settings so far.", plural(edges, "CDN edge"))
            }
        }
    }
}

/// A resource's state as Gcore's API names it (`status`), decided here alone from whether it is
/// active and its [`Rollout`]:
///
/// - `suspended`: the resource is inactive (`active: false`); the CDN does not serve it.
/// - `active`: every CDN edge that reported in the last 90 s serves the resource's latest change.
/// - `processed`: some edge has not caught up yet, **or no edge reports at all**. With no live
///   edge, nothing serves the resource's domains, so a script that waits for `active` after a
///   change keeps waiting (and times out) rather than being told that visitors are served. A
///   fresh `make run` starts its edge with the portal, so resources become `active` within a
///   second there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResourceStatus {
    /// Every live CDN edge serves the resource's latest change.
    Active,
    /// The latest change is still reaching the CDN edges, or no edge is live.
    Processed,
    /// The resource is inactive: the CDN does not serve it.
    Suspended,
}

impl ResourceStatus {
    pub fn of(active: bool, rollout: Rollout) -> Self {
        match (active, rollout.is_live()) {
            (false, _) => ResourceStatus::Suspended,
            (true, true) => ResourceStatus::Active,
            (true, false) => ResourceStatus::Processed,
        }
    }

    /// Gcore's word for it, as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::Active => "active",
            ResourceStatus::Processed => "processed",
            ResourceStatus::Suspended => "suspended",
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
    /// The name of the API token the change was made with.
    pub api_token_name: Option<String>,
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// The resource was created, with `option` at `value`: one record per option.
    Created {
        option: OptionName,
        value: OptionValue,
    },
    /// The customer set an option.
    OptionSet {
        option: OptionName,
        from: OptionValue,
        to: OptionValue,
    },
    /// An option follows the integration's default again, which is `to`.
    OptionDefaulted {
        option: OptionName,
        from: OptionValue,
        to: OptionValue,
    },
    /// A setting of `value` was stored without enabling it (Gcore's `enabled: false`, only through
    /// the API): the integration's default, `to`, is in force; `from` was in force before.
    OptionNotEnabled {
        option: OptionName,
        from: OptionValue,
        to: OptionValue,
        value: OptionValue,
    },
    /// A setting of `value` that was not enabled was removed: the default `to` stays in force
    /// (`from` was in force before, the same but for a change of the default in between).
    OptionNotEnabledRemoved {
        option: OptionName,
        from: OptionValue,
        to: OptionValue,
        value: OptionValue,
    },
    /// The origin was changed: recorded before origin groups (migration 0009), which record
    /// [`Change::OriginGroupSwitched`] instead.
    OriginChanged {
        from: Origin,
        to: Origin,
    },
    ActiveSwitched {
        to: bool,
    },
    /// The name was set (`to`), changed or removed (`to: None`); also recorded at creation
    /// when the resource is created with one.
    NameChanged {
        from: Option<ResourceName>,
        to: Option<ResourceName>,
    },
    DescriptionChanged {
        from: Option<ResourceDescription>,
        to: Option<ResourceDescription>,
    },
    SecondaryHostnamesChanged {
        from: SecondaryHostnames,
        to: SecondaryHostnames,
    },
    /// The resource was switched from origin group `from` to `to`, each with its name at the
    /// time. Not recorded at creation: the first switch's `from` tells the group it was created with.
    OriginGroupSwitched {
        from: OriginGroupRef,
        to: OriginGroupRef,
    },
    /// HTTPS for visitors was turned on or off (Gcore's `sslEnabled`).
    SslEnabledSwitched {
        to: bool,
    },
    /// The certificate (Gcore's `sslData`, by id) was chosen, changed or removed.
    SslDataChanged {
        from: Option<i64>,
        to: Option<i64>,
    },
    /// How the edges speak to the origin (Gcore's `originProtocol`).
    OriginProtocolChanged {
        from: edge_feed::OriginProtocol,
        to: edge_feed::OriginProtocol,
    },
    /// The trusted CA certificate (Gcore's `proxy_ssl_ca`, by id) was chosen, changed or removed.
    ProxySslCaChanged {
        from: Option<i64>,
        to: Option<i64>,
    },
}

/// Reads Gcore's name of an origin protocol (`HTTP`, `HTTPS` or `MATCH`, exactly, as its API's
/// enum has them); the error says which are allowed.
pub fn parse_origin_protocol(text: &str) -> Result<edge_feed::OriginProtocol, String> {
    edge_feed::OriginProtocol::from_name(text)
        .ok_or_else(|| format!("The origin protocol must be HTTP, HTTPS or MATCH, not “{}”.", text.trim()))
}

impl Change {
    pub fn describe(&self) -> String {
        match self {
            Change::Created { option, value } => format!("Created, with {} {}", option.label(), value.describe()),
            Change::OptionSet { option, to, .. } => option.describe_set(*to),
            Change::OptionDefaulted { option, to, .. } => option.describe_defaulted(*to),
            Change::OptionNotEnabled { option, to, value, .. } => option.describe_not_enabled(*value, *to),
            Change::OptionNotEnabledRemoved { option, to, value, .. } => {
                option.describe_not_enabled_removed(*value, *to)
            }
            Change::OriginChanged { from, to } => format!("Origin changed from {from} to {to}"),
            Change::ActiveSwitched { to: true } => "Activated: the CDN serves the domain again".to_owned(),
            Change::ActiveSwitched { to: false } => "Deactivated: the CDN stopped serving the domain".to_owned(),
            Change::NameChanged { to: Some(to), .. } => format!("Name set to “{to}”"),
            Change::NameChanged { to: None, .. } => "Name removed".to_owned(),
            Change::DescriptionChanged { to: Some(to), .. } => format!("Description set to “{to}”"),
            Change::DescriptionChanged { to: None, .. } => "Description removed".to_owned(),
            Change::SecondaryHostnamesChanged { to, .. } if to.is_empty() => "Secondary hostnames removed".to_owned(),
            Change::SecondaryHostnamesChanged { to, .. } => format!("Secondary hostnames set to {}", to.join(", ")),
            Change::SslEnabledSwitched { to: true } => "HTTPS turned on".to_owned(),
            Change::SslEnabledSwitched { to: false } => "HTTPS turned off".to_owned(),
            Change::SslDataChanged { to: Some(id), .. } => format!("SSL certificate set to certificate {id}"),
            Change::SslDataChanged { to: None, .. } => "SSL certificate removed".to_owned(),
            Change::ProxySslCaChanged { to: Some(id), .. } => {
                format!("Origin verified against trusted CA certificate {id} and the public roots")
            }
            Change::ProxySslCaChanged { to: None, .. } => {
                "Origin verified against the public roots only: no trusted CA certificate chosen".to_owned()
            }
            Change::OriginProtocolChanged { to, .. } => {
                format!("Origin protocol set to {}", to.as_str())
            }
            Change::OriginGroupSwitched { from, to } => {
                format!("Origin group switched from “{}” to “{}”", from.name, to.name)
            }
        }
    }
}

pub use crate::options::on_off;

impl CdnResource {
    pub fn settings_path(&self) -> String {
        resource_path(self.id)
    }
}

/// The REST API's OpenAPI document.
pub const OPENAPI_PATH: &str = "/cdn/openapi.json";

pub fn resource_path(id: i64) -> String {
    format!("/cdn/resources/{id}")
}

pub fn resource_content_path(id: i64) -> String {
    format!("/cdn/resources/{id}/content")
}

pub fn resource_history_path(id: i64) -> String {
    format!("/cdn/resources/{id}/history")
}

/// The CDN section's list of origin groups.
pub const ORIGIN_GROUPS_PATH: &str = "/cdn/origin_groups";
/// The form that creates an origin group.
pub const NEW_ORIGIN_GROUP_PATH: &str = "/cdn/origin_groups/new";

/// An origin group's page: its settings, the resources that use it, and deleting it.
pub fn origin_group_path(id: i64) -> String {
    format!("{ORIGIN_GROUPS_PATH}/{id}")
}

/// Every change made to an origin group, newest first.
pub fn origin_group_history_path(id: i64) -> String {
    format!("{ORIGIN_GROUPS_PATH}/{id}/history")
}

/// A reference to an origin group: its id and, at the time it was read, its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OriginGroupRef {
    pub id: i64,
    pub name: OriginGroupName,
}

/// An origin group: where the content of the resources that use it comes from, and when the
/// edge moves a request on to the next origin (Gcore's `/cdn/origin_groups/{id}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginGroup {
    /// Never given to another group, even after this one is deleted.
    pub id: i64,
    pub account_id: i64,
    pub name: OriginGroupName,
    pub sources: OriginSources,
    /// Gcore's `use_next` and `proxy_next_upstream`.
    pub next_upstream: NextUpstreamPolicy,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Counts the group's changes; a save names the version it was loaded at.
    pub version: i64,
}

impl OriginGroup {
    pub fn reference(&self) -> OriginGroupRef {
        OriginGroupRef { id: self.id, name: self.name.clone() }
    }
}

/// A resource that uses an origin group, as the group's pages name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupUser {
    pub id: i64,
    pub custom_domain: DomainName,
}

/// One origin of a group as a form or the API gives it, before it is checked
/// ([`crate::domain::OriginSource`] once it is). Gcore's defaults: `enabled` true, `backup` false.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInput {
    pub source: String,
    pub enabled: bool,
    pub backup: bool,
}

/// An origin group with the resources that use it (by custom domain), for lists and its page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginGroupUse {
    pub group: OriginGroup,
    pub used_by: Vec<GroupUser>,
}

/// One setting of an origin group, as its history names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupSetting {
    Name,
    Sources,
    UseNext,
    ProxyNextUpstream,
}

impl GroupSetting {
    pub const ALL: [Self; 4] = [Self::Name, Self::Sources, Self::UseNext, Self::ProxyNextUpstream];

    /// Its name in the API and in `origin_group_changes.setting` (migration 0009).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Sources => "sources",
            Self::UseNext => "use_next",
            Self::ProxyNextUpstream => "proxy_next_upstream",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::Sources => "Origins",
            Self::UseNext => "Use next origin",
            Self::ProxyNextUpstream => "Cases for the next origin",
        }
    }
}

/// One entry of an origin group's history: who set which setting to what, when and from where.
/// Values are as people read them: the name; the origins, one `source` a line with
/// ` (backup)`/` (disabled)` after it; `on`/`off`; the cases separated by `, `.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginGroupChange {
    /// The group's version once this change was made.
    pub version: i64,
    pub changed_at: Timestamp,
    pub changed_by: EmailAddress,
    pub source: ChangeSource,
    pub api_token_name: Option<String>,
    pub client_address: Option<String>,
    /// True for the values the group was created with.
    pub created: bool,
    pub setting: GroupSetting,
    /// `None` at creation.
    pub old_value: Option<String>,
    pub new_value: String,
}

impl OriginGroupChange {
    /// The change in a sentence, for the group's history: "Use next origin switched on",
    /// "Origins set to a.example.com, b.example.com (backup)", "Created as “Main”"…
    pub fn describe(&self) -> String {
        let listed = |value: &str| {
            let items: Vec<&str> =
                value.lines().flat_map(|line| line.split(", ")).filter(|item| !item.is_empty()).collect();
            if items.is_empty() { "none".to_owned() } else { items.join(", ") }
        };
        let value = &self.new_value;
        match (self.setting, self.created) {
            (GroupSetting::Name, true) => format!("Created as “{value}”"),
            (GroupSetting::Name, false) => format!("Name changed to “{value}”"),
            (GroupSetting::Sources, true) => format!("Created with origins {}", listed(value)),
            (GroupSetting::Sources, false) => format!("Origins set to {}", listed(value)),
            (GroupSetting::UseNext, true) => format!("Created with Use next origin {value}"),
            (GroupSetting::UseNext, false) => format!("Use next origin switched {value}"),
            (GroupSetting::ProxyNextUpstream, true) => {
                format!("Created with the cases for the next origin: {}", listed(value))
            }
            (GroupSetting::ProxyNextUpstream, false) => format!("Cases for the next origin set to {}", listed(value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_group_change_reads_as_a_sentence() {
        let change = |setting, created, new_value: &str| OriginGroupChange {
            version: 2,
            changed_at: Timestamp::from_unix_seconds(0),
            changed_by: EmailAddress::parse("a@example.com").unwrap(),
            source: ChangeSource::Portal,
            api_token_name: None,
            client_address: None,
            created,
            setting,
            old_value: None,
            new_value: new_value.to_owned(),
        };
        let origins = "a.example.com:8080\nb.example.com (backup)";
        assert_eq!(
            change(GroupSetting::Sources, false, origins).describe(),
            "Origins set to a.example.com:8080, b.example.com (backup)"
        );
        assert_eq!(
            change(GroupSetting::Sources, true, origins).describe(),
            "Created with origins a.example.com:8080, b.example.com (backup)"
        );
        assert_eq!(change(GroupSetting::UseNext, false, "on").describe(), "Use next origin switched on");
        assert_eq!(change(GroupSetting::Name, true, "Main").describe(), "Created as “Main”");
        assert_eq!(change(GroupSetting::Name, false, "Main, EU").describe(), "Name changed to “Main, EU”");
        assert_eq!(
            change(GroupSetting::ProxyNextUpstream, false, "").describe(),
            "Cases for the next origin set to none"
        );
        assert_eq!(
            change(GroupSetting::ProxyNextUpstream, false, "error, http_502").describe(),
            "Cases for the next origin set to error, http_502"
        );
    }

    #[test]
    fn a_certificate_kind_is_named_in_forms_as_serde_reads_it() {
        for kind in [CertificateKind::Ssl, CertificateKind::TrustedCa] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert!(kind.path(3).starts_with(kind.list_path()));
            assert_eq!(kind.new_path(), format!("{}/new", kind.list_path()));
            assert!(kind.plural_name().contains("SSL") || kind.plural_name().contains("CA"), "{kind:?}");
        }
        assert_eq!(certificate_path(3), "/cdn/ssl/3");
    }

    #[test]
    fn a_resource_is_active_only_once_every_live_edge_serves_it() {
        let rollout = |edges, applied| Rollout { edges, applied };
        assert_eq!(ResourceStatus::of(true, rollout(2, 2)), ResourceStatus::Active);
        assert_eq!(ResourceStatus::of(true, rollout(2, 1)), ResourceStatus::Processed);
        assert_eq!(ResourceStatus::of(true, rollout(0, 0)), ResourceStatus::Processed, "no edge serves it");
        for (edges, applied) in [(0, 0), (1, 0), (1, 1)] {
            assert_eq!(ResourceStatus::of(false, rollout(edges, applied)), ResourceStatus::Suspended);
        }
        assert_eq!(ResourceStatus::Processed.as_str(), "processed");
    }
}

/// The portal's page of SSL certificates (Gcore's API calls them `/cdn/sslData`).
pub const CERTIFICATES_PATH: &str = "/cdn/ssl";

/// The portal's page of trusted CA certificates (Gcore's API: `/cdn/sslCertificates`).
pub const TRUSTED_CAS_PATH: &str = "/cdn/trusted-cas";

/// Which of an account's two kinds of certificate a page or server function is about. They are
/// uploaded, listed, replaced and deleted alike, and told apart here only:
/// - `Ssl`: a certificate with its private key, which the edges present to visitors (Gcore's
///   `sslData`, chosen by a resource's `sslData`);
/// - `TrustedCa`: a CA's certificates, no key, which the edges trust beside the public roots to
///   verify an HTTPS origin (Gcore's trusted CA certificates, chosen by a resource's `proxy_ssl_ca`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    Ssl,
    TrustedCa,
}

impl CertificateKind {
    /// How a form names the kind (a hidden `kind` field), as serde reads it.
    pub const fn as_str(self) -> &'static str {
        match self {
            CertificateKind::Ssl => "ssl",
            CertificateKind::TrustedCa => "trusted_ca",
        }
    }

    /// The page that lists them.
    pub const fn list_path(self) -> &'static str {
        match self {
            CertificateKind::Ssl => CERTIFICATES_PATH,
            CertificateKind::TrustedCa => TRUSTED_CAS_PATH,
        }
    }

    /// The page that uploads one.
    pub fn new_path(self) -> String {
        format!("{}/new", self.list_path())
    }

    /// The page of one: its details, replacement and deletion.
    pub fn path(self, id: i64) -> String {
        format!("{}/{id}", self.list_path())
    }

    /// Its name in the portal's sentences, lower case where a sentence allows: "SSL certificate"
    /// or "trusted CA certificate".
    pub const fn name(self) -> &'static str {
        match self {
            CertificateKind::Ssl => "SSL certificate",
            CertificateKind::TrustedCa => "trusted CA certificate",
        }
    }

    /// The list's heading and the navigation's link.
    pub const fn plural_title(self) -> &'static str {
        match self {
            CertificateKind::Ssl => "SSL certificates",
            CertificateKind::TrustedCa => "Trusted CA certificates",
        }
    }

    /// The same within a sentence ("No trusted CA certificates yet"): acronyms stay upper case.
    pub const fn plural_name(self) -> &'static str {
        match self {
            CertificateKind::Ssl => "SSL certificates",
            CertificateKind::TrustedCa => "trusted CA certificates",
        }
    }

    /// Whether it comes with a private key (only a certificate the edges present does).
    pub const fn has_private_key(self) -> bool {
        matches!(self, CertificateKind::Ssl)
    }
}

/// The page of one SSL certificate.
pub fn certificate_path(id: i64) -> String {
    CertificateKind::Ssl.path(id)
}

/// How long before a certificate's end the portal starts warning of it: 30 days, the window in
/// which Let's Encrypt advises renewing its 90-day certificates.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// An SSL certificate a customer uploaded, as the portal shows it (Gcore's `sslData`): what the
/// certificate says, never its private key, which stays encrypted on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// Gcore's `sslData` id; never given to another certificate.
    pub id: i64,
    /// The customer's name for it, unique in the account (Gcore's `name`).
    pub name: String,
    /// The subject's common name (Gcore's `cert_subject_cn`), empty when it has none.
    pub subject_cn: String,
    /// The DNS names the certificate covers (Gcore's `cert_subject_alt`), wildcards as written.
    pub subject_alt: Vec<String>,
    /// Who signed it, as a distinguished name (Gcore's `cert_issuer`).
    pub issuer: String,
    /// Gcore's `validity_not_before` and `validity_not_after`.
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    /// The resources that use it, by custom domain.
    pub used_by: Vec<GroupUser>,
    /// Counts its replacements; a replacement names the version it was loaded at.
    pub version: i64,
    /// Where it stood when the server loaded it ([`CertificateExpiry::at`]).
    pub expiry: CertificateExpiry,
}

impl Certificate {
    /// The subject's common name as the portal shows it: "None" when it has none.
    pub fn common_name_shown(&self) -> String {
        if self.subject_cn.is_empty() { "None".to_owned() } else { self.subject_cn.clone() }
    }
}

/// Where a certificate stands at a moment, for the warnings the portal shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertificateExpiry {
    Valid,
    /// Ends within [`EXPIRY_WARNING_DAYS`]: in this many whole days (0 on its last day).
    EndsSoon {
        days: i64,
    },
    Expired,
}

impl CertificateExpiry {
    /// Where a certificate valid until `not_after` stands at `now`.
    pub fn at(not_after: Timestamp, now: Timestamp) -> Self {
        let left = not_after.unix_seconds() - now.unix_seconds();
        if left <= 0 {
            Self::Expired
        } else if left <= EXPIRY_WARNING_DAYS * 86_400 {
            Self::EndsSoon { days: left / 86_400 }
        } else {
            Self::Valid
        }
    }

    /// The warning to show, if any: "Expired" or "Expires in 12 days".
    pub fn warning(self) -> Option<String> {
        match self {
            Self::Valid => None,
            Self::EndsSoon { days: 0 } => Some("Expires today".to_owned()),
            Self::EndsSoon { days: 1 } => Some("Expires tomorrow".to_owned()),
            Self::EndsSoon { days } => Some(format!("Expires in {days} days")),
            Self::Expired => Some("Expired".to_owned()),
        }
    }
}

#[cfg(test)]
mod certificate_tests {
    use super::*;

    #[test]
    fn a_certificate_is_warned_of_within_thirty_days_of_its_end() {
        let end = Timestamp::from_unix_seconds(100 * 86_400);
        let at_day = |day: i64| CertificateExpiry::at(end, Timestamp::from_unix_seconds(day * 86_400));
        assert_eq!(at_day(69), CertificateExpiry::Valid);
        assert_eq!(at_day(70), CertificateExpiry::EndsSoon { days: 30 });
        assert_eq!(at_day(88).warning().as_deref(), Some("Expires in 12 days"));
        assert_eq!(
            CertificateExpiry::at(end, Timestamp::from_unix_seconds(100 * 86_400 - 60)).warning().as_deref(),
            Some("Expires today")
        );
        assert_eq!(at_day(100), CertificateExpiry::Expired);
        assert_eq!(at_day(101).warning().as_deref(), Some("Expired"));
    }
}
