import Foundation
import VitalsCore

/// What one probe run saw: the status it implies, a human-readable output and how long it took.
public struct ProbeOutcome: Sendable, Equatable {
    public var status: Status
    public var output: String
    /// Time until the answer (or the failure); `nil` when there was no answer at all.
    public var latency: Duration?

    public init(status: Status, output: String, latency: Duration?) {
        self.status = status
        self.output = output.sanitizedForTerminal
        self.latency = latency
    }
}

/// Runs one kind of check against its target.
public protocol Probe: Sendable {
    /// Runs `check` once, never longer than its timeout (plus scheduling slack).
    func run(_ check: CheckConfig) async -> ProbeOutcome
}

extension Probe {
    /// Runs `attempt` up to `1 + retries` times, stopping at the first passing outcome, waiting
    /// 100 ms, 200 ms, 400 ms… (at most 2 s, each ±50 % at random so that many checks do not
    /// retry in step) between tries, and never past `within` (one interval) in all; a pass
    /// slower than `responseTimeBelow` becomes a warning.
    func withRetries(
        _ retries: Int, within: Duration? = nil, responseTimeBelow limit: Duration? = nil, _ attempt: () async -> ProbeOutcome
    ) async -> ProbeOutcome {
        let start = ContinuousClock.now
        var outcome = await attempt()
        var tries = 1
        for retry in 0..<max(0, retries) where outcome.status != .passing {
            let base = min(100.0 * pow(2, Double(retry)), 2_000)
            let delay = Duration.milliseconds(Int(base * Double.random(in: 0.5...1.5)))
            if let within, ContinuousClock.now - start + delay >= within { break }
            guard (try? await Task.sleep(for: delay)) != nil else { break }
            outcome = await attempt()
            tries += 1
        }
        if tries > 1 { outcome.output += " (try \(tries) of \(retries + 1))" }
        if outcome.status == .passing, let limit, let latency = outcome.latency, latency > limit {
            outcome.status = .warning
            outcome.output += " (took \(latency.goString), limit \(limit.goString))"
        }
        return outcome
    }
}
