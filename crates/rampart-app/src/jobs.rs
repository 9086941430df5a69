//! Background jobs: work done after a request, or on a clock, by whichever
//! node claims it first, exactly once per job.
//!
//! A job is a row of the `jobs` table under a unique key, so nodes that
//! decide on the same work at once enqueue it once. A node claims a due job
//! for a lease ([`LEASE`] unless set otherwise); a job whose node died is taken over when the
//! lease has run out. A failure is tried again later, waiting twice as long
//! each time ([`backoff`]); after [`MAX_ATTEMPTS`] the job is dead, shown to
//! admins, who may queue it again.
//!
//! Kinds: `checkpoint` signs a checkpoint at the journal's head; `notice`,
//! `mail`, `webhook` and `action_due` tell people of changes and deadlines
//! (see [`crate::notify`]).

use std::sync::Arc;
use std::time::Duration;

use rampart_domain::{Action, Actor, DomainError, JournalAction, Timestamp, journal::JobRequeued};
use rampart_store::{Job, JobState, JournalDraft};

use crate::App;
use crate::AppError;
use crate::unit::{Decided, Unit};

/// Signs a checkpoint at the journal's head.
pub const CHECKPOINT: &str = "checkpoint";
/// How long a node holds a job it claimed before another may take it over,
/// unless [`App::with_job_lease`] says otherwise.
pub const LEASE: Duration = Duration::from_secs(60);
/// Claims of one job before it is dead.
pub const MAX_ATTEMPTS: u32 = 5;
/// How often a node looks for due jobs besides when it enqueues one.
pub const POLL: Duration = Duration::from_secs(5);

/// The wait before attempt `attempts + 1`: 10 s, 20 s, 40 s… at most an hour.
pub fn backoff(attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(9);
    Duration::from_secs(10 << exp).min(Duration::from_secs(3600))
}

fn later(t: Timestamp, by: Duration) -> Timestamp {
    Timestamp::from_offset(t.as_offset() + by)
}

impl App {
    /// The same service holding the jobs it claims for `lease`: longer than
    /// any job takes (an e-mail's SMTP exchange included), short enough that
    /// another node soon finishes the jobs of one that died.
    pub fn with_job_lease(mut self, lease: Duration) -> Self {
        self.job_lease = lease;
        self
    }

    /// Enqueues a job unless its key exists, then runs what is due.
    pub(crate) fn enqueue(&self, kind: &'static str, key: String) {
        let service = self.clone();
        tokio::spawn(async move {
            let now = service.clock.now();
            if let Err(e) = service.store.enqueue_job(kind, &key, "{}", now).await {
                tracing::error!(error = %e, kind, key, "cannot enqueue a job");
                return;
            }
            service.run_due_jobs().await;
        });
    }

    /// Claims and runs due jobs until none is left; returns how many ran.
    pub async fn run_due_jobs(&self) -> usize {
        let _one_runner = self.job_runner.lock().await;
        let mut ran = 0;
        loop {
            let now = self.clock.now();
            let lease = later(now, self.job_lease);
            let job = match self.store.claim_job(&self.node, now, lease).await {
                Ok(Some(job)) => job,
                Ok(None) => return ran,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim a job");
                    return ran;
                }
            };
            ran += 1;
            self.run_claimed(&job).await;
        }
    }

    /// Runs the jobs under `keys` now, those no other node holds: the
    /// request that queued them answers once they ran. What they queue in
    /// turn (e-mail) runs in the background.
    pub(crate) async fn run_jobs_now(&self, keys: &[String]) {
        for key in keys {
            let now = self.clock.now();
            let lease = later(now, self.job_lease);
            match self
                .store
                .claim_job_by_key(key, &self.node, now, lease)
                .await
            {
                Ok(Some(job)) => self.run_claimed(&job).await,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, key, "cannot claim a job"),
            }
        }
        let service = self.clone();
        tokio::spawn(async move { service.run_due_jobs().await });
    }

    /// Runs a job this node claimed and records how it ended.
    async fn run_claimed(&self, job: &Job) {
        let outcome = self.run_job(job).await;
        let now = self.clock.now();
        let result = match &outcome {
            Ok(()) => "done",
            Err(_) if job.attempts < MAX_ATTEMPTS => "retry",
            Err(_) => "dead",
        };
        metrics::counter!(JOBS_RUN, "kind" => job_kind(&job.kind), "result" => result).increment(1);
        let recorded = match outcome {
            Ok(()) => self.store.finish_job(job.id, &self.node, now).await,
            Err(e) => {
                let retry =
                    (job.attempts < MAX_ATTEMPTS).then(|| later(now, backoff(job.attempts)));
                if retry.is_none() {
                    tracing::error!(job = job.id, kind = job.kind, error = %e, "a job failed for the last time; it is dead");
                } else {
                    tracing::warn!(job = job.id, kind = job.kind, error = %e, "a job failed; it will be tried again");
                }
                self.store
                    .fail_job(job.id, &self.node, &e, retry, now)
                    .await
            }
        };
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                job = job.id,
                "a job's lease ran out before it ended; another node may run it again"
            ),
            Err(e) => {
                tracing::error!(job = job.id, error = %e, "cannot record how a job ended")
            }
        }
    }

    /// Runs one job. Boxed: a job may commit units that queue further jobs
    /// and start the runner again.
    fn run_job<'a>(
        &'a self,
        job: &'a Job,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            match job.kind.as_str() {
                CHECKPOINT => self
                    .checkpoint()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                crate::notify::NOTICE => self.run_notice(&job.payload).await,
                crate::notify::MAIL => self.run_mail(&job.payload).await,
                crate::notify::WEBHOOK => self.run_webhook(&job.payload).await,
                crate::notify::ACTION_DUE => self.run_action_due(&job.key, &job.payload).await,
                crate::notify::ESCALATION_PLAN => self.run_escalation_plan(&job.payload).await,
                crate::notify::ESCALATE => self.run_escalate(&job.payload).await,
                crate::improvements::IMPROVEMENT_DUE => {
                    self.run_improvement_due(&job.key, &job.payload).await
                }
                crate::exercises::EXERCISE_INJECT => self.run_exercise_inject(&job.payload).await,
                crate::documents::DOCUMENT_REVIEW => {
                    self.run_document_review(&job.key, &job.payload).await
                }
                other => Err(format!("no such kind of job: {other}")),
            }
        })
    }

    /// Looks for due jobs every [`POLL`] (retries, jobs of nodes that died);
    /// runs until the process ends.
    pub async fn run_jobs_periodically(self: Arc<Self>) {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.run_due_jobs().await;
        }
    }

    /// Jobs newest first, of one state when given, older than the job
    /// `before` when given (admins).
    pub async fn jobs(
        &self,
        actor: &Actor,
        state: Option<JobState>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Job>, AppError> {
        actor.require(Action::ManageJobs)?;
        Ok(self.store.list_jobs(state, before, limit).await?)
    }

    /// Queues a dead job again (admins); journaled as `job.requeued`.
    pub async fn retry_job(&self, actor: &Actor, id: i64) -> Result<(), AppError> {
        actor.require(Action::ManageJobs)?;
        if !self.store.requeue_job(id, self.clock.now()).await? {
            return Err(AppError::Domain(DomainError::Conflict(format!(
                "job {id} does not exist or is not dead"
            ))));
        }
        let unit = Unit::new(&actor.name).decide(move |_| {
            Ok(Decided::new(()).journal(JournalDraft::new(
                format!("job:{id}"),
                JournalAction::JobRequeued(JobRequeued { job: id }),
            )))
        });
        self.run(unit).await?;
        let service = self.clone();
        tokio::spawn(async move { service.run_due_jobs().await });
        Ok(())
    }
}

/// The metric of jobs this node ran, by `kind` and `result` (`done`,
/// `retry`: failed and queued again, `dead`: failed for the last time).
pub const JOBS_RUN: &str = "rampart_jobs_run_total";

/// Every kind of job there is.
pub const JOB_KINDS: [&str; 11] = [
    CHECKPOINT,
    crate::notify::NOTICE,
    crate::notify::MAIL,
    crate::notify::WEBHOOK,
    crate::notify::ACTION_DUE,
    crate::notify::ESCALATION_PLAN,
    crate::notify::ESCALATE,
    crate::improvements::IMPROVEMENT_DUE,
    crate::exercises::EXERCISE_INJECT,
    crate::documents::DOCUMENT_REVIEW,
    "other",
];

/// A job's kind as a metric's label: one of [`JOB_KINDS`].
fn job_kind(kind: &str) -> &'static str {
    JOB_KINDS
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use rampart_domain::{Actor, Clock, Role};
    use rampart_store::{Job, JobState};

    use super::{CHECKPOINT, MAX_ATTEMPTS};
    use crate::ErrorKind;
    use crate::testing::TestApp;

    async fn the_job(t: &TestApp) -> Job {
        let jobs = t.app.jobs(&Actor::system(), None, None, 10).await.unwrap();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        jobs[0].clone()
    }

    #[tokio::test]
    async fn a_checkpoint_job_is_enqueued_once_per_key_and_signs_the_head() {
        let t = TestApp::with_vault().await;
        t.user("pat", &[Role::Poc]).await;
        let (store, now) = (t.app.store(), t.clock.now());
        assert!(store.enqueue_job(CHECKPOINT, "k", "{}", now).await.unwrap());
        assert!(!store.enqueue_job(CHECKPOINT, "k", "{}", now).await.unwrap());
        assert_eq!(t.app.run_due_jobs().await, 1);
        assert_eq!(the_job(&t).await.state, JobState::Done);
        let signed = store.last_checkpoint().await.unwrap().unwrap();
        assert_eq!(signed.seq, store.journal_head().await.unwrap().0);
    }

    #[tokio::test]
    async fn a_failing_job_waits_between_attempts_then_is_dead_until_an_admin_requeues_it() {
        let t = TestApp::new().await;
        let store = t.app.store();
        store
            .enqueue_job("no_such_kind", "k", "{}", t.clock.now())
            .await
            .unwrap();
        assert_eq!(t.app.run_due_jobs().await, 1);
        let job = the_job(&t).await;
        assert_eq!((job.state, job.attempts), (JobState::Queued, 1));
        assert!(job.last_error.is_some_and(|e| e.contains("no such kind")));
        assert_eq!(t.app.run_due_jobs().await, 0, "not due before its back-off");
        for _ in 1..MAX_ATTEMPTS {
            t.clock.advance(time::Duration::hours(1));
            assert_eq!(t.app.run_due_jobs().await, 1);
        }
        let job = the_job(&t).await;
        assert_eq!((job.state, job.attempts), (JobState::Dead, MAX_ATTEMPTS));

        let ian = t.user("ian", &[Role::IsirtMember]).await;
        let refused = t.app.retry_job(&ian, job.id).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
        t.app.retry_job(&Actor::system(), job.id).await.unwrap();
        assert_eq!(t.actions(format!("job:{}", job.id)).await, ["job.requeued"]);
        // Requeued with its attempts counted afresh (a runner may hold it already).
        let again = the_job(&t).await;
        assert!(
            again.state != JobState::Dead && again.attempts <= 1,
            "{again:?}"
        );
    }
}
