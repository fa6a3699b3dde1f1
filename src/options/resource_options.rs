use super::{OptionName, OptionSetting, OptionValue};
use crate::domain::Integration;
use serde::{Deserialize, Deserializer, Serialize};

/// Every option of a resource, as stored and as the REST API shows them (`options`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResourceOptions {
    /// Whether WebSocket connections are relayed to the origin. Default: on for
    /// `entire_website`, off for `static_assets`.
    pub websockets: OptionSetting<bool>,
}

/// Options to set, as the REST API reads them: each left out stays as it is (or, replacing a
/// resource, returns to its default); `{"enabled": false}` returns it to its default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResourceOptionsInput {
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(required = false, nullable = false))]
    pub websockets: Option<OptionSetting<bool>>,
}

/// What a change does to one option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionChoice {
    /// Follow the integration's default (Gcore: `enabled: false`).
    Default,
    /// The customer's value (Gcore: `enabled: true`).
    Chosen(OptionValue),
}

impl ResourceOptions {
    /// A new resource's options: every one follows the integration's default.
    pub fn defaults(integration: Integration) -> Self {
        let mut options = Self { websockets: OptionSetting { enabled: false, value: false } };
        for option in OptionName::ALL {
            options.set(option, OptionSetting { enabled: false, value: option.default_for(integration) });
        }
        options
    }

    pub fn get(&self, option: OptionName) -> OptionSetting<OptionValue> {
        match option {
            OptionName::Websockets => switch(self.websockets),
        }
    }

    pub fn set(&mut self, option: OptionName, setting: OptionSetting<OptionValue>) {
        match option {
            OptionName::Websockets => {
                self.websockets = OptionSetting { enabled: setting.enabled, value: setting.value.is_on() }
            }
        }
    }

    /// The setting `choice` gives `option` on a resource of `integration`.
    pub fn setting_for(
        option: OptionName,
        choice: OptionChoice,
        integration: Integration,
    ) -> OptionSetting<OptionValue> {
        match choice {
            OptionChoice::Default => OptionSetting { enabled: false, value: option.default_for(integration) },
            OptionChoice::Chosen(value) => OptionSetting { enabled: true, value },
        }
    }
}

impl ResourceOptionsInput {
    /// What the input asks of each option it names.
    pub fn choices(&self) -> Vec<(OptionName, OptionChoice)> {
        let websockets =
            self.websockets.map(|setting| (OptionName::Websockets, choice(setting.map(OptionValue::Switch))));
        [websockets].into_iter().flatten().collect()
    }
}

impl<T> OptionSetting<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> OptionSetting<U> {
        OptionSetting { enabled: self.enabled, value: f(self.value) }
    }
}

fn switch(setting: OptionSetting<bool>) -> OptionSetting<OptionValue> {
    setting.map(OptionValue::Switch)
}

/// Gcore's `enabled: false` means "not set": the value sent with it is ignored.
fn choice(setting: OptionSetting<OptionValue>) -> OptionChoice {
    if setting.enabled { OptionChoice::Chosen(setting.value) } else { OptionChoice::Default }
}

/// Explicit `null` is refused: "leave it out" is said by leaving it out.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_option_is_a_field_of_both_shapes() {
        let options = ResourceOptions::defaults(Integration::EntireWebsite);
        let json = serde_json::to_value(options).unwrap();
        // serde_json's map sorts its keys, so both lists are compared sorted.
        let fields: BTreeSet<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let names: BTreeSet<&str> = OptionName::ALL.iter().map(|option| option.api_name()).collect();
        assert_eq!(fields, names, "ResourceOptions has one field per option, named by its API name");
        let input: ResourceOptionsInput = serde_json::from_value(json).unwrap();
        let chosen: Vec<OptionName> = input.choices().into_iter().map(|(option, _)| option).collect();
        assert_eq!(chosen, OptionName::ALL, "ResourceOptionsInput reads every option");
    }

    #[test]
    fn get_reads_what_set_wrote() {
        let mut options = ResourceOptions::defaults(Integration::StaticAssetsOnly);
        for option in OptionName::ALL {
            for value in [OptionValue::Switch(true), OptionValue::Switch(false)] {
                let setting = OptionSetting { enabled: true, value };
                options.set(option, setting);
                assert_eq!(options.get(option), setting);
            }
        }
    }

    #[test]
    fn new_resources_follow_their_integrations_defaults() {
        for integration in Integration::ALL {
            let options = ResourceOptions::defaults(integration);
            for option in OptionName::ALL {
                assert_eq!(
                    options.get(option),
                    OptionSetting { enabled: false, value: option.default_for(integration) }
                );
            }
        }
    }

    #[test]
    fn not_enabled_means_the_default_whatever_the_value() {
        let input: ResourceOptionsInput =
            serde_json::from_str(r#"{"websockets": {"enabled": false, "value": true}}"#).unwrap();
        assert_eq!(input.choices(), vec![(OptionName::Websockets, OptionChoice::Default)]);
        assert!(serde_json::from_str::<ResourceOptionsInput>(r#"{"websockets": null}"#).is_err());
        assert!(
            serde_json::from_str::<ResourceOptionsInput>(r#"{"gzipOn": {"enabled": true, "value": true}}"#).is_err()
        );
    }
}
