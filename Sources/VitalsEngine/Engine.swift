import Foundation
import NIOCore
import NIOPosix
import VitalsCore

/// The monitoring engine: runs every check on its own schedule, scrapes node metrics, folds the
/// results into statuses, and publishes immutable snapshots to a `SnapshotStore`.
///
/// Each check runs in its own child task with its own deadline, so a slow or hanging target never
/// delays another. Publishing is coalesced: a burst of results makes one new generation.
public actor Engine {
    public nonisolated let config: ClusterConfig
    public nonisolated let store: SnapshotStore
    private let probes: [String: any Probe]
    private let fetcher: HTTPFetcher
    private let now: @Sendable () -> Date
    private let publishDelay: Duration
    private var checks: [CheckID: CheckState] = [:]
    private var readings: [String: NodeMetricsReading] = [:]
    private var metrics: [String: NodeMetrics] = [:]
    private var logs: [String: [String]] = [:]
    private var focusedNode: String?
    /// How many recent log lines each node keeps for the detail view.
    public static let logLinesKept = 12
    private var generation: UInt64 = 0
    private var publishPending = false

    /// - Parameters:
    ///   - config: the cluster to watch.
    ///   - group: the event loops that probes use.
    ///   - now: the wall clock, injectable for tests.
    ///   - publishDelay: how long results gather before a new snapshot is published.
    public init(
        config: ClusterConfig, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        now: @escaping @Sendable () -> Date = Date.init, publishDelay: Duration = .milliseconds(250)
    ) {
        self.config = config
        self.fetcher = HTTPFetcher(group: group)
        self.probes = ["http": HTTPProbe(fetcher: fetcher), "tcp": TCPProbe(group: group)]
        self.now = now
        self.publishDelay = publishDelay
        for (id, check) in config.allChecks {
            checks[id] = CheckState(successBeforePassing: check.successBeforePassing, failuresBeforeCritical: check.failuresBeforeCritical)
        }
        store = SnapshotStore(initial: .empty(cluster: config.name))
        store.publish(Self.buildSnapshot(config: config, checks: checks, metrics: [:], logs: [:], generation: 0, time: now()))
    }

    /// Runs every check and scrape until the task is cancelled.
    public func run() async {
        let checkList = config.allChecks.sorted { $0.key < $1.key }
        let scrapeTargets = config.nodes.compactMap { node in node.metricsURL.flatMap(HTTPTarget.init).map { (node.name, $0) } }
        let scrapeInterval = config.defaults.interval
        await withTaskGroup(of: Void.self) { group in
            for (id, check) in checkList {
                group.addTask { await self.schedule(id: id, check: check) }
            }
            for (node, target) in scrapeTargets {
                group.addTask { await self.scrapeLoop(node: node, target: target, interval: scrapeInterval) }
            }
            let logTargets = Dictionary(uniqueKeysWithValues: config.nodes.compactMap { node in
                node.logURLs.first.flatMap(HTTPTarget.init).map { (node.name, $0) }
            })
            if !logTargets.isEmpty { group.addTask { await self.logLoop(targets: logTargets) } }
        }
    }

    /// Runs `check` forever: a short random start so checks spread out, then once per interval
    /// with ±10% jitter, measured from the start of each run.
    private nonisolated func schedule(id: CheckID, check: CheckConfig) async {
        guard let probe = probes[check.target.typeName] else { return }
        let firstDelay = min(check.interval, .milliseconds(500)) * Double.random(in: 0..<1)
        guard (try? await Task.sleep(for: firstDelay)) != nil else { return }
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let outcome = await probe.run(check)
            await record(id: id, outcome: outcome)
            let next = started + check.interval * Double.random(in: 0.9...1.1)
            guard (try? await Task.sleep(until: next, clock: .continuous)) != nil else { return }
        }
    }

    private nonisolated func scrapeLoop(node: String, target: HTTPTarget, interval: Duration) async {
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let result: Result<[MetricSample], any Error>
            do {
                let response = try await fetcher.get(target, timeout: min(interval, .seconds(5)))
                if response.status != 200 {
                    result = .failure(ScrapeError(reason: "HTTP \(response.status) \(response.reason)"))
                } else {
                    let parsed = PrometheusTextParser.parseLenient(response.body)
                    result = parsed.samples.isEmpty && !parsed.errors.isEmpty
                        ? .failure(ScrapeError(reason: "malformed exposition: \(parsed.errors[0])")) : .success(parsed.samples)
                }
            } catch {
                result = .failure(error)
            }
            await recordScrape(node: node, result: result)
            guard (try? await Task.sleep(until: started + interval, clock: .continuous)) != nil else { return }
        }
    }

    /// Keeps recent log lines: the node a person is looking at (see `focus`) every second, every
    /// other node every 30 s, so the overview costs little and the drill-in is fresh.
    private nonisolated func logLoop(targets: [String: HTTPTarget]) async {
        var lastSweep: ContinuousClock.Instant?
        while !Task.isCancelled {
            let now = ContinuousClock.now
            var due: [(String, HTTPTarget)] = []
            if lastSweep.map({ now - $0 >= .seconds(30) }) ?? true {
                due = Array(targets)
                lastSweep = now
            } else if let focused = await focusedNode, let target = targets[focused] {
                due = [(focused, target)]
            }
            await withTaskGroup(of: Void.self) { group in
                for (node, target) in due {
                    group.addTask { await self.recordLogs(node: node, lines: await self.tail(target)) }
                }
            }
            guard (try? await Task.sleep(until: now + .seconds(1), clock: .continuous)) != nil else { return }
        }
    }

    /// The newest lines of a log endpoint, or one line saying why there are none.
    private nonisolated func tail(_ target: HTTPTarget) async -> [String] {
        do {
            let response = try await fetcher.get(target, timeout: .seconds(2), maxBody: 64 * 1024)
            guard response.status == 200 else { return ["(log endpoint answered HTTP \(response.status) \(response.reason))"] }
            return response.body.split(separator: "\n").suffix(Self.logLinesKept).map { String($0).sanitizedForTerminal }
        } catch {
            return ["(cannot read logs: \(error))".sanitizedForTerminal]
        }
    }

    /// Says which node a person is looking at, so its logs are kept fresh; `nil` for none.
    public func focus(_ node: String?) {
        focusedNode = node
    }

    private func recordLogs(node: String, lines: [String]) {
        guard logs[node] != lines else { return }
        logs[node] = lines
        schedulePublish()
    }

    /// Takes one check result.
    public func record(id: CheckID, outcome: ProbeOutcome) {
        guard var state = checks[id] else { return }
        state.record(outcome, at: now())
        checks[id] = state
        schedulePublish()
    }

    private func recordScrape(node: String, result: Result<[MetricSample], any Error>) {
        switch result {
        case .success(let samples):
            let reading = NodeMetricsReading(samples: samples, time: now())
            metrics[node] = reading.metrics(since: readings[node])
            readings[node] = reading
        case .failure(let error):
            var failed = metrics[node] ?? NodeMetrics()
            failed.scrapeError = String(describing: error).sanitizedForTerminal
            metrics[node] = failed
        }
        schedulePublish()
    }

    private func schedulePublish() {
        guard !publishPending else { return }
        publishPending = true
        Task {
            try? await Task.sleep(for: publishDelay)
            publishNow()
        }
    }

    /// Publishes the current state as a new generation at once.
    public func publishNow() {
        publishPending = false
        generation += 1
        store.publish(Self.buildSnapshot(config: config, checks: checks, metrics: metrics, logs: logs, generation: generation, time: now()))
    }

    /// Folds check states into statuses: a service is the worst of its checks, a node the worst
    /// of its node checks and its services.
    static func buildSnapshot(
        config: ClusterConfig, checks: [CheckID: CheckState], metrics: [String: NodeMetrics], logs: [String: [String]],
        generation: UInt64, time: Date
    ) -> ClusterSnapshot {
        var nodes: [NodeSnapshot] = []
        var services: [ServiceSnapshot] = []
        for node in config.nodes {
            let nodeChecks = node.checks.map { check in
                (checks[CheckID(node: node.name, service: nil, check: check.name)] ?? CheckState()).snapshot(name: check.name, config: check)
            }
            var nodeStatuses = nodeChecks.map(\.status)
            for service in node.services {
                let serviceChecks = service.checks.map { check in
                    (checks[CheckID(node: node.name, service: service.name, check: check.name)] ?? CheckState())
                        .snapshot(name: check.name, config: check)
                }
                let status = Status.worst(serviceChecks.map(\.status))
                nodeStatuses.append(status)
                services.append(ServiceSnapshot(name: service.name, node: node.name, status: status, dependsOn: service.dependsOn, checks: serviceChecks))
            }
            nodes.append(NodeSnapshot(
                name: node.name, address: node.address, status: Status.worst(nodeStatuses), services: node.services.map(\.name),
                metrics: metrics[node.name] ?? NodeMetrics(), checks: nodeChecks, recentLogs: logs[node.name] ?? []
            ))
        }
        return ClusterSnapshot(cluster: config.name, generation: generation, time: time, nodes: nodes, services: services)
    }
}

/// A scrape that got an answer that was not usable.
struct ScrapeError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
