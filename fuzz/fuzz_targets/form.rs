//! Any form body or query string: parsing, building the API's JSON and
//! decoding it into a report never panic, and no accepted form nests deeper
//! than the decoder allows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_domain::EventReport;
use rampart_http::web::form::{FormData, MAX_DEPTH};

fn depth(value: &serde_json::Value) -> usize {
    // Iterative, so the check itself cannot overflow.
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            serde_json::Value::Object(m) => stack.extend(m.values().map(|c| (c, d + 1))),
            serde_json::Value::Array(a) => stack.extend(a.iter().map(|c| (c, d + 1))),
            _ => {}
        }
    }
    deepest
}

fuzz_target!(|body: &[u8]| {
    let Ok(form) = FormData::parse(body) else {
        return;
    };
    let json = form.to_json(&["anonymous"], &["assets"]);
    // Nested objects plus one level for a list.
    assert!(depth(&json) <= MAX_DEPTH + 1);
    let _ = form.decode::<EventReport>(&["anonymous"], &["assets"]);
    let _ = form.decode::<serde_json::Value>(&[], &[]);
});
