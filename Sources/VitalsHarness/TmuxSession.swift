import Foundation

/// A real terminal for end-to-end tests: a private tmux server running a plain shell, driven
/// with send-keys and read with capture-pane.
public final class TmuxSession: @unchecked Sendable {
    public struct Timeout: Error, CustomStringConvertible {
        public var waitingFor: String
        public var screen: String
        public var description: String { "timed out waiting for \(waitingFor); the screen was:\n\(screen)" }
    }

    private let socket: String
    private let tmux: String
    private var serverPID: pid_t = 0

    /// Starts a `width`×`height` session running `bash` with the prompt `PROMPT$ `.
    public init(width: Int = 120, height: Int = 40) throws {
        guard let tmux = ExternalTool.path(of: "tmux") else { throw Timeout(waitingFor: "tmux (not installed)", screen: "") }
        self.tmux = tmux
        socket = "vitals-e2e-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        _ = try tmuxCommand([
            "-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", String(width), "-y", String(height),
            // What the test runner's environment says of colour (SwiftPM sets NO_COLOR when its
            // output is not a terminal) is not the terminal's: each test says what it wants.
            "env", "-u", "NO_COLOR", "-u", "COLORTERM", "-u", "COLORFGBG", "PS1=PROMPT$ ", "TERM=xterm-256color", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "bash", "--norc", "--noprofile",
        ])
        _ = try tmuxCommand(["set-option", "-t", "main", "remain-on-exit", "on"])
        serverPID = pid_t(try tmuxCommand(["display-message", "-p", "#{pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        _ = try waitFor("the shell prompt", timeout: 10) { $0.contains("PROMPT$") }
    }

    deinit { close() }

    /// Stops the tmux server and everything running in it.
    public func close() {
        let shell = (try? shellPID()) ?? 0
        _ = try? Run.process(tmux, ["-L", socket, "kill-server"], timeout: 10)
        // tmux 3.3 can linger after kill-server with remain-on-exit panes; make sure it is gone.
        if shell > 0 { kill(shell, SIGKILL) }
        if serverPID > 0 { kill(serverPID, SIGKILL) }
        serverPID = 0
    }

    /// Closes the terminal the way a person closing the window does: the tmux server goes away
    /// and the programs in it see their terminal hang up. Nothing is killed directly.
    public func hangUp() {
        _ = try? Run.process(tmux, ["-L", socket, "kill-server"], timeout: 10)
    }

    @discardableResult
    private func tmuxCommand(_ arguments: [String]) throws -> String {
        let result = try Run.process(tmux, ["-L", socket] + arguments, timeout: 10)
        return result.stdout
    }

    /// Types `text` literally, then Enter.
    public func run(_ text: String) throws {
        try tmuxCommand(["send-keys", "-t", "main", "-l", text])
        try tmuxCommand(["send-keys", "-t", "main", "Enter"])
    }

    /// Sets the pane's default background (`window-style`), which tmux also gives as its answer
    /// to a program's OSC 11 question.
    public func setBackground(_ colour: String) throws {
        try tmuxCommand(["set-option", "-t", "main", "window-style", "bg=\(colour)"])
    }

    /// Sends keys by tmux name (`Enter`, `Escape`, `Down`, `q`, `C-c`).
    public func press(_ keys: String...) throws {
        try tmuxCommand(["send-keys", "-t", "main"] + keys)
    }

    /// The visible screen as text.
    /// The pane's title, as programs set it with `ESC ] 2 ; … BEL`.
    public func title() throws -> String { try tmuxCommand(["display-message", "-p", "-t", "main", "#{pane_title}"]) }

    public func capture() throws -> String { try tmuxCommand(["capture-pane", "-p", "-t", "main"]) }

    /// The pane with its colours and attributes as escape sequences (`capture-pane -e`).
    public func captureWithStyles() throws -> String { try tmuxCommand(["capture-pane", "-p", "-e", "-t", "main"]) }

    /// Whether the program in the pane is using the alternate screen.
    public func alternateScreen() throws -> Bool {
        try tmuxCommand(["display-message", "-p", "-t", "main", "#{alternate_on}"]).trimmingCharacters(in: .whitespacesAndNewlines) == "1"
    }

    /// The pane's modes a full-screen program turns on, as tmux tracks them: the alternate
    /// screen, application keypad and cursor keys, any mouse reporting, the cursor hidden.
    /// Empty once all are off.
    public func modesLeftOn() throws -> [String] {
        let format = "#{alternate_on} #{keypad_flag} #{keypad_cursor_flag} #{mouse_any_flag} #{cursor_flag}"
        let flags = try tmuxCommand(["display-message", "-p", "-t", "main", format]).split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let names = ["alternate screen", "keypad", "cursor keys", "mouse reporting", "cursor shown"]
        var left: [String] = []
        for (name, flag) in zip(names, flags) {
            if name == "cursor shown" { if flag != "1" { left.append("cursor hidden") } } else if flag == "1" { left.append(name) }
        }
        return left
    }

    /// The process ID of the shell in the pane.
    public func shellPID() throws -> Int32 {
        Int32(try tmuxCommand(["display-message", "-p", "-t", "main", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Resizes the window.
    public func resize(width: Int, height: Int) throws {
        try tmuxCommand(["resize-window", "-t", "main", "-x", String(width), "-y", String(height)])
    }

    /// Polls the screen until `predicate` holds.
    /// - Throws: `Timeout` with the last screen when `timeout` seconds pass first.
    @discardableResult
    public func waitFor(_ what: String, timeout: TimeInterval = 20, pollMicroseconds: UInt32 = 100_000, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while Date() < deadline {
            screen = try capture()
            if predicate(screen) { return screen }
            usleep(pollMicroseconds)
        }
        throw Timeout(waitingFor: what, screen: screen)
    }

    /// Polls until every string in `texts` is on screen.
    @discardableResult
    public func waitFor(_ texts: String..., timeout: TimeInterval = 20) throws -> String {
        try waitFor(texts.map { "'\($0)'" }.joined(separator: " and "), timeout: timeout) { screen in texts.allSatisfy(screen.contains) }
    }
}
