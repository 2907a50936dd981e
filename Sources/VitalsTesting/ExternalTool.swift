import Foundation

/// Finds the real programs integration tests need (tmux, etcd, …). In CI (`CI=true`) a missing
/// one is a failure; on a laptop the test is skipped with a message saying what to install.
public enum ExternalTool {
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The full path of `name` on PATH, or nil.
    public static func path(of name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether a test that needs `name` can run here. Prints why not when it cannot.
    public static func available(_ name: String, package: String) -> Bool {
        if path(of: name) != nil { return true }
        print("⚠️  \(name) is not installed (Debian package \(package)); tests that need it are skipped. scripts/test installs it.")
        return isCI
    }
}

/// Runs a program to completion and captures what it printed.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum Run {
    /// Runs `executable` with `arguments`, waiting at most `timeout` seconds.
    public static func process(_ executable: String, _ arguments: [String], timeout: TimeInterval = 60, environment: [String: String]? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        // Read while waiting so a chatty process never blocks on a full pipe.
        let outData = Data.Accumulator(), errData = Data.Accumulator()
        let group = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        group.wait()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData.get(), as: UTF8.self), stderr: String(decoding: errData.get(), as: UTF8.self))
    }
}

extension Data {
    /// A box to hand data back from another thread.
    final class Accumulator: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
        func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
    }
}
