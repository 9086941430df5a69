//! How long an incident report takes to make: an incident with 10,000 log
//! entries and 1,000 observables (the target: under 2 s), laid out
//! as PDF, HTML and Markdown and sealed. Run with
//! `cargo bench -p rampart-report --bench report`; it prints the median
//! and the slowest of a few runs of each form. Each run starts cold: the
//! typesetter's memory of earlier runs is cleared and the footer differs,
//! as for reports of different incidents; the one-time set-up (fonts,
//! standard library) is timed apart, on a first small report.

use std::time::{Duration, Instant};

use rampart_domain::Incident;
use rampart_report::annex_d::{IncidentSources, incident_report};
use rampart_report::document::Provenance;
use rampart_report::seal::{SealFacts, SealStyle, seal};
use rampart_report::{html, markdown, pdf};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const LOG_ENTRIES: usize = 10_000;
const OBSERVABLES: usize = 1_000;
const RUNS: usize = 5;

fn big_incident() -> Result<Incident, String> {
    let at = "2026-11-01T08:00:00.000000Z";
    let log: Vec<Value> = (1..=LOG_ENTRIES)
        .map(|n| {
            json!({"id": n, "kind": "action",
                   "action": format!("Step {n}: re-imaged host ws-{n:05} and checked its EDR agent"),
                   "decision": if n % 10 == 0 { json!("escalate to the vendor") } else { Value::Null },
                   "reason": if n % 10 == 0 { json!("the agent did not start") } else { Value::Null },
                   "tools": ["EDR console"], "occurred_at": at, "recorded_at": at, "actor": "ian"})
        })
        .collect();
    let observables: Vec<Value> = (1..=OBSERVABLES)
        .map(|n| {
            json!({"id": n, "type": "ip", "value": format!("10.{}.{}.{}", n / 65536, n / 256 % 256, n % 256),
                   "tlp": "AMBER", "pap": "AMBER", "ioc": n % 3 == 0, "sighted": false,
                   "note": "seen in the proxy log", "added_by": "ian", "added_at": at,
                   "updated_by": "ian", "updated_at": at})
        })
        .collect();
    let incident = json!({
        "number": "INC-2026-0042", "status": "responding",
        "title": "Worm spreading through the office network",
        "description": "Hosts in the office network are being infected one after another.",
        "how": "an unpatched file-sharing service", "why": "patching lagged",
        "category": "malware", "scale": "iso27035-annex-c/1",
        "severity": {"class": "III", "label": "Critical", "significant": true, "computed_class": "III",
                     "factors": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
                     "override": null},
        "effort": "high", "priority": 3, "coordinator": "ian", "confirmed_by": "pat",
        "actuality": "actual", "tlp": "AMBER", "events": ["EVT-2026-000001"],
        "related_incidents": [], "assets": ["office network"], "impact": "office work stopped",
        "occurred_at": at, "discovered_at": at, "reported_at": at, "aware_at": at, "confirmed_at": at,
        "contained_at": null, "ended_at": null, "impact_ended_at": null, "closed_at": null,
        "resolution": null, "perpetrator": null, "motivation": null, "recovery_cost": null,
        "conclusion": null, "log": log, "actions": [], "review": null, "updated_at": at,
        "observables": observables,
    });
    serde_json::from_value(incident).map_err(|e| format!("the incident does not read: {e}"))
}

fn main() -> Result<(), String> {
    let incident = big_incident()?;
    let provenance = Provenance {
        seq: 123_456,
        head: "ab".repeat(32),
        key: "cd".repeat(32),
        made_at: "2026-11-01 08:00:00 UTC".into(),
        made_by: "ian".into(),
    };
    let facts = SealFacts {
        kind: "incident".into(),
        number: "INC-2026-0042".into(),
        seq: 123_456,
        head: "ab".repeat(32),
        made: "2026-11-01T08:00:00Z".into(),
        key: "cd".repeat(32),
    };
    // A stand-in for the installation key's signature: one hash, as cheap.
    let sign = |m: &[u8]| hex::encode(Sha256::digest(m));
    println!(
        "incident report of {LOG_ENTRIES} log entries and {OBSERVABLES} observables, {RUNS} runs each"
    );
    let start = Instant::now();
    let mut small = big_incident()?;
    small.log.truncate(1);
    small.observables.truncate(1);
    pdf::render(&incident_report(
        IncidentSources {
            incident: &small,
            events: &[],
            evidence: Some(&[]),
        },
        provenance.clone(),
    ))?;
    println!(
        "one-time set-up and a one-page report: {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    for form in ["pdf", "html", "markdown"] {
        let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
        let mut size = 0;
        let mut pages = String::new();
        for run in 0..RUNS {
            typst::comemo::evict(0);
            let start = Instant::now();
            let report = incident_report(
                IncidentSources {
                    incident: &incident,
                    events: &[],
                    evidence: Some(&[]),
                },
                Provenance {
                    seq: provenance.seq + run as u64,
                    ..provenance.clone()
                },
            );
            let (content, style) = match form {
                "pdf" => (pdf::render(&report)?, SealStyle::Pdf),
                "html" => (html::render(&report).into_bytes(), SealStyle::Comment),
                _ => (markdown::render(&report).into_bytes(), SealStyle::Comment),
            };
            let sealed = seal(content, style, &facts, sign);
            times.push(start.elapsed());
            size = sealed.len();
            if let Some(dir) = std::env::var_os("RAMPART_REPORT_SAMPLES") {
                let file = std::path::Path::new(&dir).join(format!("big-report.{form}"));
                std::fs::write(file, &sealed).map_err(|e| e.to_string())?;
            }
            if form == "pdf" {
                pages = format!(
                    ", {} pages",
                    sealed.windows(11).filter(|w| w == b"/Type /Page").count()
                        + sealed.windows(10).filter(|w| w == b"/Type/Page").count()
                );
            }
        }
        times.sort();
        println!(
            "{form:>9}: median {:>7.1} ms, slowest {:>7.1} ms, {} KiB{pages}",
            times[RUNS / 2].as_secs_f64() * 1e3,
            times[RUNS - 1].as_secs_f64() * 1e3,
            size / 1024
        );
    }
    Ok(())
}
