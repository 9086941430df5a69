//! Rampart's records as they leave it. For people: the reports of Annex D
//! ([`annex_d`]) as PDF (behind the default `pdf` feature), HTML and
//! Markdown, each sealed with the installation's signature ([`seal`]), and
//! the management summary of a period ([`summary`]).
//! For other tools: a STIX 2.1 bundle ([`stix`]), a MISP event ([`misp`])
//! or an IODEF v2 document ([`iodef`]) of an incident, made for an audience whose TLP decides what
//! may go ([`Audience`]).

pub mod annex_d;
pub mod document;
pub mod html;
pub mod iodef;
pub mod markdown;
pub mod misp;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod seal;
pub mod stix;
pub mod summary;

use rampart_domain::{Incident, IncidentObservable, Pap, Tlp};

/// Who an export is for, by the TLP marking they may receive. TLP:RED is
/// never an audience: what is marked RED goes to named people only, never
/// in a file that can be passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audience(Tlp);

impl Audience {
    /// The audience of a TLP marking; RED is refused.
    pub fn new(tlp: Tlp) -> Result<Self, String> {
        if tlp == Tlp::Red {
            return Err("TLP:RED is for named recipients only; exports go to CLEAR, GREEN, AMBER or AMBER+STRICT audiences".into());
        }
        Ok(Self(tlp))
    }

    pub fn tlp(self) -> Tlp {
        self.0
    }

    /// Whether what is marked `tlp` may go to this audience.
    pub fn may_receive(self, tlp: Tlp) -> bool {
        tlp.rank() <= self.0.rank()
    }

    /// Refuses an incident marked more narrowly than this audience.
    pub fn admit(self, incident: &Incident) -> Result<(), String> {
        if self.may_receive(incident.tlp) {
            return Ok(());
        }
        Err(format!(
            "{} is marked TLP:{}; it may not go to a TLP:{} audience",
            incident.number, incident.tlp, self.0
        ))
    }

    /// Whether an observable leaves in an export to this audience: not
    /// removed, marked for this audience or a wider one, and not PAP:RED
    /// (whose indicators stay with the ISIRT).
    pub fn shares(self, o: &IncidentObservable) -> bool {
        !o.is_removed() && self.may_receive(o.tlp) && o.pap != Pap::Red
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audience_receives_its_marking_and_wider_ones_only() {
        assert!(Audience::new(Tlp::Red).is_err());
        let amber = Audience::new(Tlp::Amber).unwrap();
        assert!(amber.may_receive(Tlp::Clear) && amber.may_receive(Tlp::Amber));
        assert!(!amber.may_receive(Tlp::AmberStrict) && !amber.may_receive(Tlp::Red));
        let strict = Audience::new(Tlp::AmberStrict).unwrap();
        assert!(strict.may_receive(Tlp::AmberStrict) && !strict.may_receive(Tlp::Red));
    }
}
