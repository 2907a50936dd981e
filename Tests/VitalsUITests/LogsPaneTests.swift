import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsTesting
import VitalsUI

/// The Logs pane as text: interleaved lines, the histogram strip, follow and pause, search,
/// filters, jumps to and from the node view, and hostile text made harmless.
@Suite struct LogsPaneTests {
    let snapshot: ClusterSnapshot
    let store = LogStore()
    let utc = TimeZone(identifier: "UTC")!

    init() throws {
        snapshot = try FixedSnapshot.ecommerceIncident()
        let now = snapshot.time
        func line(_ node: String, _ service: String, _ level: LogLevel, _ text: String) -> LogStore.Line {
            LogStore.Line(LogEntry(level: level, service: service, message: text), node: node)
        }
        store.append([
            line("postgres-primary", "postgres", .info, "checkpoint starting: time"),
            line("orders-1", "orders", .warning, "slow query: 930ms"),
        ], received: now.addingTimeInterval(-95))
        store.append([
            line("orders-1", "orders", .error, "request failed: db timeout after 2000ms"),
            line("payments-1", "payments", .error, "upstream orders: Timeout"),
        ], received: now.addingTimeInterval(-42))
        store.append([
            line("web-1", "web", .info, "\u{1B}]2;pwned\u{07}\u{1B}[2J cleared? \u{202E}gnp.exe"),
            line("cart-1", "cart", .info, "注文 OK: café\u{301} é ✓ and a long tail that goes on past the edge of the pane for sure, really"),
        ], received: now.addingTimeInterval(-3))
    }

    func state(width: Int = 120, height: Int = 16) -> AppState {
        var state = AppState(size: Size(width: width, height: height))
        state.pane = .logs
        return state
    }

    func render(_ state: AppState) -> Screen {
        DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn, timeZone: utc, logs: store)
    }

    /// The rows of log lines that are not blank (between the histogram strip and the footer).
    func shown(_ state: AppState) -> [String] {
        render(state).lines.dropFirst(5).dropLast().filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// Connections the listeners refused at their cap or cut for slowness are said in the header.
    @Test func theHeaderSaysWhatTheListenersRefused() {
        #expect(!render(state()).lines[2].contains("refused"), "nothing is said while nothing happened")
        store.setConnections(refused: 19_744, cut: 3)
        let header = render(state(width: 160)).lines[2]
        #expect(header.contains("19744 connections refused (cap) · 3 cut (too slow)"), "\(header)")
    }

    @Test func linesFromEveryNodeUnderAHistogramWithHostileTextMadeVisible() {
        let screen = render(state())
        ScreenSnapshot.check(screen, named: "logs-pane-120x16")
        let lines = screen.lines
        #expect(lines[1].contains(" 5 Logs "))
        #expect(lines[2].contains("6 lines") && lines[2].contains("▼ following"))
        #expect(lines[3].hasPrefix(" lines/10s"))
        #expect(lines[4].hasPrefix(" warn/err"))
        // Errors 42 s ago and a warning 95 s ago stand out in the strip before any line is read.
        let strip = Array(lines[4])
        #expect(strip.filter { "▁▂▃▄▅▆▇█".contains($0) }.count == 2)
        let shown = self.shown(state())
        #expect(shown.count == 6)
        #expect(shown.map { $0.contains("postgres-primary") || $0.contains("orders-1") || $0.contains("payments-1") || $0.contains("web-1") || $0.contains("cart-1") }.allSatisfy { $0 })
        #expect(shown.contains { $0.contains("ERROR") && $0.contains("request failed: db timeout after 2000ms") })
        #expect(shown.contains { $0.contains("WARN") && $0.contains("slow query: 930ms") })
        // The title change, the clear screen and the direction override arrive as visible text.
        #expect(shown.contains { $0.contains("␛]2;pwned␇␛[2J cleared? ⟦U+202E⟧gnp.exe") })
        // Wide and combining characters are measured: every row is exactly the screen's width,
        // and the cut line says it goes on.
        #expect(lines.allSatisfy { $0.terminalWidth == 120 }, "\(lines.map(\.terminalWidth))")
        #expect(shown.last?.hasSuffix("›") == true)
        #expect(screen.lines.joined().unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) && $0.value != 0x202E })
    }

    @Test func movingUpPausesNewLinesWaitAndFFollowsAgain() {
        var state = state()
        let snapshot = self.snapshot
        _ = state.reduce(.moveUp, snapshot: snapshot, logs: store)
        #expect(!state.logView.follow)
        var lines = render(state).lines
        // The newest line is still on screen: nothing is hidden below yet.
        #expect(lines[2].contains("‖ paused · 0 newer lines below (F follows)"))
        // The selected line (reversed on screen) is the one before the newest.
        #expect(state.selectedLogLine(store)?.message.hasPrefix("␛]2;pwned") == true)
        store.append([LogStore.Line(LogEntry(message: "arrives while paused"), node: "web-1")], received: snapshot.time)
        lines = render(state).lines
        #expect(lines[2].contains("1 newer lines below"))
        #expect(!lines.contains { $0.contains("arrives while paused") }, "a paused view does not move")
        #expect(KeyMap.action(for: .character("F"), in: state) == .followLogs)
        _ = state.reduce(.followLogs, snapshot: snapshot, logs: store)
        lines = render(state).lines
        #expect(lines[2].contains("▼ following"))
        #expect(lines.contains { $0.contains("arrives while paused") })
    }

    @Test func searchHighlightsCountsAndJumps() {
        var state = state()
        let snapshot = self.snapshot
        #expect(KeyMap.action(for: .character("/"), in: state) == .startLogSearch)
        _ = state.reduce(.startLogSearch, snapshot: snapshot, logs: store)
        for character in "timeout" { _ = state.reduce(.promptInput(character), snapshot: snapshot, logs: store) }
        _ = state.reduce(.promptCommit, snapshot: snapshot, logs: store)
        #expect(state.logView.search == .substring("timeout"))
        var screen = render(state)
        #expect(screen.lines[2].contains("search timeout: 2 matches"))
        // Matches are reversed, so they show without colour.
        let row = screen.lines.firstIndex { $0.contains("db timeout after") }!
        let column = Array(screen.lines[row]).firstIndex(of: "t")!
        let start = screen.lines[row].range(of: "timeout")!.lowerBound.utf16Offset(in: screen.lines[row])
        #expect(screen[start, row].style.attributes.contains(.reverse))
        _ = column
        _ = state.reduce(.previousMatch, snapshot: snapshot, logs: store)
        #expect(state.selectedLogLine(store)?.message == "upstream orders: Timeout")
        _ = state.reduce(.previousMatch, snapshot: snapshot, logs: store)
        #expect(state.selectedLogLine(store)?.message == "request failed: db timeout after 2000ms")
        // Past the first match, N wraps to the last (as less and vim do), and says so.
        _ = state.reduce(.previousMatch, snapshot: snapshot, logs: store)
        #expect(state.message == "search wrapped to the last match")
        #expect(state.selectedLogLine(store)?.message == "upstream orders: Timeout")
        _ = state.reduce(.nextMatch, snapshot: snapshot, logs: store)
        #expect(state.message == "search wrapped to the first match")
        #expect(state.selectedLogLine(store)?.message == "request failed: db timeout after 2000ms")
        // A regex between slashes; a bad one is refused with the reason and the prompt stays.
        // `/` opens empty, not with the last search.
        _ = state.reduce(.startLogSearch, snapshot: snapshot, logs: store)
        #expect(state.prompt?.text == "")
        state.prompt?.text = "/([0-9]+ms/"
        _ = state.reduce(.promptCommit, snapshot: snapshot, logs: store)
        #expect(state.prompt != nil)
        #expect(state.message == "not a regex taken here: '(' is not closed (at character 1)")
        state.prompt?.text = "/[0-9]{3,4}ms/"
        _ = state.reduce(.promptCommit, snapshot: snapshot, logs: store)
        screen = render(state)
        #expect(screen.lines[2].contains("search /[0-9]{3,4}ms/: 2 matches"))
        _ = state.reduce(.back, snapshot: snapshot, logs: store)
        #expect(state.logView.search == nil)
    }

    @Test func filtersByLevelNodeAndServiceAndClear() {
        var state = state()
        let snapshot = self.snapshot
        _ = state.reduce(.cycleLogLevel, snapshot: snapshot, logs: store)
        var shown = self.shown(state)
        #expect(shown.count == 3)
        #expect(render(state).lines[2].contains("level ≥ WARN"))
        _ = state.reduce(.cycleLogLevel, snapshot: snapshot, logs: store)
        shown = self.shown(state)
        #expect(shown.count == 2 && shown.allSatisfy { $0.contains("ERROR") })
        // o keeps the selected (here: newest) line's node only.
        _ = state.reduce(.toggleNodeFilter, snapshot: snapshot, logs: store)
        #expect(state.logView.nodes == ["payments-1"])
        shown = self.shown(state)
        #expect(shown.count == 1)
        _ = state.reduce(.clearLogFilters, snapshot: snapshot, logs: store)
        _ = state.reduce(.toggleServiceFilter, snapshot: snapshot, logs: store)
        #expect(state.logView.services == ["cart"])
        _ = state.reduce(.back, snapshot: snapshot, logs: store)
        #expect(state.logView.filterWords.isEmpty)
    }

    @Test func enterOpensTheLinesNodeAndLShowsANodesLogs() {
        var state = state()
        let snapshot = self.snapshot
        _ = state.reduce(.moveUp, snapshot: snapshot, logs: store)
        _ = state.reduce(.moveUp, snapshot: snapshot, logs: store)
        _ = state.reduce(.open, snapshot: snapshot, logs: store)
        #expect(state.detail == "payments-1")
        #expect(KeyMap.action(for: .character("L"), in: state) == .showNodeLogs)
        _ = state.reduce(.showNodeLogs, snapshot: snapshot, logs: store)
        #expect(state.detail == nil && state.pane == .logs)
        #expect(state.logView.nodes == ["payments-1"])
        let shown = self.shown(state)
        #expect(shown.count == 1 && shown[0].contains("upstream orders: Timeout"))
        // esc goes back where L came from: the node view, the Logs' own filter as it was.
        #expect(KeyMap.action(for: .escape, in: state) == .back)
        _ = state.reduce(.back, snapshot: snapshot, logs: store)
        #expect(state.detail == "payments-1")
        #expect(state.logView.nodes == nil)
        // Chosen by hand, the Logs pane has no way back to remember.
        _ = state.reduce(.showPane(.logs), snapshot: snapshot, logs: store)
        _ = state.reduce(.back, snapshot: snapshot, logs: store)
        #expect(state.detail == nil && state.pane == .logs)
    }

    @Test func aClickSelectsALineAndADoubleClickOpensItsNode() {
        var state = state()
        let snapshot = self.snapshot
        // Rows: tabs at 1, header 2, strip 3–4, lines from 5 (the third line is on row 7).
        #expect(state.reduce(.click(x: 20, y: 7, open: false), snapshot: snapshot, logs: store) == nil)
        #expect(!state.logView.follow)
        #expect(state.selectedLogLine(store)?.message == "request failed: db timeout after 2000ms")
        _ = state.reduce(.click(x: 20, y: 8, open: true), snapshot: snapshot, logs: store)
        #expect(state.detail == "payments-1")
        // Below the last line, nothing happens.
        var fresh = self.state()
        _ = fresh.reduce(.click(x: 20, y: 13, open: false), snapshot: snapshot, logs: store)
        #expect(fresh.logView.follow)
    }

    @Test func wrapShowsTheWholeLineAndSidewaysScrollShowsItsTail() {
        var state = state()
        let snapshot = self.snapshot
        _ = state.reduce(.toggleWrap, snapshot: snapshot, logs: store)
        var lines = render(state).lines
        #expect(lines.contains { $0.contains("for sure, really") })
        #expect(lines.allSatisfy { $0.terminalWidth == 120 })
        _ = state.reduce(.toggleWrap, snapshot: snapshot, logs: store)
        _ = state.reduce(.scrollRight, snapshot: snapshot, logs: store)
        _ = state.reduce(.scrollRight, snapshot: snapshot, logs: store)
        lines = render(state).lines
        #expect(lines.contains { $0.contains("really") })
    }

    @Test func aSourceThatDoesNotWorkIsSaidFirst() {
        store.setProblem("syslog", "syslog listener: bind(127.0.0.1:5514): Address already in use")
        let header = render(state()).lines[2]
        #expect(header.hasPrefix(" ✗ syslog listener: bind(127.0.0.1:5514): Address already in use  6 lines"), "\(header)")
        #expect(header.contains("▼ following"))
    }

    @Test func withoutLogsThePaneSaysSo() {
        let lines = DashboardView.render(snapshot: snapshot, state: state(), theme: .builtIn).lines
        #expect(lines.contains { $0.contains("No logs are kept here.") })
        let empty = DashboardView.render(snapshot: snapshot, state: state(), theme: .builtIn, logs: LogStore()).lines
        #expect(empty.contains { $0.contains("No log lines yet.") })
    }
}
