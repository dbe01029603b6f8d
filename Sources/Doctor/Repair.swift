import DockerEngine
import Foundation

extension Doctor {
    /// After `--fix`: what was repaired needs time before a check can see it — a started container
    /// runs its healthcheck first, and Prometheus scrapes it on its own interval. Checking again at
    /// once would report the repaired service as still broken.
    public struct Settling: Sendable {
        /// How long a started or restarted container may take to become healthy.
        public var containerTimeout: Duration
        /// How long failed checks are retried after the containers settled (one Prometheus scrape
        /// interval of the guide, 15 s, plus its scrape timeout, with a margin).
        public var recheckTimeout: Duration
        /// Pause between two rounds of re-checking.
        public var pollInterval: Duration

        public init(containerTimeout: Duration = .seconds(120), recheckTimeout: Duration = .seconds(40), pollInterval: Duration = .seconds(2)) {
            self.containerTimeout = containerTimeout
            self.recheckTimeout = recheckTimeout
            self.pollInterval = pollInterval
        }
    }

    /// The state of a container a fix started or restarted, while waiting for it.
    public enum ContainerSettlement: Sendable, Equatable {
        /// Running, and healthy (or without a healthcheck).
        case settled
        /// Not there yet when the time ran out: its last state, e.g. "running (health: unhealthy)".
        case unsettled(String)
    }

    /// Waits until every container a fix started or restarted runs and is healthy (or has no
    /// healthcheck), or `timeout` passes. Returns each container's service with how it ended.
    public static func waitForFixedContainers(
        _ engine: DockerEngine.Client, fixes: [Fix], timeout: Duration,
        pollInterval: Duration = .seconds(1)
    ) async -> [(service: String, settlement: ContainerSettlement)] {
        let containers: [(id: String, service: String)] = fixes.compactMap { fix in
            switch fix {
            case .startContainer(let id, let service), .restartContainer(let id, let service): (id, service)
            case .provisionGrafana: nil
            }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var results: [(service: String, settlement: ContainerSettlement)] = []
        for container in containers {
            var last = "unknown"
            while true {
                if let inspect = try? await engine.inspectContainer(container.id) {
                    let health = inspect.state?.health?.status
                    last = "\(inspect.containerState.rawValue)\(health.map { " (health: \($0.rawValue))" } ?? "")"
                    if inspect.readiness == .ready {
                        results.append((container.service, .settled))
                        break
                    }
                }
                if clock.now >= deadline || Task.isCancelled {
                    results.append((container.service, .unsettled(last)))
                    break
                }
                try? await Task.sleep(for: pollInterval)
            }
        }
        return results
    }
}

extension Doctor.Runner {
    /// Runs the checks of `groups` that failed in `report` again, every `pollInterval`, until none
    /// of them fails or `timeout` passes; the other results are kept. For what settles on its own
    /// schedule after a repair (a Prometheus target is up again only after its next scrape).
    public func recheckFailures(
        _ report: Doctor.Report, checks: [Doctor.Check], groups: Set<Doctor.Group>,
        timeout: Duration, pollInterval: Duration
    ) async -> Doctor.Report {
        var report = report
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        func failing() -> [Int] {
            report.results.indices.filter { report.results[$0].finding.status == .failure && groups.contains(report.results[$0].group) }
        }
        var indices = failing()
        while !indices.isEmpty && clock.now < deadline && !Task.isCancelled {
            let again = indices.compactMap { index -> (Int, Doctor.Check)? in
                let result = report.results[index]
                return checks.first { $0.group == result.group && $0.name == result.check }.map { (index, $0) }
            }
            if again.isEmpty { break }
            try? await Task.sleep(for: pollInterval)
            let rerun = await run(again.map(\.1))
            for ((index, _), result) in zip(again, rerun.results) { report.results[index] = result }
            indices = failing()
        }
        return report
    }
}
