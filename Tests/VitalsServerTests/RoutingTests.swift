import Foundation
import Testing
import VitalsCore
@testable import VitalsServer
import VitalsTesting
import Yams

/// The route table, the body reader, the event-stream parser and the snapshot deltas: pure parts.
@Suite struct RoutingTests {
    @Test(arguments: [
        ("GET", "/v1/snapshot", "/v1/snapshot", [:]),
        ("GET", "/v1/nodes/cart-1", "/v1/nodes/{name}", ["name": "cart-1"]),
        ("POST", "/v1/alerts/abc123/ack", "/v1/alerts/{fingerprint}/ack", ["fingerprint": "abc123"]),
        ("PUT", "/v1/checks/orders-1/orders/heartbeat/ttl", "/v1/checks/{id...}/ttl", ["id": "orders-1/orders/heartbeat"]),
        ("PUT", "/v1/checks/orders-1%2Forders%2Fheartbeat/ttl", "/v1/checks/{id...}/ttl", ["id": "orders-1/orders/heartbeat"]),
        ("PUT", "/v1/checks/beat/ttl", "/v1/checks/{id...}/ttl", ["id": "beat"]),
        ("DELETE", "/v1/nodes/db%201/maintenance", "/v1/nodes/{name}/maintenance", ["name": "db 1"]),
    ] as [(String, String, String, [String: String])])
    func routesMatchWithTheirParameters(method: String, path: String, pattern: String, parameters: [String: String]) throws {
        let (route, bound) = try APIRouter.match(method: method, path: path).get()
        #expect(route.pattern == pattern)
        #expect(bound == parameters)
    }

    @Test func anUnknownPathIs404AndAWrongMethod405WithAllow() {
        guard case .failure(let missing) = APIRouter.match(method: "GET", path: "/v1/nodes") else { Issue.record("matched"); return }
        #expect(missing.code == .notFound)
        guard case .failure(let wrong) = APIRouter.match(method: "DELETE", path: "/v1/logs") else { Issue.record("matched"); return }
        #expect(wrong.code == .methodNotAllowed)
        #expect(wrong.headers.contains { $0.0 == "Allow" && $0.1 == "GET, POST" })
        guard case .failure(let empty) = APIRouter.match(method: "PUT", path: "/v1/checks//ttl") else { Issue.record("matched"); return }
        #expect(empty.code == .notFound)
    }

    @Test func queriesAreSplitAndDecoded() {
        let (path, query) = APIRequest.split(target: "/v1/logs?node=a,b&q=time%20out&passing&level=warn&q2=x+y")
        #expect(path == "/v1/logs")
        #expect(query == ["node": "a,b", "q": "time out", "passing": "", "level": "warn", "q2": "x y"])
    }

    @Test func eventsAreParsedHoweverTheBytesAreCut() throws {
        let stream = ": ping\n\nid: 7\nevent: delta\ndata: {\"a\":1}\n\nevent: alert\r\ndata: one\r\ndata: two\r\n\r\n: ping\n\n"
        let bytes = Array(stream.utf8)
        for cut in 1..<bytes.count {
            var parser = EventStreamParser()
            let events = try parser.feed(bytes[..<cut]) + parser.feed(bytes[cut...])
            #expect(events == [
                EventStreamClient.Event(name: "delta", data: Array("{\"a\":1}".utf8)),
                EventStreamClient.Event(name: "alert", data: Array("one\ntwo".utf8)),
            ], "cut at \(cut)")
        }
    }

    @Test func aDeltaAppliedToItsBaseGivesTheNewSnapshot() throws {
        let old = try FixedSnapshot.ecommerceIncident()
        var new = old
        new.generation += 1
        new.time = old.time.addingTimeInterval(1)
        new.services[2].status = .critical
        new.services[2].checks[0].output = "connection refused"
        new.nodes[4].metrics.cpu = 0.99
        new.nodes[6].recentLogs.append("GET /health 200")
        new.services[5].checks.removeLast()
        new.services[7].checks[0].latencies.append(1.5)
        new.stateProblem = "disk full"
        let delta = try #require(SnapshotDelta(from: old, to: new))
        #expect(delta.services.map(\.index) == [2, 5, 7])
        #expect(delta.nodes.map(\.index) == [4, 6])
        #expect(delta.nodes[1].metricsChanged == false, "unchanged metrics are not sent")
        #expect(delta.services[2].checks.changes.map(\.index) == [0], "only the check that changed")
        #expect(delta.services[2].checks.changes[0].latencies.add == [1.5], "only the latency added")
        #expect(delta.alerts == nil, "unchanged sections are not sent")
        let decoded = try SnapshotDelta.decode(json: delta.jsonData())
        let applied = try #require(decoded.applied(to: old))
        // Times travel as text with millisecond precision: compare what the wire carries.
        #expect(try applied.jsonData() == new.jsonData())
        // Applied to any other generation, it refuses.
        var other = old
        other.generation += 5
        #expect(decoded.applied(to: other) == nil)
    }

    @Test func aSnapshotWithOtherNodesHasNoDelta() throws {
        let old = try FixedSnapshot.ecommerceIncident()
        var fewer = old
        fewer.nodes.removeLast()
        #expect(SnapshotDelta(from: old, to: fewer) == nil)
        var reordered = old
        reordered.services.swapAt(0, 1)
        #expect(SnapshotDelta(from: old, to: reordered) == nil)
    }

    @Test func tokensAreComparedWhole() {
        let token = Array("0123456789abcdef0123".utf8)
        #expect(APIConnectionHandler.authorized(["authorization": "Bearer 0123456789abcdef0123"], token: token))
        #expect(APIConnectionHandler.authorized(["x-consul-token": "0123456789abcdef0123"], token: token))
        #expect(!APIConnectionHandler.authorized(["authorization": "Bearer 0123456789abcdef012"], token: token))
        #expect(!APIConnectionHandler.authorized(["authorization": "Bearer 0123456789abcdef01234"], token: token))
        #expect(!APIConnectionHandler.authorized(["authorization": "Basic 0123456789abcdef0123"], token: token))
        #expect(!APIConnectionHandler.authorized([:], token: token))
    }

    /// docs/openapi.yaml lists exactly the routes the router serves, and exactly its error codes.
    @Test func theOpenAPIDocumentMatchesTheRouter() throws {
        let text = try String(contentsOfFile: Fixtures.path("docs/openapi.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(document["paths"] as? [String: Any])
        var documented = Set<String>()
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where ["get", "put", "post", "delete", "patch"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let served = Set(APIRouter.routes.map { "\($0.method) \($0.openAPIPath)" })
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let error = try #require(schemas["Error"] as? [String: Any])
        let codes = try #require(((error["properties"] as? [String: Any])?["error"] as? [String: Any])?["enum"] as? [String])
        #expect(Set(codes) == Set(APIError.Code.allCases.map(\.rawValue)))
    }
}
