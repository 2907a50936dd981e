import Foundation

/// The two text formats a scrape may answer in.
public enum ExpositionFormat: Sendable, Equatable {
    /// Prometheus text 0.0.4: timestamps in milliseconds.
    case prometheus
    /// OpenMetrics 1.0 text: timestamps in seconds, `# EOF` at the end, exemplars after values.
    case openMetrics

    /// The format a `Content-Type` names (Prometheus text when it names none it knows).
    public init(contentType: String?) {
        self = contentType?.lowercased().contains("application/openmetrics-text") == true ? .openMetrics : .prometheus
    }

    /// What a scrape asks for, OpenMetrics first, as Prometheus does.
    public static let accept = "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
}

/// A family's type from `# TYPE`.
public enum MetricType: String, Sendable {
    case counter, gauge, histogram, summary, untyped, unknown, info, stateset, gaugehistogram
}

/// Parses the Prometheus text format and OpenMetrics text straight from bytes: one pass, no
/// `String` and no `Dictionary` per sample. A series already seen (in this scrape or an earlier
/// one) is found in the `SeriesTable` by the hash of its text and not parsed again; only a new
/// series has its labels checked (names, escapes, UTF-8, duplicates) before it is interned.
///
/// A malformed line is reported with its line and column and skipped; the rest is read.
public struct ExpositionParser {
    /// A line that could not be read.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var reason: String
        /// A limit was passed (`label_limit`): the whole scrape is refused, not just the line.
        public var isLimit = false

        public var description: String { "line \(line), column \(column): \(reason)" }
    }

    /// What one parse found besides its samples.
    public struct Summary: Sendable, Equatable {
        public var samples = 0
        public var newSeries = 0
        public var failures: [Failure] = []
        /// Whether an OpenMetrics exposition ended with `# EOF`.
        public var sawEOF = false
        /// `# TYPE` lines, by family name.
        public var types: [String: MetricType] = [:]
        /// Sample lines skipped because their name was not wanted.
        public var skipped = 0
        /// Why parsing stopped early at a limit (`sample_limit`, `label_limit`); the samples
        /// given before it must be thrown away, as Prometheus fails the whole scrape.
        public var limitExceeded: String?

        public init() {}
    }

    /// The most failures kept per parse (the rest are counted in `samples` as skipped lines).
    public static let failuresKept = 20

    public let format: ExpositionFormat
    /// Hashes of the only metric names wanted (nil: all); other lines are skipped unread.
    private let wanted: Set<UInt64>?
    /// The most sample lines (read or skipped) one exposition may have: Prometheus' `sample_limit`.
    public let sampleLimit: Int
    /// The most labels a new series may have: Prometheus' `label_limit`.
    public let labelLimit: Int

    /// - Parameters:
    ///   - only: the metric names wanted; lines of other names are skipped before their labels
    ///     are read or their series interned (nil reads everything).
    ///   - sampleLimit: past this many sample lines the parse stops with `limitExceeded`.
    ///   - labelLimit: a new series with more labels stops the parse with `limitExceeded`.
    public init(format: ExpositionFormat = .prometheus, only names: Set<String>? = nil, sampleLimit: Int = .max, labelLimit: Int = .max) {
        self.format = format
        wanted = names.map { Set($0.map { name in Array(name.utf8).withUnsafeBytes { SeriesTable.hash($0) } }) }
        self.sampleLimit = sampleLimit
        self.labelLimit = labelLimit
    }

    /// Parses `bytes`, calling `sample(series, value, timestampMs)` for every sample.
    public func parse(
        _ bytes: UnsafeRawBufferPointer, into table: inout SeriesTable, sample: (Int32, Double, Int64?) -> Void
    ) -> Summary {
        var summary = Summary()
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return summary }
        let end = bytes.count
        var index = 0
        var line = 0
        // Label names of the series being checked, reused from line to line.
        var names: [(Int, Int)] = []
        names.reserveCapacity(16)
        // Hashes of the metric names that had samples, to catch a `# TYPE` that comes after them;
        // a name is hashed only where it differs from the line before.
        var sampled = Set<UInt64>()
        var lastName: (start: Int, length: Int) = (0, -1)
        var lastHash: UInt64 = 0
        while index < end {
            line += 1
            let lineStart = index
            var lineEnd = index
            if let found = memchr(base + index, Int32(UInt8(ascii: "\n")), end - index) {
                lineEnd = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            } else {
                lineEnd = end
            }
            index = lineEnd + 1
            var cursor = Cursor(base: base, index: lineStart, end: lineEnd, lineStart: lineStart, line: line)
            if cursor.index < cursor.end, base[cursor.end - 1] == UInt8(ascii: "\r") { cursor.end -= 1 }
            if summary.sawEOF {
                if cursor.index < cursor.end { record(&summary, cursor.failure("text after # EOF")) }
                continue
            }
            guard cursor.index < cursor.end else { continue }
            if base[cursor.index] == UInt8(ascii: "#") {
                comment(&cursor, &summary, sampled: sampled)
                continue
            }
            if summary.samples + summary.skipped >= sampleLimit {
                summary.limitExceeded = "more than \(sampleLimit) samples (sample_limit)"
                return summary
            }
            if Cursor.isNameStart(base[cursor.index]) {
                var nameEnd = cursor.index
                while nameEnd < cursor.end, Cursor.isNameByte(base[nameEnd]) { nameEnd += 1 }
                let length = nameEnd - cursor.index
                if length != lastName.length || memcmp(base + cursor.index, base + lastName.start, length) != 0 {
                    lastHash = SeriesTable.hash(UnsafeRawBufferPointer(start: base + cursor.index, count: length))
                    sampled.insert(lastHash)
                    lastName = (cursor.index, length)
                }
                if let wanted, !wanted.contains(lastHash) {
                    // Not read, but it must at least look like a sample: a name, then labels or a value.
                    if nameEnd < cursor.end, base[nameEnd] == UInt8(ascii: "{") || base[nameEnd] == UInt8(ascii: " ") || base[nameEnd] == UInt8(ascii: "\t") {
                        summary.skipped += 1
                    } else {
                        cursor.index = nameEnd
                        record(&summary, cursor.failure(nameEnd < cursor.end ? "expected a space before the value" : "missing value"))
                    }
                    continue
                }
            }
            do {
                let (id, value, timestamp, isNew) = try cursor.sample(table: &table, format: format, names: &names, labelLimit: labelLimit)
                if isNew { summary.newSeries += 1 }
                summary.samples += 1
                sample(id, value, timestamp)
            } catch {
                if error.isLimit {
                    summary.limitExceeded = error.description
                    return summary
                }
                record(&summary, error)
            }
        }
        if format == .openMetrics, !summary.sawEOF {
            record(&summary, Failure(line: line, column: 1, reason: "the exposition ends without # EOF (cut short?)"))
        }
        return summary
    }

    private func record(_ summary: inout Summary, _ failure: Failure) {
        if summary.failures.count < Self.failuresKept { summary.failures.append(failure) }
    }

    /// `# TYPE name type`, `# HELP …`, `# UNIT …`, `# EOF`; other comments are skipped. A `# TYPE`
    /// for a family whose samples came already is an error (the format puts it first).
    private func comment(_ cursor: inout Cursor, _ summary: inout Summary, sampled: Set<UInt64>) {
        let text = cursor.rest
        if text == "# EOF" {
            summary.sawEOF = true
            return
        }
        guard text.hasPrefix("# TYPE ") else { return }
        let parts = text.dropFirst(7).split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else {
            record(&summary, cursor.failure("# TYPE needs a metric name and a type"))
            return
        }
        guard let type = MetricType(rawValue: String(parts[1])) else {
            record(&summary, cursor.failure("unknown metric type '\(parts[1].prefix(40))'"))
            return
        }
        let family = String(parts[0])
        for suffix in ["", "_total", "_bucket", "_sum", "_count", "_created", "_info"] {
            let name = Array((family + suffix).utf8)
            if name.withUnsafeBytes({ sampled.contains(SeriesTable.hash($0)) }) {
                record(&summary, cursor.failure("# TYPE for \(family.prefix(60)) comes after its samples"))
                return
            }
        }
        if summary.types[family] != nil {
            record(&summary, cursor.failure("a second # TYPE for \(family.prefix(60))"))
            return
        }
        summary.types[family] = type
    }
}

/// Reads one line of an exposition.
struct Cursor {
    let base: UnsafePointer<UInt8>
    var index: Int
    var end: Int
    let lineStart: Int
    let line: Int

    var rest: String { String(decoding: UnsafeBufferPointer(start: base + index, count: end - index), as: UTF8.self) }

    func failure(_ reason: String) -> ExpositionParser.Failure {
        ExpositionParser.Failure(line: line, column: index - lineStart + 1, reason: reason)
    }

    @inline(__always) var atEnd: Bool { index >= end }
    @inline(__always) var peek: UInt8 { base[index] }

    @inline(__always) static func isNameStart(_ byte: UInt8) -> Bool {
        (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
    }

    @inline(__always) static func isNameByte(_ byte: UInt8) -> Bool {
        isNameStart(byte) || (byte >= 0x30 && byte <= 0x39)
    }

    @inline(__always) mutating func skipBlanks() {
        while index < end, base[index] == UInt8(ascii: " ") || base[index] == UInt8(ascii: "\t") { index += 1 }
    }

    /// One sample: the series (interned), its value and its timestamp in milliseconds.
    mutating func sample(
        table: inout SeriesTable, format: ExpositionFormat, names: inout [(Int, Int)], labelLimit: Int = .max
    ) throws(ExpositionParser.Failure) -> (Int32, Double, Int64?, Bool) {
        let seriesStart = index
        var nameLength = 0
        if peek == UInt8(ascii: "{") {
            // `{"quoted.name", label="v"}`: the name is inside the braces.
            nameLength = 0
        } else {
            guard Self.isNameStart(peek) else { throw failure("expected a metric name") }
            index += 1
            while index < end, Self.isNameByte(base[index]) { index += 1 }
            nameLength = index - seriesStart
        }
        if index < end, base[index] == UInt8(ascii: "{") { try skipLabelBlock() }
        let seriesEnd = index
        let key = UnsafeRawBufferPointer(start: base + seriesStart, count: seriesEnd - seriesStart)
        let before = table.count
        let hash = SeriesTable.hash(key)
        let id: Int32
        if let known = table.find(key, hash: hash) {
            id = known
        } else {
            // A series not seen before: check its labels properly before remembering it.
            var check = Cursor(base: base, index: seriesStart + nameLength, end: seriesEnd, lineStart: lineStart, line: line)
            try check.validateLabels(quotedName: nameLength == 0, names: &names, limit: labelLimit)
            id = table.intern(key, nameLength: nameLength, hash: hash)
        }
        guard index < end, base[index] == UInt8(ascii: " ") || base[index] == UInt8(ascii: "\t") else {
            throw failure(atEnd ? "missing value" : "expected a space before the value")
        }
        skipBlanks()
        let value = try number()
        skipBlanks()
        var timestamp: Int64?
        if !atEnd, peek != UInt8(ascii: "#") {
            timestamp = try self.timestamp(format: format)
            skipBlanks()
        }
        if !atEnd {
            // OpenMetrics exemplar: ` # {labels} value [timestamp]`; skipped, but it must be one.
            guard format == .openMetrics, peek == UInt8(ascii: "#") else { throw failure("unexpected text after the value") }
            index += 1
            skipBlanks()
            guard !atEnd, peek == UInt8(ascii: "{") else { throw failure("an exemplar starts with '{'") }
            try skipLabelBlock()
            skipBlanks()
            _ = try number()
            skipBlanks()
            if !atEnd { _ = try self.timestamp(format: format) }
            skipBlanks()
            guard atEnd else { throw failure("unexpected text after the exemplar") }
        }
        return (id, value, timestamp, table.count > before)
    }

    /// Moves past `{…}`, honouring quotes and escapes; the contents are checked only for new series.
    @inline(__always) mutating func skipLabelBlock() throws(ExpositionParser.Failure) {
        index += 1
        var quoted = false
        while index < end {
            let byte = base[index]
            if quoted {
                if byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") { quoted = false }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: "}") {
                index += 1
                return
            }
            index += 1
        }
        throw failure(quoted ? "label value is not closed with '\"'" : "labels are not closed with '}'")
    }

    /// Checks a label block: `{name="value",…}` (a quoted first item is the metric name), escapes
    /// `\\`, `\"`, `\n` only, values valid UTF-8, no label twice.
    mutating func validateLabels(quotedName: Bool, names: inout [(Int, Int)], limit: Int = .max) throws(ExpositionParser.Failure) {
        guard !atEnd else {
            if quotedName { throw failure("expected a metric name") }
            return
        }
        index += 1  // {
        names.removeAll(keepingCapacity: true)
        var first = true
        skipBlanks()
        while !atEnd, peek != UInt8(ascii: "}") {
            let nameStart = index
            var nameRange: (Int, Int)
            if peek == UInt8(ascii: "\"") {
                let (start, stop) = try quotedString()
                nameRange = (start, stop)
                skipBlanks()
                if first && quotedName && (atEnd || peek != UInt8(ascii: "=")) {
                    // The quoted metric name: no `=` follows.
                    first = false
                    if !atEnd, peek == UInt8(ascii: ",") { index += 1; skipBlanks() }
                    continue
                }
            } else {
                guard Self.isNameStart(peek), peek != UInt8(ascii: ":") else { throw failure("expected a label name") }
                while index < end, Self.isNameByte(base[index]), base[index] != UInt8(ascii: ":") { index += 1 }
                nameRange = (nameStart, index)
                skipBlanks()
            }
            if first && quotedName { throw failure("a '{' at the start of a line must name the metric in quotes") }
            first = false
            guard !atEnd, peek == UInt8(ascii: "=") else { throw failure("expected '=' after a label name") }
            index += 1
            skipBlanks()
            guard !atEnd, peek == UInt8(ascii: "\"") else { throw failure("expected '\"' to open a label value") }
            let (valueStart, valueEnd) = try quotedString()
            let value = UnsafeBufferPointer(start: base + valueStart, count: valueEnd - valueStart)
            if value.contains(where: { $0 >= 0x80 }), String(validating: value, as: UTF8.self) == nil {
                index = valueStart
                throw failure("label value is not valid UTF-8")
            }
            let length = nameRange.1 - nameRange.0
            for other in names where other.1 - other.0 == length && memcmp(base + other.0, base + nameRange.0, length) == 0 {
                index = nameRange.0
                throw failure("label \(String(decoding: UnsafeBufferPointer(start: base + nameRange.0, count: length), as: UTF8.self)) appears twice")
            }
            names.append(nameRange)
            if names.count > limit {
                var passed = failure("a series with more than \(limit) labels (label_limit)")
                passed.isLimit = true
                throw passed
            }
            skipBlanks()
            if !atEnd, peek == UInt8(ascii: ",") {
                index += 1
                skipBlanks()
            } else if atEnd || peek != UInt8(ascii: "}") {
                throw failure("expected ',' or '}' in labels")
            }
        }
        if first && quotedName { throw failure("expected a metric name") }
    }

    /// A `"…"` string with its escapes checked; the range of its contents.
    mutating func quotedString() throws(ExpositionParser.Failure) -> (Int, Int) {
        index += 1
        let start = index
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return (start, index - 1)
            }
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < end else { break }
                let escaped = base[index + 1]
                guard escaped == UInt8(ascii: "\\") || escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "n") else {
                    throw failure("unknown escape '\\\(Character(UnicodeScalar(escaped)))' in a label value")
                }
                index += 2
                continue
            }
            index += 1
        }
        throw failure("label value is not closed with '\"'")
    }

    /// A float: decimal, exponent, `NaN`, `+Inf`, `-Inf`. Out of range (`1e400`) is an error.
    mutating func number() throws(ExpositionParser.Failure) -> Double {
        let start = index
        while index < end, base[index] != UInt8(ascii: " "), base[index] != UInt8(ascii: "\t") { index += 1 }
        let length = index - start
        guard length > 0 else { throw failure("missing value") }
        if let fast = Self.fastDouble(base + start, length) { return fast }
        let text = UnsafeBufferPointer(start: base + start, count: length)
        switch String(decoding: text, as: UTF8.self) {
        case "NaN": return .nan
        case "+Inf", "Inf", "+inf", "inf": return .infinity
        case "-Inf", "-inf": return -.infinity
        default: break
        }
        // The slow, exact path: strtod on a terminated copy.
        guard length < 128 else { index = start; throw failure("value too long") }
        var buffer = [CChar](repeating: 0, count: length + 1)
        for offset in 0..<length { buffer[offset] = CChar(bitPattern: base[start + offset]) }
        errno = 0
        let (value, consumed) = buffer.withUnsafeMutableBufferPointer { all -> (Double, Int) in
            var stop: UnsafeMutablePointer<CChar>?
            let value = strtod(all.baseAddress!, &stop)
            return (value, stop.map { all.baseAddress!.distance(to: $0) } ?? 0)
        }
        guard consumed == length, buffer.allSatisfy({ $0 == 0 || ($0 >= 0x2B && $0 <= 0x7A) }) else {
            index = start
            throw failure("bad value '\(String(decoding: text.prefix(40), as: UTF8.self))'")
        }
        guard errno != ERANGE || value == 0 || !value.isInfinite else {
            index = start
            throw failure("value '\(String(decoding: text.prefix(40), as: UTF8.self))' is out of range")
        }
        // Hex floats and "infinity" spelt out are not the format's.
        if buffer.contains(where: { $0 == CChar(UInt8(ascii: "x")) || $0 == CChar(UInt8(ascii: "X")) || $0 == CChar(UInt8(ascii: "n")) || $0 == CChar(UInt8(ascii: "N")) }) {
            index = start
            throw failure("bad value '\(String(decoding: text.prefix(40), as: UTF8.self))'")
        }
        return value
    }

    private static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    /// Clinger's fast path: up to 15 significant digits and a power of ten up to 22 convert exactly
    /// with one multiplication or division. Anything else returns nil for the exact path.
    @inline(__always)
    static func fastDouble(_ text: UnsafePointer<UInt8>, _ length: Int) -> Double? {
        var index = 0
        var negative = false
        if text[0] == UInt8(ascii: "-") || text[0] == UInt8(ascii: "+") {
            negative = text[0] == UInt8(ascii: "-")
            index = 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction = 0
        var sawDigit = false
        var sawPoint = false
        while index < length {
            let byte = text[index]
            if byte >= 0x30 && byte <= 0x39 {
                sawDigit = true
                if mantissa == 0 && byte == 0x30 {
                    if sawPoint { fraction += 1 }
                } else {
                    digits += 1
                    guard digits <= 15 else { return nil }
                    mantissa = mantissa * 10 + UInt64(byte - 0x30)
                    if sawPoint { fraction += 1 }
                }
            } else if byte == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                break
            }
            index += 1
        }
        guard sawDigit else { return nil }
        var exponent = -fraction
        if index < length {
            guard text[index] | 0x20 == UInt8(ascii: "e"), index + 1 < length else { return nil }
            index += 1
            var negativeExponent = false
            if text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
                negativeExponent = text[index] == UInt8(ascii: "-")
                index += 1
            }
            var value = 0
            var sawExponentDigit = false
            while index < length, text[index] >= 0x30, text[index] <= 0x39 {
                value = value * 10 + Int(text[index] - 0x30)
                sawExponentDigit = true
                guard value < 10_000 else { return nil }
                index += 1
            }
            guard sawExponentDigit, index == length else { return nil }
            exponent += negativeExponent ? -value : value
        }
        var result = Double(mantissa)
        if mantissa != 0 {
            guard exponent >= -22, exponent <= 22 else { return nil }
            result = exponent >= 0 ? result * powersOfTen[exponent] : result / powersOfTen[-exponent]
        }
        return negative ? -result : result
    }

    /// A timestamp: integer milliseconds (Prometheus) or float seconds (OpenMetrics).
    mutating func timestamp(format: ExpositionFormat) throws(ExpositionParser.Failure) -> Int64 {
        let start = index
        let value = try number()
        switch format {
        case .prometheus:
            guard value.isFinite, value == value.rounded(), abs(value) < 9.2e18 else { index = start; throw failure("bad timestamp") }
            return Int64(value)
        case .openMetrics:
            guard value.isFinite, abs(value * 1000) < 9.2e18 else { index = start; throw failure("bad timestamp") }
            return Int64((value * 1000).rounded())
        }
    }
}

extension SeriesTable {
    /// The number of the series whose text is `key`, if it is interned.

    public func find(_ key: UnsafeRawBufferPointer) -> Int32? { find(key, hash: Self.hash(key)) }

    /// `find` with the key's `hash` already computed.
    func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int32? {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let id = buckets[slot]
            if id < 0 { return nil }
            if matches(Int(id), key, hash) { return id }
            slot = (slot + 1) & mask
        }
    }
}
