use serde::{Deserialize, Serialize};

/// One option of a resource, in Gcore's shape: `{"enabled": bool, "value": T}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OptionSetting<T> {
    /// Whether the option is set. When false, the resource uses its integration's default
    /// (see each option) and `value` is that default.
    pub enabled: bool,
    /// The value in force: a boolean for a switch.
    pub value: T,
}
