import Foundation
import VitalsUI
#if canImport(Glibc)
import Glibc
#endif

/// Whether the terminal's own background is light or dark, for choosing a theme that does not
/// paint its own.
public enum TerminalBackground: String, Sendable, Equatable {
    case light, dark

    /// What `COLORFGBG` says (rxvt, Konsole and others set it to "foreground;background" in ANSI
    /// numbers): backgrounds 7 and 9–15 are light. Nil when it is unset or unreadable.
    public static func fromColorFGBG(_ value: String?) -> TerminalBackground? {
        guard let last = value?.split(separator: ";").last, let number = Int(last), (0...15).contains(number) else { return nil }
        return number == 7 || number >= 9 ? .light : .dark
    }

    /// Reads a reply to `OSC 11 ; ?` followed by a primary device-attributes request (`CSI c`),
    /// which every terminal answers, and in order: `done` once the device attributes arrived, so
    /// a terminal that does not know OSC 11 is not waited on. The background is light when its
    /// relative luminance is above one half.
    public static func parseReply(_ bytes: [UInt8]) -> (background: TerminalBackground?, done: Bool) {
        let text = String(decoding: bytes, as: UTF8.self)
        var background: TerminalBackground?
        if let start = text.range(of: "\u{1B}]11;rgb:") {
            let digits = text[start.upperBound...].prefix { $0.isHexDigit || $0 == "/" }
            let parts = digits.split(separator: "/", omittingEmptySubsequences: false)
            // Each part has 1 to 4 hex digits: a fraction of its own width's maximum.
            let values = parts.compactMap { part -> Double? in
                guard (1...4).contains(part.count), let value = UInt32(part, radix: 16) else { return nil }
                return Double(value) / Double((1 << (4 * part.count)) - 1)
            }
            if parts.count == 3, values.count == 3 {
                let luminance = 0.2126 * values[0] + 0.7152 * values[1] + 0.0722 * values[2]
                background = luminance > 0.5 ? .light : .dark
            }
        }
        // CSI ? … c: the device attributes, which come after any OSC 11 answer.
        let done = text.range(of: "\u{1B}\\[\\?[0-9;]*c", options: .regularExpression) != nil
        return (background, done)
    }

    /// `bytes` without the terminal's answers (OSC 11 and device attributes): the keys typed
    /// meanwhile, to be given back to the screen as typed.
    public static func keysTyped(_ bytes: [UInt8]) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        let answers = #"\x1B\]11;[^\x07\x1B]*(\x07|\x1B\\)|\x1B\[\?[0-9;]*c"#
        return Array(text.replacingOccurrences(of: answers, with: "", options: .regularExpression).utf8)
    }

    /// Asks the terminal on standard input and output (before the screen is set up): `COLORFGBG`
    /// first, else OSC 11 with a device-attributes request behind it, waiting at most `timeoutMs`.
    /// Returns the background (nil when unknown) and the keys typed while it waited, which the
    /// screen must be given (`NcursesTerminal(typeahead:)`): nothing typed is lost.
    public static func detect(
        environment: [String: String] = ProcessInfo.processInfo.environment, timeoutMs: Int = 200
    ) -> (background: TerminalBackground?, typed: [UInt8]) {
        if let known = fromColorFGBG(environment["COLORFGBG"]) { return (known, []) }
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { return (nil, []) }
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { return (nil, []) }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        guard tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0 else { return (nil, []) }
        defer { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
        let query = Array("\u{1B}]11;?\u{1B}\\\u{1B}[c".utf8)
        guard write(STDOUT_FILENO, query, query.count) == query.count else { return (nil, []) }
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        var buffer = [UInt8](repeating: 0, count: 256)
        while ContinuousClock.now < deadline, received.count < 4_096 {
            let left = deadline - ContinuousClock.now
            let ms = Int32(max(1, left.components.seconds * 1_000 + left.components.attoseconds / 1_000_000_000_000_000))
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, ms) > 0 else { continue }
            let count = read(STDIN_FILENO, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer.prefix(count)
            let reply = parseReply(received)
            if reply.done { return (reply.background, keysTyped(received)) }
        }
        return (parseReply(received).background, keysTyped(received))
    }
}

/// 24-bit colour through ncurses. A terminal that says so in `COLORTERM` (`truecolor`, `24bit`)
/// gets a private terminfo entry — its own entry plus ncurses' direct-colour capabilities (`RGB`,
/// 2²⁴ colours, `setaf`/`setab` writing `38;2;R;G;B`) — compiled by `tic` into a folder of ours, so
/// themes show their exact colours. Anything missing (no `tic`, an unknown `TERM`) leaves the
/// terminal as it is: 256 colours or fewer.
public enum DirectColor {
    /// Whether the environment asks for 24-bit colour (and does not forbid colour).
    public static func wanted(_ environment: [String: String]) -> Bool {
        guard environment["NO_COLOR"].map(\.isEmpty) ?? true else { return false }
        let value = environment["COLORTERM"]?.lowercased() ?? ""
        return value == "truecolor" || value == "24bit"
    }

    /// The terminfo source of the direct-colour entry named `name` built on `term`.
    public static func entrySource(name: String, term: String) -> String {
        // Colours below 8 stay the ANSI ones (as in ncurses' own *-direct entries); the rest are
        // 0xRRGGBB, split into three decimal numbers.
        let rgb = "%p1%{65536}%/%d;%p1%{256}%/%{255}%&%d;%p1%{255}%&%d"
        return """
        \(name)|\(term) with 24-bit colour (made by vitals),
        \tcolors#0x1000000, pairs#0x10000, RGB,
        \tsetaf=\\E[%?%p1%{8}%<%t3%p1%d%e38;2;\(rgb)%;m,
        \tsetab=\\E[%?%p1%{8}%<%t4%p1%d%e48;2;\(rgb)%;m,
        \tuse=\(term),

        """
    }

    /// Compiles the entry for `$TERM` into a new folder and points ncurses at it (`TERMINFO`);
    /// returns the entry's name and the folder (to be removed when the screen closes), or nil.
    /// Call before other threads start: it sets an environment variable.
    public static func prepare(environment: [String: String] = ProcessInfo.processInfo.environment) -> (type: String, folder: String)? {
        guard wanted(environment), let term = environment["TERM"] else { return nil }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-terminfo-\(getpid())").path
        guard let name = compile(term: term, into: folder) else { return nil }
        setenv("TERMINFO", folder, 1)
        return (name, folder)
    }

    /// Compiles the direct-colour entry for `term` into `folder` (made if missing); returns its
    /// name, or nil (and removes the folder) when `tic` is missing or refuses it.
    public static func compile(term: String, into folder: String) -> String? {
        guard !term.isEmpty, term.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "+" }),
              let tic = ["/usr/bin/tic", "/bin/tic"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return nil }
        let name = "vitals-direct-\(term)"
        let source = folder + "/entry.src"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try entrySource(name: name, term: term).write(toFile: source, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tic)
            process.arguments = ["-x", "-o", folder, source]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            return nil
        }
        return name
    }
}

/// Keys from bytes read off the terminal before ncurses runs (while it was asked about its
/// background): characters, control keys, and the cursor and paging keys' escape sequences
/// (CSI and SS3). Other sequences are dropped whole, never taken as the letters they hold.
enum TypeaheadKeys {
    static func decode(_ bytes: [UInt8]) -> [Key] {
        var keys: [Key] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == 0x1B else {
                // One UTF-8 character.
                let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                let end = min(bytes.count, index + length)
                if let scalar = String(decoding: bytes[index..<end], as: UTF8.self).unicodeScalars.first, scalar != "\u{FFFD}",
                   let key = NcursesTerminal.characterKey(scalar.value) {
                    keys.append(key)
                }
                index = end
                continue
            }
            let next = index + 1 < bytes.count ? bytes[index + 1] : nil
            guard next == UInt8(ascii: "[") || next == UInt8(ascii: "O") else {
                keys.append(.escape)
                index += 1
                continue
            }
            // Parameters and intermediates, then the final byte (0x40–0x7E).
            var end = index + 2
            while end < bytes.count, !(0x40...0x7E).contains(bytes[end]) { end += 1 }
            guard end < bytes.count else { break }
            let body = String(decoding: bytes[(index + 2)...end], as: UTF8.self)
            let named: [String: Key] = [
                "A": .up, "B": .down, "C": .right, "D": .left, "H": .home, "F": .end, "Z": .backTab,
                "1~": .home, "7~": .home, "4~": .end, "8~": .end, "5~": .pageUp, "6~": .pageDown,
            ]
            if let key = named[body] { keys.append(key) }
            index = end + 1
        }
        return keys
    }
}
