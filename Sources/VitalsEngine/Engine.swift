import Foundation
import NIOCore
import NIOPosix
import Synchronization
import VitalsCore
import VitalsLogFormats

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
        case logs(node: Int, feed: Int)
        /// Re-reads the logs of the node a person is looking at.
        case focusedLogs
        /// Reads what was written to the log files since the last poll.
        case logFiles
    }

    /// Options that tests and benchmarks change.
    public struct Options: Sendable {
        /// How long results gather before a new snapshot is published.
        public var publishInterval: Duration = .milliseconds(250)
        /// Called after each snapshot is published, from the publishing thread (the dashboard's
        /// screen sleeps until it is called, instead of looking for news on a timer).
        public var onPublish: (@Sendable () -> Void)?
        /// Applies a scaling advice for a policy with no `scale_command` (the demo's simulator
        /// starts or stops instances); returns whether it worked and what to say.
        public var scaler: (@Sendable (_ service: String, _ replicas: Int) async -> (ok: Bool, summary: String))?
        /// How often every node's log endpoints are read while someone looks at the Logs pane (or
        /// when nobody says: a headless engine); the focused node's are read every second.
        public var logSweep: Duration = .seconds(2)
        /// How often they are read while the dashboard shows another pane.
        public var quietLogSweep: Duration = .seconds(10)
        /// How long lines read from log endpoints wait before they are stored in time order (nil:
        /// one sweep, at most 2 s, and half a second more).
        public var logHoldback: Duration?
        /// Where the engine listens for local commands (`vitals ttl`); nil: nowhere.
        public var controlSocket: String?
        /// How often log files are looked at for new lines.
        public var logFilePoll: Duration = .seconds(1)
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
        /// How long a webhook or Alertmanager request may take, and how many tries it gets.
        public var notifyTimeout: Duration = .seconds(5)
        public var notifyAttempts = 3
        /// How often firing alerts are sent to Alertmanager again (it forgets unrepeated alerts).
        public var alertmanagerResendInterval: Duration = .seconds(60)

        public init() {}
    }

    /// How many recent log lines each node keeps for the detail view.
    public static let logLinesKept = 12

    public let config: ClusterConfig
    public let store: SnapshotStore
    public let layout: ClusterLayout
    let jobs: [Job]
    let intervals: [Int64]
    let probes: [String: any Probe]
    let scraper: Scraper
    let tailer: LogTailer
    /// Every log line taken in, from every source, bounded by bytes.
    public let logs: LogStore
    let router: LogRouter
    let pushServer: LogPushServer?
    let fileTailer: LogFileTailer?
    /// Why a node's log endpoint could not be read, by node number.
    let logProblems = Mutex<[Int: String]>([:])
    /// Whether a dashboard shows the Logs pane (nil: no dashboard has said, read at full speed).
    let logsWatched = Mutex<Bool?>(nil)
    /// When each log endpoint was last read, by "node/feed".
    let feedReadAt = Mutex<[Int: Date]>([:])
    /// Nodes whose recent lines must be taken again (a log endpoint failed or recovered).
    let logRefresh = Mutex<Set<Int>>([])
    /// Lines read from log endpoints, held until every endpoint has been read past their time,
    /// then stored in time order: endpoints are read one after another, every few seconds, so
    /// without this the Logs pane would show each node's lines in a lump as it was read.
    let heldFeedLines = Mutex<[(line: LogStore.Line, time: Date)]>([])
    let wallClock: @Sendable () -> Date
    let clock: any EngineClock
    let options: Options
    let state: Mutex<EngineState>
    let alertState: Mutex<AlertState>
    let publishTimes = Mutex(LatencyHistogram())
    /// What `GET /metrics` counts: probes by type with their durations, scrapes and their failures.
    let counters = Mutex(EngineCounters())
    /// Each node's interned series and their stored past, by node number.
    let nodeSeries: [NodeSeriesBox]
    /// Bytes each node's store held after its last scrape, to keep their sum within
    /// `metrics.max_bytes`.
    let storeBytes: Mutex<[Int]>
    /// Series rules read that each node's store held after its last scrape.
    let storeSeries: Mutex<[Int]>
    /// What one series alert rules read costs, all told (its labels, its past, its samples for
    /// the rules): `metrics.max_bytes` divided by it is how many all nodes may have.
    static let bytesPerRuleSeries = 4_096
    /// Scraped series names that alert rules read.
    let scrapedNames: Set<String>
    /// The newest snapshot the state built (without alerts): what alert rules read.
    let latestBuilt = Mutex<ClusterSnapshot?>(nil)
    let stateStore: AlertStateStore?
    let stateProblem = Mutex<String?>(nil)
    /// Held while a snapshot is published.
    let publishing = Mutex<Void>(())
    /// Where alert records and expiries are written, one after another, off the publish path.
    let stateWriter = DispatchQueue(label: "vitals.engine.state-writes")
    /// Why the control socket is not listening; stands until a start fixes it (a state-file
    /// write that succeeds says nothing about the socket).
    let controlProblem = Mutex<String?>(nil)
    /// Where alerts are sent (webhooks, Alertmanager); idle when the file names none.
    public let notifier: AlertNotifier
    /// One watcher per `locks:` entry of the file.
    public let lockWatchers: [LockWatcher]
    /// The syslog listener, when the file names one.
    let intake: SyslogIntake?
    let intakeBox: StateBox
    let scheduler: Mutex<ProbeScheduler?> = Mutex(nil)
    /// The newest heartbeat of each ttl check, by check number.
    let heartbeats = Mutex<[Int: (time: Date, status: Status, note: String)]>([:])
    /// Replica advice: the advisor, the newest advice, changes under way. One box passed from
    /// engine to engine over reloads and registrations (a change started on one ends on its
    /// successor).
    let capacity: CapacityShared
    let control: ControlSocket?
    let controlBox: ControlBox?

    /// - Parameters:
    ///   - config: the cluster to watch.
    ///   - group: the event loops that probes use.
    ///   - now: the wall clock for timestamps, injectable for tests.
    ///   - clock: the monotonic clock the scheduler runs on.
    ///   - state: where acks, silences and alert history are kept, and what it held at start;
    ///     `nil` keeps them in memory only.
    ///   - readOnly: alert state to start from without writing anything back (a one-shot snapshot).
    ///   - old: the engine this one replaces after a reload, stopped (its `run` has returned):
    ///     what it knew about unchanged checks, nodes, alerts, heartbeats and maintenance, and
    ///     its log store, carry over (`EngineState.adopt`); `state`'s `loaded` is then not read.
    public init(
        config: ClusterConfig, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        now: @escaping @Sendable () -> Date = Date.init, clock: any EngineClock = SystemClock(), options: Options = Options(),
        state persisted: (store: AlertStateStore, loaded: AlertStateStore.Loaded)? = nil, loaded readOnly: AlertStateStore.Loaded? = nil,
        replacing old: Engine? = nil
    ) {
        self.config = config
        self.layout = ClusterLayout(config)
        let fetcher = HTTPFetcher(group: group)
        self.probes = ["http": HTTPProbe(fetcher: fetcher), "tcp": TCPProbe(group: group), "exec": ExecProbe(), "dns": DNSProbe(group: group),
            "grpc": GRPCProbe(group: group, tlsClient: fetcher.tlsClient),
        ]
        self.scraper = Scraper(fetcher: fetcher)
        self.tailer = LogTailer(fetcher: fetcher)
        capacity = old?.capacity ?? CapacityShared()
        if let old {
            logs = old.logs
            if logs.byteLimit != config.logIntake.maxBytes { logs.setByteLimit(config.logIntake.maxBytes) }
        } else {
            logs = LogStore(byteLimit: config.logIntake.maxBytes)
        }
        self.router = LogRouter(config)
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
                intervals.append((node.metricsInterval ?? config.defaults.interval).nanoseconds)
            }
            for (feed, url) in node.logURLs.enumerated() where HTTPTarget(url) != nil {
                jobs.append(.logs(node: index, feed: feed))
                intervals.append(options.logSweep.nanoseconds)
            }
        }
        if config.nodes.contains(where: { !$0.logURLs.isEmpty }) {
            jobs.append(.focusedLogs)
            intervals.append(Duration.seconds(1).nanoseconds)
        }
        let files = config.logIntake.files + config.nodes.flatMap(\.logFiles)
        fileTailer = files.isEmpty ? nil : LogFileTailer(files: files)
        if !files.isEmpty {
            jobs.append(.logFiles)
            intervals.append(options.logFilePoll.nanoseconds)
        }
        self.jobs = jobs
        self.intervals = intervals.map { max(1_000_000, $0) }
        stateStore = persisted?.store
        let scalingNames = config.scaling.policies.compactMap { policy -> AlertExpression? in
            if case .expression(let text) = policy.metric { return try? AlertExpression(parsing: text) }
            return nil
        }.flatMap(\.names)
        scrapedNames = Set(config.alerting.rules.flatMap(\.expression.names) + scalingNames).subtracting(SnapshotSeries.names)
        nodeSeries = config.nodes.map { node in
            // A node's stored series carry over a reload while it is scraped the same way.
            if let old, let was = old.config.nodes.firstIndex(where: { $0.name == node.name }) {
                let before = old.config.nodes[was]
                if before.metricsURL == node.metricsURL, before.metricsInterval ?? old.config.defaults.interval == node.metricsInterval ?? config.defaults.interval,
                   before.metricsRetention == node.metricsRetention {
                    return old.nodeSeries[was]
                }
            }
            return NodeSeriesBox(interval: node.metricsInterval ?? config.defaults.interval, retention: node.metricsRetention ?? .seconds(3600))
        }
        storeBytes = Mutex(Array(repeating: 0, count: config.nodes.count))
        storeSeries = Mutex(Array(repeating: 0, count: config.nodes.count))
        lockWatchers = config.locks.map { LockWatcher(config: $0, nodes: config.nodes, now: now) }
        let box = StateBox()
        intakeBox = box
        if config.logIntake.syslogUDP != nil || config.logIntake.syslogTCP != nil {
            intake = SyslogIntake(config: config.logIntake, group: group) { batch in box.syslog?(batch) }
        } else {
            intake = nil
        }
        pushServer = config.logIntake.http.map { address in
            LogPushServer(address: address, group: group) { batch in box.pushed?(batch) }
        }
        if let path = options.controlSocket {
            let box = ControlBox()
            control = ControlSocket(path: path, group: group) { line in box.handle?(line) ?? "error: not running yet" }
            controlBox = box
        } else {
            control = nil
            controlBox = nil
        }
        notifier = AlertNotifier(config: config.alerting, fetcher: fetcher, attempts: options.notifyAttempts, timeout: options.notifyTimeout)
        let loaded = persisted?.loaded ?? readOnly ?? AlertStateStore.Loaded()
        let tracker = AlertTracker(
            rules: config.alerting.rules, acks: loaded.acks, silences: loaded.silences, history: loaded.history, restored: loaded.firing
        )
        var initial = EngineState(config: config, layout: layout, time: now())
        guard let old else {
            // Maintenance a person set before a restart is in force again (expired ones end at the first publish).
            for maintenance in loaded.maintenance { initial.setMaintenance(node: maintenance.node, service: maintenance.service, maintenance) }
            if !loaded.maintenance.isEmpty { _ = initial.publish(time: now(), force: true) }
            state = Mutex(initial)
            alertState = Mutex(AlertState(tracker: tracker, config: config, time: now()))
            store = SnapshotStore(initial: initial.builder.current)
            reload = nil
            let seeded = Self.registeredTTLStatus(config: config, layout: layout)
            heartbeats.withLock { $0 = seeded }
            capacity.adopt(config.scaling, engine: self)
            return
        }
        let counts = initial.adopt(old.state.withLock { $0 }, time: now())
        state = Mutex(initial)
        let (alerts, resolved) = AlertState.reloading(old.alertState.withLock { $0 }, config: config, time: now())
        alertState = Mutex(alerts)
        if !resolved.isEmpty {
            try? stateStore?.record(resolved)
            notifier.enqueue(.changes(resolved))
        }
        // ttl checks keep their newest heartbeat (by check number, which a reload may change).
        var oldNumbers: [CheckID: Int] = [:]
        for (index, id) in old.layout.checkIDs.enumerated() { oldNumbers[id] = index }
        let beats = old.heartbeats.withLock { $0 }
        var carried: [Int: (time: Date, status: Status, note: String)] = [:]
        for (index, id) in layout.checkIDs.enumerated() {
            if let was = oldNumbers[id], let beat = beats[was] { carried[index] = beat }
        }
        carried.merge(Self.registeredTTLStatus(config: config, layout: layout)) { kept, _ in kept }
        heartbeats.withLock { $0 = carried }
        // Counters count from the process's start, as Prometheus expects, not from the reload.
        counters.withLock { $0 = old.counters.withLock { $0 } }
        stateProblem.withLock { $0 = old.stateProblem.withLock { $0 } }
        logsWatched.withLock { $0 = old.logsWatched.withLock { $0 } }
        // The first snapshot shows the alerts as they were until the new rules have been evaluated.
        var first = initial.builder.current
        let previous = old.store.latest
        first.alerts = previous.alerts
        first.locks = previous.locks
        first.silences = previous.silences
        first.alertHistory = previous.alertHistory
        first.stateProblem = previous.stateProblem
        first.logStats = previous.logStats
        store = SnapshotStore(initial: first)
        reload = ReloadSummary(
            keptChecks: counts.kept, changedChecks: counts.changed, addedChecks: counts.added, removedChecks: counts.removed,
            resolvedAlerts: resolved.resolved.count
        )
        capacity.adopt(config.scaling, engine: self)
    }

    /// What a reload carried over, for the engine made by one (`replacing:`).
    public struct ReloadSummary: Sendable, Equatable {
        /// Checks whose state carried over (same node, service, name and settings).
        public var keptChecks: Int
        /// Checks still there whose settings changed: their status carries over until their next result.
        public var changedChecks: Int
        /// Checks that are new: they start afresh.
        public var addedChecks: Int
        /// Checks of the old file that are gone.
        public var removedChecks: Int
        /// Alerts resolved because their rule is gone.
        public var resolvedAlerts: Int
    }

    /// Set on an engine made by a reload.
    public let reload: ReloadSummary?

    /// Log lines that no node claimed (no matching node, hostname, address or service).
    public var unclaimedLogMessages: Int { logs.stats.unclaimed }

    /// Runs every check, scrape and log read, and publishes, until the task is cancelled; returns
    /// once everything in flight has finished.
    public func run() async {
        intakeBox.syslog = { [weak self] batch in
            guard let self else { return }
            logs.append(batch.map { router.route($0.0.entry, source: $0.source) }, received: wallClock())
        }
        intakeBox.pushed = { [weak self] batch in
            guard let self else { return }
            logs.append(batch.map { router.route($0.0, source: $0.source) }, received: wallClock())
        }
        // A listener that cannot bind is said in the Logs pane; the rest of the engine runs on.
        do {
            try await intake?.start()
        } catch {
            logs.setProblem("syslog", "syslog listener: \(error)".sanitizedForTerminal)
        }
        do {
            try await pushServer?.start()
        } catch {
            logs.setProblem("http", "POST /v1/logs listener: \(error)".sanitizedForTerminal)
        }
        controlBox?.handle = { [weak self] line in self?.command(line) ?? "error: stopping" }
        do {
            try await control?.start()
        } catch {
            controlProblem.withLock { $0 = "control socket: \(error)".sanitizedForTerminal }
        }
        fileTailer?.poll(first: true) { [self] lines in takeFileLines(lines) }

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
            for watcher in lockWatchers { group.addTask { await watcher.run() } }
            group.addTask {
                await self.notifier.run(resendEvery: self.options.alertmanagerResendInterval) {
                    self.store.latest.alerts.filter { $0.state == .firing }
                }
            }
            let groups = options.lagGroup.map { lagGroup in
                jobs.map { job in if case .check(let index) = job { lagGroup(layout.checkIDs[index]) } else { 0 } }
            }
            group.addTask { await scheduler.run(queue, groups: groups) { job in await self.perform(job) } }
        }
        await intake?.stop()
        await pushServer?.stop()
        await control?.stop()
        releaseFeedLines(force: true)
        // What the publish path handed the writer is in the file before `run` returns.
        await withCheckedContinuation { continuation in stateWriter.async { continuation.resume() } }
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

    /// Says whether the Logs pane is on screen: while it is not, log endpoints are read every
    /// `quietLogSweep` instead of every `logSweep` (the node in focus stays at once a second).
    public func watchLogs(_ watched: Bool) {
        logsWatched.withLock { $0 = watched }
    }

    /// Takes one result of check number `index` (in `layout` order).
    func record(check index: Int, outcome: ProbeOutcome) {
        let time = wallClock()
        state.withLock { $0.record(check: index, outcome: outcome, at: time) }
        counters.withLock { $0.recordProbe(type: layout.checkConfigs[index].target.typeName, latency: outcome.latency) }
    }

    func perform(_ index: Int) async {
        switch jobs[index] {
        case .check(let check):
            let config = layout.checkConfigs[check]
            if case .ttl(let ttl) = config.target {
                record(check: check, outcome: ttlOutcome(check, ttl: ttl))
                return
            }
            guard let probe = probes[config.target.typeName] else { return }
            // An open breaker lets one probe through per retry interval.
            let now = wallClock()
            guard state.withLock({ $0.breakerAllows(check: check, at: now) }) else { return }
            let outcome = await probe.run(config)
            // A probe cut short by the engine stopping says nothing about the target.
            guard !Task.isCancelled else { return }
            record(check: check, outcome: outcome)
        case .scrape(let node):
            guard let target = config.nodes[node].metricsURL.flatMap(HTTPTarget.init) else { return }
            let nodeConfig = config.nodes[node]
            let timeout = nodeConfig.metricsTimeout ?? min(nodeConfig.metricsInterval ?? config.defaults.interval, .seconds(5))
            // A scrape's samples are stamped with the time it started, as Prometheus does: how long
            // the answer took to arrive must not stretch or squeeze the rates between scrapes.
            let time = wallClock()
            let fetched = await scraper.fetch(target, timeout: timeout)
            let names = scrapedNames
            let limits = (
                samples: nodeConfig.sampleLimit ?? config.metricsLimits.sampleLimit, labels: nodeConfig.labelLimit ?? config.metricsLimits.labelLimit
            )
            let others = storeSeries.withLock { counts in counts.indices.reduce(0) { $0 + ($1 == node ? 0 : counts[$1]) } }
            let ruleSeries = max(1_000, config.metricsLimits.maxBytes / Self.bytesPerRuleSeries - others)
            let outcome: Result<Scraper.Outcome, any Error> = switch fetched {
            case .success(let response):
                nodeSeries[node].series.withLock { series in
                    scraper.read(response, node: nodeConfig.name, series: &series, ruleNames: names, at: time, limits: limits, ruleSeries: ruleSeries)
                }
            case .failure(let error): .failure(error)
            }
            if case .success(let good) = outcome, let store = good.store {
                storeSeries.withLock { $0[node] = store.series }
                boundStores(node: node, bytes: store.bytes)
            }
            state.withLock { $0.recordScrape(node: node, outcome: outcome, at: time) }
            counters.withLock { $0.recordScrape(failed: (try? outcome.get()) == nil) }
        case .logs(let node, let feed):
            let key = node * 1_000 + feed
            if logsWatched.withLock({ $0 }) == false {
                let last = feedReadAt.withLock { $0[key] }
                if let last, wallClock().timeIntervalSince(last) < options.quietLogSweep.seconds - 0.1 { return }
            }
            feedReadAt.withLock { $0[key] = wallClock() }
            await readLogs(node: node, feed: feed)
        case .focusedLogs:
            guard let node = state.withLock({ $0.focusedNode }) else { return }
            for feed in config.nodes[node].logURLs.indices { await readLogs(node: node, feed: feed) }
        case .logFiles:
            fileTailer?.poll { [self] lines in takeFileLines(lines) }
            if let fileTailer {
                let problems = fileTailer.problems.withLock { $0 }.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                logs.setProblem("files", problems.isEmpty ? nil : problems.joined(separator: "; ").sanitizedForTerminal)
            }
        }
    }

}

/// Lets the control socket reach the engine once it runs.
final class ControlBox: @unchecked Sendable {
    // Set once, before the socket is bound; read from its event loop afterwards.
    var handle: (@Sendable (String) -> String)?
}

/// Lets the listeners reach the engine once it runs (they are made in `init`).
final class StateBox: @unchecked Sendable {
    // Set once, before the listeners are bound; read from their event loops afterwards.
    var syslog: SyslogIntake.Deliver?
    var pushed: LogPushServer.Deliver?
}
