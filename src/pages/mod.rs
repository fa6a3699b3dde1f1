mod api_tokens;
mod home;
mod new_origin_group;
mod new_resource;
mod origin_group_list;
mod origin_group_settings;
mod resource_list;
mod resource_settings;
mod sign_up;

pub use api_tokens::ApiTokensPage;
pub use home::HomePage;
pub use new_origin_group::NewOriginGroupPage;
pub use new_resource::NewResourcePage;
pub use origin_group_list::OriginGroupListPage;
pub use origin_group_settings::{GroupSection, OriginGroupPage};
pub use resource_list::ResourceListPage;
pub use resource_settings::{ResourceSettingsPage, Section};
pub use sign_up::SignUpPage;
