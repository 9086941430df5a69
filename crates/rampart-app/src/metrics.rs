//! The figures the metrics endpoint reports of the installation's state,
//! read when it is scraped: jobs waiting, running and dead; open incidents
//! by class; the journal's length and the last checkpoint's age; dead
//! letters; and this node's syslog counters. Counters of what happens
//! (requests, reports taken in, batches committed, jobs run) are kept as it
//! happens, where it happens.

use rampart_domain::{SeverityClass, Timestamp};

use crate::{App, AppError};

pub use rampart_store::sql::{BATCH_UNITS, COMMIT_SECONDS};

/// Jobs by `state`: `queued`, `running`, `dead`.
pub const JOBS: &str = "rampart_jobs";
/// Open incidents (exercises left out) by severity `class`.
pub const OPEN_INCIDENTS: &str = "rampart_open_incidents";
/// The journal's length.
pub const JOURNAL_ENTRIES: &str = "rampart_journal_entries";
/// Seconds since the last checkpoint was signed.
pub const CHECKPOINT_AGE: &str = "rampart_checkpoint_age_seconds";
/// Machine messages kept as dead letters.
pub const DEAD_LETTERS: &str = "rampart_intake_dead_letters";
/// This node's syslog messages since start, by `outcome`.
pub const SYSLOG_MESSAGES: &str = "rampart_syslog_messages_total";

impl App {
    /// Sets the figures of the installation's state to what they are now.
    pub async fn observe(&self) -> Result<(), AppError> {
        let g = self.store.gauges().await?;
        for (state, n) in &g.jobs {
            metrics::gauge!(JOBS, "state" => state.as_str()).set(*n as f64);
        }
        for class in SeverityClass::ALL {
            let n = g
                .open_incidents
                .iter()
                .find(|(c, _)| c == class.as_str())
                .map_or(0, |(_, n)| *n);
            metrics::gauge!(OPEN_INCIDENTS, "class" => class.as_str()).set(n as f64);
        }
        metrics::gauge!(JOURNAL_ENTRIES).set(g.journal_entries as f64);
        if let Some(at) = g
            .last_checkpoint
            .as_deref()
            .and_then(|t| Timestamp::parse(t).ok())
        {
            let age = self.clock.now().as_offset() - at.as_offset();
            metrics::gauge!(CHECKPOINT_AGE).set(age.as_seconds_f64().max(0.0));
        }
        metrics::gauge!(DEAD_LETTERS).set(g.dead_letters as f64);
        let s = self.syslog_counters.snapshot();
        for (outcome, n) in [
            ("received", s.received),
            ("accepted", s.created),
            ("repeat", s.duplicates),
            ("dead_letter", s.dead_letters),
            ("dropped", s.dropped),
            ("failed", s.failed),
        ] {
            metrics::counter!(SYSLOG_MESSAGES, "outcome" => outcome).absolute(n);
        }
        Ok(())
    }
}
