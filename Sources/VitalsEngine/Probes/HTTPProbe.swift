import Foundation
import VitalsCore

/// Probes an HTTP endpoint, Consul's way: 2xx passing, 429 warning, anything else critical,
/// unless the check lists `expect_status`; `body_contains` and `response_time_below` refine it.
public struct HTTPProbe: Probe {
    let fetcher: HTTPFetcher

    public init(fetcher: HTTPFetcher = HTTPFetcher()) { self.fetcher = fetcher }

    public func run(_ check: CheckConfig) async -> ProbeOutcome {
        guard case .http(let url) = check.target, let target = HTTPTarget(url) else {
            return ProbeOutcome(status: .critical, output: "not an http check", latency: nil)
        }
        return await withRetries(check.retries, within: check.interval) { await attempt(check, url: url, target: target) }
    }

    /// The most body read; `body_contains`, `body_regex` and `body_json` look at all of it.
    public static let bodyLimit = 64 * 1024

    func attempt(_ check: CheckConfig, url: String, target: HTTPTarget) async -> ProbeOutcome {
        let response: HTTPResponse
        let method = check.method
        do {
            // Redirects are not followed: a 3xx is what the endpoint said, judged like any code.
            if method == "GET", check.headers.isEmpty, check.requestBody == nil {
                response = try await fetcher.get(target, timeout: check.timeout, maxBody: Self.bodyLimit, tls: check.tls)
            } else {
                let headers = check.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                let contentType = check.headers.first { $0.key.lowercased() == "content-type" }?.value ?? "application/json"
                response = try await fetcher.send(
                    method, target, body: Array((check.requestBody ?? "").utf8), contentType: contentType,
                    headers: headers.filter { $0.0.lowercased() != "content-type" }, timeout: check.timeout, maxBody: Self.bodyLimit, tls: check.tls
                )
            }
        } catch let error as FetchError {
            let latency: Duration? = if case .timedOut = error { check.timeout } else { nil }
            return ProbeOutcome(status: .critical, output: "HTTP \(method) \(url): \(error)", latency: latency)
        } catch {
            return ProbeOutcome(status: .critical, output: "HTTP \(method) \(url): \(error)", latency: nil)
        }
        let body = response.body.trimmingWhitespace
        let shown = body.utf8.count > 200 && body.count > 200 ? String(body.prefix(200)) + "…" : body
        var output = "HTTP \(method) \(url): \(response.status) \(response.reason)"
        if !shown.isEmpty { output += " Output: \(shown)" }
        var status = Self.status(forHTTP: response.status, expected: check.expectStatus)
        if status == .passing, let needle = check.bodyContains, !response.body.contains(needle) {
            status = .critical
            output += " (body does not contain '\(needle)')"
        }
        if status == .passing, let pattern = check.bodyRegex, let regex = LinearRegex.cached(pattern), !regex.matches(response.body) {
            status = .critical
            output += " (body does not match /\(pattern)/)"
        }
        if status == .passing, let condition = check.bodyJSON {
            let found = JSONPath.value(at: condition.path, in: response.body)
            if found != condition.equals {
                status = .critical
                output += " (\(condition.path) is \(found.map { "'\($0.prefix(80))'" } ?? "missing"), expected '\(condition.equals)')"
            }
        }
        if let expiry = response.certificateExpiry, let limit = check.tlsExpiryWarning {
            let left = expiry.timeIntervalSinceNow
            if left < limit.seconds {
                if status == .passing { status = .warning }
                let days = Int((abs(left) / 86_400).rounded(.down))
                output += left > 0 ? " (certificate expires in \(days == 0 ? "less than a day" : days == 1 ? "1 day" : "\(days) days"))" : " (certificate expired)"
            }
        }
        if status == .passing, let limit = check.responseTimeBelow, response.latency > limit {
            status = .warning
            output += " (took \(response.latency.goString), limit \(limit.goString))"
        }
        return ProbeOutcome(status: status, output: output, latency: response.latency)
    }

    /// The status an HTTP status code implies.
    public static func status(forHTTP code: Int, expected: [Int]) -> Status {
        if !expected.isEmpty { return expected.contains(code) ? .passing : .critical }
        switch code {
        case 200..<300: return .passing
        case 429: return .warning
        default: return .critical
        }
    }
}

extension String {
    /// Without leading and trailing white space and newlines (no Foundation: this runs per probe).
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) ?? first
        return String(scalars[first...last])
    }
}
