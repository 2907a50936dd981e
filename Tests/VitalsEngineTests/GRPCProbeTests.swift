import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsTesting

/// grpc checks call `grpc.health.v1.Health/Check` on a real etcd (which serves it), in clear
/// text and over TLS, and say what is wrong with servers that do not answer it.
@Suite(.serialized) struct GRPCProbeTests {
    func check(_ host: String, _ port: Int = 2379, service: String = "", tls: Bool = false, options: TLSOptions = TLSOptions(), timeout: Duration = .seconds(5)) -> CheckConfig {
        var check = CheckConfig(name: "grpc", target: .grpc(host: host, port: port, service: service, tls: tls), interval: .seconds(10), timeout: timeout)
        check.tls = options
        return check
    }

    @Test(.enabled(if: RealEtcd.isAvailable, "needs the real component; scripts/test installs it")) func etcdIsServingAndAnUnknownServiceIsNot() async throws {
        let etcd = try RealEtcd()
        defer { etcd.stop() }
        let serving = await GRPCProbe().run(check(etcd.host))
        #expect(serving.status == .passing)
        #expect(serving.output == "gRPC \(etcd.host):2379 (server): SERVING")
        #expect(serving.latency != nil)
        let unknown = await GRPCProbe().run(check(etcd.host, service: "vitals.Nothing"))
        #expect(unknown.status == .critical)
        #expect(unknown.output.hasPrefix("gRPC \(etcd.host):2379 service 'vitals.Nothing': the server does not know this service (NOT_FOUND"), "\(unknown.output)")
    }

    @Test(.enabled(if: RealEtcd.isAvailable, "needs the real component; scripts/test installs it")) func theEngineRunsAGRPCCheckFromTheClusterFile() async throws {
        let etcd = try RealEtcd()
        defer { etcd.stop() }
        let yaml = """
            cluster: g
            nodes:
              - name: etcd-1
                address: \(etcd.host)
                checks:
                  - { name: etcd-health, grpc: "\(etcd.host):2379", interval: 1s, timeout: 1s }
            """
        let config = try #require(ClusterConfigLoader.check(text: yaml, file: "g.yaml").config)
        let engine = Engine(config: config)
        let running = Task { await engine.run() }
        let seen = await engine.store.first(where: { $0.nodes.first?.checks.first?.status == .passing }, timeout: .seconds(15))
        running.cancel()
        await running.value
        let check = try #require(seen?.nodes.first?.checks.first)
        #expect(check.type == "grpc")
        #expect(check.output == "gRPC \(etcd.host):2379 (server): SERVING")
    }

    @Test(.enabled(if: RealEtcd.isAvailable && TestCertificates.isAvailable, "needs the real component; scripts/test installs it")) func etcdOverTLSIsTrustedThroughItsCA() async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let host = TestCluster.uniqueAddress()
        let etcd = try RealEtcd(host: host, tls: try certificates.server([host], file: "etcd"))
        defer { etcd.stop() }
        let trusted = await GRPCProbe().run(check(host, tls: true, options: TLSOptions(caFile: certificates.caFile)))
        #expect(trusted.status == .passing, "\(trusted.output)")
        #expect(trusted.output == "gRPC \(host):2379 (server): SERVING")
        let untrusted = await GRPCProbe().run(check(host, tls: true))
        #expect(untrusted.status == .critical)
        #expect(untrusted.output.contains("certificate not trusted"), "\(untrusted.output)")
        let plain = await GRPCProbe().run(check(host, tls: false))
        #expect(plain.status == .critical, "\(plain.output)")
    }

    @Test(.enabled(if: RealEtcd.isAvailable && TestCertificates.isAvailable, "needs the real component; scripts/test installs it")) func etcdAskingForAClientCertificateGetsOne() async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let host = TestCluster.uniqueAddress()
        let etcd = try RealEtcd(host: host, tls: try certificates.server([host], file: "etcd"), clientCA: certificates.caFile)
        defer { etcd.stop() }
        let client = try certificates.server(["vitals"], file: "client")
        let shown = await GRPCProbe().run(check(host, tls: true, options: TLSOptions(caFile: certificates.caFile, certFile: client.certificate, keyFile: client.key)))
        #expect(shown.status == .passing, "\(shown.output)")
        let none = await GRPCProbe().run(check(host, tls: true, options: TLSOptions(caFile: certificates.caFile)))
        #expect(none.status == .critical)
        #expect(none.output.hasSuffix("TLS: the server refused the client certificate, or wants one (tls_cert_file, tls_key_file) (sslv3 alert bad certificate)"), "\(none.output)")
        let wrongKey = await GRPCProbe().run(check(host, tls: true, options: TLSOptions(caFile: certificates.caFile, certFile: client.certificate, keyFile: certificates.caFile)))
        #expect(wrongKey.output.hasSuffix("client key \(certificates.caFile): not a PEM private key"), "\(wrongKey.output)")
    }

    @Test func serversThatAreNotGRPCAreCriticalWithAReason() async throws {
        let http1 = try await CannedServer.start(answer: Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8))
        let wrong = await GRPCProbe().run(check(http1.host, http1.port))
        await http1.stop()
        #expect(wrong.status == .critical)
        #expect(wrong.output.contains("not an HTTP/2 (gRPC) answer") || wrong.output.contains("connection closed"), "\(wrong.output)")

        let silent = try await CannedServer.start(answer: [], close: false)
        let quiet = await GRPCProbe().run(check(silent.host, silent.port, timeout: .milliseconds(300)))
        await silent.stop()
        #expect(quiet.status == .critical)
        #expect(quiet.output.hasSuffix(": timed out after 300ms"), "\(quiet.output)")
        #expect(quiet.latency == .milliseconds(300))

        let refused = await GRPCProbe().run(check(TestCluster.uniqueAddress(), 1))
        #expect(refused.status == .critical)
        #expect(refused.output.hasSuffix("connection refused"), "\(refused.output)")
    }

    @Test func theMessagesAreProtobufInAGRPCFrame() {
        #expect(GRPCProbe.message(service: "") == [0, 0, 0, 0, 0])
        #expect(GRPCProbe.message(service: "etcd") == [0, 0, 0, 0, 6, 0x0A, 4] + Array("etcd".utf8))
        let long = String(repeating: "s", count: 200)
        #expect(Array(GRPCProbe.message(service: long).prefix(8)) == [0, 0, 0, 0, 203, 0x0A, 0xC8, 0x01])
        // SERVING, NOT_SERVING, the default (UNKNOWN) left out, and a field from a newer server skipped.
        #expect(GRPCProbe.servingStatus(in: [0, 0, 0, 0, 2, 0x08, 1]) == 1)
        #expect(GRPCProbe.servingStatus(in: [0, 0, 0, 0, 2, 0x08, 2]) == 2)
        #expect(GRPCProbe.servingStatus(in: [0, 0, 0, 0, 0]) == 0)
        #expect(GRPCProbe.servingStatus(in: [0, 0, 0, 0, 6, 0x12, 2, 0x61, 0x62, 0x08, 1]) == 1)
        // Compressed, cut short, or a length past the end: no status.
        #expect(GRPCProbe.servingStatus(in: [1, 0, 0, 0, 2, 0x08, 1]) == nil)
        #expect(GRPCProbe.servingStatus(in: [0, 0, 0, 0, 2, 0x08]) == nil)
        #expect(GRPCProbe.servingStatus(in: [0, 0, 0, 0, 3, 0x12, 9, 0x61]) == nil)
        #expect(GRPCProbe.decodeMessage("unknown%20service%3A%20%E2%9C%93") == "unknown service: ✓")
    }

    @Test func answersAreJudgedAsConsulDoes() {
        func judge(_ answer: GRPCProbe.Answer, service: String = "") -> String {
            let (status, words) = GRPCProbe.judge(answer, service: service)
            return "\(status.rawValue): \(words)"
        }
        #expect(judge(.init(httpStatus: "200", grpcStatus: 0, servingStatus: 1)) == "passing: SERVING")
        #expect(judge(.init(httpStatus: "200", grpcStatus: 0, servingStatus: 2)) == "critical: NOT_SERVING")
        #expect(judge(.init(httpStatus: "200", grpcStatus: 0, servingStatus: 0)) == "critical: UNKNOWN")
        #expect(judge(.init(httpStatus: "200", grpcStatus: 12, grpcMessage: "")) == "critical: the server does not implement grpc.health.v1.Health (UNIMPLEMENTED)")
        #expect(judge(.init(httpStatus: "200", grpcStatus: 14, grpcMessage: "draining")) == "critical: UNAVAILABLE: draining")
        #expect(judge(.init(httpStatus: "404")) == "critical: HTTP/2 status 404, not a gRPC answer")
        #expect(judge(.init(httpStatus: "200")) == "critical: no grpc-status in the answer (not a gRPC server?)")
    }

    @Test func theClusterFileTakesConsulsSpellings() throws {
        let yaml = """
            cluster: g
            nodes:
              - name: box
                address: 127.0.0.1
                checks:
                  - { name: a, grpc: "127.0.0.1:2379" }
                  - { name: b, grpc: "127.0.0.1:2379/etcdserverpb.KV" }
                  - { name: c, grpc: "127.0.0.1:2379", grpc_service: "x", grpc_use_tls: true, tls_skip_verify: true }
                  - { name: d, grpc: "127.0.0.1:2379/one", grpc_service: "two" }
                  - { name: e, grpc: "localhost" }
                  - { name: f, tcp: "127.0.0.1:1", grpc_service: "x" }
                  - { name: g, grpc: "127.0.0.1:2379", tls_skip_verify: true }
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "g.yaml")
        #expect(result.diagnostics.map(\.description) == [
            "g.yaml:9:62: check 'd' of node 'box': grpc_service 'two' differs from the service in '127.0.0.1:2379/one'",
            "g.yaml:10:26: check 'e' of node 'box': 'localhost' is not host:port or host:port/service (like 127.0.0.1:2379)",
            "g.yaml:11:40: 'grpc_service' in check 'f' of node 'box' only applies to grpc checks",
            "g.yaml:12:44: 'tls_skip_verify' in check 'g' of node 'box' only applies to https:// URLs and grpc checks with grpc_use_tls",
        ])
        let lines = yaml.components(separatedBy: "\n")
        let good = try #require(ClusterConfigLoader.check(text: lines.prefix(8).joined(separator: "\n"), file: "g.yaml").config)
        #expect(good.nodes[0].checks.map(\.target) == [
            .grpc(host: "127.0.0.1", port: 2379, service: "", tls: false),
            .grpc(host: "127.0.0.1", port: 2379, service: "etcdserverpb.KV", tls: false),
            .grpc(host: "127.0.0.1", port: 2379, service: "x", tls: true),
        ])
        #expect(good.nodes[0].checks[2].tls.skipVerify)
    }
}
