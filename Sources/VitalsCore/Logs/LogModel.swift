@_exported import VitalsLogFormats
import Foundation

/// One stored log line, as a view shows it. Its text is already made visible (no control
/// character, escape sequence or direction override can be in it).
public struct LogRecord: Sendable, Equatable {
    public struct Flags: OptionSet, Sendable, Equatable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The message was longer than the limit and was cut.
        public static let truncated = Flags(rawValue: 1)
        /// The message did not parse; it is kept raw.
        public static let unparsed = Flags(rawValue: 2)
        /// No node of the cluster claimed it; `node` is the sender's host or address.
        public static let unclaimed = Flags(rawValue: 4)
    }

    /// Its place in the store: later lines have larger numbers.
    public var sequence: Int
    /// The line's own time when it carried one, else when it arrived.
    public var time: Date
    public var received: Date
    public var node: String
    /// `""` when the line names no service.
    public var service: String
    public var level: LogLevel
    public var message: String
    public var flags: Flags

    public init(
        sequence: Int, time: Date, received: Date? = nil, node: String, service: String = "", level: LogLevel = .info,
        message: String, flags: Flags = []
    ) {
        self.sequence = sequence
        self.time = time
        self.received = received ?? time
        self.node = node
        self.service = service
        self.level = level
        self.message = message
        self.flags = flags
    }
}

/// What to look for in the message: a substring (case-insensitive unless it has a capital
/// letter, as in lnav and vim's smartcase) or a regular expression.
public enum LogPattern: Sendable, Equatable, CustomStringConvertible {
    case substring(String)
    case regex(String)

    /// Reads what a person typed after `/`: `/pattern/` is a regex, anything else a substring.
    public init?(typed text: String) {
        guard !text.isEmpty else { return nil }
        if text.count >= 3, text.hasPrefix("/"), text.hasSuffix("/") {
            self = .regex(String(text.dropFirst().dropLast()))
        } else {
            self = .substring(text)
        }
    }

    public var description: String {
        switch self {
        case .substring(let text): text
        case .regex(let pattern): "/\(pattern)/"
        }
    }
}

/// Which lines a view or a search wants. Every part is optional; an empty query takes all.
public struct LogQuery: Sendable, Equatable {
    /// Only these nodes (by name); nil for all.
    public var nodes: Set<String>?
    /// Only these services (`""` for lines without one); nil for all.
    public var services: Set<String>?
    public var minimumLevel: LogLevel
    /// Arrival time bounds, inclusive.
    public var since: Date?
    public var until: Date?
    public var pattern: LogPattern?

    public init(
        nodes: Set<String>? = nil, services: Set<String>? = nil, minimumLevel: LogLevel = .debug, since: Date? = nil,
        until: Date? = nil, pattern: LogPattern? = nil
    ) {
        self.nodes = nodes
        self.services = services
        self.minimumLevel = minimumLevel
        self.since = since
        self.until = until
        self.pattern = pattern
    }

    /// The same query without its text pattern.
    public var withoutPattern: LogQuery {
        var copy = self
        copy.pattern = nil
        return copy
    }
}

/// Lines per interval, by level, for a histogram strip.
public struct LogBucket: Sendable, Equatable {
    public var start: Date
    public var lines: Int
    public var warnings: Int
    /// Errors and worse.
    public var errors: Int

    public init(start: Date, lines: Int = 0, warnings: Int = 0, errors: Int = 0) {
        self.start = start
        self.lines = lines
        self.warnings = warnings
        self.errors = errors
    }
}

/// How full the store is.
public struct LogStats: Sendable, Equatable, Codable {
    public var lines: Int
    public var bytes: Int
    public var byteLimit: Int
    /// Lines dropped to stay under the limit, oldest first.
    public var dropped: Int
    /// The sequence number the next line will get (so `next - 1` is the newest line's).
    public var nextSequence: Int
    /// When the newest line arrived.
    public var newest: Date?
    /// Lines no node of the cluster claimed.
    public var unclaimed: Int
    /// Lines that did not parse (kept raw).
    public var unparsed: Int
    /// Syslog datagrams the kernel dropped because they came faster than they were read.
    public var udpDropped = 0
    /// Connections to the log listeners (syslog TCP, POST /v1/logs) closed as they were
    /// accepted because their cap was reached.
    public var connectionsRefused = 0
    /// Connections closed because a message or request begun did not end in time.
    public var connectionsCut = 0
    /// Why a source of lines is not working (a listener that could not bind, a file that cannot be read).
    public var problems: [String] = []

    enum CodingKeys: String, CodingKey {
        case lines, bytes, dropped, unclaimed, unparsed, newest, problems
        case udpDropped = "udp_dropped"
        case connectionsRefused = "connections_refused"
        case connectionsCut = "connections_cut"
        case byteLimit = "byte_limit"
        case nextSequence = "next_sequence"
    }

    public init(
        lines: Int = 0, bytes: Int = 0, byteLimit: Int = 0, dropped: Int = 0, nextSequence: Int = 0, newest: Date? = nil,
        unclaimed: Int = 0, unparsed: Int = 0, problems: [String] = []
    ) {
        self.problems = problems
        self.lines = lines
        self.bytes = bytes
        self.byteLimit = byteLimit
        self.dropped = dropped
        self.nextSequence = nextSequence
        self.newest = newest
        self.unclaimed = unclaimed
        self.unparsed = unparsed
    }
}

/// Stored log lines a view can read. Calls are quick and never wait on the network.
public protocol LogSource: Sendable {
    var stats: LogStats { get }
    /// Up to `limit` matching lines before sequence `before` (or the newest when nil), oldest first.
    func lines(_ query: LogQuery, before: Int?, limit: Int) -> [LogRecord]
    /// Up to `limit` matching lines after sequence `after`, oldest first.
    func lines(_ query: LogQuery, after: Int, limit: Int) -> [LogRecord]
    /// How many stored lines match.
    func count(_ query: LogQuery) -> Int
    /// Lines per `bucket` over `count` buckets starting at `from`, by level.
    func histogram(_ query: LogQuery, from: Date, bucket: Duration, count: Int) -> [LogBucket]
    /// Node and service names seen, for filter choices.
    var names: (nodes: [String], services: [String]) { get }
}
