/// A line sent to a running dashboard's control socket (`vitals ttl` sends them):
/// `ping`, or `ttl pass|warn|fail CHECK [NOTE…]`.
public enum ControlCommand: Sendable, Equatable {
    case ping
    /// A heartbeat: the status, the check (`node/service/check` or a name), and a note (at most
    /// 2,000 characters, made safe to show).
    case ttl(Status, check: String, note: String)

    /// Why a line is not a command, in words safe to print.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static let noteLimit = 2_000

    public static func parse(_ line: String) -> Result<ControlCommand, Refusal> {
        let words = line.split(separator: " ", maxSplits: 3).map(String.init)
        if words == ["ping"] { return .success(.ping) }
        guard words.count >= 3, words[0] == "ttl" else { return .failure(Refusal(description: "unknown command (ttl pass|warn|fail CHECK [NOTE])")) }
        let status: Status
        switch words[1] {
        case "pass": status = .passing
        case "warn": status = .warning
        case "fail": status = .critical
        default: return .failure(Refusal(description: "ttl takes pass, warn or fail, not '\(String(words[1].prefix(40)).sanitizedForTerminal)'"))
        }
        let note = words.count > 3 ? String(words[3].prefix(noteLimit)).sanitizedForTerminal : ""
        return .success(.ttl(status, check: words[2], note: note))
    }
}
