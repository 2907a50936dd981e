import Foundation
import VitalsCore

/// Short renderings of numbers, times and statuses for narrow columns.
public enum Format {
    /// `text` cut into pieces of at most `width` columns (wide characters count two). With
    /// `atSpaces`, a piece ends at its last space when there is one (the space dropped), so words
    /// stay whole; otherwise it is cut where the width ends, as a log line is.
    static func wrapped(_ text: String, width: Int, atSpaces: Bool = false) -> [String] {
        var pieces: [String] = []
        var current = ""
        var used = 0
        for character in text {
            let w = character.terminalWidth
            if used + w > width, !current.isEmpty {
                if atSpaces, let space = current.lastIndex(of: " "), space > current.startIndex {
                    let rest = String(current[current.index(after: space)...])
                    pieces.append(String(current[..<space]))
                    current = rest
                    used = rest.reduce(0) { $0 + $1.terminalWidth }
                } else {
                    pieces.append(current)
                    current = ""
                    used = 0
                }
            }
            if atSpaces, current.isEmpty, character == " ", !pieces.isEmpty { continue }
            current.append(character)
            used += w
        }
        if !current.isEmpty || pieces.isEmpty { pieces.append(current) }
        return pieces
    }

    /// Time since `since`, as of `now`: `4s`, `2m13s`, `1h02m`, `3d4h`; `-` when unknown.
    public static func ago(_ since: Date?, now: Date) -> String {
        guard let since else { return "-" }
        let seconds = max(0, Int(now.timeIntervalSince(since)))
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s"
        case ..<86_400: return "\(seconds / 3600)h\(String(format: "%02d", (seconds % 3600) / 60))m"
        default: return "\(seconds / 86_400)d\((seconds % 86_400) / 3600)h"
        }
    }

    /// `0.8ms`, `12ms`, `1.50s`; `-` when unknown.
    public static func latency(_ milliseconds: Double?) -> String {
        guard let ms = milliseconds else { return "-" }
        if ms < 10 { return String(format: "%.1fms", ms) }
        if ms < 1000 { return String(format: "%.0fms", ms) }
        return String(format: "%.2fs", ms / 1000)
    }

    /// A ratio as a whole percentage; `-` when unknown.
    public static func percent(_ ratio: Double?) -> String {
        guard let ratio, ratio.isFinite else { return "-" }
        return String(format: "%.0f%%", ratio * 100)
    }

    /// A rate per second: `0.5/s`, `120/s`, `1.2k/s`.
    public static func rate(_ perSecond: Double?) -> String {
        guard let value = perSecond, value.isFinite, value >= 0 else { return "-" }
        if value >= 1e9 { return "≥1G/s" }
        if value >= 1e6 { return String(format: "%.1fM/s", value / 1e6) }
        if value < 10 { return String(format: "%.1f/s", value) }
        if value < 10_000 { return String(format: "%.0f/s", value) }
        return String(format: "%.1fk/s", value / 1000)
    }

    /// `HH:mm:ss.mmm` in `timeZone`, for log lines.
    public static func logTime(_ date: Date, timeZone: TimeZone) -> String {
        let millis = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        return clock(date, timeZone: timeZone) + String(format: ".%03d", (millis + 1000) % 1000)
    }

    /// A size in bytes, short, binary units: `812B`, `3.1MiB`, `64MiB`.
    public static func bytes(_ count: Int) -> String {
        let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, unit) in units where count >= size {
            let scaled = Double(count) / Double(size)
            return (scaled < 10 ? String(format: "%.1f", scaled) : String(Int(scaled.rounded()))) + unit
        }
        return "\(count)B"
    }

    /// `HH:mm:ss` in `timeZone`.
    public static func clock(_ date: Date, timeZone: TimeZone) -> String { date.clock(in: timeZone) }

    /// The glyph shown before a status.
    public static func glyph(_ status: Status) -> String {
        switch status {
        case .passing: "●"
        case .warning: "▲"
        case .critical: "✖"
        case .maintenance: "◆"
        case .unknown: "?"
        }
    }

    /// Glyph and name: `● passing`.
    public static func status(_ status: Status) -> String { "\(glyph(status)) \(status.rawValue)" }

    /// A check's output without what the row already says (the probe and target), for narrow
    /// columns: `429 Too Many Requests: degraded: checkout failing`.
    public static func brief(_ check: CheckSnapshot) -> String {
        check.outputWithoutTarget.replacingOccurrences(of: " Output: ", with: ": ")
    }

    /// How old a node's numbers are when its last scrape failed ("stale 42s"); nil while they
    /// are fresh.
    public static func stale(_ metrics: NodeMetrics, now: Date) -> String? {
        guard metrics.scrapeError != nil, metrics.cpu != nil || metrics.memory != nil || metrics.requestRate != nil else { return nil }
        return metrics.scrapedAt.map { "stale " + ago($0, now: now) } ?? "stale"
    }

    /// A sparkline of `values` scaled to `top` (a fixed scale, such as 1 for a share), or to
    /// their maximum when nil; gaps (no answer) show as `·` (`-` and `_.:-=+*#` in `ascii`, for
    /// terminals without Unicode).
    public static func sparkline(_ values: [Double?], width: Int, ascii: Bool = false, top fixed: Double? = nil) -> String {
        let bars: [Character] = ascii ? ["_", ".", ":", "-", "=", "+", "*", "#"] : ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let shown = values.suffix(width)
        let top = fixed ?? shown.compactMap { $0 }.max() ?? 0
        return String(shown.map { value -> Character in
            guard let value, value.isFinite else { return ascii ? " " : "·" }
            guard top > 0, top.isFinite else { return bars[0] }
            return bars[max(0, min(bars.count - 1, Int(min(1, value / top) * Double(bars.count - 1) + 0.5)))]
        })
    }
}
