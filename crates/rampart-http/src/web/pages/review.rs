//! A record's lessons-learned section, on an incident's page and on a
//! confirmed vulnerability's: the current review with the improvement
//! actions it made, and the form that records the next version.

use rampart_domain::{Action, ImprovementAction, Review, ReviewOf, Timestamp};

use super::local_input;
use crate::AppState;
use crate::web::WebError;
use crate::web::form::FormData;
use crate::web::session::Person;

/// The section as the page shows it.
pub struct ReviewSection {
    /// The review in force, if one was recorded.
    pub current: Option<Review>,
    /// The viewer may record a (new version of the) review now.
    pub may_review: bool,
    /// The form, filled in.
    pub form: ReviewForm,
    /// The improvement actions its reviews made, tracked to closure.
    pub tracked: Vec<ImprovementAction>,
    /// Who may own an improvement action, offered in its row.
    pub people: Vec<String>,
    /// Where the form posts.
    pub action: String,
    /// What the incidents named as having the same root cause are for
    /// this kind of record: the heading, and the form field's label.
    pub recurrence: (&'static str, &'static str),
    pub now: Timestamp,
}

impl ReviewSection {
    /// `open` says whether the record is where a review may be recorded.
    pub async fn new(
        state: &AppState,
        person: &Person,
        source: ReviewOf,
        current: Option<&Review>,
        open: bool,
        posted: &FormData,
        people: Vec<String>,
    ) -> Result<Self, WebError> {
        let tracked = if current.is_some() {
            state
                .app
                .improvements(
                    &person.actor,
                    rampart_app::ImprovementQuery {
                        source: Some(source),
                        limit: rampart_app::MAX_PAGE,
                        ..Default::default()
                    },
                )
                .await?
        } else {
            vec![]
        };
        Ok(Self {
            current: current.cloned(),
            may_review: open && person.may(Action::RecordReview),
            form: ReviewForm::new(posted, current),
            tracked,
            people,
            action: format!("{}/review", source.href()),
            recurrence: match source {
                ReviewOf::Incident(_) => (
                    "Same root cause as",
                    "Same root cause as (earlier incidents, one number a line)",
                ),
                ReviewOf::Vulnerability(_) => (
                    "Incidents it lay behind",
                    "Incidents it lay behind (one number a line)",
                ),
            },
            now: state.app.clock().now(),
        })
    }

    /// Shown at all: there is a review, or the viewer may record one.
    pub fn shown(&self) -> bool {
        self.may_review || self.current.is_some()
    }
}

/// The lessons-learned form: the current version's answers, or what was
/// just posted when it was refused, so that saving never drops an answer.
pub struct ReviewForm {
    pub values: FormData,
    /// Rows of the improvements table: those filled in, and two blank ones.
    pub rows: Vec<usize>,
    /// The review form was just posted and refused: show it open.
    pub refused: bool,
}

impl ReviewForm {
    /// Fields of the review form; a posted form holding `lessons` is one.
    pub const MARKER: &'static str = "lessons";

    /// The form as last posted, when that was the review form, else the
    /// current version of the review (or an empty form).
    pub fn new(posted: &FormData, current: Option<&rampart_domain::Review>) -> Self {
        let refused = posted.0.iter().any(|(k, _)| k == Self::MARKER);
        let values = if refused {
            posted.clone()
        } else {
            current.map(Self::of_review).unwrap_or_default()
        };
        let filled = values
            .0
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .filter_map(|(k, _)| {
                k.strip_prefix("improvements.")?
                    .split('.')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .max()
            .map_or(0, |n| n + 1);
        Self {
            values,
            rows: (0..filled + 2).collect(),
            refused,
        }
    }

    fn of_review(r: &rampart_domain::Review) -> FormData {
        let mut f: Vec<(String, String)> = Vec::new();
        let mut put = |k: String, v: String| {
            if !v.is_empty() {
                f.push((k, v));
            }
        };
        let text = |t: &Option<rampart_domain::Text>| {
            t.as_ref().map(|t| t.to_string()).unwrap_or_default()
        };
        put(
            "held_at".into(),
            r.held_at.map(|t| local_input(&t)).unwrap_or_default(),
        );
        put("what_worked".into(), text(&r.what_worked));
        put("detection".into(), text(&r.detection));
        put("response".into(), text(&r.response));
        put("recovery".into(), text(&r.recovery));
        put(
            "communication_effective".into(),
            r.communication_effective
                .map(|b| b.to_string())
                .unwrap_or_default(),
        );
        put("communication_notes".into(), text(&r.communication_notes));
        put(
            "lessons".into(),
            r.lessons
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        );
        put(
            "same_root_cause_as".into(),
            r.same_root_cause_as
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        );
        for (i, m) in r.improvements.iter().enumerate() {
            put(format!("improvements.{i}.what"), m.what.to_string());
            put(format!("improvements.{i}.owner"), m.owner.to_string());
            put(
                format!("improvements.{i}.due"),
                m.due.map(|t| local_input(&t)).unwrap_or_default(),
            );
            if let Some(c) = &m.changes {
                put(format!("improvements.{i}.changes.kind"), c.kind.to_string());
                put(
                    format!("improvements.{i}.changes.target"),
                    c.target.to_string(),
                );
            }
        }
        FormData(f)
    }

    pub fn v(&self, name: &str) -> &str {
        self.values.v(name)
    }

    /// A cell of the improvements table.
    pub fn cell(&self, row: &usize, field: &str) -> String {
        self.values
            .v(&format!("improvements.{row}.{field}"))
            .to_owned()
    }

    pub fn has(&self, name: &str, value: &str) -> bool {
        self.values.has(name, value)
    }

    /// What an improvement may change, for its row's select.
    pub fn change_kinds(&self) -> &'static [rampart_domain::ChangeKind] {
        rampart_domain::ChangeKind::ALL
    }
}
