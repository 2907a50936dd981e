import Foundation
import Synchronization
import VitalsCore

/// What `vitals serve` says on standard error: one line per event, plain
/// (`2026-12-05T10:42:07.120Z info alert acknowledged alert=HighCPU by=ana`) or JSON lines
/// (`--log-format json`). Values from the network are made safe for a terminal first.
public final class ServerLog: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case plain, json
    }

    public static let version = "0.2.0"

    private let format: Format
    private let write: @Sendable (String) -> Void
    private let lock = Mutex(())

    /// - Parameter write: where each line goes (standard error unless a test says otherwise).
    public init(format: Format = .plain, write: (@Sendable (String) -> Void)? = nil) {
        self.format = format
        self.write = write ?? { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// A log that says nothing.
    public static let silent = ServerLog(write: { _ in })

    public func info(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { emit("info", message, fields) }
    public func warning(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { emit("warning", message, fields) }
    public func error(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { emit("error", message, fields) }

    private func emit(_ level: String, _ message: String, _ fields: KeyValuePairs<String, String>) {
        let time = ClusterSnapshot.timestamp(Date())
        let line: String
        switch format {
        case .plain:
            var text = "\(time) \(level) \(message.sanitizedForTerminal)"
            for (key, value) in fields {
                let safe = value.sanitizedForTerminal
                text += " \(key)=" + (safe.contains(" ") || safe.isEmpty || safe.contains("\"") ? Self.quoted(safe) : safe)
            }
            line = text
        case .json:
            var object: [(String, String)] = [("time", time), ("level", level), ("msg", message)]
            object += fields.map { ($0.key, $0.value) }
            line = "{" + object.map { "\(Self.quoted($0.0)):\(Self.quoted($0.1))" }.joined(separator: ",") + "}"
        }
        lock.withLock { _ in write(line) }
    }

    /// A JSON string literal (also fine as a quoted plain value).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
