import Foundation
import NIOCore
import NIOPosix
import VitalsCore
import VitalsEngine

/// Talks to a Vitals API (`vitals serve`) as a person's dashboard does: every request says who
/// the person is (`X-Vitals-User`) and carries the token when there is one.
public struct APIClient: Sendable {
    /// An answer that is not a success, in the API's own words.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        /// The HTTP status (0 when there was no answer at all).
        public var status: Int
        /// The API's error code (`not_found`…), or `unreachable`.
        public var code: String
        public var reason: String
        public var problems: [String] = []
        public var description: String { reason }
    }

    public let base: HTTPTarget
    public let user: String
    private let token: String?
    private let fetcher: HTTPFetcher
    private let tls: TLSOptions
    public let timeout: Duration

    /// - Throws: `Failure` when `url` is not an http:// or https:// URL.
    public init(url: String, user: String, token: String? = nil, tls: TLSOptions = TLSOptions(), timeout: Duration = .seconds(10)) throws(Failure) {
        guard let base = HTTPTarget(url) else {
            throw Failure(status: 0, code: "bad_url", reason: "'\(url.sanitizedForTerminal)' is not an http:// or https:// URL")
        }
        self.base = base
        self.user = user
        self.token = token
        self.tls = tls
        self.timeout = timeout
        fetcher = HTTPFetcher()
    }

    /// The URL for `path` (which starts with `/` and may hold a query).
    public func target(_ path: String) -> HTTPTarget {
        var target = base
        let prefix = base.path.hasSuffix("/") ? String(base.path.dropLast()) : base.path
        target.path = prefix + path
        return target
    }

    /// The headers every request sends.
    public var headers: [(String, String)] {
        var headers = [("X-Vitals-User", user)]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return headers
    }

    public var tlsPair: (client: TLSClient, options: TLSOptions) { (fetcher.tlsClient, tls) }

    /// Sends a request and returns the body of a 2xx answer.
    /// - Throws: `Failure` with the API's code and reason, or `unreachable`.
    public func send(_ method: String, _ path: String, json: [String: Any]? = nil, maxBody: Int = 64 << 20) async throws(Failure) -> [UInt8] {
        let body: [UInt8] = json.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }.map(Array.init) ?? []
        let response: HTTPResponse
        do {
            response = try await fetcher.send(method, target(path), body: body, headers: headers, timeout: timeout, maxBody: maxBody, tls: tls)
        } catch {
            throw Failure(status: 0, code: "unreachable", reason: "\(error)")
        }
        let bytes = response.bytes.isEmpty ? Array(response.body.utf8) : response.bytes
        guard (200..<300).contains(response.status) else {
            let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
            throw Failure(
                status: response.status, code: object?["error"] as? String ?? "http_\(response.status)",
                reason: (object?["reason"] as? String ?? "\(response.status) \(response.reason)").sanitizedForTerminal,
                problems: (object?["problems"] as? [String] ?? []).map(\.sanitizedForTerminal)
            )
        }
        return bytes
    }

    /// The `message` of a short answer.
    public func message(_ method: String, _ path: String, json: [String: Any]? = nil) async throws(Failure) -> String {
        let bytes = try await send(method, path, json: json)
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        return (object?["message"] as? String ?? "done").sanitizedForTerminal
    }

    /// The `reason` of an API error body.
    static func reason(_ body: [UInt8]) -> String? {
        ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any])?["reason"] as? String
    }

    /// A path segment with everything but unreserved characters percent-encoded.
    public static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }
}
