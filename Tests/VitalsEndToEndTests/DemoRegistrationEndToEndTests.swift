import Foundation
import Testing
import VitalsTesting

/// The demo's extra instances register themselves through the API, on the release binary run
/// from the repository: they show in the panes, marked, and the fault menu adds and removes more.
@Suite(.serialized, .enabled(if: ExternalTool.available("tmux", package: "tmux")))
struct DemoRegistrationEndToEndTests {
    @Test func registeredInstancesShowInThePanesAndTheFaultMenuAddsAndRemovesThem() throws {
        let session = try TmuxSession(width: 160, height: 50)
        defer { session.close() }
        let state = EndToEndTests.temporaryStatePath()
        // The demo on 127.0.11.x (its added instances on 127.0.12.x): other tests run it on 127.0.1.x.
        let file = try DemoFile.write(in: (state as NSString).deletingLastPathComponent, range: 11)
        try session.run("cd \(Fixtures.repositoryRoot.path) && \(VitalsBinary.path) \(file) --state \(state) --no-bell; echo EXITED:$?")
        // Services pane: the two registered instances, marked `+` before their node.
        try session.waitFor("+cart-3", "+orders-3", timeout: 30)
        try session.press("2")
        let nodes = try session.waitFor("orders-3 registered", timeout: 20) { $0.contains("orders · registered by 127.0.0.1") }
        #expect(nodes.contains("127.0.12."))
        // The first node is web-1: one more web instance, then remove it again.
        try session.press("f")
        try session.waitFor("Inject a fault into web-1", "7  add")
        try session.press("7")
        try session.waitFor("web-4 registered", timeout: 20) { $0.contains("web-4 started on 127.0.12.") && $0.contains("registered itself through the API") }
        let added = try session.waitFor("web-4 in the list", timeout: 20) { $0.contains("web-4") && $0.contains("web · registered by 127.0.0.1") }
        #expect(added.contains("web-4 "))
        // Filter down to it, and remove it from the fault menu.
        try session.press("/")
        try session.run("web-4")
        try session.waitFor("web-4 alone", timeout: 10) { !$0.contains("web-1 ") && $0.contains("web-4 ") }
        try session.press("f")
        try session.waitFor("Inject a fault into web-4")
        try session.press("8")
        try session.waitFor("web-4 removed", timeout: 20) { $0.contains("web-4 deregistered and stopped") }
        try session.waitFor("web-4 gone", timeout: 20) { !$0.contains("127.0.12.13") && !$0.contains("web · registered") }
        try session.press("q")
        try session.waitFor("EXITED:0")
    }
}
