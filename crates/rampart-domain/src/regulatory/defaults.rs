//! The table Rampart ships with (version 1). It is a starting point, not
//! legal advice: the organisation reviews it, adds its contractual clocks and
//! keeps the holiday calendar current.

use super::{
    Anchor, AnchorKind, Calendar, CalendarDate, Limit, Question, Regime, RegulatoryRules,
    ReportRule, Span, Weekday,
};

/// Observed United States federal holidays of 2026 and 2027 (a holiday on a
/// Saturday is observed the Friday before, on a Sunday the Monday after).
/// Later years must be added by the organisation.
const US_FEDERAL_HOLIDAYS: [(i32, u8, u8); 23] = [
    (2026, 1, 1),
    (2026, 1, 19),
    (2026, 2, 16),
    (2026, 5, 25),
    (2026, 6, 19),
    (2026, 7, 3),
    (2026, 9, 7),
    (2026, 10, 12),
    (2026, 11, 11),
    (2026, 11, 26),
    (2026, 12, 25),
    (2027, 1, 1),
    (2027, 1, 18),
    (2027, 2, 15),
    (2027, 5, 31),
    (2027, 6, 18),
    (2027, 7, 5),
    (2027, 9, 6),
    (2027, 10, 11),
    (2027, 11, 11),
    (2027, 11, 25),
    (2027, 12, 24),
    // New Year's Day 2028 falls on a Saturday.
    (2027, 12, 31),
];

impl RegulatoryRules {
    /// The shipped table: NIS2, GDPR Articles 33 and 34, DORA, SEC Form 8-K
    /// Item 1.05, UK NIS, SOCI sections 30BC and 30BD, NYDFS 500.17 and
    /// CERT-In, with the `us-federal` calendar for the SEC's business days.
    pub fn defaults() -> Self {
        Self {
            version: 1,
            calendars: vec![us_federal()],
            regimes: vec![
                nis2(),
                gdpr_33(),
                gdpr_34(),
                dora(),
                sec_8k(),
                uk_nis(),
                soci_30bc(),
                soci_30bd(),
                nydfs(),
                cert_in(),
            ],
        }
    }
}

fn us_federal() -> Calendar {
    Calendar {
        id: "us-federal".to_owned(),
        name: "United States federal business days".to_owned(),
        weekend: vec![Weekday::Saturday, Weekday::Sunday],
        holidays: US_FEDERAL_HOLIDAYS
            .iter()
            .filter_map(|&(y, m, d)| CalendarDate::from_ymd(y, m, d).ok())
            .collect(),
    }
}

fn after(kind: AnchorKind, within: Span) -> Limit {
    Limit {
        from: Anchor::Moment(kind),
        within,
    }
}

fn after_report(report: &str, within: Span) -> Limit {
    Limit {
        from: Anchor::Submitted(report.to_owned()),
        within,
    }
}

fn report(id: &str, name: &str, recipient: &str, limits: Vec<Limit>) -> ReportRule {
    ReportRule {
        id: id.to_owned(),
        name: name.to_owned(),
        recipient: recipient.to_owned(),
        limits,
        calendar: None,
    }
}

/// `[id, name, reference, applies when]`
fn regime(texts: [&str; 4], checklist: &[(&str, &str)], reports: Vec<ReportRule>) -> Regime {
    let [id, name, reference, applies_when] = texts;
    Regime {
        id: id.to_owned(),
        name: name.to_owned(),
        reference: reference.to_owned(),
        applies_when: applies_when.to_owned(),
        checklist: checklist
            .iter()
            .map(|(id, text)| Question {
                id: (*id).to_owned(),
                text: (*text).to_owned(),
            })
            .collect(),
        reports,
    }
}

fn nis2() -> Regime {
    const TO: &str = "CSIRT or competent authority";
    regime(
        [
            "nis2",
            "NIS2",
            "Directive (EU) 2022/2555, Article 23",
            "A significant incident at an essential or important entity.",
        ],
        &[
            (
                "severe_disruption_or_loss",
                "Has the incident caused, or could it cause, severe operational disruption of the entity's services or financial loss to the entity?",
            ),
            (
                "damage_to_others",
                "Has the incident affected, or could it affect, other natural or legal persons by causing considerable material or non-material damage?",
            ),
        ],
        vec![
            report(
                "early_warning",
                "Early warning",
                TO,
                vec![after(AnchorKind::Aware, Span::Hours(24))],
            ),
            report(
                "incident_notification",
                "Incident notification",
                TO,
                vec![after(AnchorKind::Aware, Span::Hours(72))],
            ),
            // Due whenever the authority asks; recording the request starts the clock.
            report(
                "intermediate_report",
                "Intermediate report",
                TO,
                vec![after(AnchorKind::Requested, Span::Untimed)],
            ),
            report(
                "final_report",
                "Final report",
                TO,
                vec![after_report("incident_notification", Span::Months(1))],
            ),
        ],
    )
}

fn gdpr_33() -> Regime {
    regime(
        [
            "gdpr_33",
            "GDPR Article 33",
            "Regulation (EU) 2016/679, Article 33",
            "A personal data breach, unless it is unlikely to result in a risk to the rights and freedoms of natural persons.",
        ],
        &[],
        vec![report(
            "authority_notification",
            "Notification of the personal data breach",
            "Supervisory authority",
            vec![after(AnchorKind::Aware, Span::Hours(72))],
        )],
    )
}

fn gdpr_34() -> Regime {
    regime(
        [
            "gdpr_34",
            "GDPR Article 34",
            "Regulation (EU) 2016/679, Article 34",
            "A personal data breach likely to result in a high risk to the rights and freedoms of natural persons.",
        ],
        &[],
        // "Without undue delay": an organisation with its own target replaces
        // `untimed` with a number of hours.
        vec![report(
            "data_subject_communication",
            "Communication to the data subjects",
            "The data subjects concerned",
            vec![after(AnchorKind::Aware, Span::Untimed)],
        )],
    )
}

fn dora() -> Regime {
    const TO: &str = "Competent authority";
    regime(
        [
            "dora",
            "DORA",
            "Regulation (EU) 2022/2554, Article 19",
            "A major ICT-related incident at a financial entity.",
        ],
        &[
            (
                "clients_affected",
                "Are clients, financial counterparts or transactions affected in number or value?",
            ),
            (
                "reputational_impact",
                "Has the incident had, or could it have, a reputational impact?",
            ),
            (
                "duration",
                "Is the incident long-lasting, or is a service down for a long time?",
            ),
            (
                "geographic_spread",
                "Does the incident affect two or more member states?",
            ),
            (
                "data_losses",
                "Has the availability, authenticity, integrity or confidentiality of data been lost?",
            ),
            (
                "economic_impact",
                "Are the direct and indirect costs and losses significant?",
            ),
            (
                "critical_services",
                "Are critical or important functions, or services that need authorisation, affected?",
            ),
        ],
        vec![
            // Both limits run: whichever deadline comes first is the one that binds.
            report(
                "initial_notification",
                "Initial notification",
                TO,
                vec![
                    after(AnchorKind::ClassifiedMajor, Span::Hours(4)),
                    after(AnchorKind::Aware, Span::Hours(24)),
                ],
            ),
            report(
                "intermediate_report",
                "Intermediate report",
                TO,
                vec![after_report("initial_notification", Span::Hours(72))],
            ),
            report(
                "final_report",
                "Final report",
                TO,
                vec![after_report("intermediate_report", Span::Months(1))],
            ),
        ],
    )
}

fn sec_8k() -> Regime {
    let mut form = report(
        "form_8k",
        "Form 8-K, Item 1.05",
        "US Securities and Exchange Commission (EDGAR filing)",
        vec![after(
            AnchorKind::MaterialityDetermined,
            Span::BusinessDays(4),
        )],
    );
    form.calendar = Some("us-federal".to_owned());
    regime(
        [
            "sec_8k",
            "SEC Form 8-K Item 1.05",
            "17 CFR 249.308, Form 8-K Item 1.05",
            "A cybersecurity incident that the registrant has determined to be material.",
        ],
        &[],
        vec![form],
    )
}

fn uk_nis() -> Regime {
    regime(
        [
            "uk_nis",
            "UK NIS Regulations",
            "The Network and Information Systems Regulations 2018, regulations 11 and 12",
            "An incident with a significant impact on the continuity of an essential service (OES), or a substantial impact on a digital service (RDSP).",
        ],
        &[],
        vec![report(
            "notification",
            "Incident notification",
            "Designated competent authority (the ICO for digital service providers)",
            vec![after(AnchorKind::Aware, Span::Hours(72))],
        )],
    )
}

fn soci_30bc() -> Regime {
    regime(
        [
            "soci_30bc",
            "SOCI Act s30BC",
            "Security of Critical Infrastructure Act 2018 (Cth), section 30BC",
            "A critical cyber security incident with a significant impact on the availability of a critical infrastructure asset.",
        ],
        &[],
        vec![report(
            "report",
            "Report of a critical cyber security incident",
            "Australian Signals Directorate (ACSC)",
            vec![after(AnchorKind::Aware, Span::Hours(12))],
        )],
    )
}

fn soci_30bd() -> Regime {
    regime(
        [
            "soci_30bd",
            "SOCI Act s30BD",
            "Security of Critical Infrastructure Act 2018 (Cth), section 30BD",
            "A cyber security incident with a relevant impact on a critical infrastructure asset.",
        ],
        &[],
        vec![report(
            "report",
            "Report of a cyber security incident",
            "Australian Signals Directorate (ACSC)",
            vec![after(AnchorKind::Aware, Span::Hours(72))],
        )],
    )
}

fn nydfs() -> Regime {
    regime(
        [
            "nydfs_500_17",
            "NYDFS 23 NYCRR 500.17",
            "23 NYCRR 500.17(a)",
            "A cybersecurity incident at a covered entity, as Part 500 defines it.",
        ],
        &[],
        vec![report(
            "notice",
            "Notice of a cybersecurity incident",
            "New York State Department of Financial Services",
            vec![after(AnchorKind::Determined, Span::Hours(72))],
        )],
    )
}

fn cert_in() -> Regime {
    regime(
        [
            "cert_in",
            "CERT-In directions 2022",
            "CERT-In directions of 28 April 2022 under section 70B(6) of the Information Technology Act, 2000",
            "An incident of a type the directions list.",
        ],
        &[],
        vec![report(
            "report",
            "Incident report",
            "CERT-In",
            vec![after(AnchorKind::Noticed, Span::Hours(6))],
        )],
    )
}
