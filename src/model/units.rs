//! Durations, byte sizes and numbers as Compose (compose-go, Go) reads and prints them.
//!
//! - Durations read like Go's `time.ParseDuration` plus `d` and `w` (compose-go uses str2duration),
//!   and print like Go's `time.Duration.String()` (`1m30s`, `1h0m0s`, `500ms`, `0s`).
//! - Byte sizes read like docker's `units.RAMInBytes` (`512m`, `1.5GiB`, `1024`: binary multiples).
//! - Floats print like Go's `strconv.FormatFloat(f, 'g', -1, bits)`, which is what the YAML
//!   encoder uses (`0.5`, `2`, `1e+06`).
//!
//! Pure functions, no I/O; imports nothing from the rest of the crate.

use std::fmt;
use std::time::Duration;

/// Why a duration or size could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitError(pub String);

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UnitError {}

const NS: u128 = 1;
const US: u128 = 1_000;
const MS: u128 = 1_000_000;
const S: u128 = 1_000_000_000;
const MIN: u128 = 60 * S;
const H: u128 = 60 * MIN;
const D: u128 = 24 * H;
const W: u128 = 7 * D;

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => NS,
        "us" | "\u{b5}s" | "\u{3bc}s" => US,
        "ms" => MS,
        "s" => S,
        "m" => MIN,
        "h" => H,
        "d" => D,
        "w" => W,
        _ => return None,
    })
}

/// Parses a Go-style duration: `90s`, `1m30s`, `1.5h`, `2d`, `1w2d`, `500ms`, `0`.
///
/// Negative durations are rejected (no Compose field accepts them).
pub fn parse_duration(input: &str) -> Result<Duration, UnitError> {
    let err = |why: &str| UnitError(format!("invalid duration {input:?}: {why}"));
    let mut s = input.trim();
    if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    } else if let Some(rest) = s.strip_prefix('-') {
        if !rest.is_empty() && rest.chars().all(|c| c == '0' || c == '.') {
            return Ok(Duration::ZERO);
        }
        return Err(err("negative durations are not allowed"));
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(err("empty duration"));
    }
    let mut total: u128 = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // number: digits [. digits]
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let int_part = &s[start..i];
        let mut frac_part = "";
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let fs = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            frac_part = &s[fs..i];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(err("expected a number"));
        }
        let ustart = i;
        while i < bytes.len() && !bytes[i].is_ascii_digit() && bytes[i] != b'.' {
            i += 1;
        }
        let unit = &s[ustart..i];
        if unit.is_empty() {
            return Err(err("missing unit (use ns, us, ms, s, m, h, d or w)"));
        }
        let mult = unit_nanos(unit).ok_or_else(|| err(&format!("unknown unit {unit:?}")))?;
        let int_val: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| err("number too large"))?
        };
        let mut nanos = int_val
            .checked_mul(mult)
            .ok_or_else(|| err("duration too large"))?;
        if !frac_part.is_empty() {
            // fraction * mult, truncated like Go
            let digits = &frac_part[..frac_part.len().min(30)];
            let frac: u128 = digits.parse().map_err(|_| err("bad fraction"))?;
            let scale = 10u128.pow(digits.len() as u32);
            nanos = nanos
                .checked_add(frac.saturating_mul(mult) / scale)
                .ok_or_else(|| err("duration too large"))?;
        }
        total = total
            .checked_add(nanos)
            .ok_or_else(|| err("duration too large"))?;
    }
    if total > i64::MAX as u128 {
        return Err(err("duration too large"));
    }
    let secs = (total / S) as u64;
    let sub = (total % S) as u32;
    Ok(Duration::new(secs, sub))
}

/// `v` as `int.frac` with `prec` fractional digits, trailing zeros (and a bare dot) removed.
fn fmt_frac(v: u128, prec: u32) -> String {
    let scale = 10u128.pow(prec);
    let int = v / scale;
    let frac = v % scale;
    if frac == 0 {
        return int.to_string();
    }
    let mut f = format!("{frac:0width$}", width = prec as usize);
    while f.ends_with('0') {
        f.pop();
    }
    format!("{int}.{f}")
}

/// Prints a duration exactly like Go's `time.Duration.String()`.
pub fn format_duration(d: Duration) -> String {
    let u = d.as_nanos();
    if u == 0 {
        return "0s".to_string();
    }
    if u < S {
        return if u < US {
            format!("{u}ns")
        } else if u < MS {
            format!("{}\u{b5}s", fmt_frac(u, 3))
        } else {
            format!("{}ms", fmt_frac(u, 6))
        };
    }
    let mut out = String::new();
    let hours = u / H;
    let mins = (u % H) / MIN;
    let rest = u % MIN;
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0 || mins > 0 {
        out.push_str(&format!("{mins}m"));
    }
    out.push_str(&fmt_frac(rest, 9));
    out.push('s');
    out
}

/// Parses a memory size like docker's `units.RAMInBytes`: a number, an optional space, an
/// optional `k`/`m`/`g`/`t`/`p` (any case, binary multiples), an optional `i` and `b`.
pub fn parse_bytes(input: &str) -> Result<i64, UnitError> {
    let err = || {
        UnitError(format!(
            "invalid size {input:?}: expected e.g. 512m, 1g, 1024"
        ))
    };
    let s = input;
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, mut rest) = s.split_at(num_end);
    if num.is_empty() || !num.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(err());
    }
    // digits, then groups of "." digits (like the regex (\d+(\.\d+)*))
    if num.split('.').any(|part| part.is_empty()) {
        return Err(err());
    }
    let value: f64 = num.parse().map_err(|_| err())?;
    if let Some(r) = rest.strip_prefix(' ') {
        rest = r;
    }
    let mut chars = rest.chars().peekable();
    let mut mult: f64 = 1.0;
    if let Some(&c) = chars.peek() {
        let m = match c.to_ascii_lowercase() {
            'k' => Some(1024f64),
            'm' => Some(1024f64.powi(2)),
            'g' => Some(1024f64.powi(3)),
            't' => Some(1024f64.powi(4)),
            'p' => Some(1024f64.powi(5)),
            _ => None,
        };
        if let Some(m) = m {
            mult = m;
            chars.next();
        }
    }
    if matches!(chars.peek(), Some('i' | 'I')) {
        chars.next();
    }
    if matches!(chars.peek(), Some('b' | 'B')) {
        chars.next();
    }
    if chars.next().is_some() {
        return Err(err());
    }
    let bytes = value * mult;
    if !bytes.is_finite() || bytes > i64::MAX as f64 {
        return Err(UnitError(format!("invalid size {input:?}: too large")));
    }
    Ok(bytes as i64)
}

/// Formats a float like Go's `strconv.FormatFloat(f, 'g', -1, 64)` (the shortest representation
/// that reads back to the same value; exponent form below 1e-4 and from 1e21 on), with YAML's
/// spellings of the special values.
pub fn format_go_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.5e-5", "1e6".
    let e = format!("{f:e}");
    let (mant, exp) = match e.split_once('e') {
        Some(p) => p,
        None => return e,
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    // Go: with the shortest precision, %e is used when the exponent is < -4 or >= 6.
    let eprec = 6;
    if exp < -4 || exp >= eprec {
        let mut m = String::new();
        m.push_str(&digits[..1]);
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        let eabs = exp.unsigned_abs();
        return format!("{sign}{m}e{esign}{eabs:02}");
    }
    // fixed notation
    let dp = exp + 1; // position of decimal point relative to digits start
    let mut out = String::from(sign);
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let dp = dp as usize;
        if digits.len() <= dp {
            out.push_str(&digits);
            for _ in digits.len()..dp {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..dp]);
            out.push('.');
            out.push_str(&digits[dp..]);
        }
    }
    out
}

/// The f64 that prints like the given f32 (`0.3f32` becomes `0.3`, not `0.30000001192...`), as Go
/// does when it formats a float32 field with 32-bit precision.
pub fn f32_to_f64_shortest(f: f32) -> f64 {
    if !f.is_finite() {
        return f as f64;
    }
    format!("{f}").parse::<f64>().unwrap_or(f as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("90s").unwrap(), secs(90));
        assert_eq!(parse_duration("1m30s").unwrap(), secs(90));
        assert_eq!(parse_duration("1h").unwrap(), secs(3600));
        assert_eq!(parse_duration("1.5h").unwrap(), secs(5400));
        assert_eq!(parse_duration("2d").unwrap(), secs(2 * 86400));
        assert_eq!(parse_duration("1w").unwrap(), secs(7 * 86400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("10us").unwrap(), Duration::from_micros(10));
        assert_eq!(
            parse_duration("10\u{b5}s").unwrap(),
            Duration::from_micros(10)
        );
        assert_eq!(parse_duration("7ns").unwrap(), Duration::from_nanos(7));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        assert_eq!(
            parse_duration("1h2m3.5s").unwrap(),
            Duration::new(3723, 500_000_000)
        );
        assert_eq!(parse_duration(".5s").unwrap(), Duration::from_millis(500));
    }

    #[test]
    fn rejects_bad_durations() {
        for bad in [
            "",
            "10",
            "abc",
            "1x",
            "s",
            "-1s",
            "1.s.",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
        let e = parse_duration("10").unwrap_err();
        assert!(e.to_string().contains("missing unit"), "{e}");
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(format_duration(secs(90)), "1m30s");
        assert_eq!(format_duration(secs(60)), "1m0s");
        assert_eq!(format_duration(secs(120)), "2m0s");
        assert_eq!(format_duration(secs(3600)), "1h0m0s");
        assert_eq!(format_duration(secs(10)), "10s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(format_duration(Duration::from_micros(1500)), "1.5ms");
        assert_eq!(format_duration(Duration::from_micros(1)), "1\u{b5}s");
        assert_eq!(format_duration(Duration::from_nanos(100)), "100ns");
        assert_eq!(
            format_duration(Duration::new(3723, 500_000_000)),
            "1h2m3.5s"
        );
        assert_eq!(format_duration(secs(2 * 86400)), "48h0m0s");
    }

    #[test]
    fn duration_round_trips_through_text() {
        for s in ["1m30s", "1h0m0s", "10s", "1.5s", "500ms", "0s", "2h3m4s"] {
            assert_eq!(format_duration(parse_duration(s).unwrap()), s);
        }
    }

    #[test]
    fn parses_byte_sizes_like_docker() {
        assert_eq!(parse_bytes("1024").unwrap(), 1024);
        assert_eq!(parse_bytes("50m").unwrap(), 50 * 1024 * 1024);
        assert_eq!(parse_bytes("50M").unwrap(), 50 * 1024 * 1024);
        assert_eq!(parse_bytes("1g").unwrap(), 1 << 30);
        assert_eq!(parse_bytes("1gb").unwrap(), 1 << 30);
        assert_eq!(parse_bytes("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_bytes("1.5k").unwrap(), 1536);
        assert_eq!(parse_bytes("64 k").unwrap(), 64 * 1024);
        assert_eq!(parse_bytes("10b").unwrap(), 10);
        assert_eq!(parse_bytes("20G").unwrap(), 20 << 30);
    }

    #[test]
    fn rejects_bad_sizes() {
        for bad in ["", "abc", "1x", "-1", "1..5m", "m", "1mm", "1  m"] {
            assert!(parse_bytes(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn formats_floats_like_go() {
        assert_eq!(format_go_float(0.5), "0.5");
        assert_eq!(format_go_float(2.0), "2");
        assert_eq!(format_go_float(0.001), "0.001");
        assert_eq!(format_go_float(0.0001), "0.0001");
        assert_eq!(format_go_float(0.00001), "1e-05");
        assert_eq!(format_go_float(1e21), "1e+21");
        assert_eq!(format_go_float(123456.0), "123456");
        assert_eq!(format_go_float(1e6), "1e+06");
        assert_eq!(format_go_float(-1.25), "-1.25");
        assert_eq!(f32_to_f64_shortest(0.3), 0.3);
        assert_eq!(format_go_float(f32_to_f64_shortest(0.001)), "0.001");
    }
}
