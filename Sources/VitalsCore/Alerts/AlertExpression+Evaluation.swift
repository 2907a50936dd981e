/// A set of labels kept sorted by name, so equal sets compare and hash equal.
public struct AlertLabels: Sendable, Hashable, Codable, Sequence {
    public private(set) var pairs: [Pair]

    public struct Pair: Sendable, Hashable, Codable {
        public var name: String
        public var value: String
    }

    public init(_ dictionary: [String: String] = [:]) {
        pairs = dictionary.map { Pair(name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }
    }

    public subscript(name: String) -> String? {
        get { pairs.first { $0.name == name }?.value }
        set {
            pairs.removeAll { $0.name == name }
            if let newValue {
                pairs.append(Pair(name: name, value: newValue))
                pairs.sort { $0.name < $1.name }
            }
        }
    }

    /// Only the labels named in `names`.
    public func keeping(_ names: [String]) -> AlertLabels {
        var result = self
        result.pairs.removeAll { !names.contains($0.name) }
        return result
    }

    public var dictionary: [String: String] { Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }) }

    public func makeIterator() -> IndexingIterator<[Pair]> { pairs.makeIterator() }

    /// A fingerprint of the label set that is the same in every run and on every machine
    /// (FNV-1a over the sorted pairs): how a restarted Vitals finds the same alert again.
    public var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
            hash ^= 0xff
            hash = hash &* 0x0000_0100_0000_01b3
        }
        for pair in pairs {
            mix(pair.name)
            mix(pair.value)
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// One labelled number of a series, with an optional line of detail (a check's output) that
/// alert summaries can quote as `$output`.
public struct AlertSample: Sendable, Equatable {
    public var labels: AlertLabels
    public var value: Double
    public var detail: String?

    public init(labels: AlertLabels, value: Double, detail: String? = nil) {
        self.labels = labels
        self.value = value
        self.detail = detail
    }
}

/// Where an expression reads its series.
public protocol AlertSeriesSource {
    /// The samples of the series `name`; empty when nothing has it now.
    func samples(named name: String) -> [AlertSample]
    /// `function` (rate, irate, increase, delta, avg/max/min_over_time) of each series called
    /// `name` over the last `window`; empty when there is no past to read.
    func range(_ function: String, of name: String, over window: Duration) -> [AlertSample]
}

extension AlertSeriesSource {
    public func range(_ function: String, of name: String, over window: Duration) -> [AlertSample] { [] }
}

/// The range functions over one series' samples (oldest first, seconds and values): nil when
/// there are too few samples. Counters' resets (a value lower than the one before) are taken as
/// restarts from zero, as Prometheus does; there is no extrapolation to the window's edges.
public enum RangeFunction {
    public static func apply(_ function: String, _ samples: [(time: Double, value: Double)]) -> Double? {
        guard let first = samples.first, let last = samples.last else { return nil }
        switch function {
        case "rate", "increase":
            guard samples.count >= 2, last.time > first.time else { return nil }
            var increase = 0.0
            for (previous, current) in zip(samples, samples.dropFirst()) {
                increase += current.value >= previous.value ? current.value - previous.value : current.value
            }
            return function == "rate" ? increase / (last.time - first.time) : increase
        case "irate":
            guard samples.count >= 2 else { return nil }
            let previous = samples[samples.count - 2]
            guard last.time > previous.time else { return nil }
            let delta = last.value >= previous.value ? last.value - previous.value : last.value
            return delta / (last.time - previous.time)
        case "delta":
            return samples.count >= 2 ? last.value - first.value : nil
        case "avg_over_time": return samples.map(\.value).reduce(0, +) / Double(samples.count)
        case "max_over_time": return samples.map(\.value).max()
        case "min_over_time": return samples.map(\.value).min()
        default: return nil
        }
    }
}

extension AlertExpression {
    /// What an expression evaluates to.
    public enum Value: Sendable, Equatable {
        case scalar(Double)
        case vector([AlertSample])
    }

    /// Evaluates against `source`. Never fails: an absent series is an empty vector, a division
    /// by zero is ±Inf or NaN, and NaN compares false, as in Prometheus.
    public func evaluate(_ source: some AlertSeriesSource) -> Value {
        switch self {
        case .number(let value), .constant(_, let value):
            return .scalar(value)
        case .selector(let name, let matchers):
            let samples = source.samples(named: name)
            if matchers.isEmpty { return .vector(samples) }
            return .vector(samples.filter { sample in matchers.allSatisfy { $0.accepts(sample.labels[$0.label] ?? "") } })
        case .negate(let inner):
            return Self.map(inner.evaluate(source)) { -$0 }
        case .range(let function, let name, let matchers, let window):
            let samples = source.range(function, of: name, over: window)
            if matchers.isEmpty { return .vector(samples) }
            return .vector(samples.filter { sample in matchers.allSatisfy { $0.accepts(sample.labels[$0.label] ?? "") } })
        case .quantile(let phi, let inner):
            guard case .vector(let buckets) = inner.evaluate(source) else { return .vector([]) }
            return .vector(Self.quantiles(phi, buckets))
        case .function(let name, let inner):
            switch name {
            case "abs": return Self.map(inner.evaluate(source)) { Swift.abs($0) }
            default: return inner.evaluate(source)
            }
        case .aggregate(let aggregation, let by, let inner):
            guard case .vector(let samples) = inner.evaluate(source) else { return .vector([]) }
            return .vector(Self.aggregate(samples, aggregation, by: by))
        case .binary(let op, let left, let right, let on):
            return Self.binary(op, left.evaluate(source), right.evaluate(source), on: on)
        }
    }

    private static func map(_ value: Value, _ transform: (Double) -> Double) -> Value {
        switch value {
        case .scalar(let number): return .scalar(transform(number))
        case .vector(let samples):
            return .vector(samples.map { var s = $0; s.value = transform(s.value); return s })
        }
    }

    /// Prometheus' histogram_quantile: per group of `le` buckets (cumulative counts), the value
    /// below which φ of the observations fall, interpolated linearly inside its bucket.
    static func quantiles(_ phi: Double, _ buckets: [AlertSample]) -> [AlertSample] {
        var groups: [AlertLabels: [(le: Double, count: Double)]] = [:]
        var order: [AlertLabels] = []
        for sample in buckets {
            guard let text = sample.labels["le"], let le = text == "+Inf" ? Double.infinity : Double(text) else { continue }
            var key = sample.labels
            key["le"] = nil
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append((le, sample.value))
        }
        return order.compactMap { key in
            let sorted = (groups[key] ?? []).sorted { $0.le < $1.le }
            guard let last = sorted.last, last.le == .infinity, last.count > 0, sorted.count >= 2 else { return nil }
            let rank = phi * last.count
            var lowerBound = 0.0, lowerCount = 0.0
            for bucket in sorted {
                if bucket.count >= rank {
                    // In the +Inf bucket the answer is the highest finite bound.
                    if bucket.le == .infinity { return AlertSample(labels: key, value: sorted[sorted.count - 2].le) }
                    let inBucket = bucket.count - lowerCount
                    let value = inBucket > 0 ? lowerBound + (bucket.le - lowerBound) * (rank - lowerCount) / inBucket : bucket.le
                    return AlertSample(labels: key, value: value)
                }
                lowerBound = bucket.le
                lowerCount = bucket.count
            }
            return nil
        }
    }

    private static func aggregate(_ samples: [AlertSample], _ aggregation: Aggregation, by: [String]) -> [AlertSample] {
        var groups: [AlertLabels: [Double]] = [:]
        var order: [AlertLabels] = []
        for sample in samples {
            let key = sample.labels.keeping(by)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(sample.value)
        }
        return order.map { key in
            let values = groups[key] ?? []
            let result: Double = switch aggregation {
            case .sum: values.reduce(0, +)
            case .avg: values.reduce(0, +) / Double(values.count)
            case .min: values.min() ?? .nan
            case .max: values.max() ?? .nan
            case .count: Double(values.count)
            }
            return AlertSample(labels: key, value: result)
        }
    }

    private static func apply(_ op: BinaryOperator, _ a: Double, _ b: Double) -> Double? {
        switch op {
        case .add: a + b
        case .subtract: a - b
        case .multiply: a * b
        case .divide: a / b
        case .equal: a == b ? a : nil
        case .notEqual: a != b ? a : nil
        case .greater: a > b ? a : nil
        case .less: a < b ? a : nil
        case .greaterOrEqual: a >= b ? a : nil
        case .lessOrEqual: a <= b ? a : nil
        case .and, .or, .unless: a
        }
    }

    private static func binary(_ op: BinaryOperator, _ left: Value, _ right: Value, on: [String]?) -> Value {
        switch (left, right) {
        case (.scalar(let a), .scalar(let b)):
            // A comparison of two numbers is a number: 1 when it holds, else 0.
            if op.isComparison { return .scalar(apply(op, a, b) == nil ? 0 : 1) }
            return .scalar(apply(op, a, b) ?? .nan)
        case (.vector(let samples), .scalar(let b)):
            return .vector(samples.compactMap { sample in
                guard let value = apply(op, sample.value, b) else { return nil }
                var result = sample
                if !op.isComparison { result.value = value }
                return result
            })
        case (.scalar(let a), .vector(let samples)):
            return .vector(samples.compactMap { sample in
                guard let value = apply(op, a, sample.value) else { return nil }
                var result = sample
                // A comparison keeps the series' own value, as Prometheus does.
                if !op.isComparison { result.value = value }
                return result
            })
        case (.vector(let lefts), .vector(let rights)):
            let key: (AlertSample) -> AlertLabels = { on.map($0.labels.keeping) ?? $0.labels }
            var byKey: [AlertLabels: AlertSample] = [:]
            for sample in rights where byKey[key(sample)] == nil { byKey[key(sample)] = sample }
            switch op {
            case .and: return .vector(lefts.filter { byKey[key($0)] != nil })
            case .unless: return .vector(lefts.filter { byKey[key($0)] == nil })
            case .or:
                let leftKeys = Set(lefts.map(key))
                return .vector(lefts + rights.filter { !leftKeys.contains(key($0)) })
            default:
                return .vector(lefts.compactMap { sample in
                    guard let other = byKey[key(sample)], let value = apply(op, sample.value, other.value) else { return nil }
                    var result = sample
                    if !op.isComparison { result.value = value }
                    return result
                })
            }
        }
    }
}
