//! Any bytes: the syslog parser and the mapping to a report never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_domain::Timestamp;
use rampart_intake::{shapes, syslog};

fuzz_target!(|data: &[u8]| {
    let Some(received_at) = Timestamp::from_unix(1_796_000_000) else {
        return;
    };
    if let Ok(message) = syslog::parse(data, received_at) {
        let _ = shapes::from_syslog(&message, received_at);
    }
});
