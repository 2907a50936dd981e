import Foundation
import Testing
import VitalsCore
import VitalsEngine
@testable import VitalsServer
import VitalsTesting

/// A backend that takes registrations: the engine is rebuilt with them, as `vitals serve` does.
final class RegisteringBackend: APIBackend {
    let registering: RegisteringEngine

    var engine: Engine { registering.runner.engine }
    var services: ServiceRegistry { registering.registry }
    var registry: ServiceRegistry? { registering.registry }
    func reloadCluster() async -> APIReload { APIReload(summary: "nothing to reload in a test") }

    init(config: ClusterConfig, store: AlertStateStore? = nil, limit: Int = 100) throws {
        var options = Engine.Options()
        options.publishInterval = .milliseconds(50)
        var config = config
        config.maxRegistrations = limit
        registering = RegisteringEngine(config: config, options: options, persisted: try store.map { store in (store: store, loaded: try store.load()) })
    }

    func stop() async { await registering.stopAndWait() }
}

/// What a raw HTTP exchange gave: the status, headers (names in lower case) and body.
struct RawAnswer {
    var status: Int
    var headers: [String: String]
    var body: String

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }
    var consulIndex: UInt64 { UInt64(headers["x-consul-index"] ?? "") ?? 0 }
}

/// One request on a fresh connection, read to its end, on a thread of its own: a blocking read
/// on one of the (on two cores, two) threads of Swift's pool would starve the server under test.
func exchange(_ server: APIServer, _ method: String, _ target: String, body: String = "") async throws -> RawAnswer {
    let (host, port) = (server.host, server.port)
    return try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try blockingExchange(host: host, port: port, method, target, body: body) })
        }
    }
}

func blockingExchange(host: String, port: Int, _ method: String, _ target: String, body: String) throws -> RawAnswer {
    let socket = try RawSocket(host: host, port: port)
    socket.send("\(method) \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
    let text = socket.readToEnd() ?? ""
    let parts = text.components(separatedBy: "\r\n\r\n")
    let head = parts.first?.components(separatedBy: "\r\n") ?? []
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
    return RawAnswer(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
}

/// Runs `body` against a server whose backend takes registrations; stops everything after.
func withRegisteringServer<T: Sendable>(
    _ config: ClusterConfig, store: AlertStateStore? = nil, limit: Int = 100, _ body: (APIServer, RegisteringBackend) async throws -> T
) async throws -> T {
    let backend = try RegisteringBackend(config: config, store: store, limit: limit)
    let server = try APIServer(configuration: APIServer.Configuration(host: TestCluster.uniqueAddress(), port: 0), backend: backend, log: .silent)
    try await server.start()
    do {
        let result = try await body(server, backend)
        await server.stop()
        await backend.stop()
        return result
    } catch {
        await server.stop()
        await backend.stop()
        throw error
    }
}

/// Consul's agent, catalog and health endpoints on real sockets, in front of an engine that runs
/// the registered services' checks.
@Suite struct RegistrationTests {
    /// One file node with a ttl check: nothing to probe, so the tests run on any machine.
    static func fileCluster() -> ClusterConfig {
        var check = CheckConfig(name: "heartbeat", target: .ttl(.seconds(3600)))
        check.interval = .milliseconds(200)
        var config = ClusterConfig(name: "Reg Test", nodes: [NodeConfig(name: "db-1", address: "127.0.0.1", services: [ServiceConfig(name: "db", port: 5432, checks: [check])])])
        config.defaults = CheckDefaults(interval: .milliseconds(200), timeout: .milliseconds(200))
        return config
    }

    static func instances(_ answer: RawAnswer) -> [String] {
        ((answer.json as? [[String: Any]]) ?? []).compactMap { ($0["Service"] as? [String: Any])?["ID"] as? String }.sorted()
    }

    @Test func aTTLServiceIsFoundPassingOnceItHeartbeats() async throws {
        try await withRegisteringServer(Self.fileCluster()) { server, backend in
            // As python-consul sends it: lower-case keys, no address.
            let registered = try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"name": "api", "id": "api-1", "port": 9000, "tags": ["v2"], "check": {"ttl": "30s"}}"#)
            #expect(registered.status == 200)
            #expect(Self.instances(try await exchange(server, "GET", "/v1/health/service/api?passing=1")) == [])
            #expect(try await exchange(server, "GET", "/v1/agent/check/pass/service:api-1?note=ready").status == 200)
            await waitUntil(seconds: 5) { backend.engine.store.latest.services.first { $0.node == "api-1" }?.status == .passing }
            let health = try await exchange(server, "GET", "/v1/health/service/api?passing=1")
            let entry = try #require((health.json as? [[String: Any]])?.first)
            let service = try #require(entry["Service"] as? [String: Any])
            // No address given: the caller's.
            #expect(service["Address"] as? String == "127.0.0.1")
            #expect(service["Port"] as? Int == 9000)
            #expect(service["Tags"] as? [String] == ["v2"])
            let check = try #require((entry["Checks"] as? [[String: Any]])?.first)
            #expect(check["CheckID"] as? String == "service:api-1")
            #expect(check["Status"] as? String == "passing")
            #expect(check["Output"] as? String == "ready")
            #expect(health.headers["x-consul-knownleader"] == "true")
            #expect(health.consulIndex > 0)
            // The snapshot shows it as a node of its own, registered by the caller.
            let node = try #require(backend.engine.store.latest.nodes.first { $0.name == "api-1" })
            #expect(node.registered?.by == "127.0.0.1")
            // The file's instances are in the catalog too, with node/service IDs.
            let catalog = try #require(try await exchange(server, "GET", "/v1/catalog/services").json as? [String: [String]])
            #expect(catalog == ["db": [], "api": ["v2"]])
            #expect(Self.instances(try await exchange(server, "GET", "/v1/health/service/db")) == ["db-1/db"])
            let me = try #require(try await exchange(server, "GET", "/v1/agent/self").json as? [String: [String: String]])
            #expect(me["Config"]?["Datacenter"] == "reg-test")
        }
    }

    @Test func aBlockingQueryWaitsForAChangeAndWakesWithIt() async throws {
        try await withRegisteringServer(Self.fileCluster()) { server, _ in
            let first = try await exchange(server, "GET", "/v1/health/service/web")
            #expect(first.status == 200 && Self.instances(first) == [])
            let index = first.consulIndex
            // Nothing changes: it answers when the wait ends, with the same index.
            let started = ContinuousClock.now
            let unchanged = try await exchange(server, "GET", "/v1/health/service/web?index=\(index)&wait=1s")
            #expect(ContinuousClock.now - started >= .milliseconds(900))
            #expect(unchanged.consulIndex == index)
            // A registration wakes it long before its 60 s wait.
            let waiting = Task { try await exchange(server, "GET", "/v1/health/service/web?index=\(index)&wait=60s") }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"Name": "web", "ID": "web-9", "Check": {"TTL": "1m"}}"#).status == 200)
            let woken = try await waiting.value
            #expect(woken.consulIndex > index)
            #expect(Self.instances(woken) == ["web-9"])
            #expect(try await exchange(server, "GET", "/v1/health/service/web?index=x").status == 400)
        }
    }

    @Test func collisionsLimitsAndUnknownIDsAreRefusedWithTheReason() async throws {
        try await withRegisteringServer(Self.fileCluster(), limit: 2) { server, _ in
            let taken = try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"Name": "db", "ID": "db-1"}"#)
            #expect(taken.status == 409)
            #expect(taken.body.contains("ID 'db-1' is a node of the cluster file"))
            for id in ["a", "b"] {
                #expect(try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"Name": "x", "ID": "\#(id)"}"#).status == 200)
            }
            let full = try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"Name": "x", "ID": "c"}"#)
            #expect(full.status == 429)
            #expect(full.body.contains("registration_limit"))
            // Registering an ID again replaces it, limit or not.
            #expect(try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"Name": "y", "ID": "b"}"#).status == 200)
            let sameCheck = try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"Name": "x", "ID": "a", "Check": {"CheckID": "shared", "TTL": "1m"}}"#)
            #expect(sameCheck.status == 200)
            let stolen = try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"Name": "y", "ID": "b", "Check": {"CheckID": "shared", "TTL": "1m"}}"#)
            #expect(stolen.status == 409 && stolen.body.contains("CheckID 'shared' is already a check of registration 'a'"))
            #expect(try await exchange(server, "PUT", "/v1/agent/service/deregister/nope").status == 404)
            let fromFile = try await exchange(server, "PUT", "/v1/agent/service/deregister/db-1/db")
            #expect(fromFile.status == 409 && fromFile.body.contains("defined by the cluster file"))
            #expect(try await exchange(server, "GET", "/v1/agent/service/deregister/a").status == 200)
            let services = try #require(try await exchange(server, "GET", "/v1/agent/services").json as? [String: Any])
            #expect(services.keys.sorted() == ["b", "db-1/db"])
            let bad = try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"Name": "x", "Chek": {}}"#)
            #expect(bad.status == 400 && bad.body.contains("unknown_field") && bad.body.contains("did you mean 'Check'?"))
            let notTTL = try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"Name": "t", "ID": "a", "Check": {"TCP": "127.0.0.1:1"}}"#)
            #expect(notTTL.status == 200)
            #expect(try await exchange(server, "PUT", "/v1/agent/check/pass/service:a").status == 400)
        }
    }

    @Test func aServiceCriticalPastDeregisterCriticalServiceAfterIsDeregisteredAndSaid() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try AlertStateStore(path: "\(folder)/state.sqlite")
        try await withRegisteringServer(Self.fileCluster(), store: store) { server, backend in
            // Nothing listens on port 1.
            let body = #"{"Name": "gone", "ID": "gone-1", "Check": {"TCP": "127.0.0.1:1", "Interval": "200ms", "Timeout": "200ms", "DeregisterCriticalServiceAfter": "3s"}}"#
            #expect(try await exchange(server, "PUT", "/v1/agent/service/register", body: body).status == 200)
            // Shown for at least the 3 s it may stay critical (a loaded run once missed a 1 s window).
            await waitUntil(seconds: 30) { backend.engine.store.latest.nodes.contains { $0.name == "gone-1" } }
            #expect(backend.engine.store.latest.nodes.contains { $0.name == "gone-1" })
            await waitUntil(seconds: 30) { backend.services.registration(id: "gone-1") == nil && !backend.engine.store.latest.nodes.contains { $0.name == "gone-1" } }
            #expect(backend.services.registration(id: "gone-1") == nil)
            let said = try #require(backend.engine.store.latest.alertHistory.first { $0.name == "Deregistered" })
            #expect(said.node == "gone-1")
            #expect(said.summary == "gone-1 deregistered: check 'tcp' critical longer than DeregisterCriticalServiceAfter 3s")
            let journal = try store.journal()
            #expect(journal.map(\.action).suffix(2) == ["register", "deregister"])
            #expect(journal.last?.who == "vitals")
        }
    }

    @Test func registrationsSurviveARestartFromTheStateFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/state.sqlite"
        try await withRegisteringServer(Self.fileCluster(), store: try AlertStateStore(path: path)) { server, backend throws in
            #expect(try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"Name": "cache", "ID": "cache-1", "Tags": ["hot"], "Check": {"TTL": "1m"}}"#).status == 200)
            #expect(try await exchange(server, "PUT", "/v1/agent/service/register", body: #"{"Name": "cache", "ID": "cache-2", "Check": {"TTL": "1m"}}"#).status == 200)
            #expect(try await exchange(server, "PUT", "/v1/agent/service/deregister/cache-2").status == 200)
            await waitUntil(seconds: 5) { backend.services.isApplied }
        }
        // Another process on the same state file.
        try await withRegisteringServer(Self.fileCluster(), store: try AlertStateStore(path: path)) { server, backend throws in
            #expect(backend.services.all.map(\.id) == ["cache-1"])
            #expect(backend.services.registration(id: "cache-1")?.tags == ["hot"])
            #expect(backend.engine.config.nodes.map(\.name) == ["db-1", "cache-1"])
            #expect(Self.instances(try await exchange(server, "GET", "/v1/health/service/cache")) == ["cache-1"])
        }
    }
}
