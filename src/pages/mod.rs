mod api_tokens;
mod home;
mod new_resource;
mod resource_list;
mod resource_settings;
mod sign_up;

pub use api_tokens::ApiTokensPage;
pub use home::HomePage;
pub use new_resource::NewResourcePage;
pub use resource_list::ResourceListPage;
pub use resource_settings::{ResourceSettingsPage, Section};
pub use sign_up::SignUpPage;
