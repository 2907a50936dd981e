import Foundation
import VitalsCore

/// Everything the command line prints goes through here, made safe for a terminal: names and
/// outputs come from cluster files and from the network, and may hold escape sequences.
enum Output {
    /// Prints `text` and a newline (or `terminator`) on standard output.
    static func line(_ text: String, terminator: String = "\n") {
        print(text.sanitizedForTerminalKeepingLines, terminator: terminator)
        // Flushed at once: a program reading a pipe (a benchmark waiting for "ready") sees it now.
        fflush(nil)  // every output stream; `stdout` itself is a C global Swift 6 will not touch
    }

    /// Writes `text` and a newline on standard error.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.sanitizedForTerminalKeepingLines + "\n").utf8))
    }
}
