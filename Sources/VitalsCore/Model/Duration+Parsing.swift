import Foundation

/// Go/Prometheus-style durations: `500ms`, `5s`, `1m30s`, `2h`.
extension Duration {
    private static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
    ]

    /// Parses a Go/Prometheus-style duration such as `1m30s`; `nil` when the text is not one.
    public init?(goString text: String) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, let number = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            // Longest suffix first so that "ms" is not read as "m" followed by garbage.
            guard let unit = Self.units.filter({ $0.suffix == unitText }).first else { return nil }
            rest = rest.dropFirst(unitText.count)
            let nanos = number * Double(unit.nanoseconds)
            guard nanos.isFinite, nanos < Self.longestNanoseconds else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(Int64(nanos))
            guard !overflow, Double(sum) < Self.longestNanoseconds else { return nil }
            total = sum
        }
        self = .nanoseconds(total)
    }

    /// The longest duration a cluster file may name: 100 years, far below Int64 nanoseconds.
    public static let longest: Duration = .seconds(100 * 365 * 86_400)
    private static let longestNanoseconds = 100.0 * 365 * 86_400 * 1e9

    /// Whether `text` reads as a duration whose only fault is being longer than `longest`.
    public static func isTooLong(_ text: String) -> Bool {
        guard Duration(goString: text) == nil else { return false }
        // Re-read with each number made small: if that parses, only the size was wrong.
        let shrunk = text.replacing(/[0-9]+(\.[0-9]*)?/, with: "1")
        return Duration(goString: shrunk) != nil
    }

    /// Seconds as a floating-point number.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// Milliseconds as a floating-point number.
    public var milliseconds: Double { seconds * 1000 }

    /// A short Go-style rendering: `1.5s`, `250ms`, `2m`, `1h5m`.
    public var goString: String {
        let ms = milliseconds
        if ms < 1 { return "\(Int((ms * 1000).rounded()))µs" }
        if ms < 1000 { return "\(trimmed(ms))ms" }
        let s = seconds
        if s < 60 { return "\(trimmed(s))s" }
        let whole = Int(s)
        if whole < 3600 {
            return whole % 60 == 0 ? "\(whole / 60)m" : "\(whole / 60)m\(whole % 60)s"
        }
        let minutes = (whole % 3600) / 60
        return minutes == 0 ? "\(whole / 3600)h" : "\(whole / 3600)h\(minutes)m"
    }

    private func trimmed(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
