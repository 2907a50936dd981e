import Foundation
import NIOCore
import NIOPosix
import Synchronization
import VitalsCore

/// The monitoring engine: runs every check, scrape and log read on its schedule, folds the
/// results into statuses, and publishes immutable snapshots to a `SnapshotStore`.
///
/// One `ProbeScheduler` runs everything, with a bound on how much is in flight; each probe has
/// its own deadline, so a slow or silent target never delays another. Results land in
/// `EngineFacts` and mark what changed; a publisher turns the changes into the next snapshot at
/// most every `publishInterval`, rebuilding only what changed.
public final class Engine: Sendable {
    /// What the scheduler runs.
    enum Job: Sendable, Equatable {
        case check(Int)
        case scrape(node: Int)
        case logs(node: Int)
        /// Re-reads the logs of the node a person is looking at.
        case focusedLogs
    }

    /// Options that tests and benchmarks change.
    public struct Options: Sendable {
        /// How long results gather before a new snapshot is published.
        public var publishInterval: Duration = .milliseconds(250)
        /// How often every node's logs are read; the focused node's are read every second.
        public var logSweep: Duration = .seconds(30)
        /// The window the first runs are spread over. When nil: each job's own interval for a
        /// fleet (it starts at its steady rate, never in a burst), shortened for a small cluster
        /// so that its first runs start no faster than `startRate` (the demo's 65 jobs all run
        /// within half a second instead of over three). A one-shot command sets a second or so.
        public var firstRunsWithin: Duration?
        /// Jobs per second the first runs may start at, when `firstRunsWithin` is nil.
        public var startRate = 1_000
        /// How many probes may be in flight; nil derives it from the descriptor limit.
        public var maxInFlight: Int?
        /// Sorts checks into groups whose scheduling lag is kept apart (`schedulerStats.lagByGroup`);
        /// scrapes and log reads are in group 0.
        public var lagGroup: (@Sendable (CheckID) -> Int)?

        public init() {}
    }

    /// How many recent log lines each node keeps for the detail view.
    public static let logLinesKept = 12

    public let config: ClusterConfig
    public let store: SnapshotStore
    public let layout: ClusterLayout
    private let jobs: [Job]
    private let intervals: [Int64]
    private let probes: [String: any Probe]
    private let scraper: Scraper
    private let tailer: LogTailer
    private let wallClock: @Sendable () -> Date
    private let clock: any EngineClock
    private let options: Options
    private let state: Mutex<EngineState>
    private let publishTimes = Mutex(LatencyHistogram())
    private let scheduler: Mutex<ProbeScheduler?> = Mutex(nil)

    /// - Parameters:
    ///   - config: the cluster to watch.
    ///   - group: the event loops that probes use.
    ///   - now: the wall clock for timestamps, injectable for tests.
    ///   - clock: the monotonic clock the scheduler runs on.
    public init(
        config: ClusterConfig, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        now: @escaping @Sendable () -> Date = Date.init, clock: any EngineClock = SystemClock(), options: Options = Options()
    ) {
        self.config = config
        self.layout = ClusterLayout(config)
        let fetcher = HTTPFetcher(group: group)
        self.probes = ["http": HTTPProbe(fetcher: fetcher), "tcp": TCPProbe(group: group)]
        self.scraper = Scraper(fetcher: fetcher)
        self.tailer = LogTailer(fetcher: fetcher, linesKept: Self.logLinesKept)
        self.wallClock = now
        self.clock = clock
        self.options = options
        var jobs: [Job] = [], intervals: [Int64] = []
        for (index, check) in layout.checkConfigs.enumerated() {
            jobs.append(.check(index))
            intervals.append(check.interval.nanoseconds)
        }
        for (index, node) in config.nodes.enumerated() {
            if node.metricsURL.flatMap(HTTPTarget.init) != nil {
                jobs.append(.scrape(node: index))
                intervals.append(config.defaults.interval.nanoseconds)
            }
            if node.logURLs.first.flatMap(HTTPTarget.init) != nil {
                jobs.append(.logs(node: index))
                intervals.append(options.logSweep.nanoseconds)
            }
        }
        if config.nodes.contains(where: { !$0.logURLs.isEmpty }) {
            jobs.append(.focusedLogs)
            intervals.append(Duration.seconds(1).nanoseconds)
        }
        self.jobs = jobs
        self.intervals = intervals.map { max(1_000_000, $0) }
        let initial = EngineState(config: config, layout: layout, time: now())
        state = Mutex(initial)
        store = SnapshotStore(initial: initial.builder.current)
    }

    /// Runs every check, scrape and log read, and publishes, until the task is cancelled; returns
    /// once everything in flight has finished.
    public func run() async {
        let openFiles = ResourceLimits.raiseOpenFiles()
        let scheduler = ProbeScheduler(
            clock: clock, maxInFlight: options.maxInFlight ?? ResourceLimits.probesInFlight(openFiles: openFiles)
        )
        self.scheduler.withLock { $0 = scheduler }
        var generator = SystemRandomNumberGenerator()
        let window = options.firstRunsWithin?.nanoseconds
            ?? max(500_000_000, Int64(intervals.count) * 1_000_000_000 / Int64(max(1, options.startRate)))
        let queue = DueQueue(intervals: intervals, start: clock.now, firstRunsWithin: window, using: &generator)
        await withDiscardingTaskGroup { group in
            group.addTask { await self.publishLoop() }
            let groups = options.lagGroup.map { lagGroup in
                jobs.map { job in if case .check(let index) = job { lagGroup(layout.checkIDs[index]) } else { 0 } }
            }
            group.addTask { await scheduler.run(queue, groups: groups) { job in await self.perform(job) } }
        }
    }

    /// What the scheduler has done so far (nil before `run`).
    public var schedulerStats: ProbeScheduler.Stats? { scheduler.withLock { $0?.snapshot } }

    /// The bound on probes in flight (0 before `run`).
    public var maxInFlight: Int { scheduler.withLock { $0?.maxInFlight ?? 0 } }

    /// How long building each published snapshot took.
    public var publishStats: LatencyHistogram { publishTimes.withLock { $0 } }

    /// Says which node a person is looking at, so its logs are kept fresh; `nil` for none.
    /// The focused node's logs are read by the scheduler's once-a-second job, so they are fresh
    /// within a second of this call.
    public func focus(_ node: String?) {
        let index = node.flatMap { name in config.nodes.firstIndex { $0.name == name } }
        state.withLock { $0.focusedNode = index }
    }

    /// Takes one result of check number `index` (in `layout` order).
    func record(check index: Int, outcome: ProbeOutcome) {
        let time = wallClock()
        state.withLock { $0.record(check: index, outcome: outcome, at: time) }
    }

    private func publishLoop() async {
        let interval = options.publishInterval.nanoseconds
        var next = clock.now + interval
        while (try? await clock.sleep(until: next)) != nil {
            let started = clock.now
            let time = wallClock()
            if let snapshot = state.withLock({ $0.publish(time: time, force: false) }) {
                store.publish(snapshot)
                publishTimes.withLock { $0.record(nanoseconds: clock.now - started) }
            }
            next = max(next + interval, clock.now)
        }
    }

    private func perform(_ index: Int) async {
        switch jobs[index] {
        case .check(let check):
            let config = layout.checkConfigs[check]
            guard let probe = probes[config.target.typeName] else { return }
            let outcome = await probe.run(config)
            // A probe cut short by the engine stopping says nothing about the target.
            guard !Task.isCancelled else { return }
            record(check: check, outcome: outcome)
        case .scrape(let node):
            guard let target = config.nodes[node].metricsURL.flatMap(HTTPTarget.init) else { return }
            let result = await scraper.scrape(target, timeout: min(config.defaults.interval, .seconds(5)))
            let time = wallClock()
            state.withLock { $0.recordScrape(node: node, result: result, at: time) }
        case .logs(let node):
            await readLogs(node: node)
        case .focusedLogs:
            guard let node = state.withLock({ $0.focusedNode }) else { return }
            await readLogs(node: node)
        }
    }

    private func readLogs(node: Int) async {
        guard let target = config.nodes[node].logURLs.first.flatMap(HTTPTarget.init) else { return }
        let lines = await tailer.tail(target)
        state.withLock { $0.recordLogs(node: node, lines: lines) }
    }
}
