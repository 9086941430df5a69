//! Rampart's intake: turns what sensors send into event reports.
//!
//! Pure parsing, no I/O, no async, no ambient time (the receive time is an
//! argument). The layers, each usable alone:
//!
//! - [`framing`] cuts a TCP syslog byte stream into messages (RFC 6587
//!   octet counting or newline framing, detected per message);
//! - [`syslog`] parses one message (RFC 5424 or RFC 3164);
//! - [`cef`] parses ArcSight CEF, usually found in a syslog message's text;
//! - [`shapes`] maps syslog/CEF messages and OCSF or ECS JSON alerts to
//!   [`rampart_domain::EventReport`]s.
//!
//! Every parser returns an error that says what is wrong instead of
//! panicking, whatever the input; property tests and fuzz targets hold them
//! to that.

pub mod cef;
pub mod framing;
pub mod shapes;
pub mod syslog;

mod error;

pub use error::ParseError;
