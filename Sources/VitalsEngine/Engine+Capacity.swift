import Foundation
import Synchronization
import VitalsCore

/// The engine's replica advice: the advisor, the newest advice, the changes under way, and what
/// autoscale last tried per service (so a failing command is not retried in a loop).
struct CapacityBox: Sendable {
    var advisor: CapacityAdvisor
    /// Parsed expressions of the policies that have one, by service.
    var expressions: [String: AlertExpression] = [:]
    var next = Date.distantPast
    var advice: [CapacityAdvice] = []
    var inFlight: Set<String> = []
    /// Autoscale's last try per service that failed: not tried again for the same count within
    /// `retryAfter`.
    var failed: [String: (replicas: Int, time: Date)] = [:]
    static let retryAfter: TimeInterval = 300
    /// Changes made whose instances have not all shown up (or gone) yet: autoscale waits for
    /// them, up to `settleWithin`, instead of asking again for what it already asked.
    var pending: [String: (replicas: Int, time: Date)] = [:]
    static let settleWithin: TimeInterval = 60

    init(config: ScalingConfig) {
        advisor = CapacityAdvisor(config: config)
        for policy in config.policies {
            if case .expression(let text) = policy.metric, let parsed = try? AlertExpression(parsing: text) { expressions[policy.service] = parsed }
        }
    }

    /// The box for an engine made from `config` by a reload or a registration.
    func carried(to config: ScalingConfig) -> CapacityBox {
        var box = CapacityBox(config: config)
        box.advisor = advisor.reconfigured(config)
        box.advice = advice.filter { advice in config.policies.contains { $0.service == advice.service } }
        box.inFlight = inFlight
        box.failed = failed
        box.pending = pending
        return box
    }
}

/// The box, shared by an engine and the engines that replace it, and the newest of them.
final class CapacityShared: Sendable {
    private let box = Mutex(CapacityBox(config: ScalingConfig()))
    private let newest = Mutex<WeakEngine>(WeakEngine())

    func withLock<T>(_ body: (inout CapacityBox) -> T) -> T { box.withLock { body(&$0) } }

    /// `engine`, made from `config`, is the newest: the windows of services still advised on
    /// carry over.
    func adopt(_ config: ScalingConfig, engine: Engine) {
        box.withLock { $0 = $0.carried(to: config) }
        newest.withLock { $0.engine = engine }
    }

    var engine: Engine? { newest.withLock { $0.engine } }
}

struct WeakEngine: @unchecked Sendable {
    weak var engine: Engine?
}

/// Scraped samples, gathered once per evaluation and only if an expression asks.
private final class ScrapedOnce: @unchecked Sendable {
    private let gather: () -> [String: [AlertSample]]
    private var gathered: [String: [AlertSample]]?
    init(_ gather: @escaping () -> [String: [AlertSample]]) { self.gather = gather }
    func samples(_ name: String) -> [AlertSample] {
        if gathered == nil { gathered = gather() }
        return gathered?[name] ?? []
    }
}

extension Engine {
    /// Advises on every policy when due (every `scaling.interval`); starts what autoscale
    /// applies. Returns whether the advice changed.
    func stepCapacity(
        _ snapshot: ClusterSnapshot, scraped: @escaping () -> [String: [AlertSample]], ranges: @escaping (String, String, Duration) -> [AlertSample], time: Date
    ) -> Bool {
        let policies = config.scaling.policies
        guard !policies.isEmpty else { return false }
        let interval = config.scaling.interval.seconds
        let due = capacity.withLock { box -> Bool in
            guard time >= box.next else { return false }
            box.next = time.addingTimeInterval(interval)
            return true
        }
        guard due else { return false }
        let once = ScrapedOnce(scraped)
        let series = SnapshotSeries(snapshot, scraped: { once.samples($0) }, ranges: ranges)
        let canScale = options.scaler != nil
        let index = CapacityReading.Index(snapshot)
        let (changed, automatic) = capacity.withLock { box -> (Bool, [(String, Int, Int)]) in
            var automatic: [(String, Int, Int)] = []
            let advice = policies.map { policy -> CapacityAdvice in
                let reading = CapacityReading.read(policy, index: index, series: series, expression: box.expressions[policy.service])
                var advice = box.advisor.advise(policy, reading: reading, canScale: canScale || policy.scaleCommand != nil, at: time)
                advice.scaling = box.inFlight.contains(policy.service)
                if let pending = box.pending[policy.service], pending.replicas == advice.current || time.timeIntervalSince(pending.time) > CapacityBox.settleWithin {
                    box.pending[policy.service] = nil
                }
                if policy.autoscale, advice.canScale, advice.wantsChange, !advice.scaling, box.pending[policy.service] == nil {
                    let failed = box.failed[policy.service]
                    if failed == nil || failed!.replicas != advice.desired || time.timeIntervalSince(failed!.time) > CapacityBox.retryAfter {
                        automatic.append((policy.service, advice.current, advice.desired))
                    }
                }
                return advice
            }
            defer { box.advice = advice }
            return (advice != box.advice, automatic)
        }
        for (service, _, replicas) in automatic {
            Task { _ = await self.scale(service: service, to: replicas, by: "autoscale") }
        }
        return changed
    }

    /// Runs the policy's `scale_command` (or the demo's scaler) to bring `service` to `replicas`,
    /// bounded by its `command_timeout`; the outcome is kept with the advice and written to the
    /// alert history. Returns a line for the person who asked.
    public func scale(service: String, to replicas: Int, by who: String) async -> String {
        guard let policy = config.scaling.policies.first(where: { $0.service == service }) else { return "\(service) has no scaling policy" }
        let began = capacity.withLock { box -> Int? in
            guard !box.inFlight.contains(service) else { return nil }
            box.inFlight.insert(service)
            return box.advice.first { $0.service == service }?.current ?? 0
        }
        guard let current = began else { return "\(service) is already being scaled" }
        let target = min(policy.maxReplicas, max(policy.minReplicas, replicas))
        let ok: Bool, said: String
        if let argv = policy.command(replicas: target) {
            let timeout = policy.commandTimeout
            let outcome = await withCheckedContinuation { continuation in
                // A thread of its own: the command may take its whole timeout.
                Thread.detachNewThread { continuation.resume(returning: ExecProbe.runOnce(argv, timeout: timeout)) }
            }
            ok = outcome.status == .passing
            said = "\(argv.joined(separator: " ")): \(outcome.output)"
        } else if let scaler = options.scaler {
            (ok, said) = await scaler(service, target)
        } else {
            (ok, said) = (false, "no scale_command in its policy")
        }
        let time = wallClock()
        let summary = "\(service) \(current) → \(target) by \(who) at \(time.clock(in: .current)): " + (ok ? "done" : "failed") + " (\(said.sanitizedForTerminal))"
        capacity.withLock { box in
            box.inFlight.remove(service)
            box.advisor.recordAction(service: service, from: current, to: target, succeeded: ok, summary: summary, at: time)
            if ok {
                box.failed[service] = nil
                box.pending[service] = (target, time)
            } else {
                box.failed[service] = (target, time)
            }
            box.next = .distantPast
        }
        // Said by the engine running now (a registration may have replaced this one meanwhile).
        (capacity.engine ?? self).recordInHistory(name: ok ? "Scaled" : "ScaleFailed", node: nil, service: service, summary: summary)
        return ok ? "\(service): scaling to \(target) (\(said.sanitizedForTerminal))" : "\(service): scaling to \(target) failed: \(said.sanitizedForTerminal)"
    }
}
