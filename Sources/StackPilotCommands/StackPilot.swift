import ArgumentParser

/// The root command. Every subcommand lives in its own file as `extension StackPilot { struct X }`.
public struct StackPilot: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "stackpilot",
        abstract: "Run and supervise the MultimodalRAG monitoring system.",
        version: version,
        subcommands: [
            Config.self, Provision.self, Export.self, Version.self, Up.self, Down.self, Ps.self, Logs.self, Restart.self, Stats.self, Supervise.self,
            EngineProxyCommand.self, DoctorCommand.self,
        ]
    )

    public init() {}
}
