//! Any stream, cut anywhere: the framer never panics, never returns a frame
//! over the limit, and stays within its memory bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_intake::framing::{FRAME_OVERHEAD, Framer};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the limit and the read size; the rest is the stream.
    let Some((&knobs, stream)) = data.split_first() else {
        return;
    };
    let max = usize::from(knobs & 0x3f);
    let chunk = usize::from(knobs >> 6) * 7 + 1;
    let mut framer = Framer::new(max);
    for piece in stream.chunks(chunk) {
        framer.push(piece);
        while let Some(frame) = framer.next_frame() {
            if let Ok(frame) = frame {
                assert!(frame.len() <= max);
            }
        }
        assert!(framer.buffered() <= max + FRAME_OVERHEAD);
    }
    for frame in framer.finish().flatten() {
        assert!(frame.len() <= max);
    }
});
