import Foundation
import VitalsHarness

/// A real etcd (Debian's `etcd-server`) on a fresh loopback address with a temporary data folder,
/// and `etcdctl` (Debian's `etcd-client`) to act on it as the real clients do.
public final class RealEtcd: Sendable {
    public static let binary = "/usr/bin/etcd"
    public static let etcdctlBinary = "/usr/bin/etcdctl"

    public let host: String
    public let url: String
    /// What `etcdctl` needs to reach this etcd besides its URL (TLS files).
    private let etcdctlFlags: [String]
    private let process: BackgroundProcess
    private let folder: String

    /// Whether the tests that need it can run here (prints why not when they cannot).
    public static var isAvailable: Bool {
        ExternalTool.available("etcd", package: "etcd-server") && ExternalTool.available("etcdctl", package: "etcd-client")
    }

    /// - Parameters:
    ///   - host: the loopback address to listen on; a fresh one by default.
    ///   - tls: a certificate and key (PEM files) for the client port, which then speaks only TLS.
    ///   - clientCA: with `tls`, clients must show a certificate this CA signed (`--client-cert-auth`).
    ///   - etcdctlTLS: the CA, certificate and key `etcdctl` uses to reach a TLS etcd.
    public init(
        host: String? = nil, tls: (certificate: String, key: String)? = nil, clientCA: String? = nil,
        etcdctlTLS: (ca: String, certificate: String, key: String)? = nil
    ) throws {
        etcdctlFlags = etcdctlTLS.map { ["--cacert=\($0.ca)", "--cert=\($0.certificate)", "--key=\($0.key)"] } ?? []
        self.host = host ?? TestCluster.uniqueAddress()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-etcd-\(UUID().uuidString)").path
        let host = self.host
        url = "\(tls == nil ? "http" : "https")://\(host):2379"
        process = try BackgroundProcess(Self.binary, [
            "--name", "vitals-test", "--data-dir", folder, "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", "http://\(host):2380", "--initial-advertise-peer-urls", "http://\(host):2380",
            "--initial-cluster", "vitals-test=http://\(host):2380", "--logger", "zap", "--log-outputs", "stderr",
        ] + (tls.map { ["--cert-file", $0.certificate, "--key-file", $0.key] } ?? [])
          + (clientCA.map { ["--client-cert-auth", "--trusted-ca-file", $0] } ?? []))
        try process.waitForOutput("serving client traffic", timeout: 30)
    }

    /// Runs `etcdctl` to completion; its standard output.
    @discardableResult
    public func etcdctl(_ arguments: [String]) throws -> String {
        let result = try Run.process(Self.etcdctlBinary, ["--endpoints=\(url)"] + etcdctlFlags + arguments, timeout: 30, environment: ["ETCDCTL_API": "3"])
        guard result.status == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "etcdctl \(arguments): \(result.stderr)"])
        }
        return result.stdout
    }

    /// Starts a long-running `etcdctl` (a `lock` or an `elect` that holds until killed).
    public func start(_ arguments: [String]) throws -> BackgroundProcess {
        try BackgroundProcess("/usr/bin/env", ["ETCDCTL_API=3", Self.etcdctlBinary, "--endpoints=\(url)"] + etcdctlFlags + arguments)
    }

    /// A lease of `ttl` seconds; its id in hex as etcdctl prints it.
    public func grantLease(ttl: Int) throws -> String {
        let output = try etcdctl(["lease", "grant", String(ttl)])
        // "lease 694d7a1b2c3d4e5f granted with TTL(10s)"
        guard let id = output.split(separator: " ").dropFirst().first else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "unexpected etcdctl output: \(output)"])
        }
        return String(id)
    }

    public func stop() {
        process.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
