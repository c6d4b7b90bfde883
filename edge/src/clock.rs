//! Time, in milliseconds since the Unix epoch (what D1 rows store), and UTC calendar days.

/// Now, from the runtime's clock.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        worker::js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default()
    }
}

/// The UTC day (`YYYY-MM-DD`) a timestamp falls on; the key of `usage_daily`.
pub fn utc_day(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The UTC month (`YYYY-MM`) a timestamp falls on: the period of the monthly budget.
pub fn utc_month(ms: i64) -> String {
    let mut day = utc_day(ms);
    day.truncate(7);
    day
}

/// The first millisecond of a UTC day given as `YYYY-MM-DD`, or `None` if it is not a real date.
pub fn day_start_ms(day: &str) -> Option<i64> {
    let b = day.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = day.get(r)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y_adj = if m <= 2 { y - 1 } else { y };
    let era = y_adj.div_euclid(400);
    let yoe = y_adj - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let ms = (era * 146_097 + doe - 719_468) * 86_400_000;
    // Round-tripping rejects days past the month's end (2026-02-30).
    (utc_day(ms) == day).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_calendar_dates() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(utc_day(86_399_999), "1970-01-01");
        assert_eq!(utc_day(86_400_000), "1970-01-02");
        assert_eq!(utc_day(951_782_400_000), "2000-02-29");
        assert_eq!(utc_day(1_795_392_000_000 - 1), "2026-11-22");
        assert_eq!(utc_day(1_795_392_000_000), "2026-11-23");
        assert_eq!(utc_day(-1), "1969-12-31");
        assert_eq!(utc_month(1_795_392_000_000), "2026-11");
    }

    #[test]
    fn day_starts_round_trip_and_reject_non_dates() {
        assert_eq!(day_start_ms("1970-01-01"), Some(0));
        assert_eq!(day_start_ms("2026-11-23"), Some(1_795_392_000_000));
        assert_eq!(day_start_ms("2000-02-29"), Some(951_782_400_000));
        for bad in ["2026-02-30", "2026-13-01", "2026-1-01", "20261101", "2026-11-2x", "", "+026-11-01"] {
            assert_eq!(day_start_ms(bad), None, "{bad}");
        }
    }
}
