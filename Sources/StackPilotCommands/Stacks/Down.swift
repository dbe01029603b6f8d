import ArgumentParser
import Orchestration

extension StackPilot {
    /// `stackpilot down`: remove containers (dependents first), then networks, volumes with --volumes.
    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "down",
            abstract: "Stop and remove the stacks' containers and networks (volumes with --volumes).",
            discussion: """
                Without -f or -p, takes down every stack of the manifest, last one first. -p NAME alone takes \
                down a project by its compose labels, whoever started it. A stack that is not up is fine.
                """
        )

        @OptionGroup var stacks: Flags.Stacks
        @OptionGroup var engine: Flags.Engine
        @OptionGroup var swarm: Flags.Swarm

        @Argument(help: "Stacks of the manifest to take down; all when omitted.")
        var names: [String] = []

        @Flag(name: [.customShort("v"), .customLong("volumes")], help: "Also remove the stacks' named volumes.")
        var volumes = false

        @Flag(name: .customLong("remove-orphans"), help: "Also remove containers of services no longer in the file.")
        var removeOrphans = false

        @Option(
            name: [.customShort("t"), .customLong("timeout")],
            help: ArgumentHelp("How long to wait for each container to stop before killing it (e.g. 10s, or seconds).", valueName: "duration"))
        var timeout: DurationArgument?

        @Option(name: .customLong("progress"), help: "Progress output: auto, tty, plain, json or quiet.")
        var progress: ProgressMode = .auto

        func run() async throws {
            if swarm.chosen(stacks) {
                return try await SwarmCommands.down(stacks, engine: engine, swarm: swarm, names: names, volumes: volumes, progress: progress)
            }
            let (targets, _) = try stacks.targets(names: names)
            let connection = try StackEngine(engine)
            let renderer = ProgressRenderer(mode: progress)
            let options = Orchestration.DownOptions(removeVolumes: volumes, removeOrphans: removeOrphans, timeout: timeout?.wholeSeconds)
            try await withInterruptCancellation {
                await connection.negotiate()
                var failures: [String] = []
                for target in targets.reversed() {
                    let executor = Orchestration.Executor(engine: connection.backend, progress: renderer.handler(project: target.projectName))
                    do {
                        try await executor.down(projectName: target.projectName, project: target.desired, options: options)
                        renderer.note("down", project: target.projectName)
                    } catch {
                        failures.append(stackFailure(error).message)
                    }
                }
                if !failures.isEmpty { throw CommandFailure(failed: failures.joined(separator: "\n")) }
            }
        }
    }
}
