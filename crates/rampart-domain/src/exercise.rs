//! Exercises: the scheme tested with a scenario whose injects arrive as
//! events at set times after the start. The events and the incidents made
//! of them are exercise records: marked wherever they show, told only to the
//! exercise's audience, left out of the real registers and figures, never
//! starting a regulatory clock, and timed against the same response targets
//! as real ones, so the after-action report can say how the team did.

use serde::{Deserialize, Serialize};

use crate::error::Problems;
use crate::{DomainError, EventNumber, Text, Timestamp, parse_user_name};

crate::slug::slug_id!(
    /// What names an exercise, e.g. `ransomware-drill-2026`.
    ExerciseId,
    "An exercise's id",
    "ransomware-drill"
);

/// Most injects one exercise holds.
pub const MAX_INJECTS: usize = 50;
/// Most people in one exercise's audience.
pub const MAX_AUDIENCE: usize = 100;
/// Most exercises an installation holds.
pub const MAX_EXERCISES: usize = 500;
/// The latest an inject may arrive: a week after the start.
pub const MAX_INJECT_MINUTE: u32 = 10_080;

crate::classification::wire_enum!(
    /// Where an exercise stands.
    ExerciseStatus {
        Planned => "planned",
        Running => "running",
        Ended => "ended",
    }
);

/// One inject of the scenario: an event that arrives `at_minute` minutes
/// after the exercise starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InjectInput {
    /// Minutes after the start (0 to 10080).
    pub at_minute: u32,
    /// The event's title (1-200 characters).
    pub title: Text,
    /// What the event says happened.
    pub description: Text,
}

/// An inject with what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inject {
    pub at_minute: u32,
    pub title: Text,
    pub description: Text,
    /// When it arrived, and as which event; none until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<Delivered>,
}

/// An inject's arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivered {
    pub at: Timestamp,
    pub event: EventNumber,
}

/// A new exercise, as the interfaces send it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExerciseInput {
    /// `ransomware-drill`: 2-64 characters of a-z, 0-9 and '-'.
    pub id: String,
    /// 1-200 characters.
    pub title: Text,
    /// The scenario the players are given, and what it tests.
    pub scenario: Text,
    /// The user names of those who play or watch it: the only people told of
    /// its events and incidents (1 to 100).
    pub audience: Vec<String>,
    /// The injects, each at its minute after the start (1 to 50).
    pub injects: Vec<InjectInput>,
}

/// An exercise with its injects and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Exercise {
    pub id: ExerciseId,
    pub title: Text,
    pub scenario: Text,
    pub audience: Vec<String>,
    /// In the order they arrive.
    pub injects: Vec<Inject>,
    pub status: ExerciseStatus,
    pub created_by: String,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<String>,
}

impl Exercise {
    /// A planned exercise from `input`, every field checked.
    pub fn new(input: ExerciseInput, by: &str, now: Timestamp) -> Result<Self, DomainError> {
        let mut p = Problems::default();
        let id = p.take("id", ExerciseId::new(input.id.trim()));
        if matches!(input.id.trim(), "include" | "only") {
            p.push(
                "id",
                "`include` and `only` name register filters; choose another id",
            );
        }
        if input.title.as_str().chars().count() > 200 {
            p.push("title", "must be at most 200 characters");
        }
        if input.audience.is_empty() || input.audience.len() > MAX_AUDIENCE {
            p.push("audience", format!("name 1 to {MAX_AUDIENCE} people"));
        }
        let mut audience: Vec<String> = Vec::with_capacity(input.audience.len());
        for (i, name) in input.audience.iter().enumerate() {
            match parse_user_name(name.trim()) {
                Ok(n) if audience.contains(&n) => {
                    p.push(format!("audience[{i}]"), format!("{n} is named twice"));
                }
                Ok(n) => audience.push(n),
                Err(m) => p.push(format!("audience[{i}]"), m),
            }
        }
        if input.injects.is_empty() || input.injects.len() > MAX_INJECTS {
            p.push("injects", format!("give 1 to {MAX_INJECTS} injects"));
        }
        for (i, inject) in input.injects.iter().enumerate() {
            if inject.at_minute > MAX_INJECT_MINUTE {
                p.push(
                    format!("injects[{i}].at_minute"),
                    format!("must be at most {MAX_INJECT_MINUTE} (a week after the start)"),
                );
            }
            if inject.title.as_str().chars().count() > 200 {
                p.push(
                    format!("injects[{i}].title"),
                    "must be at most 200 characters",
                );
            }
        }
        p.into_result()?;
        let Some(id) = id else {
            unreachable!("a refused id is a problem above")
        };
        let mut injects: Vec<Inject> = input
            .injects
            .into_iter()
            .map(|i| Inject {
                at_minute: i.at_minute,
                title: i.title,
                description: i.description,
                delivered: None,
            })
            .collect();
        injects.sort_by_key(|i| i.at_minute);
        Ok(Self {
            id,
            title: input.title,
            scenario: input.scenario,
            audience,
            injects,
            status: ExerciseStatus::Planned,
            created_by: by.to_owned(),
            created_at: now,
            started_at: None,
            started_by: None,
            ended_at: None,
            ended_by: None,
        })
    }

    /// Starts a planned exercise: its injects fall due from now.
    pub fn start(&mut self, by: &str, now: Timestamp) -> Result<(), DomainError> {
        if self.status != ExerciseStatus::Planned {
            return Err(DomainError::Conflict(format!(
                "exercise {} is {}; only a planned exercise starts",
                self.id, self.status
            )));
        }
        self.status = ExerciseStatus::Running;
        self.started_at = Some(now);
        self.started_by = Some(by.to_owned());
        Ok(())
    }

    /// Ends a running exercise: injects not yet arrived never will.
    pub fn end(&mut self, by: &str, now: Timestamp) -> Result<(), DomainError> {
        if self.status != ExerciseStatus::Running {
            return Err(DomainError::Conflict(format!(
                "exercise {} is {}; only a running exercise ends",
                self.id, self.status
            )));
        }
        self.status = ExerciseStatus::Ended;
        self.ended_at = Some(now);
        self.ended_by = Some(by.to_owned());
        Ok(())
    }

    /// When inject `index` is due, once the exercise has started.
    pub fn due_at(&self, index: usize) -> Option<Timestamp> {
        let start = self.started_at?;
        let inject = self.injects.get(index)?;
        Some(Timestamp::from_offset(
            start.as_offset() + time::Duration::minutes(i64::from(inject.at_minute)),
        ))
    }

    /// Whether inject `index` should arrive now: the exercise runs, it is
    /// due and it has not arrived yet.
    pub fn should_deliver(&self, index: usize, now: Timestamp) -> bool {
        self.awaits(index) && self.due_at(index).is_some_and(|due| due <= now)
    }

    /// Whether inject `index` may still arrive: the exercise runs and it
    /// has not arrived yet.
    pub fn awaits(&self, index: usize) -> bool {
        self.status == ExerciseStatus::Running
            && self
                .injects
                .get(index)
                .is_some_and(|i| i.delivered.is_none())
    }

    /// Records that inject `index` arrived as `event`.
    pub fn delivered(&mut self, index: usize, event: EventNumber, at: Timestamp) {
        if let Some(inject) = self.injects.get_mut(index) {
            inject.delivered = Some(Delivered { at, event });
        }
    }

    /// Whether `user` is told of the exercise's records.
    pub fn told(&self, user: &str) -> bool {
        self.audience.iter().any(|a| a == user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn input() -> ExerciseInput {
        ExerciseInput {
            id: "ransomware-drill".into(),
            title: Text::new("Ransomware drill").unwrap(),
            scenario: Text::new("Files encrypted on the file server").unwrap(),
            audience: vec!["ian".into(), "mia".into()],
            injects: vec![
                InjectInput {
                    at_minute: 30,
                    title: Text::new("Ransom note found").unwrap(),
                    description: Text::new("A note on every share").unwrap(),
                },
                InjectInput {
                    at_minute: 0,
                    title: Text::new("Backups fail").unwrap(),
                    description: Text::new("The nightly job failed").unwrap(),
                },
            ],
        }
    }

    #[test]
    fn injects_fall_due_from_the_start_in_order() {
        let mut x = Exercise::new(input(), "mia", at("2026-12-07T08:00:00Z")).unwrap();
        assert_eq!(x.injects[0].title.as_str(), "Backups fail");
        assert!(
            !x.should_deliver(0, at("2026-12-07T09:00:00Z")),
            "not started"
        );
        x.start("mia", at("2026-12-07T10:00:00Z")).unwrap();
        assert_eq!(x.due_at(1), Some(at("2026-12-07T10:30:00Z")));
        assert!(x.should_deliver(0, at("2026-12-07T10:00:00Z")));
        assert!(!x.should_deliver(1, at("2026-12-07T10:29:59Z")));
        assert!(x.should_deliver(1, at("2026-12-07T10:30:00Z")));
        x.delivered(
            1,
            "EVT-2026-000001".parse().unwrap(),
            at("2026-12-07T10:30:01Z"),
        );
        assert!(!x.should_deliver(1, at("2026-12-07T11:00:00Z")), "once");
        assert!(x.start("mia", at("2026-12-07T11:00:00Z")).is_err());
        x.end("mia", at("2026-12-07T12:00:00Z")).unwrap();
        assert!(!x.should_deliver(0, at("2026-12-07T12:00:00Z")), "ended");
        assert!(x.end("mia", at("2026-12-07T12:00:00Z")).is_err());
    }

    #[test]
    fn bad_input_is_named_by_field() {
        let mut bad = input();
        bad.id = "No Spaces".into();
        bad.audience = vec!["ian".into(), "ian".into(), "Not A Name".into()];
        bad.injects[0].at_minute = MAX_INJECT_MINUTE + 1;
        let e = Exercise::new(bad, "mia", at("2026-12-07T08:00:00Z")).unwrap_err();
        let text = e.to_string();
        for field in ["id", "audience[1]", "audience[2]", "injects[0].at_minute"] {
            assert!(text.contains(field), "{field}: {text}");
        }
        let mut none = input();
        none.injects.clear();
        none.audience.clear();
        let text = Exercise::new(none, "mia", at("2026-12-07T08:00:00Z"))
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("injects") && text.contains("audience"),
            "{text}"
        );
    }
}
