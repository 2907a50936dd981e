import Foundation
import VitalsCore

/// The life of one check as a pure state machine: results go in, the status changes only after
/// the configured number of consecutive results agree (Consul's `success_before_passing` and
/// `failures_before_critical`), and recent changes and latencies are kept for the detail view.
public struct CheckState: Sendable {
    public static let historyLimit = 20
    public static let latencyLimit = 60

    public private(set) var successBeforePassing: Int
    public private(set) var failuresBeforeCritical: Int
    /// Consecutive failures after which a passing check turns warning on its way to critical
    /// (Consul's `failures_before_warning`; nil: it goes straight to critical).
    public private(set) var failuresBeforeWarning: Int?
    public private(set) var status: Status = .unknown
    public private(set) var output = "no result yet"
    public private(set) var latency: Duration?
    public private(set) var since: Date?
    public private(set) var lastRun: Date?
    public private(set) var history: [StatusChange] = []
    public private(set) var latencies: [Double?] = []
    private var consecutivePassing = 0
    private var consecutiveFailing = 0
    /// The last results' statuses (not the check's), for flap detection.
    private var recentResults: [Status] = []
    /// Whether the check flaps: it started when its state changed in half of its last 21
    /// results, weighted to the newer ones, and stops below a quarter (Nagios' thresholds).
    public private(set) var isFlapping = false
    /// The weighted share of state changes over the last 21 results, 0 to 100.
    public private(set) var stateChangePercent = 0.0
    public static let flapWindow = 21
    public static let flapStart = 50.0
    public static let flapStop = 25.0

    /// - Parameter initial: the status before the first result (Consul's `status`); with one,
    ///   the first result goes through the thresholds like any other.
    public init(successBeforePassing: Int = 1, failuresBeforeCritical: Int = 1, failuresBeforeWarning: Int? = nil, initial: Status? = nil) {
        self.successBeforePassing = max(1, successBeforePassing)
        self.failuresBeforeCritical = max(1, failuresBeforeCritical)
        self.failuresBeforeWarning = failuresBeforeWarning.map { max(1, $0) }
        if let initial {
            status = initial
            output = "no result yet (starts \(initial.rawValue))"
            hasInitial = true
        }
    }

    private var hasInitial = false

    /// This check's state under a reloaded file's thresholds: its status, output and history
    /// stay until the next result, which the new thresholds judge.
    func rethresholded(for check: CheckConfig) -> CheckState {
        var copy = self
        copy.successBeforePassing = max(1, check.successBeforePassing)
        copy.failuresBeforeCritical = max(1, check.failuresBeforeCritical)
        copy.failuresBeforeWarning = check.failuresBeforeWarning.map { max(1, $0) }
        return copy
    }

    /// Nagios' flap detection: the share of results that changed state among the last 21, the
    /// newest weighing 1.2 and the oldest 0.8, with hysteresis between start and stop.
    private mutating func detectFlapping(_ result: Status) {
        recentResults.append(result)
        if recentResults.count > Self.flapWindow { recentResults.removeFirst(recentResults.count - Self.flapWindow) }
        // Too few results to say.
        guard recentResults.count >= 10 else { return }
        let changes = recentResults.count - 1
        var weighted = 0.0
        for index in 1...changes where recentResults[index] != recentResults[index - 1] {
            weighted += 0.8 + 0.4 * Double(index - 1) / Double(max(1, changes - 1))
        }
        stateChangePercent = weighted / Double(changes) * 100
        if isFlapping, stateChangePercent < Self.flapStop { isFlapping = false }
        if !isFlapping, stateChangePercent >= Self.flapStart { isFlapping = true }
    }

    /// How far the check is toward its next status while thresholds hold it back.
    public var progress: String? {
        if consecutiveFailing > 0, consecutiveFailing < failuresBeforeCritical, status != .critical {
            return "\(consecutiveFailing)/\(failuresBeforeCritical) failures toward critical"
        }
        if consecutivePassing > 0, consecutivePassing < successBeforePassing, status != .passing {
            return "\(consecutivePassing)/\(successBeforePassing) successes toward passing"
        }
        return nil
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
        detectFlapping(outcome.status)

        let next: Status?
        if outcome.status == .passing {
            consecutivePassing += 1
            consecutiveFailing = 0
            next = consecutivePassing >= successBeforePassing ? .passing : nil
        } else {
            consecutiveFailing += 1
            consecutivePassing = 0
            if consecutiveFailing >= failuresBeforeCritical {
                next = outcome.status
            } else if let warning = failuresBeforeWarning, consecutiveFailing >= warning, outcome.status == .critical, status == .passing || status == .unknown {
                next = .warning
            } else {
                next = nil
            }
        }
        // The first result is taken as it is (a fresh dashboard should not sit on "unknown"),
        // unless an initial status was given.
        let target = status == .unknown && !hasInitial ? outcome.status : next
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
            history: history, latencies: latencies, progress: progress,
            flapping: isFlapping ? stateChangePercent : nil,
            deregisterAt: status == .critical ? config.deregisterCriticalAfter.flatMap { after in since.map { $0.addingTimeInterval(after.seconds) } } : nil
        )
    }
}
