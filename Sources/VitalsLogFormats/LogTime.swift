/// Reads timestamps without Foundation.
public enum LogTime {
    /// `2026-11-30T10:00:00.123Z`, `…+01:00`, a space instead of the `T`, with or without the
    /// fraction; a time without a zone is read as UTC. Returns milliseconds since 1970, or nil.
    public static func milliseconds(rfc3339 text: ArraySlice<UInt8>) -> Int64? {
        var reader = DigitReader(bytes: text)
        guard let year = reader.number(4), reader.skip(UInt8(ascii: "-")), let month = reader.number(2), reader.skip(UInt8(ascii: "-")),
              let day = reader.number(2), reader.skip(UInt8(ascii: "T")) || reader.skip(UInt8(ascii: "t")) || reader.skip(UInt8(ascii: " ")),
              let hour = reader.number(2), reader.skip(UInt8(ascii: ":")), let minute = reader.number(2), reader.skip(UInt8(ascii: ":")),
              let second = reader.number(2)
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var millis: Int64 = 0
        if reader.skip(UInt8(ascii: ".")) || reader.skip(UInt8(ascii: ",")) {
            var digits = 0
            while let digit = reader.digit() {
                if digits < 3 { millis = millis * 10 + Int64(digit) }
                digits += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { millis *= 10 }
        }
        var offset: Int64 = 0
        if reader.skip(UInt8(ascii: "Z")) || reader.skip(UInt8(ascii: "z")) {
            // UTC
        } else if let sign = reader.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            reader.index += 1
            guard let hours = reader.number(2) else { return nil }
            _ = reader.skip(UInt8(ascii: ":"))
            guard let minutes = reader.number(2), hours < 24, minutes < 60 else { return nil }
            offset = Int64(hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "+") ? 1 : -1)
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - offset
        return seconds * 1000 + millis
    }

    /// How many bytes of `text` a timestamp `milliseconds(rfc3339:)` reads takes (0 when none).
    public static func length(rfc3339 text: ArraySlice<UInt8>) -> Int {
        guard text.count >= 19, milliseconds(rfc3339: text.prefix(19)) != nil else { return 0 }
        var end = text.startIndex + 19
        func at(_ index: Int) -> UInt8? { index < text.endIndex ? text[index] : nil }
        if let byte = at(end), byte == UInt8(ascii: ".") || byte == UInt8(ascii: ",") {
            end += 1
            while let digit = at(end), digit >= 48, digit <= 57 { end += 1 }
        }
        if let byte = at(end), byte == UInt8(ascii: "Z") || byte == UInt8(ascii: "z") {
            end += 1
        } else if let byte = at(end), byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-"), end + 5 < text.endIndex || end + 5 == text.endIndex {
            let zone = end + (at(end + 3) == UInt8(ascii: ":") ? 6 : 5)
            if zone <= text.endIndex, milliseconds(rfc3339: text[text.startIndex..<zone]) != nil { end = zone }
        }
        return end - text.startIndex
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private struct DigitReader {
        let bytes: ArraySlice<UInt8>
        var index: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            self.index = bytes.startIndex
        }

        var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

        mutating func digit() -> Int? {
            guard let byte = peek, byte >= 48, byte <= 57 else { return nil }
            index += 1
            return Int(byte - 48)
        }

        mutating func number(_ count: Int) -> Int? {
            var value = 0
            for _ in 0..<count {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }

        mutating func skip(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }
    }
}
