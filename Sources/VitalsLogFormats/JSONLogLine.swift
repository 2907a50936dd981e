/// Reads one JSON line as services push it (`POST /v1/logs`): an object with `time`, `node`,
/// `service`, `level`, `message` and any free fields. Common other spellings are understood
/// (`ts`, `timestamp`, `@timestamp`, `msg`, `host`, `app`, `severity`, `lvl`). A line that is not
/// an object is kept raw with the reason.
public enum JSONLogLine {
    /// The most bytes of one line read; the rest is cut and the record marked truncated.
    public static let sizeLimit = 64 * 1024
    /// Nested objects and arrays deeper than this are refused (no input can exhaust the stack:
    /// nesting is skipped iteratively, this only bounds the work).
    static let depthLimit = 64

    public static func parse(_ line: ArraySlice<UInt8>) -> LogEntry {
        var bytes = line
        var truncated = false
        if bytes.count > sizeLimit {
            bytes = bytes.prefix(sizeLimit)
            truncated = true
        }
        while let last = bytes.last, last == 10 || last == 13 || last == 32 { bytes.removeLast() }
        var reader = JSONReader(bytes: bytes)
        var entry: LogEntry
        do {
            let members = try reader.object()
            entry = LogEntry(message: "")
            var message: String?
            for (key, value) in members {
                switch (key, value) {
                case ("message", .string(let text)) where message == nil, ("msg", .string(let text)) where message == nil:
                    message = text
                case ("time", _) where entry.time == nil, ("ts", _) where entry.time == nil,
                     ("timestamp", _) where entry.time == nil, ("@timestamp", _) where entry.time == nil:
                    entry.time = time(value)
                    if entry.time == nil { entry.fields.append(.init(key, value.text)) }
                case ("level", .string(let word)), ("severity", .string(let word)), ("lvl", .string(let word)):
                    if let level = LogLevel(word: word) { entry.level = level } else { entry.fields.append(.init(key, word)) }
                case ("node", .string(let text)): entry.node = text
                case ("host", .string(let text)), ("hostname", .string(let text)): entry.host = text
                case ("service", .string(let text)), ("app", .string(let text)): entry.service = text
                default:
                    entry.fields.append(.init(key, value.text))
                }
            }
            if let message {
                entry.message = message
            } else {
                entry.message = LogText.decode(bytes)
                entry.parseError = "no \"message\" field"
            }
        } catch {
            entry = LogEntry(message: LogText.decode(bytes), parseError: error.reason)
        }
        entry.isTruncated = truncated
        return entry
    }

    /// A time as a string (RFC 3339) or a number (seconds, or milliseconds when it is that large).
    static func time(_ value: JSONValue) -> Int64? {
        switch value {
        case .string(let text): return LogTime.milliseconds(rfc3339: Array(text.utf8)[...])
        case .number(let text):
            guard let seconds = Double(text), seconds.isFinite, seconds > 0, seconds < 1e15 else { return nil }
            return seconds > 1e11 ? Int64(seconds) : Int64(seconds * 1000)
        default: return nil
        }
    }
}

enum JSONValue: Equatable {
    case string(String)
    case number(String)
    case literal(String)
    /// A nested object or array, as written.
    case nested(String)

    var text: String {
        switch self {
        case .string(let text), .number(let text), .literal(let text), .nested(let text): text
        }
    }
}

struct JSONError: Error {
    let reason: String
}

/// A small JSON reader for one flat object per line; nested values are kept as their text.
struct JSONReader {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    private var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = peek, byte == 32 || byte == 9 || byte == 10 || byte == 13 { index += 1 }
    }

    private func fail(_ reason: String) -> JSONError {
        JSONError(reason: "\(reason) at byte \(index - bytes.startIndex + 1)")
    }

    mutating func object() throws(JSONError) -> [(String, JSONValue)] {
        skipSpace()
        guard peek == UInt8(ascii: "{") else { throw JSONError(reason: "not a JSON object") }
        index += 1
        var members: [(String, JSONValue)] = []
        skipSpace()
        if peek == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipSpace()
                guard peek == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                let key = try string()
                skipSpace()
                guard peek == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipSpace()
                members.append((key, try value()))
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                if peek == UInt8(ascii: "}") { index += 1; break }
                throw fail(peek == nil ? "the object is not closed" : "expected ',' or '}'")
            }
        }
        skipSpace()
        guard peek == nil else { throw fail("text after the object") }
        return members
    }

    private mutating func value() throws(JSONError) -> JSONValue {
        guard let byte = peek else { throw fail("a value is missing") }
        switch byte {
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let start = index
            try skipNested()
            return .nested(LogText.decode(bytes[start..<index]))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            index += 1
            while let next = peek, (next >= 48 && next <= 57) || next == UInt8(ascii: ".") || next == UInt8(ascii: "e")
                || next == UInt8(ascii: "E") || next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
            let text = LogText.decode(bytes[start..<index])
            guard Double(text) != nil else { throw fail("bad number") }
            return .number(text)
        default:
            for word in ["true", "false", "null"] where bytes[index...].starts(with: word.utf8) {
                index += word.utf8.count
                return .literal(word)
            }
            throw fail("unexpected character")
        }
    }

    /// Skips a nested object or array, strings inside included, without recursion.
    private mutating func skipNested() throws(JSONError) {
        var depth = 0
        while let byte = peek {
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth <= JSONLogLine.depthLimit else { throw fail("nested too deep") }
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                index += 1
                if depth == 0 { return }
            case UInt8(ascii: "\""):
                _ = try string()
            default:
                index += 1
            }
        }
        throw fail("a nested value is not closed")
    }

    /// A quoted string with JSON escapes (`\uXXXX` and surrogate pairs included).
    private mutating func string() throws(JSONError) -> String {
        index += 1
        let start = index
        // The common case: no escapes.
        while let byte = peek, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") { index += 1 }
        if peek == UInt8(ascii: "\"") {
            defer { index += 1 }
            return LogText.decode(bytes[start..<index])
        }
        var scalars = LogText.decode(bytes[start..<index])
        while true {
            guard let byte = peek else { throw fail("a string is not closed") }
            if byte == UInt8(ascii: "\"") {
                index += 1
                return scalars
            }
            if byte != UInt8(ascii: "\\") {
                let runStart = index
                while let next = peek, next != UInt8(ascii: "\""), next != UInt8(ascii: "\\") { index += 1 }
                scalars += LogText.decode(bytes[runStart..<index])
                continue
            }
            index += 1
            guard let escaped = peek else { throw fail("a string is not closed") }
            index += 1
            switch escaped {
            case UInt8(ascii: "n"): scalars += "\n"
            case UInt8(ascii: "t"): scalars += "\t"
            case UInt8(ascii: "r"): scalars += "\r"
            case UInt8(ascii: "b"): scalars += "\u{8}"
            case UInt8(ascii: "f"): scalars += "\u{C}"
            case UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: "\""): scalars += String(UnicodeScalar(escaped))
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code), bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) {
                    index += 2
                    let low = try hex4()
                    if (0xDC00...0xDFFF).contains(low) { code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) }
                }
                scalars += Unicode.Scalar(code).map { String($0) } ?? "\u{FFFD}"
            default:
                throw fail("bad escape")
            }
        }
    }

    private mutating func hex4() throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek, let digit = hexDigit(byte) else { throw fail("bad \\u escape") }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    private func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 48...57: UInt32(byte - 48)
        case 65...70: UInt32(byte - 55)
        case 97...102: UInt32(byte - 87)
        default: nil
        }
    }
}
