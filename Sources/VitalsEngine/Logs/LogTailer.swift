import Synchronization
import VitalsCore

/// Reads a node's log endpoint over a kept-alive connection and returns only the lines that are
/// new since the last read: the endpoint serves its newest lines, so the last line seen is
/// looked for in the answer and what follows it is new (all of it when it is gone: a gap).
final class LogTailer: Sendable {
    let fetcher: HTTPFetcher
    /// The last line each endpoint gave, by URL.
    private let lastSeen = Mutex<[String: String]>([:])

    init(fetcher: HTTPFetcher) {
        self.fetcher = fetcher
    }

    enum Outcome {
        case lines([String])
        case failed(String)
    }

    func read(_ target: HTTPTarget, url: String) async -> Outcome {
        do {
            let response = try await fetcher.get(target, timeout: .seconds(2), maxBody: 256 * 1024, keepAlive: true)
            guard response.status == 200 else { return .failed("log endpoint answered HTTP \(response.status) \(response.reason)") }
            let lines = response.body.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            return .lines(lastSeen.withLock { seen in
                defer { if let last = lines.last { seen[url] = last } }
                guard let previous = seen[url], let index = lines.lastIndex(of: previous) else { return lines }
                return Array(lines[(index + 1)...])
            })
        } catch {
            return .failed("cannot read logs: \(error)")
        }
    }
}
