import Foundation
import VitalsCore

/// A node's circuit breaker, as a pure state machine: after `rounds` rounds in which every one
/// of its `checks` failed, the breaker opens and the node's probes stop for `retryEvery`; then one
/// probe goes through (half-open): a pass closes the breaker, a failure opens it again. A node
/// that is down is then asked once every `retryEvery` instead of hammered on every interval.
public struct CircuitBreaker: Sendable, Equatable {
    public let rounds: Int
    public let retryEvery: Duration
    public let checks: Int
    public private(set) var consecutiveFailures = 0
    /// When the next probe may go through while open; nil while closed.
    public private(set) var nextTry: Date?
    /// When it opened.
    public private(set) var openedAt: Date?

    public init(rounds: Int, retryEvery: Duration, checks: Int) {
        self.rounds = max(1, rounds)
        self.retryEvery = retryEvery
        self.checks = max(1, checks)
    }

    public var isOpen: Bool { nextTry != nil }

    /// Whether a probe due at `now` may run. While open, the first one due after `nextTry` runs
    /// (half-open) and the wait starts again for the others.
    public mutating func allows(at now: Date) -> Bool {
        guard let nextTry else { return true }
        guard now >= nextTry else { return false }
        self.nextTry = now.addingTimeInterval(retryEvery.seconds)
        return true
    }

    /// Takes a probe's result.
    /// - Returns: whether the breaker opened or closed.
    @discardableResult
    public mutating func record(passed: Bool, at now: Date) -> Bool {
        if passed {
            consecutiveFailures = 0
            guard nextTry != nil else { return false }
            nextTry = nil
            openedAt = nil
            return true
        }
        consecutiveFailures += 1
        guard nextTry == nil, consecutiveFailures >= rounds * checks else { return false }
        nextTry = now.addingTimeInterval(retryEvery.seconds)
        openedAt = now
        return true
    }
}
