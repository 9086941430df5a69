//! The three lifecycles of ISO/IEC 27035 as explicit state machines. Each
//! status lists the statuses it may move to; everything else is refused.

use crate::DomainError;
use crate::classification::wire_enum;

/// A status type with a transition table.
pub trait Lifecycle: Copy + Eq + std::fmt::Display + 'static {
    /// Every status, in lifecycle order.
    fn all() -> &'static [Self];
    /// The statuses this one may move to.
    fn targets(self) -> &'static [Self];

    fn can_become(self, to: Self) -> bool {
        self.targets().contains(&to)
    }

    /// Checks one move, naming the current status and the allowed targets when refused.
    fn check(self, to: Self, entity: &str) -> Result<(), DomainError> {
        if self.can_become(to) {
            Ok(())
        } else {
            Err(DomainError::IllegalTransition {
                entity: entity.to_owned(),
                current: self.to_string(),
                requested: to.to_string(),
                allowed: self.targets().iter().map(ToString::to_string).collect(),
            })
        }
    }
}

wire_enum!(
    /// `reported -> triage -> {false_alarm | handled_locally | escalated}`;
    /// an escalated event is rejected by the ISIRT (`not_incident`) or joins an incident (`linked`).
    EventStatus {
        Reported => "reported",
        Triage => "triage",
        FalseAlarm => "false_alarm",
        HandledLocally => "handled_locally",
        Escalated => "escalated",
        NotIncident => "not_incident",
        Linked => "linked",
    }
);

impl Lifecycle for EventStatus {
    fn all() -> &'static [Self] {
        Self::ALL
    }

    fn targets(self) -> &'static [Self] {
        use EventStatus::*;
        match self {
            // The PoC may assess straight from the queue; triage records who took it.
            Reported => &[Triage, FalseAlarm, HandledLocally, Escalated],
            Triage => &[FalseAlarm, HandledLocally, Escalated],
            Escalated => &[NotIncident, Linked],
            FalseAlarm | HandledLocally | NotIncident | Linked => &[],
        }
    }
}

wire_enum!(
    /// `confirmed -> responding -> {crisis <-> responding} -> recovering -> closed -> reviewed`,
    /// with reopening of a closed (or reviewed) incident.
    IncidentStatus {
        Confirmed => "confirmed",
        Responding => "responding",
        Crisis => "crisis",
        Recovering => "recovering",
        Closed => "closed",
        Reviewed => "reviewed",
    }
);

impl IncidentStatus {
    /// Open incidents take new events and appear in the working queue.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Reviewed)
    }
}

impl Lifecycle for IncidentStatus {
    fn all() -> &'static [Self] {
        Self::ALL
    }

    fn targets(self) -> &'static [Self] {
        use IncidentStatus::*;
        match self {
            // An emergency may go to the crisis function at once.
            Confirmed => &[Responding, Crisis],
            Responding => &[Crisis, Recovering],
            Crisis => &[Responding],
            // A relapse during recovery goes back to responding.
            Recovering => &[Responding, Closed],
            // Reopening (back to responding) needs a reason, like every move.
            Closed => &[Reviewed, Responding],
            Reviewed => &[Responding],
        }
    }
}

wire_enum!(
    /// `reported -> assessed -> {confirmed | not_confirmed}`; a confirmed
    /// vulnerability ends `resolved` or `accepted`.
    VulnerabilityStatus {
        Reported => "reported",
        Assessed => "assessed",
        Confirmed => "confirmed",
        NotConfirmed => "not_confirmed",
        Resolved => "resolved",
        Accepted => "accepted",
    }
);

impl Lifecycle for VulnerabilityStatus {
    fn all() -> &'static [Self] {
        Self::ALL
    }

    fn targets(self) -> &'static [Self] {
        use VulnerabilityStatus::*;
        match self {
            // `assessed` marks an assessment under way; a quick one may conclude at once.
            Reported => &[Assessed, Confirmed, NotConfirmed],
            Assessed => &[Confirmed, NotConfirmed],
            Confirmed => &[Resolved, Accepted],
            NotConfirmed | Resolved | Accepted => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every pair is refused unless it is in the table, and the refusal names
    /// the current status and the allowed targets.
    fn refuses_all_but_the_table<S: Lifecycle>() {
        for &from in S::all() {
            for &to in S::all() {
                let result = from.check(to, "X");
                assert_eq!(
                    result.is_ok(),
                    from.targets().contains(&to),
                    "{from} -> {to}"
                );
                if let Err(DomainError::IllegalTransition {
                    current, allowed, ..
                }) = result
                {
                    assert_eq!(current, from.to_string());
                    assert_eq!(allowed.len(), from.targets().len());
                }
            }
        }
    }

    #[test]
    fn illegal_transitions_are_refused() {
        refuses_all_but_the_table::<EventStatus>();
        refuses_all_but_the_table::<IncidentStatus>();
        refuses_all_but_the_table::<VulnerabilityStatus>();
    }

    #[test]
    fn the_spec_paths_are_legal() {
        use IncidentStatus::*;
        let path = [
            Confirmed, Responding, Crisis, Responding, Recovering, Closed, Reviewed, Responding,
        ];
        for pair in path.windows(2) {
            assert!(
                pair[0].check(pair[1], "INC").is_ok(),
                "{} -> {}",
                pair[0],
                pair[1]
            );
        }
        use EventStatus as E;
        for path in [
            vec![E::Reported, E::Triage, E::FalseAlarm],
            vec![E::Reported, E::HandledLocally],
            vec![E::Reported, E::Triage, E::Escalated, E::Linked],
            vec![E::Reported, E::Escalated, E::NotIncident],
        ] {
            assert!(path.windows(2).all(|p| p[0].can_become(p[1])), "{path:?}");
        }
        use VulnerabilityStatus as V;
        for path in [
            vec![V::Reported, V::Assessed, V::Confirmed, V::Resolved],
            vec![V::Reported, V::Confirmed, V::Accepted],
            vec![V::Reported, V::Assessed, V::NotConfirmed],
        ] {
            assert!(path.windows(2).all(|p| p[0].can_become(p[1])), "{path:?}");
        }
    }

    /// A random walk that only takes legal moves is accepted at every step,
    /// and every status is reachable from the first.
    fn walk<S: Lifecycle + std::fmt::Debug>(choices: &[usize]) -> Result<(), TestCaseError> {
        let mut at = S::all()[0];
        for &c in choices {
            let targets = at.targets();
            if targets.is_empty() {
                break;
            }
            let to = targets[c % targets.len()];
            prop_assert!(at.check(to, "X").is_ok());
            at = to;
        }
        Ok(())
    }

    fn reachable<S: Lifecycle + std::fmt::Debug>() {
        let mut seen = vec![S::all()[0]];
        let mut i = 0;
        while i < seen.len() {
            for &t in seen[i].targets() {
                if !seen.contains(&t) {
                    seen.push(t);
                }
            }
            i += 1;
        }
        assert_eq!(seen.len(), S::all().len(), "unreachable statuses");
    }

    #[test]
    fn every_status_is_reachable() {
        reachable::<EventStatus>();
        reachable::<IncidentStatus>();
        reachable::<VulnerabilityStatus>();
    }

    proptest! {
        #[test]
        fn legal_walks_are_accepted(choices in proptest::collection::vec(0usize..8, 0..40)) {
            walk::<EventStatus>(&choices)?;
            walk::<IncidentStatus>(&choices)?;
            walk::<VulnerabilityStatus>(&choices)?;
        }

        #[test]
        fn random_moves_match_the_table(from in 0usize..6, to in 0usize..6) {
            let all = IncidentStatus::ALL;
            let (f, t) = (all[from % all.len()], all[to % all.len()]);
            prop_assert_eq!(f.check(t, "X").is_ok(), f.targets().contains(&t));
        }
    }
}
