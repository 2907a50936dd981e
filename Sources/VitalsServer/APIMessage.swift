import Foundation
import VitalsCore

/// One request as the router sees it: whole, with its body read (and capped) already.
public struct APIRequest: Sendable {
    public var method: String
    /// The path without its query, percent-decoding not yet applied.
    public var path: String
    /// Query parameters, decoded; a parameter given without a value (`?passing`) maps to "".
    public var query: [String: String]
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The caller's address.
    public var remote: String

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = [], remote: String = "127.0.0.1") {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remote = remote
    }

    /// Splits a request target (`/v1/logs?node=a&q=x%20y`) into its path and decoded query.
    public static func split(target: String) -> (path: String, query: [String: String]) {
        guard let mark = target.firstIndex(of: "?") else { return (target, [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            guard !key.isEmpty else { continue }
            query[key] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return (String(target[..<mark]), query)
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

/// An answer: a status, headers and a body, or a stream of server-sent events.
public struct APIResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// `GET /v1/events`: the connection stays open and the event hub writes to it.
        case events
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int, headers: [(String, String)] = [], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer with an encoded value.
    public static func json(_ value: some Encodable, status: Int = 200) -> APIResponse {
        do {
            let data = try ClusterSnapshot.encoder(pretty: false).encode(value)
            return APIResponse(status: status, headers: [("Content-Type", "application/json")], body: .bytes(Array(data) + [10]))
        } catch {
            return APIError(.internalError, "cannot encode the answer: \(error)").response
        }
    }

    public static func text(_ text: String, contentType: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", contentType)], body: .bytes(Array(text.utf8)))
    }

    /// A short JSON answer saying what was done.
    public static func done(_ message: String, extra: [String: String] = [:], status: Int = 200) -> APIResponse {
        var fields = extra
        fields["message"] = message
        return .json(fields, status: status)
    }
}

/// An error the API answers with: a stable machine-readable code, and a reason in words.
/// `{"error": "not_found", "reason": "no node 'cart-9' (nodes: cart-1, cart-2)"}`
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The codes clients may rely on; new ones may be added, none renamed.
    public enum Code: String, Sendable, CaseIterable, Codable {
        case badRequest = "bad_request"
        case invalidJSON = "invalid_json"
        case invalidField = "invalid_field"
        case unknownField = "unknown_field"
        case userRequired = "user_required"
        case unauthorized
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case payloadTooLarge = "payload_too_large"
        case requestTimeout = "request_timeout"
        case reloadRefused = "reload_refused"
        case alreadyInState = "already_in_state"
        case stateUnavailable = "state_unavailable"
        case unavailable
        case internalError = "internal_error"
        case invalidRegistration = "invalid_registration"
        case conflict
        case registrationLimit = "registration_limit"
        /// A scale command that failed or ran out of time.
        case scaleFailed = "scale_failed"

        public var status: Int {
            switch self {
            case .badRequest, .invalidJSON, .invalidField, .unknownField, .userRequired, .invalidRegistration: 400
            case .unauthorized: 401
            case .notFound: 404
            case .methodNotAllowed: 405
            case .requestTimeout: 408
            case .alreadyInState, .conflict: 409
            case .registrationLimit: 429
            case .payloadTooLarge: 413
            case .reloadRefused, .scaleFailed: 422
            case .internalError: 500
            case .stateUnavailable, .unavailable: 503
            }
        }
    }

    public var code: Code
    public var reason: String
    /// Extra headers (`Allow` for 405, `WWW-Authenticate` for 401).
    public var headers: [(String, String)] = []
    /// Extra fields beside `error` and `reason` (a refused reload's `problems`).
    public var problems: [String] = []

    public init(_ code: Code, _ reason: String, headers: [(String, String)] = [], problems: [String] = []) {
        self.code = code
        self.reason = reason
        self.headers = headers
        self.problems = problems
    }

    public var description: String { "\(code.rawValue): \(reason)" }

    public static func == (lhs: APIError, rhs: APIError) -> Bool { lhs.code == rhs.code && lhs.reason == rhs.reason }

    private struct Body: Encodable {
        var error: String
        var reason: String
        var problems: [String]?
    }

    public var response: APIResponse {
        var response = APIResponse.json(Body(error: code.rawValue, reason: reason, problems: problems.isEmpty ? nil : problems), status: code.status)
        response.headers += headers
        return response
    }
}
