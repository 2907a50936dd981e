/// Monotonic time in nanoseconds and a way to wait for a moment: all the scheduler knows of time,
/// so that tests can drive it with a clock they move by hand.
public protocol EngineClock: Sendable {
    /// Nanoseconds since an arbitrary origin; never goes backwards.
    var now: Int64 { get }
    /// Returns at `deadline` (or later); throws when the task is cancelled.
    func sleep(until deadline: Int64) async throws
}

/// The real clock: `ContinuousClock`, counted from when the value was made.
public struct SystemClock: EngineClock {
    private let origin = ContinuousClock.now

    public init() {}

    public var now: Int64 { (ContinuousClock.now - origin).nanoseconds }

    public func sleep(until deadline: Int64) async throws {
        try await Task.sleep(until: origin + .nanoseconds(deadline), clock: .continuous)
    }
}

extension Duration {
    /// Whole nanoseconds, saturating at the ends of Int64.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
