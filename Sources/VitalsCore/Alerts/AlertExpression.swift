/// An alert rule's condition, in a small PromQL-like language over what the engine knows.
///
/// ```
/// node_cpu > 0.9
/// service_status{service=~"orders|payments"} == critical
/// count by (service) (service_up == 0) >= 2
/// node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes < 0.1
/// ```
/// Names are series (each sample labelled by node, service, check…); comparisons keep the
/// samples for which they hold, as in Prometheus; `and`, `or`, `unless` combine label sets,
/// optionally `on (labels)`.
public indirect enum AlertExpression: Sendable, Equatable {
    case number(Double)
    /// A status word (`passing`, `warning`, …) read as its number.
    case constant(String, Double)
    case selector(name: String, matchers: [LabelMatcher])
    case negate(AlertExpression)
    case binary(BinaryOperator, AlertExpression, AlertExpression, on: [String]?)
    case aggregate(Aggregation, by: [String], AlertExpression)
    case function(String, AlertExpression)
    /// `rate(name{…}[5m])` and its kin: a function of a scraped series over a window of its past.
    case range(function: String, name: String, matchers: [LabelMatcher], window: Duration)
    /// `histogram_quantile(φ, buckets)`: the φ-quantile from `_bucket` series with `le` labels.
    case quantile(Double, AlertExpression)

    public enum BinaryOperator: String, Sendable, CaseIterable {
        case add = "+", subtract = "-", multiply = "*", divide = "/"
        case equal = "==", notEqual = "!=", greater = ">", less = "<", greaterOrEqual = ">=", lessOrEqual = "<="
        case and, or, unless

        var isComparison: Bool { [.equal, .notEqual, .greater, .less, .greaterOrEqual, .lessOrEqual].contains(self) }
        var isSetOperation: Bool { [.and, .or, .unless].contains(self) }

        /// Binding strength: `or` < `and`/`unless` < comparisons < `+ -` < `* /`.
        var precedence: Int {
            switch self {
            case .or: 1
            case .and, .unless: 2
            case .equal, .notEqual, .greater, .less, .greaterOrEqual, .lessOrEqual: 3
            case .add, .subtract: 4
            case .multiply, .divide: 5
            }
        }
    }

    public enum Aggregation: String, Sendable, CaseIterable {
        case sum, avg, min, max, count
    }

    /// Functions of one series.
    public static let functions = ["abs", "histogram_quantile"]
    /// Functions of a scraped series' past: `rate(x[5m])`, read from the scrape store.
    public static let rangeFunctions = ["rate", "irate", "increase", "delta", "avg_over_time", "max_over_time", "min_over_time"]

    /// Whether the expression yields labelled samples (a vector) rather than one plain number.
    public var isVector: Bool {
        switch self {
        case .number, .constant: false
        case .selector, .aggregate, .range: true
        case .negate(let inner), .function(_, let inner): inner.isVector
        case .quantile: true
        case .binary(_, let left, let right, _): left.isVector || right.isVector
        }
    }

    /// Every series name the expression reads.
    public var names: [String] {
        switch self {
        case .number, .constant: []
        case .selector(let name, _), .range(_, let name, _, _): [name]
        case .negate(let inner), .function(_, let inner), .aggregate(_, _, let inner), .quantile(_, let inner): inner.names
        case .binary(_, let left, let right, _): left.names + right.names
        }
    }

    /// Every selector with its matchers, for checking label names.
    public var selectors: [(name: String, matchers: [LabelMatcher])] {
        switch self {
        case .number, .constant: []
        case .selector(let name, let matchers), .range(_, let name, let matchers, _): [(name, matchers)]
        case .negate(let inner), .function(_, let inner), .aggregate(_, _, let inner), .quantile(_, let inner): inner.selectors
        case .binary(_, let left, let right, _): left.selectors + right.selectors
        }
    }
}

/// `label="value"`, `!=`, `=~` (a regular expression matching the whole value) or `!~`.
public struct LabelMatcher: Sendable, Equatable {
    public enum Kind: String, Sendable { case equal = "=", notEqual = "!=", matches = "=~", notMatches = "!~" }

    public var label: String
    public var kind: Kind
    public var value: String
    private let regex: LinearRegex?

    /// - Throws: a message when a regular expression does not compile.
    public init(label: String, kind: Kind, value: String) throws(AlertExpressionError) {
        self.label = label
        self.kind = kind
        self.value = value
        if kind == .matches || kind == .notMatches {
            do {
                regex = try LinearRegex(value, whole: true)
            } catch {
                throw AlertExpressionError(offset: 0, message: "regular expression \"\(value)\" is not taken: \(error)")
            }
        } else {
            regex = nil
        }
    }

    /// Whether a label value (empty when the label is absent) passes.
    public func accepts(_ candidate: String) -> Bool {
        switch kind {
        case .equal: candidate == value
        case .notEqual: candidate != value
        case .matches: regex?.matches(candidate) ?? false
        case .notMatches: !(regex?.matches(candidate) ?? false)
        }
    }

    public static func == (lhs: LabelMatcher, rhs: LabelMatcher) -> Bool {
        lhs.label == rhs.label && lhs.kind == rhs.kind && lhs.value == rhs.value
    }
}

/// A mistake in an expression: where (a character offset into it) and what.
public struct AlertExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { message }
}
