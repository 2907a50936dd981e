import Foundation
import VitalsHarness

/// A real Alertmanager (Debian's `prometheus-alertmanager`) on a fresh loopback address with a
/// temporary storage folder, and `amtool` to ask it what it has.
public final class RealAlertmanager: Sendable {
    public static let binary = "/usr/bin/prometheus-alertmanager"
    public static let amtool = "/usr/bin/amtool"

    public let url: String
    private let process: BackgroundProcess
    private let folder: String

    /// Whether the tests that need it can run here (prints why not when they cannot).
    public static var isAvailable: Bool {
        ExternalTool.available("prometheus-alertmanager", package: "prometheus-alertmanager")
            && ExternalTool.available("amtool", package: "prometheus-alertmanager")
    }

    public init() throws {
        let host = TestCluster.uniqueAddress()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-am-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = """
            route: { receiver: nowhere, group_wait: 1s }
            receivers: [ { name: nowhere } ]
            """
        try config.write(toFile: folder + "/alertmanager.yml", atomically: true, encoding: .utf8)
        url = "http://\(host):9093"
        process = try BackgroundProcess(Self.binary, [
            "--config.file=\(folder)/alertmanager.yml", "--storage.path=\(folder)/data",
            "--web.listen-address=\(host):9093", "--cluster.listen-address=",
        ])
        try process.waitForOutput("Listening on", timeout: 20)
    }

    /// `amtool … QUERY` as JSON text (`alert query`, `silence query`).
    public func amtool(_ arguments: [String]) throws -> String {
        let result = try Run.process(Self.amtool, ["--alertmanager.url=\(url)", "-o", "json"] + arguments, timeout: 20)
        guard result.status == 0 else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "amtool \(arguments): \(result.stderr)"]) }
        return result.stdout
    }

    /// Polls `amtool` until its answer satisfies `predicate`; the last answer either way.
    public func waitFor(_ arguments: [String], timeout: TimeInterval = 20, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try amtool(arguments)
            if predicate(last) { return last }
            Thread.sleep(forTimeInterval: 0.3)
        }
        return last
    }

    public func stop() {
        process.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
