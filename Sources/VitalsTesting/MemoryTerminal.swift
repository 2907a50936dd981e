import Synchronization
import VitalsUI

/// A terminal in memory for run-loop tests: it plays a script of events and keeps every screen
/// drawn, so a test can drive the real `DashboardRunner` without ncurses and without sleeping.
public final class MemoryTerminal: TerminalBackend {
    /// One step of the script: an event, or a check run at that point with the screens so far.
    public enum Step {
        case event(TerminalEvent)
        case inspect(@Sendable ([Screen]) -> Void)
    }

    public private(set) var screens: [Screen] = []
    public private(set) var started = false
    public private(set) var stopped = false
    public private(set) var invalidations = 0
    public private(set) var bells = 0
    /// The timeout of each wait the run loop asked for, in order (negative: until woken).
    public private(set) var waits: [Int] = []
    /// How many times the terminal's waker was called.
    public var wakes: Int { wakeCount.value.load(ordering: .relaxed) }
    private let wakeCount = WakeCount()
    public var size: Size
    private var script: [Step]

    /// - Parameter script: played in order; when it runs out the terminal reports a hang-up.
    public init(size: Size = Size(width: 120, height: 40), script: [Step]) {
        self.size = size
        self.script = script
    }

    /// Shortcut for a script of keys.
    public convenience init(size: Size = Size(width: 120, height: 40), keys: [Key]) {
        self.init(size: size, script: keys.map { .event(.key($0)) })
    }

    public func start() { started = true }
    public func stop() { stopped = true }
    public func draw(_ screen: Screen) { screens.append(screen) }
    public func invalidate() { invalidations += 1 }
    public func bell() { bells += 1 }

    public var waker: @Sendable () -> Void { { [wakeCount] in wakeCount.value.add(1, ordering: .relaxed) } }

    public func nextEvent(timeoutMs: Int) -> TerminalEvent {
        waits.append(timeoutMs)
        while !script.isEmpty {
            switch script.removeFirst() {
            case .event(let event):
                if case .key(.resize(let newSize)) = event { size = newSize }
                return event
            case .inspect(let check):
                check(screens)
            }
        }
        return .hangUp
    }

    /// The last screen drawn, as text.
    public var lastText: String { screens.last?.text ?? "" }
}

private final class WakeCount: Sendable {
    let value = Atomic<Int>(0)
}
