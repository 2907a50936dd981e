import Foundation
import Testing
import VitalsTesting

/// What an attacker's report found, on the release binary: every case ends with a clear error
/// (or the right verdict) and the exit status a script can trust, never a crash or a hang.
@Suite struct HardeningEndToEndTests {
    let vitals = VitalsBinary.path

    func file(_ text: String, name: String = "cluster.yaml") throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-hard-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func cluster(expression: String) -> String {
        """
        cluster: x
        nodes: [ { name: a, address: 127.0.0.1, services: [ { name: web, checks: [ { name: h, tcp: "127.0.0.1:1" } ] } ] } ]
        alerts:
          - name: Deep
            expr: '\(expression)'
        """
    }

    /// 100,000 `(` and 50,000 `-` once took `validate` (139) and the dashboard down.
    @Test(arguments: [String(repeating: "(", count: 100_000) + "node_up" + String(repeating: ")", count: 100_000), String(repeating: "-", count: 50_000) + "node_up"])
    func deepExpressionsAreAnErrorWithTheirPlace(expression: String) throws {
        let path = try file(cluster(expression: expression))
        let result = try Run.process(vitals, ["validate", path], timeout: 60)
        #expect(result.status == 1, "\(result.stderr.prefix(300))")
        #expect(result.stderr.contains("\(path):5:") && result.stderr.contains("the expression nests deeper than 100 levels"), "\(result.stderr.prefix(300))")
    }

    @Test func anAliasBombAsAKeyIsRefusedAtOnce() throws {
        var yaml = "cluster: x\nbomb:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 { yaml += "  l\(level): &l\(level) [\(Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", "))]\n" }
        yaml += "  keys: { *l9 : 1, *l8 : 2 }\nnodes: []\n"
        let path = try file(yaml)
        let result = try Run.process(vitals, ["validate", path], timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(path):13:11: an alias (*l9) may not be a mapping key"), "\(result.stderr)")
    }

    @Test func aNamedPipeAndAnIntervalOf1nsAreErrors() throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-fifo-\(UUID().uuidString).yaml").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let piped = try Run.process(vitals, ["validate", fifo], timeout: 30)
        #expect(piped.status == 1)
        #expect(piped.stderr.contains("this is a named pipe (FIFO), not a file"))
        let fast = try file("cluster: x\nnodes: [ { name: a, address: 127.0.0.1, services: [ { name: web, checks: [ { name: h, tcp: \"127.0.0.1:1\", interval: 1ns } ] } ] } ]\n")
        let tooFast = try Run.process(vitals, ["validate", fast], timeout: 30)
        #expect(tooFast.status == 1)
        #expect(tooFast.stderr.contains("is 1ns, shorter than the shortest taken, 100ms"))
    }

    /// `(a+)+b` over 23 `a`s held `snapshot --wait 3` for 45 s and more.
    @Test func aBacktrackingBodyRegexIsJudgedWithinTheWait() async throws {
        let server = try await CannedServer.start(answer: Array("HTTP/1.1 200 OK\r\nContent-Length: 23\r\n\r\n\(String(repeating: "a", count: 23))".utf8), close: true)
        let path = try file("""
            cluster: x
            nodes:
              - name: a
                address: \(server.host)
                services: [ { name: web, checks: [ { name: body, http: "\(server.url)", body_regex: "(a+)+b", timeout: 2s } ] } ]
            """)
        let started = Date()
        let result = try Run.process(vitals, ["snapshot", path, "--wait", "3", "--format", "json", "--no-sim", "--state", path + ".state"], timeout: 40)
        let took = Date().timeIntervalSince(started)
        await server.stop()
        #expect(result.stdout.contains("body does not match /(a+)+b/"), "\(result.stdout.prefix(400)) \(result.stderr.prefix(300))")
        #expect(took < 30, "the wait is a few seconds, not the regex's: \(took) s")
    }

    @Test func aThemeNameIsNeverEchoedRaw() throws {
        let result = try Run.process(vitals, ["--theme", "x\u{1B}]2;pwned\u{07}", "--no-sim"], timeout: 30)
        #expect(result.status != 0)
        #expect(!result.stderr.contains("\u{1B}") && !result.stderr.contains("\u{07}"), "\(result.stderr.debugDescription)")
    }

    @Test func anotherProgramsDatabaseIsNotTakenAsTheStateFile() throws {
        let sqlite = try #require(ExternalTool.path(of: "sqlite3"), "sqlite3 is needed (scripts/test installs it)")
        let path = try file("", name: "app.db")
        unlink(path)
        _ = try Run.process(sqlite, [path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY);"])
        let served = try Run.process(vitals, ["serve", Fixtures.sampleCluster("minimal"), "--no-sim", "--listen", "\(TestCluster.uniqueAddress()):7070", "--state", path], timeout: 60)
        #expect(served.status == 1)
        #expect(served.stderr.contains("an SQLite file of another program (tables: invoices)"), "\(served.stderr)")
        let tables = try Run.process(sqlite, [path, ".tables"]).stdout.split(whereSeparator: \.isWhitespace)
        #expect(tables == ["invoices"])
    }
}

/// The release binary copied alone into an empty folder, as a user installs it: the demo, the
/// themes and `vitals demo --write` work with nothing beside it.
/// (In the serialized end-to-end suite: the demo's loopback addresses are one at a time.)
extension EndToEndTests {
    @Test func theBinaryAloneRunsTheDemoAndHasItsThemes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-alone-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/home", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let binary = folder + "/vitals"
        try FileManager.default.copyItem(atPath: VitalsBinary.path, toPath: binary)
        let environment = ["HOME": folder + "/home", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "xterm-256color"]
        let themes = try Run.process("/bin/sh", ["-c", "cd \(folder) && ./vitals themes"], environment: environment)
        let names = themes.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(Set(names).isSuperset(of: ["default", "light", "mono", "solarized-dark", "high-contrast"]), "\(themes.stdout) \(themes.stderr)")
        let written = try Run.process("/bin/sh", ["-c", "cd \(folder) && ./vitals demo --write out"], environment: environment)
        #expect(written.status == 0, "\(written.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/out/sample-clusters/ecommerce.yaml"))
        #expect(FileManager.default.fileExists(atPath: folder + "/out/themes/light.yaml"))
        let again = try Run.process("/bin/sh", ["-c", "cd \(folder) && ./vitals demo --write out"], environment: environment)
        #expect(again.stderr.contains("is there already; left alone"))
        let validated = try Run.process("/bin/sh", ["-c", "cd \(folder) && ./vitals validate out/sample-clusters/ecommerce.yaml out/sample-clusters/minimal.yaml"], environment: environment)
        #expect(validated.status == 0, "\(validated.stderr)")
        #expect(validated.stdout.contains("ok: cluster 'ecommerce'"), "\(validated.stdout)")
        let session = try TmuxSession(width: 120, height: 40)
        defer { session.close() }
        try session.run("cd \(folder) && HOME=\(folder)/home ./vitals --state \(folder)/state.sqlite; echo EXITED:$?")
        try session.waitFor("web-1", "● passing")
        try session.press("q")
        try session.waitFor("EXITED:0")
    }
}
