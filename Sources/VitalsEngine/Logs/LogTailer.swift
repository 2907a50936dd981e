import VitalsCore

/// Reads the newest lines of a node's log endpoint over a kept-alive connection.
struct LogTailer: Sendable {
    let fetcher: HTTPFetcher
    let linesKept: Int

    /// The newest lines, made safe for a terminal, or one line saying why there are none.
    func tail(_ target: HTTPTarget) async -> [String] {
        do {
            let response = try await fetcher.get(target, timeout: .seconds(2), maxBody: 64 * 1024, keepAlive: true)
            guard response.status == 200 else { return ["(log endpoint answered HTTP \(response.status) \(response.reason))"] }
            return response.body.split(separator: "\n").suffix(linesKept).map { String($0).sanitizedForTerminal }
        } catch {
            return ["(cannot read logs: \(error))".sanitizedForTerminal]
        }
    }
}
