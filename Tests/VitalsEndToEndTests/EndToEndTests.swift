import Foundation
import Testing
import VitalsTesting

/// The real `vitals` binary in a real terminal (tmux) and on the command line. Serialized:
/// the demo binds the same loopback addresses each time.
@Suite(.serialized, .enabled(if: ExternalTool.available("tmux", package: "tmux")))
struct EndToEndTests {
    let vitals = VitalsBinary.path

    /// Starts the demo in a fresh terminal (with a state file of its own, never the user's).
    func startDemo(width: Int = 120, height: Int = 40, arguments: String = "") throws -> TmuxSession {
        let session = try TmuxSession(width: width, height: height)
        let state = Self.temporaryStatePath()
        try session.run("cd \(Fixtures.repositoryRoot.path) && \(vitals) --state \(state) \(arguments); echo EXITED:$?")
        return session
    }

    static func temporaryStatePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("vitals-e2e-\(UUID().uuidString)/state.sqlite").path
    }

    @Test func demoShowsLiveServicesDrillsInInjectsAFaultAndQuitsCleanly() throws {
        let session = try startDemo()
        defer { session.close() }
        try session.waitFor("cart", "passing", "SERVICE")
        #expect(try session.alternateScreen())
        // The first row is web-1: open it.
        try session.press("Enter")
        let detail = try session.waitFor("CHECKS", "web/http", "SERVICES")
        #expect(detail.contains("Services › web-1"))
        // Break it from the fault menu and watch Vitals notice.
        try session.press("f")
        try session.waitFor("Inject a fault into web-1")
        try session.press("1")
        let broken = try session.waitFor("web-1 critical", timeout: 20) { screen in
            screen.contains("fault: down") && screen.contains("web-1  127.0.1.10  ✖ critical") && screen.contains("connection refused")
        }
        #expect(broken.contains("web/port"))
        try session.press("f")
        try session.waitFor("Inject a fault into web-1")
        try session.press("6")  // heal, after the five faults
        try session.waitFor("web-1 passing again", timeout: 20) { $0.contains("web-1  127.0.1.10  ● passing") }
        try session.press("Escape")
        try session.waitFor("1 Services", "SINCE")
        try session.press("q")
        let after = try session.waitFor("EXITED:0", "PROMPT$")
        #expect(try session.alternateScreen() == false)
        #expect(!after.contains("SERVICE "), "the dashboard should be gone from the normal screen")
    }

    @Test func theBinaryUnderTestIsTheReleaseBuildInCI() {
        if ExternalTool.isCI { #expect(VitalsBinary.isRelease, "scripts/test sets VITALS_BINARY to the release build; got \(vitals)") }
        #expect(FileManager.default.isExecutableFile(atPath: vitals))
    }

    @Test(arguments: [("TERM", 143), ("HUP", 129), ("INT", 130), ("QUIT", 131)])
    func terminationSignalsRestoreTheTerminal(signal: String, status: Int) throws {
        let session = try startDemo()
        defer { session.close() }
        try session.waitFor("web-1", "● passing")
        let shell = try session.shellPID()
        let kill = try Run.process("/usr/bin/pkill", ["-\(signal)", "-P", String(shell)])
        #expect(kill.status == 0)
        try session.waitFor("EXITED:\(status)", "PROMPT$")
        #expect(try session.alternateScreen() == false)
    }

    @Test func controlCInTheTerminalQuits() throws {
        let session = try startDemo()
        defer { session.close() }
        try session.waitFor("web-1", "● passing")
        try session.press("C-c")
        try session.waitFor("EXITED:130", "PROMPT$")
        #expect(try session.alternateScreen() == false)
    }

    @Test func controlZSuspendsAndFgBringsTheDashboardBack() throws {
        let session = try TmuxSession(width: 120, height: 40)
        defer { session.close() }
        try session.run("cd \(Fixtures.repositoryRoot.path)")
        try session.run(vitals)
        try session.waitFor("web-1", "● passing")
        try session.press("C-z")
        try session.waitFor("Stopped", "PROMPT$")
        #expect(try session.alternateScreen() == false, "a suspended dashboard gives the screen back")
        try session.run("fg")
        try session.waitFor("the dashboard again") { $0.contains("SERVICE") && $0.contains("web-1") && !$0.contains("Stopped") }
        #expect(try session.alternateScreen())
        try session.press("q")
        try session.waitFor("the prompt after quitting") { $0.contains("PROMPT$") && !$0.contains("SERVICE ") }
        #expect(try session.alternateScreen() == false)
    }

    /// NO_COLOR (no-color.org): the dashboard draws with attributes only, no colour at all.
    @Test func noColorMeansNoColour() throws {
        let session = try TmuxSession(width: 120, height: 40)
        defer { session.close() }
        let state = Self.temporaryStatePath()
        try session.run("cd \(Fixtures.repositoryRoot.path) && NO_COLOR=1 \(vitals) --state \(state); echo EXITED:$?")
        try session.waitFor("web-1", "● passing")
        let styled = try session.captureWithStyles()
        // Every SGR sequence's parameters: 30–38, 40–48, 90–97, 100–107 set a colour (39 and 49
        // put back the default: not a colour).
        let sequences = styled.matches(of: /\x1B\[([0-9;]*)m/).map { String($0.output.1) }
        let colours = sequences.filter { sequence in
            sequence.split(separator: ";").compactMap { Int($0) }.contains { (30...38).contains($0) || (40...48).contains($0) || (90...97).contains($0) || (100...107).contains($0) }
        }
        #expect(colours.isEmpty, "colours were sent: \(colours.prefix(5))")
        #expect(styled.contains("\u{1B}["), "attributes are still drawn")
        try session.press("q")
        try session.waitFor("EXITED:0")
    }

    /// COLORTERM=truecolor: the theme's own colours, as 38;2;R;G;B (light's accent is #005f87);
    /// without it the nearest of 256.
    @Test func truecolorDrawsTheThemesExactColours() throws {
        let session = try TmuxSession(width: 120, height: 40)
        defer { session.close() }
        let state = Self.temporaryStatePath()
        try session.run("cd \(Fixtures.repositoryRoot.path) && COLORTERM=truecolor \(vitals) --theme light --state \(state); echo EXITED:$?")
        try session.waitFor("web-1", "● passing")
        let direct = try session.captureWithStyles()
        #expect(direct.contains("8;2;0;95;135m"), "the accent in 24 bits: \(direct.prefix(400))")
        #expect(!direct.contains("8;5;"), "no 256-colour index")
        try session.press("q")
        try session.waitFor("EXITED:0")
        try session.run("clear; \(vitals) --theme light --state \(state); echo EXITED:$?")
        try session.waitFor("web-1", "● passing")
        let indexed = try session.captureWithStyles()
        #expect(indexed.contains("8;5;24m"), "#005f87 is xterm-256 colour 24")
        #expect(!indexed.contains("8;2;"))
        try session.press("q")
        try session.waitFor("EXITED:0")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("vitals-terminfo-") }
        #expect(leftovers.isEmpty, "the compiled terminfo entry is removed: \(leftovers)")
    }

    /// A terminal whose background is white (tmux answers OSC 11 from its window style) starts
    /// with the light theme and says so; `--theme` still wins.
    @Test func aLightTerminalStartsWithTheLightTheme() throws {
        let session = try TmuxSession(width: 120, height: 40)
        defer { session.close() }
        try session.setBackground("#ffffff")
        let state = Self.temporaryStatePath()
        try session.run("cd \(Fixtures.repositoryRoot.path) && \(vitals) --state \(state); echo EXITED:$?")
        try session.waitFor("light terminal background: theme light")
        try session.waitFor("web-1", "● passing")
        try session.press("q")
        try session.waitFor("EXITED:0")
        try session.run("clear; \(vitals) --theme default --state \(state); echo EXITED:$?")
        try session.waitFor("web-1", "● passing")
        #expect(try !session.capture().contains("light terminal background"))
        try session.press("q")
        try session.waitFor("EXITED:0")
    }

    /// `bg` continues the dashboard without the terminal: it waits, stopped, for `fg` (it once
    /// took the missing terminal for a hang-up and ended with 129).
    @Test func bgThenFgKeepsTheDashboard() throws {
        let session = try TmuxSession(width: 120, height: 40)
        defer { session.close() }
        try session.run("cd \(Fixtures.repositoryRoot.path)")
        try session.run(vitals)
        try session.waitFor("web-1", "● passing")
        try session.press("C-z")
        try session.waitFor("Stopped", "PROMPT$")
        try session.run("bg")
        try session.run("sleep 2; jobs; echo JOBS-LISTED")
        let listed = try session.waitFor("JOBS-LISTED") { $0.contains("\nJOBS-LISTED") }
        #expect(!listed.contains("Done") && !listed.contains("Exit"), "the backgrounded dashboard must not end: \(listed.suffix(300))")
        try session.run("fg")
        try session.waitFor("the dashboard again") { $0.contains("SERVICE") && $0.contains("web-1") && !$0.contains("Stopped") }
        try session.press("q")
        try session.waitFor("the prompt after quitting") { $0.contains("PROMPT$") && !$0.contains("SERVICE ") }
        try session.run("echo STATUS:$?")
        try session.waitFor("STATUS:0")
    }

    /// Closing the terminal (the window, the ssh connection, `tmux kill-server`) ends vitals within
    /// a second; it never lingers as an orphan reading a dead terminal.
    @Test func closingTheTerminalEndsVitals() throws {
        let session = try startDemo()
        try session.waitFor("web-1", "● passing")
        let pid = try #require(try childPID(of: session.shellPID()))
        session.hangUp()
        #expect(waitForExit(pid, seconds: 1), "vitals (pid \(pid)) still running a second after its terminal closed: \(processState(pid))")
        kill(pid, SIGKILL)
        session.close()
    }

    /// The same with SIGHUP blocked, so only the terminal itself can tell vitals it is gone: the
    /// end of input (POLLHUP, EIO) must stop it rather than spin.
    @Test func theEndOfInputEndsVitalsEvenWithoutSIGHUP() throws {
        let session = try TmuxSession(width: 120, height: 40)
        let blockHangUp = "perl -MPOSIX -e 'sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGHUP)); exec @ARGV or die'"
        try session.run("cd \(Fixtures.repositoryRoot.path) && exec \(blockHangUp) \(vitals)")
        try session.waitFor("web-1", "● passing")
        let pid = try session.shellPID()  // exec: the pane's process is vitals itself
        #expect(try processName(pid) == "vitals")
        session.hangUp()
        #expect(waitForExit(pid, seconds: 1), "vitals (pid \(pid)) still running a second after its input ended: \(processState(pid))")
        kill(pid, SIGKILL)
        session.close()
    }

    /// A crash (the handler runs) and SIGKILL (nothing in vitals runs: its guard process does
    /// it) both leave the terminal as it was: no alternate screen, keypad, mouse reporting or
    /// hidden cursor, and the shell's echo back on.
    @Test(arguments: [("SEGV", 139), ("KILL", 137)])
    func aCrashOrAKillRestoresTheTerminal(signal: String, status: Int) throws {
        let session = try startDemo()
        defer { session.close() }
        try session.waitFor("web-1", "● passing")
        #expect(try session.modesLeftOn().contains("alternate screen"), "the test must see the modes turned on first")
        let shell = try session.shellPID()
        _ = try Run.process("/usr/bin/pkill", ["-\(signal)", "-P", String(shell), "-x", "vitals"])
        let after = try session.waitFor("EXITED:\(status)", "PROMPT$")
        if signal == "SEGV" { #expect(after.contains("vitals crashed; the terminal is restored")) }
        // The guard may still be writing after the shell's prompt: give it a moment.
        _ = try session.waitFor("modes off", timeout: 5) { _ in (try? session.modesLeftOn().isEmpty) == true }
        #expect(try session.modesLeftOn() == [])
        try session.run("stty -a | tr ' ' '\\n' | grep -x -e echo -e -echo -e icanon -e -icanon | tr '\\n' ' ' | sed 's/^/MODES: /'; echo")
        // The typed command contains "MODES: " and "icanon" too: wait for the line it prints.
        func printed(_ screen: String) -> Substring? { screen.split(separator: "\n").last { $0.hasPrefix("MODES: ") } }
        let screen = try session.waitFor("the printed modes") { printed($0)?.contains("icanon") == true }
        let modes = printed(screen).map { Set($0.split(separator: " ").map(String.init)) } ?? []
        #expect(modes.isSuperset(of: ["echo", "icanon"]) && modes.isDisjoint(with: ["-echo", "-icanon"]), "\(modes)")
    }

    private func childPID(of parent: Int32) throws -> Int32? {
        let result = try Run.process("/usr/bin/pgrep", ["-P", String(parent), "-x", "vitals"])
        return result.stdout.split(separator: "\n").first.flatMap { Int32($0) }
    }

    private func processName(_ pid: Int32) throws -> String {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// The kernel's view of `pid`, for failure messages: state, CPU ticks, what it waits in.
    private func processState(_ pid: Int32) -> String {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "gone"
        let wchan = (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? ""
        let status = ((try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { $0.hasPrefix("Sig") || $0.hasPrefix("ShdPnd") }.joined(separator: " ")
        return "\(stat.prefix(120)) wchan=\(wchan) \(status)"
    }

    /// Whether `pid` is gone (or a zombie) within `seconds`.
    private func waitForExit(_ pid: Int32, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
            usleep(20_000)
        } while Date() < deadline
        return false
    }

    @Test func tooSmallThenResized() throws {
        let session = try startDemo(width: 50, height: 12)
        defer { session.close() }
        try session.waitFor("Terminal too small: 50×12", "60×15")
        try session.resize(width: 100, height: 30)
        try session.waitFor("web-1", "● passing")
        try session.press("q")
        try session.waitFor("EXITED:0")
    }

    @Test func validateAcceptsTheSamplesAndRejectsMistakesWithPositions() throws {
        let good = try Run.process(vitals, ["validate", Fixtures.sampleCluster("ecommerce"), Fixtures.sampleCluster("minimal")])
        #expect(good.status == 0)
        #expect(good.stdout.contains("ecommerce.yaml: ok: cluster 'ecommerce', 21 nodes, 21 services, 47 checks"))
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).yaml")
        try "cluster: x\nnodes:\n  - name: a\n    adress: 127.0.0.1\n".write(to: broken, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: broken) }
        let bad = try Run.process(vitals, ["validate", broken.path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("\(broken.path):4:5: unknown key 'adress' in a node; did you mean 'address'?"))
        #expect(!bad.stderr.contains("missing 'address'"), "a misspelt key is reported once, not also as missing")
    }

    @Test func snapshotPrintsDesignJSON() throws {
        let result = try Run.process(vitals, ["snapshot", Fixtures.sampleCluster("ecommerce"), "--format", "json", "--wait", "15"], timeout: 40)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        #expect(nodes.count >= 20)
        let vocabulary: Set = ["passing", "warning", "critical", "maintenance", "unknown"]
        #expect(nodes.allSatisfy { vocabulary.contains($0["status"] as? String ?? "") })
        let services = try #require(object["services"] as? [[String: Any]])
        let checks = services.flatMap { $0["checks"] as? [[String: Any]] ?? [] }
        #expect(checks.count == 47)
        #expect(checks.allSatisfy { $0["last_run"] != nil }, "--wait ends when every check has a result")
    }

    @Test func checkExitsNagiosStyle() throws {
        let ok = try Run.process(vitals, ["check", Fixtures.sampleCluster("minimal")], timeout: 30)
        #expect(ok.status == 0)
        #expect(ok.stdout.hasPrefix("VITALS OK - cluster minimal: 3 nodes, 3 passing | passing=3;;;0 warning=0;;;0 critical=0;;;0 unknown=0;;;0"))
        // Nagios performance data: each check's latency in seconds.
        #expect(ok.stdout.contains(#/'web-1/web/http'=[0-9.]+s;;;0/#), "\(ok.stdout)")
        // Without the simulation nothing listens on the demo's addresses.
        let down = try Run.process(vitals, ["check", Fixtures.sampleCluster("ecommerce"), "--no-sim", "--service", "cart", "--wait", "10"], timeout: 30)
        #expect(down.status == 2)
        #expect(down.stdout.hasPrefix("VITALS CRITICAL - service cart: 2 instance(s), 2 critical; cart-1/cart/http: HTTP GET http://127.0.1.15:8080/health: dial tcp 127.0.1.15:8080: connection refused"))
        let unknown = try Run.process(vitals, ["check", Fixtures.sampleCluster("minimal"), "--service", "nope"], timeout: 30)
        #expect(unknown.status == 3)
        #expect(unknown.stdout == "VITALS UNKNOWN - no service 'nope' in cluster 'minimal'\n")
    }

    /// `--wait` is a hard deadline: an exec check inside its 20 s timeout is reported as it stands
    /// (no result yet: unknown) and killed, not waited for; node checks are in the verdict, the
    /// perfdata and the text snapshot.
    @Test func checkWaitIsAHardDeadline() throws {
        let file = Fixtures.path("Tests/Fixtures/slow-exec-cluster.yaml")
        let started = Date()
        // Every check's first run starts within a second: 3 s leaves the quick one time to answer.
        let result = try Run.process(vitals, ["check", file, "--wait", "3"], timeout: 30)
        let took = Date().timeIntervalSince(started)
        #expect(took < 6, "check --wait 3 took \(took) s")
        #expect(result.status == 3, "\(result.stdout)")
        #expect(result.stdout.hasPrefix("VITALS UNKNOWN - cluster slow: 1 nodes, 1 unknown; box-1/slow: no result yet | "), "\(result.stdout)")
        #expect(result.stdout.contains("'box-1/slow'=U;;;0") && result.stdout.contains(#/'box-1/quick'=[0-9.]+s;;;0/#))
        let text = try Run.process(vitals, ["snapshot", file, "--wait", "3", "--format", "text"], timeout: 30)
        #expect(text.stdout.contains("quick      passing") && text.stdout.contains("slow       unknown   -         no result yet"), "\(text.stdout)")
        let leftover = try Run.process("/usr/bin/pgrep", ["-f", "^sleep 30$"])
        #expect(leftover.stdout.isEmpty, "the slow check's program is killed, not left running")
    }

    @Test(arguments: ["inf", "nan", "-inf", "1e300", "-1", "0"])
    func aWaitThatIsNotAUsableNumberOfSecondsIsRefused(wait: String) throws {
        let result = try Run.process(vitals, ["snapshot", Fixtures.sampleCluster("minimal"), "--wait=\(wait)"], timeout: 20)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--wait must be a number of seconds"))
    }

    @Test func badFilesGiveOneClearErrorAndNeverTrap() throws {
        let cases = [
            ("interval-overflow.yaml", ":3:13: duration '"),
            ("duplicate-key.yaml", ":5:5: duplicate key 'name' (first at line 3, column 5)"),
            ("nodes-not-a-list.yaml", ":2:8: 'nodes' in the cluster file must be a list"),
            ("binary.yaml", ":2:1: this is a binary file"),
            ("invalid-utf8.yaml", ":3:14: the file is not UTF-8 text"),
        ]
        for (file, message) in cases {
            let path = Fixtures.path("Tests/Fixtures/bad-input/\(file)")
            for command in [["validate", path], ["snapshot", path, "--wait", "1"], ["check", path, "--wait", "1"]] {
                let result = try Run.process(vitals, command, timeout: 20)
                #expect(result.status == (command[0] == "check" ? 3 : 1), "\(command): \(result.status) \(result.stderr)")
                #expect(result.stderr.contains(path + message), "\(command): \(result.stderr)")
                #expect(result.stderr.components(separatedBy: "\n").filter { $0.hasPrefix(path + ":") && $0.dropFirst(path.count + 1).first?.isNumber == true }.count == 1, "reported once: \(result.stderr)")
            }
        }
    }

    @Test func namesWithEscapeSequencesNeverReachTheTerminalRaw() throws {
        let path = Fixtures.path("Tests/Fixtures/bad-input/escape-in-names.yaml")
        let runs = [
            try Run.process(vitals, ["validate", path]),
            try Run.process(vitals, ["snapshot", path, "--format", "text", "--wait", "2"], timeout: 20),
            try Run.process(vitals, ["check", path, "--wait", "2"], timeout: 20),
        ]
        #expect(runs[0].status == 0)
        #expect(runs[0].stdout.contains("cluster 'evil�[2J�'"))
        #expect(runs[1].stdout.contains("cluster evil�[2J�"))
        #expect(runs[2].status == 2, "the check on port 1 is refused: \(runs[2].stdout)")
        for run in runs {
            #expect(!run.stdout.contains("\u{1B}") && !run.stdout.contains("\u{07}"), "\(run.stdout)")
            #expect(!run.stderr.contains("\u{1B}") && !run.stderr.contains("\u{07}"), "\(run.stderr)")
        }
    }

    @Test func dashboardRefusesToRunWithoutATerminal() throws {
        let result = try Run.process(vitals, [Fixtures.sampleCluster("minimal")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("the dashboard needs a terminal"))
    }
}
