import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsTesting
import VitalsUI

/// Wide terminals (160×48 and up) show services, alerts, locks and recent logs at once.
@Suite struct OverviewTests {
    let snapshot: ClusterSnapshot
    let store = LogStore()
    let utc = TimeZone(identifier: "UTC")!

    init() throws {
        var snapshot = try FixedSnapshot.ecommerceIncidentWithAlerts()
        snapshot.locks = try FixedSnapshot.ecommerceIncidentWithLocks().locks
        self.snapshot = snapshot
        store.append([
            LogStore.Line(LogEntry(level: .error, service: "orders", message: "request failed: db timeout after 2000ms"), node: "orders-1"),
            LogStore.Line(LogEntry(level: .warning, service: "postgres", message: "checkpoints are occurring too frequently"), node: "postgres-primary"),
        ], received: snapshot.time.addingTimeInterval(-5))
    }

    func render(_ state: AppState) -> Screen {
        DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn, timeZone: utc, logs: store)
    }

    @Test func at200x60EveryPartIsOnOneScreen() {
        let screen = render(AppState(size: Size(width: 200, height: 60)))
        ScreenSnapshot.check(screen, named: "overview-200x60")
        let text = screen.text
        for title in [" 1 Services · 21", " 4 Alerts · 4 firing, 3 unacked", " 3 Locks · 3, 1 in trouble", " 5 Logs · newest"] {
            #expect(text.contains(title), "\(title)")
        }
        #expect(text.contains("request failed: db timeout after 2000ms"), "recent logs")
        #expect(text.contains("orders-1 is down"), "the stale lock")
        #expect(text.contains("ServiceDown"), "the root alert")
        // Every service row fits: the services part is not cut at 21 rows.
        #expect(snapshot.services.allSatisfy { service in text.contains(service.node) })
    }

    @Test func keysActOnTheServicesAndZeroTogglesIt() {
        var state = AppState(size: Size(width: 160, height: 48))
        #expect(state.showsOverview)
        // Moving stays within the services part: 7 rows down selects the 8th service.
        for _ in 0..<7 { _ = state.reduce(.moveDown, snapshot: snapshot) }
        #expect(state.selectedServiceRow(in: snapshot)?.node == snapshot.services[7].node)
        #expect(state.visibleRows == Layout.Overview(content: Layout(size: state.size).content).services.height - 2)
        _ = state.reduce(.open, snapshot: snapshot)
        #expect(state.detail == snapshot.services[7].node && !state.showsOverview)
        _ = state.reduce(.back, snapshot: snapshot)
        #expect(state.showsOverview)
        _ = state.reduce(KeyMap.action(for: .character("0"), in: state) ?? .quit, snapshot: snapshot)
        #expect(!state.showsOverview && state.pane == .services)
        #expect(render(state).text.contains(" 4 Alerts · ") == false)
        // Too small for it: the Services pane alone, and `0` says why.
        var small = AppState(size: Size(width: 120, height: 40))
        #expect(!small.showsOverview)
        _ = small.reduce(.toggleOverview, snapshot: snapshot)
        _ = small.reduce(.toggleOverview, snapshot: snapshot)
        #expect(small.message == "the overview needs 160×48; this terminal is 120×40")
    }

    @Test func aClickSelectsTheServiceUnderIt() {
        var state = AppState(size: Size(width: 200, height: 60))
        let list = state.listRect
        _ = state.reduce(.click(x: 3, y: list.y + 1 + 4, open: false), snapshot: snapshot)
        #expect(state.selectedServiceRow(in: snapshot)?.node == snapshot.services[4].node)
    }
}
