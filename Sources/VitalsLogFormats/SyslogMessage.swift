/// One syslog message, read from RFC 5424 or RFC 3164 (BSD) form. A message that fits neither is
/// kept whole with `parseError` set, never dropped.
public struct SyslogMessage: Sendable, Equatable {
    public enum Severity: Int, Sendable, CaseIterable {
        case emergency, alert, critical, error, warning, notice, info, debug

        /// The level word a log view shows.
        public var word: String {
            switch self {
            case .emergency: "EMERG"
            case .alert: "ALERT"
            case .critical: "CRIT"
            case .error: "ERROR"
            case .warning: "WARN"
            case .notice: "NOTICE"
            case .info: "INFO"
            case .debug: "DEBUG"
            }
        }
    }

    public var facility: Int?
    public var severity: Severity?
    /// The message's own time, as written (RFC 3339 for 5424, `Mmm dd hh:mm:ss` for 3164).
    public var timestamp: String?
    public var hostname: String?
    public var appName: String?
    public var procID: String?
    public var msgID: String?
    /// RFC 5424 structured data, as written (`[id k="v"]…`), or nil for `-`.
    public var structuredData: String?
    public var message: String
    /// Why the message did not parse, when it did not (the raw text is then in `message`).
    public var parseError: String?

    /// The most bytes of one message kept; longer ones are cut and marked.
    public static let sizeLimit = 64 * 1024

    public var isTruncated = false

    public init(message: String) {
        self.message = message
    }

    /// Reads one message (without its framing).
    public static func parse(_ bytes: [UInt8]) -> SyslogMessage {
        var bytes = bytes
        var truncated = false
        if bytes.count > sizeLimit {
            bytes = Array(bytes.prefix(sizeLimit))
            truncated = true
        }
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") || last == 0 { bytes.removeLast() }
        var reader = SyslogReader(bytes: bytes)
        var result: SyslogMessage
        if let priority = reader.priority() {
            if reader.peek == UInt8(ascii: "1"), reader.peek(1) == UInt8(ascii: " ") {
                result = reader.rfc5424(priority: priority)
            } else {
                result = reader.rfc3164(priority: priority)
            }
        } else {
            result = SyslogMessage(message: SyslogReader.text(bytes[...]))
            result.parseError = "no <priority> at the start"
        }
        // A message that did not parse is kept whole, raw, with its reason.
        if result.parseError != nil { result.message = SyslogReader.text(bytes[...]) }
        result.isTruncated = truncated
        return result
    }
}

/// Splits a TCP syslog stream into messages: RFC 6587 octet counting (`LEN SP MSG`) when a
/// message starts with a digit, else newline framing.
public struct SyslogFramer: Sendable {
    private var buffer: [UInt8] = []

    public init() {}

    /// Takes more bytes of the stream; returns the whole messages they complete.
    public mutating func feed(_ bytes: [UInt8]) -> [[UInt8]] {
        buffer += bytes
        var messages: [[UInt8]] = []
        var start = 0
        while start < buffer.count {
            if buffer[start] >= UInt8(ascii: "1"), buffer[start] <= UInt8(ascii: "9") {
                var index = start
                var length = 0
                while index < buffer.count, buffer[index] >= UInt8(ascii: "0"), buffer[index] <= UInt8(ascii: "9"), length < 10_000_000 {
                    length = length * 10 + Int(buffer[index] - UInt8(ascii: "0"))
                    index += 1
                }
                guard index < buffer.count else { break }  // the length is not complete yet
                if buffer[index] == UInt8(ascii: " ") {
                    let bodyStart = index + 1
                    guard buffer.count - bodyStart >= length else { break }  // wait for the rest
                    messages.append(Array(buffer[bodyStart..<bodyStart + length]))
                    start = bodyStart + length
                    continue
                }
            }
            guard let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                // An unframed message longer than the limit is cut rather than held forever.
                if buffer.count - start > SyslogMessage.sizeLimit {
                    messages.append(Array(buffer[start..<start + SyslogMessage.sizeLimit]))
                    start += SyslogMessage.sizeLimit
                    continue
                }
                break
            }
            if newline > start { messages.append(Array(buffer[start..<newline])) }
            start = newline + 1
        }
        buffer.removeFirst(start)
        return messages
    }

    /// Bytes waiting for the rest of their message.
    public var pending: Int { buffer.count }
}

/// Reads the fields of one syslog message.
private struct SyslogReader {
    let bytes: [UInt8]
    var index = 0

    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
    func peek(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

    /// `<PRI>`: facility × 8 + severity, at most 191.
    mutating func priority() -> Int? {
        guard peek == UInt8(ascii: "<") else { return nil }
        var cursor = index + 1
        var value = 0
        var digits = 0
        while cursor < bytes.count, bytes[cursor] >= UInt8(ascii: "0"), bytes[cursor] <= UInt8(ascii: "9"), digits < 3 {
            value = value * 10 + Int(bytes[cursor] - UInt8(ascii: "0"))
            cursor += 1
            digits += 1
        }
        guard digits > 0, cursor < bytes.count, bytes[cursor] == UInt8(ascii: ">"), value <= 191 else { return nil }
        index = cursor + 1
        return value
    }

    /// The next space-separated field; nil for the nil value `-`.
    mutating func field() -> String? {
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: " ") { index += 1 }
        let text = Self.text(bytes[start..<index])
        if index < bytes.count { index += 1 }
        return text == "-" ? nil : text
    }

    mutating func rfc5424(priority: Int) -> SyslogMessage {
        index += 2  // "1 "
        var result = SyslogMessage(message: "")
        result.facility = priority / 8
        result.severity = SyslogMessage.Severity(rawValue: priority % 8)
        result.timestamp = field()
        result.hostname = field()
        result.appName = field()
        result.procID = field()
        result.msgID = field()
        if peek == UInt8(ascii: "[") {
            let start = index
            var inQuotes = false
            while index < bytes.count {
                let byte = bytes[index]
                if inQuotes {
                    if byte == UInt8(ascii: "\\") { index += 2; continue }
                    if byte == UInt8(ascii: "\"") { inQuotes = false }
                } else if byte == UInt8(ascii: "\"") {
                    inQuotes = true
                } else if byte == UInt8(ascii: "]"), peek(1) != UInt8(ascii: "[") {
                    index += 1
                    break
                }
                index += 1
            }
            result.structuredData = Self.text(bytes[start..<min(index, bytes.count)])
            if inQuotes { result.parseError = "structured data is not closed" }
            if index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        } else if peek == UInt8(ascii: "-") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        } else if index < bytes.count {
            result.parseError = "expected structured data or '-'"
        }
        var rest = bytes[min(index, bytes.count)...]
        // A UTF-8 byte order mark may start the message.
        if rest.starts(with: [0xEF, 0xBB, 0xBF]) { rest = rest.dropFirst(3) }
        result.message = Self.text(rest)
        if result.timestamp == nil && result.hostname == nil && result.appName == nil { result.parseError = result.parseError ?? "header fields missing" }
        return result
    }

    /// `<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, as BSD syslog and `logger --rfc3164` write it.
    mutating func rfc3164(priority: Int) -> SyslogMessage {
        var result = SyslogMessage(message: "")
        result.facility = priority / 8
        result.severity = SyslogMessage.Severity(rawValue: priority % 8)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let head = Self.text(bytes[index..<min(bytes.count, index + 15)])
        if head.count == 15, months.contains(String(head.prefix(3))), Array(head)[6] == " ", Array(head)[9] == ":" {
            result.timestamp = head
            index += 15
            if peek == UInt8(ascii: " ") { index += 1 }
            result.hostname = field()
        } else {
            result.parseError = "no RFC 3164 timestamp"
        }
        // TAG: letters up to ':' or '[', at most 32 characters.
        let tagStart = index
        while index < bytes.count, index - tagStart < 48, bytes[index] != UInt8(ascii: ":"), bytes[index] != UInt8(ascii: "["), bytes[index] != UInt8(ascii: " ") {
            index += 1
        }
        if index < bytes.count, index > tagStart, bytes[index] == UInt8(ascii: ":") || bytes[index] == UInt8(ascii: "[") {
            result.appName = Self.text(bytes[tagStart..<index])
            if bytes[index] == UInt8(ascii: "[") {
                let pidStart = index + 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "]") { index += 1 }
                result.procID = Self.text(bytes[pidStart..<min(index, bytes.count)])
                index += 1
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") { index += 1 }
            if index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        } else {
            index = tagStart
        }
        result.message = Self.text(bytes[min(index, bytes.count)...])
        return result
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String { LogText.decode(bytes) }
}
