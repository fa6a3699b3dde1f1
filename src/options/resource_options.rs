use super::{OptionName, OptionSetting, OptionValue};
use crate::domain::Integration;
use serde::{Deserialize, Deserializer, Serialize};

/// Every option of a resource as stored and as the REST API shows them (`options`): each one
/// not set (`null`, the integration's default applies) or set exactly as it was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResourceOptions {
    /// Whether WebSocket connections are relayed to the origin; `null` when not set. Default:
    /// on for `entire_website`, off for `static_assets`.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub websockets: Option<OptionSetting<bool>>,
}

/// The value of every option in force on a resource: its own setting where one is set and
/// enabled, else the integration's default. What the edges do and what the portal's switches
/// show; the REST API's read-only `optionsInForce`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OptionsInForce {
    /// Whether the edges relay WebSocket connections to the origin.
    #[cfg_attr(feature = "ssr", schema(read_only))]
    pub websockets: bool,
}

/// Options to write, as the REST API reads them: each left out stays as it is (or, replacing a
/// resource, is no longer set); `null` removes it (Gcore: "the option is not added to the CDN
/// resource"), so the integration's default applies; `{"enabled", "value"}` is stored as written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResourceOptionsInput {
    /// `null` removes the option; left out, it stays as it is.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(required = false, nullable = true, value_type = Option<OptionSetting<bool>>))]
    pub websockets: Option<Option<OptionSetting<bool>>>,
}

/// What a change writes for one option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionChoice {
    /// No setting: the integration's default applies (Gcore: `null`).
    Default,
    /// This setting, stored as written (Gcore: `{"enabled", "value"}`).
    Set(OptionSetting<OptionValue>),
}

impl OptionChoice {
    /// The customer's value, in force from now on (the portal's switch).
    pub fn chosen(value: OptionValue) -> Self {
        OptionChoice::Set(OptionSetting { enabled: true, value })
    }

    /// The setting stored once this choice is made; `None` for none.
    pub fn setting(self) -> Option<OptionSetting<OptionValue>> {
        match self {
            OptionChoice::Default => None,
            OptionChoice::Set(setting) => Some(setting),
        }
    }
}

impl ResourceOptions {
    /// The option's stored setting; `None` when it is not set.
    pub fn get(&self, option: OptionName) -> Option<OptionSetting<OptionValue>> {
        match option {
            OptionName::Websockets => self.websockets.map(|setting| setting.map(OptionValue::Switch)),
        }
    }

    pub fn set(&mut self, option: OptionName, setting: Option<OptionSetting<OptionValue>>) {
        match option {
            OptionName::Websockets => self.websockets = setting.map(|setting| setting.map(OptionValue::is_on)),
        }
    }

    /// The value of `option` in force on a resource of `integration` with these settings.
    pub fn in_force(&self, option: OptionName, integration: Integration) -> OptionValue {
        self.get(option).and_then(OptionSetting::applied).unwrap_or_else(|| option.default_for(integration))
    }

    /// The value of every option in force on a resource of `integration` with these settings.
    pub fn all_in_force(&self, integration: Integration) -> OptionsInForce {
        let mut in_force = OptionsInForce::defaults(integration);
        for option in OptionName::ALL {
            in_force.set(option, self.in_force(option, integration));
        }
        in_force
    }
}

impl OptionsInForce {
    /// Every option at the integration's default.
    pub fn defaults(integration: Integration) -> Self {
        let mut in_force = Self { websockets: false };
        for option in OptionName::ALL {
            in_force.set(option, option.default_for(integration));
        }
        in_force
    }

    pub fn get(&self, option: OptionName) -> OptionValue {
        match option {
            OptionName::Websockets => OptionValue::Switch(self.websockets),
        }
    }

    pub fn set(&mut self, option: OptionName, value: OptionValue) {
        match option {
            OptionName::Websockets => self.websockets = value.is_on(),
        }
    }
}

impl ResourceOptionsInput {
    /// What the input asks of each option it names.
    pub fn choices(&self) -> Vec<(OptionName, OptionChoice)> {
        let choice =
            |setting: Option<OptionSetting<OptionValue>>| setting.map_or(OptionChoice::Default, OptionChoice::Set);
        let websockets = self
            .websockets
            .map(|setting| (OptionName::Websockets, choice(setting.map(|setting| setting.map(OptionValue::Switch)))));
        [websockets].into_iter().flatten().collect()
    }
}

/// A field that is there, for `#[serde(default, deserialize_with = "present")]`: left out it is
/// `None`; written, it is `Some` of what `T` reads. So `null` is refused unless `T` is itself an
/// `Option` (as an option's setting is, where `null` says "remove it").
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn setting(enabled: bool, on: bool) -> OptionSetting<OptionValue> {
        OptionSetting { enabled, value: OptionValue::Switch(on) }
    }

    /// Not set, and each setting a switch can hold.
    fn every_setting() -> Vec<Option<OptionSetting<OptionValue>>> {
        [None]
            .into_iter()
            .chain([(true, true), (true, false), (false, true), (false, false)].map(|(e, v)| Some(setting(e, v))))
            .collect()
    }

    fn keys(json: serde_json::Value) -> BTreeSet<String> {
        json.as_object().unwrap().keys().cloned().collect()
    }

    #[test]
    fn every_option_is_a_field_of_each_shape() {
        let names: BTreeSet<String> = OptionName::ALL.iter().map(|option| option.api_name().to_owned()).collect();
        let mut options = ResourceOptions::default();
        for option in OptionName::ALL {
            options.set(option, Some(setting(true, true)));
        }
        let json = serde_json::to_value(options).unwrap();
        assert_eq!(keys(json.clone()), names, "ResourceOptions has one field per option, named by its API name");
        assert_eq!(keys(serde_json::to_value(ResourceOptions::default()).unwrap()), names, "an option not set is null");
        let in_force = OptionsInForce::defaults(Integration::EntireWebsite);
        assert_eq!(keys(serde_json::to_value(in_force).unwrap()), names, "OptionsInForce too");
        let input: ResourceOptionsInput = serde_json::from_value(json).unwrap();
        let chosen: Vec<OptionName> = input.choices().into_iter().map(|(option, _)| option).collect();
        assert_eq!(chosen, OptionName::ALL, "ResourceOptionsInput reads every option");
    }

    #[test]
    fn get_reads_what_set_wrote() {
        let mut options = ResourceOptions::default();
        let mut in_force = OptionsInForce::defaults(Integration::StaticAssetsOnly);
        for option in OptionName::ALL {
            for stored in every_setting() {
                options.set(option, stored);
                assert_eq!(options.get(option), stored);
            }
            for value in [OptionValue::Switch(true), OptionValue::Switch(false)] {
                in_force.set(option, value);
                assert_eq!(in_force.get(option), value);
            }
        }
    }

    #[test]
    fn an_option_is_in_force_only_while_set_and_enabled() {
        for integration in Integration::ALL {
            for option in OptionName::ALL {
                let default = option.default_for(integration);
                assert_eq!(OptionsInForce::defaults(integration).get(option), default);
                for stored in every_setting() {
                    let mut options = ResourceOptions::default();
                    options.set(option, stored);
                    let expected = match stored {
                        Some(OptionSetting { enabled: true, value }) => value,
                        _ => default,
                    };
                    assert_eq!(options.in_force(option, integration), expected, "{integration:?} {stored:?}");
                    assert_eq!(options.all_in_force(integration).get(option), expected);
                }
            }
        }
    }

    #[test]
    fn the_input_is_stored_as_written_null_removes_and_absent_leaves() {
        let read = |json: &str| serde_json::from_str::<ResourceOptionsInput>(json).map(|input| input.choices());
        let websockets = OptionName::Websockets;
        for (enabled, value) in [(true, true), (true, false), (false, true), (false, false)] {
            let json = format!(r#"{{"websockets": {{"enabled": {enabled}, "value": {value}}}}}"#);
            assert_eq!(read(&json).unwrap(), vec![(websockets, OptionChoice::Set(setting(enabled, value)))]);
        }
        assert_eq!(read(r#"{"websockets": null}"#).unwrap(), vec![(websockets, OptionChoice::Default)]);
        assert_eq!(read("{}").unwrap(), vec![]);
        assert!(read(r#"{"websockets": {"enabled": true}}"#).is_err(), "both fields are required");
        assert!(read(r#"{"websockets": {"enabled": null, "value": true}}"#).is_err());
        assert!(read(r#"{"gzipOn": {"enabled": true, "value": true}}"#).is_err());
    }

    #[test]
    fn a_choice_stores_its_setting() {
        assert_eq!(OptionChoice::Default.setting(), None);
        let on = OptionValue::Switch(true);
        assert_eq!(OptionChoice::chosen(on).setting(), Some(setting(true, true)));
        assert_eq!(OptionChoice::Set(setting(false, true)).setting(), Some(setting(false, true)));
    }
}
