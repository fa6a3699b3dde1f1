use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The error of the action's latest run, whether it ran in the browser or, without JavaScript,
/// came back in the URL of the redirect.
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action.value().with(|outcome| outcome.as_ref().and_then(|result| result.as_ref().err().cloned()))
    })
}

/// What the refused submission entered in `field`, for the page drawn anew from the redirect
/// that answered the plain form post.
pub fn entered_value(error: Signal<Option<AppError>>, field: &str) -> Option<String> {
    error.with_untracked(|error| error.as_ref().and_then(|error| error.entered(field)).map(str::to_owned))
}

pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        error.with(|error| error.as_ref().and_then(|error| error.for_field(field)).map(str::to_owned))
    })
}

/// A labelled input with an optional hint and its error message, tied together for screen readers.
#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional_no_strip, into)] hint: Option<&'static str>,
    error: Signal<Option<String>>,
    /// What the field shows when the page is drawn, such as the value a refused form post sent.
    #[prop(optional_no_strip)]
    initial: Option<String>,
    /// Whether the browser refuses to send the form with the field empty.
    #[prop(default = true)]
    required: bool,
) -> impl IntoView {
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let ids: Vec<&str> =
                [hint.is_some().then_some(hint_id.as_str()), error.with(Option::is_some).then_some(error_id.as_str())]
                    .into_iter()
                    .flatten()
                    .collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            {hint.map(|hint| view! { <p class="hint" id=hint_id>{hint}</p> })}
            <input
                id=name
                name=name
                type=input_type
                required=required
                autocomplete=autocomplete
                placeholder=placeholder
                value=initial
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=described_by
            />
            {move || error.get().map(|message| view! { <p class="field-error" id=error_id.clone()>{message}</p> })}
        </div>
    }
}

/// A form's error that belongs to no single field (field errors show beside their fields).
#[component]
pub fn FormAlert(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|error| !matches!(error, AppError::Invalid(_)))
            .map(|error| view! { <p class="form-alert" role="alert">{error.to_string()}</p> })
    }
}

/// A page-level failure to load something. A page that failed on our side (the database is
/// unavailable, say) is answered with that status, so that monitors and load balancers see it.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        use crate::server::http_error::{Credentials, ErrorHead};
        let head = ErrorHead::of(&error, Credentials::Session);
        if head.status.is_server_error()
            && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        {
            response.set_status(head.status);
            for (name, value) in &head.headers {
                response.insert_header(name.clone(), value.clone());
            }
        }
    }
    view! {
        <div class="error-panel" role="alert">
            <p>{error.to_string()}</p>
        </div>
    }
}
