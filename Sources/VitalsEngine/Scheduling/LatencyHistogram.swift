import Foundation

/// Counts durations in logarithmic buckets (about 9 % wide) from 1 µs to over an hour, so
/// percentiles of millions of samples cost a fixed 300 counters. A pure value.
public struct LatencyHistogram: Sendable, Equatable {
    private static let bucketsPerDoubling = 8.0
    private static let bucketCount = 300
    private var buckets = [UInt64](repeating: 0, count: bucketCount)
    public private(set) var count: UInt64 = 0
    public private(set) var maxNanoseconds: Int64 = 0
    private var sumNanoseconds: Double = 0

    public init() {}

    public mutating func record(nanoseconds: Int64) {
        let value = max(0, nanoseconds)
        buckets[Self.bucket(value)] += 1
        count += 1
        maxNanoseconds = max(maxNanoseconds, value)
        sumNanoseconds += Double(value)
    }

    public mutating func merge(_ other: LatencyHistogram) {
        for index in buckets.indices { buckets[index] += other.buckets[index] }
        count += other.count
        maxNanoseconds = max(maxNanoseconds, other.maxNanoseconds)
        sumNanoseconds += other.sumNanoseconds
    }

    /// The value at or below which `fraction` of the samples fall (the bucket's upper edge,
    /// never above the largest sample); 0 when empty.
    public func percentile(_ fraction: Double) -> Int64 {
        guard count > 0 else { return 0 }
        let rank = UInt64((Double(count) * min(1, max(0, fraction))).rounded(.up))
        var seen: UInt64 = 0
        for (index, n) in buckets.enumerated() {
            seen += n
            if seen >= max(1, rank) { return min(maxNanoseconds, Self.upperEdge(index)) }
        }
        return maxNanoseconds
    }

    public var meanNanoseconds: Double { count == 0 ? 0 : sumNanoseconds / Double(count) }

    private static func bucket(_ nanoseconds: Int64) -> Int {
        let micros = Double(nanoseconds) / 1000
        guard micros > 1 else { return 0 }
        return min(bucketCount - 1, Int((log2(micros) * bucketsPerDoubling).rounded(.up)))
    }

    private static func upperEdge(_ index: Int) -> Int64 {
        Int64(pow(2, Double(index) / bucketsPerDoubling) * 1000)
    }
}
