import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsTesting

/// https checks against a TLS server on loopback whose certificates the real `openssl` made in
/// the test: trusted through `tls_ca_file`, refused when nothing vouches for them, accepted
/// anyway with `tls_skip_verify`, and checked against the name asked for.
@Suite(.serialized) struct HTTPSProbeTests {
    static let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n{\"status\":\"UP\"}\r\n".utf8)

    func check(_ url: String, _ tls: TLSOptions = TLSOptions()) -> CheckConfig {
        var check = CheckConfig(name: "https", target: .http(url: url), interval: .seconds(10), timeout: .seconds(5))
        check.bodyJSON = JSONCondition(path: "$.status", equals: "UP")
        check.tls = tls
        return check
    }

    /// A server with a certificate for its own address (and for `names`), and the CA that signed it.
    func withServer(names: [String] = [], _ body: (CannedServer, TestCertificates) async throws -> Void) async throws {
        guard TestCertificates.isAvailable else { return }
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let host = TestCluster.uniqueAddress()
        let pair = try certificates.server(names.isEmpty ? [host] : names, file: "server")
        let server = try await CannedServer.start(answer: Self.answer, tls: pair, host: host)
        try await body(server, certificates)
        await server.stop()
    }

    @Test func aCertificateFromTheGivenCAIsTrusted() async throws {
        try await withServer { server, certificates in
            #expect(server.url.hasPrefix("https://"))
            let outcome = await HTTPProbe().run(check(server.url, TLSOptions(caFile: certificates.caFile)))
            #expect(outcome.status == .passing, "\(outcome.output)")
            #expect(outcome.output.contains("200 OK"))
        }
    }

    @Test func aCertificateNearItsEndIsAWarning() async throws {
        try await withServer { server, certificates in
            var soon = check(server.url, TLSOptions(caFile: certificates.caFile))
            soon.tlsExpiryWarning = .seconds(60 * 86_400)
            let outcome = await HTTPProbe().run(soon)
            #expect(outcome.status == .warning)
            #expect(outcome.output.hasSuffix("(certificate expires in 29 days)"), "\(outcome.output)")
            soon.tlsExpiryWarning = nil
            #expect(await HTTPProbe().run(soon).status == .passing)
        }
    }

    @Test func anUnknownCAIsRefusedUnlessVerificationIsSkipped() async throws {
        try await withServer { server, _ in
            let refused = await HTTPProbe().run(check(server.url))
            #expect(refused.status == .critical)
            #expect(refused.output.contains("TLS handshake failed: certificate not trusted"), "\(refused.output)")
            let skipped = await HTTPProbe().run(check(server.url, TLSOptions(skipVerify: true)))
            #expect(skipped.status == .passing, "\(skipped.output)")
        }
    }

    @Test func theCertificateMustNameTheHost() async throws {
        try await withServer(names: ["orders.internal"]) { server, certificates in
            let wrong = await HTTPProbe().run(check(server.url, TLSOptions(caFile: certificates.caFile)))
            #expect(wrong.status == .critical)
            #expect(wrong.output.contains("the server's certificate is not for \(server.host)"), "\(wrong.output)")
            let named = await HTTPProbe().run(check(server.url, TLSOptions(caFile: certificates.caFile, serverName: "orders.internal")))
            #expect(named.status == .passing, "\(named.output)")
        }
    }

    @Test func tlsToAPlainServerAndPlainToATLSServerAreCriticalWithAReason() async throws {
        let plain = try await CannedServer.start(answer: Self.answer)
        let outcome = await HTTPProbe().run(check(plain.url.replacingOccurrences(of: "http://", with: "https://")))
        await plain.stop()
        #expect(outcome.status == .critical)
        #expect(outcome.output.contains("the server does not speak TLS on this port"), "\(outcome.output)")
        try await withServer { server, _ in
            let outcome = await HTTPProbe().run(check(server.url.replacingOccurrences(of: "https://", with: "http://")))
            #expect(outcome.status == .critical)
            // BoringSSL closes on a plain request without an alert: nothing says TLS but the silence.
            #expect(outcome.output.hasSuffix(": connection closed before a complete response"), "\(outcome.output)")
        }
    }

    @Test func aTLSAlertWhereAStatusLineShouldBeSaysTLS() async throws {
        // What a TLS server that does send an alert to a plain request writes: a record of type 21.
        let alerting = try await CannedServer.start(answer: [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])
        let outcome = await HTTPProbe().run(check(alerting.url))
        await alerting.stop()
        #expect(outcome.output.hasSuffix("bad HTTP response: the server answered in TLS (an https:// URL?)"), "\(outcome.output)")
    }

    @Test func aCAFileThatIsNotPEMIsSaidByTheCheck() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-not-a-ca-\(UUID().uuidString).pem").path
        try "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await withServer { server, _ in
            let outcome = await HTTPProbe().run(check(server.url, TLSOptions(caFile: file)))
            #expect(outcome.status == .critical)
            #expect(outcome.output.contains("CA file \(file): not a PEM certificate"), "\(outcome.output)")
        }
    }
}

/// The TLS keys of a check in the cluster file: where they apply, and a CA file that is missing
/// or not PEM named at its place in the file.
@Suite struct HTTPSConfigTests {
    @Test func tlsKeysAreCheckedWhereTheyAreWritten() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-tlsconf-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".write(toFile: "\(folder)/ca.pem", atomically: true, encoding: .utf8)
        try "just text\n".write(toFile: "\(folder)/notes.txt", atomically: true, encoding: .utf8)
        let yaml = """
            cluster: tls
            nodes:
              - name: box
                address: 127.0.0.1
                checks:
                  - { name: good, http: "https://127.0.0.1:8443/health", tls_ca_file: ca.pem, tls_server_name: box.internal, tls_expiry_warning: 30d }
                  - { name: plain, http: "http://127.0.0.1:8080/health", tls_skip_verify: true }
                  - { name: missing, http: "https://127.0.0.1/health", tls_ca_file: nowhere.pem }
                  - { name: text, http: "https://127.0.0.1/health", tls_ca_file: notes.txt }
                  - { name: ftp, http: "ftp://127.0.0.1/health" }
                  - { name: half, http: "https://127.0.0.1/health", tls_cert_file: ca.pem }
            """
        let file = "\(folder)/c.yaml"
        let result = ClusterConfigLoader.check(text: yaml, file: file)
        #expect(result.diagnostics.map(\.description).map { $0.replacingOccurrences(of: folder + "/", with: "") } == [
            "c.yaml:7:62: 'tls_skip_verify' in check 'plain' of node 'box' only applies to https:// URLs and grpc checks with grpc_use_tls",
            "c.yaml:8:73: check 'missing' of node 'box': tls_ca_file nowhere.pem: no such file",
            "c.yaml:9:70: check 'text' of node 'box': tls_ca_file notes.txt holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            "c.yaml:10:28: check 'ftp' of node 'box': 'ftp://127.0.0.1/health' is not an http:// or https:// URL with a host",
            "c.yaml:11:57: check 'half' of node 'box': give tls_cert_file and tls_key_file together (a client certificate and its key)",
        ])
        let good = try #require(ClusterConfigLoader.check(text: yaml.components(separatedBy: "\n").prefix(6).joined(separator: "\n"), file: file).config)
        #expect(good.nodes[0].checks[0].tls == TLSOptions(caFile: "\(folder)/ca.pem", serverName: "box.internal"))
        #expect(good.nodes[0].checks[0].tlsExpiryWarning == .seconds(30 * 86_400))
    }
}
