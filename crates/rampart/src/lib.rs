//! `rampart`: the server assembled from its parts, and the administration
//! work behind the command line. The binary (`main.rs`) parses the command
//! line; the integration tests start the same [`startup::Application`].

pub mod backup;
pub mod config;
pub mod migrate;
pub mod startup;
