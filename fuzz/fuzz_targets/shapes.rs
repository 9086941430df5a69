//! Any JSON: shape detection and the OCSF and ECS mappings never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_intake::shapes;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = shapes::detect(&value);
    let _ = shapes::ocsf(&value);
    let _ = shapes::ecs(&value);
});
