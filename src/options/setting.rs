use serde::{Deserialize, Serialize};

/// One option of a resource as the customer stored it, in Gcore's shape:
/// `{"enabled": bool, "value": T}` (<https://api.gcore.com/docs/cdn>, `options`; the SDK's
/// `OptionsWebsockets`). Kept exactly as written: `enabled: false` stores the setting but does
/// not apply it, so the integration's default is in force; `enabled: true` puts `value` in force.
/// An option that is not set at all is `None` where this is used (`null` in the API).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OptionSetting<T> {
    /// Whether the option applies. When false, the resource uses its integration's default
    /// (see `optionsInForce`), whatever `value` says.
    pub enabled: bool,
    /// The value the option gives while it is enabled: a boolean for a switch.
    pub value: T,
}

impl<T> OptionSetting<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> OptionSetting<U> {
        OptionSetting { enabled: self.enabled, value: f(self.value) }
    }

    /// The value this setting puts in force: its `value` when enabled, `None` when the
    /// integration's default applies.
    pub fn applied(self) -> Option<T> {
        self.enabled.then_some(self.value)
    }
}
