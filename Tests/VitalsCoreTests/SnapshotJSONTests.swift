import Foundation
import Testing
import VitalsCore
import VitalsTesting

@Suite struct SnapshotJSONTests {
    @Test func jsonHasTheDesignShape() throws {
        let snapshot = try FixedSnapshot.ecommerceIncident()
        let object = try #require(try JSONSerialization.jsonObject(with: snapshot.jsonData()) as? [String: Any])
        #expect(object["cluster"] as? String == "ecommerce")
        #expect(object["generation"] as? Int == 42)
        #expect(object["time"] as? String == "2026-11-26T10:00:00.000Z")
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        #expect(nodes.count == 21)
        let node = nodes[0]
        #expect(Set(node.keys).isSuperset(of: ["name", "address", "status", "services", "metrics"]))
        #expect((node["metrics"] as? [String: Any])?["cpu"] is Double)
        let services = try #require(object["services"] as? [[String: Any]])
        let postgres = try #require(services.first { $0["name"] as? String == "postgres" })
        #expect(postgres["status"] as? String == "critical")
        #expect(postgres["depends_on"] as? [String] == [])
        let check = try #require((postgres["checks"] as? [[String: Any]])?.first)
        #expect(Set(check.keys).isSuperset(of: ["name", "type", "status", "output", "latency_ms", "since"]))
        #expect(object["locks"] as? [Any] != nil)
        #expect(object["alerts"] as? [Any] != nil)
        // The contract's words (DESIGN.md), written out: not read from the code under test.
        let vocabulary: Set = ["passing", "warning", "critical", "unknown", "maintenance"]
        #expect(nodes.allSatisfy { vocabulary.contains($0["status"] as? String ?? "") })
    }

    @Test func jsonRoundTrips() throws {
        let snapshot = try FixedSnapshot.ecommerceIncident()
        #expect(try ClusterSnapshot.decode(json: snapshot.jsonData()) == snapshot)
    }

    @Test func textReportListsNodesAndChecks() throws {
        let report = try FixedSnapshot.ecommerceIncident().textReport
        #expect(report.hasPrefix("cluster ecommerce  generation 42  2026-11-26T10:00:00.000Z  nodes: 17 passing, 1 warning, 3 critical"))
        #expect(report.contains("  postgres-primary     127.0.1.26      critical "))
        #expect(report.contains("      http       critical  1000.0ms  HTTP GET http://127.0.1.26:8008/health: timed out after 1s"))
        #expect(!report.contains("CAPACITY"), "no section without policies")
    }

    /// The advice, headless: `vitals snapshot` over time shows replicas rise and fall.
    @Test func textReportListsTheCapacityAdvice() throws {
        var snapshot = try FixedSnapshot.ecommerceIncident()
        var advice = CapacityAdvice(
            service: "orders", current: 2, ready: 2, desired: 3, metric: "CPU", unit: "%", value: 86, target: 60, minReplicas: 2, maxReplicas: 8,
            reason: "orders: CPU 86% vs target 60% → 3 replicas (was 2)", history: [3], autoscale: false, canScale: true
        )
        advice.lastAction = "orders 3 → 2 by alice at 10:00:00: done"
        snapshot.capacity = [advice]
        let report = snapshot.textReport
        #expect(report.contains("\nCAPACITY\n  orders         2 → 3    2/2 ready  orders: CPU 86% vs target 60% → 3 replicas (was 2)\n      last: orders 3 → 2 by alice at 10:00:00: done\n"), "\(report)")
        // And in the JSON contract.
        let decoded = try ClusterSnapshot.decode(json: try snapshot.jsonData())
        #expect(decoded.capacity == [advice])
        #expect(String(decoding: try snapshot.jsonData(), as: UTF8.self).contains("\"min_replicas\" : 2"))
    }
}
