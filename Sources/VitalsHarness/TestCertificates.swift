import Foundation
import VitalsHarness

/// A certificate authority and server certificates made by the real `openssl` command in a
/// temporary folder: the CA's certificate (`caFile`), and one server key and certificate per
/// set of names it was asked for.
public final class TestCertificates: Sendable {
    public let folder: String
    public var caFile: String { "\(folder)/ca.pem" }

    /// Whether the tests that need it can run here (prints why not when they cannot).
    public static var isAvailable: Bool { ExternalTool.available("openssl", package: "openssl") }

    public init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=Vitals Test CA", "-keyout", "\(folder)/ca.key", "-out", caFile,
        ])
    }

    /// A key and certificate signed by this CA for `names` (DNS names and IP addresses).
    /// - Returns: the paths of the certificate and the key (PEM).
    public func server(_ names: [String], file: String) throws -> (certificate: String, key: String) {
        let key = "\(folder)/\(file).key", request = "\(folder)/\(file).csr", certificate = "\(folder)/\(file).pem"
        let extensions = "\(folder)/\(file).ext"
        let alternatives = names.map { $0.contains(where: \.isLetter) && !$0.contains(":") ? "DNS:\($0)" : "IP:\($0)" }
        try "subjectAltName=\(alternatives.joined(separator: ","))\nextendedKeyUsage=serverAuth,clientAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=\(names[0])", "-keyout", key, "-out", request])
        try openssl([
            "x509", "-req", "-in", request, "-CA", caFile, "-CAkey", "\(folder)/ca.key", "-CAcreateserial", "-out", certificate,
            "-extfile", extensions, "-days", "30",
        ])
        return (certificate, key)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: folder) }

    private func openssl(_ arguments: [String]) throws {
        let path = ExternalTool.path(of: "openssl") ?? "/usr/bin/openssl"
        let result = try Run.process(path, arguments, timeout: 30)
        guard result.status == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.prefix(2)): \(result.stderr)"])
        }
    }
}
