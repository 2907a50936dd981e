import ArgumentParser
import Foundation
import VitalsCore
import VitalsServer

/// How the API listens: shared by `vitals serve` and the dashboard's `--listen`.
struct ServerOptions: ParsableArguments {
    @Option(name: .customLong("token-file"), help: ArgumentHelp("A file whose first line is the API's bearer token.", discussion: "Required off loopback; then every request must send it (Authorization: Bearer TOKEN, or X-Consul-Token)."))
    var tokenFile: String?

    @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this PEM certificate (chain)…")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "… and this PEM private key.")
    var tlsKey: String?

    @Option(help: "The most API connections open at once; more are closed as they come.")
    var maxConnections = 512

    func validate() throws {
        guard (1...100_000).contains(maxConnections) else { throw ValidationError("--max-connections must be from 1 to 100000") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    /// The server's configuration for `listen` (`HOST:PORT`).
    func configuration(listen: String) throws -> APIServer.Configuration {
        guard let (host, port) = AddressSyntax.hostPort(listen) else {
            throw ValidationError("--listen takes HOST:PORT (127.0.0.1:7070, [::1]:7070), not '\(listen.sanitizedForTerminal)'")
        }
        var configuration = APIServer.Configuration(host: host, port: port, token: try readToken())
        configuration.tlsCertificate = tlsCert
        configuration.tlsKey = tlsKey
        configuration.maxConnections = maxConnections
        return configuration
    }

    /// The token file's first line.
    func readToken() throws -> String? {
        guard let tokenFile else { return nil }
        return try TokenFile.read(tokenFile)
    }
}

enum TokenFile {
    /// The first line of `path`, which must hold a token of 16 or more printable characters.
    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read the token file \(path.sanitizedForTerminal)")
        }
        let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)?
            .trimmingCharacters(in: .whitespaces) ?? ""
        guard line.count >= 16, line.allSatisfy({ $0.isASCII && !$0.isWhitespace && ($0.asciiValue ?? 0) >= 33 }) else {
            throw ValidationError("the token in \(path.sanitizedForTerminal) must be one line of at least 16 printable characters without spaces (e.g. openssl rand -hex 32)")
        }
        return line
    }
}
