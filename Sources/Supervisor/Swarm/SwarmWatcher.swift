import DockerEngine
import Doctor
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// `supervise` on a swarm: Swarm already replaces failed and unhealthy tasks, so nothing here
/// restarts anything. On a manager it reads nodes, services and tasks every `interval` and
/// - exports `stackpilot_service_replicas{service,state="running"|"desired"}`,
///   `stackpilot_swarm_node_up{node,role,availability}` (1 ready, 0 not) and
///   `stackpilot_service_update_state{service,state}` (1 for the state of its last update);
/// - logs a service update that pauses or rolls back, once per change, and counts it in
///   `stackpilot_service_update_events_total{service,state}`;
/// - re-provisions Grafana when its running task changes (moved to another node or restarted),
///   through the same trigger the healer uses for a Grafana container start.
/// On a worker (no manager API) it exports nothing and says so once.
public struct SwarmWatcher: Service {
    public var engine: DockerEngine.Client
    public var interval: Duration
    public var logger: Logger
    public var onGrafanaMoved: @Sendable () async -> Void
    let metrics: SwarmMetrics

    public init(
        engine: DockerEngine.Client, interval: Duration = .seconds(10), registry: PrometheusCollectorRegistry, logger: Logger,
        onGrafanaMoved: @escaping @Sendable () async -> Void
    ) {
        self.engine = engine
        self.interval = interval
        self.logger = logger
        self.onGrafanaMoved = onGrafanaMoved
        self.metrics = SwarmMetrics(registry: registry)
    }

    public func run() async throws {
        var previous: SwarmWatch.Observation?
        var saidWorker = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                if let state = try await Doctor.SwarmState.read(engine) {
                    metrics.update(SwarmWatch.series(state))
                    let now = SwarmWatch.observe(state)
                    for change in SwarmWatch.changes(from: previous, to: now) {
                        switch change {
                        case .update(let service, let state, let message):
                            logger.warning("service update \(state.rawValue): \(service)\(message.isEmpty ? "" : ": \(message)")")
                            metrics.count(service: service, state: state.rawValue)
                        case .grafanaMoved(let from, let to):
                            logger.info(
                                "Grafana's task changed (\(from.sorted().joined(separator: ", ")) → \(to.sorted().joined(separator: ", "))); provisioning it again"
                            )
                            await onGrafanaMoved()
                        }
                    }
                    previous = now
                } else if !saidWorker {
                    saidWorker = true
                    logger.info("this engine is not a swarm manager: no service or node metrics from here")
                }
            } catch {
                logger.debug("swarm read failed: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }
}

/// The decisions of `SwarmWatcher`, pure.
public enum SwarmWatch {
    public struct Observation: Sendable, Equatable {
        /// Service name → the state of its last update, for services that have one.
        public var updates: [String: DockerEngine.UpdateState]
        public var updateMessages: [String: String]
        /// `node/task-id` of Grafana's running tasks.
        public var grafana: Set<String>
    }

    public enum Change: Sendable, Equatable {
        case update(service: String, state: DockerEngine.UpdateState, message: String)
        case grafanaMoved(from: Set<String>, to: Set<String>)
    }

    /// The update states worth a log line: the update stopped, or was undone.
    static let alarming: [DockerEngine.UpdateState] = [.paused, .rollbackStarted, .rollbackPaused, .rollbackCompleted]

    /// Grafana's service: the compose service `grafana` (label), or a name ending in `_grafana`.
    static func isGrafana(_ service: DockerEngine.Service) -> Bool {
        service.spec?.labels?["com.docker.compose.service"] == "grafana" || service.spec?.name == "grafana" || service.spec?.name?.hasSuffix("_grafana") == true
    }

    public static func observe(_ state: Doctor.SwarmState) -> Observation {
        var updates: [String: DockerEngine.UpdateState] = [:]
        var messages: [String: String] = [:]
        for service in state.services {
            guard let update = service.updateStatus?.state else { continue }
            let name = service.spec?.name ?? service.id
            updates[name] = update
            messages[name] = service.updateStatus?.message ?? ""
        }
        let grafanaIDs = Set(state.services.filter(isGrafana).map(\.id))
        let grafana = Set(
            state.tasks.filter { grafanaIDs.contains($0.serviceID ?? "") && $0.desiredState == .running && $0.status?.state == .running }
                .map { "\(state.nodeName($0.nodeID))/\($0.id.prefix(12))" })
        return Observation(updates: updates, updateMessages: messages, grafana: grafana)
    }

    /// What changed since the last read. The first read reports nothing (no baseline); Grafana
    /// counts as moved only when it runs again on a different task (not while it has none).
    public static func changes(from previous: Observation?, to now: Observation) -> [Change] {
        guard let previous else { return [] }
        var out: [Change] = []
        for (service, state) in now.updates.sorted(by: { $0.key < $1.key }) where alarming.contains(state) && previous.updates[service] != state {
            out.append(.update(service: service, state: state, message: now.updateMessages[service] ?? ""))
        }
        if !now.grafana.isEmpty, now.grafana != previous.grafana {
            out.append(.grafanaMoved(from: previous.grafana, to: now.grafana))
        }
        return out
    }

    /// The series of one read, as (metric, labels, value).
    public static func series(_ state: Doctor.SwarmState) -> [(name: String, labels: [(String, String)], value: Double)] {
        var out: [(name: String, labels: [(String, String)], value: Double)] = []
        for s in Doctor.convergence(state) {
            out.append(("stackpilot_service_replicas", [("service", s.service), ("state", "running")], Double(s.running)))
            out.append(("stackpilot_service_replicas", [("service", s.service), ("state", "desired")], Double(s.desired)))
        }
        for node in state.nodes {
            let labels = [
                ("node", node.description?.hostname ?? node.id), ("role", node.spec?.role?.rawValue ?? ""),
                ("availability", node.spec?.availability?.rawValue ?? ""),
            ]
            out.append(("stackpilot_swarm_node_up", labels, node.status?.state == .ready ? 1 : 0))
        }
        for service in state.services {
            guard let update = service.updateStatus?.state else { continue }
            out.append(("stackpilot_service_update_state", [("service", service.spec?.name ?? service.id), ("state", update.rawValue)], 1))
        }
        return out
    }
}

/// The gauges of `SwarmWatch.series`, kept in step with each read: a series no longer read (a
/// removed service, a node that left, a new availability) is unregistered.
final class SwarmMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let state = Mutex<[String: Gauge]>([:])
    private let events = Mutex<[String: Counter]>([:])

    static let help = [
        "stackpilot_service_replicas": "Tasks of a swarm service: running, and desired (replicas, or one per eligible node for a global service).",
        "stackpilot_swarm_node_up": "1 when the swarm node is ready, 0 when it is down or disconnected; labelled with its role and availability.",
        "stackpilot_service_update_state": "1 for the state of the service's last rolling update (updating, paused, completed, rollback_*).",
    ]

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func update(_ series: [(name: String, labels: [(String, String)], value: Double)]) {
        state.withLock { gauges in
            var seen = Set<String>()
            for s in series {
                let key = s.name + "|" + s.labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
                seen.insert(key)
                let gauge =
                    gauges[key]
                    ?? registry.makeGauge(
                        descriptor: MetricNameDescriptor(metricName: s.name, unitName: "", helpText: Self.help[s.name] ?? ""), labels: s.labels)
                gauge.set(s.value)
                gauges[key] = gauge
            }
            for (key, gauge) in gauges where !seen.contains(key) {
                registry.unregisterGauge(gauge)
                gauges[key] = nil
            }
        }
    }

    func count(service: String, state: String) {
        events.withLock { counters in
            let key = "\(service)|\(state)"
            let counter =
                counters[key]
                ?? registry.makeCounter(
                    descriptor: MetricNameDescriptor(
                        metricName: "stackpilot_service_update_events_total", unitName: "",
                        helpText: "Service updates seen to pause or roll back."),
                    labels: [("service", service), ("state", state)])
            counter.increment()
            counters[key] = counter
        }
    }
}
