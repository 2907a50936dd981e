import Foundation
import VitalsCore

/// Every node's log lines interleaved by arrival: a header (how much is kept, dropped, what is
/// filtered, follow or paused and how far behind), a two-row histogram strip of lines and of
/// warnings/errors per interval, then the lines, levels in words and colours, search matches
/// highlighted.
public enum LogsPane {
    /// Rows above the lines: the header and the two histogram rows.
    public static let headerRows = 3
    /// Seconds per column of the histogram strip.
    public static let bucketSeconds = 10

    public static func draw(
        into screen: inout Screen, rect: Rect, snapshot: ClusterSnapshot, state: AppState, theme: Theme,
        logs: (any LogSource)?, timeZone: TimeZone = .current
    ) {
        guard let logs else {
            screen.put("No logs are kept here.", x: rect.x + 1, y: rect.y + 1, style: theme[.muted])
            return
        }
        let view = state.logView
        let stats = logs.stats
        let lines = state.visibleLogLines(logs)
        drawHeader(into: &screen, rect: rect, state: state, stats: stats, logs: logs, lines: lines, now: snapshot.time, theme: theme)
        drawHistogram(into: &screen, rect: rect, state: state, logs: logs, now: snapshot.time, theme: theme)
        let listTop = rect.y + headerRows
        let listRows = rect.height - headerRows
        guard !lines.isEmpty else {
            let why = stats.lines == 0
                ? "No log lines yet. Vitals takes syslog, POST /v1/logs, files and each node's log endpoint (see README)."
                : "No line matches the filters (c clears them)."
            screen.put(why, x: rect.x + 1, y: listTop + 1, style: theme[.muted], maxWidth: rect.width - 2)
            return
        }
        let nodeWidth = min(16, max(4, lines.map(\.node.terminalWidth).max() ?? 4))
        let serviceWidth = min(14, max(3, lines.map(\.service.terminalWidth).max() ?? 3))
        let matcher = view.search.flatMap { try? LogMatcher($0) }
        let selected = view.follow ? nil : view.selected
        // Each line becomes one row, or several when wrapping; rows are laid out from the bottom.
        var rows: [(record: LogRecord, text: String, first: Bool)] = []
        // Columns: time (12), node, service, level (5), each after a space, then the message.
        let messageX = 1 + 12 + 1 + nodeWidth + 1 + serviceWidth + 1 + 5 + 1
        let messageWidth = max(10, rect.width - messageX - 1)
        for record in lines.reversed() {
            var pieces: [String]
            if view.wrap {
                pieces = Format.wrapped(record.message, width: messageWidth)
            } else {
                pieces = [String(record.message.dropFirst(view.offset))]
            }
            if pieces.isEmpty { pieces = [""] }
            for (index, piece) in pieces.enumerated().reversed() {
                rows.append((record, piece, index == 0))
            }
            if rows.count >= listRows { break }
        }
        rows = Array(rows.prefix(listRows).reversed())
        let top = listTop
        for (offset, row) in rows.enumerated() {
            let y = top + offset
            let record = row.record
            let isSelected = record.sequence == selected
            let base = isSelected ? theme[.selection] : theme[.text]
            if isSelected { screen.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), style: base) }
            var x = rect.x + 1
            if row.first {
                x = screen.put(Format.logTime(record.time, timeZone: timeZone), x: x, y: y, style: isSelected ? base : theme[.muted])
                x = screen.put(" " + record.node.padded(toWidth: nodeWidth), x: x, y: y, style: isSelected ? base : theme[.label], maxWidth: nodeWidth + 1)
                x = rect.x + 1 + 12 + 1 + nodeWidth
                x = screen.put(" " + record.service.padded(toWidth: serviceWidth), x: x, y: y, style: isSelected ? base : theme[.muted], maxWidth: serviceWidth + 1)
                x = rect.x + 1 + 12 + 1 + nodeWidth + 1 + serviceWidth
                x = screen.put(" " + record.level.word.padded(toWidth: 5), x: x, y: y, style: levelStyle(record.level, theme: theme).over(base))
            }
            x = rect.x + messageX
            let messageStyle = record.level >= .error ? theme[.critical].over(base) : base
            drawMessage(into: &screen, row.text, x: x, y: y, maxX: rect.maxX - 1, style: messageStyle, matcher: matcher, highlight: theme[.selection])
            if !view.wrap, row.text.terminalWidth > rect.maxX - 1 - x {
                screen.put("›", x: rect.maxX - 1, y: y, style: theme[.muted])
            }
        }
    }

    static func levelStyle(_ level: LogLevel, theme: Theme) -> Style {
        switch level {
        case .critical, .error: theme[.critical]
        case .warning: theme[.warning]
        case .notice, .info: theme[.passing]
        case .debug: theme[.muted]
        }
    }

    /// The message with search matches highlighted (reversed, so they show without colour too).
    static func drawMessage(into screen: inout Screen, _ text: String, x: Int, y: Int, maxX: Int, style: Style, matcher: LogMatcher?, highlight: Style) {
        guard let matcher else {
            screen.put(text, x: x, y: y, style: style, maxWidth: maxX - x)
            return
        }
        var column = x
        var index = text.startIndex
        for range in matcher.ranges(in: text) {
            column = screen.put(String(text[index..<range.lowerBound]), x: column, y: y, style: style, maxWidth: maxX - column)
            let marked = Style(foreground: highlight.foreground, background: highlight.background, attributes: highlight.attributes.union(.reverse))
            column = screen.put(String(text[range]), x: column, y: y, style: marked, maxWidth: maxX - column)
            index = range.upperBound
            if column >= maxX { return }
        }
        screen.put(String(text[index...]), x: column, y: y, style: style, maxWidth: maxX - column)
    }

    static func drawHeader(
        into screen: inout Screen, rect: Rect, state: AppState, stats: LogStats, logs: any LogSource, lines: [LogRecord], now: Date, theme: Theme
    ) {
        let view = state.logView
        var parts = ["\(stats.lines) lines", "\(Format.bytes(stats.bytes)) of \(Format.bytes(stats.byteLimit))"]
        if stats.dropped > 0 { parts.append("\(stats.dropped) dropped (oldest)") }
        if stats.udpDropped > 0 { parts.append("\(stats.udpDropped) lost in the kernel (UDP)") }
        if stats.connectionsRefused > 0 { parts.append("\(stats.connectionsRefused) connections refused (cap)") }
        if stats.connectionsCut > 0 { parts.append("\(stats.connectionsCut) cut (too slow)") }
        if stats.unparsed > 0 { parts.append("\(stats.unparsed) unparsed") }
        if stats.unclaimed > 0 { parts.append("\(stats.unclaimed) from unknown hosts") }
        parts += view.filterWords
        if let search = view.search {
            var query = view.query
            query.pattern = search
            let count = logs.count(query)
            parts.append("search \(search): \(count) \(count == 1 ? "match" : "matches")")
        }
        var status: String
        if view.follow {
            let lag = stats.newest.map { max(0, now.timeIntervalSince($0)) }
            status = "▼ following" + (lag.map { " · newest \(Format.ago(now.addingTimeInterval(-$0), now: now)) ago" } ?? "")
        } else {
            let newer = lines.last.map { logs.lines(view.query, after: $0.sequence, limit: 10_000).count } ?? 0
            status = "‖ paused · \(newer >= 10_000 ? "10000+" : "\(newer)") newer lines below (F follows)"
        }
        // The follow state is always shown; the counts give way on a narrow terminal. A source
        // that does not work is said first.
        let statusX = rect.maxX - status.terminalWidth - 1
        var x = rect.x
        if let problem = stats.problems.first {
            let more = stats.problems.count > 1 ? " (+\(stats.problems.count - 1) more)" : ""
            x = screen.put(" ✗ " + problem + more + " ", x: x, y: rect.y, style: theme[.error], maxWidth: max(0, statusX - x - 1))
        }
        screen.put(" " + parts.joined(separator: " · "), x: x, y: rect.y, style: theme[.header], maxWidth: max(0, statusX - x - 1))
        screen.put(status, x: max(rect.x, statusX), y: rect.y, style: view.follow ? theme[.passing] : theme[.warning], maxWidth: rect.width)
    }

    static func drawHistogram(into screen: inout Screen, rect: Rect, state: AppState, logs: any LogSource, now: Date, theme: Theme) {
        let labelWidth = 10
        let columns = max(1, rect.width - labelWidth - 2)
        // The strip ends at the newest second and goes back one interval per column.
        let end = now.timeIntervalSince1970.rounded(.down) + 1
        let from = Date(timeIntervalSince1970: end - Double(columns * bucketSeconds))
        let buckets = logs.histogram(state.logView.query, from: from, bucket: .seconds(bucketSeconds), count: columns)
        let ascii = !state.unicodeGraphs
        let lines = buckets.map { Double($0.lines) }
        let bad = buckets.map { Double($0.errors > 0 ? $0.errors : $0.warnings) }
        screen.put("lines/\(bucketSeconds)s", x: rect.x + 1, y: rect.y + 1, style: theme[.label])
        screen.put("warn/err", x: rect.x + 1, y: rect.y + 2, style: theme[.label], maxWidth: labelWidth)
        let topLines = max(1, lines.max() ?? 1)
        let topBad = max(1, bad.max() ?? 1)
        for (index, bucket) in buckets.enumerated() {
            let x = rect.x + labelWidth + 1 + index
            if bucket.lines > 0 {
                screen.put(bar(Double(bucket.lines) / topLines, ascii: ascii), x: x, y: rect.y + 1, style: theme[.sparkline])
            }
            if bucket.errors > 0 {
                screen.put(ascii ? "!" : bar(Double(bucket.errors) / topBad, ascii: false), x: x, y: rect.y + 2, style: theme[.critical])
            } else if bucket.warnings > 0 {
                screen.put(ascii ? "w" : bar(Double(bucket.warnings) / topBad, ascii: false), x: x, y: rect.y + 2, style: theme[.warning])
            }
        }
    }

    static func bar(_ share: Double, ascii: Bool) -> String {
        let blocks = ascii ? [".", ":", "|", "#"] : ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let index = max(0, min(blocks.count - 1, Int((share * Double(blocks.count)).rounded(.up)) - 1))
        return blocks[index]
    }
}
