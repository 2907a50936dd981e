import Foundation
import Testing
import VitalsCore
import VitalsTesting
import VitalsUI

/// Panes drawn alone into a screen pre-filled with a marker, so stray or missing writes show.
@Suite struct PaneTests {
    let marker = Cell("·")

    @Test func servicesPaneWritesOnlyInsideItsRect() throws {
        let snapshot = try FixedSnapshot.ecommerceIncident()
        var screen = Screen(width: 80, height: 12, fill: marker)
        let rect = Rect(x: 0, y: 2, width: 80, height: 8)
        ServicesPane.draw(into: &screen, rect: rect, snapshot: snapshot, state: AppState(size: Size(width: 80, height: 24)), theme: .builtIn)
        ScreenSnapshot.check(screen, named: "services-pane-marker-80x12")
        let lines = screen.lines
        #expect(lines[0] == String(repeating: "·", count: 80))
        #expect(lines[1] == String(repeating: "·", count: 80))
        #expect(lines[10] == String(repeating: "·", count: 80))
        #expect(lines[2].hasPrefix(" SERVICE     NODE "), "SERVICE as wide as the longest name on screen, api-gateway")
    }

    @Test func theNodeViewShowsBreakerThresholdProgressFlappingAndPercentiles() throws {
        var snapshot = try FixedSnapshot.ecommerceIncident()
        let index = try #require(snapshot.services.firstIndex { $0.node == "orders-1" })
        snapshot.services[index].checks[0].progress = "2/3 failures toward critical"
        snapshot.services[index].checks[0].flapping = 61.7
        snapshot.services[index].checks[0].deregisterAt = snapshot.time.addingTimeInterval(240)
        snapshot.services[index].checks[0].latencies = (1...20).map { Double($0) }
        let node = try #require(snapshot.nodes.firstIndex { $0.name == "orders-1" })
        snapshot.nodes[node].breakerOpenedAt = snapshot.time.addingTimeInterval(-20)
        snapshot.nodes[node].breakerNextTry = snapshot.time.addingTimeInterval(12)
        var state = AppState(size: Size(width: 120, height: 60))
        state.detail = "orders-1"
        let lines = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn, timeZone: TimeZone(identifier: "UTC")!).lines
        #expect(lines.contains { $0.contains("⊘ breaker open since 09:59:40 · next try in 12s") })
        #expect(lines.contains { $0.contains("next     2/3 failures toward critical") })
        #expect(lines.contains { $0.contains("Consul would deregister this service in 4m") })
        #expect(lines.contains { $0.contains("flapping ⇅ its state changed in 62% of its last 21 results") })
        #expect(lines.contains { $0.contains("p50 10ms  p95 19ms  p99 20ms") })
    }

    @Test func hostileCheckOutputIsShownSafely() throws {
        var snapshot = try FixedSnapshot.ecommerceIncident()
        snapshot.services[0].status = .critical
        snapshot.services[0].checks[0].status = .critical
        snapshot.services[0].checks[0].output = "boom\u{1B}[2J\u{1B}]0;owned\u{07}\nline2"
        var screen = Screen(width: 120, height: 10)
        ServicesPane.draw(into: &screen, rect: screen.bounds, snapshot: snapshot, state: AppState(size: Size(width: 120, height: 10)), theme: .builtIn)
        let scalars = screen.cells.flatMap { $0.character.unicodeScalars }
        #expect(!scalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        #expect(screen.lines[1].contains("boom\u{FFFD}[2J\u{FFFD}]0;owned\u{FFFD}⏎line2"))
    }
}

@Suite struct AsciiGraphTests {
    @Test func withoutUnicodeGraphsAreASCII() throws {
        let snapshot = try FixedSnapshot.ecommerceIncident()
        var state = AppState(size: Size(width: 120, height: 40))
        state.pane = .nodes
        state.unicodeGraphs = false
        let nodes = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).text
        #expect(!nodes.contains("▇") && !nodes.contains("█"))
        #expect(nodes.contains("-") && nodes.contains("+"), "the CPU sparkline in ASCII")
        state.detail = "postgres-primary"
        let detail = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).text
        #expect(detail.contains("VITALS") && !detail.contains("█") && detail.contains("####"))
    }
}

/// Graphs share one scale where the quantity has one: CPU is 0–100 % on every row, so 17 %
/// never looks like 89 %; the node view marks its axes.
@Suite struct GraphScaleTests {
    @Test func cpuSparklinesAreOnOneFixedScale() {
        let low = Format.sparkline([0.10, 0.12, 0.17], width: 3, top: 1)
        let high = Format.sparkline([0.80, 0.85, 0.89], width: 3, top: 1)
        #expect(low == "▂▂▂" && high == "▇▇▇")
        #expect(Format.sparkline([0.10, 0.12, 0.17], width: 3) == "▅▆█", "without a scale a line is stretched to its own peak")
        #expect(Format.sparkline([.nan, -1, 7], width: 3, top: 1) == "·▁█", "odd values never trap")
    }

    @Test func theNodeViewLabelsItsAxesAndPeaks() throws {
        let snapshot = try FixedSnapshot.ecommerceIncident()
        var state = AppState(size: Size(width: 120, height: 40))
        state.detail = "web-1"
        let lines = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines
        #expect(lines.contains { $0.contains("cpu") && $0.hasSuffix("┤100%") || $0.contains(" ┤100%") })
        #expect(lines.contains { $0.contains(" ┤  0%") })
        #expect(lines.contains { $0.contains("← ") && $0.contains("scrapes ago") && $0.contains("now") })
        #expect(lines.contains { $0.contains("net in") && $0.contains("top ") })
    }

    /// A node whose scrape fails keeps its last numbers, dimmed and dated.
    @Test func staleNumbersAreMarked() throws {
        var snapshot = try FixedSnapshot.ecommerceIncident()
        snapshot.nodes[1].metrics.scrapeError = "connection refused"
        snapshot.nodes[1].metrics.scrapedAt = snapshot.time.addingTimeInterval(-42)
        var state = AppState(size: Size(width: 160, height: 40))
        state.pane = .nodes
        let screen = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn)
        let row = try #require(screen.lines.first { $0.contains("web-2 ") })
        #expect(row.contains("numbers stale 42s · web"), "web-1 is selected; web-2 is drawn in its own styles")
        let y = try #require(screen.lines.firstIndex(of: row))
        let cpuX = try #require(row.range(of: "21%")).lowerBound.utf16Offset(in: row)
        #expect(screen.cells[y * screen.width + cpuX].style == Theme.builtIn[.muted], "the old CPU figure is dimmed")
        state.detail = "web-2"
        let detail = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).text
        #expect(detail.contains("numbers stale 42s: the scrape fails, these are the last read"))
        snapshot.nodes[1].metrics.scrapeError = nil
        #expect(Format.stale(snapshot.nodes[1].metrics, now: snapshot.time) == nil)
    }
}

@Suite struct ScrapeLineTests {
    @Test func theNodeViewSaysWhetherTheScrapeIsUpAndWhatItRead() throws {
        var snapshot = try FixedSnapshot.ecommerceIncident()
        var state = AppState(size: Size(width: 120, height: 40))
        state.detail = "web-1"
        snapshot.nodes[0].metrics.scrapeSamples = 507
        snapshot.nodes[0].metrics.scrapeDurationMs = 3.2
        snapshot.nodes[0].metrics.scrapeWarning = "1 line(s) skipped; first: line 9, column 4: bad value 'x'"
        var text = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).text
        #expect(text.contains("scrape   up · 507 samples in 3.2ms  1 line(s) skipped; first: line 9, column 4: bad value 'x'"))
        snapshot.nodes[0].metrics.scrapeError = "dial tcp 127.0.1.10:9100: connection refused"
        text = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).text
        #expect(text.contains("scrape   down · dial tcp 127.0.1.10:9100: connection refused"))
        #expect(!text.contains("scrape   up"))
    }
}
