import Foundation
import Synchronization
import Testing
import VitalsCore
import VitalsTesting
import VitalsUI

/// The real run loop on an in-memory terminal: keys in, screens out, no ncurses, no sleeping.
@Suite struct DashboardRunnerTests {
    /// A host whose snapshot a test can replace, and which remembers what the loop asked of it.
    final class Host: DashboardHost {
        let snapshot: Mutex<ClusterSnapshot>
        let focused = Mutex<[String?]>([])
        /// Every fault-menu item run, as "item node", in order.
        let faultRuns: AsyncStream<String>
        private let faultRun: AsyncStream<String>.Continuation

        /// Whether this host says it wakes the screen on change.
        let wakes: Bool
        var wakesOnChange: Bool { wakes }

        init(_ snapshot: ClusterSnapshot, wakes: Bool = false) {
            self.wakes = wakes
            self.snapshot = Mutex(snapshot)
            (faultRuns, faultRun) = AsyncStream.makeStream()
        }

        func latestSnapshot() -> ClusterSnapshot { snapshot.withLock { $0 } }
        func nodeNotes() -> [String: String] { [:] }
        var faultMenu: [MenuItem] { [MenuItem(name: "down", summary: "refuse connections")] }
        func runFaultItem(_ item: String, node: String) async -> String {
            faultRun.yield("\(item) \(node)")
            return "\(node): injected \(item)"
        }
        func focus(_ node: String?) { focused.withLock { $0.append(node) } }
        let logsWatched = Mutex<[Bool]>([])
        func watchLogs(_ watched: Bool) { logsWatched.withLock { $0.append(watched) } }

        /// Every alert command the loop sent, in order.
        let commands = Mutex<[AlertCommand]>([])
        func perform(_ command: AlertCommand) async -> String {
            commands.withLock { $0.append(command) }
            return "done"
        }

        /// Publishes a newer generation of the same snapshot.
        func publishNext() {
            snapshot.withLock { $0.generation += 1 }
        }
    }

    let snapshot: ClusterSnapshot
    let themes: [Theme]

    init() throws {
        snapshot = try FixedSnapshot.ecommerceIncident()
        let (loaded, failures) = ThemeLoader.loadAll(directory: Fixtures.path("themes"))
        #expect(failures.isEmpty)
        themes = loaded
    }

    func run(_ terminal: MemoryTerminal, host: Host) -> DashboardExit {
        DashboardRunner(terminal: terminal, host: host, themes: themes, refreshMs: 250).run()
    }

    @Test func quitRestoresTheTerminalAndFirstFrameShowsServices() {
        let terminal = MemoryTerminal(keys: [.character("q")])
        #expect(run(terminal, host: Host(snapshot)) == .quit)
        #expect(terminal.started && terminal.stopped)
        #expect(terminal.lastText.contains("SERVICE"))
        #expect(terminal.lastText.contains("postgres-primary"))
    }

    @Test(arguments: [(Int32(15), Int32(143)), (1, 129), (2, 130), (3, 131)])
    func aSignalStopsTheLoopWithItsExitStatus(signal: Int32, status: Int32) {
        let terminal = MemoryTerminal(script: [.event(.timeout), .event(.signal(signal)), .event(.key(.character("j")))])
        let exit = run(terminal, host: Host(snapshot))
        #expect(exit == .signal(signal))
        #expect(exit.status == status)
        #expect(terminal.stopped)
    }

    @Test func aHangUpStopsTheLoopAtOnce() {
        let terminal = MemoryTerminal(script: [.event(.hangUp), .event(.key(.character("j")))])
        #expect(run(terminal, host: Host(snapshot)) == .hangUp)
        #expect(terminal.stopped)
        #expect(terminal.screens.count == 1, "nothing is drawn after the terminal went away")
    }

    @Test func pauseHoldsTheScreenUntilResumed() {
        let host = Host(snapshot)
        let terminal = MemoryTerminal(script: [
            .event(.key(.character("p"))),
            .event(.timeout),
            .inspect { _ in host.publishNext() },
            .event(.timeout),
            .inspect { screens in
                #expect(screens.last?.text.contains("PAUSED") == true)
                #expect(screens.last?.text.contains("gen 42") == true, "a paused screen keeps the generation it had")
            },
            .event(.key(.character("p"))),
            .event(.timeout),
            .event(.key(.character("q"))),
        ])
        #expect(run(terminal, host: host) == .quit)
        #expect(terminal.lastText.contains("gen 43"))
        #expect(!terminal.lastText.contains("PAUSED"))
    }

    @Test func newSnapshotsAreDrawnWithoutAKey() {
        let host = Host(snapshot)
        let terminal = MemoryTerminal(script: [
            .inspect { _ in host.publishNext() },
            .event(.timeout),
            .inspect { _ in host.publishNext() },
            .event(.timeout),
            .event(.timeout),
        ])
        #expect(run(terminal, host: host) == .hangUp)
        #expect(terminal.screens.map { $0.text.contains("gen 44") } == [false, false, true])
    }

    /// A host that wakes the screen when it has news: the loop waits with no timeout between
    /// frames, and draws news no sooner than `refreshMs` after the frame before.
    @Test func aHostThatWakesTheScreenIsWaitedForOnNoTimer() {
        let host = Host(snapshot, wakes: true)
        let terminal = MemoryTerminal(script: [
            .event(.timeout),
            .inspect { _ in host.publishNext() },
            .event(.timeout),
            .event(.key(.character("j"))),
            .event(.timeout),
        ])
        #expect(run(terminal, host: host) == .hangUp)
        #expect(terminal.waits.first == -1, "\(terminal.waits)")
        #expect(terminal.waits.enumerated().allSatisfy { $0.offset == 2 || $0.element == -1 }, "no timer: \(terminal.waits)")
        // The news came within 250 ms of the first frame: the loop waited the rest of it, and
        // the key drew it at once.
        #expect((1...250).contains(terminal.waits[2]), "\(terminal.waits)")
        #expect(terminal.screens.count == 2)
        #expect(terminal.screens.last?.text.contains("gen 43") == true)
        #expect(terminal.waits.last == -1)
    }

    @Test func aHostThatDoesNotWakeTheScreenIsAskedOnATimer() {
        let terminal = MemoryTerminal(script: [.event(.timeout), .event(.timeout)])
        _ = run(terminal, host: Host(snapshot))
        #expect(terminal.waits == [250, 250, 250])
    }

    @Test(.timeLimit(.minutes(1)))
    func aReportFromBackgroundWorkWakesTheScreen() async {
        let host = Host(snapshot, wakes: true)
        let terminal = MemoryTerminal(keys: [.character("f"), .character("1")])
        _ = run(terminal, host: host)
        var runs = host.faultRuns.makeAsyncIterator()
        #expect(await runs.next() == "down web-1")
        // The report is appended right after the item returns.
        for _ in 0..<1_000 where terminal.wakes == 0 { try? await Task.sleep(for: .milliseconds(10)) }
        #expect(terminal.wakes == 1)
    }

    @Test func themeKeyCyclesThemesAndSaysWhich() throws {
        let terminal = MemoryTerminal(keys: [.character("t"), .character("q")])
        _ = run(terminal, host: Host(snapshot))
        let first = try #require(terminal.screens.first)
        let second = try #require(terminal.screens.last)
        #expect(second.text.contains("theme: \(themes[1].name)"))
        #expect(terminal.invalidations == 1, "a new theme repaints the whole screen")
        // The header cell takes the new theme's status-bar style.
        #expect(first[1, 0].style == themes[0][.statusBarAccent])
        #expect(second[1, 0].style == themes[1][.statusBarAccent])
        #expect(first[1, 0].style != second[1, 0].style)
    }

    @Test func openingANodeTellsTheHostWhatIsFocused() {
        let host = Host(snapshot)
        let terminal = MemoryTerminal(keys: [.enter, .escape, .character("q")])
        _ = run(terminal, host: host)
        #expect(host.focused.withLock { $0 } == ["web-1", nil])
        #expect(terminal.screens[1].text.contains("Services › web-1"))
    }

    @Test func showingTheLogsPaneTellsTheHostToReadLogsMoreOften() {
        let host = Host(snapshot)
        let terminal = MemoryTerminal(keys: [.character("5"), .character("1"), .character("q")])
        _ = run(terminal, host: host)
        #expect(host.logsWatched.withLock { $0 } == [false, true, false])
    }

    @Test(.timeLimit(.minutes(1)))
    func faultMenuRunsTheItemAndShowsWhatIsHappening() async {
        let host = Host(snapshot)
        let terminal = MemoryTerminal(keys: [.character("f"), .character("1")])
        _ = run(terminal, host: host)
        // The footer says it is under way, or already what came of it.
        #expect(terminal.lastText.contains("web-1: down…") || terminal.lastText.contains("web-1: injected down"))
        // The item runs in the background: wait for it without holding a thread.
        var runs = host.faultRuns.makeAsyncIterator()
        #expect(await runs.next() == "down web-1")
    }

    @Test func resizeRedrawsAtTheNewSize() {
        let terminal = MemoryTerminal(size: Size(width: 80, height: 24), keys: [.resize(Size(width: 100, height: 30)), .character("q")])
        _ = run(terminal, host: Host(snapshot))
        #expect(terminal.screens.first?.size == Size(width: 80, height: 24))
        #expect(terminal.screens.last?.size == Size(width: 100, height: 30))
    }
}
