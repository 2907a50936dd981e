import Foundation
import NIOCore
import NIOSSL
import Synchronization
import VitalsCore

/// Client TLS for checks, scrapes and log reads: one `NIOSSLContext` per distinct set of options
/// (building one reads the trust store, milliseconds; a handshake then needs only the context),
/// and the words an operator expects when a handshake fails.
public final class TLSClient: Sendable {
    private struct Key: Hashable {
        var options: TLSOptions
        var alpn: [String]
    }

    private let contexts = Mutex<[Key: NIOSSLContext]>([:])
    /// Options that could not be used, with why and when that was found: a bad CA file is
    /// read again only after `retryFailedAfter`, not on every probe (on an event loop).
    private let failures = Mutex<[Key: (error: FetchError, at: ContinuousClock.Instant)]>([:])
    static let retryFailedAfter = Duration.seconds(30)

    public init() {}

    /// The handler that makes a connection to `host` speak TLS with `options`; `alpn` lists the
    /// application protocols offered (`h2` for gRPC).
    /// - Throws: `FetchError.tls` when the options cannot be used (a CA file that is not PEM).
    public func handler(host: String, options: TLSOptions, alpn: [String] = []) throws -> NIOSSLClientHandler {
        let context = try context(Key(options: options, alpn: alpn))
        // SNI and the certificate's name: the configured name, else the host unless it is an
        // address (then the certificate must list the address itself).
        let name = options.serverName ?? (AddressSyntax.isIPv4(host) || AddressSyntax.isIPv6(host) ? nil : host)
        do {
            return try NIOSSLClientHandler(context: context, serverHostname: name)
        } catch {
            throw FetchError.tls("'\(name ?? host)' cannot be sent as a TLS server name")
        }
    }

    private func context(_ key: Key) throws -> NIOSSLContext {
        if let context = contexts.withLock({ $0[key] }) { return context }
        if let failed = failures.withLock({ $0[key] }), ContinuousClock.now - failed.at < Self.retryFailedAfter { throw failed.error }
        do {
            let context = try build(key)
            contexts.withLock { $0[key] = context }
            failures.withLock { _ = $0.removeValue(forKey: key) }
            return context
        } catch let error as FetchError {
            failures.withLock { $0[key] = (error, ContinuousClock.now) }
            throw error
        }
    }

    private func build(_ key: Key) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = key.alpn
        if key.options.skipVerify {
            configuration.certificateVerification = .none
        } else if let file = key.options.caFile {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
            } catch {
                throw FetchError.tls("CA file \(file): \(Self.describeFileError(error))")
            }
        }
        if let certFile = key.options.certFile, let keyFile = key.options.keyFile {
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certFile).map { .certificate($0) }
            } catch {
                throw FetchError.tls("client certificate \(certFile): \(Self.describeFileError(error))")
            }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                throw FetchError.tls("client key \(keyFile): \(Self.describeFileError(error, what: "a PEM private key"))")
            }
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw FetchError.tls("cannot set up TLS: \(error)")
        }
        return context
    }

    private static func describeFileError(_ error: any Error, what: String = "a PEM certificate") -> String {
        if let ssl = error as? NIOSSLError {
            switch ssl {
            case .noSuchFilesystemObject: return "no such file"
            case .failedToLoadCertificate, .failedToLoadPrivateKey: return "not \(what)"
            default: break
            }
        }
        return "cannot be read (\(error))"
    }

    /// What an error on a connection to `host` means for a request on it: nil for a peer that
    /// closed without a TLS close (the close that follows ends what was being read), a TLS
    /// failure in words, or else the error as a protocol error.
    static func fetchError(_ error: any Error, host: String) -> FetchError? {
        if case NIOSSLError.uncleanShutdown = error { return nil }
        return describe(error, host: host).map(FetchError.tls) ?? .protocolError(String(describing: error))
    }

    /// What a TLS failure means, in the words an operator expects; nil when `error` is not one.
    static func describe(_ error: any Error, host: String) -> String? {
        if let extra = error as? NIOSSLExtraError {
            if extra == .failedToValidateHostname || extra == .serverHostnameImpossibleToMatch {
                return "TLS: the server's certificate is not for \(host) (set tls_server_name to the name it has)"
            }
            return "TLS: \(extra)"
        }
        if let boring = error as? BoringSSLError { return "TLS: " + describe(stack: String(describing: boring)) }
        guard let ssl = error as? NIOSSLError else { return nil }
        switch ssl {
        case .handshakeFailed(let inner):
            if case .syscallError = inner { return "TLS handshake failed: connection closed during the handshake" }
            return "TLS handshake failed: " + describe(stack: String(describing: inner))
        case .uncleanShutdown:
            return "TLS: connection closed without a TLS close"
        default:
            return "TLS: \(ssl)"
        }
    }

    /// What a BoringSSL error stack says, in words.
    private static func describe(stack text: String) -> String {
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "certificate not trusted (unknown or self-signed CA, expired, or not yet valid; give tls_ca_file, or tls_skip_verify)"
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") || text.contains("HTTP_REQUEST") {
            return "the server does not speak TLS on this port (an http:// URL?)"
        }
        if text.contains("ALERT_CERTIFICATE_REQUIRED") || text.contains("ALERT_BAD_CERTIFICATE") || text.contains("ALERT_UNKNOWN_CA") {
            return "the server refused the client certificate, or wants one (tls_cert_file, tls_key_file) (\(reason(in: text)))"
        }
        if text.contains("TLSV1_ALERT") || text.contains("SSLV3_ALERT") {
            return "the server refused it (\(reason(in: text)))"
        }
        return reason(in: text)
    }

    /// The last BoringSSL reason in an error stack's text (`…:OPENSSL_internal:NO_SHARED_CIPHER`),
    /// lower-cased with spaces.
    private static func reason(in text: String) -> String {
        guard let range = text.range(of: "OPENSSL_internal:", options: .backwards) else { return text }
        let word = text[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return word.isEmpty ? text : word.lowercased().replacingOccurrences(of: "_", with: " ")
    }
}
