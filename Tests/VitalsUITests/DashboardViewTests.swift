import Foundation
import Testing
import VitalsCore
import VitalsTesting
import VitalsUI

/// Whole screens rendered from a fixed snapshot and compared as text.
@Suite struct DashboardViewTests {
    let snapshot: ClusterSnapshot
    let utc = TimeZone(identifier: "UTC")!
    let faults = ["down", "slow", "errors", "flapping", "heal"].map { MenuItem(name: $0, summary: "does \($0)") }

    init() throws { snapshot = try FixedSnapshot.ecommerceIncident() }

    func render(_ state: AppState, theme: Theme = .builtIn) -> Screen {
        DashboardView.render(snapshot: snapshot, state: state, theme: theme, timeZone: utc)
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func servicesPane(width: Int, height: Int) {
        let screen = render(AppState(size: Size(width: width, height: height)))
        ScreenSnapshot.check(screen, named: "services-\(width)x\(height)")
    }

    /// At 80×24 every pane keeps its name, its status and the column that says why; the least
    /// needed columns go, and the row count never overwrites a title.
    @Test(arguments: [
        (Pane.services, ["SERVICE", "NODE", "STATUS", "OUTPUT"], "500 Internal Server"),
        (.nodes, ["NODE", "STATUS", "CPU", "MEM", "SERVICES"], "api-gateway-1"),
        (.locks, ["STATUS", "LOCK", "HOLDER", "HELD", "TTL", "WAITING", "WHY"], "orders-1 is down"),
        (.alerts, ["SEV", "ALERT", "WHERE", "WHAT"], "root cause of 3"),
    ])
    func everyPaneKeepsItsWhyAt80x24(pane: Pane, titles: [String], reason: String) throws {
        var state = AppState(size: Size(width: 80, height: 24))
        state.pane = pane
        var snapshot = try FixedSnapshot.ecommerceIncidentWithAlerts()
        snapshot.locks = try FixedSnapshot.ecommerceIncidentWithLocks().locks
        let lines = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn, timeZone: utc).lines
        let header = lines[2].split(separator: " ").map(String.init)
        for title in titles { #expect(header.contains(title), "\(pane): \(title) missing from \(lines[2])") }
        #expect(lines.dropFirst(3).contains { $0.contains(reason) }, "\(pane): \(reason)\n\(lines.joined(separator: "\n"))")
    }

    @Test func aRefusedReloadShowsItsErrorsWrappedUntilAKey() throws {
        var state = AppState(size: Size(width: 80, height: 24))
        #expect(KeyMap.action(for: .character("r"), in: state) == .reload)
        #expect(state.reduce(.reload, snapshot: snapshot) == .reload)
        #expect(state.message == "reloading the cluster file…")
        let long = "shop.yaml:13:79: bad duration 'often' for 'interval' in a check of service 'disk' on node 'db-1': use a number and a unit (ms, s, m, h), like 500ms or 5s"
        state.overlay = .report(title: "Reload refused: the running config is kept", lines: ["shop.yaml:3:7: unknown key 'nodez'", long])
        let lines = render(state).text.split(separator: "\n").map(String.init)
        let inside = lines.compactMap { line -> String? in
            guard let open = line.firstIndex(of: "│"), let close = line.lastIndex(of: "│"), open < close else { return nil }
            return line[line.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        // Every character of the long line is on screen, the continuation indented by two.
        #expect(inside.first == "shop.yaml:3:7: unknown key 'nodez'")
        #expect(inside.dropFirst().joined(separator: " ").replacingOccurrences(of: "  ", with: " ") == long)
        #expect(lines.contains { $0.contains("Reload refused: the running config is kept") })
        #expect(KeyMap.action(for: .character("x"), in: state) == .back)
        _ = state.reduce(.back, snapshot: snapshot)
        #expect(state.overlay == nil)
    }

    @Test func aLostServerIsABannerOverTheTabsAndTheDataIsDatedNotLive() {
        var state = AppState(size: Size(width: 120, height: 40))
        state.connection = "disconnected since 10:42:07, retrying in 4 s (connection refused)"
        let lines = render(state).text.split(separator: "\n").map(String.init)
        let clock = Format.clock(snapshot.time, timeZone: utc)
        #expect(lines[1].replacing(#/ +$/#, with: "") == " ✗ disconnected since 10:42:07, retrying in 4 s (connection refused) · data as of \(clock)")
        #expect(!lines[1].contains("1 Services"), "the banner replaces the tabs while it stands")
        // Live again: the tabs come back.
        state.connection = nil
        #expect(render(state).text.split(separator: "\n").map(String.init)[1].contains("1 Services"))
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func nodesPane(width: Int, height: Int) {
        var state = AppState(size: Size(width: width, height: height))
        _ = state.reduce(.showPane(.nodes), snapshot: snapshot)
        ScreenSnapshot.check(render(state), named: "nodes-\(width)x\(height)")
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func nodeDetail(width: Int, height: Int) {
        var state = AppState(size: Size(width: width, height: height))
        state.selection[.services] = "postgres-primary/postgres"
        _ = state.reduce(.open, snapshot: snapshot)
        #expect(state.detail == "postgres-primary")
        ScreenSnapshot.check(render(state), named: "detail-postgres-\(width)x\(height)")
    }

    @Test func helpOverlay() {
        var state = AppState(size: Size(width: 80, height: 24))
        _ = state.reduce(.toggleHelp, snapshot: snapshot)
        ScreenSnapshot.check(render(state), named: "help-80x24")
    }

    @Test func faultMenu() {
        var state = AppState(size: Size(width: 80, height: 24), faultMenuItems: faults)
        _ = state.reduce(.moveDown, snapshot: snapshot)
        _ = state.reduce(.openFaultMenu, snapshot: snapshot)
        _ = state.reduce(.moveDown, snapshot: snapshot)
        #expect(state.overlay == .faultMenu(node: "web-2", selected: 1))
        ScreenSnapshot.check(render(state), named: "fault-menu-80x24")
    }

    @Test(arguments: [(59, 24), (80, 14), (30, 5)])
    func tooSmallTerminalSaysSo(width: Int, height: Int) {
        let screen = render(AppState(size: Size(width: width, height: height)))
        let text = screen.text
        #expect(text.contains("Terminal too small: \(width)×\(height)".truncated(toWidth: width).trimmingCharacters(in: .whitespaces)))
        #expect(!text.contains("SERVICE"))
    }

    @Test func filteredAndPausedStatus() {
        var state = AppState(size: Size(width: 80, height: 24))
        for character in "post" { _ = state.reduce(.filterInput(character), snapshot: snapshot) }
        _ = state.reduce(.filterCommit, snapshot: snapshot)
        _ = state.reduce(.togglePause, snapshot: snapshot)
        let screen = render(state)
        ScreenSnapshot.check(screen, named: "filtered-paused-80x24")
    }

    @Test func everyThemeRendersTheSameTextInItsOwnStyles() throws {
        let (themes, failures) = ThemeLoader.loadAll(directory: Fixtures.path("themes"))
        #expect(failures.isEmpty)
        #expect(Set(themes.map(\.name)).isSuperset(of: ["default", "light", "mono"]))
        let state = AppState(size: Size(width: 80, height: 24))
        let plain = render(state).text
        let lines = plain.split(separator: "\n", omittingEmptySubsequences: false)
        let critical = try #require(lines.firstIndex { $0.contains("✖ critical") })
        // Everything left of the glyph is ASCII, one column per character.
        let row = lines[critical]
        let x = row.distance(from: row.startIndex, to: try #require(row.firstIndex(of: "✖")))
        var seen: Set<[Style]> = []
        for theme in themes {
            let screen = render(state, theme: theme)
            #expect(screen.text == plain, "theme \(theme.name)")
            // Each role lands where it belongs: the status bar, the table header, a critical cell.
            #expect(screen[3, 0].style == theme[.statusBarAccent], "theme \(theme.name): status bar")
            #expect(screen[x, critical].style == theme[.critical], "theme \(theme.name): critical status")
            #expect(screen[1, 2].style == theme[.header], "theme \(theme.name): table header")
            seen.insert([screen[3, 0].style, screen[x, critical].style, screen[1, 2].style])
        }
        #expect(seen.count == themes.count, "every theme looks different")
    }
}

/// The status bar says what it counts, and counts what the pane lists; the Alerts tab says how
/// many fire; a click on a tab still lands on the tab it shows.
@Suite struct HeaderAndTabCountsTests {
    @Test func theCountsAreOfWhatThePaneLists() throws {
        var snapshot = try FixedSnapshot.ecommerceIncidentWithAlerts()
        // A second instance on one node, critical: services and nodes now count differently.
        var extra = snapshot.services[0]
        extra.name = "sidecar"
        extra.status = .critical
        snapshot.services.append(extra)
        let services = snapshot.serviceCounts[.critical] ?? 0
        let nodes = snapshot.nodeCounts[.critical] ?? 0
        #expect(services != nodes)
        var state = AppState(size: Size(width: 120, height: 40))
        var header = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines[0]
        #expect(header.contains("services") && header.contains("✖ \(services) critical"), "\(header)")
        state.pane = .nodes
        header = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines[0]
        #expect(header.contains("nodes") && header.contains("✖ \(nodes) critical"), "\(header)")
        let firing = snapshot.alertCounts.firing
        #expect(firing > 0)
        let tabs = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines[1]
        #expect(tabs.contains(" 4 Alerts \(firing) "), "\(tabs)")
        let logsAt = Array(tabs).firstIndex(of: "5")!
        #expect(Layout.tab(at: logsAt, firing: firing) == .logs)
        #expect(Layout.tab(at: logsAt - 3, firing: firing) == .alerts)
    }
}
