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
    private let jobs: [Job]
    private let intervals: [Int64]
    private let probes: [String: any Probe]
    private let scraper: Scraper
    private let tailer: LogTailer
    /// Every log line taken in, from every source, bounded by bytes.
    public let logs: LogStore
    let router: LogRouter
    private let pushServer: LogPushServer?
    private let fileTailer: LogFileTailer?
    /// Why a node's log endpoint could not be read, by node number.
    private let logProblems = Mutex<[Int: String]>([:])
    /// Whether a dashboard shows the Logs pane (nil: no dashboard has said, read at full speed).
    private let logsWatched = Mutex<Bool?>(nil)
    /// When each log endpoint was last read, by "node/feed".
    private let feedReadAt = Mutex<[Int: Date]>([:])
    /// Nodes whose recent lines must be taken again (a log endpoint failed or recovered).
    private let logRefresh = Mutex<Set<Int>>([])
    /// Lines read from log endpoints, held until every endpoint has been read past their time,
    /// then stored in time order: endpoints are read one after another, every few seconds, so
    /// without this the Logs pane would show each node's lines in a lump as it was read.
    private let heldFeedLines = Mutex<[(line: LogStore.Line, time: Date)]>([])
    let wallClock: @Sendable () -> Date
    private let clock: any EngineClock
    private let options: Options
    private let state: Mutex<EngineState>
    private let alertState: Mutex<AlertState>
    private let publishTimes = Mutex(LatencyHistogram())
    /// What `GET /metrics` counts: probes by type with their durations, scrapes and their failures.
    let counters = Mutex(EngineCounters())
    /// Each node's interned series and their stored past, by node number.
    private let nodeSeries: [NodeSeriesBox]
    /// Bytes each node's store held after its last scrape, to keep their sum within
    /// `metrics.max_bytes`.
    private let storeBytes: Mutex<[Int]>
    /// Scraped series names that alert rules read.
    private let scrapedNames: Set<String>
    /// The newest snapshot the state built (without alerts): what alert rules read.
    private let latestBuilt = Mutex<ClusterSnapshot?>(nil)
    private let stateStore: AlertStateStore?
    private let stateProblem = Mutex<String?>(nil)
    /// Held while a snapshot is published.
    private let publishing = Mutex<Void>(())
    /// Where alert records and expiries are written, one after another, off the publish path.
    private let stateWriter = DispatchQueue(label: "vitals.engine.state-writes")
    /// Why the control socket is not listening; stands until a start fixes it (a state-file
    /// write that succeeds says nothing about the socket).
    private let controlProblem = Mutex<String?>(nil)
    /// Where alerts are sent (webhooks, Alertmanager); idle when the file names none.
    public let notifier: AlertNotifier
    /// One watcher per `locks:` entry of the file.
    public let lockWatchers: [LockWatcher]
    /// The syslog listener, when the file names one.
    private let intake: SyslogIntake?
    private let intakeBox: StateBox
    private let scheduler: Mutex<ProbeScheduler?> = Mutex(nil)
    /// The newest heartbeat of each ttl check, by check number.
    private let heartbeats = Mutex<[Int: (time: Date, status: Status, note: String)]>([:])
    private let control: ControlSocket?
    private let controlBox: ControlBox?

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
        scrapedNames = Set(config.alerting.rules.flatMap(\.expression.names)).subtracting(SnapshotSeries.names)
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

    /// Keeps every node's store together within `metrics.max_bytes`: while over, the biggest
    /// store drops its oldest chunk of scrapes (and says so on its next scrape).
    private func boundStores(node: Int, bytes: Int) {
        let limit = config.metricsLimits.maxBytes
        var sizes = storeBytes.withLock { sizes in
            sizes[node] = bytes
            return sizes
        }
        guard sizes.reduce(0, +) > limit else { return }
        while sizes.reduce(0, +) > limit, let largest = sizes.indices.max(by: { sizes[$0] < sizes[$1] }) {
            let (dropped, now) = nodeSeries[largest].series.withLock { series in
                let dropped = series.store.dropOldest()
                if dropped { series.trimmed = true }
                return (dropped, series.memoryBytes)
            }
            sizes[largest] = now
            guard dropped else { break }
        }
        storeBytes.withLock { $0 = sizes }
    }

    private func publishLoop() async {
        let interval = options.publishInterval.nanoseconds
        var next = clock.now + interval
        var dropsReadAt = clock.now
        while (try? await clock.sleep(until: next)) != nil {
            let started = clock.now
            releaseFeedLines(force: false)
            if started - dropsReadAt >= 2_000_000_000 {
                if let drops = intake?.kernelDrops() { logs.setUDPDropped(drops) }
                let counts = [intake?.connections.counts, pushServer?.connections.counts].compactMap { $0 }
                logs.setConnections(
                    refused: counts.reduce(0) { $0 + Int($1.refused) }, cut: counts.reduce(0) { $0 + Int($1.timedOut) }
                )
                dropsReadAt = started
            }
            if publish(force: false) {
                publishTimes.withLock { $0.record(nanoseconds: clock.now - started) }
            }
            next = max(next + interval, clock.now)
        }
    }

    /// Publishes the next snapshot if anything changed (or `force`), then persists and sends the
    /// alerts that fired or resolved. Returns whether a snapshot was published.
    @discardableResult
    private func publish(force: Bool) -> Bool {
        // One at a time: the loop and a person's command each publish; unserialised, a newer
        // generation could be overtaken by an older one (an ack vanishing for a second).
        publishing.withLock { _ in publishNow(force: force) }
    }

    private func publishNow(force: Bool) -> Bool {
        let time = wallClock()
        let locks = lockWatchers.contains(where: \.hasChanges) ? lockWatchers.flatMap { $0.take() } : nil
        refreshRecentLogs()
        let ended = state.withLock { $0.expireMaintenance(at: time) }
        for maintenance in ended {
            persistLater { (store: AlertStateStore) throws(AlertStateStore.Problem) in try store.save(maintenance, ended: true, by: "vitals (expired)", at: time) }
        }
        let built = state.withLock { $0.publish(time: time, force: force, locks: locks) }
        // Alerts are evaluated outside the state lock: probes keep recording meanwhile.
        let base = built ?? latestBuilt.withLock { $0 }
        if let built { latestBuilt.withLock { $0 = built } }
        guard let base else { return false }
        let ranges = rangeReader(at: time)
        // The scraped samples rules read are gathered only when the rules are evaluated (once a
        // second), not on every publish. (Lock order: alerts, then state; nothing takes them the
        // other way round.)
        let scraped = {
            var series = self.state.withLock { $0.scrapedSeries }
            series.merge(self.logSeries(at: time)) { $0 + $1 }
            return series
        }
        let (section, changed, changes) = alertState.withLock { $0.step(base, scraped: scraped, ranges: ranges, time: time, force: force) }
        if !changes.isEmpty {
            persistLater { (store: AlertStateStore) throws(AlertStateStore.Problem) in try store.record(changes) }
            notifier.enqueue(.changes(changes))
        }
        guard var snapshot = built ?? (changed ? state.withLock({ $0.nextGeneration(time: time) }) : nil) else { return false }
        snapshot.alerts = section.alerts
        snapshot.silences = section.silences
        snapshot.alertHistory = section.history
        let problems = [stateProblem.withLock { $0 }, controlProblem.withLock { $0 }].compactMap { $0 }
        snapshot.stateProblem = problems.isEmpty ? nil : problems.joined(separator: "; ")
        snapshot.logStats = logs.stats
        store.publish(snapshot)
        return true
    }

    /// Consul's `Status` of a registered TTL check holds from the registration until its TTL
    /// runs out: as a heartbeat at the registration's time, by check number.
    static func registeredTTLStatus(config: ClusterConfig, layout: ClusterLayout) -> [Int: (time: Date, status: Status, note: String)] {
        var origins: [String: NodeOrigin] = [:]
        for node in config.nodes { if let origin = node.origin { origins[node.name] = origin } }
        guard !origins.isEmpty else { return [:] }
        var result: [Int: (time: Date, status: Status, note: String)] = [:]
        for (index, check) in layout.checkConfigs.enumerated() {
            guard case .ttl = check.target, let status = check.initialStatus, let origin = origins[layout.checkIDs[index].node] else { continue }
            result[index] = (origin.at, status, "\(status.rawValue) as registered; no heartbeat yet")
        }
        return result
    }

    /// A ttl check's verdict now: its newest heartbeat's while within the TTL, else critical.
    private func ttlOutcome(_ check: Int, ttl: Duration) -> ProbeOutcome {
        guard let beat = heartbeats.withLock({ $0[check] }) else {
            return ProbeOutcome(status: .critical, output: "no heartbeat yet (TTL \(ttl.goString)): vitals ttl pass \(layout.checkIDs[check])", latency: nil)
        }
        let age = wallClock().timeIntervalSince(beat.time)
        guard age <= ttl.seconds else {
            return ProbeOutcome(status: .critical, output: "TTL expired: last heartbeat \(Int(age))s ago (TTL \(ttl.goString))", latency: nil)
        }
        return ProbeOutcome(status: beat.status, output: beat.note.isEmpty ? "heartbeat \(beat.status.rawValue)" : beat.note, latency: nil)
    }

    /// Runs one control-socket command: `ping`, or `ttl pass|warn|fail CHECK NOTE…`.
    func command(_ line: String) -> String {
        let words = line.split(separator: " ", maxSplits: 3).map(String.init)
        if words == ["ping"] { return "pong" }
        guard words.count >= 3, words[0] == "ttl" else { return "error: unknown command (ttl pass|warn|fail CHECK [NOTE])" }
        let status: Status
        switch words[1] {
        case "pass": status = .passing
        case "warn": status = .warning
        case "fail": status = .critical
        default: return "error: ttl takes pass, warn or fail, not '\(words[1])'"
        }
        let name = words[2]
        let ttlChecks = layout.checkConfigs.indices.filter { if case .ttl = layout.checkConfigs[$0].target { true } else { false } }
        let matches = ttlChecks.filter { layout.checkIDs[$0].description == name || layout.checkIDs[$0].check == name }
        guard matches.count == 1, let check = matches.first else {
            let known = ttlChecks.map { layout.checkIDs[$0].description }.joined(separator: ", ")
            return matches.isEmpty ? "error: no ttl check '\(name)' (ttl checks: \(known.isEmpty ? "none" : known))" : "error: '\(name)' names several checks; give node/service/check"
        }
        let note = words.count > 3 ? String(words[3].prefix(2_000)) : ""
        heartbeats.withLock { $0[check] = (wallClock(), status, note.sanitizedForTerminal) }
        guard case .ttl(let ttl) = layout.checkConfigs[check].target else { return "error: not a ttl check" }
        record(check: check, outcome: ttlOutcome(check, ttl: ttl))
        return "ok \(layout.checkIDs[check]) \(status.rawValue)"
    }

    /// Lines per minute from the log store, as series alert rules read: `log_lines_per_min`,
    /// `log_warnings_per_min`, `log_errors_per_min` (errors and worse), by node and service.
    private func logSeries(at time: Date) -> [String: [AlertSample]] {
        var result: [String: [AlertSample]] = [:]
        for (key, rates) in logs.rates(at: time) {
            let labels = AlertLabels(["node": key.node, "service": key.service])
            result["log_lines_per_min", default: []].append(AlertSample(labels: labels, value: Double(rates.lines)))
            result["log_warnings_per_min", default: []].append(AlertSample(labels: labels, value: Double(rates.warnings)))
            result["log_errors_per_min", default: []].append(AlertSample(labels: labels, value: Double(rates.errors)))
        }
        return result
    }

    /// Gives the nodes whose lines changed their newest lines again, for the snapshot.
    private func refreshRecentLogs() {
        let changed = logs.takeChangedNodes()
        let refresh = logRefresh.withLock { nodes in defer { nodes.removeAll() }; return nodes }
        guard !changed.isEmpty || !refresh.isEmpty else { return }
        let problems = logProblems.withLock { $0 }
        for (index, node) in config.nodes.enumerated() where changed.contains(node.name) || refresh.contains(index) {
            var lines = logs.recent(node: node.name, limit: Self.logLinesKept).map(Self.recentLine)
            if let problem = problems[index] { lines.append("(\(problem))".sanitizedForTerminal) }
            state.withLock { $0.recordLogs(node: index, lines: lines) }
        }
    }

    static func recentLine(_ record: LogRecord) -> String {
        "\(ClusterSnapshot.timestamp(record.time)) \(record.level.word) \(record.service.isEmpty ? "-" : record.service): \(record.message)"
    }

    private func takeFileLines(_ lines: [(LogEntry, file: LogFileConfig, path: String)]) {
        let routed = lines.map { entry, file, path -> LogStore.Line in
            var entry = entry
            if entry.service == nil { entry.service = file.service }
            if let node = file.node { return router.route(entry, source: nil, fixedNode: node) }
            // A file that names no node: its lines may name one; else its file name may.
            var line = router.route(entry, source: nil)
            if line.unclaimed {
                let base = String(path.split(separator: "/").last ?? "")
                let stem = String(base.prefix { $0 != "." })
                if config.nodes.contains(where: { $0.name == stem }) { line = LogStore.Line(entry, node: stem) }
                else if entry.node == nil && entry.host == nil { line.node = base }
            }
            return line
        }
        logs.append(routed, received: wallClock())
    }

    /// Range functions of the scraped series rules read, over their stored past.
    private func rangeReader(at time: Date) -> @Sendable (String, String, Duration) -> [AlertSample] {
        let boxes = nodeSeries
        let names = config.nodes.map(\.name)
        return { function, name, window in
            let now = time.timeIntervalSince1970
            var result: [AlertSample] = []
            for (index, box) in boxes.enumerated() {
                box.series.withLock { series in
                    for id in series.byName[name] ?? [] {
                        let samples = series.store.samples(of: id)
                            .map { (time: Double($0.time) / 1000, value: $0.value) }
                            .filter { $0.time >= now - window.seconds && $0.time <= now + 1 }
                        guard let value = RangeFunction.apply(function, samples) else { continue }
                        var labels = AlertLabels(series.table.labels(id))
                        labels["node"] = names[index]
                        result.append(AlertSample(labels: labels, value: value))
                    }
                }
            }
            return result
        }
    }

    /// Writes on the state writer's thread, in order: the publish path never waits on SQLite.
    private func persistLater(_ write: @escaping @Sendable (AlertStateStore) throws(AlertStateStore.Problem) -> Void) {
        guard stateStore != nil else { return }
        stateWriter.async { self.persist(write) }
    }

    private func persist(_ write: (AlertStateStore) throws(AlertStateStore.Problem) -> Void) {
        guard let stateStore else { return }
        do {
            try write(stateStore)
            stateProblem.withLock { $0 = nil }
        } catch {
            stateProblem.withLock { $0 = error.description }
        }
    }

    /// Acknowledges the pending or firing alerts `ids`: written to the state file first, and only
    /// then shown, so an ack the screen shows survives a crash.
    /// - Returns: the alerts acknowledged.
    /// - Throws: `AlertStateStore.Problem` when the ack could not be stored (nothing changes then).
    @discardableResult
    public func acknowledge(_ ids: [String], by who: String, comment: String) throws(AlertStateStore.Problem) -> [AlertSnapshot] {
        let time = wallClock()
        let ack = AlertTracker.Ack(by: who, at: time, comment: comment)
        let alerts = alertState.withLock { state in ids.compactMap { state.tracker.alert($0, at: time) } }
        guard !alerts.isEmpty else { return [] }
        try stateStore?.acknowledge(alerts, ack)
        alertState.withLock { state in
            state.tracker.acknowledge(alerts.map(\.id), ack)
            state.changedByPerson = true
        }
        publish(force: true)
        notifier.enqueue(.acknowledged(alerts, ack))
        return alerts
    }

    /// Writes an event that is not an alert (a registered service the engine deregistered, say)
    /// into the alert history as an `info` entry, kept in the state file like a resolved alert.
    public func recordInHistory(name: String, node: String?, service: String?, summary: String) {
        let time = wallClock()
        var labels = ["alertname": name]
        labels["node"] = node
        labels["service"] = service
        let entry = AlertSnapshot(
            id: "\(name)/\(node ?? "")/\(service ?? "")/\(time.timeIntervalSince1970)", name: name, severity: .info, state: .resolved,
            node: node, service: service, since: time, resolvedAt: time, summary: summary, labels: labels
        )
        persist { (store: AlertStateStore) throws(AlertStateStore.Problem) in try store.record(AlertTracker.Changes(resolved: [entry])) }
        alertState.withLock { state in
            state.tracker.note(entry)
            state.changedByPerson = true
        }
        publish(force: true)
    }

    /// Removes the acknowledgement of the alerts `ids`; returns how many had one.
    @discardableResult
    public func unacknowledge(_ ids: [String], by who: String) throws(AlertStateStore.Problem) -> Int {
        let time = wallClock()
        let acked = alertState.withLock { state in ids.filter { state.tracker.acks[$0] != nil } }
        guard !acked.isEmpty else { return 0 }
        try stateStore?.unacknowledge(acked, by: who, at: time)
        alertState.withLock { state in
            state.tracker.unacknowledge(acked)
            state.changedByPerson = true
        }
        publish(force: true)
        notifier.enqueue(.unacknowledged(acked))
        return acked.count
    }

    /// Puts `node` (or its `service`) in maintenance: written to the state file first, then shown.
    /// Its status is `maintenance`, masking its checks (which still run) and their alerts.
    /// - Returns: false when there is no such node or service.
    @discardableResult
    public func beginMaintenance(node: String, service: String?, reason: String, for duration: Duration?, by who: String) throws(AlertStateStore.Problem) -> Bool {
        let time = wallClock()
        let maintenance = Maintenance(node: node, service: service, reason: reason, by: who, since: time, until: duration.map { time.addingTimeInterval($0.seconds) })
        guard config.nodes.contains(where: { $0.name == node && (service == nil || $0.services.contains { $0.name == service }) }) else { return false }
        try stateStore?.save(maintenance, ended: false, by: who, at: time)
        state.withLock { $0.setMaintenance(node: node, service: service, maintenance) }
        publish(force: true)
        return true
    }

    /// Ends the maintenance of `node` (or its `service`); false when there was none.
    @discardableResult
    public func endMaintenance(node: String, service: String?, by who: String) throws(AlertStateStore.Problem) -> Bool {
        let time = wallClock()
        guard let current = state.withLock({ $0.maintenances.first { $0.node == node && $0.service == service } }) else { return false }
        try stateStore?.save(current, ended: true, by: who, at: time)
        state.withLock { $0.setMaintenance(node: node, service: service, nil) }
        publish(force: true)
        return true
    }

    /// Silences alerts whose labels match every one of `matchers`, for `duration`.
    @discardableResult
    public func silence(matching matchers: [String: String], for duration: Duration, by who: String, comment: String) throws(AlertStateStore.Problem) -> SilenceSnapshot {
        let time = wallClock()
        let silence = SilenceSnapshot(
            id: UUID().uuidString.lowercased(), matchers: matchers, startsAt: time,
            endsAt: time.addingTimeInterval(duration.seconds), createdBy: who, comment: comment
        )
        try stateStore?.save(silence, action: "silence", by: who, at: time)
        alertState.withLock { state in
            state.tracker.addSilence(silence)
            state.changedByPerson = true
        }
        publish(force: true)
        notifier.enqueue(.silenced(silence))
        return silence
    }

    /// Ends the active silence `id` now; false when there is none.
    @discardableResult
    public func expireSilence(_ id: String, by who: String) throws(AlertStateStore.Problem) -> Bool {
        let time = wallClock()
        guard var silence = alertState.withLock({ state in state.tracker.silences.first { $0.id == id && $0.isActive(at: time) } }) else { return false }
        silence.endsAt = time
        try stateStore?.save(silence, action: "expire", by: who, at: time)
        alertState.withLock { state in
            _ = state.tracker.expireSilence(id, at: time)
            state.changedByPerson = true
        }
        publish(force: true)
        notifier.enqueue(.expired(id))
        return true
    }

    private func perform(_ index: Int) async {
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
            let outcome: Result<Scraper.Outcome, any Error> = switch fetched {
            case .success(let response):
                nodeSeries[node].series.withLock { series in
                    scraper.read(response, node: nodeConfig.name, series: &series, ruleNames: names, at: time, limits: limits)
                }
            case .failure(let error): .failure(error)
            }
            if case .success(let good) = outcome, let bytes = good.store?.bytes { boundStores(node: node, bytes: bytes) }
            state.withLock { $0.recordScrape(node: node, outcome: outcome) }
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

    /// Stores the held endpoint lines older than one sweep of the endpoints (all with `force`),
    /// oldest first.
    private func releaseFeedLines(force: Bool) {
        // Lines wait one sweep (at most 2 s) and a little more: by then the other endpoints' lines
        // of that moment are in too.
        let holdback = options.logHoldback?.seconds ?? (min(options.logSweep.seconds, 2) + 0.5)
        let cutoff = wallClock().addingTimeInterval(-holdback)
        let due = heldFeedLines.withLock { held -> [(line: LogStore.Line, time: Date)] in
            guard !held.isEmpty else { return [] }
            let (ready, waiting) = force ? (held, []) : (held.filter { $0.time <= cutoff }, held.filter { $0.time > cutoff })
            held = waiting
            return ready
        }
        guard !due.isEmpty else { return }
        // Stable: lines of one endpoint with the same time keep their order.
        let ordered = due.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element.line)
        logs.append(ordered, received: wallClock())
    }

    private func readLogs(node: Int, feed: Int) async {
        let url = config.nodes[node].logURLs[feed]
        guard let target = HTTPTarget(url) else { return }
        let name = config.nodes[node].name
        switch await tailer.read(target, url: url) {
        case .lines(let lines):
            if logProblems.withLock({ $0.removeValue(forKey: node) }) != nil { logRefresh.withLock { _ = $0.insert(node) } }
            let now = wallClock()
            let routed = lines.map { text -> (line: LogStore.Line, time: Date) in
                let entry = PlainLogLine.parse(Array(text.utf8)[...])
                // A line's own time orders it, unless it has none or it is far off.
                let own = entry.time.map { Date(timeIntervalSince1970: Double($0) / 1000) }
                let time = own.flatMap { abs($0.timeIntervalSince(now)) < 3_600 ? $0 : nil } ?? now
                return (router.route(entry, source: nil, fixedNode: name), time)
            }
            heldFeedLines.withLock { $0 += routed }
        case .failed(let reason):
            let changed = logProblems.withLock { problems in
                defer { problems[node] = reason }
                return problems[node] != reason
            }
            if changed { logRefresh.withLock { _ = $0.insert(node) } }
        }
    }
}

/// Lets the control socket reach the engine once it runs.
private final class ControlBox: @unchecked Sendable {
    // Set once, before the socket is bound; read from its event loop afterwards.
    var handle: (@Sendable (String) -> String)?
}

/// Lets the listeners reach the engine once it runs (they are made in `init`).
private final class StateBox: @unchecked Sendable {
    // Set once, before the listeners are bound; read from their event loops afterwards.
    var syslog: SyslogIntake.Deliver?
    var pushed: LogPushServer.Deliver?
}
