//! The people of the scheme (27035-2: the ISIRT and the points of contact):
//! teams, who leads them, their on-call rota and the hand-overs between
//! shifts.
//!
//! A team answers for one duty: the point of contact (receiving and
//! triaging reports) or the ISIRT (handling incidents). An organisation may
//! have several of each (ICT and physical security, two sites). Its rota is
//! a rotation, people taking turns for a fixed number of hours from a start,
//! with covers on top: someone on duty for a stretch instead of whoever the
//! rotation names (a swap, a holiday). Who is on duty at any instant is
//! worked out from these, so the rota needs no job to move on.

use serde::{Deserialize, Serialize};

use crate::classification::wire_enum;
use crate::{DomainError, IncidentNumber, Problems, Text, Timestamp, parse_user_name};

/// Most members of one team.
pub const MAX_MEMBERS: usize = 100;
/// Most people in one rotation.
pub const MAX_ROTATION: usize = 50;
/// Longest shift of a rotation, in hours (four weeks).
pub const MAX_SHIFT_HOURS: u32 = 672;
/// Most covers a team keeps that have not ended long ago.
pub const MAX_COVERS: usize = 200;
/// Covers that ended this many days before a change leave the record (the
/// journal keeps them).
pub const COVERS_KEPT_DAYS: i64 = 30;
/// Hand-overs a team keeps in its record, the latest (the journal keeps all).
pub const HANDOVERS_KEPT: usize = 100;
/// Most teams.
pub const MAX_TEAMS: usize = 100;
/// Most incidents named in one hand-over.
pub const MAX_HANDED_OVER: usize = 200;

crate::slug::slug_id!(
    /// What names a team, e.g. `ict-isirt`.
    TeamId,
    "A team's id",
    "ict-isirt"
);

wire_enum!(
    /// What a team's on-call answers for.
    Duty {
        /// Receiving and triaging reports of events.
        Poc => "poc",
        /// Handling incidents.
        Isirt => "isirt",
    }
);

impl Duty {
    pub fn title(self) -> &'static str {
        match self {
            Self::Poc => "Point of contact",
            Self::Isirt => "ISIRT",
        }
    }
}

/// People taking turns on duty, each for `shift_hours`, in this order, from
/// `starts_at` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// User names, in turn; a name may come more than once.
    pub people: Vec<String>,
    /// 1 to 672 hours.
    pub shift_hours: u32,
    /// When the first person's first shift starts.
    pub starts_at: Timestamp,
}

/// Someone on duty for a stretch instead of whoever the rotation names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cover {
    pub id: u32,
    pub person: String,
    pub from: Timestamp,
    pub until: Timestamp,
    pub reason: Option<Text>,
    pub by: String,
    pub at: Timestamp,
}

/// The hand-over at the end of a shift: what the outgoing person passed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Handover {
    pub id: u32,
    /// Who handed over (whoever records it).
    pub from: String,
    /// Who takes over.
    pub to: String,
    pub at: Timestamp,
    /// What was handed over: the state of things, what to watch.
    pub note: Text,
    /// The open incidents handed over.
    pub incidents: Vec<IncidentNumber>,
    /// What authority passes with it (e.g. "coordinator of INC-2026-0042,
    /// may approve containment"); none: only the information.
    pub authority: Option<Text>,
}

/// A team's settings, as created or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamSettings {
    pub name: Text,
    pub duty: Duty,
    pub description: Option<Text>,
    pub lead: String,
    pub members: Vec<String>,
    pub rotation: Option<Rotation>,
}

impl TeamSettings {
    /// Checks every field, naming each that is wrong; members come sorted
    /// and once each, the lead among them.
    pub fn normalise(mut self) -> Result<Self, DomainError> {
        let mut problems = Problems::default();
        if self.name.as_str().chars().count() > 200 {
            problems.push("name", "must be at most 200 characters");
        }
        if let Err(m) = parse_user_name(&self.lead) {
            problems.push("lead", m);
        }
        if !self.members.contains(&self.lead) {
            self.members.push(self.lead.clone());
        }
        self.members.sort();
        self.members.dedup();
        if self.members.len() > MAX_MEMBERS {
            problems.push("members", format!("at most {MAX_MEMBERS} people"));
        }
        for m in &self.members {
            if let Err(e) = parse_user_name(m) {
                problems.push("members", format!("{m}: {e}"));
            }
        }
        if let Some(r) = &self.rotation {
            if r.people.is_empty() || r.people.len() > MAX_ROTATION {
                problems.push(
                    "rotation.people",
                    format!("must name 1 to {MAX_ROTATION} people in turn"),
                );
            }
            for p in &r.people {
                if !self.members.contains(p) {
                    problems.push(
                        "rotation.people",
                        format!("{p} is not a member of the team"),
                    );
                }
            }
            if !(1..=MAX_SHIFT_HOURS).contains(&r.shift_hours) {
                problems.push(
                    "rotation.shift_hours",
                    format!("must be 1 to {MAX_SHIFT_HOURS} hours"),
                );
            }
        }
        problems.into_result().map(|()| self)
    }
}

/// A team of the scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: TeamId,
    pub name: Text,
    pub duty: Duty,
    pub description: Option<Text>,
    /// The user who leads it.
    pub lead: String,
    /// User names, sorted; the lead among them.
    pub members: Vec<String>,
    pub rotation: Option<Rotation>,
    /// Covers not ended more than [`COVERS_KEPT_DAYS`] before the last change, by id.
    pub covers: Vec<Cover>,
    /// How many covers were ever added: the next one's id follows it.
    pub covers_added: u32,
    /// The latest [`HANDOVERS_KEPT`] hand-overs, oldest first.
    pub handovers: Vec<Handover>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Who is on duty from when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnDuty {
    pub person: String,
    /// Since when (the start of the shift or cover), when known.
    pub from: Option<Timestamp>,
    /// Until when, when known.
    pub until: Option<Timestamp>,
    /// Whether a cover puts them there rather than the rotation.
    pub covering: bool,
}

impl Team {
    pub fn new(id: TeamId, settings: TeamSettings, by: &str, at: Timestamp) -> Self {
        Self {
            id,
            name: settings.name,
            duty: settings.duty,
            description: settings.description,
            lead: settings.lead,
            members: settings.members,
            rotation: settings.rotation,
            covers: Vec::new(),
            covers_added: 0,
            handovers: Vec::new(),
            created_by: by.to_owned(),
            created_at: at,
            updated_at: at,
        }
    }

    pub fn settings(&self) -> TeamSettings {
        TeamSettings {
            name: self.name.clone(),
            duty: self.duty,
            description: self.description.clone(),
            lead: self.lead.clone(),
            members: self.members.clone(),
            rotation: self.rotation.clone(),
        }
    }

    pub fn apply(&mut self, settings: TeamSettings, at: Timestamp) {
        self.name = settings.name;
        self.duty = settings.duty;
        self.description = settings.description;
        self.lead = settings.lead;
        self.members = settings.members;
        self.rotation = settings.rotation;
        self.prune(at);
        self.updated_at = at;
    }

    /// Drops covers that ended long before `at` (the journal keeps them).
    fn prune(&mut self, at: Timestamp) {
        let horizon = at.as_offset() - time::Duration::days(COVERS_KEPT_DAYS);
        self.covers.retain(|c| c.until.as_offset() > horizon);
    }

    /// The rotation's shift holding `at`: its person, start and end.
    fn shift_at(&self, at: Timestamp) -> Option<(String, Timestamp, Timestamp)> {
        let r = self.rotation.as_ref()?;
        if at < r.starts_at || r.people.is_empty() {
            return None;
        }
        let shift = i64::from(r.shift_hours) * 3600;
        let since = (at.as_offset() - r.starts_at.as_offset()).whole_seconds();
        let n = since.div_euclid(shift);
        let index = usize::try_from(n.rem_euclid(i64::try_from(r.people.len()).ok()?)).ok()?;
        let start =
            Timestamp::from_offset(r.starts_at.as_offset() + time::Duration::seconds(n * shift));
        let end = Timestamp::from_offset(start.as_offset() + time::Duration::seconds(shift));
        Some((r.people[index].clone(), start, end))
    }

    /// Who is on duty at `at`: the latest cover holding it, else the rotation.
    pub fn on_duty(&self, at: Timestamp) -> Option<OnDuty> {
        if let Some(c) = self
            .covers
            .iter()
            .rev()
            .find(|c| c.from <= at && at < c.until)
        {
            return Some(OnDuty {
                person: c.person.clone(),
                from: Some(c.from),
                until: Some(c.until),
                covering: true,
            });
        }
        self.shift_at(at).map(|(person, from, until)| OnDuty {
            person,
            from: Some(from),
            until: Some(until),
            covering: false,
        })
    }

    /// Who is on duty next after whoever is at `at`, and from when: the
    /// first moment up to four weeks on when someone else is.
    pub fn next_on_duty(&self, at: Timestamp) -> Option<OnDuty> {
        let now = self.on_duty(at).map(|d| d.person);
        let mut moments: Vec<Timestamp> = self
            .covers
            .iter()
            .flat_map(|c| [c.from, c.until])
            .filter(|t| *t > at)
            .collect();
        if let Some(r) = &self.rotation {
            moments.push(r.starts_at);
            let mut t = at.max(r.starts_at);
            for _ in 0..=r.people.len() {
                match self.shift_at(t) {
                    Some((_, _, end)) => {
                        moments.push(end);
                        t = end;
                    }
                    None => break,
                }
            }
        }
        moments.retain(|t| *t > at);
        moments.sort();
        moments.dedup();
        moments
            .into_iter()
            .filter_map(|t| self.on_duty(t).map(|d| (t, d)))
            .find(|(_, d)| Some(&d.person) != now.as_ref())
            .map(|(t, d)| OnDuty { from: Some(t), ..d })
    }

    /// Adds a cover, checked; returns it.
    pub fn add_cover(
        &mut self,
        person: String,
        from: Timestamp,
        until: Timestamp,
        reason: Option<Text>,
        by: &str,
        at: Timestamp,
    ) -> Result<Cover, DomainError> {
        let mut problems = Problems::default();
        if !self.members.contains(&person) {
            problems.push("person", format!("{person} is not a member of the team"));
        }
        if until <= from {
            problems.push("until", "must be after `from`");
        }
        if until <= at {
            problems.push("until", "must be in the future");
        }
        problems.into_result()?;
        self.prune(at);
        if self.covers.len() >= MAX_COVERS {
            return Err(DomainError::Conflict(format!(
                "{} has {MAX_COVERS} covers already",
                self.id
            )));
        }
        let cover = Cover {
            id: self.covers_added + 1,
            person,
            from,
            until,
            reason,
            by: by.to_owned(),
            at,
        };
        Ok(self.restore_cover(cover))
    }

    /// Puts back a cover as [`Team::add_cover`] recorded it (the replay of
    /// the journal), dropping those ended long before.
    pub fn restore_cover(&mut self, cover: Cover) -> Cover {
        self.prune(cover.at);
        self.covers_added = self.covers_added.max(cover.id);
        self.updated_at = cover.at;
        self.covers.push(cover.clone());
        cover
    }

    /// Records a hand-over from `from` to `to`.
    pub fn hand_over(
        &mut self,
        from: &str,
        to: String,
        note: Text,
        incidents: Vec<IncidentNumber>,
        authority: Option<Text>,
        at: Timestamp,
    ) -> Result<Handover, DomainError> {
        let mut problems = Problems::default();
        if !self.members.contains(&to) {
            problems.push("to", format!("{to} is not a member of the team"));
        }
        if to == from {
            problems.push("to", "must be someone else than who hands over");
        }
        if incidents.len() > MAX_HANDED_OVER {
            problems.push(
                "incidents",
                format!("at most {MAX_HANDED_OVER} incidents in one hand-over"),
            );
        }
        problems.into_result()?;
        let handover = Handover {
            id: self.handovers.last().map_or(1, |h| h.id + 1),
            from: from.to_owned(),
            to,
            at,
            note,
            incidents,
            authority,
        };
        Ok(self.restore_handover(handover))
    }

    /// Puts back a hand-over as [`Team::hand_over`] recorded it, keeping the
    /// latest [`HANDOVERS_KEPT`].
    pub fn restore_handover(&mut self, handover: Handover) -> Handover {
        self.updated_at = handover.at;
        self.handovers.push(handover.clone());
        if self.handovers.len() > HANDOVERS_KEPT {
            let excess = self.handovers.len() - HANDOVERS_KEPT;
            self.handovers.drain(..excess);
        }
        handover
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn team() -> Team {
        let settings = TeamSettings {
            name: Text::new("ICT ISIRT").unwrap(),
            duty: Duty::Isirt,
            description: None,
            lead: "mia".into(),
            members: vec!["ian".into(), "ivy".into()],
            rotation: Some(Rotation {
                people: vec!["ian".into(), "ivy".into()],
                shift_hours: 12,
                starts_at: at("2026-12-01T08:00:00Z"),
            }),
        }
        .normalise()
        .unwrap();
        Team::new(
            TeamId::new("ict-isirt").unwrap(),
            settings,
            "mia",
            at("2026-11-30T00:00:00Z"),
        )
    }

    #[test]
    fn the_rotation_names_who_is_on_duty_and_next() {
        let t = team();
        assert!(t.on_duty(at("2026-12-01T07:59:59Z")).is_none());
        assert_eq!(t.on_duty(at("2026-12-01T08:00:00Z")).unwrap().person, "ian");
        assert_eq!(t.on_duty(at("2026-12-01T19:59:59Z")).unwrap().person, "ian");
        assert_eq!(t.on_duty(at("2026-12-01T20:00:00Z")).unwrap().person, "ivy");
        assert_eq!(t.on_duty(at("2026-12-03T09:00:00Z")).unwrap().person, "ian");
        let next = t.next_on_duty(at("2026-12-01T10:00:00Z")).unwrap();
        assert_eq!(
            (next.person.as_str(), next.from),
            ("ivy", Some(at("2026-12-01T20:00:00Z")))
        );
        let first = t.next_on_duty(at("2026-11-30T10:00:00Z")).unwrap();
        assert_eq!(first.person, "ian");
    }

    #[test]
    fn a_cover_comes_before_the_rotation() {
        let mut t = team();
        let now = at("2026-12-01T09:00:00Z");
        t.add_cover(
            "mia".into(),
            at("2026-12-01T12:00:00Z"),
            at("2026-12-01T14:00:00Z"),
            None,
            "mia",
            now,
        )
        .unwrap();
        assert_eq!(t.on_duty(at("2026-12-01T13:00:00Z")).unwrap().person, "mia");
        assert!(t.on_duty(at("2026-12-01T13:00:00Z")).unwrap().covering);
        assert_eq!(t.on_duty(at("2026-12-01T14:00:00Z")).unwrap().person, "ian");
        let next = t.next_on_duty(now).unwrap();
        assert_eq!(next.person, "mia");
        assert!(
            t.add_cover(
                "zed".into(),
                now,
                at("2026-12-02T00:00:00Z"),
                None,
                "mia",
                now
            )
            .is_err()
        );
        assert!(
            t.add_cover(
                "ivy".into(),
                at("2026-12-02T00:00:00Z"),
                now,
                None,
                "mia",
                now
            )
            .is_err()
        );
    }

    #[test]
    fn the_rotation_is_of_members() {
        let mut s = team().settings();
        s.rotation.as_mut().unwrap().people.push("zed".into());
        assert!(s.normalise().is_err());
        let mut s = team().settings();
        s.rotation.as_mut().unwrap().shift_hours = 0;
        assert!(s.normalise().is_err());
    }

    #[test]
    fn hand_overs_go_to_another_member() {
        let mut t = team();
        let now = at("2026-12-01T20:00:00Z");
        let note = Text::new("Two open incidents; watch the mail gateway").unwrap();
        assert!(
            t.hand_over("ian", "ian".into(), note.clone(), vec![], None, now)
                .is_err()
        );
        assert!(
            t.hand_over("ian", "zed".into(), note.clone(), vec![], None, now)
                .is_err()
        );
        let h = t
            .hand_over("ian", "ivy".into(), note, vec![], None, now)
            .unwrap();
        assert_eq!(h.id, 1);
    }
}
