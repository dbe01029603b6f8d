import ArgumentParser
import Orchestration

extension StackPilot {
    /// `stackpilot restart [SERVICE...]`.
    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restart",
            abstract: "Restart services' containers, dependencies first.",
            discussion: "Without -f or -p, acts on every stack of the manifest; SERVICE names may belong to any of them."
        )

        @OptionGroup var stacks: Flags.Stacks
        @OptionGroup var engine: Flags.Engine

        @Argument(help: "Services to restart; all when omitted.")
        var services: [String] = []

        @Option(
            name: [.customShort("t"), .customLong("timeout")],
            help: ArgumentHelp("How long to wait for each container to stop before killing it (e.g. 10s, or seconds).", valueName: "duration"))
        var timeout: DurationArgument?

        @Option(name: .customLong("progress"), help: "Progress output: auto, tty, plain, json or quiet.")
        var progress: ProgressMode = .auto

        func run() async throws {
            let (targets, _) = try stacks.targets()
            if let known = Optional(targets.compactMap(\.desired).flatMap { $0.services.map(\.name) }), !known.isEmpty {
                for s in services where !known.contains(s) {
                    throw CommandFailure(badInput: "no service named '\(s)' (services: \(known.joined(separator: ", ")))")
                }
            }
            let connection = try StackEngine(engine)
            let renderer = ProgressRenderer(mode: progress)
            let services = self.services
            let timeout = self.timeout?.wholeSeconds
            try await withInterruptCancellation {
                for target in targets {
                    let mine = target.desired.map { d in services.filter { d.service($0) != nil } } ?? services
                    if !services.isEmpty && mine.isEmpty { continue }
                    let executor = Orchestration.Executor(engine: connection.backend, progress: renderer.handler(project: target.projectName))
                    do {
                        try await executor.restart(projectName: target.projectName, project: target.desired, services: mine, timeout: timeout)
                    } catch {
                        throw stackFailure(error)
                    }
                }
            }
        }
    }
}
