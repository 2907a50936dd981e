/// When each job is due next, kept as a binary min-heap: the earliest job is seen in O(1) and
/// taken or put back in O(log n), whatever the number of jobs.
///
/// A pure value: the caller passes the time in, so it is tested without a clock.
public struct DueQueue: Sendable {
    public struct Entry: Sendable, Equatable {
        public var due: Int64
        public var job: Int

        public init(due: Int64, job: Int) {
            self.due = due
            self.job = job
        }
    }

    /// Each job's interval in nanoseconds, by job number.
    public let intervals: [Int64]
    private var heap: [Entry] = []

    /// Every job, first due at `start + offsets[job]`.
    /// - Precondition: every interval is positive.
    public init(intervals: [Int64], start: Int64, offsets: [Int64]) {
        self.intervals = intervals
        heap.reserveCapacity(intervals.count)
        for (job, offset) in offsets.enumerated() { insert(Entry(due: start + offset, job: job)) }
    }

    /// Every job, first due at a random moment within its own interval from `start` (or within
    /// `window` when that is shorter), so that a fleet starts at its steady rate instead of all
    /// at once.
    public init(intervals: [Int64], start: Int64, firstRunsWithin window: Int64 = .max, using generator: inout some RandomNumberGenerator) {
        let offsets = intervals.map { Int64.random(in: 0..<max(1, min($0, window)), using: &generator) }
        self.init(intervals: intervals, start: start, offsets: offsets)
    }

    public var count: Int { heap.count }

    /// When the earliest job is due, or nil when there are none.
    public var nextDue: Int64? { heap.first?.due }

    /// Takes the earliest job if it is due at `now`.
    public mutating func popDue(at now: Int64) -> Entry? {
        guard let first = heap.first, first.due <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return first
    }

    /// Puts `entry`'s job back at its next slot on its own grid (due + k × interval) after `now`,
    /// so a job that fell behind skips the slots it missed instead of running in a burst.
    public mutating func reschedule(_ entry: Entry, after now: Int64) {
        let interval = max(1, intervals[entry.job])
        var next = entry.due + interval
        if next <= now { next += ((now - next) / interval + 1) * interval }
        insert(Entry(due: next, job: entry.job))
    }

    /// Puts back an entry taken before it could start, its due time unchanged.
    public mutating func putBack(_ entry: Entry) { insert(entry) }

    private mutating func insert(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let smaller = right < heap.count && heap[right].due < heap[left].due ? right : left
            guard heap[smaller].due < heap[parent].due else { return }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
    }
}
