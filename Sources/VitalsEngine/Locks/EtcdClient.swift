import Foundation
import NIOCore
import NIOPosix
import Synchronization
import VitalsCore

/// One key of etcd, as its v3 API has it (keys and values are bytes).
public struct EtcdKeyValue: Sendable, Equatable {
    public var key: [UInt8]
    public var value: [UInt8]
    public var createRevision: Int64
    public var modRevision: Int64
    /// The lease the key is attached to; 0 for none.
    public var lease: Int64

    public init(key: [UInt8], value: [UInt8] = [], createRevision: Int64, modRevision: Int64, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.lease = lease
    }

    /// The key as text, with bytes that are not UTF-8 escaped (`\xff`): never raw on a screen.
    public var keyText: String { Self.text(key) }
    public var valueText: String { Self.text(value) }

    static func text(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text.sanitizedForTerminal }
        return bytes.map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
    }
}

/// Why etcd could not answer.
public enum EtcdError: Error, Sendable, CustomStringConvertible {
    /// No endpoint answered; the reason from each.
    case unreachable([String])
    case http(status: Int, message: String)
    /// A watch asked for a revision etcd has compacted away.
    case compacted(Int64)
    case badAnswer(String)

    public var description: String {
        switch self {
        case .unreachable(let reasons): "etcd unreachable: " + reasons.joined(separator: "; ")
        case .http(let status, let message): "etcd answered HTTP \(status): \(message)"
        case .compacted(let revision): "revision compacted (oldest kept: \(revision))"
        case .badAnswer(let why): "etcd's answer could not be read: \(why)"
        }
    }
}

/// A client of etcd's v3 JSON gateway (`/v3/kv/range`, `/v3/lease/timetolive`, `/v3/watch`,
/// `/v3/auth/authenticate`): keys and values base64, 64-bit numbers as strings. Several
/// endpoints: a request that cannot reach one tries the next, and the one that answered is tried
/// first next time.
public final class EtcdClient: Sendable {
    public let endpoints: [HTTPTarget]
    let fetcher: HTTPFetcher
    let group: any EventLoopGroup
    let timeout: Duration
    /// How `https://` endpoints are trusted, and the client certificate shown to them.
    let tls: TLSOptions
    private let credentials: (username: String, password: String)?
    private let state = Mutex(State())

    private struct State {
        var preferred = 0
        var token: String?
    }

    /// Keys per range request; longer ranges are read in pages at one revision.
    public static let pageSize = 1000

    public init(
        endpoints: [HTTPTarget], username: String? = nil, password: String? = nil, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        timeout: Duration = .seconds(2), tls: TLSOptions = TLSOptions()
    ) {
        self.endpoints = endpoints
        self.tls = tls
        self.group = group
        fetcher = HTTPFetcher(group: group)
        self.timeout = timeout
        if let username, let password { credentials = (username, password) } else { credentials = nil }
    }

    /// The endpoint that answered last (or will be tried first).
    public var currentEndpoint: HTTPTarget? {
        let index = state.withLock { $0.preferred }
        return endpoints.indices.contains(index) ? endpoints[index] : endpoints.first
    }

    /// Every key with `prefix` (or only `key` exactly, when `prefix` is false), read in pages at
    /// one revision so the result is consistent.
    public func range(_ key: [UInt8], prefix: Bool = true) async throws -> (revision: Int64, kvs: [EtcdKeyValue]) {
        let end = prefix ? Self.prefixEnd(key) : nil
        var start = key
        var revision: Int64 = 0
        var result: [EtcdKeyValue] = []
        while true {
            var body: [String: Any] = ["key": Self.base64(start), "limit": String(Self.pageSize)]
            if let end { body["range_end"] = Self.base64(end) }
            if revision > 0 { body["revision"] = String(revision) }
            let answer = try await post("/v3/kv/range", body)
            if revision == 0 { revision = Self.int(answer["header"].flatMap { ($0 as? [String: Any])?["revision"] }) }
            let kvs = (answer["kvs"] as? [[String: Any]] ?? []).compactMap(Self.keyValue)
            result += kvs
            guard prefix, answer["more"] as? Bool == true, let last = kvs.last else { break }
            start = last.key + [0]
        }
        return (revision, result)
    }

    /// Seconds left on `lease` and the TTL it was granted with; `ttl` is -1 when it has expired.
    public func timeToLive(_ lease: Int64) async throws -> (ttl: Int64, granted: Int64) {
        let answer = try await post("/v3/lease/timetolive", ["ID": String(lease)])
        return (Self.int(answer["TTL"]), Self.int(answer["grantedTTL"]))
    }

    /// Watches `prefix` from `revision`: each message is a batch of changes, all at one revision.
    public func watch(_ key: [UInt8], prefix: Bool = true, from revision: Int64) -> AsyncThrowingStream<EtcdWatch.Message, any Error> {
        var create: [String: Any] = ["key": Self.base64(key), "start_revision": String(revision)]
        if prefix { create["range_end"] = Self.base64(Self.prefixEnd(key)) }
        let body = Self.json(["create_request": create])
        let target = currentEndpoint?.appending("/v3/watch")
        let token = state.withLock { $0.token }
        guard let target else { return AsyncThrowingStream { $0.finish(throwing: EtcdError.unreachable(["no endpoints"])) } }
        return EtcdWatch.open(target, body: body, token: token, group: group, connectTimeout: timeout, tls: (fetcher.tlsClient, tls))
    }

    /// POSTs `body` to `path` (any v3 gateway call: `/v3/kv/put`, `/v3/kv/txn`…) on the preferred
    /// endpoint, then the others; the JSON answer.
    /// - Throws: `EtcdError`.
    public func post(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        let bytes = Self.json(body)
        var reasons: [String] = []
        let first = state.withLock { $0.preferred }
        for offset in endpoints.indices {
            let index = (first + offset) % endpoints.count
            let endpoint = endpoints[index]
            do {
                var answer = try await send(endpoint, path, bytes)
                if answer.status == 401, credentials != nil {
                    try await authenticate(endpoint)
                    answer = try await send(endpoint, path, bytes)
                }
                guard answer.status == 200 else {
                    throw EtcdError.http(status: answer.status, message: Self.message(answer.body))
                }
                guard let object = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any] else {
                    throw EtcdError.badAnswer("not a JSON object")
                }
                state.withLock { $0.preferred = index }
                return object
            } catch let error as FetchError {
                // Unreachable or silent: the next endpoint may answer.
                reasons.append("\(endpoint.host):\(endpoint.port): \(error)")
            }
        }
        throw EtcdError.unreachable(reasons)
    }

    private func send(_ endpoint: HTTPTarget, _ path: String, _ body: [UInt8]) async throws -> HTTPResponse {
        let headers = state.withLock { $0.token }.map { [("Authorization", $0)] } ?? []
        return try await fetcher.send("POST", endpoint.appending(path), body: body, headers: headers, timeout: timeout, maxBody: 64 << 20, tls: tls)
    }

    private func authenticate(_ endpoint: HTTPTarget) async throws {
        guard let credentials else { return }
        let body = Self.json(["name": credentials.username, "password": credentials.password])
        let answer = try await fetcher.send("POST", endpoint.appending("/v3/auth/authenticate"), body: body, timeout: timeout, tls: tls)
        guard answer.status == 200,
              let object = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any],
              let token = object["token"] as? String else {
            throw EtcdError.http(status: answer.status, message: "authentication failed: " + Self.message(answer.body))
        }
        state.withLock { $0.token = token }
    }

    static func message(_ body: String) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        let text = (object?["message"] as? String) ?? (object?["error"] as? String) ?? body
        return String(text.prefix(200)).sanitizedForTerminal
    }

    /// The smallest key after every key that starts with `key` (etcd's `range_end` for a prefix).
    static func prefixEnd(_ key: [UInt8]) -> [UInt8] {
        var end = key
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]  // every key
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func bytes(_ value: Any?) -> [UInt8] {
        guard let text = value as? String, let data = Data(base64Encoded: text) else { return [] }
        return Array(data)
    }

    /// A 64-bit number as the gateway writes it (a string; absent means 0).
    static func int(_ value: Any?) -> Int64 {
        if let text = value as? String { return Int64(text) ?? 0 }
        if let number = value as? NSNumber { return number.int64Value }
        return 0
    }

    static func keyValue(_ object: [String: Any]) -> EtcdKeyValue? {
        let key = bytes(object["key"])
        guard !key.isEmpty else { return nil }
        return EtcdKeyValue(
            key: key, value: bytes(object["value"]), createRevision: int(object["create_revision"]),
            modRevision: int(object["mod_revision"]), lease: int(object["lease"])
        )
    }

    static func json(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }
}
