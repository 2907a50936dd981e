import Foundation

/// The snapshot's time format, `2026-12-05T10:42:07.120Z` (UTC, milliseconds), written and read
/// by hand: every check carries two or three times, and Foundation's ISO 8601 format style costs
/// microseconds each, which an attached dashboard decoding a delta a second pays for every one.
/// Anything else a client sends is read by the format style.
enum RFC3339 {
    /// `date` in UTC with milliseconds (truncated, as the format style writes them; reading the
    /// text back and writing it again gives the same text).
    static func format(_ date: Date) -> String {
        // Whole seconds, then the fraction's milliseconds, truncated as Foundation does, but from
        // the fraction rounded to the microsecond: 0.999 read back is 0.99899999…, and must be
        // written 999 again, not 998.
        let interval = date.timeIntervalSince1970
        let seconds = interval.rounded(.down)
        let micros = Int64(((interval - seconds) * 1_000_000).rounded())
        let totalMillis = Int64(seconds) * 1000 + min(999, micros / 1000)
        var days = totalMillis >= 0 ? totalMillis / 86_400_000 : (totalMillis - 86_399_999) / 86_400_000
        let millisOfDay = totalMillis - days * 86_400_000
        // Howard Hinnant's civil_from_days.
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        guard (0...9999).contains(year) else { return date.formatted(.iso8601) }
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int64, at index: Int, width: Int) {
            var value = value
            for offset in stride(from: width - 1, through: 0, by: -1) {
                bytes[index + offset] = UInt8(48 + value % 10)
                value /= 10
            }
        }
        put(year, at: 0, width: 4)
        bytes[4] = 45
        put(month, at: 5, width: 2)
        bytes[7] = 45
        put(day, at: 8, width: 2)
        bytes[10] = 84  // T
        put(millisOfDay / 3_600_000, at: 11, width: 2)
        bytes[13] = 58
        put(millisOfDay / 60_000 % 60, at: 14, width: 2)
        bytes[16] = 58
        put(millisOfDay / 1000 % 60, at: 17, width: 2)
        bytes[19] = 46
        put(millisOfDay % 1000, at: 20, width: 3)
        bytes[23] = 90  // Z
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads exactly the form `format` writes; nil for anything else.
    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count == 24, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84, bytes[13] == 58, bytes[16] == 58,
                  bytes[19] == 46, bytes[23] == 90 else { return nil }
            func number(_ index: Int, _ width: Int) -> Int64? {
                var value: Int64 = 0
                for offset in 0..<width {
                    let digit = bytes[index + offset] &- 48
                    guard digit < 10 else { return nil }
                    value = value * 10 + Int64(digit)
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
                  let minute = number(14, 2), let second = number(17, 2), let millis = number(20, 3),
                  (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
            // Howard Hinnant's days_from_civil.
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yearOfEra = y - era * 400
            let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            let days = era * 146_097 + dayOfEra - 719_468
            let seconds = ((days * 24 + hour) * 60 + minute) * 60 + second
            // From the reference date, as Foundation adds them: the same Double to the last bit.
            return Date(timeIntervalSinceReferenceDate: Double(seconds - 978_307_200) + Double(millis) / 1000)
        }
    }
}

extension Date {
    /// `HH:mm:ss` in `timeZone`. Arithmetic on the offset instead of a Calendar: the screen calls
    /// it every frame.
    public func clock(in timeZone: TimeZone) -> String {
        let local = Int(timeIntervalSince1970.rounded(.down)) + timeZone.secondsFromGMT(for: self)
        let second = ((local % 86_400) + 86_400) % 86_400
        return String(format: "%02d:%02d:%02d", second / 3600, (second % 3600) / 60, second % 60)
    }
}
