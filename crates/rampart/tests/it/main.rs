//! Rampart's integration tests: the real router on a loopback port, the real
//! binary for command-line behaviour, on SQLite always and on PostgreSQL when
//! `RAMPART_TEST_DATABASE_URL` is set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod helpers;

mod backup;
mod bad_input;
mod browser;
mod checkpoint_notes;
mod cli;
mod clocks;
mod communications;
mod contacts;
mod dashboard;
mod disk;
mod documents;
mod evidence;
mod evidence_insider;
mod evidence_triage;
mod evidence_web;
mod exercises;
mod exports;
mod figures;
mod hostile;
mod improvements;
mod incident_record;
mod intake;
mod jobs;
mod lifecycle;
mod merge;
mod metrics;
mod migrate;
mod nodes;
mod notifications;
mod observables;
mod openapi;
mod outbox;
mod pap;
mod playbooks;
mod records;
mod reports;
mod scale;
mod sessions;
mod shutdown;
mod syslog;
mod syslog_tls;
mod targets;
mod teams;
mod thehive;
mod timeline;
mod tokens;
mod triage;
mod upgrade;
mod web;
mod webhooks;
