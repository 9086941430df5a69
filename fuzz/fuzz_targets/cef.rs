//! Any text: the CEF parser and the mapping to a report never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_domain::Timestamp;
use rampart_intake::{cef, shapes};

fuzz_target!(|text: &str| {
    let Some(received_at) = Timestamp::from_unix(1_796_000_000) else {
        return;
    };
    if let Ok(record) = cef::parse(text) {
        let _ = shapes::from_cef(&record, received_at);
    }
});
