import ArgumentParser
import Foundation
import VitalsEngine

/// Where acks, silences and alert history are kept, and who is acting.
struct StateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The SQLite file for acks, silences and alert history.", discussion: "Default: $XDG_STATE_HOME/vitals/state.sqlite (~/.local/state/vitals/state.sqlite)."))
    var state: String?

    @Flag(help: "If the state file is damaged, move it aside (FILE.broken-TIME) and start a fresh one.")
    var resetState = false

    @Option(help: "Who acknowledges and silences (default: $USER).")
    var user: String?

    /// The state file's path.
    var path: String {
        if let state { return state }
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        return base + "/vitals/state.sqlite"
    }

    /// The control socket of the instance using this state file (`vitals ttl` talks to it).
    var controlSocketPath: String {
        (path as NSString).deletingLastPathComponent + "/control.sock"
    }

    var who: String {
        let name = user ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        return name.isEmpty ? "unknown" : name
    }

    func validate() throws {
        if let user, user.isEmpty || user.count > 64 || user.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 32 } == true }) {
            throw ValidationError("--user must be a name of 1 to 64 printable characters")
        }
        if let state, state.isEmpty { throw ValidationError("--state needs a file name") }
    }

    /// Opens the state file and reads it back.
    /// - Throws: `ExitCode(1)` after printing why the file cannot be used.
    func open() throws -> (store: AlertStateStore, loaded: AlertStateStore.Loaded) {
        do {
            let store = try AlertStateStore(path: path, reset: resetState)
            return (store, try store.load())
        } catch {
            Output.error("vitals: \(error)")
            throw ExitCode(1)
        }
    }
}
