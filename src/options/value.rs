use serde::{Deserialize, Serialize};

/// The value of an option, whatever its kind; one variant per [`OptionKind`](super::OptionKind).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OptionValue {
    /// An on/off switch.
    Switch(bool),
}

impl OptionValue {
    /// How the history stores the value (`resource_changes.old_value`/`new_value`): "on" or "off".
    pub fn encode(self) -> String {
        match self {
            OptionValue::Switch(on) => on_off(on).to_owned(),
        }
    }

    /// How the portal shows the value in a sentence: "on" or "off".
    pub fn describe(self) -> String {
        self.encode()
    }

    /// The value as a switch's state.
    pub fn is_on(self) -> bool {
        match self {
            OptionValue::Switch(on) => on,
        }
    }
}

/// How the portal and its records spell a switch's state.
pub fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}
