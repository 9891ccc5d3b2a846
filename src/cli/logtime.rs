//! The times `logs --since` and `--until` take, read as the docker CLI reads them: a duration
//! back from now (`42m`, `1h30m`), an RFC 3339 date or date-time with or without a zone
//! (`2013-01-02T13:23:37Z`, `2013-01-02T13:23`, `2013-01-02`; without a zone, the local zone's
//! current offset applies, as docker does), or a Unix timestamp (`1700000000`, `1700000000.5`).
//!
//! Also the two time layouts docker compose prints event times with ([`local_time`],
//! [`rfc3339_nano`]). The calendar is `jiff`'s. Pure except for [`parse_now`] and
//! [`local_offset`], which read the clock and the local zone (`TZ`, else /etc/localtime).

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

use rcompose::model::units::parse_duration;

/// [`parse`] against the current time and the local zone (a clap value parser).
pub fn parse_now(value: &str) -> Result<i64, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    parse(value, now, local_offset(now))
}

/// Seconds since the epoch for `value`, `now` being seconds since the epoch and `local_offset`
/// the local zone's offset from UTC in seconds (east positive).
pub fn parse(value: &str, now: i64, local_offset: i64) -> Result<i64, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("expected a time: a duration such as 42m, a date such as 2013-01-02T13:23:37Z, or a Unix timestamp".into());
    }
    // A duration back from now (docker reads "0" as the epoch, not as "now").
    if v != "0" && v.bytes().any(|b| b.is_ascii_alphabetic()) && !v.contains('-') {
        if let Ok(d) = parse_duration(v) {
            return Ok(now.saturating_sub(d.as_secs() as i64));
        }
    }
    if let Some(rest) = v.strip_prefix('-') {
        // A negative duration reaches into the future, as in Go.
        if let Ok(d) = parse_duration(rest) {
            return Ok(now.saturating_add(d.as_secs() as i64));
        }
    }
    if v.contains('-') {
        return parse_datetime(v, local_offset).ok_or_else(|| {
            format!("{v:?} is not a date: expected RFC 3339, such as 2013-01-02T13:23:37Z, 2013-01-02T13:23 or 2013-01-02")
        });
    }
    unix_timestamp(v).ok_or_else(|| format!("failed to parse {v:?} as a time or a duration"))
}

/// `1700000000` or `1700000000.123456789`: whole seconds (the fraction is dropped).
fn unix_timestamp(v: &str) -> Option<i64> {
    let (secs, frac) = v.split_once('.').unwrap_or((v, ""));
    if secs.is_empty()
        || !secs.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 9
    {
        return None;
    }
    secs.parse().ok()
}

/// `YYYY-MM-DD[Thh[:mm[:ss[.fraction]]]][Z|±hh:mm]`; without a zone, `local_offset` applies.
fn parse_datetime(v: &str, local_offset: i64) -> Option<i64> {
    let b = v.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = v.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let mut i = 10;
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    if matches!(b.get(i), Some(b'T' | b't')) {
        hour = num(i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b':') {
            minute = num(i + 1, 2)?;
            i += 3;
            if b.get(i) == Some(&b':') {
                second = num(i + 1, 2)?;
                i += 3;
                if b.get(i) == Some(&b'.') {
                    i += 1;
                    let start = i;
                    while b.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                    if i == start {
                        return None;
                    }
                }
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
    }
    let offset = match &v[i..] {
        "" => local_offset,
        "Z" | "z" => 0,
        zone => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if zone.len() != 6 || zone.as_bytes()[3] != b':' {
                return None;
            }
            let (h, m) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let at = jiff::civil::DateTime::new(
        i16::try_from(year).ok()?,
        month as i8,
        day as i8,
        hour as i8,
        minute as i8,
        second as i8,
        0,
    )
    .ok()?;
    let zone = TimeZone::fixed(Offset::from_seconds(i32::try_from(offset).ok()?).ok()?);
    Some(at.to_zoned(zone).ok()?.timestamp().as_second())
}

/// The local zone's offset from UTC at `now` (seconds since the epoch), in seconds east of UTC
/// (0 when it cannot be read).
pub fn local_offset(now: i64) -> i64 {
    let Ok(at) = Timestamp::from_second(now) else {
        return 0;
    };
    i64::from(local_zone().to_offset(at).seconds())
}

/// The local time zone: `TZ` when set, else `/etc/localtime` read directly (jiff's own lookup
/// of the system zone walks the whole zoneinfo tree to name it, a few milliseconds per `ps`),
/// else whatever jiff finds (UTC at worst).
pub fn local_zone() -> TimeZone {
    if std::env::var_os("TZ").is_none_or(|v| v.is_empty()) {
        if let Ok(data) = std::fs::read("/etc/localtime") {
            if let Ok(zone) = TimeZone::tzif("Local", &data) {
                return zone;
            }
        }
    }
    TimeZone::system()
}

/// The date and time of `nanos` since the epoch in the zone `offset` seconds east of UTC
/// (UTC when the offset is out of range).
fn civil(nanos: i64, offset: i64) -> jiff::civil::DateTime {
    let zone = i32::try_from(offset)
        .ok()
        .and_then(|o| Offset::from_seconds(o).ok())
        .unwrap_or(Offset::UTC);
    let at = Timestamp::from_nanosecond(i128::from(nanos)).unwrap_or(Timestamp::UNIX_EPOCH);
    zone.to_datetime(at)
}

/// `2006-01-02 15:04:05.000000` (Go's layout docker compose prints events with), in the zone
/// `offset` seconds east of UTC.
pub fn local_time(nanos: i64, offset: i64) -> String {
    let c = civil(nanos, offset);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        c.year(),
        c.month(),
        c.day(),
        c.hour(),
        c.minute(),
        c.second(),
        c.subsec_nanosecond() / 1000
    )
}

/// Go's `time.RFC3339Nano`: fraction without trailing zeros, `Z` for UTC.
pub fn rfc3339_nano(nanos: i64, offset: i64) -> String {
    let c = civil(nanos, offset);
    let mut text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year(),
        c.month(),
        c.day(),
        c.hour(),
        c.minute(),
        c.second()
    );
    if c.subsec_nanosecond() != 0 {
        let frac = format!("{:09}", c.subsec_nanosecond());
        text.push('.');
        text.push_str(frac.trim_end_matches('0'));
    }
    if offset == 0 {
        text.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let a = offset.abs();
        text.push_str(&format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000; // 2023-11-14T22:13:20Z

    #[test]
    fn durations_count_back_from_now() {
        assert_eq!(parse("42m", NOW, 0), Ok(NOW - 42 * 60));
        assert_eq!(parse("1h30m", NOW, 0), Ok(NOW - 5400));
        assert_eq!(parse("1.5h", NOW, 0), Ok(NOW - 5400));
        assert_eq!(parse("10s", NOW, 3600), Ok(NOW - 10));
        assert_eq!(parse("-1h", NOW, 0), Ok(NOW + 3600));
    }

    #[test]
    fn dates_with_a_zone_are_absolute() {
        assert_eq!(parse("2023-11-14T22:13:20Z", NOW, 7200), Ok(NOW));
        assert_eq!(parse("2023-11-14T22:13:20.123456789Z", NOW, 0), Ok(NOW));
        assert_eq!(parse("2023-11-15T00:13:20+02:00", NOW, 0), Ok(NOW));
        assert_eq!(parse("2023-11-14T21:13:20-01:00", NOW, 0), Ok(NOW));
        assert_eq!(parse("1970-01-01Z", NOW, 3600), Ok(0));
        assert_eq!(parse("2000-03-01T00:00:00Z", NOW, 0), Ok(951_868_800));
    }

    #[test]
    fn dates_without_a_zone_are_local() {
        // UTC+1: local 23:13:20 is 22:13:20 UTC.
        assert_eq!(parse("2023-11-14T23:13:20", NOW, 3600), Ok(NOW));
        assert_eq!(parse("2023-11-14T23:13", NOW, 3600), Ok(NOW - 20));
        assert_eq!(parse("2023-11-14T23", NOW, 3600), Ok(NOW - 13 * 60 - 20));
        // Local midnight of the 15th is 23:00 UTC on the 14th, 46m40s after NOW.
        assert_eq!(parse("2023-11-15", NOW, 3600), Ok(NOW + 2800));
    }

    #[test]
    fn unix_timestamps_pass_through() {
        assert_eq!(parse("1700000000", NOW, 3600), Ok(NOW));
        assert_eq!(parse("1700000000.999", NOW, 0), Ok(NOW));
        assert_eq!(parse("0", NOW, 0), Ok(0));
    }

    #[test]
    fn nonsense_is_an_error_naming_the_value() {
        for bad in [
            "",
            "yesterday",
            "2023-13-01",
            "2023-02-30",
            "2023-11-14T25:00Z",
            "2023-11-14T22:13:20+2",
            "2023-11-14 22:13",
            "17e9",
            "1.2.3",
            "42x",
        ] {
            let e = parse(bad, NOW, 0).expect_err(bad);
            assert!(!e.is_empty());
            if !bad.is_empty() {
                assert!(e.contains(bad.trim()), "{bad}: {e}");
            }
        }
    }

    #[test]
    fn times_format_like_go() {
        assert_eq!(rfc3339_nano(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_nano(1_500_000_000, 0), "1970-01-01T00:00:01.5Z");
        assert_eq!(rfc3339_nano(-1, 0), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(
            rfc3339_nano(951_868_800_000_000_000, 19_800),
            "2000-03-01T05:30:00+05:30"
        );
        assert_eq!(
            local_time(951_782_400_000_000_000, 0),
            "2000-02-29 00:00:00.000000"
        );
    }
}
