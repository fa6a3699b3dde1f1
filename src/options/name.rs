use super::setting::OptionSetting;
use super::value::OptionValue;
use crate::domain::Integration;
use serde::{Deserialize, Serialize};

/// The options a CDN resource has. Each `match` below is one fact about each option; adding an
/// option starts here (see the checklist in [`crate::options`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OptionName {
    /// Permanent WebSocket connections (RFC 6455) between visitors and the origin.
    Websockets,
}

/// What kind of value an option holds, and so how it is parsed, stored and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    /// On or off: a checkbox in the portal, a JSON boolean in the API, "on"/"off" in the history.
    Switch,
}

impl OptionName {
    pub const ALL: [OptionName; 1] = [OptionName::Websockets];

    /// Gcore's name in `options` (<https://api.gcore.com/docs/cdn>), also the form field's name,
    /// the history's `setting` and the name of the database column that holds the value in force.
    pub const fn api_name(self) -> &'static str {
        match self {
            OptionName::Websockets => "websockets",
        }
    }

    /// The database column of the stored setting's `enabled`; NULL while the option is not set
    /// (migration 0006).
    pub const fn enabled_column(self) -> &'static str {
        match self {
            OptionName::Websockets => "websockets_enabled",
        }
    }

    /// The database column of the stored setting's `value`; NULL exactly when `enabled` is.
    pub const fn value_column(self) -> &'static str {
        match self {
            OptionName::Websockets => "websockets_value",
        }
    }

    /// The option's name in the portal's sentences.
    pub const fn label(self) -> &'static str {
        match self {
            OptionName::Websockets => "WebSockets",
        }
    }

    pub const fn kind(self) -> OptionKind {
        match self {
            OptionName::Websockets => OptionKind::Switch,
        }
    }

    /// The value a resource has while the customer has not set the option.
    ///
    /// WebSockets: a whole website often has live features (chat, dashboards, notifications) that
    /// need WebSocket connections to its origin; static files never do, so a static-assets
    /// resource keeps the door closed until asked.
    pub const fn default_for(self, integration: Integration) -> OptionValue {
        match self {
            OptionName::Websockets => OptionValue::Switch(match integration {
                Integration::EntireWebsite => true,
                Integration::StaticAssetsOnly => false,
            }),
        }
    }

    /// The option whose [`api_name`](Self::api_name) this is.
    pub fn from_api_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|option| option.api_name() == name)
    }

    /// A stored value, as [`OptionValue::encode`] wrote it; `None` if it is not one.
    pub fn decode(self, text: &str) -> Option<OptionValue> {
        match (self.kind(), text) {
            (OptionKind::Switch, "on") => Some(OptionValue::Switch(true)),
            (OptionKind::Switch, "off") => Some(OptionValue::Switch(false)),
            _ => None,
        }
    }

    /// A form's submitted value. An unticked checkbox sends nothing, so a switch reads a missing
    /// value as off.
    pub fn parse_form(self, value: Option<&str>) -> Result<OptionValue, &'static str> {
        match (self.kind(), value) {
            (OptionKind::Switch, None) => Ok(OptionValue::Switch(false)),
            (OptionKind::Switch, Some("on")) => Ok(OptionValue::Switch(true)),
            (OptionKind::Switch, Some(_)) => Err("This switch can only be on or off."),
        }
    }

    /// How the history shows the customer setting the option to `to`.
    pub fn describe_set(self, to: OptionValue) -> String {
        match self.kind() {
            OptionKind::Switch => format!("{} turned {}", self.label(), to.describe()),
        }
    }

    /// How the history shows the option going back to its default, which is `to`.
    pub fn describe_defaulted(self, to: OptionValue) -> String {
        format!("{} set to follow the integration's default ({})", self.label(), to.describe())
    }

    /// Where the value in force comes from, as the portal says it after the value: `None` for the
    /// resource's own enabled setting, else why the integration's default applies.
    pub fn default_note(self, setting: Option<OptionSetting<OptionValue>>) -> Option<String> {
        match setting {
            Some(OptionSetting { enabled: true, .. }) => None,
            None => Some("the integration's default".to_owned()),
            Some(OptionSetting { enabled: false, value }) => Some(format!(
                "the integration's default: a setting of {} was saved through the API without enabling it",
                value.describe()
            )),
        }
    }

    /// How the history shows a setting stored with `enabled: false` (only the API writes one):
    /// `value` is kept but does not apply, so the default `to` is in force.
    pub fn describe_not_enabled(self, value: OptionValue, to: OptionValue) -> String {
        format!(
            "{} follows the integration's default ({}): a setting of {} was saved without enabling it",
            self.label(),
            to.describe(),
            value.describe()
        )
    }

    /// How the history shows the removal of a setting that was not enabled (`value`): the default
    /// `to` stays in force.
    pub fn describe_not_enabled_removed(self, value: OptionValue, to: OptionValue) -> String {
        format!(
            "{} still follows the integration's default ({}): the setting of {} that was not enabled was removed",
            self.label(),
            to.describe(),
            value.describe()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websockets_default_follows_the_integration() {
        let default = |integration| OptionName::Websockets.default_for(integration);
        assert_eq!(default(Integration::EntireWebsite), OptionValue::Switch(true));
        assert_eq!(default(Integration::StaticAssetsOnly), OptionValue::Switch(false));
    }

    #[test]
    fn names_are_unique_and_found_by_api_name() {
        for option in OptionName::ALL {
            assert_eq!(OptionName::from_api_name(option.api_name()), Some(option));
            assert_eq!(option.enabled_column(), format!("{}_enabled", option.api_name()));
            assert_eq!(option.value_column(), format!("{}_value", option.api_name()));
        }
        assert_eq!(OptionName::from_api_name("gzipOn"), None);
    }

    #[test]
    fn every_value_the_history_stores_reads_back() {
        for option in OptionName::ALL {
            for value in [OptionValue::Switch(true), OptionValue::Switch(false)] {
                assert_eq!(option.decode(&value.encode()), Some(value), "{option:?}");
            }
            assert_eq!(option.decode("yes"), None);
        }
    }

    #[test]
    fn the_switch_accepts_only_on_or_nothing() {
        let option = OptionName::Websockets;
        assert_eq!(option.parse_form(None), Ok(OptionValue::Switch(false)));
        assert_eq!(option.parse_form(Some("on")), Ok(OptionValue::Switch(true)));
        assert!(option.parse_form(Some("yes")).is_err());
    }

    #[test]
    fn the_history_speaks_of_the_option_by_its_label() {
        let option = OptionName::Websockets;
        assert_eq!(option.describe_set(OptionValue::Switch(false)), "WebSockets turned off");
        assert_eq!(
            option.describe_defaulted(OptionValue::Switch(true)),
            "WebSockets set to follow the integration's default (on)"
        );
        let (on, off) = (OptionValue::Switch(true), OptionValue::Switch(false));
        assert_eq!(option.default_note(None).as_deref(), Some("the integration's default"));
        assert_eq!(option.default_note(Some(OptionSetting { enabled: true, value: off })), None);
        assert_eq!(
            option.default_note(Some(OptionSetting { enabled: false, value: off })).as_deref(),
            Some("the integration's default: a setting of off was saved through the API without enabling it")
        );
        assert_eq!(
            option.describe_not_enabled(off, on),
            "WebSockets follows the integration's default (on): a setting of off was saved without enabling it"
        );
        assert_eq!(
            option.describe_not_enabled_removed(off, on),
            "WebSockets still follows the integration's default (on): the setting of off that was not enabled was removed"
        );
    }
}
