import ArgumentParser
import Foundation
import VitalsEngine

/// Where acks, silences and alert history are kept, and who is acting.
struct StateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The SQLite file for acks, silences and alert history.", discussion: "Default: $XDG_STATE_HOME/vitals/state.sqlite (~/.local/state/vitals/state.sqlite)."))
    var state: String?

    @Flag(help: "If the state file is damaged, move it aside (FILE.broken-TIME) and start a fresh one.")
    var resetState = false

    @Option(help: "Who acknowledges and silences (default: your login name).")
    var user: String?

    /// The state file's path.
    var path: String {
        if let state { return state }
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        return base + "/vitals/state.sqlite"
    }

    /// The control socket of the instance using this state file (`vitals ttl` talks to it): the
    /// state file's path with `.sock` added, so two state files in one folder have two sockets;
    /// where that is too long for a socket address, one in the runtime folder named by a hash of it.
    var controlSocketPath: String { Self.controlSocketPath(forState: path) }

    static func controlSocketPath(forState state: String) -> String {
        let absolute = URL(fileURLWithPath: state).standardizedFileURL.path
        let beside = absolute + ".sock"
        if beside.utf8.count <= 107 { return beside }
        let environment = ProcessInfo.processInfo.environment
        let runtime = environment["XDG_RUNTIME_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp/vitals-\(getuid())"
        // FNV-1a: stable across runs and builds (Swift's Hasher is seeded per process).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in absolute.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "\(runtime)/vitals-\(String(hash, radix: 16)).sock"
    }

    /// Who acts: `--user`, else `$USER` when it is a usable name, else the login name of this
    /// process's user in the password database (root with no `$USER` is `root`, not "unknown").
    var who: String {
        if let user { return user }
        if let name = ProcessInfo.processInfo.environment["USER"], Self.isUsable(name) { return name }
        return Self.loginName ?? "uid \(getuid())"
    }

    /// The password database's name for this process's user.
    static var loginName: String? {
        guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return nil }
        let text = String(cString: name)
        return isUsable(text) ? text : nil
    }

    /// 1 to 64 printable characters: no control characters (C0, DEL, C1) and no format
    /// characters (bidirectional overrides, zero-width), which could change what the next
    /// person reads beside the name.
    static func isUsable(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.unicodeScalars.contains { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse: true
            default: false
            }
        }
    }

    func validate() throws {
        if let user, !Self.isUsable(user) {
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
