//! The times `logs --since` and `--until` take, read as the docker CLI reads them: a duration
//! back from now (`42m`, `1h30m`), an RFC 3339 date or date-time with or without a zone
//! (`2013-01-02T13:23:37Z`, `2013-01-02T13:23`, `2013-01-02`; without a zone, the local zone's
//! current offset applies, as docker does), or a Unix timestamp (`1700000000`, `1700000000.5`).
//!
//! Pure except for [`parse_now`], which reads the clock and the local zone's offset.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::units::parse_duration;

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
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
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
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The local zone's offset from UTC at `now`, in seconds (0 when it cannot be read).
pub(super) fn local_offset(now: i64) -> i64 {
    let t: libc::time_t = now as libc::time_t;
    // SAFETY: `localtime_r` reads `t` and writes only into `tm`, which lives on this stack frame;
    // a null result (time out of range) is checked before `tm` is read.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return 0;
        }
        tm.tm_gmtoff as i64
    }
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
}
