import DockerEngine
import Foundation
import Logging

/// What ContainerStats needs from the engine: the running containers and one-shot stats.
/// `DockerEngine.Client` conforms (see `Client+StatsEngine.swift`); tests may use their own.
public protocol StatsEngine: Sendable {
    /// Running containers carrying every `key=value` (or bare `key`) label in `labels`.
    func runningContainers(labels: [String]) async throws -> [StatsTarget]
    /// `GET /containers/{id}/stats?stream=false&one-shot=true`: the current counters at once,
    /// without the daemon's second sample one second later (empty `precpu_stats`).
    func oneShotStats(id: String) async throws -> ContainerStatsResponse
}

/// `--source auto|api|cgroup`.
public enum StatsSourceChoice: String, Sendable, CaseIterable, Codable {
    case auto, api, cgroup
}

/// The outcome of one sampling round.
public struct StatsSnapshot: Sendable {
    public var entries: [ContainerStatsEntry]
    /// Containers that could not be sampled this round (typically: stopped in between).
    public var failures: [Failure]
    public var source: StatsSourceKind
    /// The raw payload behind each entry, by container id (per-interface and per-device counters).
    public var raw: [String: ContainerStatsResponse] = [:]

    public struct Failure: Sendable {
        public var target: StatsTarget
        public var error: ContainerStatsError
    }
}

/// Samples containers from one source and turns consecutive samples into `docker stats` figures.
/// Keeps the previous raw sample of each container so CPU % is the change since the last call.
public actor StatsCollector {
    public nonisolated let source: StatsSourceKind
    private let engine: any StatsEngine
    private let cgroup: CgroupReader?
    private let logger: Logger
    private var previous: [String: ContainerStatsResponse] = [:]
    /// Resolved cgroup directories by container id (cgroup source), so a round costs only reads.
    private var paths: [String: CgroupReader.Paths] = [:]
    private let machineMemory: UInt64
    private let onlineCPUs: UInt32

    /// - Parameters:
    ///   - cgroup: required for `.cgroup`.
    public init(source: StatsSourceKind, engine: any StatsEngine, cgroup: CgroupReader? = nil, logger: Logger) throws(ContainerStatsError) {
        if source == .cgroup, cgroup == nil {
            throw .cgroupUnavailable(reason: "no cgroup reader")
        }
        self.source = source
        self.engine = engine
        self.cgroup = cgroup
        self.logger = logger
        self.machineMemory = cgroup?.machineMemory() ?? 0
        self.onlineCPUs = cgroup?.onlineCPUs() ?? 1
    }

    /// Picks the source for `--source`: `auto` is `cgroup` when the engine is on this machine (a
    /// unix socket), cgroupfs is mounted and readable, and a running container's cgroup and
    /// network namespace can be read from here (`probe`); otherwise `api`. An explicit `cgroup`
    /// that cannot work is an error naming why.
    public static func resolve(
        _ choice: StatsSourceChoice, engineIsLocal: Bool, cgroupRoot: String = "/sys/fs/cgroup", procRoot: String = "/proc", probe: StatsTarget?
    ) throws(ContainerStatsError) -> (StatsSourceKind, CgroupReader?) {
        switch choice {
        case .api:
            return (.api, nil)
        case .cgroup:
            guard engineIsLocal else {
                throw .cgroupUnavailable(reason: "the Docker engine is not on this machine (DOCKER_HOST is not a unix socket)")
            }
            let reader = try CgroupReader(root: cgroupRoot, procRoot: procRoot)
            if let probe, !reader.canRead(id: probe.id) {
                throw .cgroupUnavailable(reason: "the cgroup or /proc/<pid>/net/dev of container \(probe.name) is not readable from here")
            }
            return (.cgroup, reader)
        case .auto:
            guard engineIsLocal, let reader = try? CgroupReader(root: cgroupRoot, procRoot: procRoot) else { return (.api, nil) }
            if let probe, !reader.canRead(id: probe.id) { return (.api, nil) }
            // No container to try: a container's own cgroup mount (no containers under it) is not the host's.
            if probe == nil, reader.containerIDs().isEmpty { return (.api, nil) }
            return (.cgroup, reader)
        }
    }

    /// Samples every target once (API: all requests at the same time), computing CPU % against
    /// the previous call's sample. Forgets containers that are no longer among `targets`.
    public func sample(_ targets: [StatsTarget]) async -> StatsSnapshot {
        let raw: [(StatsTarget, Result<ContainerStatsResponse, ContainerStatsError>)]
        switch source {
        case .api:
            raw = await sampleAPI(targets)
        case .cgroup:
            raw = sampleCgroup(targets)
        }
        var entries: [ContainerStatsEntry] = []
        var failures: [StatsSnapshot.Failure] = []
        var seen: [String: ContainerStatsResponse] = [:]
        for (target, result) in raw {
            switch result {
            case .success(let current):
                let prior = previous[target.id]
                entries.append(ContainerStatsEntry(target: target, current: current, previous: prior, source: source))
                seen[target.id] = current
            case .failure(let error):
                logger.debug("stats sample failed", metadata: ["container": "\(target.name)", "error": "\(error)"])
                failures.append(.init(target: target, error: error))
            }
        }
        previous = seen
        return StatsSnapshot(entries: entries, failures: failures, source: source, raw: seen)
    }

    /// Two rounds `window` apart, so the second carries CPU % over that window: what
    /// `stats --no-stream` shows. Containers that fail either round are in `failures`.
    public func sampleTwice(_ targets: [StatsTarget], window: Duration) async throws -> StatsSnapshot {
        await primeCPU(targets)
        try await Task.sleep(for: window)
        return await sample(targets)
    }

    /// The earlier of the two samples behind CPU %, kept for the next `sample`. From cgroupfs only
    /// the CPU counters are read (one file per container); the API has no lighter request than a
    /// full one-shot round. Containers that cannot be read are left out (the next round reports them).
    public func primeCPU(_ targets: [StatsTarget]) async {
        switch source {
        case .api:
            for (target, result) in await sampleAPI(targets) {
                if case .success(let stats) = result { previous[target.id] = stats }
            }
        case .cgroup:
            guard let cgroup else { return }
            for target in targets {
                do throws(ContainerStatsError) {
                    let resolved = try resolvedPaths(target, cgroup)
                    previous[target.id] = try cgroup.cpuSample(target: target, paths: resolved, onlineCPUs: onlineCPUs)
                } catch {
                    paths[target.id] = nil
                }
            }
        }
    }

    /// Adopts CPU samples taken before this collector existed (`CPUBaselines.take`, e.g. while
    /// the engine was still listing the containers). Only for the cgroup source: the engine's
    /// host CPU counter is a different clock. Returns the ids adopted.
    @discardableResult
    public func adopt(_ baselines: CPUBaselines, for targets: [StatsTarget]) -> Set<String> {
        guard source == .cgroup else { return [] }
        var adopted = Set<String>()
        for target in targets {
            guard let sample = baselines.samples[target.id] else { continue }
            previous[target.id] = sample
            if let resolved = baselines.paths[target.id] { paths[target.id] = resolved }
            adopted.insert(target.id)
        }
        return adopted
    }

    private func sampleAPI(_ targets: [StatsTarget]) async -> [(StatsTarget, Result<ContainerStatsResponse, ContainerStatsError>)] {
        let engine = self.engine
        return await withTaskGroup(of: (Int, Result<ContainerStatsResponse, ContainerStatsError>).self) { group in
            for (index, target) in targets.enumerated() {
                group.addTask {
                    do {
                        return (index, .success(try await engine.oneShotStats(id: target.id)))
                    } catch let error as ContainerStatsError {
                        return (index, .failure(error))
                    } catch {
                        return (index, .failure(.engine(container: target.name, underlying: error)))
                    }
                }
            }
            var results = [Result<ContainerStatsResponse, ContainerStatsError>?](repeating: nil, count: targets.count)
            for await (index, result) in group { results[index] = result }
            return zip(targets, results).map { ($0, $1!) }
        }
    }

    private func sampleCgroup(_ targets: [StatsTarget]) -> [(StatsTarget, Result<ContainerStatsResponse, ContainerStatsError>)] {
        guard let cgroup else { return [] }
        return targets.map { target in
            do throws(ContainerStatsError) {
                let resolved = try resolvedPaths(target, cgroup)
                return (
                    target, .success(try cgroup.read(target: target, paths: resolved, detail: .figures, machineMemory: machineMemory, onlineCPUs: onlineCPUs))
                )
            } catch {
                // Resolved again next time: the container may have been recreated or stopped.
                paths[target.id] = nil
                return (target, .failure(error))
            }
        }
    }

    private func resolvedPaths(_ target: StatsTarget, _ cgroup: CgroupReader) throws(ContainerStatsError) -> CgroupReader.Paths {
        if let known = paths[target.id] { return known }
        let resolved = try cgroup.paths(for: target)
        paths[target.id] = resolved
        return resolved
    }
}

/// CPU counters of every container that has a cgroup on this host, read straight from cgroupfs
/// before anyone asked the engine which containers exist: `stats --no-stream` takes them first
/// thing, so the window behind CPU % runs while the engine lists the containers.
public struct CPUBaselines: Sendable {
    /// When the counters were read.
    public var taken: ContinuousClock.Instant
    /// By container id; only `cpu_stats` (and `id`, `read`) are filled.
    public var samples: [String: ContainerStatsResponse]
    /// The directories found on the way, by container id.
    public var paths: [String: CgroupReader.Paths]

    /// Reads the CPU counter of every container directory under the reader's root.
    public static func take(_ reader: CgroupReader) -> CPUBaselines {
        let onlineCPUs = reader.onlineCPUs()
        var samples: [String: ContainerStatsResponse] = [:]
        var paths: [String: CgroupReader.Paths] = [:]
        let taken = ContinuousClock.now
        for id in reader.containerIDs() {
            let target = StatsTarget(id: id, name: id, image: "")
            do throws(ContainerStatsError) {
                let resolved = try reader.paths(for: target)
                samples[id] = try reader.cpuSample(target: target, paths: resolved, onlineCPUs: onlineCPUs)
                paths[id] = resolved
            } catch {
                continue
            }
        }
        return CPUBaselines(taken: taken, samples: samples, paths: paths)
    }
}
