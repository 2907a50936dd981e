import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program running beside the caller (a simulated fleet, say), with its output in a file,
/// stopped with `stop()` or when the value goes away.
public final class BackgroundProcess: @unchecked Sendable {
    public let pid: pid_t
    public let outputPath: String

    public init(_ executable: String, _ arguments: [String]) throws {
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-bg-\(UUID().uuidString).out").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        for fd in 3..<Int32(1024) where fcntl(fd, F_GETFD) != -1 { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "cannot run \(executable): \(String(cString: strerror(spawned)))"])
        }
        self.pid = pid
    }

    deinit { stop() }

    /// What it printed so far.
    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Waits until its output contains `text`.
    /// - Throws: when `timeout` seconds pass first or the program exits.
    public func waitForOutput(_ text: String, timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.contains(text) { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "exited before saying '\(text)':\n\(output)"])
            }
            usleep(20_000)
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "did not say '\(text)' within \(Int(timeout)) s:\n\(output)"])
    }

    /// Ends it (SIGTERM, then SIGKILL) and waits for it.
    public func stop() {
        guard kill(pid, 0) == 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<100 where waitpid(pid, &status, WNOHANG) == 0 { usleep(20_000) }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        unlink(outputPath)
    }
}
