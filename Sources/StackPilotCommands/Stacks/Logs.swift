import ArgumentParser
import DockerEngine
import Foundation
import Orchestration
import Synchronization

extension StackPilot {
    /// `stackpilot logs`: demultiplexed container output, each line prefixed by its service.
    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "logs",
            abstract: "Show services' output, each line prefixed by its container; -f follows, across restarts.",
            discussion: "Without -f FILE or -p, covers every stack of the manifest."
        )

        @OptionGroup var stacks: Flags.Stacks
        @OptionGroup var engine: Flags.Engine
        @OptionGroup var swarm: Flags.Swarm

        @Argument(help: "Services to show; all when omitted.")
        var services: [String] = []

        @Flag(name: .customLong("follow"), help: "Keep following the output, across container restarts and recreations (Ctrl-C stops).")
        var follow = false

        @Option(name: [.customShort("n"), .customLong("tail")], help: "Lines from the end of each container's log (default: all).")
        var tail: Int?

        @Flag(name: .customLong("timestamps"), help: "Show the engine's timestamp of each line.")
        var timestamps = false

        @Flag(name: .customLong("no-color"), help: "No colours, even on a terminal.")
        var noColor = false

        func run() async throws {
            if swarm.chosen(stacks) {
                return try await SwarmCommands.logs(
                    stacks, engine: engine, swarm: swarm, services: services, follow: follow, tail: tail,
                    timestamps: timestamps, printer: LogPrinter(style: noColor ? .plain : .stdout))
            }
            let (targets, _) = try stacks.targets()
            let connection = try StackEngine(engine)
            let backend = connection.backend
            var style = TerminalStyle.stdout
            if noColor { style = .plain }
            let printer = LogPrinter(style: style)
            let services = self.services
            let follow = self.follow, tail = self.tail, timestamps = self.timestamps
            var containers: [(project: String, c: DockerEngine.ContainerSummary)] = []
            for t in targets {
                do {
                    containers += try await backend.listContainers(project: t.projectName)
                        .filter { !$0.isOneOff && (services.isEmpty || services.contains($0.composeService ?? "")) }
                        .map { (t.projectName, $0) }
                } catch {
                    throw CommandFailure(failed: "cannot list containers of \(t.projectName): \(error)")
                }
            }
            if !services.isEmpty {
                let found = Set(containers.compactMap(\.c.composeService))
                for s in services where !found.contains(s) && !targets.contains(where: { $0.desired?.service(s) != nil }) {
                    throw CommandFailure(badInput: "no service named '\(s)'")
                }
            }
            printer.setWidth(containers.map(\.c.name.count).max() ?? 0)
            let attached = Attached()
            let initial = containers.map(\.c).sorted { $0.name < $1.name }
            try await withInterruptCancellation {
                await withTaskGroup(of: Void.self) { group in
                    for c in initial {
                        attached.insert(c.id)
                        group.addTask {
                            await Self.stream(
                                backend: backend, id: c.id, name: c.name, follow: follow, tail: tail, timestamps: timestamps, since: nil, printer: printer)
                            attached.remove(c.id)
                        }
                    }
                    guard follow else { return }
                    // Follow across restarts and recreations: attach again when a container starts.
                    for t in targets {
                        group.addTask {
                            guard let events = try? await backend.containerEvents(project: t.projectName) else { return }
                            do {
                                for try await e in events where e.action == "start" {
                                    let attributes = e.actor?.attributes ?? [:], id = e.actor?.id ?? ""
                                    let service = attributes[DockerEngine.ComposeLabels.service] ?? ""
                                    guard services.isEmpty || services.contains(service), attached.insert(id) else { continue }
                                    let name = attributes["name"] ?? String(id.prefix(12))
                                    let since = Int(Date().timeIntervalSince1970) - 1
                                    Task {
                                        await Self.stream(
                                            backend: backend, id: id, name: name, follow: true, tail: nil, timestamps: timestamps, since: since,
                                            printer: printer)
                                        attached.remove(id)
                                    }
                                }
                            } catch {}
                        }
                    }
                }
            }
        }

        static func stream(
            backend: Orchestration.DockerEngineBackend, id: String, name: String, follow: Bool, tail: Int?, timestamps: Bool, since: Int?, printer: LogPrinter
        ) async {
            do {
                for try await line in try await backend.logs(id: id, follow: follow, tail: tail, timestamps: timestamps, since: since) {
                    printer.print(container: name, line)
                }
            } catch is CancellationError {
            } catch {
                if !Task.isCancelled {
                    printer.print(container: name, DockerEngine.LogFrame(source: .stderr, payload: Data("(log stream ended: \(error))".utf8)))
                }
            }
        }
    }
}

/// Container IDs whose logs are being streamed.
final class Attached: Sendable {
    private let ids = Mutex<Set<String>>([])
    @discardableResult func insert(_ id: String) -> Bool { ids.withLock { $0.insert(id).inserted } }
    func remove(_ id: String) { _ = ids.withLock { $0.remove(id) } }
}

/// Prints log lines with a `name | ` prefix, one colour per container on a terminal, whole lines only.
final class LogPrinter: Sendable {
    private struct State {
        var width = 0
        var colours: [String: Int] = [:]
    }
    private let state = Mutex(State())
    let style: TerminalStyle
    private static let palette = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"]

    init(style: TerminalStyle) { self.style = style }

    func setWidth(_ width: Int) { state.withLock { $0.width = width } }

    func print(container: String, _ line: DockerEngine.LogFrame) {
        let text = state.withLock { s -> String in
            s.width = max(s.width, container.count)
            let colour =
                s.colours[container]
                ?? {
                    let c = s.colours.count % Self.palette.count
                    s.colours[container] = c
                    return c
                }()
            let padded = container.padding(toLength: s.width, withPad: " ", startingAt: 0)
            let prefix = style.color ? "\u{1B}[\(Self.palette[colour])m\(padded) |\u{1B}[0m" : "\(padded) |"
            return "\(prefix) \(line.text)\n"
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
