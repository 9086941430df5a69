//! Rampart's intake benchmark lives in `benches/intake.rs`. It is a crate of
//! its own so that it is built as the `rampart` binary is: the browser
//! driver the end-to-end tests use changes how `serde_json` keeps objects,
//! which a benchmark in the `rampart` package would inherit.
