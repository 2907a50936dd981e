import Foundation
import Testing
import VitalsTesting

/// The Logs pane of the real binary in tmux: lines sent by the real logger appear, escape
/// sequences inside them change nothing on the terminal, search, and the jump to the node.
@Suite(.serialized, .enabled(if: ExternalTool.available("tmux", package: "tmux") && ExternalTool.available("logger", package: "bsdutils")))
struct LogsEndToEndTests {
    let vitals = VitalsBinary.path

    @Test func aLineSentWithLoggerAppearsAndCannotTouchTheTerminal() throws {
        let session = try TmuxSession(width: 150, height: 24)
        defer { session.close() }
        let cluster = Fixtures.path("Tests/Fixtures/logs-cluster.yaml")
        try session.run("cd \(Fixtures.repositoryRoot.path) && \(vitals) \(cluster) --state \(EndToEndTests.temporaryStatePath()) --no-bell; echo EXITED:$?")
        try session.press("5")
        try session.waitFor("No log lines yet")
        let titleBefore = try session.title()
        let logger = try #require(ExternalTool.path(of: "logger"))
        // A title change, a clear screen, a bell and a direction override inside the message.
        let hostile = "payment failed \u{1B}]2;pwned\u{07} \u{1B}[2J\u{1B}[H after \u{202E}gnp.exe"
        let sent = try Run.process(logger, ["-n", "127.0.5.1", "-P", "5514", "-d", "--rfc5424", "-t", "orders", "-p", "local0.err", hostile])
        #expect(sent.status == 0, "\(sent.stderr)")
        let screen = try session.waitFor("the line", timeout: 10) { $0.contains("payment failed") }
        let line = try #require(screen.split(separator: "\n").first { $0.contains("payment failed") })
        #expect(line.contains("orders-1") && line.contains("orders") && line.contains("ERROR"))
        #expect(line.contains("␛]2;pwned␇ ␛[2J␛[H after ⟦U+202E⟧gnp.exe"), "\(line)")
        #expect(try session.title() == titleBefore, "the terminal's title is unchanged")
        #expect(screen.contains("1 lines"), "nothing cleared the screen: the header is still there")
        // Over TCP, and a second node, then search for one of them.
        let tcp = try Run.process(logger, ["-n", "127.0.5.1", "-P", "5514", "-T", "--rfc3164", "-t", "web", "-p", "user.warning", "cache cold on web"])
        #expect(tcp.status == 0, "\(tcp.stderr)")
        try session.waitFor("cache cold on web")
        try session.press("/")
        try session.press("-l", "payment")
        try session.press("Enter")
        try session.waitFor("search payment: 1 match")
        try session.press("N")
        try session.waitFor("paused")
        try session.press("Enter")
        try session.waitFor("Logs › orders-1")
        try session.press("L")
        try session.waitFor("node orders-1")
        try session.press("q")
        try session.waitFor("EXITED:0")
    }
}
