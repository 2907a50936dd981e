import Foundation

/// Runs CPU-bound `body` on a thread of its own and waits for it: a test that computes for
/// seconds on the cooperative pool (two threads on two cores) starves every server beside it.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
