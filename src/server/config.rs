use leptos::config::LeptosOptions;

/// Settings read from the environment at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    /// Create the demo account and its resources when the database has no accounts yet.
    pub seed_demo: bool,
    pub leptos: LeptosOptions,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/portal.db";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the Leptos settings: {0}")]
    Leptos(String),
    #[error("DATABASE_URL must be a sqlite:// URL (PostgreSQL support is not built yet), got {0:?}")]
    UnsupportedDatabase(String),
    #[error("SEED_DEMO must be true or false, got {0:?}")]
    SeedDemo(String),
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let database_url =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
        if !database_url.starts_with("sqlite:") {
            return Err(ConfigError::UnsupportedDatabase(database_url));
        }
        let seed_demo = match std::env::var("SEED_DEMO").as_deref() {
            Err(_) | Ok("") | Ok("false") | Ok("0") => false,
            Ok("true") | Ok("1") => true,
            Ok(other) => return Err(ConfigError::SeedDemo(other.to_owned())),
        };
        let leptos = leptos::config::get_configuration(None)
            .map_err(|error| ConfigError::Leptos(error.to_string()))?
            .leptos_options;
        Ok(Self { database_url, seed_demo, leptos })
    }
}
