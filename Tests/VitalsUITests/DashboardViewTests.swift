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

    @Test func everyThemeRendersTheSameText() throws {
        let (themes, failures) = ThemeLoader.loadAll(directory: Fixtures.path("themes"))
        #expect(failures.isEmpty)
        let state = AppState(size: Size(width: 80, height: 24))
        let plain = render(state).text
        for theme in themes { #expect(render(state, theme: theme).text == plain, "theme \(theme.name)") }
    }
}
