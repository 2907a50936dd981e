import Foundation
import Testing
import VitalsCore
import VitalsTesting
import VitalsUI

/// The Capacity pane as text, its tab (shown only with policies), and `S` asking before it
/// scales.
@Suite struct CapacityPaneTests {
    let utc = TimeZone(identifier: "UTC")!

    func snapshot() throws -> ClusterSnapshot {
        var snapshot = try FixedSnapshot.ecommerceIncident()
        var orders = CapacityAdvice(
            service: "orders", current: 2, ready: 2, desired: 3, metric: "CPU", unit: "%", value: 86, target: 60, minReplicas: 2, maxReplicas: 8,
            reason: "orders: CPU 86% vs target 60% → 3 replicas (was 2)", history: [2, 2, 2, 3, 3], autoscale: false, canScale: true
        )
        orders.lastAction = nil
        var cart = CapacityAdvice(
            service: "cart", current: 3, ready: 3, desired: 3, metric: "CPU", unit: "%", value: 58.4, target: 60, minReplicas: 2, maxReplicas: 8,
            reason: "cart: CPU 58.4% vs target 60% is within ±10%: stays at 3", history: [2, 3, 3, 3], autoscale: true, canScale: true
        )
        cart.lastAction = "cart 2 → 3 by autoscale at 10:00:00: done (started 1: cart-4)"
        snapshot.capacity = [cart, orders]
        return snapshot
    }

    @Test func theAdviceWithItsReasonAndHistory() throws {
        var state = AppState(size: Size(width: 160, height: 16))
        _ = state.reduce(.showPane(.capacity), snapshot: try snapshot())
        let screen = DashboardView.render(snapshot: try snapshot(), state: state, theme: .builtIn, timeZone: utc)
        ScreenSnapshot.check(screen, named: "capacity-pane-160x16")
        let lines = screen.lines
        #expect(lines[1].contains("6 Capacity 1"), "the tab counts the advice that wants a change: \(lines[1])")
        // The change first.
        #expect(lines[3].contains("orders") && lines[3].contains("2 → 3 ▲") && lines[3].contains("→ 3 replicas (was 2)"))
        #expect(lines[4].contains("cart") && lines[4].contains("autoscale") && lines[4].contains("last: cart 2 → 3 by autoscale"))
    }

    @Test func theTabIsShownOnlyWithPolicies() throws {
        let without = try FixedSnapshot.ecommerceIncident()
        let state = AppState(size: Size(width: 120, height: 16))
        #expect(!DashboardView.render(snapshot: without, state: state, theme: .builtIn, timeZone: utc).lines[1].contains("Capacity"))
        #expect(DashboardView.render(snapshot: try snapshot(), state: state, theme: .builtIn, timeZone: utc).lines[1].contains("6 Capacity"))
    }

    @Test func sAsksFirstAndEnterScalesToTheAdvice() throws {
        let snapshot = try snapshot()
        var state = AppState(size: Size(width: 120, height: 30))
        _ = state.reduce(.showPane(.capacity), snapshot: snapshot)
        #expect(KeyMap.action(for: .character("S"), in: state) == .scale)
        #expect(state.reduce(.scale, snapshot: snapshot) == nil)
        #expect(state.prompt?.title == "scale orders 2 → 3 · enter confirms, or type a count: ")
        #expect(state.reduce(.promptCommit, snapshot: snapshot) == .alert(.scale(service: "orders", replicas: 3)))
        // Another count, typed.
        _ = state.reduce(.scale, snapshot: snapshot)
        _ = state.reduce(.promptInput("5"), snapshot: snapshot)
        #expect(state.reduce(.promptCommit, snapshot: snapshot) == .alert(.scale(service: "orders", replicas: 5)))
        // Not a number: said, and the prompt stays.
        _ = state.reduce(.scale, snapshot: snapshot)
        _ = state.reduce(.promptInput("x"), snapshot: snapshot)
        #expect(state.reduce(.promptCommit, snapshot: snapshot) == nil)
        #expect(state.message == "a count of replicas, like 3 (or nothing for the advice)")
    }
}
