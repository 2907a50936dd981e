import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
    /// Runs `executable` with `arguments`, waiting at most `timeout` seconds (then SIGKILL).
    ///
    /// Uses posix_spawn and waitpid directly, with output in temporary files rather than pipes:
    /// a daemon the program starts (tmux's server, say) may keep descriptors open long after the
    /// program itself has exited, and Foundation's Process does not always reap such children.
    public static func process(_ executable: String, _ arguments: [String], timeout: TimeInterval = 60, environment: [String: String]? = nil) throws -> ProcessResult {
        let directory = FileManager.default.temporaryDirectory.path
        let outPath = "\(directory)/vitals-run-\(UUID().uuidString).out"
        let errPath = "\(directory)/vitals-run-\(UUID().uuidString).err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Keep the child from inheriting this process's other descriptors: SwiftNIO's listening
        // sockets are not close-on-exec, and a child holding one keeps a "closed" port open.
        for fd in 3..<Int32(1024) where fcntl(fd, F_GETFD) != -1 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        let merged = ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // Start the child as a shell would: no signal blocked and every signal at its default. A
        // test runs on a pool thread whose mask blocks signals, and this process ignores SIGPIPE;
        // a tmux server that inherited either never sees its children hang up or exit.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "cannot run \(executable): \(String(cString: strerror(spawned)))"])
        }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(5_000)
        }
        // Exit status, or 128 + signal as a shell reports it.
        let exitCode: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return ProcessResult(
            status: exitCode,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        )
    }
}
