//! Syslog messages, and the CEF records they often carry.

use rampart_domain::{AlertSeverity, EventReport, ObservableType, Text, Timestamp};
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

use super::{Draft, from_epoch_millis, headline, line, sensor, text};
use crate::ParseError;
use crate::cef::{self, Cef, CefSeverity};
use crate::syslog::{SyslogMessage, year_for};

/// Characters of a plain syslog message that make its title.
const TITLE_CHARS: usize = 120;

/// CEF extension keys holding addresses or host names.
const CEF_HOSTS: &[&str] = &[
    "src",
    "dst",
    "shost",
    "dhost",
    "dvc",
    "dvchost",
    "sourceTranslatedAddress",
    "destinationTranslatedAddress",
    "deviceTranslatedAddress",
];
/// CEF extension keys holding user names.
const CEF_USERS: &[&str] = &["suser", "duser"];
/// CEF extension keys holding file digests.
const CEF_HASHES: &[&str] = &["fileHash", "oldFileHash"];

/// A syslog message as a sensor report: a CEF record when the text is one,
/// else the message itself.
pub fn from_syslog(msg: &SyslogMessage, received_at: Timestamp) -> Result<EventReport, ParseError> {
    if msg.message.starts_with("CEF:") {
        let cef = cef::parse(&msg.message)?;
        let mut report = from_cef(&cef, received_at)?;
        if report.occurred_at.is_none() && report.ended_at.is_none() {
            report.occurred_at = msg.timestamp;
        }
        return Ok(report);
    }
    // An RFC 5424 message may say everything in its structured data.
    let said = if msg.message.trim().is_empty() && !msg.structured_data.is_empty() {
        structured_summary(msg)
    } else {
        msg.message.clone()
    };
    let Some(title) = headline(&said, TITLE_CHARS) else {
        return Err(ParseError::Unusable(
            "the syslog message has neither text nor structured data".to_owned(),
        ));
    };
    let description = text(&said).unwrap_or_else(|| title.clone());
    let name = msg
        .app_name
        .as_deref()
        .or(msg.hostname.as_deref())
        .unwrap_or("syslog");
    let mut draft = Draft {
        severity: msg.severity.map(syslog_severity),
        occurred_at: msg.timestamp,
        ..Draft::default()
    };
    if let Some(host) = &msg.hostname {
        draft.observe_host(host);
        draft.asset(host);
    }
    draft.observe_ips_in(&msg.message);
    for (key, value) in [
        ("facility", &msg.facility),
        ("app_name", &msg.app_name),
        ("proc_id", &msg.proc_id),
        ("msg_id", &msg.msg_id),
    ] {
        if let Some(value) = value {
            draft.attribute(key, value);
        }
    }
    for (key, value) in &msg.structured_data {
        draft.attribute(key, value);
        draft.observe_ips_in(value);
    }
    Ok(draft.into_report(title, description, sensor(name, None)))
}

/// The message ID and the structured data as `id.param=value` words, for a
/// message without text.
fn structured_summary(msg: &SyslogMessage) -> String {
    let pairs = msg
        .structured_data
        .iter()
        .map(|(key, value)| format!("{key}={value}"));
    msg.msg_id
        .iter()
        .cloned()
        .chain(pairs)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A CEF record as a sensor report; `received_at` supplies missing years.
pub fn from_cef(cef: &Cef, received_at: Timestamp) -> Result<EventReport, ParseError> {
    let source_name = format!("{} {}", cef.vendor.trim(), cef.product.trim());
    let source_name = if source_name.trim().is_empty() {
        "CEF"
    } else {
        source_name.trim()
    };
    let title = line(&cef.name)
        .or_else(|| line(&cef.signature_id))
        .unwrap_or_else(|| Text::lossy(&format!("{source_name} event")));
    let description = cef
        .get("msg")
        .and_then(text)
        .or_else(|| text(&cef.name))
        .unwrap_or_else(|| title.clone());
    let time = |key: &str| cef.get(key).and_then(|v| cef_time(v, received_at));
    let mut draft = Draft {
        severity: cef_severity(cef.severity),
        occurred_at: time("start").or_else(|| time("rt")),
        ended_at: time("end"),
        ..Draft::default()
    };
    for (key, value) in &cef.extension {
        let key = key.as_str();
        if CEF_HOSTS.contains(&key) {
            draft.observe_host(value);
        } else if CEF_USERS.contains(&key) {
            draft.observe_user(value);
        } else if CEF_HASHES.contains(&key) {
            draft.observe(ObservableType::Hash, value);
        } else if key == "request" {
            draft.observe(ObservableType::Url, value);
        } else if key == "destinationDnsDomain" {
            draft.observe(ObservableType::Domain, value);
        }
    }
    for (key, value) in [
        ("cef.signature_id", &cef.signature_id),
        ("cef.device_version", &cef.device_version),
    ] {
        if !value.trim().is_empty() {
            draft.attribute(key, value);
        }
    }
    for (key, value) in &cef.extension {
        draft.attribute(key, value);
    }
    Ok(draft.into_report(
        title,
        description,
        sensor(source_name, cef.get("externalId")),
    ))
}

/// Syslog severities 0-2 are critical, 3 high, 4 medium, 5 low, 6-7 info.
fn syslog_severity(severity: u8) -> AlertSeverity {
    match severity {
        0..=2 => AlertSeverity::Critical,
        3 => AlertSeverity::High,
        4 => AlertSeverity::Medium,
        5 => AlertSeverity::Low,
        _ => AlertSeverity::Info,
    }
}

/// CEF 0-3 is low, 4-6 medium, 7-8 high, 9-10 critical (Very-High).
fn cef_severity(severity: CefSeverity) -> Option<AlertSeverity> {
    Some(match severity {
        CefSeverity::Level(0..=3) | CefSeverity::Low => AlertSeverity::Low,
        CefSeverity::Level(4..=6) | CefSeverity::Medium => AlertSeverity::Medium,
        CefSeverity::Level(7..=8) | CefSeverity::High => AlertSeverity::High,
        CefSeverity::Level(_) | CefSeverity::VeryHigh => AlertSeverity::Critical,
        CefSeverity::Unknown => return None,
    })
}

/// A CEF time: milliseconds since the epoch, RFC 3339, or
/// `MMM dd [yyyy] HH:mm:ss[.SSS] [zone]` with the zone as `UTC`, `GMT`, `Z`
/// or an offset (`+01:00`, `-0500`). A missing year is supplied as for
/// RFC 3164 syslog; a missing zone is UTC; a named zone is not guessed at.
fn cef_time(raw: &str, received_at: Timestamp) -> Option<Timestamp> {
    let raw = raw.trim();
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = raw.parse().ok()?;
        // Some devices send seconds: a millisecond count this small would be early 1973.
        return if n < 100_000_000_000 {
            Timestamp::from_unix(n)
        } else {
            from_epoch_millis(n)
        };
    }
    if let Ok(t) = Timestamp::parse(raw) {
        return Some(t);
    }
    let mut parts = raw.split_whitespace();
    let month = month(parts.next()?)?;
    let day: u8 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?;
    let mut year = None;
    if clock.len() == 4 && clock.bytes().all(|b| b.is_ascii_digit()) {
        year = Some(clock.parse::<i32>().ok()?);
        clock = parts.next()?;
    }
    let offset = match parts.next() {
        None => UtcOffset::UTC,
        Some(zone) => zone_offset(zone)?,
    };
    if parts.next().is_some() {
        return None;
    }
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut hms = hms.split(':').map(|p| p.parse::<u8>().ok());
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() {
        return None;
    }
    let nanos = if fraction.is_empty() {
        0
    } else if fraction.len() <= 9 && fraction.bytes().all(|b| b.is_ascii_digit()) {
        fraction.parse::<u32>().ok()? * 10u32.pow(9 - fraction.len() as u32)
    } else {
        return None;
    };
    let year = year.unwrap_or_else(|| {
        year_for(
            (
                u32::from(u8::from(month)),
                u32::from(day),
                u32::from(hour),
                u32::from(minute),
                u32::from(second),
            ),
            received_at,
        )
    });
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    Some(Timestamp::from_offset(
        PrimitiveDateTime::new(date, time).assume_offset(offset),
    ))
}

fn month(name: &str) -> Option<Month> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.to_ascii_lowercase();
    let index = MONTHS.iter().position(|m| *m == lower)?;
    Month::try_from(u8::try_from(index + 1).ok()?).ok()
}

fn zone_offset(zone: &str) -> Option<UtcOffset> {
    if matches!(zone.to_ascii_uppercase().as_str(), "UTC" | "GMT" | "Z") {
        return Some(UtcOffset::UTC);
    }
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i8 = digits[..2].parse().ok()?;
    let minutes: i8 = digits
        .get(2..)
        .filter(|m| !m.is_empty())
        .map_or(Some(0), |m| m.parse().ok())?;
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syslog;
    use proptest::prelude::*;
    use rampart_domain::{Observable, SourceKind};

    fn received() -> Timestamp {
        Timestamp::parse("2026-11-30T08:00:00Z").unwrap()
    }

    fn at(s: &str) -> Option<Timestamp> {
        Some(Timestamp::parse(s).unwrap())
    }

    fn observables(report: &EventReport) -> Vec<String> {
        report
            .observables
            .iter()
            .map(|o: &Observable| format!("{}:{}", o.kind, o.value))
            .collect()
    }

    fn from_raw(raw: &str) -> Result<EventReport, ParseError> {
        from_syslog(&syslog::parse(raw.as_bytes(), received())?, received())
    }

    #[test]
    fn a_plain_syslog_message() {
        let report = from_raw(
            "<35>Nov 30 07:55:01 bastion.corp.example sshd[2231]: Failed password for invalid user admin from 203.0.113.9 port 52144 ssh2",
        )
        .unwrap();
        assert_eq!(
            report.title.as_str(),
            "Failed password for invalid user admin from 203.0.113.9 port 52144 ssh2"
        );
        assert_eq!(report.description.as_str(), report.title.as_str());
        let source = report.source.as_ref().unwrap();
        assert_eq!(source.kind, SourceKind::Sensor);
        assert_eq!(source.name.as_ref().unwrap().as_str(), "sshd");
        assert_eq!(source.reference, None);
        assert_eq!(report.severity, Some(AlertSeverity::High));
        assert_eq!(report.occurred_at, at("2026-11-30T07:55:01Z"));
        assert_eq!(
            observables(&report),
            ["host:bastion.corp.example", "ip:203.0.113.9"]
        );
        assert_eq!(report.assets[0].as_str(), "bastion.corp.example");
        assert_eq!(report.attributes["facility"], "auth");
        assert_eq!(report.attributes["app_name"], "sshd");
        assert_eq!(report.attributes["proc_id"], "2231");
        report.validate(received()).unwrap();
    }

    #[test]
    fn plain_syslog_titles_are_cut_and_names_fall_back() {
        let long = "x".repeat(300);
        let report = from_raw(&format!("<14>1 - 192.0.2.1 - - - - {long}")).unwrap();
        assert_eq!(report.title.as_str().chars().count(), TITLE_CHARS);
        assert_eq!(report.description.as_str(), long);
        assert_eq!(report.source.unwrap().name.unwrap().as_str(), "192.0.2.1");
        assert_eq!(
            observables(&from_raw("<14>1 - 192.0.2.1 - - - - x").unwrap()),
            ["ip:192.0.2.1"]
        );
        let report = from_raw("<14>no header at all").unwrap();
        assert_eq!(report.source.unwrap().name.unwrap().as_str(), "syslog");
        assert_eq!(report.severity, Some(AlertSeverity::Info));
        assert!(matches!(
            from_raw("<14>1 - host app - - -"),
            Err(ParseError::Unusable(_))
        ));
        assert!(matches!(
            from_raw("<14>1 - host app - ID1 -"),
            Err(ParseError::Unusable(_))
        ));
    }

    #[test]
    fn structured_data_without_text_says_what_happened() {
        let report = from_raw(
            r#"<165>1 2026-11-30T07:59:58Z fw01 ids 42 ALERT [sig@32473 id="2019284" src="203.0.113.9"][meta sequenceId="7"]"#,
        )
        .unwrap();
        assert_eq!(
            report.title.as_str(),
            "ALERT sig@32473.id=2019284 sig@32473.src=203.0.113.9 meta.sequenceId=7"
        );
        assert_eq!(report.description.as_str(), report.title.as_str());
        assert_eq!(
            report
                .source
                .as_ref()
                .unwrap()
                .name
                .as_ref()
                .unwrap()
                .as_str(),
            "ids"
        );
        assert_eq!(report.severity, Some(AlertSeverity::Low));
        assert_eq!(report.occurred_at, at("2026-11-30T07:59:58Z"));
        assert_eq!(report.attributes["sig@32473.id"], "2019284");
        assert_eq!(observables(&report), ["host:fw01", "ip:203.0.113.9"]);
        report.validate(received()).unwrap();
        // Without a message ID, the data alone.
        let report = from_raw(r#"<165>1 - fw01 ids - - [sig@32473 id="1"]"#).unwrap();
        assert_eq!(report.title.as_str(), "sig@32473.id=1");
    }

    #[test]
    fn a_bare_cef_record_and_tabs_keep_the_reference() {
        for raw in [
            "CEF:0|Acme|Sentinel|2.1|100|Port scan|7|src=198.51.100.23 externalId=ev-1",
            "CEF:0|Acme|Sentinel|2.1|100|Port scan|7|src=198.51.100.23\texternalId=ev-1",
            "<134>Nov 30 07:59:58 ids1 CEF:0|Acme|Sentinel|2.1|100|Port scan|7|src=198.51.100.23\texternalId=ev-1",
        ] {
            let report = from_raw(raw).unwrap();
            let source = report.source.as_ref().unwrap();
            assert_eq!(
                source.name.as_ref().unwrap().as_str(),
                "Acme Sentinel",
                "{raw}"
            );
            assert_eq!(source.reference.as_ref().unwrap().as_str(), "ev-1", "{raw}");
            assert_eq!(report.attributes["src"], "198.51.100.23", "{raw}");
            assert_eq!(observables(&report), ["ip:198.51.100.23"], "{raw}");
            report.validate(received()).unwrap();
        }
    }

    #[test]
    fn a_cef_alert_over_syslog() {
        let report = from_raw(concat!(
            "<132>Nov 30 07:59:58 fw01 CEF:0|Northwind Networks|Bastion FW|7.2.1|threat:1042|",
            r"Blocked outbound C2 beacon|9|rt=Nov 30 2026 07:59:57.250 UTC end=1764489600000 ",
            r"src=10.1.4.22 dst=198.51.100.77 shost=WS-0142.corp.example suser=CORP\\jdoe duser=jane@Example.org ",
            r"fileHash=44D88612FEA8A8F36DE82E1278ABB02F request=https://evil.example/gate.php ",
            r"dvchost=fw01 externalId=ev-889 act=blocked msg=Beacon to known C2\nsecond line ",
            r"cs1Label=Rule Name cs1=Outbound C2 dst=not-an-ip"
        ))
        .unwrap();
        let source = report.source.as_ref().unwrap();
        assert_eq!(
            source.name.as_ref().unwrap().as_str(),
            "Northwind Networks Bastion FW"
        );
        assert_eq!(source.reference.as_ref().unwrap().as_str(), "ev-889");
        assert_eq!(report.title.as_str(), "Blocked outbound C2 beacon");
        assert_eq!(
            report.description.as_str(),
            "Beacon to known C2\nsecond line"
        );
        assert_eq!(report.severity, Some(AlertSeverity::Critical));
        assert_eq!(report.occurred_at, at("2026-11-30T07:59:57.25Z"));
        // An end before the start is dropped.
        assert_eq!(report.ended_at, None);
        assert_eq!(
            observables(&report),
            [
                "ip:10.1.4.22",
                "ip:198.51.100.77",
                "host:ws-0142.corp.example",
                "account:CORP\\jdoe",
                "email:jane@example.org",
                "hash:44d88612fea8a8f36de82e1278abb02f",
                "url:https://evil.example/gate.php",
                "host:fw01",
                "host:not-an-ip",
            ]
        );
        assert_eq!(report.attributes["act"], "blocked");
        assert_eq!(report.attributes["Rule_Name"], "Outbound C2");
        assert_eq!(report.attributes["msg"], "Beacon to known C2 second line");
        assert_eq!(report.attributes["cef.signature_id"], "threat:1042");
        report.validate(received()).unwrap();
    }

    #[test]
    fn cef_without_times_takes_the_syslog_time() {
        let report = from_raw(
            "<132>1 2026-11-30T07:00:00Z fw01 - - - - CEF:0|V|P|1|7|Port scan|Low|src=192.0.2.5",
        )
        .unwrap();
        assert_eq!(report.occurred_at, at("2026-11-30T07:00:00Z"));
        assert_eq!(report.severity, Some(AlertSeverity::Low));
        assert_eq!(report.source.unwrap().reference, None);
        let err = from_raw("<132>CEF:0|V|P|1|7").unwrap_err();
        assert!(
            err.to_string().contains("CEF header has 5 of 7 fields"),
            "{err}"
        );
    }

    #[test]
    fn cef_severities_and_times() {
        let levels: Vec<_> = [0, 3, 4, 6, 7, 8, 9, 10]
            .map(|n| cef_severity(CefSeverity::Level(n)).unwrap())
            .into();
        use AlertSeverity::*;
        assert_eq!(
            levels,
            [Low, Low, Medium, Medium, High, High, Critical, Critical]
        );
        assert_eq!(cef_severity(CefSeverity::Unknown), None);
        for (raw, want) in [
            ("1764489600123", "2025-11-30T08:00:00.123Z"),
            ("1764489600", "2025-11-30T08:00:00Z"),
            ("2026-11-30T09:00:00+01:00", "2026-11-30T08:00:00Z"),
            ("Nov 30 2026 07:59:57", "2026-11-30T07:59:57Z"),
            ("nov 30 2026 07:59:57.5 +01:00", "2026-11-30T06:59:57.5Z"),
            ("Nov 30 07:59:57.123 GMT", "2026-11-30T07:59:57.123Z"),
            ("Dec 31 23:00:00 -0500", "2025-12-31T23:00:00-05:00"),
        ] {
            assert_eq!(cef_time(raw, received()), at(want), "{raw}");
        }
        for raw in [
            "",
            "Nov 30",
            "Foo 30 2026 07:59:57",
            "Nov 30 2026 07:59:57 CET",
            "Nov 31 2026 07:00:00",
            "Nov 30 2026 25:00:00",
            "Nov 30 2026 07:59:57.1234567890",
        ] {
            assert_eq!(cef_time(raw, received()), None, "{raw}");
        }
    }

    proptest! {
        #[test]
        fn any_syslog_message_maps_or_fails_cleanly(raw in "<[0-9]{1,3}>\\PC{0,150}") {
            if let Ok(msg) = syslog::parse(raw.as_bytes(), received())
                && let Ok(report) = from_syslog(&msg, received())
            {
                prop_assert!(!report.title.as_str().is_empty());
                prop_assert!(report.source.is_some());
            }
        }

        #[test]
        fn cef_times_never_panic(raw in "\\PC{0,40}", digits in "[0-9]{1,30}") {
            let _ = cef_time(&raw, received());
            let _ = cef_time(&digits, received());
        }
    }
}
