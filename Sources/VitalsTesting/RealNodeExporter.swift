import Foundation
import VitalsHarness

/// A real node_exporter (Debian's `prometheus-node-exporter`) on a fresh loopback address,
/// describing this machine.
public final class RealNodeExporter: Sendable {
    public static let binary = "/usr/bin/prometheus-node-exporter"

    public let host: String
    public let url: String
    private let process: BackgroundProcess

    public static var isAvailable: Bool { ExternalTool.available("prometheus-node-exporter", package: "prometheus-node-exporter") }

    public init() throws {
        host = TestCluster.uniqueAddress()
        url = "http://\(host):9100/metrics"
        process = try BackgroundProcess(Self.binary, ["--web.listen-address=\(host):9100"])
        try process.waitForOutput("Listening on", timeout: 20)
    }

    public func stop() { process.stop() }
}
