import DockerEngine
import Foundation

extension Orchestration {
    /// What `up` waits for, decided in one place for both of its waits: a depends_on condition
    /// (before a dependent starts) and `--wait` (every started container ready). "Running and
    /// healthy?" itself is DockerEngine's one judge, `DockerEngine.Readiness`.
    public enum Readiness {
        /// What a wait waits for.
        public enum Goal: Sendable, Hashable {
            /// A depends_on condition of a dependent.
            case dependency(DependencyCondition)
            /// `--wait`: running and healthy (or without a healthcheck), or exited with 0.
            case ready
        }

        public enum Evaluation: Sendable, Hashable { case met, pending, failed(String) }

        /// Restarts seen while waiting that make it a crash loop, not a slow start.
        public static let crashLoopRestarts = 2

        /// Whether container `d` meets `goal` now, never will, or may later. `restartCountBefore`: its
        /// restart count when the wait began; a crash loop under a restart policy is never unhealthy, so
        /// without this a wait for health (service_healthy, --wait) would not end.
        public static func evaluate(_ d: DockerEngine.ContainerInspect, goal: Goal, restartCountBefore: Int? = nil) -> Evaluation {
            let evaluation = judge(d, goal: goal)
            guard evaluation == .pending, goal.detectsCrashLoop, let before = restartCountBefore else { return evaluation }
            let restarts = (d.restartCount ?? 0) - before
            guard restarts >= crashLoopRestarts else { return evaluation }
            return .failed("it keeps restarting (restarted \(restarts) times while waiting, last exit code \(d.exitCode))")
        }

        private static func judge(_ d: DockerEngine.ContainerInspect, goal: Goal) -> Evaluation {
            let readiness = d.readiness
            switch goal {
            case .dependency(.serviceStarted):
                let state = d.containerState
                if state == .running || state == .restarting || state == .paused { return .met }
                if state.hasExited { return d.exitCode == 0 ? .met : failure(readiness) }
                return .pending
            case .dependency(.serviceHealthy):
                switch readiness {
                case .ready where d.healthStatus != .healthy: return .failed("depends_on asks for service_healthy but it has no healthcheck")
                case .completed: return .failed("it exited (code 0) instead of becoming healthy")
                default: return ready(readiness)
                }
            case .dependency(.serviceCompletedSuccessfully):
                switch readiness {
                case .completed: return .met
                case .failed: return failure(readiness)
                case .ready, .pending, .unhealthy: return .pending
                }
            case .ready:
                return ready(readiness)
            }
        }

        private static func ready(_ readiness: DockerEngine.Readiness) -> Evaluation {
            switch readiness {
            case .ready, .completed: .met
            case .pending: .pending
            case .unhealthy, .failed: failure(readiness)
            }
        }

        private static func failure(_ readiness: DockerEngine.Readiness) -> Evaluation {
            switch readiness {
            case .unhealthy: .failed("its healthcheck reports unhealthy")
            case .failed(_, oomKilled: true): .failed("it was killed for running out of memory (OOMKilled)")
            case .failed(let code, _): .failed("it exited with code \(code)")
            case .ready, .completed, .pending: .failed("it exited with code 0")
            }
        }
    }
}

extension Orchestration.Readiness.Goal {
    /// Waits for health notice a crash loop; service_started and service_completed_successfully do not.
    var detectsCrashLoop: Bool { self == .ready || self == .dependency(.serviceHealthy) }
}

extension Orchestration.Executor {
    /// How long a wait may take: the --wait-timeout, and how long it was (for messages).
    struct Deadline: Sendable {
        var end: ContinuousClock.Instant
        var length: Duration
    }

    /// Waits until every one of `containers` meets `goal`, reporting each as ready when it does,
    /// woken by the engine's events (`hub`) with a poll as a safety net. Throws `.dependencyFailed`
    /// as soon as one never will; when `deadline` passes, a dependency wait fails the same way and
    /// `--wait` throws `.waitTimeout` naming every container not ready.
    func waitUntil(
        _ goal: Orchestration.Readiness.Goal, containers: [(id: String, service: String)], hub: Orchestration.EventHub,
        deadline: Deadline?
    ) async throws {
        var pending = containers
        var last: [String: DockerEngine.ContainerInspect] = [:]
        var restartCountBefore: [String: Int] = [:]
        while !pending.isEmpty {
            try Task.checkCancellation()
            var still: [(id: String, service: String)] = []
            var counters: [String: Int] = [:]
            for c in pending {
                counters[c.id] = await hub.counter(c.id)
                let d = try await engine.inspectContainer(id: c.id)
                last[c.id] = d
                let before = restartCountBefore[c.id] ?? d.restartCount ?? 0
                restartCountBefore[c.id] = before
                switch Orchestration.Readiness.evaluate(d, goal: goal, restartCountBefore: before) {
                case .met:
                    progress(.ready(service: c.service, detail: "\(d.shortName) \(d.stateDescription)"))
                case .pending:
                    still.append(c)
                case .failed(let reason):
                    throw OrchestrationError.dependencyFailed(
                        service: c.service, container: d.shortName, state: d.stateDescription, reason: reason, logTail: await tail(of: d), dependents: [])
                }
            }
            pending = still
            guard let first = pending.first else { break }
            if let deadline, ContinuousClock.now >= deadline.end {
                try await timedOut(goal, pending: pending, last: last, deadline: deadline)
            }
            var wait = pollFallback
            if let deadline { wait = min(wait, deadline.end - ContinuousClock.now) }
            await hub.wait(for: first.id, after: counters[first.id] ?? 0, fallback: max(wait, .milliseconds(10)))
        }
    }

    private func timedOut(
        _ goal: Orchestration.Readiness.Goal, pending: [(id: String, service: String)], last: [String: DockerEngine.ContainerInspect],
        deadline: Deadline
    ) async throws -> Never {
        if case .dependency(let condition) = goal, let c = pending.first, let d = last[c.id] {
            let reason = "it did not become \(condition == .serviceHealthy ? "healthy" : "ready") within the --wait-timeout of \(deadline.length)"
            throw OrchestrationError.dependencyFailed(
                service: c.service, container: d.shortName, state: d.stateDescription, reason: reason, logTail: await tail(of: d), dependents: [])
        }
        let (seconds, attoseconds) = deadline.length.components
        throw OrchestrationError.waitTimeout(
            seconds: Double(seconds) + Double(attoseconds) / 1e18,
            notReady: pending.map { c in
                let d = last[c.id]
                var line = "service '\(c.service)' (container \(d?.shortName ?? c.id)): \(d?.stateDescription ?? "unknown")"
                if let d, d.healthStatus == .starting { line += ", health still starting" }
                if let d, let probe = d.healthLog.last, !probe.isEmpty {
                    line += "; last health probe: \(probe.trimmingCharacters(in: .whitespacesAndNewlines))"
                }
                return line
            })
    }

    /// The last log lines of `d`, and its last health probe when it is unhealthy (for failure messages).
    func tail(of d: DockerEngine.ContainerInspect) async -> [String] {
        var lines = (try? await engine.logTail(id: d.id, lines: logTailLines)) ?? []
        if d.healthStatus == .unhealthy, let last = d.healthLog.last {
            lines.append("(last health probe) \(last.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return lines
    }

    /// Waits until every container of `service` meets `condition` (the containers this run created,
    /// started or kept when it knows them, otherwise the ones listed); fails when one never will, or
    /// when the deadline passes.
    func waitForCondition(
        _ project: Orchestration.DesiredProject, service: Orchestration.DesiredService, condition: Orchestration.DependencyCondition,
        hub: Orchestration.EventHub, containerIDs: [String]? = nil, deadline: Deadline? = nil
    ) async throws {
        let ids: [String]
        if let containerIDs, !containerIDs.isEmpty {
            ids = containerIDs
        } else {
            ids = try await engine.listContainers(project: project.name).filter { $0.composeService == service.name && !$0.isOneOff }.map(\.id)
        }
        if ids.isEmpty {
            throw OrchestrationError.dependencyFailed(
                service: service.name, container: "(none)", state: "missing", reason: "the service has no container", logTail: [], dependents: [])
        }
        try await waitUntil(.dependency(condition), containers: ids.map { ($0, service.name) }, hub: hub, deadline: deadline)
    }

    /// `--wait`: every container of `services` running and healthy, or exited with 0.
    func waitReady(
        _ project: Orchestration.DesiredProject, services: [String], timeout: Duration?, hub: Orchestration.EventHub
    ) async throws(OrchestrationError) {
        do {
            let containers = try await engine.listContainers(project: project.name).filter { c in !c.isOneOff && services.contains(c.composeService ?? "") }
            let deadline = timeout.map { Deadline(end: ContinuousClock.now + $0, length: $0) }
            try await waitUntil(.ready, containers: containers.map { ($0.id, $0.composeService ?? "?") }, hub: hub, deadline: deadline)
        } catch let e as OrchestrationError {
            throw e
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw Self.wrap(error, operation: "wait", target: "project \(project.name)")
        }
    }
}
