import ArgumentParser
import ContainerStats
import DockerEngine
import Durations
import Foundation
import GPU
import Logging

extension StackPilot {
    /// `stackpilot stats`: per-container CPU, memory, network, block I/O and PIDs, as `docker stats`.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Show per-container CPU, memory, network and block I/O, and PIDs of the stacks.",
            discussion: """
                Figures follow docker stats' formulas: CPU % is the change in the container's CPU time \
                over the change in the host's, times the online CPUs (100 % = one core); memory is usage \
                minus inactive file cache, as a share of the limit.

                Sources: --source api asks the engine for one-shot stats of all containers at once; \
                --source cgroup reads cgroupfs and /proc directly (engine on this machine only); auto \
                (default) uses cgroup when it can. CPU % needs two samples: --no-stream takes them --sample-window \
                apart (default \(Self.windowDescription)) and prints the second, naming the window \
                under the table (cpuWindowSeconds in JSON); a live view redraws every --interval.

                Selects the manifest's stacks by default, -f/-p for one stack, --all-stacks for every \
                compose project on the engine.

                With an NVIDIA driver on this machine (NVML) and a local engine, a "gpu mem" column \
                (gpuMemoryBytes in JSON) shows the GPU memory of each container's compute processes, \
                over all its GPUs; without one there is no such column.
                """
        )

        @OptionGroup var stacks: Flags.Stacks
        @OptionGroup var engine: Flags.Engine
        @OptionGroup var output: Flags.Output

        @Argument(help: "Services to show; all when omitted.")
        var services: [String] = []

        @Flag(name: .customLong("all-stacks"), help: "Every running container of any compose project on the engine, not only the manifest's stacks.")
        var allStacks = false

        @Flag(name: .customLong("no-stream"), help: "Print one sample and exit instead of a live view.")
        var noStream = false

        @Option(name: .customLong("interval"), help: ArgumentHelp("Time between samples of the live view, e.g. 1s, 500ms, 2.5s.", valueName: "duration"))
        var interval: DurationArgument = .seconds(1)

        @Option(name: .customLong("source"), help: "Where samples come from: auto, api or cgroup.")
        var source: StatsSourceChoice = .auto

        @Option(
            name: .customLong("sample-window"),
            help: ArgumentHelp(
                "Gap between the two samples that give CPU % (default: \(Self.windowDescription)); 0 skips the first sample and shows CPU % as 0.",
                valueName: "duration"))
        var sampleWindow: DurationArgument?

        func validate() throws {
            try output.require([.table, .json], command: "stats")
            guard interval.duration >= .milliseconds(100) else {
                throw ValidationError("--interval \(interval) is shorter than 100ms")
            }
        }

        /// The gap between the two samples of `--no-stream`. docker stats shows CPU % over the
        /// engine's one-second collection period; a bursty service (a few milliseconds of work every
        /// few hundred) shows 0.00 % over a 100 ms window and its real share over one as long as
        /// docker's. cgroup samples are taken when asked, so one second gives docker's figures while
        /// `--no-stream` takes under half of docker stats' time (which waits for two engine
        /// collections). The engine's one-shot answers come from its own collection cycle, which
        /// already spreads two of them over about a second, so the api source keeps a shorter gap
        /// (docs/benchmarks.md, `scripts/bench stats-window`).
        static func defaultWindow(_ kind: StatsSourceKind) -> Duration {
            switch kind {
            case .cgroup: .seconds(1)
            case .api: .milliseconds(500)
            }
        }

        static var windowDescription: String {
            "\(CommandLineDuration.format(defaultWindow(.cgroup))) with cgroup, \(CommandLineDuration.format(defaultWindow(.api))) with api"
        }

        func run() async throws {
            let selection = try selection()
            let client = try engine.makeClient()
            var logger = Logger(label: "stackpilot.stats")
            logger.logLevel = .warning
            let interval = interval.duration
            let format = output.format
            let noStream = noStream
            let choice = source

            // The engine on this machine: read every container's CPU counter from cgroupfs first
            // thing, so the window behind CPU % runs while the engine lists the containers.
            let early: CPUBaselines? =
                if client.isLocal, choice != .api, let reader = try? CgroupReader() {
                    CPUBaselines.take(reader)
                } else {
                    nil
                }
            let first = try await targets(client: client, selection: selection)
            if first.isEmpty {
                throw CommandFailure(failed: "no running containers \(selection.description)")
            }
            let resolved: (StatsSourceKind, CgroupReader?)
            do {
                resolved = try StatsCollector.resolve(choice, engineIsLocal: client.isLocal, probe: first.first)
            } catch {
                throw CommandFailure(badInput: error.description)
            }
            let collector = try StatsCollector(source: resolved.0, engine: client, cgroup: resolved.1, logger: logger)

            let window = sampleWindow?.duration ?? Self.defaultWindow(resolved.0)
            // GPU memory per container: only where NVML answers and the containers' pids are ours to read.
            let gpu: GPU.Source? = client.isLocal ? GPU.Source.system() : nil
            if noStream {
                let snapshot: StatsSnapshot
                if window == .zero {
                    snapshot = await collector.sample(first)
                } else if let early, await collector.adopt(early, for: first).count == first.count {
                    // Every container was in the early sample: wait out what is left of the window.
                    try await Task.sleep(until: early.taken + window, clock: .continuous)
                    snapshot = await collector.sample(first)
                } else {
                    snapshot = try await collector.sampleTwice(first, window: window)
                }
                report(snapshot.failures)
                if snapshot.entries.isEmpty {
                    throw CommandFailure(failed: "no container could be sampled \(selection.description)")
                }
                let payload = StatsPayload(entries: sorted(snapshot.entries), gpuMemory: Self.gpuMemory(gpu), window: window, source: resolved.0)
                print(try OutputRenderer.render(payload, format: format, style: .stdout), terminator: "")
                return
            }

            let style = TerminalStyle.stdout
            do {
                try await liveView(
                    collector: collector, client: client, selection: selection, first: first, window: window, interval: interval,
                    format: format, style: style, gpu: gpu, source: resolved.0)
            } catch is CancellationError {
                // Ctrl-C ends the live view: not an error.
            }
        }

        private func liveView(
            collector: StatsCollector, client: DockerEngine.Client, selection: Selection, first: [StatsTarget],
            window: Duration, interval: Duration, format: OutputFormat, style: TerminalStyle, gpu: GPU.Source?, source: StatsSourceKind
        ) async throws {
            try await withInterruptCancellation {
                await collector.primeCPU(first)
                try await Task.sleep(for: window)
                // The first round's CPU % covers the window, every later one the interval before it.
                var covered = window
                while !Task.isCancelled {
                    let current = try await targets(client: client, selection: selection)
                    let snapshot = await collector.sample(current)
                    report(snapshot.failures)
                    let payload = StatsPayload(entries: sorted(snapshot.entries), gpuMemory: Self.gpuMemory(gpu), window: covered, source: source)
                    covered = interval
                    switch format {
                    case .json:
                        let encoder = JSONEncoder()
                        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                        encoder.dateEncodingStrategy = .iso8601
                        Self.write(String(decoding: try encoder.encode(payload), as: UTF8.self) + "\n")
                    case .table, .yaml:
                        let text = OutputRenderer.renderTable(payload.table, style: style)
                        if style.isTTY {
                            // As docker stats: clear the screen and draw from the top.
                            Self.write("\u{1B}[2J\u{1B}[H" + text)
                        } else {
                            Self.write(text + "\n")
                        }
                    }
                    try await Task.sleep(for: interval)
                }
            }
        }

        /// GPU memory per container id, summed over its GPUs; `nil` without NVML (no column then).
        static func gpuMemory(_ source: GPU.Source?) -> [String: UInt64]? {
            guard let snapshot = source?.read().snapshot else { return nil }
            var bytes: [String: UInt64] = [:]
            for entry in GPU.containerMemory(snapshot, cgroupOf: { GPU.readProcCgroup(pid: $0) }) {
                bytes[entry.containerID, default: 0] &+= entry.usedBytes
            }
            return bytes
        }

        /// Unbuffered, so each round shows at once even when stdout is a pipe.
        static func write(_ text: String) {
            FileHandle.standardOutput.write(Data(text.utf8))
        }

        private func sorted(_ entries: [ContainerStatsEntry]) -> [ContainerStatsEntry] {
            entries.sorted { ($0.project ?? "", $0.service ?? "", $0.name) < ($1.project ?? "", $1.service ?? "", $1.name) }
        }

        private func report(_ failures: [StatsSnapshot.Failure]) {
            for failure in failures {
                StandardError.line("warning: \(failure.error)")
            }
        }

        struct Selection {
            /// nil: every compose project.
            var projects: Set<String>?
            var services: [String]

            var description: String {
                var text = projects.map { "in stack(s) \($0.sorted().joined(separator: ", "))" } ?? "in any compose project"
                if !services.isEmpty { text += " for service(s) \(services.joined(separator: ", "))" }
                return text
            }
        }

        /// Which containers to show. Unknown services of a loaded stack are bad input.
        private func selection() throws(CommandFailure) -> Selection {
            if allStacks {
                return Selection(projects: nil, services: services)
            }
            let (targets, _) = try stacks.targets()
            if !services.isEmpty {
                let known = targets.compactMap(\.compose).flatMap(\.serviceNames)
                if targets.allSatisfy({ $0.compose != nil }) {
                    for service in services where !known.contains(service) {
                        throw CommandFailure(
                            badInput:
                                "no service named '\(service)' in stack(s) \(targets.map(\.projectName).joined(separator: ", ")) (services: \(known.joined(separator: ", ")))"
                        )
                    }
                }
            }
            return Selection(projects: Set(targets.map(\.projectName)), services: services)
        }

        private func targets(client: DockerEngine.Client, selection: Selection) async throws -> [StatsTarget] {
            let all: [StatsTarget]
            do {
                all = try await client.runningContainers(labels: [DockerEngine.ComposeLabels.project])
            } catch {
                throw CommandFailure(failed: "\(error)")
            }
            return all.filter { target in
                if let projects = selection.projects, !projects.contains(target.project ?? "") { return false }
                if !selection.services.isEmpty, !selection.services.contains(target.service ?? "") { return false }
                return true
            }
        }
    }
}

extension StatsSourceChoice: ExpressibleByArgument {}

/// The rows of `stats`; JSON is an array of `ContainerStatsEntry`, each with `gpuMemoryBytes`
/// when NVML answers.
struct StatsPayload: OutputRenderable {
    var entries: [ContainerStatsEntry]
    /// GPU memory by container id; `nil`: no NVML, no GPU column. A container without GPU
    /// processes has 0.
    var gpuMemory: [String: UInt64]? = nil
    /// The gap between the two samples behind CPU %; nil when not known (then not shown).
    var window: Duration? = nil
    var source: StatsSourceKind? = nil

    /// One entry with the window behind its CPU % and its GPU memory, encoded as one object.
    private struct Row: Encodable {
        var entry: ContainerStatsEntry
        var cpuWindowSeconds: Double?
        var gpuMemoryBytes: UInt64?
        enum CodingKeys: String, CodingKey { case cpuWindowSeconds, gpuMemoryBytes }
        func encode(to encoder: any Encoder) throws {
            try entry.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(cpuWindowSeconds, forKey: .cpuWindowSeconds)
            try container.encodeIfPresent(gpuMemoryBytes, forKey: .gpuMemoryBytes)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        let seconds = window.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        try container.encode(
            entries.map { entry in
                Row(entry: entry, cpuWindowSeconds: seconds, gpuMemoryBytes: gpuMemory.map { $0[entry.id] ?? 0 })
            })
    }

    var table: OutputTable {
        var headers = ["name", "service", "cpu %", "mem usage / limit", "mem %", "net i/o", "block i/o", "pids"]
        if gpuMemory != nil { headers.append("gpu mem") }
        let rows = OutputTable.rows(
            headers: headers,
            rows: entries.map { e in
                var row = [
                    e.name, e.service ?? "-",
                    String(format: "%.2f%%", e.cpuPercent),
                    "\(ByteFormat.binary(e.memoryUsedBytes)) / \(ByteFormat.binary(e.memoryLimitBytes))",
                    String(format: "%.2f%%", e.memoryPercent),
                    "\(ByteFormat.decimal(e.networkRxBytes)) / \(ByteFormat.decimal(e.networkTxBytes))",
                    "\(ByteFormat.decimal(e.blockReadBytes)) / \(ByteFormat.decimal(e.blockWriteBytes))",
                    "\(e.pids)",
                ]
                if let gpuMemory { row.append(ByteFormat.binary(gpuMemory[e.id] ?? 0)) }
                return row
            })
        guard let window else { return rows }
        let over = source == .api ? "at least \(CommandLineDuration.format(window)) (engine samples)" : CommandLineDuration.format(window)
        return .framed(header: [], body: rows, footer: ["CPU % over \(over)"])
    }
}
