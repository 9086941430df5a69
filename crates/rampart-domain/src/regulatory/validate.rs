//! The checks an edited rule table must pass before it replaces the current
//! one. Every problem is named by its path, e.g.
//! `regimes[2].reports[0].limits[1].within`.

use super::{Anchor, Limit, Regime, RegulatoryRules, ReportRule};
use crate::error::Problems;
use crate::{DomainError, Text};

/// Most regimes in a table.
pub const MAX_REGIMES: usize = 64;
/// Most calendars in a table.
pub const MAX_CALENDARS: usize = 16;
/// Most reports in a regime.
pub const MAX_REPORTS: usize = 16;
/// Most limits on a report.
pub const MAX_LIMITS: usize = 8;
/// Most checklist questions in a regime.
pub const MAX_QUESTIONS: usize = 32;
/// Longest id, in characters.
pub const MAX_ID: usize = 64;
/// Longest name, reference or recipient, in characters.
pub const MAX_NAME: usize = 200;
/// Longest `applies_when` or question text, in characters.
pub const MAX_PROSE: usize = 2000;

/// What is wrong with an id, if anything: ids are a lowercase letter, then
/// lowercase letters, digits, `_` or `-`.
pub(super) fn slug_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("must not be empty".to_owned());
    }
    if id.chars().count() > MAX_ID {
        return Some(format!("must be at most {MAX_ID} characters"));
    }
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some(format!("`{id}` must start with a lowercase letter"));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Some(format!(
            "`{id}` may only hold lowercase letters, digits, `_` and `-`"
        ));
    }
    None
}

pub(super) fn check_slug(p: &mut Problems, path: &str, id: &str) {
    if let Some(problem) = slug_problem(id) {
        p.push(path, problem);
    }
}

fn check_text(p: &mut Problems, path: &str, text: &str, max: usize) {
    if let Err(problem) = Text::new(text) {
        p.push(path, problem);
    } else if text.chars().count() > max {
        p.push(path, format!("must be at most {max} characters"));
    }
}

/// A name, reference or recipient: present, short, no control characters.
pub(super) fn check_name(p: &mut Problems, path: &str, text: &str) {
    check_text(p, path, text, MAX_NAME);
}

fn check_count(p: &mut Problems, path: &str, len: usize, max: usize) {
    if len > max {
        p.push(path, format!("must have at most {max} entries (got {len})"));
    }
}

/// Pushes an error at `{path}[i].id` for each id used before.
fn check_unique<'a>(p: &mut Problems, path: &str, ids: impl Iterator<Item = &'a str>) {
    let ids: Vec<&str> = ids.collect();
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            p.push(
                format!("{path}[{i}].id"),
                format!("`{id}` is used by an earlier entry"),
            );
        }
    }
}

impl RegulatoryRules {
    /// Checks a table before it replaces the current one.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut p = Problems::default();
        check_count(&mut p, "calendars", self.calendars.len(), MAX_CALENDARS);
        check_count(&mut p, "regimes", self.regimes.len(), MAX_REGIMES);
        for (i, calendar) in self.calendars.iter().enumerate() {
            calendar.check(&format!("calendars[{i}]"), &mut p);
        }
        check_unique(
            &mut p,
            "calendars",
            self.calendars.iter().map(|c| c.id.as_str()),
        );
        for (i, regime) in self.regimes.iter().enumerate() {
            self.check_regime_rule(&format!("regimes[{i}]"), regime, &mut p);
        }
        check_unique(
            &mut p,
            "regimes",
            self.regimes.iter().map(|r| r.id.as_str()),
        );
        p.into_result()
    }

    fn check_regime_rule(&self, path: &str, regime: &Regime, p: &mut Problems) {
        check_slug(p, &format!("{path}.id"), &regime.id);
        check_name(p, &format!("{path}.name"), &regime.name);
        check_name(p, &format!("{path}.reference"), &regime.reference);
        check_text(
            p,
            &format!("{path}.applies_when"),
            &regime.applies_when,
            MAX_PROSE,
        );
        check_checklist(path, regime, p);
        let reports = format!("{path}.reports");
        if regime.reports.is_empty() {
            p.push(&reports, "must list at least one report");
        }
        check_count(p, &reports, regime.reports.len(), MAX_REPORTS);
        for (j, report) in regime.reports.iter().enumerate() {
            self.check_report_rule(&format!("{reports}[{j}]"), regime, report, p);
        }
        check_unique(p, &reports, regime.reports.iter().map(|r| r.id.as_str()));
    }

    fn check_report_rule(
        &self,
        path: &str,
        regime: &Regime,
        report: &ReportRule,
        p: &mut Problems,
    ) {
        check_slug(p, &format!("{path}.id"), &report.id);
        check_name(p, &format!("{path}.name"), &report.name);
        check_name(p, &format!("{path}.recipient"), &report.recipient);
        if let Some(id) = &report.calendar
            && self.calendar(id).is_none()
        {
            p.push(
                format!("{path}.calendar"),
                format!("`{id}` names no calendar of this table"),
            );
        }
        let limits = format!("{path}.limits");
        if report.limits.is_empty() {
            p.push(
                &limits,
                "must have at least one limit: the moment the clock starts",
            );
        }
        check_count(p, &limits, report.limits.len(), MAX_LIMITS);
        for (k, limit) in report.limits.iter().enumerate() {
            let path = format!("{limits}[{k}]");
            check_within(&path, report, limit, p);
            check_from(&path, regime, report, k, p);
        }
    }
}

fn check_checklist(path: &str, regime: &Regime, p: &mut Problems) {
    let checklist = format!("{path}.checklist");
    check_count(p, &checklist, regime.checklist.len(), MAX_QUESTIONS);
    for (q, question) in regime.checklist.iter().enumerate() {
        check_slug(p, &format!("{checklist}[{q}].id"), &question.id);
        check_text(
            p,
            &format!("{checklist}[{q}].text"),
            &question.text,
            MAX_PROSE,
        );
    }
    check_unique(
        p,
        &checklist,
        regime.checklist.iter().map(|q| q.id.as_str()),
    );
}

/// Business days are refused without a calendar rather than counted on a
/// built-in one: a legal deadline that silently ignores holidays is the kind
/// of error nobody notices until it is too late.
fn check_within(path: &str, report: &ReportRule, limit: &Limit, p: &mut Problems) {
    let field = format!("{path}.within");
    if let Err(problem) = limit.within.check() {
        p.push(field, problem);
    } else if limit.within.is_business_days() && report.calendar.is_none() {
        p.push(
            field,
            "counts business days, so the report must name a calendar",
        );
    }
}

fn check_from(path: &str, regime: &Regime, report: &ReportRule, k: usize, p: &mut Problems) {
    let field = format!("{path}.from");
    let from = &report.limits[k].from;
    if report.limits[..k].iter().any(|l| l.from == *from) {
        p.push(
            field,
            format!("an earlier limit already starts at `{from}`"),
        );
        return;
    }
    let Some(other) = from.report() else {
        return;
    };
    if other == report.id {
        p.push(field, "must not be the report's own submission");
    } else if regime.report(other).is_none() {
        p.push(field, format!("`{other}` names no report of this regime"));
    } else if waits_for(regime, other, &report.id) {
        p.push(
            field,
            format!(
                "`{other}` itself waits for `{}`: the anchors form a cycle",
                report.id
            ),
        );
    }
}

/// Whether `start`'s limits lead, through submissions, to `target`.
/// Visits each report at most once, so a cycle elsewhere ends the walk.
fn waits_for(regime: &Regime, start: &str, target: &str) -> bool {
    let mut seen: Vec<&str> = Vec::new();
    let mut queue: Vec<&str> = vec![start];
    while let Some(id) = queue.pop() {
        if id == target {
            return true;
        }
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        let next = regime
            .report(id)
            .into_iter()
            .flat_map(|r| r.limits.iter())
            .filter_map(|l| match &l.from {
                Anchor::Submitted(other) => Some(other.as_str()),
                Anchor::Moment(_) => None,
            });
        queue.extend(next);
    }
    false
}
