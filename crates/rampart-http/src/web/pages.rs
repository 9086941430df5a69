//! One handler per page and form. Pages check the role table before showing
//! anything; forms go through the same service calls as the JSON API, so a
//! refusal there is a refusal here.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

use rampart_domain::{
    Action, ActionUpdate, Actor, AssessmentInput, CategorizationRule, Correlation, CustodyTransfer,
    DomainError, Event, EventNumber, EventReport, EventStatus, EvidenceItem, EvidenceNumber,
    FieldError, IncidentConfirmation, IncidentNumber, IncidentPatch, IncidentStatus, Lifecycle,
    NewAction, NewLogEntry, ReviewInput, Role, RuleSet, Text, TransitionRequest,
    VulnerabilityReport,
};
use rampart_store::{
    EventQuery, IncidentQuery, IncidentSort, SessionStage, StoreError, VulnerabilityQuery,
};

use super::session::{
    AnySession, COOKIE, FormData, LOGIN_COOKIE, LoginPost, Person, Posted, PostedAny, PublicPost,
    cookie, same_origin, see_other, set_cookie,
};
use super::view::*;
use super::{WebError, form_errors};
use crate::AppState;
use crate::api::evidence::{bundle_response, download_response, drain, receive_upload};
use crate::auth;
use crate::error::ApiError;
use crate::people::SignIn;

type Page = Result<Response, WebError>;

fn invalid(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

fn with_cookie(state: &AppState, id: &str, to: &str) -> Response {
    let age = state.service.settings.absolute_timeout.as_secs();
    let mut response = see_other(to);
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(state, COOKIE, id, Some(age)));
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, "", Some(0)),
    );
    response
}

/// Only local paths are followed after sign-in (no open redirect): a single
/// leading `/`, and nothing a browser would drop or reinterpret (whitespace,
/// control characters, backslashes).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 512
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_owned()
        }
        _ => "/dashboard".into(),
    }
}

/// The query string as form fields; a hostile one is refused by name.
fn query_form(q: &Option<String>) -> Result<FormData, WebError> {
    FormData::parse(q.as_deref().unwrap_or("").as_bytes()).map_err(|e| WebError::Invalid(vec![e]))
}

// ----- sign-in ----------------------------------------------------------------------------

fn login_response(
    state: &AppState,
    next: String,
    name: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let token = auth::new_secret();
    let page = LoginPage {
        chrome: Chrome::anonymous("Sign in", &token),
        next,
        name,
        error,
        public_intake: state.web.public_intake,
    };
    let mut response = (status, page).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, &token, Some(3600)),
    );
    response
}

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Page {
    let next = safe_next(query_form(&q)?.get("next"));
    if let Some(id) = cookie(&headers, COOKIE)
        && let Some((s, _)) = state.service.session(id).await?
        && s.stage == SessionStage::Active
    {
        return Ok(see_other(&next));
    }
    Ok(login_response(
        &state,
        next,
        String::new(),
        None,
        StatusCode::OK,
    ))
}

pub async fn login_submit(State(state): State<AppState>, post: LoginPost) -> Page {
    let f = &post.form;
    let next = safe_next(f.get("next"));
    let name = f.v("name").to_owned();
    let outcome = state
        .service
        .sign_in(
            &name,
            f.0.iter()
                .find(|(k, _)| k == "password")
                .map(|(_, v)| v.as_str())
                .unwrap_or(""),
            &post.address,
            post.old_session.as_deref(),
        )
        .await?;
    Ok(match outcome {
        SignIn::Session { id, session } => {
            let to = match session.stage {
                SessionStage::Active => next,
                SessionStage::AwaitingTotp => "/login/totp".into(),
                SessionStage::MustEnrolTotp => "/account/totp".into(),
            };
            with_cookie(&state, &id, &to)
        }
        SignIn::Refused(r) => login_response(
            &state,
            next,
            name,
            Some(r.message().into()),
            StatusCode::UNAUTHORIZED,
        ),
    })
}

pub async fn totp_page(s: AnySession) -> Page {
    if s.session.stage != SessionStage::AwaitingTotp {
        return Ok(see_other("/dashboard"));
    }
    Ok(TotpPage {
        chrome: Chrome::anonymous("Second factor", &s.session.csrf),
        error: None,
    }
    .into_response())
}

pub async fn totp_submit(State(state): State<AppState>, post: PostedAny) -> Page {
    let s = &post.session;
    match state
        .service
        .sign_in_totp(&s.session, post.form.v("code"), &s.address)
        .await?
    {
        SignIn::Session { id, .. } => Ok(with_cookie(&state, &id, "/dashboard")),
        SignIn::Refused(r) => Ok((
            StatusCode::UNAUTHORIZED,
            TotpPage {
                chrome: Chrome::anonymous("Second factor", &s.session.csrf),
                error: Some(r.message().into()),
            },
        )
            .into_response()),
    }
}

pub async fn logout(State(state): State<AppState>, post: PostedAny) -> Page {
    state.service.sign_out(&post.session.session).await?;
    let mut response = see_other("/login");
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, COOKIE, "", Some(0)));
    Ok(response)
}

// ----- account ----------------------------------------------------------------------------

async fn account_view(
    state: &AppState,
    person: &Person,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<AccountPage, WebError> {
    Ok(AccountPage {
        chrome: Chrome::new(person, "Your account", "/account"),
        credentials: state.service.credentials(&person.actor.name).await?,
        errors,
        notice,
    })
}

pub async fn account_page(State(state): State<AppState>, person: Person) -> Page {
    Ok(account_view(&state, &person, vec![], None)
        .await?
        .into_response())
}

pub async fn password_submit(State(state): State<AppState>, post: Posted) -> Page {
    let p = &post.person;
    let raw = |name: &str| {
        post.form
            .0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    match state
        .service
        .change_password(
            &p.session,
            &raw("current_password"),
            &raw("new_password"),
            &p.address,
        )
        .await
    {
        Ok(SignIn::Session { id, .. }) => Ok(with_cookie(&state, &id, "/account")),
        Ok(SignIn::Refused(r)) => Err(WebError::Forbidden(r.message().into())),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(account_view(&state, p, errors, None).await?))
        }
    }
}

async fn totp_setup_view(
    state: &AppState,
    s: &AnySession,
    secret: String,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let (uri, qr) = auth::totp_enrolment(&secret, &s.actor.name).ok_or(WebError::Internal)?;
    let must = s.session.stage == SessionStage::MustEnrolTotp;
    let mut chrome = Chrome::anonymous("Second factor", &s.session.csrf);
    if !must {
        chrome.user = s.actor.name.clone();
        chrome.roles = s
            .actor
            .roles
            .iter()
            .map(|r| role_label(*r))
            .collect::<Vec<_>>()
            .join(", ");
        chrome.nav = vec![("/dashboard", "Dashboard", false)];
    }
    let page = TotpSetupPage {
        chrome,
        secret,
        uri,
        qr,
        must,
        errors,
    };
    let _ = state;
    Ok(page.into_response())
}

/// Whether the user already has a second factor; replacing it takes an admin's reset.
async fn already_enrolled(state: &AppState, s: &AnySession) -> Result<bool, WebError> {
    Ok(s.session.stage == SessionStage::Active
        && state
            .service
            .credentials(&s.actor.name)
            .await?
            .totp_secret
            .is_some())
}

pub async fn totp_setup_page(State(state): State<AppState>, s: AnySession) -> Page {
    if s.session.stage == SessionStage::AwaitingTotp {
        return Ok(see_other("/login/totp"));
    }
    if already_enrolled(&state, &s).await? {
        return Ok(see_other("/account"));
    }
    let secret = state.service.begin_totp(&s.session).await?;
    totp_setup_view(&state, &s, secret, vec![]).await
}

pub async fn totp_setup_submit(State(state): State<AppState>, post: PostedAny) -> Page {
    let s = &post.session;
    if s.session.stage == SessionStage::AwaitingTotp {
        return Ok(see_other("/login/totp"));
    }
    if already_enrolled(&state, s).await? {
        return Err(WebError::Forbidden(
            "A second factor is already set up. An administrator must reset it before a new one can be enrolled.".into(),
        ));
    }
    match state
        .service
        .confirm_totp(&s.session, post.form.v("code"), &s.address)
        .await
    {
        Ok(Some(SignIn::Session { id, .. })) => Ok(with_cookie(&state, &id, "/account")),
        Ok(_) => Ok(see_other("/account")),
        Err(e) => {
            let errors = form_errors(e)?;
            let secret = s.session.pending_totp.clone().unwrap_or_default();
            if secret.is_empty() {
                return Ok(see_other("/account/totp"));
            }
            Ok(invalid(totp_setup_view(&state, s, secret, errors).await?))
        }
    }
}

// ----- dashboard -------------------------------------------------------------------------

pub async fn dashboard(State(state): State<AppState>, person: Person) -> Page {
    let actor = &person.actor;
    let now = state.service.clock().now();
    let counts = state.service.counts(actor).await?;
    let mut by_class: Vec<Tally> = Vec::new();
    let mut by_status: Vec<Tally> = Vec::new();
    let mut open_total = 0;
    for (status, class, n) in &counts.incidents {
        let open = IncidentStatus::parse(status).is_ok_and(IncidentStatus::is_open);
        if !open {
            continue;
        }
        open_total += n;
        match by_class.iter_mut().find(|t| &t.key == class) {
            Some(t) => t.count += n,
            None => by_class.push(Tally {
                key: class.clone(),
                count: *n,
            }),
        }
        match by_status.iter_mut().find(|t| &t.key == status) {
            Some(t) => t.count += n,
            None => by_status.push(Tally {
                key: status.clone(),
                count: *n,
            }),
        }
    }
    by_class.sort_by(|a, b| b.key.len().cmp(&a.key.len()).then(b.key.cmp(&a.key)));
    let order = |s: &str| {
        IncidentStatus::ALL
            .iter()
            .position(|x| x.as_str() == s)
            .unwrap_or(99)
    };
    by_status.sort_by_key(|t| order(&t.key));
    let awaiting_triage = counts
        .events
        .iter()
        .filter(|(s, _)| s == "reported" || s == "triage")
        .map(|(_, n)| n)
        .sum();
    let mut overdue = Vec::new();
    let mut mine = Vec::new();
    if person.may(Action::ViewIncidents) {
        let page = state
            .service
            .list_incidents(
                actor,
                IncidentQuery {
                    limit: 500,
                    ..IncidentQuery::default()
                },
            )
            .await?;
        for i in page.items.into_iter().filter(|i| i.status.is_open()) {
            for a in &i.actions {
                if a.overdue_at(&now) {
                    overdue.push((i.number.to_string(), a.clone()));
                }
            }
            if i.coordinator == actor.name {
                mine.push(i);
            }
        }
    }
    let my_reports = if person.may(Action::ReportEvent) {
        state
            .service
            .list_events(
                actor,
                EventQuery {
                    submitted_by: Some(actor.name.clone()),
                    limit: 10,
                    ..EventQuery::default()
                },
            )
            .await?
            .items
    } else {
        vec![]
    };
    Ok(DashboardPage {
        chrome: Chrome::new(&person, "Dashboard", "/dashboard"),
        may_incidents: person.may(Action::ViewIncidents),
        may_events: person.may(Action::ViewEvents),
        may_triage: person.may(Action::TriageEvent),
        may_report: person.may(Action::ReportEvent),
        open_total,
        by_class,
        by_status,
        awaiting_triage,
        overdue,
        mine,
        my_reports,
    }
    .into_response())
}

// ----- reporting -------------------------------------------------------------------------

const REPORT_BOOLEANS: &[&str] = &["anonymous", "is_over"];
const REPORT_LINES: &[&str] = &["assets"];

pub async fn report_page(person: Person) -> Page {
    person.require(Action::ReportEvent)?;
    Ok(ReportPage {
        chrome: Chrome::new(&person, "Report a security event", "/report"),
        public: false,
        values: FormData::default(),
        errors: vec![],
    }
    .into_response())
}

pub async fn report_submit(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ReportEvent)?;
    handle_form(
        &post.form,
        REPORT_BOOLEANS,
        REPORT_LINES,
        async |report: EventReport| state.service.report_event(&person.actor, report).await,
        |event| format!("/report/{}", event.number),
        async |errors| {
            Ok(ReportPage {
                chrome: Chrome::new(person, "Report a security event", "/report"),
                public: false,
                values: post.form.clone(),
                errors,
            })
        },
    )
    .await
}

pub async fn report_done(
    State(state): State<AppState>,
    person: Person,
    Path(n): Path<String>,
) -> Page {
    let number: EventNumber = n
        .parse()
        .map_err(|_| WebError::NotFound(format!("`{n}` is not an event number")))?;
    let event = state.service.get_event(&person.actor, number).await?;
    Ok(ReportDonePage {
        chrome: Chrome::new(&person, "Report received", "/report"),
        number: event.number.to_string(),
        anonymous: event.anonymous,
        public: false,
    }
    .into_response())
}

fn public_page(
    state: &AppState,
    values: FormData,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Response {
    let token = auth::new_secret();
    let mut response = (
        status,
        ReportPage {
            chrome: Chrome::anonymous("Report a security event", &token),
            public: true,
            values,
            errors,
        },
    )
        .into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, &token, Some(3600)),
    );
    response
}

pub async fn public_report_page(State(state): State<AppState>) -> Page {
    if !state.web.public_intake {
        return Err(WebError::NotFound(
            "The public intake page is turned off.".into(),
        ));
    }
    Ok(public_page(
        &state,
        FormData::default(),
        vec![],
        StatusCode::OK,
    ))
}

pub async fn public_report_submit(State(state): State<AppState>, post: PublicPost) -> Page {
    if !state.web.public_intake {
        return Err(WebError::NotFound(
            "The public intake page is turned off.".into(),
        ));
    }
    let mut report: EventReport = match post.form.decode(REPORT_BOOLEANS, REPORT_LINES) {
        Ok(r) => r,
        Err(errors) => {
            return Ok(public_page(
                &state,
                post.form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    if !state.service.allow_public_report(&post.address).await? {
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            error_page(
                429,
                "Too many reports",
                "This address has sent the most reports accepted in an hour. Please try again later, or contact the security team directly.",
            ),
        )
            .into_response());
    }
    report.anonymous = false;
    let public = Actor::new("public", vec![Role::Reporter]);
    match state.service.report_event(&public, report).await {
        Ok(event) => Ok(ReportDonePage {
            chrome: Chrome::anonymous("Report received", ""),
            number: event.number.to_string(),
            anonymous: false,
            public: true,
        }
        .into_response()),
        Err(e) => Ok(public_page(
            &state,
            post.form,
            form_errors(e)?,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}

// ----- triage and events ---------------------------------------------------------------

/// The related records of an event as this viewer may follow them. An
/// incident appears only to those who may open it (need-to-know hides a
/// restricted one); another event opens for those who may read events.
/// `readable` remembers each incident's answer across the rows of a page.
async fn related_links(
    state: &AppState,
    person: &Person,
    related: &[Correlation],
    readable: &mut HashMap<IncidentNumber, bool>,
) -> Result<Vec<RelatedLink>, WebError> {
    let mut links = Vec::with_capacity(related.len());
    for c in related {
        let href = if let Ok(n) = c.number.parse::<IncidentNumber>() {
            let visible = match readable.get(&n) {
                Some(v) => *v,
                None => {
                    let v = person.may(Action::ViewIncidents)
                        && match state.service.get_incident(&person.actor, n).await {
                            Ok(_) => true,
                            Err(StoreError::Domain(
                                DomainError::NotFound(_) | DomainError::Forbidden { .. },
                            )) => false,
                            Err(e) => return Err(e.into()),
                        };
                    readable.insert(n, v);
                    v
                }
            };
            if !visible {
                continue;
            }
            Some(format!("/incidents/{n}"))
        } else if person.may(Action::ViewEvents) {
            Some(format!("/events/{}", c.number))
        } else {
            None
        };
        links.push(RelatedLink {
            number: c.number.clone(),
            href,
            shared: c.shared.clone(),
        });
    }
    Ok(links)
}

pub async fn triage_page(State(state): State<AppState>, person: Person) -> Page {
    person.require(Action::TriageEvent)?;
    let list = |status| EventQuery {
        status: Some(status),
        limit: 200,
        ..EventQuery::default()
    };
    let mut queue: Vec<Event> = Vec::new();
    for status in [EventStatus::Reported, EventStatus::Triage] {
        queue.extend(
            state
                .service
                .list_events(&person.actor, list(status))
                .await?
                .items,
        );
    }
    queue.sort_by(|a, b| {
        b.reported_at
            .cmp(&a.reported_at)
            .then(b.number.cmp(&a.number))
    });
    let escalated = state
        .service
        .list_events(&person.actor, list(EventStatus::Escalated))
        .await?
        .items;
    let mut readable = HashMap::new();
    let mut rows = Vec::with_capacity(queue.len());
    for event in queue {
        let mut related = related_links(&state, &person, &event.related, &mut readable).await?;
        let more_related = related.len().saturating_sub(RELATED_IN_QUEUE);
        related.truncate(RELATED_IN_QUEUE);
        rows.push(TriageRow {
            event,
            related,
            more_related,
        });
    }
    let rules = state.service.get_rules(&person.actor).await?;
    Ok(TriagePage {
        chrome: Chrome::new(&person, "Triage", "/triage").live("triage"),
        rows,
        escalated,
        rules: rules.rules.iter().map(RuleRow::of).collect(),
        rules_version: rules.version,
        rules_editable: false,
    }
    .into_response())
}

fn event_number(n: &str) -> Result<EventNumber, WebError> {
    n.parse()
        .map_err(|_| WebError::NotFound(format!("`{n}` is not an event number")))
}

fn incident_number(n: &str) -> Result<IncidentNumber, WebError> {
    n.parse()
        .map_err(|_| WebError::NotFound(format!("`{n}` is not an incident number")))
}

async fn event_view(
    state: &AppState,
    person: &Person,
    number: EventNumber,
    values: FormData,
    errors: Vec<FieldError>,
) -> Result<EventPage, WebError> {
    let event = state.service.get_event(&person.actor, number).await?;
    let may_confirm = person.may(Action::ConfirmIncident);
    let coordinators = if may_confirm {
        state
            .service
            .people_with(&person.actor, &[Role::IsirtMember, Role::IsirtManager])
            .await?
    } else {
        vec![]
    };
    let may_see_incident = match event.incident {
        Some(n) if person.may(Action::ViewIncidents) => {
            state.service.get_incident(&person.actor, n).await.is_ok()
        }
        _ => false,
    };
    let related = related_links(state, person, &event.related, &mut HashMap::new()).await?;
    Ok(EventPage {
        chrome: Chrome::new(person, event.number.to_string(), "/triage"),
        may_triage: person.may(Action::TriageEvent),
        may_assess: person.may(Action::AssessEvent),
        may_reject: person.may(Action::RejectEvent),
        may_confirm,
        may_see_incident,
        coordinators,
        related,
        event,
        values,
        errors,
    })
}

pub async fn event_page(
    State(state): State<AppState>,
    person: Person,
    Path(n): Path<String>,
) -> Page {
    let number = event_number(&n)?;
    Ok(
        event_view(&state, &person, number, FormData::default(), vec![])
            .await?
            .into_response(),
    )
}

/// The shape of every record form: decode the form into the domain input,
/// call the service, then go to the page `then` names, or show `page` again
/// (422) with the refused fields named.
async fn handle_form<T, R, P>(
    form: &FormData,
    booleans: &[&str],
    lines: &[&str],
    call: impl AsyncFnOnce(T) -> Result<R, rampart_store::StoreError>,
    then: impl FnOnce(R) -> String,
    page: impl AsyncFnOnce(Vec<FieldError>) -> Result<P, WebError>,
) -> Page
where
    T: serde::de::DeserializeOwned,
    P: IntoResponse,
{
    let errors = match form.decode::<T>(booleans, lines) {
        Ok(input) => match call(input).await {
            Ok(done) => return Ok(see_other(&then(done))),
            Err(e) => form_errors(e)?,
        },
        Err(errors) => errors,
    };
    Ok(invalid(page(errors).await?))
}

/// Runs an event form; on refusal the event page shows the fields named.
async fn event_form<T, F, Fut>(
    state: &AppState,
    post: Posted,
    n: &str,
    booleans: &[&str],
    lines: &[&str],
    then: &str,
    call: F,
) -> Page
where
    T: serde::de::DeserializeOwned,
    F: FnOnce(Actor, EventNumber, T) -> Fut,
    Fut: std::future::Future<Output = Result<Event, rampart_store::StoreError>>,
{
    let number = event_number(n)?;
    let person = &post.person;
    handle_form(
        &post.form,
        booleans,
        lines,
        async |input| call(person.actor.clone(), number, input).await,
        |_| then.replace("{n}", &number.to_string()),
        async |errors| event_view(state, person, number, post.form.clone(), errors).await,
    )
    .await
}

/// A form with nothing to decode.
#[derive(serde::Deserialize)]
pub struct Nothing {}

/// The ISIRT's reason for rejecting an escalated event.
#[derive(serde::Deserialize)]
pub struct Reason {
    reason: Text,
}

pub async fn event_triage(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let service = state.service.clone();
    event_form(
        &state,
        post,
        &n,
        &[],
        &[],
        "/events/{n}",
        |actor, number, _: Nothing| async move { service.triage_event(&actor, number).await },
    )
    .await
}

/// The form with its one-select RSIT choice (`class/type`) split into the
/// `rsit.class` and `rsit.type` fields the assessment takes. A blank choice
/// is left out: the proposal stands.
fn split_rsit(form: &FormData) -> FormData {
    let mut fields = Vec::with_capacity(form.0.len() + 1);
    for (k, v) in &form.0 {
        if k != "rsit" {
            fields.push((k.clone(), v.clone()));
            continue;
        }
        match v.trim().split_once('/') {
            Some((class, kind)) => {
                fields.push(("rsit.class".to_owned(), class.to_owned()));
                fields.push(("rsit.type".to_owned(), kind.to_owned()));
            }
            None => fields.push(("rsit.class".to_owned(), v.clone())),
        }
    }
    FormData(fields)
}

pub async fn event_assess(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let number = event_number(&n)?;
    let person = &post.person;
    handle_form(
        &split_rsit(&post.form),
        &["escalate"],
        &[],
        async |input: AssessmentInput| {
            state
                .service
                .assess_event(&person.actor, number, input)
                .await
        },
        |_| "/triage".to_owned(),
        async |errors| event_view(&state, person, number, post.form.clone(), errors).await,
    )
    .await
}

pub async fn event_reject(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let service = state.service.clone();
    event_form(
        &state,
        post,
        &n,
        &[],
        &[],
        "/events/{n}",
        |actor, number, input: Reason| async move {
            service.reject_event(&actor, number, input.reason).await
        },
    )
    .await
}

pub async fn event_confirm(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let number = event_number(&n)?;
    let person = &post.person;
    handle_form(
        &post.form,
        &[],
        &[],
        async |input: IncidentConfirmation| {
            state.service.confirm_incident(&person.actor, input).await
        },
        |incident| format!("/incidents/{}", incident.number),
        async |errors| event_view(&state, person, number, post.form.clone(), errors).await,
    )
    .await
}

// ----- incidents ---------------------------------------------------------------------------

fn bad_filter(field: &str, message: String) -> WebError {
    WebError::BadRequest(format!("filter `{field}`: {message}"))
}

fn register_query(f: &FormData) -> Result<(IncidentQuery, String), WebError> {
    let status = f
        .get("status")
        .map(|s| IncidentStatus::parse(s).map_err(|m| bad_filter("status", m)))
        .transpose()?;
    let category = f
        .get("category")
        .map(|s| rampart_domain::Category::parse(s).map_err(|m| bad_filter("category", m)))
        .transpose()?;
    let class = f
        .get("class")
        .map(|s| rampart_domain::SeverityClass::parse(s).map_err(|m| bad_filter("class", m)))
        .transpose()?;
    let (sort, sort_name) = match f.get("sort").unwrap_or("priority") {
        "priority" => (IncidentSort::Priority, "priority"),
        "newest" => (IncidentSort::Newest, "newest"),
        "oldest" => (IncidentSort::Oldest, "oldest"),
        other => {
            return Err(bad_filter(
                "sort",
                format!("`{other}` is not one of priority, newest, oldest"),
            ));
        }
    };
    Ok((
        IncidentQuery {
            status,
            category,
            class,
            coordinator: f.get("coordinator").map(str::to_owned),
            text: f.get("q").map(str::to_owned),
            sort,
            cursor: f.get("cursor").map(str::to_owned),
            limit: 50,
            ..IncidentQuery::default()
        },
        sort_name.to_owned(),
    ))
}

/// The query string of `f` with `cursor` replaced.
fn with_cursor(f: &FormData, cursor: Option<&str>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &f.0 {
        if k != "cursor" && !v.trim().is_empty() {
            s.append_pair(k, v);
        }
    }
    if let Some(c) = cursor {
        s.append_pair("cursor", c);
    }
    s.finish()
}

pub async fn incident_register(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    person.require(Action::ViewIncidents)?;
    let filters = query_form(&q)?;
    let (query, sort) = register_query(&filters)?;
    let page = state.service.list_incidents(&person.actor, query).await?;
    let coordinators = state
        .service
        .people_with(&person.actor, &[Role::IsirtMember, Role::IsirtManager])
        .await?;
    Ok(RegisterPage {
        chrome: Chrome::new(&person, "Incidents", "/incidents"),
        items: page.items,
        sort,
        first: with_cursor(&filters, None),
        next: page
            .next_cursor
            .as_deref()
            .map(|c| with_cursor(&filters, Some(c))),
        csv: format!(
            "/incidents.csv?{}",
            with_cursor(&filters, filters.get("cursor"))
        ),
        coordinators,
        filters,
    }
    .into_response())
}

/// A CSV cell that a spreadsheet will not run as a formula.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

pub async fn incident_csv(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    person.require(Action::ViewIncidents)?;
    let (query, _) = register_query(&query_form(&q)?)?;
    let page = state.service.list_incidents(&person.actor, query).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "number",
        "title",
        "status",
        "category",
        "class",
        "priority",
        "coordinator",
        "tlp",
        "confirmed_at",
        "closed_at",
    ];
    let fail = |_| WebError::Internal;
    w.write_record(header).map_err(fail)?;
    for i in &page.items {
        w.write_record([
            i.number.to_string(),
            cell(i.title.as_str()),
            i.status.to_string(),
            i.category.to_string(),
            i.severity.class.to_string(),
            i.priority.value().to_string(),
            cell(&i.coordinator),
            i.tlp.to_string(),
            i.confirmed_at.to_rfc3339(),
            i.closed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    let body = w.into_inner().map_err(|_| WebError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"incidents.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

fn move_label(from: IncidentStatus, to: IncidentStatus) -> String {
    use IncidentStatus::*;
    match (from, to) {
        (Confirmed, Responding) => "Start response".into(),
        (Recovering | Crisis, Responding) => "Back to response".into(),
        (Closed | Reviewed, Responding) => "Reopen".into(),
        (_, Crisis) => "Declare crisis".into(),
        (_, Recovering) => "Begin recovery".into(),
        (_, Closed) => "Close".into(),
        (_, Reviewed) => "Mark reviewed".into(),
        (_, other) => label(other),
    }
}

async fn incident_view(
    state: &AppState,
    person: &Person,
    number: IncidentNumber,
    values: FormData,
    errors: Vec<FieldError>,
) -> Result<IncidentPage, WebError> {
    let (incident, events) = state
        .service
        .incident_with_events(&person.actor, number)
        .await?;
    let mut moves: Vec<Move> = incident
        .status
        .targets()
        .iter()
        .filter(|to| {
            let probe = TransitionRequest {
                to: **to,
                reason: Text::lossy("probe"),
                resolution: None,
                contained_at: None,
                ended_at: None,
                impact_ended_at: None,
            };
            person.may(Action::TransitionIncident)
                && person.may(probe.required_action(incident.status))
        })
        .map(|to| Move {
            to: to.to_string(),
            label: move_label(incident.status, *to),
            needs_resolution: *to == IncidentStatus::Closed,
            primary: false,
        })
        .collect();
    // The main button moves forward in the lifecycle (a crisis or a reopening is never the default).
    let rank = |m: &Move| {
        IncidentStatus::ALL
            .iter()
            .position(|s| s.as_str() == m.to)
            .unwrap_or(0)
    };
    let forward = moves
        .iter()
        .filter(|m| m.to != IncidentStatus::Crisis.as_str())
        .filter(|m| incident.status.is_open() || m.to != IncidentStatus::Responding.as_str())
        .max_by_key(|m| rank(m))
        .map(|m| m.to.clone());
    for m in &mut moves {
        m.primary = Some(&m.to) == forward.as_ref();
    }
    let people = state
        .service
        .people_with(&person.actor, &[Role::IsirtMember, Role::IsirtManager])
        .await?;
    let resolution_needed = moves.iter().any(|m: &Move| m.needs_resolution);
    let may_view_evidence = person.may(Action::ViewEvidence);
    let evidence = if may_view_evidence {
        state
            .service
            .list_evidence(&person.actor, incident.number)
            .await?
    } else {
        vec![]
    };
    Ok(IncidentPage {
        resolution_needed,
        chrome: Chrome::new(person, incident.number.to_string(), "/incidents")
            .live(format!("incident:{}", incident.number)),
        moves,
        may_log: person.may(Action::WriteLog),
        may_actions: person.may(Action::ManageActions),
        may_review: person.may(Action::RecordReview)
            && matches!(
                incident.status,
                IncidentStatus::Closed | IncidentStatus::Reviewed
            ),
        may_restrict: person.may(Action::RestrictIncident),
        may_reassign: person.may(Action::AssignCoordinator) && incident.status.is_open(),
        people,
        review: ReviewForm::new(&values, incident.review.as_ref()),
        incident,
        events,
        values,
        errors,
        now: state.service.clock().now(),
        may_view_evidence,
        may_handle_evidence: person.may(Action::HandleEvidence),
        evidence,
        upload_open: false,
    })
}

pub async fn incident_page(
    State(state): State<AppState>,
    person: Person,
    Path(n): Path<String>,
) -> Page {
    let number = incident_number(&n)?;
    Ok(
        incident_view(&state, &person, number, FormData::default(), vec![])
            .await?
            .into_response(),
    )
}

/// Runs an incident form; on refusal the workspace shows the fields named.
async fn incident_form<T, F, Fut, R>(
    state: &AppState,
    post: Posted,
    n: &str,
    booleans: &[&str],
    lines: &[&str],
    call: F,
) -> Page
where
    T: serde::de::DeserializeOwned,
    F: FnOnce(Actor, IncidentNumber, T) -> Fut,
    Fut: std::future::Future<Output = Result<R, rampart_store::StoreError>>,
{
    let number = incident_number(n)?;
    let person = &post.person;
    handle_form(
        &post.form,
        booleans,
        lines,
        async |input| call(person.actor.clone(), number, input).await,
        |_| format!("/incidents/{number}"),
        async |errors| incident_view(state, person, number, post.form.clone(), errors).await,
    )
    .await
}

/// A handler for an incident form whose input goes straight to one service call.
macro_rules! incident_form_handler {
    ($name:ident, $input:ty, $booleans:expr, $lines:expr, $call:ident) => {
        pub async fn $name(
            State(state): State<AppState>,
            Path(n): Path<String>,
            post: Posted,
        ) -> Page {
            let service = state.service.clone();
            let call = |actor: Actor, number, input: $input| async move {
                service.$call(&actor, number, input).await
            };
            incident_form(&state, post, &n, $booleans, $lines, call).await
        }
    };
}

incident_form_handler!(incident_transition, TransitionRequest, &[], &[], transition);
incident_form_handler!(incident_log, NewLogEntry, &[], &[], add_log);
incident_form_handler!(
    incident_action_add,
    NewAction,
    &["requires_approval"],
    &[],
    add_action
);
incident_form_handler!(
    incident_review,
    ReviewInput,
    &["communication_effective"],
    &["lessons"],
    record_review
);
incident_form_handler!(incident_patch, IncidentPatch, &[], &[], patch_incident);

pub async fn incident_action_update(
    State(state): State<AppState>,
    Path((n, id)): Path<(String, u32)>,
    post: Posted,
) -> Page {
    let service = state.service.clone();
    incident_form(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, input: ActionUpdate| async move {
            service.update_action(&actor, number, id, input).await
        },
    )
    .await
}

/// Who may see the incident; `mode=lift` lifts the restriction.
#[derive(serde::Deserialize)]
pub struct Restriction {
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    mode: Option<String>,
}

pub async fn incident_restrict(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let service = state.service.clone();
    incident_form(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, input: Restriction| async move {
            let users = if input.mode.as_deref() == Some("lift") {
                vec![]
            } else if input.users.is_empty() {
                return Err(rampart_domain::DomainError::field(
                    "users",
                    "choose at least one person, including yourself",
                )
                .into());
            } else {
                input.users
            };
            service.restrict_incident(&actor, number, users).await
        },
    )
    .await
}

// ----- evidence ----------------------------------------------------------------------------

fn evidence_number(n: &str) -> Result<EvidenceNumber, WebError> {
    n.parse()
        .map_err(|_| WebError::NotFound(format!("`{n}` is not an evidence number")))
}

/// The upload form of the incident workspace (`multipart/form-data`): the
/// metadata fields, the page's token, then the file, streamed to the vault.
/// Refused fields show the workspace again with them named.
pub async fn evidence_upload(
    State(state): State<AppState>,
    Path(n): Path<String>,
    person: Person,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Page {
    let allowed = incident_number(&n).and_then(|number| {
        if !same_origin(&headers) {
            return Err(WebError::Csrf);
        }
        person.require(Action::HandleEvidence)?;
        Ok(number)
    });
    let (number, multipart) = match (allowed, multipart) {
        (Ok(number), Ok(multipart)) => (number, multipart),
        (Err(refusal), Ok(mut multipart)) => {
            drain(&mut multipart).await;
            return Err(refusal);
        }
        (Err(refusal), Err(_)) => return Err(refusal),
        (Ok(_), Err(_)) => {
            return Err(WebError::BadRequest(
                "evidence must be sent as multipart/form-data".into(),
            ));
        }
    };
    let received = receive_upload(
        &state.service,
        &person.actor,
        number,
        multipart,
        Some(&person.session.csrf),
    )
    .await;
    let errors = match received {
        Ok(item) => return Ok(see_other(&format!("/evidence/{}", item.number))),
        Err(ApiError::Invalid(errors)) => errors,
        Err(ApiError::Conflict(detail)) => vec![FieldError::new("", detail)],
        // The role table allowed the upload: what is refused is the form's token.
        Err(ApiError::Forbidden(_)) => return Err(WebError::Csrf),
        Err(other) => return Err(other.into()),
    };
    let mut page = incident_view(&state, &person, number, FormData::default(), errors).await?;
    page.upload_open = true;
    Ok(invalid(page))
}

/// The upload address opened in the browser (after a refused upload, say):
/// the evidence section of the workspace.
pub async fn evidence_upload_page(Path(n): Path<String>) -> Page {
    let number = incident_number(&n)?;
    Ok(see_other(&format!("/incidents/{number}#evidence")))
}

/// The signed evidence bundle of an incident; every export is a custody entry.
pub async fn evidence_bundle(
    State(state): State<AppState>,
    person: Person,
    headers: HeaderMap,
    Path(n): Path<String>,
) -> Page {
    let number = incident_number(&n)?;
    // Each export is recorded; another site may not make a browser ask for one.
    if !same_origin(&headers) {
        return Err(WebError::Csrf);
    }
    let plan = state.service.evidence_bundle(&person.actor, number).await?;
    Ok(bundle_response(state.service.clone(), person.actor, plan))
}

async fn evidence_view(
    state: &AppState,
    person: &Person,
    number: EvidenceNumber,
    values: FormData,
    errors: Vec<FieldError>,
) -> Result<EvidencePage, WebError> {
    let record = state.service.get_evidence(&person.actor, number).await?;
    let item: EvidenceItem = record.item;
    let incident = state
        .service
        .get_incident(&person.actor, item.incident)
        .await?;
    // Disposed content can no longer be read, moved or held.
    let present = item.disposed.is_none();
    let handle = present && person.may(Action::HandleEvidence);
    let people = if handle {
        state
            .service
            .people_with(&person.actor, &[Role::IsirtMember, Role::IsirtManager])
            .await?
    } else {
        vec![]
    };
    Ok(EvidencePage {
        chrome: Chrome::new(person, item.number.to_string(), "/incidents"),
        incident_title: incident.title.as_str().to_owned(),
        custody: custody_rows(&record.custody),
        may_download: handle,
        may_transfer: handle,
        may_verify: present && person.may(Action::VerifyEvidence),
        may_hold: present && person.may(Action::HoldEvidence),
        may_dispose: present && person.may(Action::DisposeEvidence),
        people,
        item,
        values,
        errors,
    })
}

pub async fn evidence_page(
    State(state): State<AppState>,
    person: Person,
    Path(n): Path<String>,
) -> Page {
    let number = evidence_number(&n)?;
    Ok(
        evidence_view(&state, &person, number, FormData::default(), vec![])
            .await?
            .into_response(),
    )
}

/// The content, verified before and while it streams; the download is a
/// custody entry, and altered content is refused with an alarm.
pub async fn evidence_download(
    State(state): State<AppState>,
    person: Person,
    headers: HeaderMap,
    Path(n): Path<String>,
) -> Page {
    let number = evidence_number(&n)?;
    // Each download is recorded; another site may not make a browser ask for one.
    if !same_origin(&headers) {
        return Err(WebError::Csrf);
    }
    let (item, reading) = state.service.open_evidence(&person.actor, number).await?;
    Ok(download_response(
        state.service.clone(),
        person.actor,
        item,
        reading,
    ))
}

/// Runs a form of the item page; on refusal the page shows the fields named.
async fn evidence_form<T, F, Fut>(state: &AppState, post: Posted, n: &str, call: F) -> Page
where
    T: serde::de::DeserializeOwned,
    F: FnOnce(Actor, EvidenceNumber, T) -> Fut,
    Fut: std::future::Future<Output = Result<EvidenceItem, rampart_store::StoreError>>,
{
    let number = evidence_number(n)?;
    let person = &post.person;
    handle_form(
        &post.form,
        &[],
        &[],
        async |input| call(person.actor.clone(), number, input).await,
        |_| format!("/evidence/{number}"),
        async |errors| evidence_view(state, person, number, post.form.clone(), errors).await,
    )
    .await
}

pub async fn evidence_verify(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let service = state.service.clone();
    evidence_form(&state, post, &n, |actor, number, _: Nothing| async move {
        service.verify_evidence(&actor, number).await
    })
    .await
}

pub async fn evidence_transfer(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let service = state.service.clone();
    evidence_form(
        &state,
        post,
        &n,
        |actor, number, input: CustodyTransfer| async move {
            service.transfer_evidence(&actor, number, input).await
        },
    )
    .await
}

/// Whether a legal hold is placed or released.
#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldMode {
    Place,
    Release,
}

/// A legal hold placed or released, with the reason.
#[derive(serde::Deserialize)]
pub struct HoldForm {
    mode: HoldMode,
    reason: Text,
}

pub async fn evidence_hold(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let service = state.service.clone();
    evidence_form(
        &state,
        post,
        &n,
        |actor, number, input: HoldForm| async move {
            let place = matches!(input.mode, HoldMode::Place);
            service
                .hold_evidence(&actor, number, place, input.reason)
                .await
        },
    )
    .await
}

pub async fn evidence_dispose(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let service = state.service.clone();
    evidence_form(
        &state,
        post,
        &n,
        |actor, number, input: Reason| async move {
            service.dispose_evidence(&actor, number, input.reason).await
        },
    )
    .await
}

// ----- vulnerabilities -------------------------------------------------------------------

async fn vulnerability_view(
    state: &AppState,
    person: &Person,
    filters: FormData,
    values: FormData,
    errors: Vec<FieldError>,
) -> Result<VulnerabilityPage, WebError> {
    person.require(Action::ViewVulnerabilities)?;
    let status = filters
        .get("status")
        .map(|s| rampart_domain::VulnerabilityStatus::parse(s).map_err(|m| bad_filter("status", m)))
        .transpose()?;
    let page = state
        .service
        .list_vulnerabilities(
            &person.actor,
            VulnerabilityQuery {
                status,
                text: filters.get("q").map(str::to_owned),
                cursor: filters.get("cursor").map(str::to_owned),
                limit: 50,
            },
        )
        .await?;
    Ok(VulnerabilityPage {
        chrome: Chrome::new(person, "Vulnerabilities", "/vulnerabilities"),
        items: page.items,
        next: page
            .next_cursor
            .as_deref()
            .map(|c| with_cursor(&filters, Some(c))),
        filters,
        may_report: person.may(Action::ReportVulnerability),
        values,
        errors,
    })
}

pub async fn vulnerability_register(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    Ok(vulnerability_view(
        &state,
        &person,
        query_form(&q)?,
        FormData::default(),
        vec![],
    )
    .await?
    .into_response())
}

pub async fn vulnerability_report(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ReportVulnerability)?;
    handle_form(
        &post.form,
        &[],
        &["assets"],
        async |input: VulnerabilityReport| {
            state
                .service
                .report_vulnerability(&person.actor, input)
                .await
        },
        |_| "/vulnerabilities".to_owned(),
        async |errors| {
            vulnerability_view(
                &state,
                person,
                FormData::default(),
                post.form.clone(),
                errors,
            )
            .await
        },
    )
    .await
}

// ----- administration --------------------------------------------------------------------

async fn users_view(
    state: &AppState,
    person: &Person,
    values: FormData,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<UsersPage, WebError> {
    person.require(Action::ManageUsers)?;
    Ok(UsersPage {
        chrome: Chrome::new(person, "Users", "/admin/users"),
        users: state.service.list_users(&person.actor).await?,
        values,
        errors,
        notice,
    })
}

pub async fn admin_users(State(state): State<AppState>, person: Person) -> Page {
    Ok(
        users_view(&state, &person, FormData::default(), vec![], None)
            .await?
            .into_response(),
    )
}

fn parse_roles(form: &FormData) -> Result<Vec<Role>, Vec<FieldError>> {
    form.all("roles[]")
        .iter()
        .map(|r| Role::parse(r).map_err(|m| vec![FieldError::new("roles", m)]))
        .collect()
}

pub async fn admin_user_create(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageUsers)?;
    let refused = async |errors| -> Page {
        Ok(invalid(
            users_view(&state, person, post.form.clone(), errors, None).await?,
        ))
    };
    let roles = match parse_roles(&post.form) {
        Ok(r) => r,
        Err(errors) => return refused(errors).await,
    };
    let password = post.form.get("password").map(str::to_owned);
    if let Some(p) = &password
        && let Err(m) = auth::check_new_password(p)
    {
        return refused(vec![FieldError::new("password", m)]).await;
    }
    let name = post.form.v("name").to_owned();
    let result = async {
        let user = state.service.add_user(&person.actor, &name, roles).await?;
        if let Some(p) = &password {
            state
                .service
                .set_password(&person.actor, &user.name, p)
                .await?;
        }
        if post.form.checked("totp_required") {
            state
                .service
                .require_totp(&person.actor, &user.name, true)
                .await?;
        }
        Ok::<_, rampart_store::StoreError>(user)
    }
    .await;
    match result {
        Ok(user) => Ok(users_view(
            &state,
            person,
            FormData::default(),
            vec![],
            Some(format!("User {} was added.", user.name)),
        )
        .await?
        .into_response()),
        Err(e) => refused(form_errors(e)?).await,
    }
}

pub async fn admin_user_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    post: Posted,
) -> Page {
    let person = &post.person;
    person.require(Action::ManageUsers)?;
    let actor = &person.actor;
    let service = &state.service;
    let result = match post.form.get("op") {
        Some("roles") => match parse_roles(&post.form) {
            Ok(roles) => service
                .update_user(actor, &name, Some(roles), None)
                .await
                .map(|_| "Roles saved."),
            Err(errors) => Err(rampart_domain::DomainError::Invalid(errors).into()),
        },
        Some("password") => service
            .set_password(
                actor,
                &name,
                post.form
                    .0
                    .iter()
                    .find(|(k, _)| k == "password")
                    .map(|(_, v)| v.as_str())
                    .unwrap_or(""),
            )
            .await
            .map(|_| "Password set; the user's sessions have ended."),
        Some("totp_required") => service
            .require_totp(actor, &name, true)
            .await
            .map(|_| "A second factor is now required."),
        Some("totp_optional") => service
            .require_totp(actor, &name, false)
            .await
            .map(|_| "A second factor is now optional."),
        Some("totp_reset") => service
            .reset_totp(actor, &name)
            .await
            .map(|_| "The second factor was removed."),
        Some("disable") => service
            .update_user(actor, &name, None, Some(true))
            .await
            .map(|_| "User disabled; their sessions have ended."),
        Some("enable") => service
            .update_user(actor, &name, None, Some(false))
            .await
            .map(|_| "User enabled."),
        other => {
            return Err(WebError::BadRequest(format!(
                "unknown operation `{}`",
                other.unwrap_or("")
            )));
        }
    };
    match result {
        Ok(notice) => Ok(users_view(
            &state,
            person,
            FormData::default(),
            vec![],
            Some(format!("{name}: {notice}")),
        )
        .await?
        .into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(
                users_view(&state, person, FormData::default(), errors, None).await?,
            ))
        }
    }
}

async fn tokens_view(
    state: &AppState,
    person: &Person,
    created: Option<(String, String)>,
    errors: Vec<FieldError>,
) -> Result<TokensPage, WebError> {
    person.require(Action::ManageUsers)?;
    Ok(TokensPage {
        chrome: Chrome::new(person, "API tokens", "/admin/tokens"),
        tokens: state.service.list_tokens(&person.actor).await?,
        users: state
            .service
            .list_users(&person.actor)
            .await?
            .into_iter()
            .filter(|(u, _)| !u.disabled)
            .map(|(u, _)| u.name)
            .collect(),
        created,
        errors,
    })
}

pub async fn admin_tokens(State(state): State<AppState>, person: Person) -> Page {
    Ok(tokens_view(&state, &person, None, vec![])
        .await?
        .into_response())
}

pub async fn admin_token_create(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageUsers)?;
    let user = post.form.v("user").to_owned();
    match state.service.create_token(&person.actor, &user).await {
        Ok((token, secret)) => Ok(
            tokens_view(&state, person, Some((token.user, secret)), vec![])
                .await?
                .into_response(),
        ),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(tokens_view(&state, person, None, errors).await?))
        }
    }
}

pub async fn admin_token_revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    state.service.revoke_token(&post.person.actor, &id).await?;
    Ok(see_other("/admin/tokens"))
}

// ----- background jobs -------------------------------------------------------------------

/// Jobs on the jobs page.
const JOBS_PER_PAGE: u32 = 200;

async fn jobs_view(
    state: &AppState,
    person: &Person,
    shown: Option<rampart_store::JobState>,
    notice: Option<String>,
    errors: Vec<FieldError>,
) -> Result<JobsPage, WebError> {
    let jobs = state
        .service
        .jobs(&person.actor, shown, None, JOBS_PER_PAGE)
        .await?;
    let dead = state
        .service
        .jobs(
            &person.actor,
            Some(rampart_store::JobState::Dead),
            None,
            JOBS_PER_PAGE,
        )
        .await?
        .len();
    Ok(JobsPage {
        chrome: Chrome::new(person, "Background jobs", "/admin/jobs"),
        state: shown,
        jobs,
        dead,
        notice,
        errors,
    })
}

pub async fn admin_jobs(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    let query = query_form(&q)?;
    let shown = match query.get("state").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match rampart_store::JobState::parse(s) {
            Ok(st) => Some(st),
            Err(m) => {
                return Ok(invalid(
                    jobs_view(
                        &state,
                        &person,
                        None,
                        None,
                        vec![FieldError::new("state", m)],
                    )
                    .await?,
                ));
            }
        },
    };
    Ok(jobs_view(&state, &person, shown, None, vec![])
        .await?
        .into_response())
}

pub async fn admin_job_retry(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    let person = &post.person;
    person.require(Action::ManageJobs)?;
    let result = match id.parse::<i64>() {
        Ok(n) => state.service.retry_job(&person.actor, n).await.map(|()| n),
        Err(_) => Err(StoreError::Domain(DomainError::field(
            "id",
            format!("`{id}` is not a job id"),
        ))),
    };
    match result {
        Ok(n) => Ok(jobs_view(
            &state,
            person,
            None,
            Some(format!("Job {n} is queued again.")),
            vec![],
        )
        .await?
        .into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(
                jobs_view(&state, person, None, None, errors).await?,
            ))
        }
    }
}

// ----- machine intake --------------------------------------------------------------------

/// Dead letters on one page of the intake page.
const LETTERS_PER_PAGE: u32 = 50;

/// What the intake page shows beside the records: a refused form or a notice.
#[derive(Default)]
struct IntakeForm {
    /// The editor's text as it was sent, when the editor was refused.
    editor: Option<String>,
    values: FormData,
    errors: Vec<FieldError>,
    refused: &'static str,
    notice: Option<String>,
}

impl IntakeForm {
    fn notice(text: String) -> Self {
        Self {
            notice: Some(text),
            ..Self::default()
        }
    }
}

/// The rule table as the editor shows it: a JSON list, without the empty
/// conditions every rule would otherwise repeat.
fn rules_json(rules: &[CategorizationRule]) -> Result<String, WebError> {
    use serde_json::Value;
    let mut value = serde_json::to_value(rules).map_err(|_| WebError::Internal)?;
    if let Value::Array(items) = &mut value {
        for item in items {
            if let Value::Object(map) = item {
                map.retain(|_, v| match v {
                    Value::Null => false,
                    Value::Array(a) => !a.is_empty(),
                    Value::Object(o) => !o.is_empty(),
                    _ => true,
                });
            }
        }
    }
    serde_json::to_string_pretty(&value).map_err(|_| WebError::Internal)
}

async fn intake_view(
    state: &AppState,
    person: &Person,
    query: &FormData,
    form: IntakeForm,
) -> Result<IntakePage, WebError> {
    person.require(Action::ManageIntake)?;
    let rules = state.service.get_rules(&person.actor).await?;
    let (syslog, _) = state.service.intake_status(&person.actor).await?;
    let cursor = query.get("cursor");
    let (letters, total) = state
        .service
        .dead_letters(&person.actor, cursor, LETTERS_PER_PAGE)
        .await?;
    let editor = match form.editor {
        Some(text) => text,
        None => rules_json(&rules.rules)?,
    };
    Ok(IntakePage {
        chrome: Chrome::new(person, "Machine intake", "/admin/intake"),
        rules: rules.rules.iter().map(RuleRow::of).collect(),
        rules_version: rules.version,
        rules_editable: true,
        editor,
        syslog,
        letters: letters.items.into_iter().map(LetterRow::of).collect(),
        letters_total: total,
        later_page: cursor.is_some(),
        next_letters: letters
            .next_cursor
            .map(|c| format!("cursor={}", url_encode(&c))),
        values: form.values,
        errors: form.errors,
        refused: form.refused,
        notice: form.notice,
    })
}

pub async fn admin_intake(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    Ok(
        intake_view(&state, &person, &query_form(&q)?, IntakeForm::default())
            .await?
            .into_response(),
    )
}

/// The version of the rules the form was made from.
fn posted_version(form: &FormData) -> Result<u32, FieldError> {
    form.get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            FieldError::new(
                "version",
                "must be the version number of the rules you edited; reload the page",
            )
        })
}

/// An error found inside the editor's list, named from the list's field
/// (`[1].category` becomes `rules[1].category`).
fn rules_field(prefix: &str, error: FieldError) -> FieldError {
    let field = if error.field.is_empty() {
        prefix.to_owned()
    } else if error.field.starts_with('[') {
        format!("{prefix}{}", error.field)
    } else {
        format!("{prefix}.{}", error.field)
    };
    FieldError::new(field, error.message)
}

/// The editor's text as a rule table; errors name `rules[i].field`, and a
/// text that is not JSON says where it stops being so.
fn parse_rules(text: &str) -> Result<Vec<CategorizationRule>, Vec<FieldError>> {
    if text.trim().is_empty() {
        return Err(vec![FieldError::new(
            "rules",
            "is empty; write [] for a table without rules",
        )]);
    }
    let not_json =
        |e: serde_json::Error| FieldError::new("rules", format!("is not valid JSON: {e}"));
    let mut de = serde_json::Deserializer::from_str(text);
    let rules = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().clone();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            not_json(inner)
        } else {
            rules_field(
                "rules",
                crate::extract::field_error(&path, inner.to_string()),
            )
        }
    });
    let rules = rules.and_then(|rules| de.end().map(|()| rules).map_err(not_json));
    rules.map_err(|e| vec![e])
}

/// Saves a new table; the page again, with a notice or with the refusal.
async fn save_rules(
    state: &AppState,
    person: &Person,
    set: RuleSet,
    done: impl FnOnce(&RuleSet) -> String,
    refused: impl FnOnce(Vec<FieldError>) -> IntakeForm,
) -> Page {
    match state.service.replace_rules(&person.actor, set).await {
        Ok(saved) => Ok(intake_view(
            state,
            person,
            &FormData::default(),
            IntakeForm::notice(done(&saved)),
        )
        .await?
        .into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(
                intake_view(state, person, &FormData::default(), refused(errors)).await?,
            ))
        }
    }
}

/// The rule table edited as JSON.
pub async fn admin_rules_replace(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageIntake)?;
    let text = post
        .form
        .0
        .iter()
        .find(|(k, _)| k == "rules")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let refused = |errors| IntakeForm {
        editor: Some(text.clone()),
        errors,
        refused: "editor",
        ..IntakeForm::default()
    };
    let set = match (posted_version(&post.form), parse_rules(&text)) {
        (Ok(version), Ok(rules)) => RuleSet { version, rules },
        (version, rules) => {
            let errors = version
                .err()
                .into_iter()
                .chain(rules.err().into_iter().flatten())
                .collect();
            return Ok(invalid(
                intake_view(&state, person, &FormData::default(), refused(errors)).await?,
            ));
        }
    };
    save_rules(
        &state,
        person,
        set,
        |saved| format!("The rules were saved as version {}.", saved.version),
        refused,
    )
    .await
}

/// One rule from the add-a-rule form; errors name the form's fields.
fn rule_of_form(form: &FormData) -> Result<CategorizationRule, Vec<FieldError>> {
    use serde_json::{Map, Value};
    let mut rule = Map::new();
    let mut errors = Vec::new();
    for key in ["name", "source", "text", "category"] {
        if let Some(v) = form.get(key) {
            rule.insert(key.to_owned(), Value::String(v.to_owned()));
        }
    }
    if let Some(v) = form.get("rsit") {
        let mut rsit = Map::new();
        let (class, kind) = v.split_once('/').unwrap_or((v, ""));
        rsit.insert("class".into(), Value::String(class.to_owned()));
        if !kind.is_empty() {
            rsit.insert("type".into(), Value::String(kind.to_owned()));
        }
        rule.insert("rsit".into(), Value::Object(rsit));
    }
    let mut fields = Map::new();
    for (i, line) in form.v("fields").lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                fields.insert(k.trim().to_owned(), Value::String(v.trim().to_owned()));
            }
            _ => errors.push(FieldError::new(
                "fields",
                format!("line {}: write one condition a line as name=value", i + 1),
            )),
        }
    }
    if !fields.is_empty() {
        rule.insert("fields".into(), Value::Object(fields));
    }
    let kinds = form.all("observable_types[]");
    if !kinds.is_empty() {
        rule.insert(
            "observable_types".into(),
            Value::Array(kinds.into_iter().map(Value::String).collect()),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    serde_path_to_error::deserialize(Value::Object(rule)).map_err(|e| {
        let path = e.path().clone();
        vec![crate::extract::field_error(
            &path,
            e.into_inner().to_string(),
        )]
    })
}

/// The version posted is the one this node holds; otherwise the change is
/// refused as the service would refuse it.
fn check_version(version: u32, current: &RuleSet) -> Result<(), FieldError> {
    if version == current.version {
        Ok(())
    } else {
        Err(FieldError::new(
            "version",
            format!(
                "the rules changed since version {version} was read; the current version is {}",
                current.version
            ),
        ))
    }
}

/// A rule added at the end of the table.
pub async fn admin_rule_add(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageIntake)?;
    let refused = |errors| IntakeForm {
        values: post.form.clone(),
        errors,
        refused: "add",
        ..IntakeForm::default()
    };
    let current = state.service.get_rules(&person.actor).await?;
    let version = posted_version(&post.form).and_then(|v| check_version(v, &current).map(|()| v));
    let (version, rule) = match (version, rule_of_form(&post.form)) {
        (Ok(v), Ok(rule)) => (v, rule),
        (version, rule) => {
            let errors = version
                .err()
                .into_iter()
                .chain(rule.err().into_iter().flatten())
                .collect();
            return Ok(invalid(
                intake_view(&state, person, &FormData::default(), refused(errors)).await?,
            ));
        }
    };
    let index = current.rules.len();
    let name = rule.name.to_string();
    let mut rules = current.rules;
    rules.push(rule);
    // The table's checks name `rules[i].field`; the form's fields are bare.
    let prefix = format!("rules[{index}].");
    save_rules(
        &state,
        person,
        RuleSet { version, rules },
        |saved| {
            format!(
                "Rule “{name}” was added as number {}; the rules are now version {}.",
                index + 1,
                saved.version
            )
        },
        |errors| {
            refused(
                errors
                    .into_iter()
                    .map(|e| match e.field.strip_prefix(&prefix) {
                        Some(bare) => FieldError::new(bare, e.message),
                        None => e,
                    })
                    .collect(),
            )
        },
    )
    .await
}

/// A rule moved up or down the table, or removed.
pub async fn admin_rule_update(
    State(state): State<AppState>,
    Path(i): Path<String>,
    post: Posted,
) -> Page {
    let person = &post.person;
    person.require(Action::ManageIntake)?;
    let index: usize = i
        .parse()
        .map_err(|_| WebError::NotFound(format!("`{i}` is not a rule's position")))?;
    let current = state.service.get_rules(&person.actor).await?;
    let version =
        match posted_version(&post.form).and_then(|v| check_version(v, &current).map(|()| v)) {
            Ok(v) => v,
            Err(e) => {
                return Ok(invalid(
                    intake_view(
                        &state,
                        person,
                        &FormData::default(),
                        IntakeForm {
                            errors: vec![e],
                            ..IntakeForm::default()
                        },
                    )
                    .await?,
                ));
            }
        };
    let mut rules = current.rules;
    let Some(name) = rules.get(index).map(|r| r.name.to_string()) else {
        return Err(WebError::NotFound(format!(
            "There is no rule number {}.",
            index + 1
        )));
    };
    let what = match post.form.get("op") {
        Some("up") if index > 0 => {
            rules.swap(index - 1, index);
            "moved up"
        }
        Some("down") if index + 1 < rules.len() => {
            rules.swap(index, index + 1);
            "moved down"
        }
        Some("remove") => {
            rules.remove(index);
            "removed"
        }
        other => {
            return Err(WebError::BadRequest(format!(
                "`{}` is not a move for rule number {}",
                other.unwrap_or(""),
                index + 1
            )));
        }
    };
    save_rules(
        &state,
        person,
        RuleSet { version, rules },
        |saved| {
            format!(
                "Rule “{name}” was {what}; the rules are now version {}.",
                saved.version
            )
        },
        |errors| IntakeForm {
            errors,
            ..IntakeForm::default()
        },
    )
    .await
}
