import ArgumentParser
import Foundation
import VitalsCore
import VitalsEngine
import VitalsSim
import VitalsUI

/// The cost of one frame on a fleet: render the whole screen from the snapshot, diff it against
/// the previous one, and the bytes a terminal would be sent, with one node changing per frame.
/// The baseline in the same run is a full repaint (what a UI without a diff sends).
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
        var results: [(pane: String, render: LatencyHistogram, bytes: Int, fullBytes: Int)] = []
        for pane in [Pane.services, .nodes] {
            var state = AppState(size: Size(width: 120, height: 40))
            _ = state.reduce(.showPane(pane), snapshot: snapshot)
            var previous = DashboardView.render(snapshot: snapshot, state: state, theme: theme)
            let fullBytes = bytes(of: previous.changes(from: nil))
            var histogram = LatencyHistogram()
            var sent = 0
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
                let start = ContinuousClock.now
                let screen = DashboardView.render(snapshot: changing, state: state, theme: theme)
                let runs = screen.changes(from: previous)
                histogram.record(nanoseconds: (ContinuousClock.now - start).nanoseconds)
                sent += bytes(of: runs)
                previous = screen
            }
            results.append((pane.rawValue, histogram, sent / max(1, frames), fullBytes))
        }
        var lines = [
            "frames: \(snapshot.nodes.count) nodes, \(snapshot.services.count) services, 120×40, \(frames) frames per pane, one row changing per frame",
            "",
            "| pane | render + diff p50 / p99 / max | bytes per frame (diff) | full repaint (baseline) | ratio |",
            "|---|---|---|---|---|",
        ]
        for result in results {
            lines.append("| \(result.pane) | \(Report.ms(nanoseconds: result.render.percentile(0.5))) / \(Report.ms(nanoseconds: result.render.percentile(0.99))) / \(Report.ms(nanoseconds: result.render.maxNanoseconds)) | \(result.bytes) B | \(result.fullBytes) B | \(Report.ratio(Double(result.bytes), Double(result.fullBytes))) |")
        }
        return Result(table: lines.joined(separator: "\n"))
    }

    /// Bytes a terminal gets for `runs`: the text, plus a cursor move and a colour change per run
    /// (about 16 bytes of escape sequences, as ncurses sends them).
    static func bytes(of runs: [Screen.Run]) -> Int {
        runs.reduce(0) { $0 + $1.text.utf8.count + 16 }
    }
}

extension Optional {
    func unwrap() throws -> Wrapped {
        guard let self else { throw ValidationError("the generated fleet did not load") }
        return self
    }
}
