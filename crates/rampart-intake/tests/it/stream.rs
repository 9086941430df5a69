//! A TCP stream from a mixed set of senders becomes reports and dead letters.

use rampart_domain::{AlertSeverity, EventReport, Timestamp};
use rampart_intake::framing::{FrameError, Framer};
use rampart_intake::{shapes, syslog};

/// What became of one frame.
#[derive(Debug)]
enum Outcome {
    Report(Box<EventReport>),
    DeadLetter(String),
}

fn received() -> Timestamp {
    Timestamp::parse("2026-11-30T08:00:00Z").unwrap()
}

fn intake(stream: &[u8], read_size: usize) -> Vec<Outcome> {
    let handle = |frame: Result<Vec<u8>, FrameError>| match frame {
        Err(e) => Outcome::DeadLetter(e.to_string()),
        Ok(bytes) => match syslog::parse(&bytes, received())
            .and_then(|m| shapes::from_syslog(&m, received()))
        {
            Ok(report) => Outcome::Report(Box::new(report)),
            Err(e) => Outcome::DeadLetter(e.to_string()),
        },
    };
    let mut framer = Framer::new(512);
    let mut out = Vec::new();
    for read in stream.chunks(read_size) {
        framer.push(read);
        while let Some(frame) = framer.next_frame() {
            out.push(handle(frame));
        }
    }
    out.extend(framer.finish().map(handle));
    out
}

#[test]
fn a_mixed_stream_yields_reports_and_dead_letters_in_order() {
    let cef = "<132>Nov 30 07:59:58 fw01 CEF:0|Northwind|Bastion FW|7.2|1042|C2 beacon|9|src=10.1.4.22 externalId=ev-1";
    let mut stream = Vec::new();
    stream.extend(format!("{} {cef}", cef.len()).as_bytes());
    stream.extend(
        b"<38>Nov 30 07:55:01 bastion sshd[2231]: Failed password for root from 203.0.113.9\r\n",
    );
    stream.extend(b"GET / HTTP/1.1\r\n");
    stream.extend(format!("<13>{}\n", "x".repeat(600)).as_bytes());
    stream.extend(b"<14>1 2026-11-30T07:58:00Z web-03 nginx - - - upstream timed out");

    for read_size in [1, 7, 64, 4096] {
        let outcomes = intake(&stream, read_size);
        let summary: Vec<String> = outcomes
            .iter()
            .map(|o| match o {
                Outcome::Report(r) => format!(
                    "report {} / {} / {:?}",
                    r.source.as_ref().and_then(|s| s.name.as_ref()).unwrap(),
                    r.title,
                    r.severity
                ),
                Outcome::DeadLetter(why) => format!("dead letter: {why}"),
            })
            .collect();
        assert_eq!(
            summary,
            [
                format!("report Northwind Bastion FW / C2 beacon / {:?}", Some(AlertSeverity::Critical)),
                format!(
                    "report sshd / Failed password for root from 203.0.113.9 / {:?}",
                    Some(AlertSeverity::Info)
                ),
                "dead letter: not a syslog message: it does not begin with a `<PRI>` header (it begins with `GET / HTTP/1.1`)".to_owned(),
                "dead letter: frame longer than the limit of 512 bytes".to_owned(),
                format!("report nginx / upstream timed out / {:?}", Some(AlertSeverity::Info)),
            ],
            "read size {read_size}"
        );
        for outcome in &outcomes {
            if let Outcome::Report(r) = outcome {
                r.validate(received()).unwrap();
            }
        }
    }
}
