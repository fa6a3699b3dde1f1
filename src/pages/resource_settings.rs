use crate::api::{
    SaveContentSettings, SaveGeneralSettings, SaveHttpsSettings, SaveResourceOriginGroup, get_resource,
    list_certificates, list_origin_groups, resource_history, resource_rollout,
};
use crate::components::{
    ErrorPanel, FormAlert, GroupSelect, HistoryEntry, HistorySection, NotFound, OnOff, RequireAccount, SelectField,
    When, action_error, entered_value, field_error,
};
use crate::domain::{MAX_RESOURCE_DESCRIPTION_CHARS, MAX_RESOURCE_NAME_CHARS, MAX_SECONDARY_HOSTNAMES};
use crate::error::AppError;
use crate::model::{
    CERTIFICATES_PATH, CdnResource, CertificateKind, ResourceChange, Rollout, TRUSTED_CAS_PATH, certificate_path,
    on_off, origin_group_path, resource_content_path, resource_history_path, resource_path, resource_reports_path,
};
use crate::options::OptionName;
use crate::pages::resource_reports::ReportsSection;
use edge_feed::OriginProtocol;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The sections of a resource's settings, each at its own address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    General,
    Content,
    History,
    Reports,
}

#[component]
pub fn ResourceSettingsPage(section: Section) -> impl IntoView {
    view! {
        <RequireAccount>
            <ResourceSettings section/>
        </RequireAccount>
    }
}

#[component]
fn ResourceSettings(section: Section) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    // The Content section also shows how far its settings have reached the edges; loaded with
    // the page, so that its island starts from what the page shows.
    let resource = Resource::new(id, move |id| async move {
        let id = id.ok_or(AppError::NotFound)?;
        let resource = get_resource(id).await?;
        let rollout = match section {
            Section::Content => Some(resource_rollout(id).await?),
            Section::General | Section::History | Section::Reports => None,
        };
        Ok::<_, AppError>((resource, rollout))
    });
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match resource.await {
                    Ok((resource, rollout)) => view! { <SettingsLayout resource rollout section/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SettingsLayout(resource: CdnResource, rollout: Option<Rollout>, section: Section) -> impl IntoView {
    let domain = resource.custom_domain.to_string();
    view! {
        <Title text=domain.clone()/>
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href="/cdn">"CDN resources"</a>
        </nav>
        <h1>{domain}</h1>
        <div class="settings">
            <nav class="section-nav" aria-label="Settings sections">
                <A href=resource_path(resource.id) exact=true>"General"</A>
                <A href=resource_content_path(resource.id) exact=true>"Content"</A>
                <A href=resource_history_path(resource.id) exact=true>"History"</A>
                <A href=resource_reports_path(resource.id) exact=true>"Reports"</A>
            </nav>
            <div class="settings-panel">
                {match section {
                    Section::General => view! { <GeneralSection resource/> }.into_any(),
                    Section::Content => view! { <ContentSection resource rollout/> }.into_any(),
                    Section::History => view! { <ResourceHistory resource_id=resource.id/> }.into_any(),
                    Section::Reports => view! { <ReportsSection resource_id=resource.id/> }.into_any(),
                }}
            </div>
        </div>
    }
}

/// The resource's details, and a plain form (no island: it works alike with JavaScript on or
/// off) for its name, description and secondary hostnames. After a save the redirect says how
/// it went, in its query (`?saved=1`) or as the refused save's error, with what was entered.
#[component]
fn GeneralSection(resource: CdnResource) -> impl IntoView {
    let save = ServerAction::<SaveGeneralSettings>::new();
    let error = action_error(save);
    let saved = use_query_map().with_untracked(|query| query.get("saved").is_some()) && error.get_untracked().is_none();
    // A refused form shows what was entered; otherwise what is stored.
    let shown = |field: &str, stored: String| entered_value(error, field).unwrap_or(stored);
    let name = shown("name", resource.name.as_ref().map(ToString::to_string).unwrap_or_default());
    let description = shown("description", resource.description.as_ref().map(ToString::to_string).unwrap_or_default());
    let hostnames = shown("secondary_hostnames", resource.secondary_hostnames.join("\n"));
    let listed_hostnames = if resource.secondary_hostnames.is_empty() {
        "None".to_owned()
    } else {
        resource.secondary_hostnames.join(", ")
    };
    view! {
        <section aria-labelledby="general-heading">
            <h2 id="general-heading">"General"</h2>
            <dl class="details">
                <dt>"Name"</dt>
                <dd>{resource.name.as_ref().map_or_else(|| "None".to_owned(), ToString::to_string)}</dd>
                <dt>"Custom domain"</dt>
                <dd>{resource.custom_domain.to_string()}</dd>
                <dt>"Secondary hostnames"</dt>
                <dd>{listed_hostnames}</dd>
                <dt>"Origin group"</dt>
                <dd>
                    <a href=origin_group_path(resource.origin_group.id)>{resource.origin_group.name.to_string()}</a>
                    // A group of one is named after its origin (unless renamed): no need to say it twice.
                    {(resource.origin_group.name.as_str() != resource.origin.to_string()).then(|| view! {
                        <span class="hint">" (first origin " <span class="mono">{resource.origin.to_string()}</span> ")"</span>
                    })}
                </dd>
                <dt>"Integration"</dt>
                <dd>{resource.integration.label()}</dd>
                <dt>"Status"</dt>
                <dd>
                    {if resource.active { "Active" } else { "Inactive: the CDN does not serve this domain" }}
                </dd>
                <dt>"HTTPS"</dt>
                <dd><OnOff enabled=resource.ssl_enabled/></dd>
                <dt>"Origin protocol"</dt>
                <dd>{resource.origin_protocol.as_str()}</dd>
                <dt>"Trusted CA for the origin"</dt>
                <dd>
                    {match resource.proxy_ssl_ca {
                        Some(id) => view! { <a href=CertificateKind::TrustedCa.path(id)>{format!("Trusted CA certificate {id}")}</a> }.into_any(),
                        None => "Public roots only".into_any(),
                    }}
                </dd>
                <dt>"WebSockets"</dt>
                <dd>
                    <OnOff enabled=resource.options_in_force.websockets/>
                    {OptionName::Websockets.default_note(resource.options.get(OptionName::Websockets)).map(|note| {
                        view! { <span class="hint">" (" {note} ")"</span> }
                    })}
                </dd>
                <dt>"Created"</dt>
                <dd><When at=resource.created_at/></dd>
                <dt>"Last changed"</dt>
                <dd><When at=resource.updated_at/></dd>
            </dl>
            <ActionForm action=save attr:class="panel" attr:aria-labelledby="general-form-heading">
                <h3 id="general-form-heading">"Name, description and hostnames"</h3>
                <input type="hidden" name="resource_id" value=resource.id/>
                <input type="hidden" name="version" value=resource.version/>
                <OptionalField
                    label="Name"
                    name="name"
                    hint=format!("Optional: what you call this resource, up to {MAX_RESOURCE_NAME_CHARS} characters.")
                    value=name
                    error=field_error(error, "name")
                    multiline=false
                />
                <OptionalField
                    label="Description"
                    name="description"
                    hint=format!("Optional: a note for your team, up to {MAX_RESOURCE_DESCRIPTION_CHARS} characters on one line.")
                    value=description
                    error=field_error(error, "description")
                    multiline=false
                />
                <OptionalField
                    label="Secondary hostnames"
                    name="secondary_hostnames"
                    hint=format!(
                        "Optional: up to {MAX_SECONDARY_HOSTNAMES} more domains this resource serves, one per line, such as www.example.com. Point each at the CDN with a CNAME record, as the custom domain; the origin is still told the custom domain."
                    )
                    value=hostnames
                    error=field_error(error, "secondary_hostnames")
                    multiline=true
                />
                <div class="form-actions">
                    <button type="submit" class="primary">"Save general settings"</button>
                    <p class="save-status" role="status">{saved.then_some("Changes saved")}</p>
                </div>
                <FormAlert error/>
            </ActionForm>
            <OriginGroupForm resource_id=resource.id version=resource.version current=resource.origin_group.id/>
            <HttpsForm resource=resource.clone()/>
        </section>
    }
}

/// A plain form that switches the resource to another of the account's origin groups.
#[component]
fn OriginGroupForm(resource_id: i64, version: i64, current: i64) -> impl IntoView {
    let save = ServerAction::<SaveResourceOriginGroup>::new();
    let error = action_error(save);
    let groups = Resource::new(|| (), |()| list_origin_groups());
    let chosen = entered_value(error, "origin_group").unwrap_or_else(|| current.to_string());
    view! {
        <ActionForm action=save attr:class="panel" attr:aria-labelledby="origin-group-form-heading">
            <h3 id="origin-group-form-heading">"Origin group"</h3>
            <input type="hidden" name="resource_id" value=resource_id/>
            <input type="hidden" name="version" value=version/>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let chosen = chosen.clone();
                    Suspend::new(async move {
                        match groups.await {
                            Ok(groups) => view! { <GroupSelect groups chosen error=field_error(error, "origin_group")/> }.into_any(),
                            Err(error) => view! { <ErrorPanel error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <div class="form-actions">
                <button type="submit" class="primary">"Save origin group"</button>
            </div>
            <FormAlert error/>
        </ActionForm>
    }
}

/// A plain form for how the resource is served over HTTPS: on or off (Gcore's `sslEnabled`),
/// with which of the account's certificates (`sslData`), the scheme the edge speaks to the
/// origin (`originProtocol`), and the CA it trusts beside the public roots to verify an HTTPS
/// origin (`proxy_ssl_ca`). The certificate in use is marked when it ends within 30 days.
#[component]
fn HttpsForm(resource: CdnResource) -> impl IntoView {
    let save = ServerAction::<SaveHttpsSettings>::new();
    let error = action_error(save);
    let certificates = Resource::new(|| (), |()| list_certificates(CertificateKind::Ssl));
    let trusted_cas = Resource::new(|| (), |()| list_certificates(CertificateKind::TrustedCa));
    let refused =
        error.with_untracked(|error| error.as_ref().is_some_and(|error| error.entered("origin_protocol").is_some()));
    let enabled = if refused {
        entered_value(error, "ssl_enabled").is_some_and(|value| value == "on")
    } else {
        resource.ssl_enabled
    };
    let stored_id = |id: Option<i64>| id.map(|id| id.to_string()).unwrap_or_default();
    let (chosen, chosen_ca) = if refused {
        (entered_value(error, "ssl_data").unwrap_or_default(), entered_value(error, "proxy_ssl_ca").unwrap_or_default())
    } else {
        (stored_id(resource.ssl_data), stored_id(resource.proxy_ssl_ca))
    };
    let protocol =
        entered_value(error, "origin_protocol").unwrap_or_else(|| resource.origin_protocol.as_str().to_owned());
    let protocols = [
        (OriginProtocol::Http, "HTTP"),
        (OriginProtocol::Https, "HTTPS"),
        (OriginProtocol::Match, "Match the visitor (HTTP or HTTPS)"),
    ]
    .map(|(value, label)| (value.as_str().to_owned(), label.to_owned()))
    .to_vec();
    let in_use = resource.ssl_data;
    view! {
        <ActionForm action=save attr:class="panel" attr:aria-labelledby="https-form-heading">
            <h3 id="https-form-heading">"HTTPS"</h3>
            <input type="hidden" name="resource_id" value=resource.id/>
            <input type="hidden" name="version" value=resource.version/>
            <p class="hint" id="ssl_enabled-hint">
                "Visitors reach the custom domain and secondary hostnames over https:// and wss://, with the certificate chosen below; it must cover each of them."
            </p>
            <div class="choice">
                <input type="checkbox" id="ssl_enabled" name="ssl_enabled" checked=enabled aria-describedby="ssl_enabled-hint"/>
                <label for="ssl_enabled">"Serve over HTTPS"</label>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let chosen = chosen.clone();
                    Suspend::new(async move {
                        match certificates.await {
                            Ok(certificates) => {
                                let warning = certificates
                                    .iter()
                                    .find(|certificate| Some(certificate.id) == in_use)
                                    .and_then(|certificate| certificate.expiry.warning().map(|warning| (certificate.id, certificate.name.clone(), warning)));
                                let choices = std::iter::once((String::new(), "No certificate".to_owned()))
                                    .chain(certificates.into_iter().map(|certificate| {
                                        let label = format!("{} ({})", certificate.name, certificate.subject_alt.join(", "));
                                        (certificate.id.to_string(), label)
                                    }))
                                    .collect();
                                view! {
                                    {warning.map(|(id, name, warning)| view! {
                                        <p class="warning" role="note">
                                            "The certificate in use, " <a href=certificate_path(id)>{name}</a> ": " {warning} ". Replace it under CDN → SSL certificates."
                                        </p>
                                    })}
                                    <SelectField label="Certificate" name="ssl_data" choices chosen error=field_error(error, "ssl_data")>
                                        "One of your certificates, added under " <a href=CERTIFICATES_PATH>"CDN → SSL certificates"</a> "."
                                    </SelectField>
                                }.into_any()
                            }
                            Err(error) => view! { <ErrorPanel error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <SelectField label="Origin protocol" name="origin_protocol" choices=protocols chosen=protocol error=field_error(error, "origin_protocol")>
                "How the CDN reaches your origin: HTTPS verifies the origin's certificate; Match uses the visitor's scheme."
            </SelectField>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let chosen = chosen_ca.clone();
                    Suspend::new(async move {
                        match trusted_cas.await {
                            Ok(cas) => {
                                let choices = std::iter::once((String::new(), "Public roots only".to_owned()))
                                    .chain(cas.into_iter().map(|ca| (ca.id.to_string(), ca.name)))
                                    .collect();
                                view! {
                                    <SelectField label="Trusted CA for the origin" name="proxy_ssl_ca" choices chosen error=field_error(error, "proxy_ssl_ca")>
                                        "Over HTTPS the origin's certificate is always verified: against the public roots, and against this CA too for a private origin. Added under "
                                        <a href=TRUSTED_CAS_PATH>"CDN → Trusted CA certificates"</a> "."
                                    </SelectField>
                                }.into_any()
                            }
                            Err(error) => view! { <ErrorPanel error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <div class="form-actions">
                <button type="submit" class="primary">"Save HTTPS settings"</button>
            </div>
            <FormAlert error/>
        </ActionForm>
    }
}

/// A labelled text input (or text area) that may be left empty, with its hint and error tied
/// to it for screen readers.
#[component]
fn OptionalField(
    label: &'static str,
    name: &'static str,
    hint: String,
    value: String,
    error: Signal<Option<String>>,
    multiline: bool,
) -> impl IntoView {
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || if error.with(Option::is_some) { format!("{hint_id} {error_id}") } else { hint_id.clone() }
    };
    let invalid = move || error.with(Option::is_some).then_some("true");
    let input = if multiline {
        view! {
            <textarea id=name name=name rows="4" autocomplete="off" aria-invalid=invalid aria-describedby=described_by>
                {value}
            </textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=name
                name=name
                type="text"
                autocomplete="off"
                value=value
                aria-invalid=invalid
                aria-describedby=described_by
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <p class="hint" id=hint_id>{hint}</p>
            {input}
            {move || error.get().map(|message| view! { <p class="field-error" id=error_id.clone()>{message}</p> })}
        </div>
    }
}

/// Drawn on the server, which alone knows the address: after a save without JavaScript the
/// redirect says how it went, in its query (`?saved=1`) or as the refused save's error.
#[component]
fn ContentSection(resource: CdnResource, rollout: Option<Rollout>) -> impl IntoView {
    let saved_by_redirect = use_query_map().with_untracked(|query| query.get("saved").is_some());
    let refused_by_redirect = action_error(ServerAction::<SaveContentSettings>::new()).get_untracked();
    view! { <ContentForm resource rollout saved_by_redirect refused_by_redirect/> }
}

/// One of the two parts of the portal that run in the browser (islands; the other is the Reports
/// section's open connections, and everything else is plain HTML from the server): the switch says when it differs from what is stored, and a save
/// happens in place and names the version it was made from.
#[island]
fn ContentForm(
    resource: CdnResource,
    rollout: Option<Rollout>,
    saved_by_redirect: bool,
    refused_by_redirect: Option<AppError>,
) -> impl IntoView {
    let save = ServerAction::<SaveContentSettings>::new();
    if let Some(refused) = refused_by_redirect
        && save.value().with_untracked(Option::is_none)
    {
        save.value().set(Some(Err(refused)));
    }
    let error = action_error(save);
    let id = resource.id;
    // What the server holds: as loaded, then as each save returned it, or as a save refused for
    // an outdated form reported it; whichever is newest. The form's next save names its version.
    let stored = Memo::new(move |known: Option<&CdnResource>| {
        let known = known.cloned().unwrap_or_else(|| resource.clone());
        let reported = save.value().with(|outcome| match outcome {
            Some(Ok(saved)) => Some(saved.clone()),
            Some(Err(error)) => error.current_resource().cloned(),
            None => None,
        });
        match reported {
            Some(reported) if reported.version >= known.version => reported,
            _ => known,
        }
    });
    // The switch shows the value in force; saving it changed writes it as the customer's setting.
    let loaded = stored.with_untracked(|stored| stored.options_in_force.websockets);
    // After a refused save the switch keeps the customer's choice, so saving again re-applies it.
    let draft = RwSignal::new(loaded);
    let unsaved = move || draft.get() != stored.with(|stored| stored.options_in_force.websockets);
    let source = move || {
        stored.with(|stored| match OptionName::Websockets.default_note(stored.options.get(OptionName::Websockets)) {
            Some(note) => format!("In effect: {} ({note}).", on_off(stored.options_in_force.websockets)),
            None => format!("In effect: {}, set for this resource.", on_off(stored.options_in_force.websockets)),
        })
    };
    let just_saved = move || match save.value().with(|outcome| outcome.as_ref().map(Result::is_ok)) {
        Some(succeeded) => succeeded,
        None => saved_by_redirect,
    };
    let status = move || {
        if unsaved() {
            "Unsaved changes"
        } else if just_saved() {
            "Changes saved"
        } else {
            ""
        }
    };
    // Marks the section once its event handlers are attached, for styling and for tests.
    let interactive = RwSignal::new(false);
    Effect::new(move |_| interactive.set(true));

    view! {
        <section aria-labelledby="content-heading" data-interactive=move || interactive.get().to_string()>
            <h2 id="content-heading">"Content"</h2>
            <ActionForm action=save>
                <input type="hidden" name="resource_id" value=id/>
                <input type="hidden" name="version" value=move || stored.with(|stored| stored.version)/>
                <div class="option">
                    <div class="option-text">
                        <label for="websockets" class="option-name">"Websockets"</label>
                        <div class="hint" id="websockets-description">
                            <p>
                                "WebSockets keep a connection open between a visitor's browser and your "
                                "origin, so both sides can send messages at any moment: chat, live "
                                "dashboards, notifications, multiplayer games. While this is on, the CDN "
                                "passes WebSocket upgrade requests through to your origin and keeps those "
                                "connections open; while it is off, it refuses them."
                            </p>
                            <p>
                                "A saved change reaches the CDN edges within a second. Turning WebSockets off "
                                "refuses new connections; connections already open stay open until they close."
                            </p>
                            <p>
                                "Turn it on if your site uses WebSockets. By default it is on for resources "
                                "that serve an entire website and off for resources that serve static assets only."
                            </p>
                        </div>
                        <p class="hint" id="websockets-source">{source}</p>
                        {move || field_error(error, "websockets").get().map(|message| view! {
                            <p class="field-error">{message}</p>
                        })}
                    </div>
                    <input
                        type="checkbox"
                        role="switch"
                        id="websockets"
                        name="websockets"
                        value="on"
                        // Browsers restore form state on reload; the page must show what is stored.
                        autocomplete="off"
                        checked=loaded
                        aria-describedby="websockets-description websockets-source"
                        on:change=move |event| draft.set(event_target_checked(&event))
                    />
                </div>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || save.pending().get()>
                        "Save changes"
                    </button>
                    <p class="save-status" role="status">{status}</p>
                </div>
                <FormAlert error/>
                {move || error.with(|error| error.as_ref().and_then(AppError::current_resource).map(|current| view! {
                    <p class="hint">
                        "Saved elsewhere: WebSockets is now " {on_off(current.options_in_force.websockets)} "."
                    </p>
                }))}
            </ActionForm>
            {rollout.map(|initial| view! {
                <EdgeRollout
                    resource_id=id
                    version=Signal::derive(move || stored.with(|stored| stored.version))
                    initial
                />
            })}
        </section>
    }
}

/// Whether the saved settings are in effect on the CDN edges yet: as loaded with the page, then
/// (in the browser) asked again after each save and every half second while some edge has not
/// caught up, for a while. Only the text changes, never the page's structure.
#[component]
fn EdgeRollout(resource_id: i64, version: Signal<i64>, initial: Rollout) -> impl IntoView {
    let latest = RwSignal::new(initial);
    let checks = StoredValue::new(0_u32);
    Effect::new(move |previous: Option<i64>| {
        let current = version.get();
        let saved_since = previous.is_some_and(|previous| previous != current);
        if saved_since {
            // No edge has confirmed the new save yet; "Live" would speak of the one before.
            latest.update(|rollout| rollout.applied = 0);
        }
        if saved_since || (previous.is_none() && initial.is_pending()) {
            checks.set_value(0);
            check_rollout(resource_id, latest, checks);
        }
        current
    });
    view! {
        <p class="rollout" data-live=move || latest.get().is_live().to_string()>
            {move || latest.get().describe()}
        </p>
    }
}

fn check_rollout(resource_id: i64, latest: RwSignal<Rollout>, checks: StoredValue<u32>) {
    const CHECKS_WHILE_PENDING: u32 = 40;
    leptos::task::spawn_local(async move {
        let Ok(rollout) = resource_rollout(resource_id).await else { return };
        // `try_`: the customer may have left the page meanwhile.
        if latest.try_set(rollout).is_some() || !rollout.is_pending() {
            return;
        }
        if checks.try_update_value(|n| {
            *n += 1;
            *n <= CHECKS_WHILE_PENDING
        }) == Some(true)
        {
            set_timeout(move || check_rollout(resource_id, latest, checks), std::time::Duration::from_millis(500));
        }
    });
}

#[component]
fn ResourceHistory(resource_id: i64) -> impl IntoView {
    let entries = Resource::new(
        move || resource_id,
        |id| async move { Ok(resource_history(id).await?.into_iter().map(history_entry).collect()) },
    );
    view! { <HistorySection hint="Every change to this resource, newest first." entries/> }
}

/// A change to the resource as a line of its history table.
fn history_entry(change: ResourceChange) -> HistoryEntry {
    HistoryEntry {
        changed_at: change.changed_at,
        description: change.change.describe(),
        changed_by: change.changed_by,
        source: change.source,
        api_token_name: change.api_token_name,
        client_address: change.client_address,
        version: change.version,
    }
}
