//! A CDN resource's options, each defined once: its API name (Gcore's), its label, its value
//! type and validation, its default per integration, how the history records and shows a change
//! of it, and how it travels to the edges. The portal's form, the REST API, the history, the
//! database writes, the edge feed and the OpenAPI document all take it from here; shared by the
//! server and the browser.
//!
//! Gcore's API gives every option the same shape, `{"enabled": bool, "value": …}`
//! (<https://api.gcore.com/docs/cdn>, `options`): `enabled` says whether the option is set at all;
//! when it is not, the resource follows its default. [`OptionSetting`] is that shape.
//!
//! # Adding an option
//! The compiler finds most of the places: add the variant, then follow the errors.
//! 1. `src/options/name.rs`: a variant of [`OptionName`] and its arm in each `match` (API name,
//!    label, kind, default per integration, the edge's field).
//! 2. `src/options/resource_options.rs`: a field in [`ResourceOptions`] and in
//!    [`ResourceOptionsInput`], and their arms in `get`, `set` and `choices`.
//! 3. A value of a new kind (not an on/off switch): a variant of [`OptionValue`] in
//!    `src/options/value.rs` and [`OptionKind`], with its history text, its form parsing and its
//!    database binding (`src/server/resources/rows.rs`, `bind_value`).
//! 4. Migrations, one twin pair (`migrations/{sqlite,postgres}/NNNN_<name>.sql`): the columns
//!    `<name>` and `<name>_explicit` of `cdn_resources` (NOT NULL, with a default for existing
//!    rows), the `setting` CHECK of `resource_changes` allowing `'<name>'`, and the history guard
//!    trigger watching both columns. Column names follow the API name ([`OptionName::api_name`],
//!    [`OptionName::explicit_column`]).
//! 5. The edge: the field in the feed's wire format (`feed/src/lib.rs`), its line in
//!    `edge_resource` (`src/server/edge_feed/queries.rs`, where an option's value meets the
//!    wire), and what the edge does with it (`edge/src/`).
//! 6. The portal's form: its switch or field on the resource's page
//!    (`src/pages/resource_settings.rs`) and its argument to the server function that saves the
//!    page's section (`src/api/resources.rs`, parsed with [`OptionName::parse_form`]).
//! 7. Tests: the option's default and history text (unit tests here); its two columns in
//!    `GUARDED` of `tests/api/migrations.rs` (the history guard must cover them, on both
//!    databases); a REST round trip (`tests/api/rest_api.rs`) and an edge test that it takes
//!    effect (`tests/api/edge.rs`); the browser test of its form (`end2end/tests/`).
//!
//! The REST schema and its validation, the history's encoding and decoding, the database reads
//! and writes, the change detection and the feed's queries are generic over [`OptionName::ALL`]
//! and need no change: an on/off option touches nine files of product code (two here, two
//! migrations, the feed's contract and its mapping, the edge, the page and its server function)
//! and its tests.

mod name;
mod resource_options;
mod setting;
mod value;

pub use name::{OptionKind, OptionName};
pub use resource_options::{OptionChoice, ResourceOptions, ResourceOptionsInput, present};
pub use setting::OptionSetting;
pub use value::{OptionValue, on_off};
