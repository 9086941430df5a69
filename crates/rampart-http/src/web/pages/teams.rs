//! The teams: who is on duty now and next in each, one team's rota ahead,
//! its covers and hand-overs, and the forms to hand over a shift, put
//! someone on duty for a stretch, set up a team and change it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use rampart_app::teams::{CoverInput, HandoverInput, TeamInput, TeamPatch, TeamView};
use rampart_domain::{Action, Duty, OnDuty, Timestamp};

use super::{Page, invalid};
use crate::AppState;
use crate::web::form::{FormData, decode_value};
use crate::web::record_form::RecordForm;
use crate::web::session::{Person, Posted, see_other};
use crate::web::view::*;
use crate::web::{WebError, form_errors};

/// Shifts shown ahead on a team's page.
const SHIFTS_AHEAD: usize = 8;

/// Names typed in one field, separated by commas or spaces.
fn names(raw: &str) -> Vec<Value> {
    raw.split([',', ' ', '\n', '\t'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| Value::String(n.to_owned()))
        .collect()
}

/// A team form as the API's JSON: members and the rotation's people as
/// lists, the rotation from its three fields (none when all are blank).
fn team_json(form: &FormData) -> Value {
    let mut json = form.to_json(&[], &[]);
    if let Some(map) = json.as_object_mut() {
        map.remove("rotation_people");
        map.remove("shift_hours");
        map.remove("starts_at");
    }
    json["members"] = Value::Array(names(form.get("members").unwrap_or("")));
    let people = names(form.get("rotation_people").unwrap_or(""));
    let hours = form.get("shift_hours");
    let start = form.get("starts_at");
    if !people.is_empty() || hours.is_some() || start.is_some() {
        json["rotation"] = json!({
            "people": people,
            "shift_hours": hours.map_or(Value::Null, |h| h.parse::<u32>().map_or_else(|_| Value::from(h), Value::from)),
            "starts_at": start.map_or(Value::Null, |s| {
                let v = FormData(vec![("x".into(), s.to_owned())]).to_json(&[], &[]);
                v["x"].clone()
            }),
        });
    }
    json
}

fn duty_label(d: Duty) -> &'static str {
    d.title()
}

#[derive(Template, WebTemplate)]
#[template(path = "teams.html")]
pub struct TeamsPage {
    pub chrome: Chrome,
    pub teams: Vec<TeamView>,
    pub may_manage: bool,
    pub form: RecordForm,
}

impl TeamsPage {
    pub fn duties(&self) -> &'static [Duty] {
        Duty::ALL
    }
    pub fn duty_label(&self, d: &Duty) -> &'static str {
        duty_label(*d)
    }
}

async fn list_view(
    state: &AppState,
    person: &Person,
    form: RecordForm,
) -> Result<TeamsPage, WebError> {
    Ok(TeamsPage {
        chrome: Chrome::new(person, "Teams and on-call", "/teams"),
        teams: state.app.teams(&person.actor).await?,
        may_manage: person.may(Action::ManageTeams),
        form,
    })
}

pub async fn teams_page(State(state): State<AppState>, person: Person) -> Page {
    person.require(Action::ViewTeams)?;
    Ok(list_view(&state, &person, RecordForm::default())
        .await?
        .into_response())
}

/// `POST /teams`: `id`, `name`, `duty`, `description`, `lead`, `members`,
/// `rotation_people`, `shift_hours`, `starts_at`.
pub async fn team_create(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageTeams)?;
    let refused = |errors| async {
        Ok(invalid(
            list_view(&state, person, RecordForm::new(post.form.clone(), errors)).await?,
        ))
    };
    let input: TeamInput = match decode_value(team_json(&post.form)) {
        Ok(input) => input,
        Err(errors) => return refused(errors).await,
    };
    match state.app.create_team(&person.actor, input).await {
        Ok(team) => Ok(see_other(&format!("/teams/{}", team.team.id))),
        Err(e) => refused(form_errors(e)?).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "team.html")]
pub struct TeamPage {
    pub chrome: Chrome,
    pub view: TeamView,
    /// The shifts ahead: who, from, until.
    pub ahead: Vec<OnDuty>,
    pub is_member: bool,
    pub may_rota: bool,
    pub may_manage: bool,
    pub now: Timestamp,
    pub form: RecordForm,
}

impl TeamPage {
    pub fn duty_label(&self) -> &'static str {
        duty_label(self.view.team.duty)
    }
    pub fn duties(&self) -> &'static [Duty] {
        Duty::ALL
    }
    pub fn duty_name(&self, d: &Duty) -> &'static str {
        duty_label(*d)
    }
    pub fn members_text(&self) -> String {
        self.view.team.members.join(", ")
    }
    pub fn rotation_text(&self) -> String {
        self.view
            .team
            .rotation
            .as_ref()
            .map(|r| r.people.join(", "))
            .unwrap_or_default()
    }
    /// A form field's value as sent, else the team's own.
    pub fn value(&self, name: &str, own: String) -> String {
        if self.form.errors.is_empty() {
            own
        } else {
            self.form.v(name).to_owned()
        }
    }
    pub fn local(&self, t: &Timestamp) -> String {
        t.to_rfc3339().get(..16).unwrap_or_default().to_owned()
    }
    pub fn ended(&self, until: &Timestamp) -> bool {
        *until <= self.now
    }
}

async fn team_view(
    state: &AppState,
    person: &Person,
    id: &str,
    form: RecordForm,
) -> Result<TeamPage, WebError> {
    let view = state.app.team(&person.actor, id).await?;
    let now = state.app.clock().now();
    let mut ahead = Vec::new();
    if let Some(d) = view.team.on_duty(now) {
        ahead.push(d);
    }
    let mut at = now;
    while ahead.len() < SHIFTS_AHEAD {
        let Some(next) = view.team.next_on_duty(at) else {
            break;
        };
        let Some(from) = next.from else { break };
        if from <= at {
            break;
        }
        at = from;
        ahead.push(view.team.on_duty(at).map_or(next, |d| OnDuty {
            from: Some(from),
            ..d
        }));
    }
    Ok(TeamPage {
        chrome: Chrome::new(person, view.team.name.to_string(), "/teams"),
        is_member: view.team.members.contains(&person.actor.name),
        may_rota: person.may(Action::ManageRota),
        may_manage: person.may(Action::ManageTeams),
        view,
        ahead,
        now,
        form,
    })
}

pub async fn team_page(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
) -> Page {
    person.require(Action::ViewTeams)?;
    Ok(team_view(&state, &person, &id, RecordForm::default())
        .await?
        .into_response())
}

/// Runs a team form: back to the team, or its page again (422) naming the
/// refused fields.
async fn team_form<T, F, Fut>(
    state: &AppState,
    post: Posted,
    id: &str,
    json: Value,
    call: F,
) -> Page
where
    T: serde::de::DeserializeOwned,
    F: FnOnce(rampart_domain::Actor, T) -> Fut,
    Fut: std::future::Future<Output = Result<TeamView, rampart_app::AppError>>,
{
    let refused = |errors| async {
        let form = RecordForm::new(post.form.clone(), errors);
        Ok(invalid(team_view(state, &post.person, id, form).await?))
    };
    let input: T = match decode_value(json) {
        Ok(input) => input,
        Err(errors) => return refused(errors).await,
    };
    match call(post.person.actor.clone(), input).await {
        Ok(team) => Ok(see_other(&format!("/teams/{}", team.team.id))),
        Err(e) => refused(form_errors(e)?).await,
    }
}

/// `POST /teams/{id}/handovers`: `to`, `note`, `incidents` (numbers), `authority`.
pub async fn team_handover(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    let mut json = post.form.to_json(&[], &[]);
    json["incidents"] = Value::Array(names(post.form.get("incidents").unwrap_or("")));
    let app = state.app.clone();
    let target = id.clone();
    team_form(
        &state,
        post,
        &id,
        json,
        |actor, input: HandoverInput| async move { app.hand_over(&actor, &target, input).await },
    )
    .await
}

/// `POST /teams/{id}/covers`: `person`, `from`, `until`, `reason`.
pub async fn team_cover(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    let json = post.form.to_json(&[], &[]);
    let app = state.app.clone();
    let target = id.clone();
    team_form(
        &state,
        post,
        &id,
        json,
        |actor, input: CoverInput| async move { app.add_cover(&actor, &target, input).await },
    )
    .await
}

/// `POST /teams/{id}/settings`: as the new-team form, without `id`.
pub async fn team_settings(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    post.person.require(Action::ManageTeams)?;
    let mut json = team_json(&post.form);
    if json.get("rotation").is_none() {
        json["clear_rotation"] = Value::Bool(true);
    }
    let app = state.app.clone();
    let target = id.clone();
    team_form(
        &state,
        post,
        &id,
        json,
        |actor, input: TeamPatch| async move { app.change_team(&actor, &target, input).await },
    )
    .await
}
