import CNcursesw
import CVitalsSignals
import VitalsUI
#if canImport(Glibc)
import Glibc
#endif

/// The ncursesw backend: sets the terminal up and restores it, writes only the cells that changed
/// between two `Screen`s, maps styles to colour pairs, and decodes keys.
///
/// This is the only type in Vitals that calls ncurses. Use it from one thread.
///
/// Waiting is done with `poll` on the terminal and on the signal pipe of `CVitalsSignals`, so a
/// signal ends the wait at once and a terminal that went away (hang-up, end of input, `EIO`) is
/// reported as `.hangUp` instead of being read in a loop.
public final class NcursesTerminal: TerminalBackend {
    private var previous: Screen?
    private var active = false
    private var colors = 0
    /// Keys ncurses already decoded but the run loop has not taken yet.
    private var queued: [Key] = []
    private var hungUp = false

    /// Where a terminal without a person writes: a file, for measuring what ncurses sends.
    private let recording: (path: String, type: String, size: Size)?

    /// A terminfo entry to use instead of `$TERM`'s (`DirectColor.prepare`), or nil.
    private let type: String?

    /// Keys read before the screen was set up, given back to it first.
    private let typeahead: [UInt8]

    /// The terminal on standard input and output, described by the terminfo entry `type` (nil:
    /// `$TERM`'s; one that cannot be loaded falls back to it). `typeahead`: keys already read from
    /// it (`TerminalBackground.detect`), read again first.
    public init(type: String? = nil, typeahead: [UInt8] = []) {
        recording = nil
        self.type = type
        self.typeahead = typeahead
    }

    /// A terminal of type `type` and `size` whose output goes to the file at `path` (and whose
    /// input is empty): ncurses does all its work and the file counts the bytes it sends.
    public init(recordingTo path: String, type: String = "xterm-256color", size: Size) {
        recording = (path, type, size)
        self.type = nil
        typeahead = []
    }

    /// Enters full-screen mode. Also installs the signal handlers that restore the terminal on a
    /// crash and turn SIGTERM, SIGHUP, SIGINT and SIGQUIT into a clean stop, and SIGTSTP into a
    /// suspend.
    public func start() {
        vitals_set_locale()
        setenv("ESCDELAY", "25", 0)
        if let recording {
            setenv("LINES", String(recording.size.height), 1)
            setenv("COLUMNS", String(recording.size.width), 1)
            guard let output = fopen(recording.path, "w"), let input = fopen("/dev/null", "r"),
                  newterm(recording.type, output, input) != nil else { return }
        } else {
            vitals_signals_save_terminal(STDIN_FILENO)
            _ = vitals_signals_install()
            if type.map({ newterm($0, vitals_stdout(), vitals_stdin()) == nil }) ?? true { _ = initscr() }
        }
        active = true
        _ = cbreak()
        _ = noecho()
        _ = nonl()
        _ = intrflush(vitals_stdscr(), false)
        _ = keypad(vitals_stdscr(), true)
        _ = curs_set(0)
        vitals_enable_mouse()
        if has_colors() {
            _ = start_color()
            _ = use_default_colors()
            // NO_COLOR (no-color.org): attributes only, whatever the terminal can do.
            let noColor = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
            colors = noColor ? 0 : Int(vitals_colors())
        }
        _ = wclear(vitals_stdscr())
        // Keys read while the terminal was asked about its background come first.
        queued = TypeaheadKeys.decode(typeahead)
    }

    /// Leaves full-screen mode; safe to call more than once.
    public func stop() {
        guard active else { return }
        active = false
        _ = curs_set(1)
        _ = endwin()
        vitals_signals_forget_terminal()
    }

    public var size: Size { Size(width: Int(vitals_cols()), height: Int(vitals_lines())) }

    /// Shows `screen`, writing only what changed since the last call.
    public func draw(_ screen: Screen) {
        if previous?.size != screen.size {
            _ = wclear(vitals_stdscr())
            previous = nil
        }
        let changes = screen.changes(from: previous)
        // Nothing visible changed: nothing is written, not even ncurses' refresh.
        if changes.isEmpty && previous != nil { return }
        for run in changes {
            var text = run.text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
            text.append(0)
            let (attributes, pair) = attributesAndPair(for: run.style)
            _ = text.withUnsafeBufferPointer { buffer in
                vitals_put(Int32(run.y), Int32(run.x), buffer.baseAddress, Int32(buffer.count - 1), attributes, pair)
            }
        }
        previous = screen
        // A refresh that cannot write means the terminal is gone (EIO after a hang-up).
        if wrefresh(vitals_stdscr()) == vitals_err(), isatty(STDOUT_FILENO) == 0 { hungUp = true }
    }

    /// Forgets what is on screen so the next `draw` repaints everything.
    public func invalidate() {
        previous = nil
        _ = wclear(vitals_stdscr())
    }

    /// Ends the current wait for a key at once, from any thread: there is something new to draw.
    public static func wake() { vitals_signals_wake() }

    public var waker: @Sendable () -> Void { { vitals_signals_wake() } }

    public func bell() {
        guard active else { return }
        _ = beep()
    }

    public func nextEvent(timeoutMs: Int) -> TerminalEvent {
        if let signal = pendingSignal { return .signal(signal) }
        if vitals_signals_take_suspend() != 0 { return suspend() }
        if hungUp { return .hangUp }
        if !queued.isEmpty { return .key(queued.removeFirst()) }
        var fds = [
            pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
            pollfd(fd: vitals_signals_wake_fd(), events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&fds, nfds_t(fds.count), timeoutMs < 0 ? -1 : Int32(clamping: timeoutMs))
        if let signal = pendingSignal { return .signal(signal) }
        if fds[1].revents & Int16(POLLIN) != 0 { drainWakePipe() }
        if vitals_signals_take_suspend() != 0 { return suspend() }
        if ready < 0 && errno != EINTR { return .hangUp }
        if ready <= 0 {
            // A timeout or another signal (SIGWINCH: ncurses turns it into KEY_RESIZE on the next read).
            return readAvailableKeys()
        }
        let input = fds[0].revents
        if input & Int16(POLLNVAL | POLLERR) != 0 { return .hangUp }
        if input & Int16(POLLIN) != 0 {
            // Readable with nothing to read is the end of input; a read error (EIO) likewise —
            // unless the terminal is there and another job has it (`bg`): then wait for `fg`.
            var available: Int32 = 0
            if ioctl(STDIN_FILENO, UInt(FIONREAD), &available) != 0 || available == 0 {
                let owner = tcgetpgrp(STDIN_FILENO)
                return owner != -1 && owner != getpgrp() ? resumeInForeground() : .hangUp
            }
            return readAvailableKeys()
        }
        if input & Int16(POLLHUP) != 0 { return .hangUp }
        // Woken (new data): keys ncurses already read ahead sit in its own queue, where poll(2)
        // cannot see them; with no timer to look, they must be taken now or wait for the next key.
        return readAvailableKeys()
    }

    /// Ctrl-Z: gives the terminal back to the shell, stops, and on `fg` takes it again. Reported
    /// as a resize so the whole screen is drawn anew; a terminal that went away meanwhile is a
    /// hang-up.
    private func suspend() -> TerminalEvent {
        _ = endwin()
        vitals_signals_suspend_now()
        return resumeInForeground()
    }

    /// Waits until this job has the terminal again (continued with `bg` it is still in the
    /// background: it stops as a job reading the terminal does, until `fg`), then draws anew. A
    /// terminal that went away meanwhile is a hang-up.
    private func resumeInForeground() -> TerminalEvent {
        if !isendwin() { _ = endwin() }
        while true {
            guard isatty(STDIN_FILENO) == 1 else { return .hangUp }
            let owner = tcgetpgrp(STDIN_FILENO)
            if owner == -1 { return .hangUp }
            if owner == getpgrp() { break }
            if let signal = pendingSignal { return .signal(signal) }
            // Stopped until `fg` (SIGCONT); where the kernel will not stop an orphaned job, wait.
            kill(getpid(), SIGTTIN)
            usleep(100_000)
        }
        _ = wrefresh(vitals_stdscr())
        invalidate()
        return .key(.resize(size))
    }

    /// Empties the wake pipe so the next poll waits again.
    private func drainWakePipe() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(vitals_signals_wake_fd(), &bytes, bytes.count) > 0 {}
    }

    /// The first termination signal received, or nil.
    private var pendingSignal: Int32? {
        let signal = vitals_signals_pending()
        return signal == 0 ? nil : signal
    }

    /// Takes every key ncurses can decode now, including those it read ahead, and returns the
    /// first (or `.timeout` when there was none).
    private func readAvailableKeys() -> TerminalEvent {
        wtimeout(vitals_stdscr(), 0)
        var character: wint_t = 0
        while true {
            let result = wget_wch(vitals_stdscr(), &character)
            if result == vitals_err() { break }
            let key = result == KEY_CODE_YES ? functionKey(Int32(character)) : Self.characterKey(UInt32(character))
            if let key { queued.append(key) }
        }
        return queued.isEmpty ? .timeout : .key(queued.removeFirst())
    }

    private func functionKey(_ code: Int32) -> Key? {
        switch code {
        case vitals_key_resize(): return .resize(size)
        case vitals_key_mouse():
            var x: Int32 = 0, y: Int32 = 0
            switch vitals_read_mouse(&x, &y) {
            case 1: return .mouse(.click, x: Int(x), y: Int(y))
            case 2: return .mouse(.doubleClick, x: Int(x), y: Int(y))
            case 3: return .mouse(.wheelUp, x: Int(x), y: Int(y))
            case 4: return .mouse(.wheelDown, x: Int(x), y: Int(y))
            default: return nil
            }
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_BTAB: return .backTab
        default: return nil
        }
    }

    static func characterKey(_ value: UInt32) -> Key? {
        switch value {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26: return .control(Character(Unicode.Scalar(value + 96)!))
        default:
            guard let scalar = Unicode.Scalar(value) else { return nil }
            return .character(Character(scalar))
        }
    }

    private func attributesAndPair(for style: Style) -> (attr_t, Int16) {
        var attributes: attr_t = 0
        if style.attributes.contains(.bold) { attributes |= vitals_a_bold() }
        if style.attributes.contains(.dim) { attributes |= vitals_a_dim() }
        if style.attributes.contains(.underline) { attributes |= vitals_a_underline() }
        if style.attributes.contains(.reverse) { attributes |= vitals_a_reverse() }
        guard colors >= 8 else { return (attributes, 0) }
        let foreground = ColorMapping.index(style.foreground, colors: colors)
        let background = ColorMapping.index(style.background, colors: colors)
        if foreground == -1 && background == -1 { return (attributes, 0) }
        let pair = alloc_pair(foreground, background)
        return (attributes, pair > 0 && pair <= Int32(Int16.max) ? Int16(pair) : 0)
    }
}
