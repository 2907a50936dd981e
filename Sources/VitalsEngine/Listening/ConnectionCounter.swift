import Synchronization

/// Open connections of one listener, bounded: a connection over the limit is closed as soon as
/// it is accepted, so floods of idle sockets cannot take the descriptors probes need.
public final class ConnectionCounter: Sendable {
    public struct Counts: Sendable, Equatable {
        public var open: Int
        public var accepted: UInt64
        /// Closed at once because `limit` were open.
        public var refused: UInt64
        /// Closed because a request did not arrive whole within the request timeout.
        public var timedOut: UInt64
        public var limit: Int
    }

    private let state: Mutex<Counts>

    public init(limit: Int) {
        state = Mutex(Counts(open: 0, accepted: 0, refused: 0, timedOut: 0, limit: max(1, limit)))
    }

    public var counts: Counts { state.withLock { $0 } }
    public var open: Int { counts.open }

    /// Takes a place for a new connection; false when the limit is reached.
    public func acquire() -> Bool {
        state.withLock { counts in
            guard counts.open < counts.limit else {
                counts.refused += 1
                return false
            }
            counts.open += 1
            counts.accepted += 1
            return true
        }
    }

    public func release() { state.withLock { $0.open -= 1 } }

    public func timedOut() { state.withLock { $0.timedOut += 1 } }
}
