import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsTesting

/// Exec checks run real scripts: Nagios exit codes, captured and capped output, a process group
/// killed at the timeout, and no descriptor of Vitals' inherited.
@Suite struct ExecProbeTests {
    func check(_ argv: [String], timeout: Duration = .seconds(5)) -> CheckConfig {
        CheckConfig(name: "script", target: .exec(argv: argv), interval: .seconds(10), timeout: timeout)
    }

    func script(_ name: String) -> String { Fixtures.path("Tests/Fixtures/exec/\(name)") }

    @Test(arguments: [
        ("ok.sh", Status.passing, "exit 0: DISK OK - free space: / 42% (inode=90%)"),
        ("warn.sh", .warning, "exit 1: DISK WARNING - free space: / 12% ⏎ second line"),
        ("crit.sh", .critical, "exit 2: DISK CRITICAL - free space: / 2%"),
        ("unknown.sh", .critical, "exit 3: UNKNOWN - cannot stat /"),
    ])
    func exitCodesAreNagiosVerdicts(name: String, status: Status, output: String) async {
        let outcome = await ExecProbe().run(check([script(name)]))
        #expect(outcome.status == status)
        #expect(outcome.output == output)
        #expect(outcome.latency != nil)
    }

    @Test func argumentsArePassedAsTheyAreWithNoShell() async {
        // A shell would expand the glob and the variable; exec passes them through untouched.
        let outcome = await ExecProbe().run(check(["/bin/echo", "*", "$HOME", "a b"]))
        #expect(outcome.output == "exit 0: * $HOME a b")
        let missing = await ExecProbe().run(check(["/nonexistent/check_thing"]))
        #expect(missing.status == .critical)
        #expect(missing.output == "cannot run /nonexistent/check_thing: No such file or directory")
    }

    @Test func outputIsCappedAndMadeVisible() async {
        let chatty = await ExecProbe().run(check([script("chatty.sh")]))
        #expect(chatty.status == .passing)
        #expect(chatty.output.hasSuffix("…[cut at 4 KiB]"))
        #expect(chatty.output.count < 4_200)
        let hostile = await ExecProbe().run(check([script("hostile.sh")]))
        #expect(hostile.output == "exit 0: ␛]2;pwned␇ title? ␛[2J done")
    }

    @Test func aTimeoutKillsTheWholeProcessGroup() async throws {
        // (How soon it returns is not asserted: a loaded machine decides that, not the probe.)
        let outcome = await ExecProbe().run(check([script("forks.sh")], timeout: .seconds(1)))
        #expect(outcome.status == .critical)
        #expect(outcome.output.hasPrefix("timed out after 1s; killed its process group: child "))
        let child = try #require(Int32(outcome.output.split(separator: " ").last ?? ""))
        // The child it left behind is gone too (or a zombie waiting for its new parent).
        func state() -> Substring? { (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first }
        let deadline = ContinuousClock.now + .seconds(30)
        while let now = state(), now != "Z", ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let state = state()
        #expect(state == nil || state == "Z", "child \(child) is \(state ?? "?")")
    }

    @Test func theProgramInheritsOnlyTheStandardDescriptors() async throws {
        // An open socket and file of this process must not be visible to the program.
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        let perl = try #require(ExternalTool.path(of: "perl"))
        let outcome = await ExecProbe().run(check([perl, "-e", #"opendir D, "/proc/self/fd"; print join(" ", sort grep { !/^\./ } readdir D)"#]))
        // 0, 1 and 2, and the descriptor perl reads the folder with.
        #expect(outcome.output == "exit 0: 0 1 2 3")
    }

    @Test func anExecCheckInTheClusterFileRunsThroughTheEngine() async throws {
        let yaml = """
            cluster: scripts
            nodes:
              - name: box
                address: 127.0.0.1
                checks:
                  - { name: disk, exec: ["\(script("warn.sh"))"], interval: 1s, timeout: 1s }
                  - { name: bad, exec: "/bin/true --flag" }
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "s.yaml")
        #expect(result.diagnostics.map(\.description) == [
            "s.yaml:7:28: check 'bad' of node 'box': give 'exec' as a list of arguments, like [/usr/lib/nagios/plugins/check_disk, -w, 20%] (no shell runs it)",
        ])
        let good = try #require(ClusterConfigLoader.check(text: yaml.replacingOccurrences(of: "\n      - { name: bad, exec: \"/bin/true --flag\" }", with: ""), file: "s.yaml").config)
        let engine = Engine(config: good)
        let running = Task { await engine.run() }
        defer { running.cancel() }
        let seen = await engine.store.first(where: { $0.services.isEmpty && $0.nodes.first?.status == .warning }, timeout: .seconds(10))
        #expect(seen?.nodes.first?.checks.first?.output == "exit 1: DISK WARNING - free space: / 12% ⏎ second line")
        #expect(seen?.nodes.first?.checks.first?.type == "exec")
        running.cancel()
        await running.value
    }
}

/// `response_time_below` turns a slow pass into a warning for every check type, not only http.
@Suite struct ResponseTimeTests {
    @Test func aSlowExecPassIsAWarning() async {
        var check = CheckConfig(name: "slow", target: .exec(argv: ["/bin/sleep", "0.3"]), timeout: .seconds(5))
        check.responseTimeBelow = .milliseconds(100)
        let outcome = await ExecProbe().run(check)
        #expect(outcome.status == .warning)
        #expect(outcome.output.hasPrefix("exit 0 (took "))
        #expect(outcome.output.hasSuffix(", limit 100ms)"))
        check.responseTimeBelow = .seconds(3)
        #expect(await ExecProbe().run(check).status == .passing)
    }
}

/// Retries within one round: backoff between tries, and never past the interval.
@Suite struct RetryTests {
    func counter() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("vitals-retry-\(UUID().uuidString)").path }

    @Test func aCheckThatPassesOnTheThirdTryPassesAndSaysSo() async {
        let file = counter()
        defer { try? FileManager.default.removeItem(atPath: file) }
        var check = CheckConfig(name: "flaky", target: .exec(argv: [Fixtures.path("Tests/Fixtures/exec/third-time.sh"), file]), interval: .seconds(600), timeout: .seconds(30))
        check.retries = 3
        let outcome = await ExecProbe().run(check)
        #expect(outcome.status == .passing)
        #expect(outcome.output == "exit 0: up after 3 tries (try 3 of 4)")
    }

    @Test func retriesStopAtTheIntervalEvenWhenMoreAreAllowed() async {
        let file = counter()
        defer { try? FileManager.default.removeItem(atPath: file) }
        // Backoff 100, 200, 400 ms (±50 %): within a 250 ms interval at most two more tries fit.
        var check = CheckConfig(name: "down", target: .exec(argv: ["/bin/sh", "-c", "echo x >> \"$0\"; exit 2", file]), interval: .milliseconds(250), timeout: .seconds(2))
        check.retries = 8
        let outcome = await ExecProbe().run(check)
        #expect(outcome.status == .critical)
        let tries = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").count
        #expect(tries >= 1 && tries <= 3, "\(tries) tries")
    }
}
