import Foundation
import VitalsCore

/// The life of one check as a pure state machine: results go in, the status changes only after
/// the configured number of consecutive results agree (Consul's `success_before_passing` and
/// `failures_before_critical`), and recent changes and latencies are kept for the detail view.
public struct CheckState: Sendable {
    public static let historyLimit = 20
    public static let latencyLimit = 60

    public let successBeforePassing: Int
    public let failuresBeforeCritical: Int
    public private(set) var status: Status = .unknown
    public private(set) var output = "no result yet"
    public private(set) var latency: Duration?
    public private(set) var since: Date?
    public private(set) var lastRun: Date?
    public private(set) var history: [StatusChange] = []
    public private(set) var latencies: [Double?] = []
    private var consecutivePassing = 0
    private var consecutiveFailing = 0

    public init(successBeforePassing: Int = 1, failuresBeforeCritical: Int = 1) {
        self.successBeforePassing = max(1, successBeforePassing)
        self.failuresBeforeCritical = max(1, failuresBeforeCritical)
    }

    /// Takes one probe result.
    /// - Returns: whether the status changed.
    @discardableResult
    public mutating func record(_ outcome: ProbeOutcome, at time: Date) -> Bool {
        output = outcome.output
        latency = outcome.latency
        lastRun = time
        latencies.append(outcome.latency.map(\.milliseconds))
        if latencies.count > Self.latencyLimit { latencies.removeFirst(latencies.count - Self.latencyLimit) }

        let next: Status?
        if outcome.status == .passing {
            consecutivePassing += 1
            consecutiveFailing = 0
            next = consecutivePassing >= successBeforePassing ? .passing : nil
        } else {
            consecutiveFailing += 1
            consecutivePassing = 0
            next = consecutiveFailing >= failuresBeforeCritical ? outcome.status : nil
        }
        // The first result is taken as it is: a fresh dashboard should not sit on "unknown".
        let target = status == .unknown ? outcome.status : next
        guard let target, target != status else {
            if since == nil { since = time }
            return false
        }
        history.append(StatusChange(time: time, from: status, to: target, output: outcome.output))
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
        status = target
        since = time
        return true
    }

    /// The state as the snapshot shows it.
    public func snapshot(name: String, config: CheckConfig) -> CheckSnapshot {
        CheckSnapshot(
            name: name, type: config.target.typeName, target: config.target.description, status: status,
            output: output, latencyMs: latency.map(\.milliseconds), since: since, lastRun: lastRun,
            history: history, latencies: latencies
        )
    }
}
