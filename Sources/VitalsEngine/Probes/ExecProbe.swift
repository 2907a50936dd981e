import CVitalsProcess
import Foundation
import Synchronization
import VitalsCore

/// Runs a program, as Consul's script checks and Nagios plugins are run: the argv as written,
/// never through a shell; exit 0 is passing, 1 warning, anything else (or a signal) critical. Its
/// output (stdout and stderr together) is kept up to `outputLimit` bytes, the rest read and
/// dropped. At the timeout the program's whole process group is killed, children included. The
/// program inherits none of Vitals' descriptors besides the three standard ones.
public struct ExecProbe: Probe {
    /// The most output kept from one run.
    public static let outputLimit = 4 * 1024

    public init() {}

    public func run(_ check: CheckConfig) async -> ProbeOutcome {
        guard case .exec(let argv) = check.target, !argv.isEmpty else {
            return ProbeOutcome(status: .critical, output: "not an exec check", latency: nil)
        }
        return await withRetries(check.retries, within: check.interval, responseTimeBelow: check.responseTimeBelow) {
            // A cancelled run (the engine stopping: `check --wait` at its deadline) kills the
            // program at once rather than waiting out its timeout.
            let cancelled = Cancellation()
            return await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    // Waiting on a child blocks a thread: a thread of its own for each run, not one of
                    // Swift's few cooperative ones, nor a dispatch queue's (which runs about as many
                    // blocks at once as there are cores, so slow scripts would queue behind each other).
                    let timeout = check.timeout
                    Thread.detachNewThread { continuation.resume(returning: Self.runOnce(argv, timeout: timeout, cancelled: cancelled)) }
                }
            } onCancel: {
                cancelled.flag.store(true, ordering: .relaxed)
            }
        }
    }

    /// Set when the run is no longer wanted.
    final class Cancellation: Sendable {
        let flag = Atomic<Bool>(false)
    }

    static func runOnce(_ argv: [String], timeout: Duration, cancelled: Cancellation = Cancellation()) -> ProbeOutcome {
        let start = ContinuousClock.now
        var pipe: [Int32] = [0, 0]
        guard vitals_pipe_cloexec(&pipe) == 0 else {
            return ProbeOutcome(status: .critical, output: "cannot make a pipe: \(String(cString: strerror(errno)))", latency: nil)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
        // Nothing of Vitals' (sockets, the state file, the terminal) reaches the program.
        vitals_spawn_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own, so a timeout kills its children too; default signals, empty mask.
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let arguments = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, arguments, environ)
        close(pipe[1])
        defer { close(pipe[0]) }
        guard spawned == 0 else {
            return ProbeOutcome(status: .critical, output: "cannot run \(argv[0]): \(String(cString: strerror(spawned)))", latency: nil)
        }
        let deadline = start + timeout
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var timedOut = false
        var open = true
        // Read until the pipe closes (every holder of it exited) or the time is up.
        while open {
            let left = deadline - ContinuousClock.now
            if left <= .zero || cancelled.flag.load(ordering: .relaxed) {
                timedOut = true
                break
            }
            var poller = pollfd(fd: pipe[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, min(left.milliseconds, 100))))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress, $0.count) }
            if count > 0 {
                if output.count < outputLimit { output += buffer[0..<min(count, outputLimit - output.count)] }
            } else if count == 0 || errno != EINTR {
                open = false
            }
        }
        if timedOut {
            kill(-pid, SIGKILL)
        }
        var status: Int32 = 0
        // The pipe closed: the program has exited or is about to; wait for it (bounded).
        while waitpid(pid, &status, timedOut ? 0 : WNOHANG) == 0 {
            if ContinuousClock.now > deadline {
                kill(-pid, SIGKILL)
                timedOut = true
                waitpid(pid, &status, 0)
                break
            }
            usleep(1_000)
        }
        // Children it left behind in its group go with it.
        kill(-pid, SIGKILL)
        let latency = ContinuousClock.now - start
        let text = Self.summary(output)
        if timedOut {
            return ProbeOutcome(status: .critical, output: "timed out after \(timeout.goString); killed its process group" + (text.isEmpty ? "" : ": \(text)"), latency: timeout)
        }
        let exited = status & 0x7F == 0
        let code = (status >> 8) & 0xFF
        let verdict: Status = !exited ? .critical : code == 0 ? .passing : code == 1 ? .warning : .critical
        let how = exited ? "exit \(code)" : "killed by signal \(status & 0x7F)"
        return ProbeOutcome(status: verdict, output: text.isEmpty ? how : "\(how): \(text)", latency: latency)
    }

    /// The output as one line for the views: made visible, lines joined, cut with a mark.
    static func summary(_ bytes: [UInt8]) -> String {
        let text = LogText.decode(bytes[...]).trimmingCharacters(in: .whitespacesAndNewlines)
        let joined = text.split(separator: "\n", omittingEmptySubsequences: true).joined(separator: " ⏎ ")
        let visible = LogText.visible(joined)
        return bytes.count >= outputLimit ? visible + " …[cut at \(outputLimit / 1024) KiB]" : visible
    }
}
