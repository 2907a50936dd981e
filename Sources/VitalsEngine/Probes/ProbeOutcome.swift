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
    /// Runs `attempt` up to `1 + retries` times, stopping at the first passing outcome; a pass
    /// slower than `responseTimeBelow` becomes a warning.
    func withRetries(_ retries: Int, responseTimeBelow limit: Duration? = nil, _ attempt: () async -> ProbeOutcome) async -> ProbeOutcome {
        var outcome = await attempt()
        for _ in 0..<max(0, retries) where outcome.status != .passing {
            outcome = await attempt()
        }
        if outcome.status == .passing, let limit, let latency = outcome.latency, latency > limit {
            outcome.status = .warning
            outcome.output += " (took \(latency.goString), limit \(limit.goString))"
        }
        return outcome
    }
}
