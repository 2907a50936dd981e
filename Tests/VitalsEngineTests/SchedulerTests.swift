import Synchronization
import Testing
import VitalsEngine
import VitalsSim
import VitalsTesting

/// The scheduler on a clock moved by hand: no sleeping, exact times.
@Suite struct SchedulerTests {
    static let ms: Int64 = 1_000_000

    @Test func dueQueueHandsOutJobsInOrderOfDueTime() {
        var queue = DueQueue(intervals: [100 * Self.ms, 30 * Self.ms, 50 * Self.ms], start: 0, offsets: [10 * Self.ms, 0, 20 * Self.ms])
        #expect(queue.nextDue == 0)
        var order: [Int] = []
        while let entry = queue.popDue(at: 25 * Self.ms) {
            order.append(entry.job)
            queue.reschedule(entry, after: 25 * Self.ms)
        }
        #expect(order == [1, 0, 2])
        #expect(queue.nextDue == 30 * Self.ms, "job 1 again, one interval after its first run")
        #expect(queue.count == 3)
    }

    @Test func aJobThatFellBehindSkipsMissedSlotsAndKeepsItsPhase() {
        var queue = DueQueue(intervals: [100 * Self.ms], start: 0, offsets: [7 * Self.ms])
        let entry = queue.popDue(at: 1_000 * Self.ms)!
        queue.reschedule(entry, after: 1_000 * Self.ms)
        #expect(queue.nextDue == 1_007 * Self.ms)
    }

    @Test func firstRunsSpreadOverTheWholeInterval() {
        var generator = SplitMix64(seed: 7)
        let interval = 10_000 * Self.ms
        var queue = DueQueue(intervals: Array(repeating: interval, count: 10_000), start: 0, using: &generator)
        var perSecond = Array(repeating: 0, count: 10)
        while let entry = queue.popDue(at: interval - 1) { perSecond[Int(entry.due / (1_000 * Self.ms))] += 1 }
        #expect(perSecond.reduce(0, +) == 10_000)
        // Uniform: each second of the interval gets close to a tenth.
        #expect(perSecond.allSatisfy { (850...1_150).contains($0) }, "\(perSecond)")
    }

    @Test func jobsRunOnTheirIntervalsWithNoLag() async {
        let clock = ManualClock()
        let scheduler = ProbeScheduler(clock: clock, maxInFlight: 10, quantum: 0)
        let runs = Runs()
        let queue = DueQueue(intervals: [100 * Self.ms, 250 * Self.ms], start: 0, offsets: [0, 50 * Self.ms])
        let task = Task { await scheduler.run(queue) { job in runs.append(job, at: clock.now) } }
        // Before each step: the loop is asleep and every job it started has run.
        let settled = { clock.sleeperCount >= 1 && runs.all.count == Int(scheduler.snapshot.started) }
        for step in 0...100 {
            await until(settled)
            clock.advance(to: Int64(step) * 10 * Self.ms)
        }
        await until(settled)
        task.cancel()
        await task.value
        let times = runs.all
        #expect(times.filter { $0.job == 0 }.map(\.at) == stride(from: 0, through: 1_000, by: 100).map { Int64($0) * Self.ms })
        #expect(times.filter { $0.job == 1 }.map(\.at) == [50, 300, 550, 800].map { Int64($0) * Self.ms })
        let stats = scheduler.snapshot
        #expect(stats.started == 15)
        #expect(stats.lag.maxNanoseconds == 0)
    }

    @Test func noMoreThanMaxInFlightRunAtOnceAndWaitersShowTheirLag() async {
        let clock = ManualClock()
        let scheduler = ProbeScheduler(clock: clock, maxInFlight: 2, quantum: 0)
        let gate = Gate()
        let queue = DueQueue(intervals: Array(repeating: 1_000 * Self.ms, count: 5), start: 0, offsets: Array(repeating: 0, count: 5))
        let task = Task { await scheduler.run(queue) { _ in await gate.wait() } }
        await until { gate.waiting == 2 }
        #expect(scheduler.snapshot.started == 2)
        clock.advance(to: 30 * Self.ms)
        gate.open(1)
        await until { scheduler.snapshot.started == 3 }
        #expect(scheduler.snapshot.lag.maxNanoseconds == 30 * Self.ms, "the third job waited 30 ms for a slot")
        gate.open(10)
        await until { scheduler.snapshot.started == 5 }
        #expect(scheduler.snapshot.peakInFlight == 2)
        task.cancel()
        gate.open(10)
        await task.value
    }

    @Test func aJobStillRunningWhenDueAgainSkipsThatRound() async {
        let clock = ManualClock()
        let scheduler = ProbeScheduler(clock: clock, maxInFlight: 10, quantum: 0)
        let gate = Gate()
        let task = Task { await scheduler.run(DueQueue(intervals: [100 * Self.ms], start: 0, offsets: [0])) { _ in await gate.wait() } }
        await until { gate.waiting == 1 }
        for time in stride(from: 100, through: 300, by: 100) {
            await until { clock.sleeperCount == 1 }
            clock.advance(to: Int64(time) * Self.ms)
        }
        await until { scheduler.snapshot.skipped == 3 }
        #expect(scheduler.snapshot.skipped == 3, "each of the three rounds due while the job ran is skipped")
        #expect(scheduler.snapshot.started == 1)
        task.cancel()
        gate.open(10)
        await task.value
    }

    /// Waits, yielding and never sleeping, until `condition` holds.
    /// Yields until `condition` holds; a condition never met is a failure, not a silent pass.
    private func until(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async {
        for _ in 0..<1_000_000 where !condition() { await Task.yield() }
        if !condition() { Issue.record("the condition was never met", sourceLocation: sourceLocation) }
    }
}

/// What ran when.
final class Runs: Sendable {
    private let runs = Mutex<[(job: Int, at: Int64)]>([])
    func append(_ job: Int, at time: Int64) { runs.withLock { $0.append((job, time)) } }
    var all: [(job: Int, at: Int64)] { runs.withLock { $0 } }
}

/// Jobs wait here until a test lets them go.
final class Gate: Sendable {
    private struct State {
        var waiters: [CheckedContinuation<Void, Never>] = []
        var permits = 0
    }

    private let state = Mutex(State())

    var waiting: Int { state.withLock { $0.waiters.count } }

    func wait() async {
        await withCheckedContinuation { continuation in
            let go = state.withLock { state -> Bool in
                if state.permits > 0 {
                    state.permits -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if go { continuation.resume() }
        }
    }

    /// Lets `count` waiters (present or future) go.
    func open(_ count: Int) {
        let released = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let now = Array(state.waiters.prefix(count))
            state.waiters.removeFirst(now.count)
            state.permits += count - now.count
            return now
        }
        for continuation in released { continuation.resume() }
    }
}
