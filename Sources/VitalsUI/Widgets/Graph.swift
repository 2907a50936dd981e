/// Graphs of a series over time, for the node view: columns of block characters several rows
/// high (eight steps a row), or `#` and `.` where Unicode cannot be drawn.
public enum Graph {
    /// `height` lines, top first, of the last `width` values scaled to `top` (their maximum
    /// when nil). A missing value (no scrape) is a column of `·`.
    public static func lines(_ values: [Double?], width: Int, height: Int, top: Double? = nil, ascii: Bool = false) -> [String] {
        let shown = Array(values.suffix(width))
        let scale = top ?? max(shown.compactMap { $0 }.max() ?? 0, 1e-12)
        let steps: [Character] = ascii ? [" ", ".", ".", ".", "#", "#", "#", "#", "#"] : [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        var rows = Array(repeating: [Character](), count: height)
        for value in shown {
            guard let value, value.isFinite else {
                for row in 0..<height { rows[row].append(row == height - 1 ? (ascii ? "-" : "·") : " ") }
                continue
            }
            // Eighths of a row filled, from the bottom.
            let filled = Int((max(0, min(1, value / scale)) * Double(height * 8)).rounded())
            for row in 0..<height {
                let fromBottom = height - 1 - row
                let inRow = max(0, min(8, filled - fromBottom * 8))
                rows[row].append(steps[inRow])
            }
        }
        let pad = String(repeating: " ", count: max(0, width - shown.count))
        return rows.map { pad + String($0) }
    }
}

extension Format {
    /// Bytes per second, short: `812B/s`, `1.2kB/s`, `34MB/s`; `-` when unknown.
    public static func byteRate(_ perSecond: Double?) -> String {
        guard let value = perSecond, value.isFinite else { return "-" }
        let units = [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
        for (size, unit) in units where value >= size {
            let scaled = value / size
            return (scaled < 10 ? String(format: "%.1f", scaled) : String(Int(scaled.rounded()))) + unit + "/s"
        }
        return "\(Int(value.rounded()))B/s"
    }
}
