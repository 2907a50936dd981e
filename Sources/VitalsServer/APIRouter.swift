import Foundation
import NIOCore
import Synchronization
import VitalsCore
import VitalsEngine

/// One route: a method and a path pattern whose `{name}` segments are parameters. A parameter
/// written `{name...}` takes one or more segments (a check id is `node/service/check`).
public struct APIRoute: Sendable, Equatable {
    public var method: String
    public var pattern: String
    /// The pattern as OpenAPI writes it (`{id...}` becomes `{id}`).
    public var openAPIPath: String { pattern.replacingOccurrences(of: "...}", with: "}") }
}

/// Turns requests into answers: matches the route, checks the input, asks the engine, and says
/// what went wrong in a stable error code when something did. Never blocks an event loop: it
/// runs on Swift's tasks, and the engine's calls are quick (a state-file write at most).
public final class APIRouter: Sendable {
    /// Every route the API serves; the OpenAPI document lists exactly these (a test checks).
    public static let routes: [APIRoute] = [
        APIRoute(method: "GET", pattern: "/v1/status"),
        APIRoute(method: "GET", pattern: "/v1/snapshot"),
        APIRoute(method: "GET", pattern: "/v1/events"),
        APIRoute(method: "GET", pattern: "/v1/nodes/{name}"),
        APIRoute(method: "PUT", pattern: "/v1/nodes/{name}/maintenance"),
        APIRoute(method: "DELETE", pattern: "/v1/nodes/{name}/maintenance"),
        APIRoute(method: "GET", pattern: "/v1/logs"),
        APIRoute(method: "POST", pattern: "/v1/logs"),
        APIRoute(method: "GET", pattern: "/v1/alerts"),
        APIRoute(method: "POST", pattern: "/v1/alerts/{fingerprint}/ack"),
        APIRoute(method: "POST", pattern: "/v1/alerts/{fingerprint}/unack"),
        APIRoute(method: "GET", pattern: "/v1/silences"),
        APIRoute(method: "POST", pattern: "/v1/silences"),
        APIRoute(method: "DELETE", pattern: "/v1/silences/{id}"),
        APIRoute(method: "PUT", pattern: "/v1/checks/{id...}/ttl"),
        APIRoute(method: "POST", pattern: "/v1/reload"),
        APIRoute(method: "POST", pattern: "/v1/capacity/{service}/scale"),
        APIRoute(method: "GET", pattern: "/metrics"),
    ] + consulRoutes

    /// The largest body a request may send, except `POST /v1/logs`.
    public static let bodyLimit = 1024 * 1024
    /// The largest body of `POST /v1/logs` (JSON lines).
    public static let logBodyLimit = 16 * 1024 * 1024

    let backend: any APIBackend
    let log: ServerLog
    let started: Date
    let connections: ConnectionCounter
    /// Blocking queries of the Consul catalog and health endpoints.
    let catalog: CatalogWatch
    /// The newest snapshot's compact JSON, encoded once per generation however many ask.
    let encodedSnapshot = Mutex<(generation: UInt64, time: Date, bytes: [UInt8])?>(nil)

    public init(backend: any APIBackend, log: ServerLog, connections: ConnectionCounter = ConnectionCounter(limit: 1_024)) {
        self.backend = backend
        self.log = log
        self.connections = connections
        catalog = CatalogWatch(backend: backend)
        started = Date()
    }

    /// The body limit for a request to `path` with `method`.
    static func bodyLimit(method: String, path: String) -> Int {
        method == "POST" && path == "/v1/logs" ? logBodyLimit : bodyLimit
    }

    /// Finds the route for `method` and `path`.
    /// - Returns: the route and its parameters, or the error to answer (404, or 405 with `Allow`).
    static func match(method: String, path: String) -> Result<(APIRoute, [String: String]), APIError> {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        var allowed: [String] = []
        for route in routes {
            guard let parameters = bind(route.pattern, to: segments) else { continue }
            if route.method == method { return .success((route, parameters)) }
            allowed.append(route.method)
        }
        if !allowed.isEmpty {
            return .failure(APIError(.methodNotAllowed, "\(path) takes \(allowed.joined(separator: ", ")), not \(method)", headers: [("Allow", allowed.joined(separator: ", "))]))
        }
        return .failure(APIError(.notFound, "no route \(path.sanitizedForTerminal) (see docs/openapi.yaml)"))
    }

    private static func bind(_ pattern: String, to segments: [String]) -> [String: String]? {
        let parts = pattern.split(separator: "/").map(String.init)
        var parameters: [String: String] = [:]
        var index = 0
        for (position, part) in parts.enumerated() {
            if part.hasPrefix("{") && part.hasSuffix("...}") {
                // Takes every segment but those the rest of the pattern needs.
                let rest = parts.count - position - 1
                let end = segments.count - rest
                guard end > index else { return nil }
                let taken = segments[index..<end].map { $0.removingPercentEncoding ?? $0 }
                guard !taken.contains(where: \.isEmpty) else { return nil }
                parameters[String(part.dropFirst().dropLast(4))] = taken.joined(separator: "/")
                index = end
            } else if part.hasPrefix("{") && part.hasSuffix("}") {
                guard index < segments.count, !segments[index].isEmpty else { return nil }
                parameters[String(part.dropFirst().dropLast())] = segments[index].removingPercentEncoding ?? segments[index]
                index += 1
            } else {
                guard index < segments.count, segments[index] == part else { return nil }
                index += 1
            }
        }
        return index == segments.count ? parameters : nil
    }

    /// Answers `request` (routes already matched for events by the connection).
    public func handle(_ request: APIRequest) async -> APIResponse {
        switch Self.match(method: request.method, path: request.path) {
        case .failure(let error):
            return error.response
        case .success(let (route, parameters)):
            if Self.writesStateFile(route) {
                // A state-file write may wait up to 2 s on SQLite's lock (synchronous=FULL): on a
                // thread of its own, never on the cooperative pool or an event loop.
                return await withCheckedContinuation { continuation in
                    Self.writer.async {
                        do throws(APIError) {
                            continuation.resume(returning: try self.answerWriting(route, parameters, request))
                        } catch {
                            continuation.resume(returning: error.response)
                        }
                    }
                }
            }
            do {
                return try await answer(route, parameters, request)
            } catch {
                return error.response
            }
        }
    }

    /// Where the commands that write the state file run, one at a time, as SQLite takes them.
    private static let writer = DispatchQueue(label: "vitals.api.state-writes")

    static func writesStateFile(_ route: APIRoute) -> Bool {
        switch (route.method, route.pattern) {
        case ("PUT", "/v1/nodes/{name}/maintenance"), ("DELETE", "/v1/nodes/{name}/maintenance"),
             ("POST", "/v1/alerts/{fingerprint}/ack"), ("POST", "/v1/alerts/{fingerprint}/unack"),
             ("POST", "/v1/silences"), ("DELETE", "/v1/silences/{id}"), ("PUT", "/v1/checks/{id...}/ttl"): true
        default: false
        }
    }

    /// The routes `writesStateFile` names.
    private func answerWriting(_ route: APIRoute, _ parameters: [String: String], _ request: APIRequest) throws(APIError) -> APIResponse {
        let engine = backend.engine
        switch (route.method, route.pattern) {
        case ("PUT", "/v1/nodes/{name}/maintenance"): return try beginMaintenance(engine, node: parameters["name"] ?? "", request)
        case ("DELETE", "/v1/nodes/{name}/maintenance"): return try endMaintenance(engine, node: parameters["name"] ?? "", request)
        case ("POST", "/v1/alerts/{fingerprint}/ack"): return try acknowledge(engine, parameters["fingerprint"] ?? "", request)
        case ("POST", "/v1/alerts/{fingerprint}/unack"): return try unacknowledge(engine, parameters["fingerprint"] ?? "", request)
        case ("POST", "/v1/silences"): return try silence(engine, request)
        case ("DELETE", "/v1/silences/{id}"): return try expireSilence(engine, parameters["id"] ?? "", request)
        case ("PUT", "/v1/checks/{id...}/ttl"): return try heartbeat(engine, parameters["id"] ?? "", request)
        default: throw APIError(.internalError, "route \(route.method) \(route.pattern) does not write the state file")
        }
    }

    private func answer(_ route: APIRoute, _ parameters: [String: String], _ request: APIRequest) async throws(APIError) -> APIResponse {
        let engine = backend.engine
        switch (route.method, route.pattern) {
        case ("GET", "/v1/status"): return status(engine)
        case ("GET", "/v1/snapshot"): return try snapshot(engine, pretty: request.query["pretty"] != nil)
        case ("GET", "/v1/events"): return APIResponse(status: 200, headers: EventHub.headers, body: .events)
        case ("GET", "/v1/nodes/{name}"): return try node(engine, parameters["name"] ?? "")
        case ("GET", "/v1/logs"): return try searchLogs(engine, request.query)
        case ("POST", "/v1/logs"): return pushLogs(engine, request)
        case ("GET", "/v1/alerts"): return .json(AlertList(alerts: engine.store.latest.alerts, history: engine.store.latest.alertHistory))
        case ("GET", "/v1/silences"): return .json(SilenceList(silences: engine.store.latest.silences))
        case ("POST", "/v1/reload"): return try await reload(request)
        case ("POST", "/v1/capacity/{service}/scale"): return try await scale(engine, service: parameters["service"] ?? "", request)
        case ("GET", "/metrics"): return metrics(engine)
        case (_, let pattern) where pattern.hasPrefix("/v1/agent/") || pattern.hasPrefix("/v1/catalog/") || pattern.hasPrefix("/v1/health/"):
            return try await consul(route, parameters, request)
        default: throw APIError(.internalError, "route \(route.method) \(route.pattern) has no handler")
        }
    }

    /// Who acts: the `by` field, else (when it is absent or empty) the `X-Vitals-User` header.
    static func user(_ request: APIRequest, field: String?) throws(APIError) -> String {
        guard let name = field.flatMap({ $0.isEmpty ? nil : $0 }) ?? request.headers["x-vitals-user"], !name.isEmpty else {
            throw APIError(.userRequired, "say who acts: a 'by' field or an X-Vitals-User header (teammates see the name)")
        }
        guard name.count <= 64, !name.contains(where: { $0.isNewline || ($0.asciiValue.map { $0 < 32 || $0 == 127 } ?? false) }) else {
            throw APIError(.invalidField, "the user must be 1 to 64 printable characters")
        }
        return name
    }

    /// Runs a person's command; a state file that cannot take it is `state_unavailable`.
    static func storing<T>(_ body: () throws(AlertStateStore.Problem) -> T) throws(APIError) -> T {
        do {
            return try body()
        } catch {
            throw stored(error)
        }
    }

    static func stored(_ problem: AlertStateStore.Problem) -> APIError {
        APIError(.stateUnavailable, "not saved, nothing changed: \(problem)")
    }
}
