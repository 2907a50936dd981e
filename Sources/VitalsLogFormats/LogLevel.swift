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
