import CNcursesw
import VitalsUI

/// The ncursesw backend: sets the terminal up and restores it, writes only the cells that changed
/// between two `Screen`s, maps styles to colour pairs, and decodes keys.
///
/// This is the only type in Vitals that calls ncurses. Use it from one thread.
public final class NcursesTerminal {
    private var previous: Screen?
    private var active = false
    private var colors = 0

    public init() {}

    /// Enters full-screen mode. Also installs the signal handlers that restore the terminal on a
    /// crash and turn SIGTERM, SIGHUP, SIGINT and SIGQUIT into a clean stop (see `pendingSignal`).
    public func start() {
        vitals_set_locale()
        vitals_install_signal_handlers()
        setenv("ESCDELAY", "25", 0)
        _ = initscr()
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
            colors = Int(vitals_colors())
        }
        _ = wclear(vitals_stdscr())
    }

    /// Leaves full-screen mode; safe to call more than once.
    public func stop() {
        guard active else { return }
        active = false
        _ = curs_set(1)
        _ = endwin()
    }

    /// The signal that asked the program to stop (SIGTERM, SIGHUP, SIGINT, SIGQUIT), or 0.
    public var pendingSignal: Int32 { vitals_pending_signal() }

    public var size: Size { Size(width: Int(vitals_cols()), height: Int(vitals_lines())) }

    /// Shows `screen`, writing only what changed since the last call.
    public func draw(_ screen: Screen) {
        if previous?.size != screen.size {
            _ = wclear(vitals_stdscr())
            previous = nil
        }
        for run in screen.changes(from: previous) {
            var text = run.text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
            text.append(0)
            let (attributes, pair) = attributesAndPair(for: run.style)
            _ = text.withUnsafeBufferPointer { buffer in
                vitals_put(Int32(run.y), Int32(run.x), buffer.baseAddress, Int32(buffer.count - 1), attributes, pair)
            }
        }
        previous = screen
        _ = wrefresh(vitals_stdscr())
    }

    /// Forgets what is on screen so the next `draw` repaints everything.
    public func invalidate() {
        previous = nil
        _ = wclear(vitals_stdscr())
    }

    /// Waits up to `timeoutMs` for a key.
    public func readKey(timeoutMs: Int32) -> Key? {
        wtimeout(vitals_stdscr(), timeoutMs)
        var character: wint_t = 0
        let result = wget_wch(vitals_stdscr(), &character)
        if result == vitals_err() { return nil }
        if result == KEY_CODE_YES { return functionKey(Int32(character)) }
        return characterKey(UInt32(character))
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

    private func characterKey(_ value: UInt32) -> Key? {
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
