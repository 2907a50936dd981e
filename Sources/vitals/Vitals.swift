import ArgumentParser

@main
struct Vitals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vitals",
        abstract: "A terminal dashboard for the health of a cluster.",
        discussion: """
            With no file, opens the e-commerce demo: a simulated shop on loopback that breaks and heals \
            on a two-minute loop. Press ? in the dashboard for keys.
            """,
        version: "0.1.0",
        subcommands: [Dashboard.self, Validate.self, Snapshot.self, Check.self, Simulate.self, Fleet.self, Themes.self, Demo.self, TTL.self, Serve.self, Attach.self],
        defaultSubcommand: Dashboard.self
    )
}
