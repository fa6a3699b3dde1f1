//! A CDN resource's options, each defined once: its API name (Gcore's), its label, its value
//! type and validation, its default per integration, how the history records and shows a change
//! of it, and how it travels to the edges. The portal's form, the REST API, the history, the
//! database writes, the edge feed and the OpenAPI document all take it from here; shared by the
//! server and the browser.
//!
//! Gcore's API gives every option the same shape, `{"enabled": bool, "value": …}`
//! (<https://api.gcore.com/docs/cdn>, `options`; the SDK's `OptionsWebsockets`), and `null` for an
//! option that is not set. An option of a resource is either not set, or set to an
//! [`OptionSetting`] kept exactly as written, so that a declarative client reads back what it
//! wrote ([`ResourceOptions`], the API's `options`). Only a setting that is set and enabled
//! applies; otherwise the integration's default is in force. What is in force is
//! [`OptionsInForce`] (the API's read-only `optionsInForce`): what the edges do and the portal's
//! switches show. The portal's own save of a switch stores the customer's value, enabled.
//!
//! # Adding an option
//! Tried end to end by adding a throwaway switch: the compiler finds the Rust places only once
//! the feed's field exists, so follow the list, not the errors.
//! 1. `src/options/name.rs`: a variant of [`OptionName`], in [`OptionName::ALL`], and its arm in
//!    each `match` (API name, `enabled` and `value` columns, label, kind, default per integration).
//! 2. `src/options/resource_options.rs`: a field in [`ResourceOptions`] (an `Option`, required
//!    and nullable in the schema), in [`OptionsInForce`] (`read_only` in the schema) and in
//!    [`ResourceOptionsInput`] (an `Option<Option<…>>`: left out, or `null`), and its arm in each
//!    one's `get` and `set`, in `OptionsInForce::defaults` and in `choices`.
//! 3. A value of a new kind (not an on/off switch): a variant of [`OptionValue`] in
//!    `src/options/value.rs` and of [`OptionKind`], with its history text ([`OptionValue::encode`],
//!    [`OptionName::decode`]; the history's "; not enabled: " separator must not occur in it), its
//!    form parsing, its columns' reading (`src/server/resources/rows.rs`, `FromRow`) and binding
//!    (`bind_options`).
//! 4. Migrations, one twin pair (`migrations/{sqlite,postgres}/NNNN_<name>.sql`, each naming its
//!    twin on its first line; `migrations/README.md`), in this order:
//!    - the columns of `cdn_resources`: `<name>` NOT NULL, the value in force, set for existing rows
//!      from their `integration` (an `UPDATE` by integration, since a column default cannot depend
//!      on it), and `<name>_enabled` and `<name>_value`, nullable (NULL: not set, as every existing
//!      resource starts), with the CHECK that both or neither are NULL (0006), all before the history
//!      guard is recreated, or the guard refuses the `UPDATE`;
//!    - the history guard trigger (0002, 0004, 0006) recreated to watch the three columns;
//!    - `resource_changes.setting`'s CHECK allowing `'<name>'`: PostgreSQL drops and re-adds the
//!      named `resource_changes_setting_check`; SQLite rebuilds the table as 0004 does, dropping
//!      and recreating both triggers that name it, `cdn_resource_changes_are_recorded` (the
//!      history guard) and `resource_changes_reach_the_edges`;
//!    - a `config_changes` row for every resource (as 0003 fills it), so that edges following
//!      the feed are sent every resource with its new option.
//! 5. The edge: the field in the feed's wire format (`ResourceOptions` in `feed/src/lib.rs`, with
//!    `#[serde(default = …)]` giving the value that changes nothing, so an edge still reads its
//!    saved state and an older portal's messages, and the pinned JSON examples there), its line in
//!    `edge_resource` (`src/server/edge_feed/queries.rs`, where an option's value in force meets
//!    the wire), and what the edge does with it (`edge/src/`); the two hand-written state files,
//!    `bench/edge.sh` and `end2end/autobahn/run.sh`, gain the field.
//! 6. The portal's form: its switch or field on the resource's page
//!    (`src/pages/resource_settings.rs`, showing the value in force and, with
//!    [`OptionName::default_note`], where it comes from) and its argument to the server function
//!    that saves the page's section (`src/api/resources.rs`, parsed with [`OptionName::parse_form`]).
//! 7. Tests: the option's default and history text (unit tests here); its three columns in
//!    `GUARDED` of `tests/api/migrations.rs`, in that file's `resource_row` and `Settings` row and
//!    expected versions (the history guard must cover them, on both databases), and `'<name>'` in
//!    its CHECK test; a REST round trip (`tests/api/rest_options.rs` and `tests/api/rest_api.rs`,
//!    whose exact JSON examples gain the field in `options` and in `optionsInForce`) and an edge
//!    test that it takes effect (`tests/api/edge.rs`); the browser test of its form
//!    (`end2end/tests/`).
//!
//! The REST schema and its validation, the history (a creation records every option's value in
//! force; a change, each setting it changes, even one that keeps the value in force), the database
//! reads and writes, the change detection and the feed's queries are generic over
//! [`OptionName::ALL`] and need no change. The trial's count for an on/off option: four product
//! files here and in the feed, plus the page, its server function and what the edge does; two
//! migrations; two hand-written state files; and its tests.

mod name;
mod resource_options;
mod setting;
mod value;

pub use name::{OptionKind, OptionName};
pub use resource_options::{OptionChoice, OptionsInForce, ResourceOptions, ResourceOptionsInput, present};
pub use setting::OptionSetting;
pub use value::{OptionValue, on_off};
