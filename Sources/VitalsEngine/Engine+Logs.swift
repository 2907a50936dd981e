import Foundation
import NIOCore
import NIOPosix
import Synchronization
import VitalsCore
import VitalsLogFormats

/// Log lines into the store and back out: feeds read, files tailed, held-back lines released,
/// the recent lines each node shows and the log series alert rules read.
extension Engine {
    /// Lines per minute from the log store, as series alert rules read: `log_lines_per_min`,
    /// `log_warnings_per_min`, `log_errors_per_min` (errors and worse), by node and service.
    func logSeries(at time: Date) -> [String: [AlertSample]] {
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
    func refreshRecentLogs() {
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

    func takeFileLines(_ lines: [(LogEntry, file: LogFileConfig, path: String)]) {
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

    /// Stores the held endpoint lines older than one sweep of the endpoints (all with `force`),
    /// oldest first.
    func releaseFeedLines(force: Bool) {
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

    func readLogs(node: Int, feed: Int) async {
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
