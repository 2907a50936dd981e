import ArgumentParser
import Foundation
import VitalsEngine

/// `vitals ttl pass|warn|fail CHECK [--note TEXT]`: a heartbeat for a ttl check of the running
/// dashboard that uses the same state file.
struct TTL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttl",
        abstract: "Send a heartbeat to a ttl check of the running vitals (found by its state file).",
        discussion: "CHECK is node/service/check, node/check, or a check name no other ttl check has."
    )

    enum Verdict: String, ExpressibleByArgument, CaseIterable {
        case pass, warn, fail
    }

    @Argument(help: "pass, warn or fail.")
    var verdict: Verdict

    @Argument(help: "The ttl check.")
    var check: String

    @Option(help: "A note shown as the check's output.")
    var note: String?

    @OptionGroup var state: StateOptions

    func run() throws {
        let note = (self.note ?? "").replacingOccurrences(of: "\n", with: " ")
        do {
            let answer = try ControlClient.send("ttl \(verdict.rawValue) \(check) \(note)".trimmingCharacters(in: .whitespaces), to: state.controlSocketPath)
            guard answer.hasPrefix("ok") else {
                Output.error("vitals ttl: \(answer.hasPrefix("error: ") ? String(answer.dropFirst(7)) : answer)")
                throw ExitCode(1)
            }
            print(answer)
        } catch let problem as ControlClient.Problem {
            Output.error("vitals ttl: \(problem)")
            throw ExitCode(1)
        }
    }
}
