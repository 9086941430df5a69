//! Response-time targets: the table per severity class, edited as a whole.
//! Times are typed as `15m`, `4h`, `3d` or combinations (`1h 30m`); a bare
//! number is minutes.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;

use rampart_domain::{
    Action, ClassTargets, FieldError, MAX_TARGET_MINUTES, ResponseTargets, SeverityClass, Stage,
};

use crate::AppState;
use crate::web::pages::{Page, invalid};
use crate::web::session::{Person, Posted};
use crate::web::view::*;
use crate::web::{WebError, form_errors};

#[derive(Template, WebTemplate)]
#[template(path = "admin_targets.html")]
pub struct TargetsPage {
    pub chrome: Chrome,
    pub targets: ResponseTargets,
    pub notice: Option<String>,
    pub errors: Vec<FieldError>,
    /// The form as sent, when it was refused.
    pub form: Vec<(String, String)>,
}

impl TargetsPage {
    /// The classes, most severe first, as the table lists them.
    pub fn classes(&self) -> Vec<SeverityClass> {
        SeverityClass::ALL.iter().rev().copied().collect()
    }

    pub fn stages(&self) -> &'static [Stage] {
        Stage::ALL
    }

    /// The input's name for one cell: `IV.triage`.
    pub fn name(&self, class: &SeverityClass, stage: &Stage) -> String {
        format!("{class}.{stage}")
    }

    /// What the cell shows: as typed when the form was refused, else the target in force.
    pub fn cell(&self, class: &SeverityClass, stage: &Stage) -> String {
        let name = self.name(class, stage);
        if let Some((_, v)) = self.form.iter().find(|(k, _)| *k == name) {
            return v.clone();
        }
        duration_text(self.targets.class(*class).minutes(*stage))
    }

    /// One rung of the escalation ladder in words.
    pub fn rung(&self, step: &rampart_domain::EscalationStep) -> String {
        let who: Vec<&str> = step
            .notify
            .iter()
            .map(|r| match r {
                rampart_domain::Recipient::Coordinator => "the coordinator",
                rampart_domain::Recipient::IsirtManager => "ISIRT managers",
                rampart_domain::Recipient::CrisisManager => "crisis managers",
                rampart_domain::Recipient::SeniorManager => "senior management",
                rampart_domain::Recipient::OnDuty => "whoever is on ISIRT duty",
            })
            .collect();
        let when = match step.class_at_least {
            Some(SeverityClass::IV) => {
                " of a class IV incident or one in crisis handling".to_owned()
            }
            Some(c) => format!(" of a class {c} incident or above, or one in crisis handling"),
            None => String::new(),
        };
        format!(
            "At {} % of a deadline{when}: {}",
            step.at_percent,
            who.join(", ")
        )
    }

    pub fn cell_error(&self, class: &SeverityClass, stage: &Stage) -> Option<&str> {
        self.errors.for_field(&self.name(class, stage))
    }
}

/// Minutes as the form writes them: `3d`, `4h`, `1h 30m`, `45m`.
pub fn duration_text(minutes: u32) -> String {
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if mins > 0 || parts.is_empty() {
        parts.push(format!("{mins}m"));
    }
    parts.join(" ")
}

/// Reads `15m`, `4h`, `3d`, `1d 12h`, `1h30m`, or a bare number of minutes.
pub fn parse_duration(text: &str) -> Result<u32, String> {
    const HINT: &str = "must be a time such as 15m, 4h, 3d or 1h 30m";
    let text = text.trim().to_ascii_lowercase();
    if text.is_empty() {
        return Err("is required".into());
    }
    if let Ok(minutes) = text.parse::<u32>() {
        return Ok(minutes);
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut seen_unit = false;
    for c in text.chars() {
        match c {
            '0'..='9' if number.len() < 7 => number.push(c),
            'm' | 'h' | 'd' if !number.is_empty() => {
                let n: u64 = number.parse().map_err(|_| HINT.to_owned())?;
                let factor = match c {
                    'm' => 1,
                    'h' => 60,
                    _ => 1440,
                };
                total = total.saturating_add(n * factor);
                number.clear();
                seen_unit = true;
            }
            ' ' if number.is_empty() => {}
            _ => return Err(HINT.into()),
        }
    }
    if !number.is_empty() || !seen_unit {
        return Err(HINT.into());
    }
    u32::try_from(total).map_err(|_| HINT.to_owned())
}

async fn view(
    state: &AppState,
    person: &Person,
    notice: Option<String>,
    errors: Vec<FieldError>,
    form: Vec<(String, String)>,
) -> Result<TargetsPage, WebError> {
    Ok(TargetsPage {
        chrome: Chrome::new(person, "Response targets", "/admin/targets"),
        targets: state.app.get_targets(&person.actor).await?,
        notice,
        errors,
        form,
    })
}

pub async fn admin_targets(State(state): State<AppState>, person: Person) -> Page {
    person.require(Action::ManageTargets)?;
    Ok(view(&state, &person, None, vec![], vec![])
        .await?
        .into_response())
}

/// `POST /admin/targets`: `version` and one field per class and stage (`IV.triage`).
pub async fn admin_targets_replace(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageTargets)?;
    let form = &post.form;
    let sent = form.0.clone();
    let mut errors = vec![];
    let version = match form.get("version").unwrap_or("").trim().parse::<u32>() {
        Ok(v) => v,
        Err(_) => {
            errors.push(FieldError::new("version", "is missing; reload the page"));
            0
        }
    };
    let mut classes = Vec::with_capacity(SeverityClass::ALL.len());
    for class in SeverityClass::ALL {
        let mut minutes = [0u32; 5];
        for (slot, stage) in minutes.iter_mut().zip(Stage::ALL) {
            let name = format!("{class}.{stage}");
            match parse_duration(form.get(&name).unwrap_or("")) {
                Ok(m) if (1..=MAX_TARGET_MINUTES).contains(&m) => *slot = m,
                Ok(_) => errors.push(FieldError::new(
                    name,
                    "must be at least a minute and at most a year (365d)",
                )),
                Err(m) => errors.push(FieldError::new(name, m)),
            }
        }
        classes.push(ClassTargets {
            class: *class,
            triage_minutes: minutes[0],
            assess_minutes: minutes[1],
            confirm_minutes: minutes[2],
            contain_minutes: minutes[3],
            close_minutes: minutes[4],
        });
    }
    if !errors.is_empty() {
        return Ok(invalid(view(&state, person, None, errors, sent).await?));
    }
    // The escalation ladder is kept as it is (the API changes it).
    let escalation = state.app.get_targets(&person.actor).await?.escalation;
    let targets = ResponseTargets {
        version,
        classes,
        escalation,
    };
    match state.app.replace_targets(&person.actor, targets).await {
        Ok(saved) => Ok(view(
            &state,
            person,
            Some(format!(
                "The targets are saved as version {}; every register and record uses them now.",
                saved.version
            )),
            vec![],
            vec![],
        )
        .await?
        .into_response()),
        Err(e) => {
            let errors = form_errors(e)?.into_iter().map(cell_field).collect();
            Ok(invalid(view(&state, person, None, errors, sent).await?))
        }
    }
}

/// Names a refused cell by its input: `classes[3].triage_minutes` is `IV.triage`.
fn cell_field(mut e: FieldError) -> FieldError {
    let named = e.field.strip_prefix("classes[").and_then(|rest| {
        let (index, field) = rest.split_once("].")?;
        let class = SeverityClass::ALL.get(index.parse::<usize>().ok()?)?;
        let stage = field.strip_suffix("_minutes")?;
        Some(format!("{class}.{stage}"))
    });
    if let Some(name) = named {
        e.field = name;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_write_the_same() {
        for (text, minutes) in [
            ("15m", 15),
            ("4h", 240),
            ("3d", 4320),
            ("1h 30m", 90),
            ("1h30m", 90),
            ("90", 90),
            ("1d 12h", 2160),
        ] {
            assert_eq!(parse_duration(text), Ok(minutes), "{text}");
        }
        for bad in ["", "h", "4x", "-1h", "1.5h", "4h 30", "99999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        for minutes in [1, 45, 60, 90, 1440, 2160, 4380] {
            assert_eq!(parse_duration(&duration_text(minutes)), Ok(minutes));
        }
    }

    #[test]
    fn a_refused_row_is_named_by_its_cell() {
        let e = cell_field(FieldError::new("classes[3].assess_minutes", "x"));
        assert_eq!(e.field, "IV.assess");
        assert_eq!(cell_field(FieldError::new("classes", "x")).field, "classes");
    }
}
