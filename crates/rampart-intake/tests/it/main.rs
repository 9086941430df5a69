//! The intake layers together, as a syslog listener uses them.

#![allow(clippy::unwrap_used, reason = "test code")]

mod stream;
