//! A resource's history: each [`Change`] is one row of `resource_changes`, written by
//! [`record`] in the transaction of the change, and read back by [`history`]. [`encode`] and
//! [`decode`] are the one translation between the two, each the other's inverse (tested).

use super::input::Actor;
use super::rows::ensure_owned;
use crate::domain::{
    DomainName, Origin, OriginGroupName, ResourceDescription, ResourceName, SecondaryHostnames, Timestamp,
};
use crate::error::AppError;
use crate::model::{Change, OriginGroupRef, ResourceChange, on_off, parse_origin_protocol};
use crate::options::{OptionName, OptionValue};
use crate::server::change_log::{self, ChangeLog, Entry, Row};
use crate::server::db::{Db, Pool};

/// How a change is stored: `setting` (an option's API name, `origin`, `active`, `name`,
/// `description` or `secondary_hostnames`), `action` (`created`, `updated` or `defaulted`) and
/// the values before and after, as text. An option's value is the one in force ("on"); a setting
/// that is kept without being enabled adds its own value to it ("on; not enabled: off",
/// [`NOT_ENABLED`]), so that a change which keeps the value in force still says what changed,
/// without a new `action` (the CHECK of migration 0004). A name or description that is none is
/// the empty text (neither can be empty otherwise); secondary hostnames are separated by single
/// spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Encoded {
    setting: &'static str,
    action: &'static str,
    old_value: Option<String>,
    new_value: String,
}

/// Between the value in force and the value of a setting that is not enabled, in a stored value.
const NOT_ENABLED: &str = "; not enabled: ";

fn with_not_enabled(in_force: OptionValue, value: OptionValue) -> String {
    format!("{}{NOT_ENABLED}{}", in_force.encode(), value.encode())
}

/// A name or description as stored in history: none is the empty text.
fn text(value: Option<&impl ToString>) -> String {
    value.map(ToString::to_string).unwrap_or_default()
}

fn hostnames(stored: &str) -> Option<SecondaryHostnames> {
    let names = stored.split(' ').filter(|name| !name.is_empty()).map(|name| DomainName::parse(name).ok());
    SecondaryHostnames::new(names.collect::<Option<Vec<_>>>()?).ok()
}

fn encode(change: &Change) -> Encoded {
    let switch = |on: bool| on_off(on).to_owned();
    let (setting, action, old_value, new_value) = match change {
        Change::Created { option, value } => (option.api_name(), "created", None, value.encode()),
        Change::OptionSet { option, from, to } => (option.api_name(), "updated", Some(from.encode()), to.encode()),
        Change::OptionDefaulted { option, from, to } => {
            (option.api_name(), "defaulted", Some(from.encode()), to.encode())
        }
        Change::OptionNotEnabled { option, from, to, value } => {
            (option.api_name(), "defaulted", Some(from.encode()), with_not_enabled(*to, *value))
        }
        Change::OptionNotEnabledRemoved { option, from, to, value } => {
            (option.api_name(), "defaulted", Some(with_not_enabled(*from, *value)), to.encode())
        }
        Change::OriginChanged { from, to } => ("origin", "updated", Some(from.to_string()), to.to_string()),
        Change::ActiveSwitched { to } => ("active", "updated", Some(switch(!*to)), switch(*to)),
        Change::NameChanged { from, to } => ("name", "updated", Some(text(from.as_ref())), text(to.as_ref())),
        Change::DescriptionChanged { from, to } => {
            ("description", "updated", Some(text(from.as_ref())), text(to.as_ref()))
        }
        Change::SecondaryHostnamesChanged { from, to } => {
            ("secondary_hostnames", "updated", Some(from.join(" ")), to.join(" "))
        }
        Change::OriginGroupSwitched { from, to } => ("origin_group", "updated", Some(group_text(from)), group_text(to)),
        Change::SslEnabledSwitched { to } => ("ssl_enabled", "updated", Some(switch(!*to)), switch(*to)),
        Change::SslDataChanged { from, to } => {
            ("ssl_data", "updated", Some(certificate_text(*from)), certificate_text(*to))
        }
        Change::OriginProtocolChanged { from, to } => {
            ("origin_protocol", "updated", Some(from.as_str().to_owned()), to.as_str().to_owned())
        }
        Change::ProxySslCaChanged { from, to } => {
            ("proxy_ssl_ca", "updated", Some(certificate_text(*from)), certificate_text(*to))
        }
    };
    Encoded { setting, action, old_value, new_value }
}

/// A certificate (or trusted CA) as history stores it: its id, or the empty text for none.
fn certificate_text(id: Option<i64>) -> String {
    id.map(|id| id.to_string()).unwrap_or_default()
}

fn certificate(stored: &str) -> Option<Option<i64>> {
    match stored {
        "" => Some(None),
        id => id.parse().ok().filter(|id| *id > 0).map(Some),
    }
}

/// An origin group as history stores it: its id, a space, and its name at the time.
fn group_text(group: &OriginGroupRef) -> String {
    format!("{} {}", group.id, group.name)
}

fn group(stored: &str) -> Option<OriginGroupRef> {
    let (id, name) = stored.split_once(' ')?;
    let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
    let name = OriginGroupName::parse(name).ok().filter(|parsed| parsed.as_str() == name)?;
    Some(OriginGroupRef { id, name })
}

/// The change a stored row records; `None` if the row is not one [`encode`] writes.
fn decode(setting: &str, action: &str, old_value: Option<&str>, new_value: &str) -> Option<Change> {
    let on = |value: &str| match value {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    };
    let origin = |value: &str| Origin::parse(value).ok();
    if let Some(option) = OptionName::from_api_name(setting) {
        return match (action, old_value) {
            ("created", None) => Some(Change::Created { option, value: option.decode(new_value)? }),
            ("updated", Some(old)) => {
                Some(Change::OptionSet { option, from: option.decode(old)?, to: option.decode(new_value)? })
            }
            ("defaulted", Some(old)) => {
                // Each part is a value in force, with a setting not enabled beside it or not.
                let part = |text: &str| match text.split_once(NOT_ENABLED) {
                    Some((in_force, value)) => Some((option.decode(in_force)?, Some(option.decode(value)?))),
                    None => Some((option.decode(text)?, None)),
                };
                match (part(old)?, part(new_value)?) {
                    ((from, None), (to, None)) => Some(Change::OptionDefaulted { option, from, to }),
                    ((from, None), (to, Some(value))) => Some(Change::OptionNotEnabled { option, from, to, value }),
                    ((from, Some(value)), (to, None)) => {
                        Some(Change::OptionNotEnabledRemoved { option, from, to, value })
                    }
                    (_, (_, Some(_))) => None,
                }
            }
            _ => None,
        };
    }
    match (setting, action, old_value) {
        ("origin", "updated", Some(old)) => Some(Change::OriginChanged { from: origin(old)?, to: origin(new_value)? }),
        ("active", "updated", Some(_)) => Some(Change::ActiveSwitched { to: on(new_value)? }),
        ("name", "updated", Some(old)) => {
            Some(Change::NameChanged { from: ResourceName::parse(old).ok()?, to: ResourceName::parse(new_value).ok()? })
        }
        ("description", "updated", Some(old)) => Some(Change::DescriptionChanged {
            from: ResourceDescription::parse(old).ok()?,
            to: ResourceDescription::parse(new_value).ok()?,
        }),
        ("secondary_hostnames", "updated", Some(old)) => {
            Some(Change::SecondaryHostnamesChanged { from: hostnames(old)?, to: hostnames(new_value)? })
        }
        ("origin_group", "updated", Some(old)) => {
            Some(Change::OriginGroupSwitched { from: group(old)?, to: group(new_value)? })
        }
        ("ssl_enabled", "updated", Some(_)) => Some(Change::SslEnabledSwitched { to: on(new_value)? }),
        ("ssl_data", "updated", Some(old)) => {
            Some(Change::SslDataChanged { from: certificate(old)?, to: certificate(new_value)? })
        }
        ("origin_protocol", "updated", Some(old)) => Some(Change::OriginProtocolChanged {
            from: parse_origin_protocol(old).ok()?,
            to: parse_origin_protocol(new_value).ok()?,
        }),
        ("proxy_ssl_ca", "updated", Some(old)) => {
            Some(Change::ProxySslCaChanged { from: certificate(old)?, to: certificate(new_value)? })
        }
        _ => None,
    }
}

/// Writes one history record. The database refuses a resource change without it (migration 0002).
pub(super) async fn record(
    db: Db<'_>,
    actor: &Actor,
    resource_id: i64,
    version: i64,
    now: Timestamp,
    change: &Change,
) -> Result<(), AppError> {
    let Encoded { setting, action, old_value, new_value } = encode(change);
    let entry = Entry { setting, action, old_value: old_value.as_deref(), new_value: &new_value };
    change_log::record(db, ChangeLog::Resources, actor, resource_id, version, now, entry).await
}

/// The history of the account's resource, newest first.
pub async fn history(pool: &Pool, account_id: i64, id: i64) -> Result<Vec<ResourceChange>, AppError> {
    // Another account's resource is not found, rather than without history.
    ensure_owned(pool.db(), account_id, id).await?;
    let rows = change_log::read(pool.db(), ChangeLog::Resources, id).await?;
    rows.into_iter().map(resource_change).collect()
}

/// A record read back as the change it stands for.
fn resource_change(row: Row) -> Result<ResourceChange, AppError> {
    let log = ChangeLog::Resources;
    let author = row.author(log)?;
    let change =
        decode(&row.setting, &row.action, row.old_value.as_deref(), &row.new_value).ok_or_else(|| row.corrupt(log))?;
    Ok(ResourceChange {
        version: row.version,
        changed_at: author.changed_at,
        changed_by: author.changed_by,
        source: author.source,
        api_token_name: row.api_token_name,
        client_address: row.client_address,
        change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each shape a change takes; a new variant of [`Change`] fails to compile here
    /// until it is added, and then must read back.
    fn every_shape() -> Vec<Change> {
        let origin = |text: &str| Origin::parse(text).unwrap();
        let mut changes = Vec::new();
        for on in [true, false] {
            changes.push(Change::ActiveSwitched { to: on });
            changes.push(Change::SslEnabledSwitched { to: on });
            for option in OptionName::ALL {
                let (from, to) = (OptionValue::Switch(!on), OptionValue::Switch(on));
                changes.push(Change::Created { option, value: to });
                changes.push(Change::OptionSet { option, from, to });
                changes.push(Change::OptionDefaulted { option, from, to });
                for value in [from, to] {
                    changes.push(Change::OptionNotEnabled { option, from, to, value });
                    changes.push(Change::OptionNotEnabledRemoved { option, from, to, value });
                }
            }
        }
        changes.push(Change::OriginChanged { from: origin("a.example.com"), to: origin("[2001:db8::1]:8443") });
        changes.push(Change::SslDataChanged { from: None, to: Some(3) });
        changes.push(Change::SslDataChanged { from: Some(3), to: Some(12) });
        changes.push(Change::SslDataChanged { from: Some(12), to: None });
        changes.push(Change::ProxySslCaChanged { from: None, to: Some(4) });
        changes.push(Change::ProxySslCaChanged { from: Some(4), to: None });
        use edge_feed::OriginProtocol;
        changes.push(Change::OriginProtocolChanged { from: OriginProtocol::Http, to: OriginProtocol::Https });
        changes.push(Change::OriginProtocolChanged { from: OriginProtocol::Https, to: OriginProtocol::Match });
        let name = |text: &str| ResourceName::parse(text).unwrap();
        changes.push(Change::NameChanged { from: None, to: name("Images — EU") });
        changes.push(Change::NameChanged { from: name("Images"), to: None });
        let description = |text: &str| ResourceDescription::parse(text).unwrap();
        changes.push(Change::DescriptionChanged { from: description("a b"), to: description(" spaced ") });
        let hosts = |texts: &[&str]| {
            SecondaryHostnames::new(texts.iter().map(|text| DomainName::parse(text).unwrap()).collect()).unwrap()
        };
        changes.push(Change::SecondaryHostnamesChanged {
            from: hosts(&[]),
            to: hosts(&["b.example.com", "a.example.com"]),
        });
        changes.push(Change::SecondaryHostnamesChanged { from: hosts(&["a.example.com"]), to: hosts(&[]) });
        let group = |id, name: &str| OriginGroupRef { id, name: OriginGroupName::parse(name).unwrap() };
        changes.push(Change::OriginGroupSwitched { from: group(3, "a"), to: group(12, "Main servers — EU") });
        for change in &changes {
            match change {
                Change::Created { .. }
                | Change::OptionSet { .. }
                | Change::OptionDefaulted { .. }
                | Change::OptionNotEnabled { .. }
                | Change::OptionNotEnabledRemoved { .. }
                | Change::OriginChanged { .. }
                | Change::ActiveSwitched { .. }
                | Change::NameChanged { .. }
                | Change::DescriptionChanged { .. }
                | Change::SecondaryHostnamesChanged { .. }
                | Change::OriginGroupSwitched { .. }
                | Change::SslEnabledSwitched { .. }
                | Change::SslDataChanged { .. }
                | Change::OriginProtocolChanged { .. }
                | Change::ProxySslCaChanged { .. } => {}
            }
        }
        changes
    }

    #[test]
    fn every_change_reads_back_as_written() {
        for change in every_shape() {
            let Encoded { setting, action, old_value, new_value } = encode(&change);
            assert_eq!(decode(setting, action, old_value.as_deref(), &new_value), Some(change.clone()), "{change:?}");
        }
    }

    #[test]
    fn the_stored_text_is_what_earlier_versions_wrote() {
        let switched = Change::OptionSet {
            option: OptionName::Websockets,
            from: OptionValue::Switch(true),
            to: OptionValue::Switch(false),
        };
        let expected = Encoded {
            setting: "websockets",
            action: "updated",
            old_value: Some("on".to_owned()),
            new_value: "off".to_owned(),
        };
        assert_eq!(encode(&switched), expected);
        let created = Change::Created { option: OptionName::Websockets, value: OptionValue::Switch(true) };
        assert_eq!(encode(&created).action, "created");
        assert_eq!(encode(&Change::ActiveSwitched { to: false }).old_value.as_deref(), Some("on"));
        let defaulted = Change::OptionDefaulted {
            option: OptionName::Websockets,
            from: OptionValue::Switch(false),
            to: OptionValue::Switch(true),
        };
        let expected = Encoded {
            setting: "websockets",
            action: "defaulted",
            old_value: Some("off".to_owned()),
            new_value: "on".to_owned(),
        };
        assert_eq!(encode(&defaulted), expected);
    }

    #[test]
    fn a_setting_that_is_not_enabled_is_stored_beside_the_value_in_force() {
        let (on, off) = (OptionValue::Switch(true), OptionValue::Switch(false));
        let option = OptionName::Websockets;
        let stored = encode(&Change::OptionNotEnabled { option, from: on, to: on, value: off });
        assert_eq!(
            (stored.action, stored.old_value.as_deref(), stored.new_value.as_str()),
            ("defaulted", Some("on"), "on; not enabled: off")
        );
        let removed = encode(&Change::OptionNotEnabledRemoved { option, from: on, to: on, value: off });
        assert_eq!(
            (removed.action, removed.old_value.as_deref(), removed.new_value.as_str()),
            ("defaulted", Some("on; not enabled: off"), "on")
        );
        assert_eq!(decode("websockets", "defaulted", Some("on; not enabled: off"), "on; not enabled: on"), None);
        assert_eq!(decode("websockets", "defaulted", Some("on; not enabled: maybe"), "on"), None);
        assert_eq!(decode("websockets", "updated", Some("on"), "on; not enabled: off"), None);
    }

    #[test]
    fn rows_no_version_wrote_are_refused() {
        assert_eq!(decode("websockets", "updated", Some("on"), "maybe"), None);
        assert_eq!(decode("websockets", "created", Some("on"), "on"), None);
        assert_eq!(decode("no_such_option", "updated", Some("on"), "off"), None);
        assert_eq!(decode("origin", "updated", Some("a.example.com"), "http://b.example.com"), None);
        assert_eq!(decode("active", "defaulted", Some("on"), "off"), None);
        assert_eq!(decode("name", "updated", Some(""), "two\nlines"), None);
        assert_eq!(decode("secondary_hostnames", "updated", Some(""), "a.example.com a.example.com"), None);
        assert_eq!(decode("secondary_hostnames", "updated", Some(""), "not_a_host"), None);
        assert_eq!(decode("origin_group", "updated", Some("1 a"), "0 zero"), None);
        assert_eq!(decode("origin_group", "updated", Some("1 a"), "3  spaced"), None);
        assert_eq!(decode("origin_group", "updated", Some(""), "3 b"), None);
    }
}
