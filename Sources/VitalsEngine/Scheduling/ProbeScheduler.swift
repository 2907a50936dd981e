import Synchronization

/// Runs many jobs on their own intervals from one loop: a `DueQueue` says what is due, at most
/// `maxInFlight` jobs run at once (so a fleet never runs out of descriptors), and a job still
/// running when it is due again skips that round rather than piling up.
///
/// The loop sleeps until the next due time, but never less than `quantum`, so that thousands of
/// jobs a second cost hundreds of wake-ups, not thousands.
public final class ProbeScheduler: Sendable {
    /// What the scheduler has done so far.
    public struct Stats: Sendable {
        /// Start time minus due time of every job started.
        public var lag = LatencyHistogram()
        public var started: UInt64 = 0
        /// Rounds skipped because the job's previous run had not finished.
        public var skipped: UInt64 = 0
        /// The most jobs that ran at once.
        public var peakInFlight = 0
        /// Times the loop waited for a free slot while jobs were due.
        public var waitedForSlot: UInt64 = 0
        /// Lag by the group `run` was given for each job (all in group 0 when none was given).
        public var lagByGroup: [LatencyHistogram] = []

        public init() {}
    }

    /// Which jobs are running and how many: shared by the loop and the jobs it started.
    private final class Slots: Sendable {
        struct Table {
            var running: [Bool]
            var inFlight = 0
        }

        let table: Mutex<Table>

        init(jobs: Int) { table = Mutex(Table(running: Array(repeating: false, count: jobs))) }
    }

    public let maxInFlight: Int
    public let quantum: Int64
    private let clock: any EngineClock
    private let stats = Mutex(Stats())

    /// - Parameters:
    ///   - maxInFlight: how many jobs may run at once.
    ///   - quantum: the shortest sleep, in nanoseconds (1 ms by default).
    public init(clock: any EngineClock, maxInFlight: Int, quantum: Int64 = 1_000_000) {
        self.clock = clock
        self.maxInFlight = max(1, maxInFlight)
        self.quantum = max(0, quantum)
    }

    public var snapshot: Stats { stats.withLock { $0 } }

    /// Runs `perform(job)` for each job as it falls due, until the task is cancelled; then waits
    /// for the jobs in flight to finish.
    /// - Parameter groups: a small group number per job, to keep lag apart by kind of job.
    public func run(_ queue: DueQueue, groups: [Int]? = nil, perform: @escaping @Sendable (Int) async -> Void) async {
        var queue = queue
        let groups = groups ?? Array(repeating: 0, count: queue.intervals.count)
        let groupCount = (groups.max() ?? 0) + 1
        stats.withLock { $0.lagByGroup = Array(repeating: LatencyHistogram(), count: groupCount) }
        let slots = Slots(jobs: queue.intervals.count)
        let (freed, freedSignal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        var freedIterator = freed.makeAsyncIterator()
        let maxInFlight = self.maxInFlight
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let now = clock.now
                var full = false
                while let entry = queue.popDue(at: now) {
                    enum Admission { case start(Int), busy, full }
                    let admission = slots.table.withLock { slots -> Admission in
                        if slots.running[entry.job] { return .busy }
                        if slots.inFlight >= maxInFlight { return .full }
                        slots.running[entry.job] = true
                        slots.inFlight += 1
                        return .start(slots.inFlight)
                    }
                    switch admission {
                    case .full:
                        // Keep it due; it starts as soon as a slot frees, and its lag shows the wait.
                        queue.putBack(entry)
                        full = true
                    case .busy:
                        queue.reschedule(entry, after: now)
                        self.stats.withLock { $0.skipped += 1 }
                    case .start(let inFlight):
                        queue.reschedule(entry, after: now)
                        self.stats.withLock { stats in
                            stats.lag.record(nanoseconds: now - entry.due)
                            stats.lagByGroup[groups[entry.job]].record(nanoseconds: now - entry.due)
                            stats.started += 1
                            stats.peakInFlight = max(stats.peakInFlight, inFlight)
                        }
                        group.addTask {
                            await perform(entry.job)
                            slots.table.withLock { slots in
                                slots.running[entry.job] = false
                                slots.inFlight -= 1
                            }
                            freedSignal.yield()
                        }
                    }
                    if full { break }
                }
                if full {
                    self.stats.withLock { $0.waitedForSlot += 1 }
                    guard await freedIterator.next() != nil else { break }
                    continue
                }
                let wake = max(queue.nextDue ?? (now + 3_600_000_000_000), now + quantum)
                guard (try? await clock.sleep(until: wake)) != nil else { break }
            }
            freedSignal.finish()
        }
    }
}
