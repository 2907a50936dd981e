/// What the dashboard needs from a terminal, as ratatui's `Backend` is: set up and restore, show
/// a `Screen`, and wait for the next thing that happens. The ncursesw backend implements it for
/// people; an in-memory one implements it for tests.
public protocol TerminalBackend: AnyObject {
    /// Enters full-screen mode.
    func start()
    /// Leaves full-screen mode and restores the terminal; safe to call more than once.
    func stop()
    /// The terminal's size in cells.
    var size: Size { get }
    /// Shows `screen`, writing only what changed since the last call.
    func draw(_ screen: Screen)
    /// Forgets what is on screen so the next `draw` repaints everything.
    func invalidate()
    /// Rings the terminal bell (or flashes, where the terminal prefers that).
    func bell()
    /// Waits up to `timeoutMs` milliseconds (a negative number: until something happens) for a
    /// key, a signal, the end of the terminal or a call of `waker`.
    func nextEvent(timeoutMs: Int) -> TerminalEvent
    /// Ends the current (or next) wait of `nextEvent` as a `.timeout`, from any thread.
    var waker: @Sendable () -> Void { get }
}

/// What a terminal reports to the run loop.
public enum TerminalEvent: Sendable, Equatable {
    case key(Key)
    /// Nothing happened within the wait.
    case timeout
    /// A termination signal (SIGTERM, SIGHUP, SIGINT, SIGQUIT) arrived.
    case signal(Int32)
    /// The terminal went away: its input ended, or reading or writing it failed.
    case hangUp
}

/// Why the dashboard stopped.
public enum DashboardExit: Sendable, Equatable {
    case quit
    case signal(Int32)
    case hangUp

    /// The process exit status a shell expects: 0, or 128 + the signal (SIGHUP's for a hang-up).
    public var status: Int32 {
        switch self {
        case .quit: 0
        case .signal(let number): 128 + number
        case .hangUp: 129
        }
    }
}
