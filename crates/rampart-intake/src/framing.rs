//! Cutting a TCP syslog stream into messages (RFC 6587).
//!
//! Senders frame messages in one of two ways, and some switch between them:
//! octet counting (`<length> SP <length bytes>`) or non-transparent framing,
//! where a message ends at LF (a trailing CR is dropped) or at NUL. The
//! choice is made afresh for every frame: a frame is octet-counted only when
//! it begins as RFC 6587 writes one, a count of one to ten digits without a
//! leading zero, a space, and the `<` that begins every syslog message (or
//! the `CEF:` of a bare CEF record).
//! Anything else is a line, so a line of garbage that merely begins with a
//! number (`300 bytes lost`) is one bad frame and never swallows the
//! messages after it.
//!
//! A bad frame costs only itself: after an over-long frame the decoder skips
//! to where the next frame must begin (past the counted bytes, or past the
//! next LF) and carries on.
//!
//! Work is linear in the bytes pushed, however the stream is cut: a line
//! that arrives a byte at a time is searched for its end once, not once per
//! byte.

/// Most digits accepted in an octet count (a count up to 9 999 999 999).
const MAX_COUNT_DIGITS: usize = 10;

/// How a counted frame's message may begin: a syslog message, or a bare CEF
/// record (which the syslog parser takes too).
const MESSAGE_STARTS: [&[u8]; 2] = [b"<", b"CEF:"];

/// Bytes held beyond a frame's content, at most: a count, its space and the
/// first bytes that tell a counted frame from a line; or a CR.
pub const FRAME_OVERHEAD: usize = MAX_COUNT_DIGITS + 1 + 3;

/// Why bytes of the stream did not make a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The frame was skipped; the decoder resynchronised after it.
    #[error("frame longer than the limit of {limit} bytes")]
    TooLong { limit: usize },
    /// The stream ended before the announced number of bytes arrived.
    #[error("stream ended inside a frame: {expected} bytes announced, {received} received")]
    Truncated { expected: usize, received: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the beginning of a frame.
    Start,
    /// Dropping bytes up to and including the next LF or NUL.
    SkipLine,
    /// Dropping this many more bytes of an over-long counted frame.
    SkipBytes(usize),
}

/// An incremental decoder for a syslog byte stream.
///
/// Feed it with [`Framer::push`], then call [`Framer::next_frame`] until it
/// returns `None`; at that point it holds at most `max_message` +
/// [`FRAME_OVERHEAD`] bytes. At the end of the stream, [`Framer::finish`]
/// yields what is left, including a last line without a terminator.
#[derive(Debug, Clone)]
pub struct Framer {
    max: usize,
    buf: Vec<u8>,
    /// Where the unread part of `buf` begins.
    pos: usize,
    /// Bytes after `pos` already searched for a line's end, in vain.
    scanned: usize,
    state: State,
}

impl Framer {
    /// A decoder that refuses frames longer than `max_message` bytes.
    pub fn new(max_message: usize) -> Self {
        Self {
            max: max_message,
            buf: Vec::new(),
            pos: 0,
            scanned: 0,
            state: State::Start,
        }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, mut bytes: &[u8]) {
        if self.pos > 0 {
            // `scanned` counts from `pos`, so it holds across the move.
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        // While skipping with nothing buffered, drop bytes without copying them,
        // so one large read of garbage never lands in the buffer.
        if self.buf.is_empty() {
            match self.state {
                State::Start => {}
                State::SkipBytes(n) => {
                    let k = n.min(bytes.len());
                    bytes = &bytes[k..];
                    self.state = if k == n {
                        State::Start
                    } else {
                        State::SkipBytes(n - k)
                    };
                }
                State::SkipLine => match bytes.iter().position(|&b| is_terminator(b)) {
                    Some(i) => {
                        bytes = &bytes[i + 1..];
                        self.state = State::Start;
                    }
                    None => bytes = &[],
                },
            }
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, an error for a frame that was skipped, or
    /// `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<Vec<u8>, FrameError>> {
        self.step(false)
    }

    /// Ends the stream: the frames still buffered, then the last
    /// unterminated line (or a [`FrameError::Truncated`] for a counted frame
    /// that did not arrive whole).
    pub fn finish(mut self) -> impl Iterator<Item = Result<Vec<u8>, FrameError>> {
        std::iter::from_fn(move || self.step(true))
    }

    fn step(&mut self, eof: bool) -> Option<Result<Vec<u8>, FrameError>> {
        loop {
            let data = &self.buf[self.pos..];
            match self.state {
                State::SkipBytes(n) => {
                    let k = n.min(data.len());
                    self.advance(k);
                    if k < n {
                        self.state = State::SkipBytes(n - k);
                        return None;
                    }
                    self.state = State::Start;
                }
                State::SkipLine => match data.iter().position(|&b| is_terminator(b)) {
                    Some(i) => {
                        self.advance(i + 1);
                        self.state = State::Start;
                    }
                    None => {
                        self.advance(data.len());
                        return None;
                    }
                },
                State::Start => {
                    if data.is_empty() {
                        return None;
                    }
                    let (result, next) = match self.octet_count(eof)? {
                        Some((count, header)) => self.counted(count, header, eof)?,
                        None => match self.line(eof)? {
                            // An empty line (a keep-alive, or the LF after a counted frame).
                            (Ok(line), _) if line.is_empty() => continue,
                            other => other,
                        },
                    };
                    self.state = next;
                    if self.pos == self.buf.len() {
                        self.buf.clear();
                        self.pos = 0;
                    }
                    return Some(result);
                }
            }
        }
    }

    /// Moves past `n` bytes.
    fn advance(&mut self, n: usize) {
        self.pos += n;
        self.scanned = 0;
    }

    /// Whether the frame at `pos` is octet-counted: `Some(Some((count,
    /// header length)))` when it begins with `<count> SP <`, `Some(None)`
    /// when it is a line, `None` when more bytes are needed to tell.
    fn octet_count(&self, eof: bool) -> Option<Option<(usize, usize)>> {
        let data = &self.buf[self.pos..];
        if !matches!(data.first(), Some(b'1'..=b'9')) {
            return Some(None);
        }
        let digits = data
            .iter()
            .take(MAX_COUNT_DIGITS + 1)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits > MAX_COUNT_DIGITS {
            return Some(None);
        }
        match data.get(digits) {
            None if !eof => return None,
            Some(b' ') => {}
            _ => return Some(None),
        }
        let message = &data[digits + 1..];
        if !MESSAGE_STARTS
            .iter()
            .any(|start| message.starts_with(start))
        {
            let may_still = MESSAGE_STARTS
                .iter()
                .any(|start| start.starts_with(message));
            return if may_still && !eof { None } else { Some(None) };
        }
        // Ten digits fit a 64-bit count; on smaller machines a count that
        // does not fit is certainly over the limit.
        let count = std::str::from_utf8(&data[..digits])
            .ok()
            .and_then(|d| d.parse::<usize>().ok())
            .unwrap_or(usize::MAX);
        Some(Some((count, digits + 1)))
    }

    /// The octet-counted frame of `count` bytes after a `header` at `pos`;
    /// `None` when more bytes are needed.
    fn counted(
        &mut self,
        count: usize,
        header: usize,
        eof: bool,
    ) -> Option<(Result<Vec<u8>, FrameError>, State)> {
        if count > self.max {
            self.advance(header);
            return Some((
                Err(FrameError::TooLong { limit: self.max }),
                State::SkipBytes(count),
            ));
        }
        let data = &self.buf[self.pos..];
        let available = data.len() - header;
        if available < count {
            if eof {
                self.advance(data.len());
                return Some((
                    Err(FrameError::Truncated {
                        expected: count,
                        received: available,
                    }),
                    State::Start,
                ));
            }
            return None;
        }
        let frame = data[header..header + count].to_vec();
        self.advance(header + count);
        Some((Ok(frame), State::Start))
    }

    /// A line at `pos`; `None` when more bytes are needed.
    fn line(&mut self, eof: bool) -> Option<(Result<Vec<u8>, FrameError>, State)> {
        let data = &self.buf[self.pos..];
        let from = self.scanned.min(data.len());
        let end = data[from..]
            .iter()
            .position(|&b| is_terminator(b))
            .map(|i| from + i);
        let (line, consumed) = match end {
            Some(i) => (&data[..i], i + 1),
            None if data.len() > self.max + 1 => {
                // Too long already, terminator or not: drop it and what follows up to the LF.
                let all = data.len();
                self.advance(all);
                return Some((
                    Err(FrameError::TooLong { limit: self.max }),
                    State::SkipLine,
                ));
            }
            None if eof => (data, data.len()),
            None => {
                self.scanned = data.len();
                return None;
            }
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let result = if line.len() > self.max {
            Err(FrameError::TooLong { limit: self.max })
        } else {
            Ok(line.to_vec())
        };
        self.advance(consumed);
        Some((result, State::Start))
    }

    /// Bytes held and not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// A frame has begun and not ended: bytes of it are held, or the rest
    /// of a skipped one is still to come. False between frames.
    pub fn in_frame(&self) -> bool {
        self.buffered() > 0 || self.state != State::Start
    }
}

fn is_terminator(b: u8) -> bool {
    b == b'\n' || b == 0
}

/// Takes the frames out of a finished decoder, for tests.
#[cfg(test)]
fn drain(framer: &mut Framer) -> Vec<Result<Vec<u8>, FrameError>> {
    std::iter::from_fn(|| framer.next_frame()).collect()
}

/// Everything a whole stream decodes to.
#[cfg(test)]
fn decode_all(max: usize, chunks: &[&[u8]]) -> Vec<Result<Vec<u8>, FrameError>> {
    let mut framer = Framer::new(max);
    let mut out = Vec::new();
    for chunk in chunks {
        framer.push(chunk);
        out.extend(drain(&mut framer));
        assert!(framer.buffered() <= max + FRAME_OVERHEAD);
    }
    out.extend(framer.finish());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(s: &str) -> Result<Vec<u8>, FrameError> {
        Ok(s.as_bytes().to_vec())
    }

    #[test]
    fn lines_end_at_lf_crlf_or_nul() {
        let got = decode_all(100, &[b"<13>one\n<13>two\r\n<13>three\0\n\r\n<13>four"]);
        assert_eq!(
            got,
            [
                ok("<13>one"),
                ok("<13>two"),
                ok("<13>three"),
                ok("<13>four")
            ]
        );
    }

    #[test]
    fn counted_frames_may_contain_newlines_and_mix_with_lines() {
        let got = decode_all(100, &[b"10 <13>a\nb\r\nc<13>line\n5 <13>x"]);
        assert_eq!(got, [ok("<13>a\nb\r\nc"), ok("<13>line"), ok("<13>x")]);
    }

    #[test]
    fn frames_split_anywhere_come_out_whole() {
        let stream = b"8 <13>abcd<13>line\r\n";
        for cut in 0..stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(
                decode_all(100, &[a, b]),
                [ok("<13>abcd"), ok("<13>line")],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_over_long_line_is_skipped_and_the_next_one_kept() {
        let long = format!("<13>{}\n<13>ok\n", "x".repeat(50));
        let got = decode_all(10, &[long.as_bytes()]);
        assert_eq!(got, [Err(FrameError::TooLong { limit: 10 }), ok("<13>ok")]);
        // The same, arriving byte by byte: the long line is never held whole.
        let chunks: Vec<&[u8]> = long.as_bytes().chunks(1).collect();
        assert_eq!(decode_all(10, &chunks), got);
    }

    #[test]
    fn an_over_long_counted_frame_is_skipped_by_its_count() {
        let stream = format!("20 <13>{}\n7 <13>abc", "y\n".repeat(8));
        let got = decode_all(10, &[stream.as_bytes()]);
        assert_eq!(got, [Err(FrameError::TooLong { limit: 10 }), ok("<13>abc")]);
        let chunks: Vec<&[u8]> = stream.as_bytes().chunks(3).collect();
        assert_eq!(decode_all(10, &chunks), got);
    }

    #[test]
    fn what_only_looks_like_a_count_is_a_line() {
        let got = decode_all(
            100,
            &[b"<13>one\n300 garbage from a relay\n<13>two\n12x garbage\n012 <13>zero\n<13>three\n42"],
        );
        assert_eq!(
            got,
            [
                ok("<13>one"),
                ok("300 garbage from a relay"),
                ok("<13>two"),
                ok("12x garbage"),
                ok("012 <13>zero"),
                ok("<13>three"),
                ok("42"),
            ]
        );
        // Eleven digits are no count either.
        let long = decode_all(100, &[b"12345678901 <13>x\n<13>y\n"]);
        assert_eq!(long, [ok("12345678901 <13>x"), ok("<13>y")]);
        // A count is believed only when a message start follows it.
        assert_eq!(decode_all(100, &[b"5 <13>x"]), [ok("<13>x")]);
        assert_eq!(
            decode_all(100, &[b"11 CEF:0|a|b|c2 CE\n3 C\n"]),
            [ok("CEF:0|a|b|c"), ok("2 CE"), ok("3 C")]
        );
        assert_eq!(
            decode_all(100, &[b"5 hello\n<13>x\n"]),
            [ok("5 hello"), ok("<13>x")]
        );
    }

    #[test]
    fn a_count_is_told_from_a_line_however_the_stream_is_cut() {
        let stream = b"300 garbage\n7 <13>abc<13>next\n6 CEF:0|300 CEX\n";
        for cut in 0..stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(
                decode_all(100, &[a, b]),
                [
                    ok("300 garbage"),
                    ok("<13>abc"),
                    ok("<13>next"),
                    ok("CEF:0|"),
                    ok("300 CEX")
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_line_arriving_a_byte_at_a_time_is_searched_once() {
        // A quadratic search would take minutes here.
        let max = 4 * 1024 * 1024;
        let mut framer = Framer::new(max);
        framer.push(b"<13>");
        for _ in 0..max - 8 {
            framer.push(b"x");
            assert!(framer.next_frame().is_none());
        }
        framer.push(b"\n");
        assert_eq!(
            framer.next_frame().map(|f| f.map(|f| f.len())),
            Some(Ok(max - 4))
        );
    }

    #[test]
    fn in_frame_tells_a_begun_frame_from_the_gap_between_frames() {
        let mut framer = Framer::new(10);
        assert!(!framer.in_frame());
        framer.push(b"<13>a\n<13");
        assert_eq!(framer.next_frame(), Some(ok("<13>a")));
        assert_eq!(framer.next_frame(), None);
        assert!(framer.in_frame());
        framer.push(b">b\n");
        assert_eq!(framer.next_frame(), Some(ok("<13>b")));
        assert_eq!(framer.next_frame(), None);
        assert!(!framer.in_frame());
        // Skipping the rest of an over-long frame is being inside it.
        framer.push(b"<13>0123456789");
        assert_eq!(
            framer.next_frame(),
            Some(Err(FrameError::TooLong { limit: 10 }))
        );
        assert!(framer.in_frame());
        framer.push(b"more\n");
        assert_eq!(framer.next_frame(), None);
        assert!(!framer.in_frame());
    }

    #[test]
    fn a_line_of_exactly_the_limit_passes() {
        assert_eq!(decode_all(8, &[b"<13>abcd\r", b"\n"]), [ok("<13>abcd")]);
        assert_eq!(
            decode_all(8, &[b"<13>abcde\n<1>x\n"]),
            [Err(FrameError::TooLong { limit: 8 }), ok("<1>x")]
        );
    }

    /// A frame that either framing can carry: begins with `<`, no LF or NUL,
    /// no trailing CR.
    fn frame() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            any::<u8>().prop_filter("terminator", |b| !is_terminator(*b)),
            0..60,
        )
        .prop_map(|mut body| {
            while body.last() == Some(&b'\r') {
                body.pop();
            }
            let mut f = b"<1>".to_vec();
            f.extend(body);
            f
        })
    }

    /// A line that is not a message: often digits and a space first, never
    /// `<`, never a count followed by a message start; no LF or NUL, no
    /// trailing CR.
    fn garbage_line() -> impl Strategy<Value = Vec<u8>> {
        (
            "[0-9]{0,12}",
            proptest::collection::vec(
                any::<u8>().prop_filter("terminator", |b| !is_terminator(*b)),
                1..40,
            ),
        )
            .prop_map(|(digits, rest)| {
                let mut line = digits.into_bytes();
                if !line.is_empty() {
                    line.push(b' ');
                }
                line.extend(rest);
                while line.last() == Some(&b'\r') {
                    line.pop();
                }
                line
            })
            .prop_filter("a message start", |line| {
                let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
                let after = &line[digits..];
                !line.is_empty()
                    && line[0] != b'<'
                    && !(digits > 0 && (after.starts_with(b" <") || after.starts_with(b" CEF:")))
            })
    }

    proptest! {
        #[test]
        fn framing_round_trips(
            frames in proptest::collection::vec((frame(), any::<bool>(), any::<bool>()), 0..12),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut stream = Vec::new();
            for (f, counted, crlf) in &frames {
                if *counted {
                    stream.extend(format!("{} ", f.len()).as_bytes());
                    stream.extend(f);
                } else {
                    stream.extend(f);
                    stream.extend(if *crlf { &b"\r\n"[..] } else { &b"\n"[..] });
                }
            }
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            points.sort_unstable();
            let mut chunks = Vec::new();
            let mut last = 0;
            for p in points {
                chunks.push(&stream[last..p]);
                last = p;
            }
            chunks.push(&stream[last..]);
            let want: Vec<_> = frames.iter().map(|(f, _, _)| Ok(f.clone())).collect();
            prop_assert_eq!(decode_all(200, &chunks), want);
        }

        /// Garbage lines between messages (whatever they begin with, short
        /// of a count followed by a message start) cost only themselves.
        #[test]
        fn garbage_lines_never_swallow_their_neighbours(
            items in proptest::collection::vec(
                (frame(), any::<bool>(), proptest::option::of(garbage_line())),
                0..10,
            ),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut stream = Vec::new();
            let mut want = Vec::new();
            for (f, counted, garbage) in &items {
                if let Some(g) = garbage {
                    stream.extend(g);
                    stream.push(b'\n');
                    want.push(Ok(g.clone()));
                }
                if *counted {
                    stream.extend(format!("{} ", f.len()).as_bytes());
                    stream.extend(f);
                } else {
                    stream.extend(f);
                    stream.push(b'\n');
                }
                want.push(Ok(f.clone()));
            }
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            points.sort_unstable();
            let mut chunks = Vec::new();
            let mut last = 0;
            for p in points {
                chunks.push(&stream[last..p]);
                last = p;
            }
            chunks.push(&stream[last..]);
            prop_assert_eq!(decode_all(200, &chunks), want);
        }

        #[test]
        fn arbitrary_bytes_never_panic_and_stay_bounded(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8),
            max in 0usize..40,
        ) {
            let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
            for frame in decode_all(max, &chunks).into_iter().flatten() {
                prop_assert!(frame.len() <= max);
            }
        }

        #[test]
        fn digit_heavy_bytes_never_panic(
            stream in proptest::collection::vec(prop::sample::select(&b"0123456789 \r\n<>x\0"[..]), 0..200),
            max in 0usize..30,
        ) {
            for frame in decode_all(max, &[&stream]).into_iter().flatten() {
                prop_assert!(frame.len() <= max);
            }
        }
    }
}
