extension DockerEngine {
    /// A container's state, as `GET /containers/json` (`State`) and inspect (`State.Status`) report it.
    /// A value this client does not know (a newer engine's) decodes as `.unknown` rather than failing.
    public enum ContainerState: String, Codable, Sendable, Hashable, CaseIterable {
        case created, running, paused, restarting, removing, exited, dead
        case unknown

        public init(engineValue: String) { self = Self(rawValue: engineValue.lowercased()) ?? .unknown }

        public init(from decoder: any Decoder) throws {
            self.init(engineValue: try decoder.singleValueContainer().decode(String.self))
        }

        /// Stopped with an exit code (`exited` or `dead`).
        public var hasExited: Bool { self == .exited || self == .dead }
    }

    /// A container's health (`State.Health.Status`): `.none` when it has no healthcheck.
    /// A value this client does not know decodes as `.unknown`.
    public enum HealthStatus: String, Codable, Sendable, Hashable, CaseIterable {
        case none, starting, healthy, unhealthy
        case unknown

        public init(engineValue: String) { self = Self(rawValue: engineValue.lowercased()) ?? .unknown }

        public init(from decoder: any Decoder) throws {
            self.init(engineValue: try decoder.singleValueContainer().decode(String.self))
        }

        /// The health a list entry's `Status` text shows: `Up 2 minutes (healthy)`, `(health: starting)`.
        public init(listStatus status: String) {
            if status.contains("(healthy)") {
                self = .healthy
            } else if status.contains("(unhealthy)") {
                self = .unhealthy
            } else if status.contains("(health: starting)") {
                self = .starting
            } else {
                self = .none
            }
        }
    }

    /// The one answer to "is this container running and healthy?", asked by `up --wait` and
    /// depends_on gating, by `doctor --fix` while a repaired container settles, and by the healer.
    public enum Readiness: Sendable, Hashable {
        /// Running, and healthy or without a healthcheck.
        case ready
        /// Exited with code 0 and not killed: a one-shot job that is done.
        case completed
        /// Not there yet: created, restarting, paused, or running with its healthcheck still starting.
        case pending
        /// Running, but its healthcheck reports unhealthy.
        case unhealthy
        /// Exited (or dead) with a non-zero code, or killed for running out of memory.
        case failed(exitCode: Int, oomKilled: Bool)

        public init(state: ContainerState, health: HealthStatus, exitCode: Int = 0, oomKilled: Bool = false) {
            switch state {
            case .running:
                switch health {
                case .none, .healthy, .unknown: self = .ready
                case .starting: self = .pending
                case .unhealthy: self = .unhealthy
                }
            case .exited, .dead:
                self = exitCode == 0 && !oomKilled ? .completed : .failed(exitCode: exitCode, oomKilled: oomKilled)
            case .created, .paused, .restarting, .removing, .unknown:
                self = .pending
            }
        }
    }
}

extension DockerEngine.ContainerInspect.State {
    /// `status`, `.unknown` when absent.
    public var containerState: DockerEngine.ContainerState { status ?? .unknown }

    /// `health.status`, `.none` when the container has no healthcheck.
    public var healthStatus: DockerEngine.HealthStatus { health?.status ?? .none }

    /// The one readiness judge (see `DockerEngine.Readiness`).
    public var readiness: DockerEngine.Readiness {
        DockerEngine.Readiness(state: containerState, health: healthStatus, exitCode: exitCode ?? 0, oomKilled: oomKilled ?? false)
    }
}

extension DockerEngine.ContainerInspect {
    /// The name without the engine's leading slash (the ID when the engine gave none).
    public var shortName: String { (name ?? id).trimmingPrefix("/").description }

    /// `state.status`, `.unknown` when absent.
    public var containerState: DockerEngine.ContainerState { state?.containerState ?? .unknown }

    /// `state.health.status`, `.none` when the container has no healthcheck.
    public var healthStatus: DockerEngine.HealthStatus { state?.healthStatus ?? .none }

    /// The one readiness judge (see `DockerEngine.Readiness`); `.pending` when the engine reported no state.
    public var readiness: DockerEngine.Readiness { state?.readiness ?? .pending }

    public var exitCode: Int { state?.exitCode ?? 0 }
    public var oomKilled: Bool { state?.oomKilled ?? false }

    /// Output of the last health probes, newest last.
    public var healthLog: [String] { (state?.health?.log ?? []).compactMap(\.output) }

    /// "exited (1)", "running (unhealthy)", "exited (137, OOMKilled)"...
    public var stateDescription: String {
        let state = containerState
        switch state {
        case .exited, .dead:
            return "\(state.rawValue) (\(exitCode)\(oomKilled ? ", OOMKilled" : ""))"
        case .running where healthStatus != .none:
            return "running (\(healthStatus.rawValue))"
        default:
            return state.rawValue
        }
    }

    /// Published ports as `127.0.0.1:9090->9090/tcp` (an unpublished one as `9090/tcp`), sorted, without repeats.
    public var publishedPorts: [String] {
        var ports: Set<String> = []
        for (key, bindings) in networkSettings?.ports ?? [:] {
            guard let bindings, !bindings.isEmpty else {
                ports.insert(key)
                continue
            }
            for b in bindings {
                ports.insert("\(b.hostIP.map { $0.isEmpty ? "" : $0 + ":" } ?? "")\(b.hostPort ?? "")->\(key)")
            }
        }
        return ports.sorted()
    }
}

extension DockerEngine.ContainerSummary {
    /// `state`, `.unknown` when absent.
    public var containerState: DockerEngine.ContainerState { state ?? .unknown }

    /// The health its `Status` text shows (the list endpoint has no health field).
    public var healthStatus: DockerEngine.HealthStatus { DockerEngine.HealthStatus(listStatus: status ?? "") }
}
