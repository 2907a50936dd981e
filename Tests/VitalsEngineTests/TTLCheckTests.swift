import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsTesting

/// ttl checks: passing only while heartbeats arrive, sent over the engine's control socket.
@Suite(.serialized) struct TTLCheckTests {
    @Test func heartbeatsKeepTheCheckUpAndItExpiresWithoutThem() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-ttl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let socket = folder + "/control.sock"
        let config = ClusterConfig(name: "t", nodes: [
            NodeConfig(name: "db-1", address: "127.0.0.1", services: [ServiceConfig(name: "db", checks: [
                // A TTL of 3 s: the passing window must outlast a publish on a loaded machine.
                CheckConfig(name: "beat", target: .ttl(.seconds(3)), interval: .milliseconds(200)),
            ])]),
        ])
        var options = Engine.Options()
        options.controlSocket = socket
        options.firstRunsWithin = .milliseconds(50)
        // A socket left behind by a crash (bound, never unlinked) is replaced.
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        Self.leaveStaleSocket(at: socket)
        let engine = Engine(config: config, options: options)
        let running = Task { await engine.run() }
        defer { running.cancel() }
        let waiting = try #require(await engine.store.first(where: { $0.services[0].checks[0].hasResult }, timeout: .seconds(10)))
        #expect(waiting.services[0].checks[0].status == .critical)
        #expect(waiting.services[0].checks[0].output == "no heartbeat yet (TTL 3s): vitals ttl pass db-1/db/beat")
        #expect(try ControlClient.send("ping", to: socket) == "pong")
        #expect(try ControlClient.send("ttl pass db-1/db/beat migrations done", to: socket) == "ok db-1/db/beat passing")
        let up = await engine.store.first(where: { $0.services[0].checks[0].status == .passing }, timeout: .seconds(30))
        #expect(up?.services[0].checks[0].output == "migrations done")
        // No more heartbeats: critical once the TTL passes.
        let expired = await engine.store.first(where: { $0.services[0].checks[0].status == .critical }, timeout: .seconds(30))
        #expect(expired?.services[0].checks[0].output.hasPrefix("TTL expired: last heartbeat") == true)
        #expect(try ControlClient.send("ttl warn beat disk 91%", to: socket) == "ok db-1/db/beat warning")
        #expect(try ControlClient.send("ttl pass nope", to: socket) == "error: no ttl check 'nope' (ttl checks: db-1/db/beat)")
        #expect(try ControlClient.send("ttl maybe beat", to: socket) == "error: ttl takes pass, warn or fail, not 'maybe'")
        // A second instance on the same socket is refused, and says why.
        let second = Engine(config: config, options: options)
        let other = Task { await second.run() }
        // A generous bound: the answer, not the clock, is under test (a loaded CI run took over 5 s).
        let refused = await second.store.first(where: { $0.stateProblem != nil }, timeout: .seconds(30))
        #expect(refused?.stateProblem?.contains("another vitals uses this state file and listens on") == true)
        other.cancel()
        await other.value
        running.cancel()
        await running.value
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket goes when the engine stops")
        #expect(throws: ControlClient.Problem.self) { try ControlClient.send("ping", to: socket) }
    }

    /// A socket bound and closed without unlinking, as a crash leaves it.
    static func leaveStaleSocket(at path: String) {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            path.utf8CString.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(raw.count - 1))) }
        }
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(descriptor)
    }

    /// What is at the socket's path and is not a socket is never deleted; the problem is said
    /// and stays said while it stands, whatever else the state file does.
    @Test func aFileWhereTheSocketGoesIsLeftAloneAndTheWarningStays() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-ttl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let socket = folder + "/state.sqlite.sock"
        try "notes the user keeps\n".write(toFile: socket, atomically: false, encoding: .utf8)
        let store = try AlertStateStore(path: folder + "/state.sqlite")
        let config = ClusterConfig(name: "t", nodes: [
            NodeConfig(name: "db-1", address: "127.0.0.1", services: [ServiceConfig(name: "db", checks: [
                CheckConfig(name: "beat", target: .ttl(.seconds(1)), interval: .milliseconds(200)),
            ])]),
        ])
        var options = Engine.Options()
        options.controlSocket = socket
        let engine = Engine(config: config, options: options, state: (store, try store.load()))
        let running = Task { await engine.run() }
        let said = await engine.store.first(where: { $0.stateProblem != nil }, timeout: .seconds(30))
        #expect(said?.stateProblem?.contains("exists and is not a socket; it is left alone") == true)
        // A write to the state file that succeeds (a silence) does not clear what the socket said.
        let silence = try engine.silence(matching: ["node": "db-1"], for: .seconds(60), by: "ann", comment: "a write that works")
        _ = await engine.store.first(where: { $0.silences.contains { $0.id == silence.id } }, timeout: .seconds(10))
        #expect(engine.store.latest.stateProblem?.contains("is not a socket") == true)
        running.cancel()
        await running.value
        #expect(try String(contentsOfFile: socket, encoding: .utf8) == "notes the user keeps\n")
        let long = folder + "/" + String(repeating: "d", count: 120) + ".sock"
        var longOptions = Engine.Options()
        longOptions.controlSocket = long
        let other = Engine(config: config, options: longOptions)
        let again = Task { await other.run() }
        let tooLong = await other.store.first(where: { $0.stateProblem != nil }, timeout: .seconds(30))
        #expect(tooLong?.stateProblem?.contains("too long for a socket") == true)
        again.cancel()
        await again.value
    }
}
