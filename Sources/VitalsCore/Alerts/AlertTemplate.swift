import Foundation

/// An alert summary with `{{ … }}` holes, as in Prometheus: `{{ $labels.node }}`, `{{ $value }}`,
/// `{{ $output }}` (the failing check's output), with `| humanize` or `| humanizePercentage`.
public struct AlertTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case text(String)
        case label(String, Format)
        case value(Format)
        case output
    }

    enum Format: String, Sendable, Equatable {
        case plain, humanize, humanizePercentage
    }

    public let source: String
    let parts: [Part]

    /// - Throws: `AlertExpressionError` with the character offset of a hole it cannot read.
    public init(_ source: String) throws(AlertExpressionError) {
        self.source = source
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            let offset = source.distance(from: source.startIndex, to: open.lowerBound)
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw AlertExpressionError(offset: offset, message: "'{{' is not closed with '}}'")
            }
            parts.append(try Self.hole(String(rest[open.upperBound..<close.lowerBound]), offset: offset))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    private static func hole(_ text: String, offset: Int) throws(AlertExpressionError) -> Part {
        let pieces = text.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        var format = Format.plain
        if pieces.count == 2 {
            guard let chosen = Format(rawValue: pieces[1]), chosen != .plain else {
                throw AlertExpressionError(offset: offset, message: "unknown template function '\(pieces[1])' (known: humanize, humanizePercentage)")
            }
            format = chosen
        } else if pieces.count != 1 {
            throw AlertExpressionError(offset: offset, message: "a template hole takes one value and at most one function")
        }
        let name = pieces[0]
        if name == "$value" { return .value(format) }
        if name == "$output" { return .output }
        if name.hasPrefix("$labels."), name.count > 8 { return .label(String(name.dropFirst(8)), format) }
        throw AlertExpressionError(offset: offset, message: "unknown template value '\(name)' (known: $labels.NAME, $value, $output)")
    }

    /// The summary for one alert.
    public func render(labels: AlertLabels, value: Double, output: String?) -> String {
        var result = ""
        for part in parts {
            switch part {
            case .text(let text): result += text
            case .label(let name, _): result += labels[name] ?? ""
            case .value(let format): result += Self.format(value, format)
            case .output: result += output ?? ""
            }
        }
        return result
    }

    static func format(_ value: Double, _ format: Format) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        switch format {
        case .humanizePercentage: return trimmed(value * 100) + "%"
        case .humanize:
            let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
            for (size, suffix) in units where Swift.abs(value) >= size { return trimmed(value / size) + suffix }
            return trimmed(value)
        case .plain: return trimmed(value)
        }
    }

    private static func trimmed(_ value: Double) -> String {
        if value == value.rounded(), Swift.abs(value) < 1e15 { return String(Int(value)) }
        let rounded = (value * 1000).rounded() / 1000
        return String(rounded)
    }
}
