import Compose
import ContainerStats
import DockerEngine
import Foundation
import Logging

extension Doctor {
    /// Per-container resources: which container holds the CPU or the memory — the first thing to
    /// know when the CPU or memory alerts fire.
    static func resourceChecks(_ engine: DockerEngine.Client, projects: [ComposeProject]) -> [Check] {
        [
            Check(.resources, "containers", timeout: .seconds(8)) {
                try await resourceFinding(engine, projects: projects)
            }
        ]
    }

    static func resourceFinding(_ engine: DockerEngine.Client, projects: [ComposeProject]) async throws -> Finding {
        var targets: [StatsTarget] = []
        for project in projects {
            targets += try await engine.runningContainers(labels: ["\(DockerEngine.ComposeLabels.project)=\(project.name)"])
        }
        guard !targets.isEmpty else {
            return .notApplicable("no running container of the deployment to measure")
        }
        let isLocal = if case .unixSocket = engine.endpoint.address { true } else { false }
        let (source, reader) = try StatsCollector.resolve(.auto, engineIsLocal: isLocal, probe: targets.first)
        let collector = try StatsCollector(source: source, engine: engine, cgroup: reader, logger: Logger(label: "stackpilot.doctor"))
        let snapshot = try await collector.sampleTwice(targets, window: .milliseconds(500))
        let entries = snapshot.entries
        guard !entries.isEmpty else {
            return .warning("could not measure any container", evidence: snapshot.failures.map { "\($0.target.name): \($0.error)" })
        }
        let byCPU = entries.sorted { $0.cpuPercent > $1.cpuPercent }
        let byMemory = entries.sorted { $0.memoryUsedBytes > $1.memoryUsedBytes }
        var evidence = ["source: \(snapshot.source.rawValue), \(entries.count) containers"]
        evidence += byCPU.prefix(3).map { String(format: "CPU    %6.1f %%  %@", $0.cpuPercent, $0.name) }
        evidence += byMemory.prefix(3).map {
            "memory \(ByteFormat.binary($0.memoryUsedBytes))\($0.memoryLimitBytes > 0 ? String(format: " (%.1f %% of its limit)", $0.memoryPercent) : "")  \($0.name)"
        }
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        let nearLimit = entries.filter {
            $0.memoryPercent >= 90 && $0.memoryLimitBytes > 0 && $0.memoryLimitBytes < UInt64(ProcessInfo.processInfo.physicalMemory)
        }
        if let top = nearLimit.first {
            return .warning(
                "\(top.name) uses \(String(format: "%.0f", top.memoryPercent)) % of its memory limit", evidence: evidence,
                remedy: [
                    "a working set that keeps growing is a leak: watch it with stackpilot stats \(top.service ?? "")",
                    "raise deploy.resources.limits.memory or lower the model cache size",
                ])
        }
        if let top = byCPU.first, top.cpuPercent >= 90 * cores {
            return .warning(
                "\(top.name) uses all \(Int(cores)) cores (\(String(format: "%.0f", top.cpuPercent)) %)", evidence: evidence,
                remedy: ["consider scaling the service or limiting it with deploy.resources.limits.cpus"])
        }
        let top = byCPU[0]
        let heaviest = byMemory[0]
        return .ok(
            "most CPU: \(top.name) (\(String(format: "%.1f", top.cpuPercent)) %), most memory: \(heaviest.name) (\(ByteFormat.binary(heaviest.memoryUsedBytes)))",
            evidence: evidence)
    }
}
