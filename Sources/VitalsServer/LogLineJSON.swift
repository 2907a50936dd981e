import Foundation
import VitalsCore

/// A stored log line as the API sends it (`GET /v1/logs`, `GET /v1/nodes/{name}`).
public struct LogLineJSON: Sendable, Equatable, Codable {
    public var sequence: Int
    public var time: Date
    public var received: Date
    public var node: String
    public var service: String
    /// `debug`, `info`, `notice`, `warning`, `error` or `critical`.
    public var level: String
    public var message: String
    /// Any of `truncated`, `unparsed`, `unclaimed`.
    public var flags: [String]

    public init(_ record: LogRecord) {
        sequence = record.sequence
        time = record.time
        received = record.received
        node = record.node
        service = record.service
        level = Self.name(of: record.level)
        message = record.message
        var flags: [String] = []
        if record.flags.contains(.truncated) { flags.append("truncated") }
        if record.flags.contains(.unparsed) { flags.append("unparsed") }
        if record.flags.contains(.unclaimed) { flags.append("unclaimed") }
        self.flags = flags
    }

    /// The level's name in the API.
    public static func name(of level: LogLevel) -> String {
        switch level {
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }

    /// A level from its name or a common short form (`warn`, `err`, `crit`), any case.
    public static func level(named name: String) -> LogLevel? {
        switch name.lowercased() {
        case "debug": .debug
        case "info": .info
        case "notice", "note": .notice
        case "warning", "warn": .warning
        case "error", "err": .error
        case "critical", "crit": .critical
        default: nil
        }
    }

    /// The line as a log entry to store again (an attached dashboard keeps the lines it read).
    public var entry: LogEntry {
        LogEntry(
            time: Int64((time.timeIntervalSince1970 * 1000).rounded()), level: Self.level(named: level) ?? .info, node: node,
            service: service.isEmpty ? nil : service, message: message,
            parseError: flags.contains("unparsed") ? "unparsed" : nil, isTruncated: flags.contains("truncated")
        )
    }
}

/// The answer of `GET /v1/logs`.
public struct LogSearchJSON: Sendable, Codable {
    public var lines: [LogLineJSON]
    /// How many stored lines match (only with `count=true`: a search of the whole store).
    public var matches: Int?
    public var stats: LogStats
}
