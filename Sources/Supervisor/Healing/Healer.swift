import DockerEngine
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// Restarts containers of the supervised projects that stay unhealthy, following `HealPolicy`,
/// and calls `onGrafanaStart` when the Grafana service's container starts again.
///
/// It follows the engine's events stream (health_status, start, die, destroy, ...) and reconnects
/// with backoff when the stream is cut (an engine restart); after each (re)connection it takes a
/// fresh look at every container, since events may have been missed meanwhile.
public final class Healer: Service, Sendable {
    public struct Configuration: Sendable {
        /// Compose projects to supervise (`com.docker.compose.project`).
        public var projects: [String]
        public var policy: HealPolicy
        /// The compose service whose start triggers re-provisioning (nil: none).
        public var grafanaService: String?
        /// How often due decisions are re-evaluated.
        public var tick: Duration
        public var reconnectBackoff: (initial: Duration, max: Duration)

        public init(
            projects: [String], policy: HealPolicy = HealPolicy(), grafanaService: String? = "grafana",
            tick: Duration = .seconds(1), reconnectBackoff: (initial: Duration, max: Duration) = (.milliseconds(500), .seconds(30))
        ) {
            self.projects = projects
            self.policy = policy
            self.grafanaService = grafanaService
            self.tick = tick
            self.reconnectBackoff = reconnectBackoff
        }
    }

    struct Tracked: Sendable {
        var name: String
        var project: String
        var service: String
        var observation: HealObservation
        var tracker: HealTracker
        var reportedGiveUp = false
        /// The value last set on `stackpilot_heal_given_up` for it (nil: none yet).
        var publishedGivenUp: Bool?
    }

    private let engine: DockerEngine.Client
    private let configuration: Configuration
    private let logger: Logger
    private let onGrafanaStart: @Sendable () async -> Void
    private let state = Mutex<[String: Tracked]>([:])
    private let metrics: HealMetrics

    public init(
        engine: DockerEngine.Client, configuration: Configuration, registry: PrometheusCollectorRegistry, logger: Logger,
        onGrafanaStart: @escaping @Sendable () async -> Void = {}
    ) {
        self.engine = engine
        self.configuration = configuration
        self.logger = logger
        self.onGrafanaStart = onGrafanaStart
        self.metrics = HealMetrics(registry: registry)
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.followEvents() }
            group.addTask { await self.tickLoop() }
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: events

    private func followEvents() async {
        var delay = configuration.reconnectBackoff.initial
        var first = true
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // Label filters are ANDed by the engine, so several projects are filtered here instead.
                var filters = DockerEngine.Filters().adding("type", "container")
                if configuration.projects.count == 1 { filters = filters.composeProject(configuration.projects[0]) }
                // Subscribe first, then scan: nothing that happens in between is lost.
                let events = try await engine.events(filters: filters)
                try await scan()
                if !first { metrics.reconnects.increment() }
                first = false
                delay = configuration.reconnectBackoff.initial
                metrics.connected.set(Double(1))
                for try await event in events.cancelOnGracefulShutdown() {
                    await handle(event)
                }
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                // The engine ended the stream (it is shutting down): reconnect.
                logger.warning("engine events stream ended; reconnecting")
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                logger.warning("engine events stream failed; reconnecting", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
            }
            metrics.connected.set(Double(0))
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, configuration.reconnectBackoff.max)
        }
    }

    /// Takes a fresh look at every container of the supervised projects.
    func scan() async throws {
        var seen: Set<String> = []
        for project in configuration.projects {
            let containers = try await engine.listContainers(all: true, filters: DockerEngine.Filters().composeProject(project))
            for summary in containers {
                seen.insert(summary.id)
                try await refresh(id: summary.id)
            }
        }
        state.withLock { tracked in tracked = tracked.filter { seen.contains($0.key) } }
    }

    /// Reads a container's state and health from the engine and records it.
    func refresh(id: String) async throws {
        let found: DockerEngine.ContainerInspect?
        do {
            found = try await engine.inspectContainer(id)
        } catch {
            guard error.isNotFound else { throw error }
            found = nil
        }
        guard let container = found else {
            _ = state.withLock { $0.removeValue(forKey: id) }
            return
        }
        let labels = container.config?.labels ?? [:]
        let observation = HealObservation(
            health: container.healthStatus,
            state: container.state?.status ?? .exited,
            healingDisabled: labels["io.stackpilot.heal"]?.lowercased() == "false")
        let name = (container.name ?? id).trimmingPrefix("/").description
        let policy = configuration.policy
        state.withLock { tracked in
            var entry =
                tracked[id]
                ?? Tracked(
                    name: name, project: labels[DockerEngine.ComposeLabels.project] ?? "",
                    service: labels[DockerEngine.ComposeLabels.service] ?? name,
                    observation: observation, tracker: HealTracker(policy: policy))
            entry.observation = observation
            tracked[id] = entry
        }
    }

    func handle(_ event: DockerEngine.Event) async {
        guard let id = event.actor?.id, let action = event.action else { return }
        let attributes = event.actor?.attributes ?? [:]
        guard let project = attributes[DockerEngine.ComposeLabels.project], configuration.projects.contains(project) else { return }
        logger.debug("container event", metadata: ["container": "\(attributes["name"] ?? id)", "action": "\(action)"])
        switch action {
        case "destroy":
            _ = state.withLock { $0.removeValue(forKey: id) }
        case "start":
            try? await refresh(id: id)
            if let grafana = configuration.grafanaService, attributes[DockerEngine.ComposeLabels.service] == grafana {
                logger.info("Grafana started; provisioning it again", metadata: ["container": "\(attributes["name"] ?? id)"])
                metrics.reprovisions.increment()
                await onGrafanaStart()
            }
        default:
            // Other events (exec_* from every healthcheck run, attach, resize, ...) change nothing
            // the healer looks at: no inspect, no evaluation.
            guard action.hasPrefix("health_status") || ["die", "stop", "kill", "restart", "pause", "unpause", "create", "oom"].contains(action) else { return }
            try? await refresh(id: id)
        }
        await evaluate()
    }

    // MARK: decisions

    private func tickLoop() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: configuration.tick)
            await evaluate()
        }
    }

    /// Decides for every tracked container and carries out the restarts.
    func evaluate(now: ContinuousClock.Instant = .now) async {
        let decisions: [(id: String, entry: Tracked, decision: HealDecision)] = state.withLock { tracked in
            tracked.keys.sorted().compactMap { id in
                guard var entry = tracked[id] else { return nil }
                let decision = entry.tracker.decide(entry.observation, at: now)
                // Only what needs doing leaves the lock: a restart, a give-up said once, and the
                // given-up gauge set to 0 once per recovery (not re-set every tick for every container).
                let act: Bool
                switch decision {
                case .restart: act = true
                case .giveUp:
                    act = !entry.reportedGiveUp
                    entry.reportedGiveUp = true
                    entry.publishedGivenUp = true
                case .nothing:
                    act = entry.publishedGivenUp != false
                    entry.reportedGiveUp = false
                    entry.publishedGivenUp = false
                case .wait, .leaveAlone: act = false
                }
                tracked[id] = entry
                return act ? (id, entry, decision) : nil
            }
        }
        for (id, entry, decision) in decisions {
            let labels = [("project", entry.project), ("service", entry.service)]
            switch decision {
            case .restart(let attempt):
                logger.warning(
                    "restarting unhealthy container",
                    metadata: [
                        "container": "\(entry.name)", "service": "\(entry.service)", "attempt": "\(attempt)",
                        "max": "\(configuration.policy.maxRestarts)",
                    ])
                metrics.restarts(labels).increment()
                do {
                    try await engine.restartContainer(id, timeout: 10)
                } catch {
                    logger.error("could not restart container", metadata: ["container": "\(entry.name)", "error": "\(error)"])
                }
                try? await refresh(id: id)
            case .giveUp(let restarts, let window):
                metrics.givenUp(labels).set(Double(1))
                logger.error(
                    """
                    giving up on \(entry.service): restarted \(restarts) times within \(window.components.seconds / 60) min and still unhealthy; \
                    look at its log (stackpilot logs \(entry.service)) and its healthcheck (stackpilot doctor --only stacks)
                    """, metadata: ["container": "\(entry.name)"])
            case .nothing:
                metrics.givenUp(labels).set(Double(0))
            case .wait, .leaveAlone:
                break
            }
        }
    }

    /// What the healer knows of one container.
    public struct Status: Sendable, Equatable {
        public var name: String
        public var service: String
        public var health: String
        public var state: String
        /// When the healer restarted it, oldest first (within the policy's window): the healer's own
        /// record, so the spacing of the backoff can be read from it.
        public var restartTimes: [ContinuousClock.Instant]
        public var givenUp: Bool
        public var restarts: Int { restartTimes.count }
    }

    /// What the healer currently knows, for tests and `/healthz`.
    public func snapshot() -> [Status] {
        state.withLock { tracked in
            tracked.values.sorted { $0.name < $1.name }.map {
                Status(
                    name: $0.name, service: $0.service, health: $0.observation.health.rawValue, state: $0.observation.state.rawValue,
                    restartTimes: $0.tracker.restarts, givenUp: $0.tracker.givenUp)
            }
        }
    }
}

/// The healer's metrics, next to the exporter's on the same /metrics.
final class HealMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let reconnects: Counter
    let reprovisions: Counter
    let connected: Gauge

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        reconnects = registry.makeCounter(
            descriptor: .init(metricName: "stackpilot_events_reconnects_total", unitName: "", helpText: "Times the engine's events stream was reconnected."))
        reprovisions = registry.makeCounter(
            descriptor: .init(
                metricName: "stackpilot_grafana_reprovisions_total", unitName: "",
                helpText: "Re-provisionings of Grafana triggered by its container starting or the dashboards changing."))
        connected = registry.makeGauge(
            descriptor: .init(
                metricName: "stackpilot_events_connected", unitName: "", helpText: "Whether the engine's events stream is connected (1) or not (0)."))
    }

    func restarts(_ labels: [(String, String)]) -> Counter {
        registry.makeCounter(
            descriptor: .init(metricName: "stackpilot_heal_restarts_total", unitName: "", helpText: "Restarts of unhealthy containers by the healer."),
            labels: labels)
    }

    func givenUp(_ labels: [(String, String)]) -> Gauge {
        registry.makeGauge(
            descriptor: .init(metricName: "stackpilot_heal_given_up", unitName: "", helpText: "1 when the healer gave up on a service after its restart cap."),
            labels: labels)
    }
}
