import ArgumentParser
import Foundation
import VitalsCore
import VitalsEngine
import VitalsSim
import VitalsTerminal
import VitalsUI

/// The cost of one frame on a fleet: render the whole screen from the snapshot, diff it against
/// the previous one and draw the changes with ncursesw (into a file standing for the terminal,
/// whose size counts the bytes sent), with one node changing per frame. The baseline in the same
/// run is a full repaint: the same frames drawn after forgetting the screen.
struct FrameBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frames",
        abstract: "Render + diff cost and bytes per frame at 120×40 on a 5,000-node snapshot, one node changing per frame."
    )

    @Option(help: "Nodes in the synthetic fleet.")
    var nodes = 5_000

    @Option(help: "Frames to measure.")
    var frames = 2_000

    func run() throws {
        let config = try ClusterConfigLoader.check(text: FleetGenerator(nodes: nodes, checksPerNode: 10).yaml, file: "fleet.yaml").config.unwrap()
        let layout = ClusterLayout(config)
        let snapshot = SnapshotBuilder.full(config: config, layout: layout, facts: EngineFacts(layout: layout, nodeCount: config.nodes.count), generation: 1, time: Date())
        print(Self.measure(snapshot: snapshot, frames: frames).table)
    }

    struct Result {
        var table: String
    }

    static func measure(snapshot: ClusterSnapshot, frames: Int) -> Result {
        let theme = (try? ThemeLoader.load(path: "themes/default.yaml")) ?? .builtIn
        var rows: [String] = []
        for pane in [Pane.services, .nodes] {
            let diffed = run(snapshot: snapshot, pane: pane, frames: frames, theme: theme, repaint: false)
            let repainted = run(snapshot: snapshot, pane: pane, frames: min(frames, 200), theme: theme, repaint: true)
            rows.append(
                "| \(pane.rawValue) | \(Report.ms(nanoseconds: diffed.time.percentile(0.5))) / \(Report.ms(nanoseconds: diffed.time.percentile(0.99))) / \(Report.ms(nanoseconds: diffed.time.maxNanoseconds))"
                    + " | \(diffed.bytesPerFrame) B | \(repainted.bytesPerFrame) B | \(Report.ratio(Double(diffed.bytesPerFrame), Double(repainted.bytesPerFrame))) |"
            )
        }
        let lines = [
            "frames: \(snapshot.nodes.count) nodes, \(snapshot.services.count) services, 120×40 xterm-256color, \(frames) frames per pane, one row changing per frame",
            "",
            "| pane | render + diff + ncurses draw, p50 / p99 / max | bytes sent per frame | full repaint (baseline) | ratio |",
            "|---|---|---|---|---|",
        ] + rows
        return Result(table: lines.joined(separator: "\n"))
    }

    /// Draws `frames` frames through a recording ncursesw terminal; `repaint` forgets the screen
    /// before each, as a UI without a diff would.
    private static func run(
        snapshot: ClusterSnapshot, pane: Pane, frames: Int, theme: Theme, repaint: Bool
    ) -> (time: LatencyHistogram, bytesPerFrame: Int) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-frames-\(UUID().uuidString)").path
        defer { unlink(path) }
        let size = Size(width: 120, height: 40)
        let terminal = NcursesTerminal(recordingTo: path, size: size)
        terminal.start()
        var state = AppState(size: size)
        _ = state.reduce(.showPane(pane), snapshot: snapshot)
        terminal.draw(DashboardView.render(snapshot: snapshot, state: state, theme: theme))
        let before = fileSize(path)
        var histogram = LatencyHistogram()
        var changing = snapshot
        for frame in 0..<frames {
            // One row on screen changes status; the clock and generation move as they do live.
            let row = frame % 30
            changing.generation += 1
            changing.time = changing.time.addingTimeInterval(0.25)
            if pane == .services {
                changing.services[row].status = changing.services[row].status == .critical ? .passing : .critical
            } else {
                changing.nodes[row].status = changing.nodes[row].status == .critical ? .passing : .critical
            }
            if repaint { terminal.invalidate() }
            let start = ContinuousClock.now
            terminal.draw(DashboardView.render(snapshot: changing, state: state, theme: theme))
            histogram.record(nanoseconds: (ContinuousClock.now - start).nanoseconds)
        }
        terminal.stop()
        return (histogram, (fileSize(path) - before) / max(1, frames))
    }

    private static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }
}

extension Optional {
    func unwrap() throws -> Wrapped {
        guard let self else { throw ValidationError("the generated fleet did not load") }
        return self
    }
}
