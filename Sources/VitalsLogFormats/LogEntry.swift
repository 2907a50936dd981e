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
