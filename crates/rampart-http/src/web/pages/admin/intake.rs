//! Machine intake: the dead letters and the categorization rules, edited as
//! JSON or one rule at a time.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;

use rampart_app::DeadLetter;
use rampart_domain::{Action, CategorizationRule, FieldError, RuleSet};

use crate::AppState;
use crate::web::pages::{Page, invalid, query_form};
use crate::web::session::{FormData, Person, Posted};
use crate::web::view::*;
use crate::web::{WebError, form_errors};

/// A dead letter's message, cut for display.
pub struct LetterRow {
    pub letter: DeadLetter,
    /// The start of the raw message; the rest is left out.
    pub excerpt: String,
    pub cut: bool,
}

/// How much of a dead letter's message the page shows.
pub const LETTER_EXCERPT: usize = 300;

impl LetterRow {
    pub fn of(letter: DeadLetter) -> Self {
        let cut = letter.raw.chars().count() > LETTER_EXCERPT;
        let excerpt = letter.raw.chars().take(LETTER_EXCERPT).collect();
        Self {
            letter,
            excerpt,
            cut,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_intake.html")]
pub struct IntakePage {
    pub chrome: Chrome,
    pub rules: Vec<RuleRow>,
    pub rules_version: u32,
    /// Offers moving and removing rules.
    pub rules_editable: bool,
    /// The rule table as JSON in the editor: the current one, or what was refused.
    pub editor: String,
    pub syslog: rampart_app::intake::SyslogStats,
    pub letters: Vec<LetterRow>,
    pub letters_total: u64,
    /// Showing a later page of dead letters.
    pub later_page: bool,
    pub next_letters: Option<String>,
    /// The add-a-rule form's values, shown again when refused.
    pub values: FormData,
    pub errors: Vec<FieldError>,
    /// Which form was refused: `editor` or `add`.
    pub refused: &'static str,
    pub notice: Option<String>,
}

impl IntakePage {
    pub fn letter_excerpt(&self) -> usize {
        LETTER_EXCERPT
    }
}

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
    let rules = state.app.get_rules(&person.actor).await?;
    let (syslog, _) = state.app.intake_status(&person.actor).await?;
    let cursor = query.get("cursor");
    let (letters, total) = state
        .app
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
/// The form's version and its other part, or every refusal of either.
fn both<A, B>(
    version: Result<A, FieldError>,
    rest: Result<B, Vec<FieldError>>,
) -> Result<(A, B), Vec<FieldError>> {
    match (version, rest) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (version, rest) => Err(version
            .err()
            .into_iter()
            .chain(rest.err().into_iter().flatten())
            .collect()),
    }
}

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
    match state.app.replace_rules(&person.actor, set).await {
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
    let set = match both(posted_version(&post.form), parse_rules(&text)) {
        Ok((version, rules)) => RuleSet { version, rules },
        Err(errors) => {
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
/// refused as the application would refuse it.
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
    let current = state.app.get_rules(&person.actor).await?;
    let version = posted_version(&post.form).and_then(|v| check_version(v, &current).map(|()| v));
    let (version, rule) = match both(version, rule_of_form(&post.form)) {
        Ok(parts) => parts,
        Err(errors) => {
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
    let current = state.app.get_rules(&person.actor).await?;
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
