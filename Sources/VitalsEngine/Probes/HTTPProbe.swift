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
        return await withRetries(check.retries) { await attempt(check, url: url, target: target) }
    }

    func attempt(_ check: CheckConfig, url: String, target: HTTPTarget) async -> ProbeOutcome {
        let response: HTTPResponse
        do {
            response = try await fetcher.get(target, timeout: check.timeout, maxBody: 4096)
        } catch let error as FetchError {
            let latency: Duration? = if case .timedOut = error { check.timeout } else { nil }
            return ProbeOutcome(status: .critical, output: "HTTP GET \(url): \(error)", latency: latency)
        } catch {
            return ProbeOutcome(status: .critical, output: "HTTP GET \(url): \(error)", latency: nil)
        }
        let body = response.body.trimmingWhitespace
        let shown = body.utf8.count > 200 && body.count > 200 ? String(body.prefix(200)) + "…" : body
        var output = "HTTP GET \(url): \(response.status) \(response.reason)"
        if !shown.isEmpty { output += " Output: \(shown)" }
        var status = Self.status(forHTTP: response.status, expected: check.expectStatus)
        if status == .passing, let needle = check.bodyContains, !response.body.contains(needle) {
            status = .critical
            output += " (body does not contain '\(needle)')"
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
