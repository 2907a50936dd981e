import Foundation
import VitalsCore

/// Everything the command line prints goes through here, made safe for a terminal: names and
/// outputs come from cluster files and from the network, and may hold escape sequences.
enum Output {
    /// Prints `text` and a newline (or `terminator`) on standard output.
    static func line(_ text: String, terminator: String = "\n") {
        print(text.sanitizedForTerminalKeepingLines, terminator: terminator)
    }

    /// Writes `text` and a newline on standard error.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.sanitizedForTerminalKeepingLines + "\n").utf8))
    }
}
