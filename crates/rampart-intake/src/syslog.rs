//! One syslog message, RFC 5424 or RFC 3164, read with `syslog_loose`.
//!
//! What is refused, so that it lands in the dead-letter table with a reason:
//! an empty message, bytes that are not UTF-8 (they are not decoded lossily:
//! an alert is evidence, and a guessed character set would alter it; the raw
//! bytes stay available to whoever reads the dead letter), control
//! characters other than tab, and anything that does not begin with a
//! `<PRI>` header with a priority from 0 to 191, except a bare CEF record.
//!
//! What is tolerated: trailing CR, LF and NUL (datagram senders add them), a
//! byte-order mark before the text, and a header that is not recognisable
//! after the `<PRI>`: the message is then kept with its facility and
//! severity, and everything after the priority as its text (as RFC 3164
//! tells relays to do).
//!
//! A CEF record straight after an RFC 3164 header (`<134>Nov 30 07:59:58
//! fw01 CEF:0|...`) is kept whole as the message; read naively, its `CEF`
//! looks like a tag or a host name. A CEF record alone, without any syslog
//! header (`CEF:0|...`, as many SIEM forwarders and file shippers send it),
//! is a message with no header fields.
//!
//! Times: RFC 3164 timestamps carry neither a year nor a zone. The year is
//! the receive time's year, or the year before when that would put the
//! message more than a day after it was received (a December message read
//! in January); the time of day is read as UTC.

use chrono::Utc;
use rampart_domain::Timestamp;
use syslog_loose::{IncompleteDate, Variant};
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::ParseError;

/// Highest priority value: facility 23 (local7), severity 7 (debug).
const MAX_PRI: u16 = 191;

/// A parsed syslog message. Absent header fields (`-` in RFC 5424) are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogMessage {
    /// The facility's keyword: `kern`, `user`, `auth`, `local0`...
    pub facility: Option<String>,
    /// 0 (emergency) to 7 (debug).
    pub severity: Option<u8>,
    pub timestamp: Option<Timestamp>,
    pub hostname: Option<String>,
    pub app_name: Option<String>,
    pub proc_id: Option<String>,
    pub msg_id: Option<String>,
    /// RFC 5424 structured data as `(sd-id.param-name, value)`, escapes removed.
    pub structured_data: Vec<(String, String)>,
    /// The free-form text (possibly empty).
    pub message: String,
}

/// Parses one message received at `received_at` (which supplies missing years).
pub fn parse(bytes: &[u8], received_at: Timestamp) -> Result<SyslogMessage, ParseError> {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b'\n' | b'\r' | 0))
        .map_or(0, |i| i + 1);
    let bytes = &bytes[..end];
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ParseError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if let Some((offset, c)) = text
        .char_indices()
        .find(|&(_, c)| c.is_control() && c != '\t')
    {
        return Err(ParseError::ControlCharacter {
            code: u32::from(c),
            offset,
        });
    }
    let body = clean_text(text);
    if is_cef_record(&body) {
        return Ok(SyslogMessage {
            facility: None,
            severity: None,
            timestamp: None,
            hostname: None,
            app_name: None,
            proc_id: None,
            msg_id: None,
            structured_data: vec![],
            message: body,
        });
    }
    let (pri, after_pri) = priority(text)?;
    let year = move |date: IncompleteDate| year_for(date, received_at);
    let parsed =
        syslog_loose::parse_message_with_year_exact_tz(text, year, Some(Utc), Variant::Either);
    let Ok(m) = parsed else {
        return Ok(SyslogMessage {
            facility: syslog_loose::decompose_pri(pri)
                .0
                .map(|f| f.as_str().to_owned()),
            severity: Some(pri & 7),
            timestamp: None,
            hostname: None,
            app_name: None,
            proc_id: None,
            msg_id: None,
            structured_data: vec![],
            message: clean_text(after_pri),
        });
    };
    let mut message = clean_text(m.msg);
    // The text before a CEF record the header parser took apart.
    let mut header = None;
    if !message.contains("CEF:")
        && let Some(at) = cef_start(text)
    {
        header = Some(&text[..at]);
        message = clean_text(&text[at..]);
    }
    // Keeps only header fields written before such a record.
    let header_field = |s: Option<&str>| {
        s.filter(|s| header.is_none_or(|h| h.contains(s)))
            .map(str::to_owned)
    };
    Ok(SyslogMessage {
        facility: m.facility.map(|f| f.as_str().to_owned()),
        severity: m.severity.map(|s| s as u8),
        timestamp: m.timestamp.and_then(|t| {
            let at = OffsetDateTime::from_unix_timestamp(t.timestamp()).ok()?;
            Some(Timestamp::from_offset(
                at + Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos())),
            ))
        }),
        hostname: header_field(m.hostname),
        app_name: header_field(m.appname),
        proc_id: header_field(m.procid.map(|p| p.to_string()).as_deref()),
        msg_id: header_field(m.msgid),
        structured_data: m
            .structured_data
            .iter()
            .flat_map(|element| {
                element
                    .params()
                    .map(|(name, value)| (format!("{}.{name}", element.id), value))
            })
            .collect(),
        message,
    })
}

/// Where a CEF record begins after the `<PRI>` (`CEF:` + digit + `|`).
fn cef_start(text: &str) -> Option<usize> {
    text.match_indices("CEF:").map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back();
        matches!(before, Some(' ' | '>')) && is_cef_record(&text[i..])
    })
}

/// The text begins a CEF record: `CEF:` + digit + `|`.
fn is_cef_record(text: &str) -> bool {
    text.starts_with("CEF:")
        && matches!(text.as_bytes().get(4..6), Some([d, b'|']) if d.is_ascii_digit())
}

/// The numeric priority and the text after it.
fn priority(text: &str) -> Result<(u8, &str), ParseError> {
    let not_syslog = |why: String| Err(ParseError::NotSyslog(why));
    let Some(rest) = text.strip_prefix('<') else {
        let start: String = text.chars().take(20).collect();
        return not_syslog(format!(
            "it does not begin with a `<PRI>` header (it begins with `{start}`)"
        ));
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let value = rest[..digits].parse::<u16>().ok().filter(|v| *v <= MAX_PRI);
    match (value, rest.as_bytes().get(digits)) {
        (Some(v), Some(b'>')) if digits <= 3 => match u8::try_from(v) {
            Ok(v) => Ok((v, &rest[digits + 1..])),
            Err(_) => not_syslog("the priority is out of range".to_owned()),
        },
        _ => {
            let header: String = text.chars().take(8).collect();
            not_syslog(format!(
                "the `<PRI>` header `{header}` is not `<` + a number from 0 to {MAX_PRI} + `>`"
            ))
        }
    }
}

/// The text without a leading byte-order mark and surrounding blanks.
fn clean_text(text: &str) -> String {
    text.trim_start()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_owned()
}

/// The year of an RFC 3164 date: the receive year, or the one before when the
/// date would otherwise lie more than a day after the receive time.
pub(crate) fn year_for(
    (month, day, hour, minute, second): IncompleteDate,
    received_at: Timestamp,
) -> i32 {
    let year = received_at.year();
    let at = |year: i32| -> Option<OffsetDateTime> {
        let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
        let date = Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
        let time = Time::from_hms(
            u8::try_from(hour).ok()?,
            u8::try_from(minute).ok()?,
            u8::try_from(second).ok()?,
        )
        .ok()?;
        Some(PrimitiveDateTime::new(date, time).assume_utc())
    };
    match at(year) {
        Some(t) if t > received_at.as_offset() + Duration::days(1) => year - 1,
        _ => year,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn received() -> Timestamp {
        Timestamp::parse("2026-11-30T08:00:00Z").unwrap()
    }

    fn at(s: &str) -> Option<Timestamp> {
        Some(Timestamp::parse(s).unwrap())
    }

    #[test]
    fn rfc5424_with_structured_data() {
        let raw = concat!(
            r#"<165>1 2026-11-30T07:59:58.123+01:00 fw01.corp.example ids 4711 ALERT "#,
            r#"[origin ip="192.0.2.7"][sig@32473 id="2019284" rev="3" note="say \"hi\""] "#,
            "\u{feff}ET SCAN suspicious inbound to mySQL port 3306"
        );
        let m = parse(raw.as_bytes(), received()).unwrap();
        assert_eq!(m.facility.as_deref(), Some("local4"));
        assert_eq!(m.severity, Some(5));
        assert_eq!(m.timestamp, at("2026-11-30T06:59:58.123Z"));
        assert_eq!(m.hostname.as_deref(), Some("fw01.corp.example"));
        assert_eq!(m.app_name.as_deref(), Some("ids"));
        assert_eq!(m.proc_id.as_deref(), Some("4711"));
        assert_eq!(m.msg_id.as_deref(), Some("ALERT"));
        let sd: Vec<(&str, &str)> = m
            .structured_data
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            sd,
            [
                ("origin.ip", "192.0.2.7"),
                ("sig@32473.id", "2019284"),
                ("sig@32473.rev", "3"),
                ("sig@32473.note", "say \"hi\""),
            ]
        );
        assert_eq!(m.message, "ET SCAN suspicious inbound to mySQL port 3306");
    }

    #[test]
    fn rfc5424_with_nil_values() {
        let m = parse(b"<14>1 - - - - - - plain text\n", received()).unwrap();
        assert_eq!(m.severity, Some(6));
        assert_eq!(m.facility.as_deref(), Some("user"));
        assert_eq!((m.timestamp, m.hostname, m.app_name), (None, None, None));
        assert_eq!(m.message, "plain text");
    }

    #[test]
    fn rfc3164_takes_the_year_from_the_receive_time() {
        let m = parse(
            b"<38>Nov 30 07:55:01 bastion sshd[2231]: Failed password for root from 203.0.113.9 port 52144 ssh2\r\n",
            received(),
        )
        .unwrap();
        assert_eq!(m.facility.as_deref(), Some("auth"));
        assert_eq!(m.severity, Some(6));
        assert_eq!(m.timestamp, at("2026-11-30T07:55:01Z"));
        assert_eq!(m.hostname.as_deref(), Some("bastion"));
        assert_eq!(m.app_name.as_deref(), Some("sshd"));
        assert_eq!(m.proc_id.as_deref(), Some("2231"));
        assert_eq!(
            m.message,
            "Failed password for root from 203.0.113.9 port 52144 ssh2"
        );
    }

    #[test]
    fn a_december_message_read_in_january_is_last_year() {
        let january = Timestamp::parse("2027-01-01T00:00:10Z").unwrap();
        let m = parse(b"<13>Dec 31 23:59:58 host app: late", january).unwrap();
        assert_eq!(m.timestamp, at("2026-12-31T23:59:58Z"));
        // A day ahead is still this year (clock skew, zones).
        let m = parse(b"<13>Jan  1 20:00:00 host app: early", january).unwrap();
        assert_eq!(m.timestamp, at("2027-01-01T20:00:00Z"));
    }

    #[test]
    fn a_message_without_a_usable_header_keeps_its_priority() {
        let m = parse(b"<11>disk almost full", received()).unwrap();
        assert_eq!(m.facility.as_deref(), Some("user"));
        assert_eq!(m.severity, Some(3));
        assert_eq!(m.timestamp, None);
        assert_eq!(m.message, "disk almost full");
    }

    #[test]
    fn what_is_not_syslog_is_refused_with_a_reason() {
        let err = |raw: &[u8]| parse(raw, received()).unwrap_err();
        assert_eq!(err(b""), ParseError::Empty);
        assert_eq!(err(b" \r\n"), ParseError::Empty);
        let e = err(b"GET / HTTP/1.1");
        assert!(e.to_string().contains("`<PRI>`"), "{e}");
        assert!(e.to_string().contains("GET / HTTP/1.1"), "{e}");
        assert!(matches!(
            err(b"<192>1 - - - - - - x"),
            ParseError::NotSyslog(_)
        ));
        assert!(matches!(err(b"<1x>hello"), ParseError::NotSyslog(_)));
        assert!(matches!(err(b"<0013>hello"), ParseError::NotSyslog(_)));
        assert_eq!(err(b"<13>caf\xe9"), ParseError::NotUtf8 { offset: 7 });
        assert_eq!(
            err(b"<13>a\nb"),
            ParseError::ControlCharacter {
                code: 10,
                offset: 5
            }
        );
        assert_eq!(
            err(b"<13>a\x1b[31mred"),
            ParseError::ControlCharacter {
                code: 0x1b,
                offset: 5
            }
        );
        assert!(parse(b"<13>a\tb", received()).is_ok());
    }

    #[test]
    fn cef_after_a_bsd_header_stays_whole() {
        let cef = "CEF:0|Northwind|Bastion FW|7.2|1042|C2 beacon|8|src=10.1.4.22";
        for (raw, host) in [
            (format!("<134>Nov 30 07:59:58 fw01 {cef}"), Some("fw01")),
            (format!("<134>Nov 30 07:59:58 {cef}"), None),
            (
                format!("<134>Nov 30 2026 07:59:58 fw01 {cef}"),
                Some("fw01"),
            ),
            (format!("<134>{cef}"), None),
            (
                format!("<134>1 2026-11-30T07:59:58Z fw01 - - - - {cef}"),
                Some("fw01"),
            ),
        ] {
            let m = parse(raw.as_bytes(), received()).unwrap();
            assert_eq!(m.message, cef, "{raw}");
            assert_eq!(m.hostname.as_deref(), host, "{raw}");
            assert_eq!(m.app_name, None, "{raw}");
        }
        let m = parse(
            format!("<134>Nov 30 07:59:58 fw01 fwd: {cef}").as_bytes(),
            received(),
        )
        .unwrap();
        assert_eq!(
            (m.app_name.as_deref(), m.message.as_str()),
            (Some("fwd"), cef)
        );
    }

    #[test]
    fn a_bare_cef_record_is_a_message_without_header() {
        let cef = "CEF:0|Acme|Sentinel|2.1|100|Port scan|7|src=198.51.100.23\texternalId=x-1";
        for raw in [
            cef.to_owned(),
            format!("{cef}\r\n"),
            format!("\u{feff}{cef}"),
            format!("  {cef}"),
        ] {
            let m = parse(raw.as_bytes(), received()).unwrap();
            assert_eq!(m.message, cef, "{raw:?}");
            assert_eq!(
                (m.facility, m.severity, m.timestamp, m.hostname, m.app_name),
                (None, None, None, None, None)
            );
        }
        // Only a record: `CEF:` alone, or another word, is still not syslog.
        for raw in ["CEF: hello", "CEF:x|a", "cef:0|a|b", "LEEF:1.0|a|b"] {
            assert!(
                matches!(
                    parse(raw.as_bytes(), received()),
                    Err(ParseError::NotSyslog(_))
                ),
                "{raw}"
            );
        }
    }

    #[test]
    fn rfc5424_with_structured_data_and_no_text() {
        for raw in [
            r#"<165>1 2026-11-30T07:59:58Z fw01 ids 42 ALERT [sig@32473 id="2019284" src="203.0.113.9"]"#,
            r#"<165>1 2026-11-30T07:59:58Z fw01 ids 42 ALERT [sig@32473 id="2019284" src="203.0.113.9"] "#,
        ] {
            let m = parse(raw.as_bytes(), received()).unwrap();
            assert_eq!(m.msg_id.as_deref(), Some("ALERT"), "{raw}");
            assert_eq!(m.message, "", "{raw}");
            assert_eq!(
                m.structured_data,
                [
                    ("sig@32473.id".to_owned(), "2019284".to_owned()),
                    ("sig@32473.src".to_owned(), "203.0.113.9".to_owned()),
                ],
                "{raw}"
            );
        }
    }

    #[test]
    fn tabs_in_the_text_are_kept() {
        let m = parse(
            b"<134>Nov 30 07:59:58 fw01 CEF:0|V|P|1|S|N|5|a=1\tb=2",
            received(),
        )
        .unwrap();
        assert_eq!(m.message, "CEF:0|V|P|1|S|N|5|a=1\tb=2");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&raw, received());
        }

        #[test]
        fn arbitrary_text_after_a_priority_never_panics(pri in 0u16..200, rest in "\\PC{0,120}") {
            let raw = format!("<{pri}>{rest}");
            if let Ok(m) = parse(raw.as_bytes(), received()) {
                prop_assert!(m.severity.is_some_and(|s| s <= 7));
            }
        }

        #[test]
        fn header_like_text_never_panics(
            parts in proptest::collection::vec(
                prop::sample::select(vec!["<13>", "1", " ", "-", "Dec", "31", "29", "Feb", "23:59:60", "2026-02-30T00:00:00Z", "[a b=\"c\"]", "host", "app[1]:", ":", "\\", "\"", "]", "99999999999"]),
                0..14,
            ),
        ) {
            let _ = parse(parts.concat().as_bytes(), received());
        }
    }
}
