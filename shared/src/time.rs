//! Timestamps and durations.
//!
//! Internally every timestamp is an `i64` count of milliseconds since the Unix epoch (UTC).
//! Input accepts RFC 3339 strings (`2024-05-01T12:00:00Z`, `2024-05-01T14:00:00.250+02:00`),
//! a plain date (`2024-05-01`, midnight UTC), a date-time without offset (taken as UTC), or an
//! epoch number whose unit follows from its magnitude:
//!
//! | absolute value        | unit          |
//! |-----------------------|---------------|
//! | < 10^11               | seconds (fractions allowed) |
//! | < 10^14               | milliseconds  |
//! | < 10^17               | microseconds  |
//! | otherwise             | nanoseconds   |
//!
//! 10^11 seconds is the year 5138 and 10^11 ms is 1973-03-03, so every realistic reading of a
//! number is unambiguous. Sub-millisecond precision is truncated toward negative infinity.
//! Output is always RFC 3339 UTC with milliseconds: `2024-05-01T12:00:00.000Z`.

/// Earliest and latest accepted instants: years 0000 through 9999, the range RFC 3339 can write.
pub const MIN_MS: i64 = -62_167_219_200_000;
pub const MAX_MS: i64 = 253_402_300_799_999;
/// The longest duration accepted: the span of the whole range (10,000 years).
pub const MAX_DURATION_MS: i64 = MAX_MS - MIN_MS + 1;

/// Milliseconds since the epoch, now: the one clock. Stores never read it; their callers pass
/// `now` in, so every time a store writes comes from the request or worker that caused it.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Parses a timestamp string: RFC 3339, a date, or an epoch number (see module docs).
pub fn parse(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty timestamp".into());
    }
    let b = s.as_bytes();
    // A date starts with four digits and a dash; anything else numeric is an epoch number.
    if b.len() >= 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        parse_rfc3339(b).ok_or_else(|| {
            format!("invalid timestamp {s:?}: expected RFC 3339 (2024-05-01T12:00:00Z), a date or epoch number")
        })
    } else if let Ok(i) = s.parse::<i64>() {
        from_epoch_int(i)
    } else {
        parse_epoch_decimal(s).ok_or_else(|| {
            format!("invalid timestamp {s:?}: expected RFC 3339 (2024-05-01T12:00:00Z), a date or epoch number")
        })?
    }
}

/// Converts an epoch number already held as a float (unit by magnitude, see module docs).
///
/// The float is read back through its shortest round-trip decimal form (ryu), so `1.005` is
/// 1005 ms as written, not the 1004.999... of the nearest double times 1000. Callers that have
/// the number's text should use [`parse`], which reads the digits themselves.
pub fn from_epoch_number(n: f64) -> Result<i64, String> {
    if !n.is_finite() {
        return Err(format!("invalid timestamp {n}: not a finite number"));
    }
    let mut buf = ryu::Buffer::new();
    parse_epoch_decimal(buf.format_finite(n)).expect("ryu writes a decimal number")
}

/// Significant digits kept on the stack: a value in range has at most 16 whole digits of
/// milliseconds, so of any digits past [`HEAD`] only whether one is non-zero (a fraction) counts.
const HEAD: usize = 20;

#[derive(Default)]
struct Digits {
    head: [u8; HEAD],
    /// How many significant digits were seen (leading zeros are not significant).
    len: usize,
    tail_nonzero: bool,
}

impl Digits {
    fn push(&mut self, d: u8) {
        if self.len == 0 && d == 0 {
            return;
        }
        match self.head.get_mut(self.len) {
            Some(slot) => *slot = d,
            None => self.tail_nonzero |= d != 0,
        }
        self.len += 1;
    }
}

/// Parses a decimal epoch number (`-12.5`, `1.7e9`, `.5`) exactly: the digits are shifted by the
/// unit's power of ten and floored, with no binary float in between. `None` when `s` is not a
/// decimal number; `Some(Err)` when it is one outside the accepted range.
fn parse_epoch_decimal(s: &str) -> Option<Result<i64, String>> {
    let b = s.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    // Significant digits without leading zeros, and the power of ten they are scaled by.
    let mut digits = Digits::default();
    let mut exp: i64 = 0;
    let mut seen_digit = false;
    while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        seen_digit = true;
        digits.push(c - b'0');
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            seen_digit = true;
            digits.push(c - b'0');
            exp -= 1;
            i += 1;
        }
    }
    if !seen_digit {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i64 = 0;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            // Saturate: any exponent this large is far outside the range either way.
            e = (e * 10 + i64::from(c - b'0')).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        exp += if eneg { -e } else { e };
    }
    if i != b.len() {
        return None;
    }
    let out_of_range = || Err(format!("timestamp {s} is outside years 0000-9999"));
    if digits.len == 0 {
        return Some(Ok(0));
    }
    // Digits before the decimal point decide the unit: |n| < 10^11 has at most 11 of them.
    let int_digits = digits.len as i64 + exp;
    let to_ms = match int_digits {
        ..=11 => 3,
        12..=14 => 0,
        15..=17 => -3,
        _ => -6,
    };
    // n ms = digits x 10^k, floored.
    let k = exp + to_ms;
    let whole_len = digits.len as i64 + k;
    if whole_len > 16 {
        return Some(out_of_range());
    }
    let mut whole: i64 = 0;
    let mut fraction = digits.tail_nonzero;
    for (j, &d) in digits.head[..digits.len.min(HEAD)].iter().enumerate() {
        if (j as i64) < whole_len {
            whole = whole * 10 + i64::from(d);
        } else if d != 0 {
            fraction = true;
        }
    }
    for _ in 0..k.max(0) {
        whole *= 10;
    }
    let ms = match (neg, fraction) {
        (false, _) => whole,
        (true, false) => -whole,
        (true, true) => -whole - 1,
    };
    if !(MIN_MS..=MAX_MS).contains(&ms) {
        return Some(out_of_range());
    }
    Some(Ok(ms))
}

/// Converts an exact integer epoch number (no float rounding for large ms/us/ns values).
pub fn from_epoch_int(n: i64) -> Result<i64, String> {
    let a = n.unsigned_abs();
    let ms = if a < 100_000_000_000 {
        n.checked_mul(1000).ok_or("timestamp out of range")?
    } else if a < 100_000_000_000_000 {
        n
    } else if a < 100_000_000_000_000_000 {
        n.div_euclid(1000)
    } else {
        n.div_euclid(1_000_000)
    };
    if !(MIN_MS..=MAX_MS).contains(&ms) {
        return Err(format!("timestamp {n} is outside years 0000-9999"));
    }
    Ok(ms)
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let s = b.get(at..at + n)?;
    let mut v = 0i64;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    Some(v)
}

fn parse_rfc3339(b: &[u8]) -> Option<i64> {
    let year = digits(b, 0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 10 {
        return Some(days * 86_400_000);
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let minute = digits(b, 14, 2)?;
    let mut i = 16;
    let mut second = 0;
    if b.get(i) == Some(&b':') {
        second = digits(b, 17, 2)?;
        i = 19;
    }
    // A leap second (:60) is folded into the next second's start, as most systems do.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
        i += 1;
        let start = i;
        let mut scale = 100;
        while i < b.len() && b[i].is_ascii_digit() {
            millis += (b[i] - b'0') as i64 * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset_s = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2)?;
            let om = match b.get(i + 3) {
                Some(b':') if b.len() == i + 6 => digits(b, i + 4, 2)?,
                None => 0,
                _ if b.len() == i + 5 => digits(b, i + 3, 2)?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    let ms = secs * 1000 + millis;
    (MIN_MS..=MAX_MS).contains(&ms).then_some(ms)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Appends `ms` as `YYYY-MM-DDTHH:MM:SS.mmmZ` to `out` (no allocation beyond `out`).
///
/// Callers keep `ms` inside [`MIN_MS`, `MAX_MS`]: every timestamp read is checked against that
/// range and bucket starts are checked where they are computed.
pub fn write_rfc3339(out: &mut Vec<u8>, ms: i64) {
    debug_assert!(
        (MIN_MS..=MAX_MS).contains(&ms),
        "timestamp {ms} outside 0000-9999"
    );
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    let mut buf = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, v: i64, n: usize| {
        let mut v = v;
        for i in (0..n).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, y, 4);
    put(5, m, 2);
    put(8, d, 2);
    put(11, h, 2);
    put(14, mi, 2);
    put(17, s, 2);
    put(20, milli, 3);
    out.extend_from_slice(&buf);
}

/// `ms` as an RFC 3339 UTC string with milliseconds.
pub fn format(ms: i64) -> String {
    let mut v = Vec::with_capacity(24);
    write_rfc3339(&mut v, ms);
    String::from_utf8(v).expect("ascii")
}

/// Parses a duration such as `500ms`, `30s`, `15m`, `1h`, `1d` or `1w` into milliseconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| {
        format!("invalid duration {s:?}: expected a number and a unit, e.g. 15m, 1h, 1d")
    })?;
    let mult = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        _ => {
            return Err(format!(
                "invalid duration {s:?}: unit must be one of ms, s, m, h, d, w"
            ))
        }
    };
    // At most the whole supported range, so no sum of a timestamp and a duration can overflow.
    match n.checked_mul(mult) {
        Some(v) if v > 0 && v <= MAX_DURATION_MS => Ok(v),
        _ => Err(format!(
            "invalid duration {s:?}: must be positive and at most 10000 years ({MAX_DURATION_MS}ms)"
        )),
    }
}

/// A duration in the largest unit of [`parse_duration`] that writes it exactly (`1w`, `90m`).
pub fn format_duration(ms: i64) -> String {
    let unit = [
        ("w", 604_800_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ]
    .into_iter()
    .find(|(_, m)| ms % m == 0);
    match unit {
        Some((u, m)) => format!("{}{u}", ms / m),
        None => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_variants() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse("1970-01-01"), Ok(0));
        assert_eq!(parse("1970-01-01T00:00:01.5Z"), Ok(1500));
        assert_eq!(parse("1970-01-01T02:00:00+02:00"), Ok(0));
        assert_eq!(parse("1969-12-31T23:00:00-01:00"), Ok(0));
        assert_eq!(parse("2024-02-29T12:34:56.789Z"), Ok(1_709_210_096_789));
        assert_eq!(parse("2024-02-29 12:34:56.789"), Ok(1_709_210_096_789));
        assert_eq!(parse("2024-02-29T12:34Z"), Ok(1_709_210_040_000));
        assert!(parse("2023-02-29").is_err());
        assert!(parse("2024-13-01").is_err());
        assert!(parse("2024-01-01T25:00:00Z").is_err());
        assert!(parse("2024-01-01T00:00:00Zjunk").is_err());
        assert!(parse("yesterday").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn epoch_units_follow_magnitude() {
        assert_eq!(parse("1700000000"), Ok(1_700_000_000_000));
        assert_eq!(parse("1700000000.25"), Ok(1_700_000_000_250));
        assert_eq!(parse("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(parse("1700000000000000"), Ok(1_700_000_000_000));
        assert_eq!(parse("1700000000000000000"), Ok(1_700_000_000_000));
        assert_eq!(from_epoch_int(1_700_000_000_123_456), Ok(1_700_000_000_123));
        assert_eq!(parse("-1"), Ok(-1000));
        assert!(parse("NaN").is_err());
        assert!(parse("inf").is_err());
    }

    #[test]
    fn fractional_epochs_are_read_digit_by_digit() {
        // Each of these lost a millisecond when computed as a float times 1000.
        assert_eq!(parse("1.001"), Ok(1001));
        assert_eq!(parse("1.005"), Ok(1005));
        assert_eq!(parse("0.29"), Ok(290));
        assert_eq!(parse("1714521600.123"), Ok(1_714_521_600_123));
        assert_eq!(parse("-1.005"), Ok(-1005));
        assert_eq!(
            parse("-0.0001"),
            Ok(-1),
            "sub-ms truncates toward negative infinity"
        );
        assert_eq!(parse("0.0009"), Ok(0));
        assert_eq!(parse("1.7145216001234e9"), Ok(1_714_521_600_123));
        assert_eq!(
            parse("1714521600123.9"),
            Ok(1_714_521_600_123),
            "ms with a fraction"
        );
        assert_eq!(parse("1714521600123456.7"), Ok(1_714_521_600_123), "us");
        assert_eq!(parse("1.7145216001234567e18"), Ok(1_714_521_600_123), "ns");
        assert_eq!(parse(".5"), Ok(500));
        assert_eq!(parse("5."), Ok(5000));
        assert_eq!(parse("-0"), Ok(0));
        assert_eq!(parse("1e-400"), Ok(0));
        assert_eq!(
            parse(&format!("1.{}1", "0".repeat(40))),
            Ok(1000),
            "a far fraction truncates"
        );
        assert_eq!(parse(&format!("-1.{}1", "0".repeat(40))), Ok(-1001));
        assert!(parse("1e400").is_err());
        assert!(parse("-1e400").is_err());
        assert!(parse("1.5.5").is_err());
        assert!(parse("1e").is_err());
        assert!(parse(".").is_err());
        assert!(parse("0x10").is_err());
        assert_eq!(from_epoch_number(1.001), Ok(1001));
        assert_eq!(from_epoch_number(1.005), Ok(1005));
        assert_eq!(from_epoch_number(-1.005), Ok(-1005));
        assert_eq!(from_epoch_number(1_714_521_600.123), Ok(1_714_521_600_123));
        // Every millisecond of a day written as seconds with three decimals comes back exactly.
        for ms in (0..86_400_000i64).step_by(997) {
            let s = format!("{}.{:03}", 1_714_521_600 + ms / 1000, ms % 1000);
            assert_eq!(parse(&s), Ok(1_714_521_600_000 + ms), "{s}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for ms in [0, 1, -1, 1_709_210_096_789, MIN_MS, MAX_MS, -86_400_001] {
            assert_eq!(parse(&format(ms)), Ok(ms), "{ms}");
        }
        assert_eq!(format(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h"), Ok(3_600_000));
        assert_eq!(parse_duration("15m"), Ok(900_000));
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("2w"), Ok(1_209_600_000));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5y").is_err());
        assert!(parse_duration("h").is_err());
        assert_eq!(parse_duration("521775w"), Ok(521_775 * 604_800_000));
        assert!(parse_duration("9223372036854775807ms").is_err());
        assert!(parse_duration("1000000000d").is_err());
        for d in ["1w", "3d", "90m", "36h", "1s", "1500ms"] {
            assert_eq!(format_duration(parse_duration(d).unwrap()), d);
        }
    }
}
