import NIOCore
import NIOPosix
import VitalsCore

/// Probes a TCP port: passing when a connection is accepted within the timeout.
public struct TCPProbe: Probe {
    let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) { self.group = group }

    public func run(_ check: CheckConfig) async -> ProbeOutcome {
        guard case .tcp(let host, let port) = check.target else {
            return ProbeOutcome(status: .critical, output: "not a tcp check", latency: nil)
        }
        return await withRetries(check.retries) { await attempt(host: host, port: port, timeout: check.timeout) }
    }

    func attempt(host: String, port: Int, timeout: Duration) async -> ProbeOutcome {
        let target = AddressSyntax.join(host, port)
        let start = ContinuousClock.now
        let limit = TimeAmount.nanoseconds(timeout.nanoseconds)
        do {
            let loop = group.next()
            let connected = loop.makePromise(of: (any Channel).self)
            ClientBootstrap(group: loop)
                .connectTimeout(limit)
                .connect(to: host, port: port)
                .whenComplete { result in
                    switch result {
                    case .success(let channel):
                        // Closed at once if the wait was cancelled before the connection came.
                        connected.futureResult.whenFailure { _ in channel.close(promise: nil) }
                        connected.succeed(channel)
                    case .failure(let error):
                        connected.fail(error)
                    }
                }
            let channel = try await connected.valueOrCancellation()
            let latency = ContinuousClock.now - start
            try? await channel.close()
            return ProbeOutcome(status: .passing, output: "TCP connect \(target): Success", latency: latency)
        } catch {
            let why = describeConnectError(error, host: host, port: port, timeout: timeout)
            let timedOut = why.contains("timed out")
            return ProbeOutcome(status: .critical, output: "TCP connect \(target): \(why)", latency: timedOut ? timeout : nil)
        }
    }
}
