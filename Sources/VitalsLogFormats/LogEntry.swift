/// How serious a log line is, in the order a view sorts them. Syslog's eight severities fold
/// into six: emergency, alert and critical are all `critical`.
public enum LogLevel: UInt8, Sendable, CaseIterable, Comparable, Codable {
    case debug, info, notice, warning, error, critical

    /// The word a view shows, always five letters or fewer, so a column of them lines up.
    public var word: String {
        switch self {
        case .debug: "DEBUG"
        case .info: "INFO"
        case .notice: "NOTE"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "CRIT"
        }
    }

    public init(_ severity: SyslogMessage.Severity) {
        switch severity {
        case .emergency, .alert, .critical: self = .critical
        case .error: self = .error
        case .warning: self = .warning
        case .notice: self = .notice
        case .info: self = .info
        case .debug: self = .debug
        }
    }

    /// Reads a level word as programs write them (`ERROR`, `err`, `W`, `fatal`, `warning`…).
    public init?(word: some StringProtocol) {
        switch word.lowercased() {
        case "trace", "debug", "dbg", "d", "fine", "finer", "finest", "verbose": self = .debug
        case "info", "inf", "i", "information", "informational": self = .info
        case "notice", "note", "n": self = .notice
        case "warn", "warning", "wrn", "w": self = .warning
        case "error", "err", "e", "eror": self = .error
        case "crit", "critical", "fatal", "f", "panic", "emerg", "emergency", "alert", "severe": self = .critical
        default: return nil
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One log record read from any intake (syslog, a JSON line, a plain line of a file or feed),
/// before it is attributed to a node and stored.
public struct LogEntry: Sendable, Equatable {
    /// The record's own time in milliseconds since 1970, when it carried one that could be read.
    public var time: Int64?
    public var level: LogLevel
    /// The host the record names (syslog HOSTNAME, a JSON `host`).
    public var host: String?
    /// The node the record names explicitly (a JSON `node`).
    public var node: String?
    public var service: String?
    public var message: String
    /// Fields beyond the known ones, in the order they came (a JSON line's free fields).
    public var fields: [Field]
    /// Why the record did not parse; the raw text is then the message.
    public var parseError: String?
    public var isTruncated: Bool

    public struct Field: Sendable, Equatable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public init(
        time: Int64? = nil, level: LogLevel = .info, host: String? = nil, node: String? = nil, service: String? = nil,
        message: String, fields: [Field] = [], parseError: String? = nil, isTruncated: Bool = false
    ) {
        self.time = time
        self.level = level
        self.host = host
        self.node = node
        self.service = service
        self.message = message
        self.fields = fields
        self.parseError = parseError
        self.isTruncated = isTruncated
    }

    /// The message with its free fields after it, `key=value` (quoted when they hold spaces),
    /// as one line.
    public var fullText: String {
        guard !fields.isEmpty else { return message }
        var text = message
        for field in fields {
            let needsQuotes = field.value.isEmpty || field.value.contains(" ")
            text += " \(field.key)=" + (needsQuotes ? "\"" + field.value.replacing("\"", with: "\\\"") + "\"" : field.value)
        }
        return text
    }
}

extension SyslogMessage {
    /// The message as a log record: its level from the severity (info when it has none), its own
    /// time when RFC 5424 gave one, the tag as the service.
    public var entry: LogEntry {
        LogEntry(
            time: timestamp.flatMap { LogTime.milliseconds(rfc3339: Array($0.utf8)[...]) },
            level: severity.map(LogLevel.init) ?? .info, host: hostname, service: appName, message: message,
            parseError: parseError, isTruncated: isTruncated
        )
    }
}

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

/// Text from outside made safe and visible: bytes that are not UTF-8 become `\xNN`; control
/// characters become their visible pictures (`␛` for ESC), and invisible direction overrides
/// a marked stand-in, so a log line can neither drive the terminal nor lie about what it says.
public enum LogText {
    /// Bytes as text: valid UTF-8 as is, each byte of anything else as `\xNN`.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var result = ""
        var index = bytes.startIndex
        while index < bytes.endIndex {
            // Decode what is valid, escape what is not, so nothing is lost or hidden.
            var end = index + 1
            while end < bytes.endIndex, end - index < 4, String(validating: bytes[index..<end], as: UTF8.self) == nil { end += 1 }
            if let piece = String(validating: bytes[index..<end], as: UTF8.self) {
                result += piece
                index = end
            } else {
                let hex = String(bytes[index], radix: 16, uppercase: false)
                result += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                index += 1
            }
        }
        return result
    }

    /// `text` with every control character replaced by something visible: C0 controls and DEL by
    /// their Unicode control pictures (`␛`, `␇`, `␍`…), C1 controls by `\u{80}`-style escapes,
    /// bidirectional overrides and zero-width characters by `⟦U+202E⟧`. Tabs become a space.
    /// Returns `text` itself when nothing needed replacing.
    public static func visible(_ text: String) -> String {
        var needs = false
        for scalar in text.unicodeScalars where isSuspect(scalar) {
            needs = true
            break
        }
        guard needs else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            switch value {
            case 0x09:
                result.append(" ")
            case 0x00...0x1F:
                result.append(Unicode.Scalar(0x2400 + value)!)
            case 0x7F:
                result.append("\u{2421}")
            case 0x80...0x9F:
                result.append(contentsOf: "\\u{\(String(value, radix: 16))}".unicodeScalars)
            case _ where isSuspect(scalar):
                result.append(contentsOf: "⟦U+\(String(value, radix: 16, uppercase: true))⟧".unicodeScalars)
            default:
                result.append(scalar)
            }
        }
        return String(result)
    }

    static func isSuspect(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        // Zero-width characters, direction marks, embeddings, overrides and isolates.
        case 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2069, 0xFEFF: true
        default: false
        }
    }
}
