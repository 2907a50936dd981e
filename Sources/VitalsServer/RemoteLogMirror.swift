import Foundation
import Synchronization
import VitalsCore
import VitalsEngine

/// The newest log lines of a remote Vitals, copied into a small local store so the Logs pane
/// searches, pages and counts them as quickly as it does at home: the first read takes the
/// newest `initialLines`, each later one what came after the last line copied.
public final class RemoteLogMirror: LogSource, Sendable {
    private let client: APIClient
    private let store: LogStore
    private let remoteStats: @Sendable () -> LogStats?
    /// The server's sequence of the newest line copied (nil before the first read).
    private let copied = Mutex<Int?>(nil)
    private let reading = Atomic<Bool>(false)
    private let initialLines: Int

    /// - Parameters:
    ///   - remoteStats: the server's own numbers (dropped, problems…), from its latest snapshot.
    public init(client: APIClient, byteLimit: Int = 4 << 20, initialLines: Int = 2_000, remoteStats: @escaping @Sendable () -> LogStats?) {
        self.client = client
        self.remoteStats = remoteStats
        self.initialLines = initialLines
        store = LogStore(byteLimit: byteLimit)
    }

    /// Copies the lines that arrived since the last read; false when the server could not be read.
    @discardableResult
    public func refresh() async -> Bool {
        guard reading.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return true }
        defer { reading.store(false, ordering: .releasing) }
        let after = copied.withLock { $0 }
        if let after, let newest = remoteStats()?.nextSequence, newest - 1 <= after { return true }
        var path = "/v1/logs?limit=\(after == nil ? initialLines : 5_000)"
        if let after { path += "&after=\(after)" }
        do {
            let bytes = try await client.send("GET", path)
            let answer = try ClusterSnapshot.decoder().decode(LogSearchJSON.self, from: Data(bytes))
            guard let last = answer.lines.last else {
                if after == nil { copied.withLock { $0 = max(-1, answer.stats.nextSequence - 1) } }
                return true
            }
            // Lines keep their own times; each batch is stored with the time its newest line arrived.
            let lines = answer.lines.map { LogStore.Line($0.entry, node: $0.node, unclaimed: $0.flags.contains("unclaimed")) }
            store.append(lines, received: last.received)
            copied.withLock { $0 = last.sequence }
            return true
        } catch {
            return false
        }
    }

    public var stats: LogStats {
        var local = store.stats
        guard let remote = remoteStats() else { return local }
        local.dropped = remote.dropped
        local.unclaimed = remote.unclaimed
        local.unparsed = remote.unparsed
        local.udpDropped = remote.udpDropped
        local.connectionsRefused = remote.connectionsRefused
        local.connectionsCut = remote.connectionsCut
        local.problems = remote.problems
        local.byteLimit = remote.byteLimit
        return local
    }

    public func lines(_ query: LogQuery, before: Int?, limit: Int) -> [LogRecord] { store.lines(query, before: before, limit: limit) }
    public func lines(_ query: LogQuery, after: Int, limit: Int) -> [LogRecord] { store.lines(query, after: after, limit: limit) }
    public func count(_ query: LogQuery) -> Int { store.count(query) }
    public func histogram(_ query: LogQuery, from: Date, bucket: Duration, count: Int) -> [LogBucket] {
        store.histogram(query, from: from, bucket: bucket, count: count)
    }
    public var names: (nodes: [String], services: [String]) { store.names }
}
