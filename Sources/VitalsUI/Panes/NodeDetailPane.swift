import Foundation
import VitalsCore

/// One node in depth: its header (address, status, load), every check with output, latency
/// sparkline and recent status changes, then its services with what they need and what needs them.
public enum NodeDetailPane {
    /// A line of styled segments.
    typealias Line = [(String, Style)]

    public static func draw(
        into screen: inout Screen, rect: Rect, snapshot: ClusterSnapshot, state: AppState, theme: Theme, timeZone: TimeZone
    ) {
        guard let name = state.detail else { return }
        guard let node = snapshot.node(named: name) else {
            screen.put("node '\(name)' is not in the cluster any more (esc to go back)", x: rect.x + 1, y: rect.y, style: theme[.muted])
            return
        }
        let lines = self.lines(node: node, snapshot: snapshot, state: state, theme: theme, width: rect.width - 2, timeZone: timeZone)
        // When the view overflows, its last row says where in it you are.
        let rows = lines.count > rect.height ? rect.height - 1 : rect.height
        let top = max(0, min(state.detailScroll, lines.count - rows))
        for (offset, line) in lines.dropFirst(top).prefix(rows).enumerated() {
            var x = rect.x + 1
            for (text, style) in line {
                x = screen.put(text, x: x, y: rect.y + offset, style: style, maxWidth: rect.maxX - x - 1)
            }
        }
        if lines.count > rect.height {
            let note = "lines \(top + 1)–\(min(lines.count, top + rows)) of \(lines.count) · ↑↓ scroll "
            screen.put(note, x: rect.maxX - note.count - 1, y: rect.maxY - 1, style: theme[.muted])
        }
    }

    /// How many lines the view of `node` has, for scrolling limits.
    public static func lineCount(node name: String, snapshot: ClusterSnapshot, state: AppState) -> Int {
        guard let node = snapshot.node(named: name) else { return 0 }
        return lines(node: node, snapshot: snapshot, state: state, theme: .builtIn, width: state.size.width - 2, timeZone: .current).count
    }

    static func lines(
        node: NodeSnapshot, snapshot: ClusterSnapshot, state: AppState, theme: Theme, width: Int, timeZone: TimeZone
    ) -> [Line] {
        var lines: [Line] = []
        let m = node.metrics
        var header: Line = [
            (node.name, theme[.title]), ("  \(node.address)  ", theme[.muted]), (Format.status(node.status), theme.style(for: node.status)),
            ("   cpu ", theme[.label]), (Format.percent(m.cpu), theme[.text]), ("  mem ", theme[.label]), (Format.percent(m.memory), theme[.text]),
            ("  req ", theme[.label]), (Format.rate(m.requestRate), theme[.text]), ("  err ", theme[.label]), (Format.percent(m.errorRatio), theme[.text]),
        ]
        if let note = state.nodeNotes[node.name] { header.append(("   [\(note)]", theme[.warning])) }
        lines.append(header)
        if let origin = node.registered {
            var line: Line = [
                ("registered ", theme[.label]), ("through the API by \(origin.by) at \(Format.clock(origin.at, timeZone: timeZone))", theme[.text]),
                (" · ID \(origin.id)", theme[.muted]),
            ]
            if !origin.tags.isEmpty { line.append((" · tags \(origin.tags.joined(separator: ", "))", theme[.muted])) }
            lines.append(line)
        }
        let inMaintenance = [node.maintenance].compactMap { $0 } + snapshot.services(on: node.name).compactMap { service in
            service.maintenance.flatMap { $0.service == nil ? nil : $0 }
        }
        for maintenance in inMaintenance {
            let until = maintenance.until.map { " · until \(Format.clock($0, timeZone: timeZone))" } ?? ""
            lines.append([
                ("maintenance ", theme[.label]), (maintenance.target, theme[.maintenance]), (": \(maintenance.reason)", theme[.maintenance]),
                (" · \(maintenance.by) since \(Format.clock(maintenance.since, timeZone: timeZone))\(until) · checks still run, masked · m ends it", theme[.muted]),
            ])
        }
        if let scrapeError = m.scrapeError { lines.append([("scrape   ", theme[.label]), ("down", theme[.critical]), (" · " + scrapeError, theme[.error])]) }
        if let samples = m.scrapeSamples, m.scrapeError == nil {
            var line: Line = [("scrape   ", theme[.label]), ("up", theme[.passing]), (" · \(samples) samples in \(Format.latency(m.scrapeDurationMs))", theme[.muted])]
            if let warning = m.scrapeWarning { line.append(("  " + warning, theme[.warning])) }
            lines.append(line)
        }
        if let series = m.storedSeries, let samples = m.storedSamples, let bytes = m.storedBytes, samples > 0 {
            lines.append([
                ("store    ", theme[.label]),
                ("\(series) series · \(samples) samples · \(bytes / 1024) KiB · \(String(format: "%.2f", Double(bytes) / Double(samples))) B/sample", theme[.muted]),
            ])
        }
        lines.append([])

        if !node.history.cpu.isEmpty {
            let graphWidth = max(10, min(NodeHistory.length, width - 30))
            var title: Line = [("VITALS", theme[.header]), ("  last \(node.history.cpu.count) scrapes", theme[.muted])]
            if let stale = Format.stale(m, now: snapshot.time) {
                title.append(("  numbers \(stale): the scrape fails, these are the last read", theme[.warning]))
            }
            lines.append(title)
            // CPU and memory on their fixed scale, 0–100 %, marked on the right.
            let axis = ["100%", " 50%", "  0%"]
            for (title, values, value) in [("cpu", node.history.cpu, Format.percent(m.cpu)), ("memory", node.history.memory, Format.percent(m.memory))] {
                for (row, text) in Graph.lines(values, width: graphWidth, height: 3, top: 1, ascii: !state.unicodeGraphs).enumerated() {
                    let label = row == 0 ? title.padded(toWidth: 9) : row == 2 ? value.padded(toWidth: 9) : String(repeating: " ", count: 9)
                    lines.append([(label, row == 0 ? theme[.label] : theme[.text]), (text, theme[.sparkline]), (" ┤" + axis[row], theme[.muted])])
                }
            }
            // The time axis under the graphs' data (which is drawn from the right).
            let count = min(graphWidth, node.history.cpu.count)
            let span = "← \(count) scrapes ago"
            let axisText = count >= span.count + 4 ? span.padded(toWidth: count - 3) + "now" : "now".padded(toWidth: count, alignRight: true)
            lines.append([(String(repeating: " ", count: 9 + graphWidth - count), theme[.text]), (axisText, theme[.muted])])
            // Network rates have no natural top: each line is scaled to its own peak, which is said.
            for (title, values, now) in [("net in   ", node.history.networkReceive, m.networkReceiveRate), ("net out  ", node.history.networkSend, m.networkSendRate)] {
                let peak = values.suffix(graphWidth).compactMap { $0 }.max()
                lines.append([
                    (title, theme[.label]), (Format.sparkline(values, width: graphWidth, ascii: !state.unicodeGraphs), theme[.sparkline]),
                    ("  " + Format.byteRate(now), theme[.text]), ("  top " + Format.byteRate(peak), theme[.muted]),
                ])
            }
            var facts: Line = [("load     ", theme[.label]), ([m.load1, m.load5, m.load15].map { $0.map { String(format: "%.2f", $0) } ?? "-" }.joined(separator: " "), theme[.text])]
            if let files = m.openFiles { facts += [("   open files ", theme[.label]), (String(files), theme[.text])] }
            lines.append(facts)
            for disk in m.disks {
                let style = disk.used > 0.9 ? theme[.critical] : disk.used > 0.8 ? theme[.warning] : theme[.text]
                lines.append([("disk     ", theme[.label]), (disk.mount.padded(toWidth: 16), theme[.text]), (Format.percent(disk.used) + " used", style),
                              (String(format: "  of %.0f GB", disk.sizeBytes / 1e9), theme[.muted])])
            }
            lines.append([])
        }

        let alerts = snapshot.alerts.filter { $0.node == node.name }
        if !alerts.isEmpty {
            lines.append([("ALERTS", theme[.header]), ("  (4 for the Alerts pane: a acknowledges, s silences)", theme[.muted])])
            for alert in alerts {
                var line: Line = [
                    (AlertsPane.severityWord(alert.severity).padded(toWidth: 5), AlertsPane.severityStyle(alert.severity, theme: theme)),
                    (AlertsPane.stateWord([alert]).padded(toWidth: 9), alert.needsAttention ? AlertsPane.severityStyle(alert.severity, theme: theme) : theme[.muted]),
                    (alert.name.padded(toWidth: 16), theme[.text]),
                    (" for " + Format.ago(alert.since, now: snapshot.time).padded(toWidth: 7), theme[.muted]),
                ]
                if let root = alert.rootCause, let cause = snapshot.alerts.first(where: { $0.id == root }) {
                    line.append(("  ← \(cause.name) \(cause.service ?? cause.node ?? "")", theme[.warning]))
                }
                line.append(("  " + alert.summary, theme[.muted]))
                lines.append(line)
                if let by = alert.acknowledgedBy {
                    lines.append([("    ✓ acknowledged by \(by)", theme[.label]), ((alert.comment ?? "").isEmpty ? "" : ": \(alert.comment ?? "")", theme[.muted])])
                }
            }
            lines.append([])
        }

        let held = snapshot.locks.filter { $0.holderNode == node.name }
        let waiting = snapshot.locks.filter { $0.queue.contains { $0.node == node.name } }
        if !held.isEmpty || !waiting.isEmpty {
            lines.append([("LOCKS", theme[.header]), ("  (3 for the Locks pane)", theme[.muted])])
            for lock in held {
                var line: Line = [
                    ("holds  ", theme[.label]), (lock.name.padded(toWidth: 30), theme[.text]),
                    (" " + LocksPane.kindWord(lock.kind).padded(toWidth: 9), theme[.muted]),
                    ("for " + LocksPane.held(lock, now: snapshot.time).padded(toWidth: 8), theme[.text]),
                    (lock.leaseTTLSeconds.map { "lease \($0)s left" } ?? "", theme[.muted]),
                ]
                if lock.waiters > 0 { line.append(("  \(lock.waiters) waiting", theme[.text])) }
                if let why = lock.diagnoses.first { line.append(("  " + why, theme.style(for: lock.status))) }
                lines.append(line)
            }
            for lock in waiting {
                guard let position = lock.queue.firstIndex(where: { $0.node == node.name }) else { continue }
                let since = lock.queue[position].since
                lines.append([
                    ("waits  ", theme[.label]), (lock.name.padded(toWidth: 30), theme[.text]),
                    (" " + LocksPane.kindWord(lock.kind).padded(toWidth: 9), theme[.muted]),
                    ("for " + Format.ago(since, now: snapshot.time).padded(toWidth: 8), theme[.text]),
                    ("#\(position + 1) in line behind \(lock.holder ?? "nobody")", theme[.muted]),
                ])
            }
            lines.append([])
        }

        let checks = node.checks.map { ("node", $0) } + snapshot.services(on: node.name).flatMap { service in service.checks.map { (service.name, $0) } }
        lines.append([("CHECKS", theme[.header])])
        if let next = node.breakerNextTry {
            let wait = max(0, Int(next.timeIntervalSince(snapshot.time).rounded(.up)))
            let since = node.breakerOpenedAt.map { " since \(Format.clock($0, timeZone: timeZone))" } ?? ""
            lines.append([("⊘ breaker open\(since) · next try in \(wait)s", theme[.warning]), ("  every check failed: probes wait instead of piling up", theme[.muted])])
        }
        if checks.isEmpty { lines.append([("no checks", theme[.muted])]) }
        for (owner, check) in checks {
            lines.append([
                ("\(owner)/\(check.name)".padded(toWidth: 22), theme[.text]),
                (Format.status(check.status).padded(toWidth: 12), theme.style(for: check.status)),
                (Format.latency(check.latencyMs).padded(toWidth: 8, alignRight: true), theme[.text]),
                ("  for " + Format.ago(check.since, now: snapshot.time).padded(toWidth: 7), theme[.muted]),
                ("  \(check.type) \(check.target)", theme[.muted]),
            ])
            lines.append([("    output   ", theme[.label]), (check.output, theme.style(for: check.status) == theme[.passing] ? theme[.text] : theme.style(for: check.status))])
            if let progress = check.progress {
                lines.append([("    next     ", theme[.label]), (progress, theme[.warning])])
            }
            if let deregister = check.deregisterAt {
                let left = deregister.timeIntervalSince(snapshot.time)
                let text = left > 0
                    ? "Consul would deregister this service in \(Format.ago(snapshot.time.addingTimeInterval(-left), now: snapshot.time))"
                    : "Consul would have deregistered this service \(Format.ago(deregister, now: snapshot.time)) ago"
                lines.append([("    ⚠        ", theme[.label]), (text, theme[.critical])])
            }
            if let flapping = check.flapping {
                lines.append([("    flapping ", theme[.label]), ("⇅ its state changed in \(Int(flapping.rounded()))% of its last 21 results", theme[.warning])])
            }
            if !check.latencies.isEmpty {
                let range = check.latencyPercentiles.map { "p50 \(Format.latency($0.p50))  p95 \(Format.latency($0.p95))  p99 \(Format.latency($0.p99))" } ?? "no answers"
                let peak = check.latencies.compactMap { $0 }.max()
                lines.append([
                    ("    latency  ", theme[.label]), (Format.sparkline(check.latencies, width: min(40, max(10, width - 45)), ascii: !state.unicodeGraphs), theme[.sparkline]),
                    ("  \(range)  top \(Format.latency(peak))", theme[.muted]),
                ])
            }
            for change in check.history.suffix(3).reversed() {
                lines.append([
                    ("    \(Format.clock(change.time, timeZone: timeZone))  ", theme[.label]),
                    (change.from.rawValue, theme.style(for: change.from)), (" → ", theme[.muted]), (change.to.rawValue, theme.style(for: change.to)),
                    ("  \(change.output)", theme[.muted]),
                ])
            }
        }
        lines.append([])
        lines.append([("SERVICES", theme[.header])])
        let services = snapshot.services(on: node.name)
        if services.isEmpty { lines.append([("no services", theme[.muted])]) }
        for service in services {
            lines.append([(service.name.padded(toWidth: 18), theme[.title]), (Format.status(service.status), theme.style(for: service.status))])
            var needs: Line = [("    needs     ", theme[.label])]
            if service.dependsOn.isEmpty { needs.append(("nothing", theme[.muted])) }
            for (index, dependency) in service.dependsOn.enumerated() {
                let status = snapshot.status(ofService: dependency)
                if index > 0 { needs.append(("  ", theme[.muted])) }
                needs.append(("\(Format.glyph(status)) \(dependency)", theme.style(for: status)))
            }
            lines.append(needs)
            var neededBy: Line = [("    needed by ", theme[.label])]
            let dependents = Set(snapshot.dependents(of: service.name).map(\.name)).sorted()
            if dependents.isEmpty { neededBy.append(("nothing in this cluster", theme[.muted])) }
            for (index, dependent) in dependents.enumerated() {
                let status = snapshot.status(ofService: dependent)
                if index > 0 { neededBy.append(("  ", theme[.muted])) }
                neededBy.append(("\(Format.glyph(status)) \(dependent)", theme.style(for: status)))
            }
            lines.append(neededBy)
        }
        if !node.recentLogs.isEmpty {
            lines.append([])
            lines.append([("RECENT LOGS", theme[.header]), ("   L shows all of them in the Logs pane", theme[.muted])])
            for line in node.recentLogs {
                let style = line.contains(" ERROR ") || line.contains(" CRIT ") ? theme[.critical] : line.contains(" WARN ") ? theme[.warning] : theme[.muted]
                lines.append([(line, style)])
            }
        }
        return lines
    }
}
